# SPDX-License-Identifier: LGPL-2.1-or-later
"""Parser for trace-events files.

Grammar of one line (after stripping; blank lines and '#' comments are
skipped):

    [disable] NAME ( ARGS ) FORMAT

ARGS is `void`, empty, or a comma-separated list of `TYPE NAME`; FORMAT is
one or more C string literals and PRI* macros ("a %" PRIu32 " b").  Every
rejection raises TracetoolError carrying the file name and line number.
"""

import re

MAX_ARGS = 10
MAX_NAME = 100      # LTTng-UST: "provider:event" at most 127 characters

C_KEYWORDS = frozenset('''auto break case char const continue default do double else enum
extern float for goto if inline int long register restrict return short signed sizeof static
struct switch typedef union unsigned void volatile while _Bool _Atomic bool true false'''.split())

IDENT = r'[A-Za-z_][A-Za-z0-9_]*'
_LINE_RE = re.compile(r'^(?P<props>(?:' + IDENT + r'\s+)*)(?P<name>' + IDENT +
                      r')\s*\((?P<args>[^()]*)\)\s*(?P<fmt>.*)$')
_KNOWN_PROPS = ('disable',)


class TracetoolError(Exception):
    """An error in an input file, reported as FILE:LINE: message."""

    def __init__(self, filename, lineno, message):
        super().__init__('%s:%d: %s' % (filename, lineno, message))
        self.filename = filename
        self.lineno = lineno
        self.message = message


class ArgType:
    """What tracetool knows of one argument type.

    kind:  'int', 'str' or 'ptr'
    width: for 'int', the length class a printf conversion must use:
           'int' (promoted to int), 'long', 'llong', 'size', '64', 'ptr'
    hexok: always true for integers; used by the LTTng backend
    """

    def __init__(self, name, kind, width=None, signed=False, c_type=None):
        self.name = name
        self.kind = kind
        self.width = width
        self.signed = signed
        # the C type used where the value is stored (e.g. LTTng fields)
        self.c_type = c_type or name


def _int_types():
    table = {}

    def add(names, width, signed, c_type=None):
        for n in names:
            table[n] = ArgType(n, 'int', width, signed, c_type)

    add(['bool'], 'int', False, 'uint8_t')
    add(['char', 'signed char', 'short', 'int', 'signed', 'signed int',
         'short int', 'int8_t', 'int16_t', 'int32_t'], 'int', True)
    add(['unsigned char', 'unsigned short', 'unsigned short int', 'unsigned',
         'unsigned int', 'uint8_t', 'uint16_t', 'uint32_t'], 'int', False)
    add(['long', 'long int', 'signed long'], 'long', True)
    add(['unsigned long', 'unsigned long int'], 'long', False)
    add(['long long', 'long long int'], 'llong', True)
    add(['unsigned long long', 'unsigned long long int'], 'llong', False)
    add(['int64_t'], '64', True)
    add(['uint64_t'], '64', False)
    add(['size_t'], 'size', False)
    add(['ssize_t'], 'size', True)
    add(['intptr_t'], 'ptr', True)
    add(['uintptr_t'], 'ptr', False)
    table['const char *'] = ArgType('const char *', 'str')
    table['void *'] = ArgType('void *', 'ptr')
    table['const void *'] = ArgType('const void *', 'ptr')
    return table


TYPES = _int_types()

# PRI macros: PRI<conv><size>; what each size means for argument checking.
_PRI_RE = re.compile(r'^PRI([diouxX])(8|16|32|64|PTR|MAX)$')
_PRI_WIDTH = {'8': 'int', '16': 'int', '32': 'int', '64': '64',
              'PTR': 'ptr', 'MAX': '64'}

# conversion spec: %[flags][width][.prec][length]conv
_CONV_RE = re.compile(r'%(?P<flags>[-+ #0]*)(?P<width>\d*)(?:\.(?P<prec>\d*))?'
                      r'(?P<len>hh|h|ll|l|z|j|t)?(?P<conv>[diouxXcspm%]|.?)')

# which argument length classes each length modifier accepts
_LEN_ACCEPTS = {
    None: {'int'},
    'hh': {'int'},
    'h': {'int'},
    'l': {'long', '64', 'ptr'},   # x86_64/LP64: long is 64 bits
    'll': {'llong', '64'},
    'z': {'size'},
    'j': {'64'},
    't': {'size', 'ptr'},
}


class Arg:
    def __init__(self, type_, name):
        self.type = type_
        self.name = name

    @property
    def decl(self):
        t = self.type.name
        return (t + self.name) if t.endswith('*') else (t + ' ' + self.name)


class Conversion:
    """One printf conversion of an event's format, matched to one argument."""

    def __init__(self, conv, length, pri=None):
        self.conv = conv
        self.length = length
        self.pri = pri          # the PRI macro's width class, if it came from one

    @property
    def is_hex(self):
        return self.conv in 'xXp'


class Event:
    def __init__(self, name, args, fmt_parts, props, filename, lineno):
        self.name = name
        self.args = args
        self.fmt_parts = fmt_parts   # list of ('lit', text) / ('macro', name)
        self.props = props
        self.filename = filename
        self.lineno = lineno
        self.conversions = []

    @property
    def disabled(self):
        return 'disable' in self.props

    @property
    def fmt_c(self):
        """The format as C source: literals and macros, as written."""
        out = []
        for kind, text in self.fmt_parts:
            out.append('"%s"' % text if kind == 'lit' else text)
        return ' '.join(out)

    @property
    def fmt_plain(self):
        """The format with each PRI macro replaced by its conversion letter."""
        out = []
        for kind, text in self.fmt_parts:
            out.append(text if kind == 'lit' else _PRI_RE.match(text).group(1))
        return ''.join(out)


def _parse_args(text, err):
    text = text.strip()
    if text in ('', 'void'):
        return []
    args = []
    names = set()
    for i, piece in enumerate(text.split(',')):
        piece = ' '.join(piece.split())
        if not piece:
            err('empty argument %d' % (i + 1))
        piece = re.sub(r'\s*\*\s*', ' * ', piece).strip()
        m = re.match(r'^(?P<type>.*?)\s*(?P<name>' + IDENT + r')$', piece)
        if not m or not m.group('type'):
            err("argument '%s' needs a type and a name" % piece)
        type_text = ' '.join(m.group('type').split())
        t = TYPES.get(type_text)
        if t is None:
            err("unknown type '%s' of argument '%s'" % (type_text, m.group('name')))
        name = m.group('name')
        if name in TYPES or name in ('const', 'unsigned', 'signed', 'void'):
            err("argument %d has no name" % (i + 1))
        if name in C_KEYWORDS:
            err("argument name '%s' is a C keyword" % name)
        if name in names:
            err("duplicate argument name '%s'" % name)
        names.add(name)
        args.append(Arg(t, name))
    if len(args) > MAX_ARGS:
        err('%d arguments: at most %d are allowed (LTTng-UST limit)' %
            (len(args), MAX_ARGS))
    return args


def _parse_format(text, err):
    """Split FORMAT into string literals and PRI macros."""
    parts = []
    i = 0
    n = len(text)
    if not text:
        err('missing format string')
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == '"':
            j = i + 1
            lit = []
            while True:
                if j >= n:
                    err('unterminated string literal in format')
                ch = text[j]
                if ch == '"':
                    break
                if ch == '\\':
                    if j + 1 >= n:
                        err('unterminated string literal in format')
                    esc = text[j + 1]
                    if esc == 'n':
                        err('newline (\\n) in format: the log backend ends '
                            'each line itself')
                    if esc not in '"\\t':
                        err("unsupported escape '\\%s' in format" % esc)
                    lit.append(text[j:j + 2])
                    j += 2
                    continue
                lit.append(ch)
                j += 1
            parts.append(('lit', ''.join(lit)))
            i = j + 1
            continue
        m = re.match(IDENT, text[i:])
        if m:
            macro = m.group(0)
            if not _PRI_RE.match(macro):
                err("unknown macro '%s' in format (only PRI* macros are allowed)" % macro)
            parts.append(('macro', macro))
            i += len(macro)
            continue
        err("unexpected '%s' in format" % c)
    if not parts or parts[0][0] != 'lit':
        err('format must start with a string literal')
    return parts


def _check_conversions(event, err):
    """Match each conversion of the format with its argument."""
    # Work over the parts so that a PRI macro's width is known.
    convs = []
    pending = ''          # text of an unfinished "%..." awaiting a PRI macro
    for kind, text in event.fmt_parts:
        if kind == 'macro':
            if not pending:
                err("PRI macro %s must follow a '%%'" % text)
            m = _PRI_RE.match(text)
            spec = pending + m.group(1)
            sm = _CONV_RE.fullmatch(spec)
            if not sm or sm.group('len'):
                err("malformed conversion '%s' before %s" % (pending, text))
            convs.append(Conversion(m.group(1), None, _PRI_WIDTH[m.group(2)]))
            pending = ''
            continue
        if pending:
            err("'%s' at the end of a literal is not followed by a PRI macro" % pending)
        i = 0
        while i < len(text):
            if text[i] != '%':
                i += 1
                continue
            m = _CONV_RE.match(text, i)
            conv = m.group('conv')
            if m.end() == len(text) and conv == '':
                pending = m.group(0)
                break
            if conv == '%':
                i = m.end()
                continue
            if conv == 'm':
                err("'%m' is not allowed in a format (errno is not the event's)")
            if conv == '' or conv not in 'diouxXcsp':
                err("unsupported conversion '%s'" % m.group(0))
            convs.append(Conversion(conv, m.group('len')))
            i = m.end()
    if pending:
        err("'%s' at the end of the format has no conversion" % pending)

    if len(convs) != len(event.args):
        err('format has %d conversion%s but the event has %d argument%s' %
            (len(convs), '' if len(convs) == 1 else 's',
             len(event.args), '' if len(event.args) == 1 else 's'))
    for idx, (c, a) in enumerate(zip(convs, event.args)):
        t = a.type
        label = "conversion %d ('%s') does not match argument '%s' of type '%s'"
        bad = lambda: err(label % (idx + 1, c.conv if c.pri is None else 'PRI' + c.conv,
                                   a.name, t.name))
        if c.conv == 's':
            if t.kind != 'str' or c.length:
                bad()
        elif c.conv == 'p':
            if t.kind != 'ptr' or t.width == 'ptr' or c.length:
                bad()
        else:  # integer conversions
            if t.kind != 'int':
                bad()
            if c.conv == 'c' and (c.length or t.width != 'int'):
                bad()
            accepted = {c.pri} if c.pri else _LEN_ACCEPTS[c.length]
            if c.pri == '64':
                accepted = {'64', 'long'}
            if t.width not in accepted:
                bad()
    event.conversions = convs


def _decode(filename, data):
    """The text of a file, or the line of its first byte that is not UTF-8."""
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError as e:
        lineno = data.count(b'\n', 0, e.start) + 1
        col = e.start - (data.rfind(b'\n', 0, e.start) + 1) + 1
        raise TracetoolError(filename, lineno, 'byte 0x%02x at column %d is not UTF-8 text'
                             % (data[e.start], col)) from None


def parse_file(filename, text=None):
    if text is None:
        # bytes, so that lines are the '\n'-separated ones a compiler and an
        # editor count (no universal-newline translation of a lone '\r')
        with open(filename, 'rb') as f:
            text = _decode(filename, f.read())
    events = []
    lines = text.split('\n')
    if text and not text.endswith('\n'):
        raise TracetoolError(filename, len(lines), 'missing newline at end of file')
    for lineno, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith('#'):
            continue

        def err(msg, _lineno=lineno):
            raise TracetoolError(filename, _lineno, msg)

        # a control character would reach the generated C (a string literal
        # cut by a '\r', a NUL): only the tab is allowed
        bad = [c for c in line if (ord(c) < 32 and c != '\t') or ord(c) == 127]
        if bad:
            err('control character U+%04X in the line (only tabs and printable text '
                'are allowed)' % ord(bad[0]))

        m = _LINE_RE.match(line)
        if not m:
            err("syntax error: expected '[disable] name(type arg, ...) \"format\"'")
        if len(m.group('name')) > MAX_NAME:
            err('event name longer than %d characters' % MAX_NAME)
        props = m.group('props').split()
        for p in props:
            if p not in _KNOWN_PROPS:
                err("unknown property '%s' (only 'disable' is known)" % p)
        args = _parse_args(m.group('args'), err)
        fmt = _parse_format(m.group('fmt').strip(), err)
        ev = Event(m.group('name'), args, fmt, props, filename, lineno)
        _check_conversions(ev, err)
        events.append(ev)
    return events


def parse_files(filenames):
    """Parse several files; event names must be unique across all of them."""
    seen = {}
    upper = {}
    groups = []
    for fn in filenames:
        evs = parse_file(fn)
        for ev in evs:
            if ev.name in seen:
                prev = seen[ev.name]
                raise TracetoolError(fn, ev.lineno,
                                     "duplicate event name '%s' (first defined at %s:%d)"
                                     % (ev.name, prev.filename, prev.lineno))
            # TRACE_<NAME>_ENABLED is upper case: names that differ only in
            # case would define one macro twice
            if ev.name.upper() in upper:
                prev = upper[ev.name.upper()]
                raise TracetoolError(fn, ev.lineno,
                                     "event name '%s' differs from '%s' (%s:%d) only in case"
                                     % (ev.name, prev.name, prev.filename, prev.lineno))
            seen[ev.name] = ev
            upper[ev.name.upper()] = ev
        groups.append(evs)
    # trace_<name>_enabled() of one event is trace_<name>() of another
    for evs in groups:
        for ev in evs:
            if ev.name.endswith('_enabled') and ev.name[:-len('_enabled')] in seen:
                prev = seen[ev.name[:-len('_enabled')]]
                raise TracetoolError(ev.filename, ev.lineno,
                                     "event name '%s' clashes with trace_%s_enabled() of "
                                     "event '%s' (%s:%d)"
                                     % (ev.name, prev.name, prev.name, prev.filename,
                                        prev.lineno))
    return groups
