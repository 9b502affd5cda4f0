#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Fuzz scripts/tracetool.py with mutated trace-events text.  TAP output.

    fuzz-tracetool.py [--runs N] [--seed S] [--compile-every K] [--cc CC]

Seeds: the tree's trace-events files (trace-events, backends/trace-events,
tests/tracetool/test-events) and the small tricky files of
tests/tracetool/fuzz-corpus/.  Each run takes a seed (or two, spliced) and
applies a few mutations chosen with a FIXED random seed (the same inputs on
every run): delete, duplicate, swap lines; flip, insert, delete characters;
insert quotes, '%', commas, parentheses, PRI macros, escapes, non-ASCII and
control characters, invalid UTF-8; very long names; bad types; renamed or
duplicated events; an empty file; a missing final newline.

Each input goes through tracetool's own main() in this process (no Python
start-up per run) for every format with every backend set the golden tests
use.  The answer must be either
  - exit 1 with exactly one line on stderr, "FILE:LINE: message" naming the
    input and a line of it (or "tracetool.py: ..." for a file that cannot
    be read), and nothing written; or
  - exit 0 with output; for formats h and c, every K-th valid input (and
    every valid input with unusual characters) is compiled with
    `CC -fsyntax-only -Wall -Werror` (every backend whose headers the
    machine has: log always, ust and dtrace where LTTng-UST and sys/sdt.h
    are installed), and every 10th valid input with unusual characters;
never a Python exception (a traceback).  Every failure is one TAP line with
the input that caused it (kept in a temporary directory whose path is
printed) and the command that reproduces it.
"""

import argparse
import contextlib
import io
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
TRACETOOL = os.path.join(TOP, 'scripts', 'tracetool.py')
SEED_FILES = [os.path.join(TOP, 'trace-events'),
              os.path.join(TOP, 'backends', 'trace-events'),
              os.path.join(HERE, 'test-events')]
CORPUS = os.path.join(HERE, 'fuzz-corpus')

# (format, backends): as the golden tests run them
COMBOS = [('h', 'nop'), ('c', 'nop'), ('h', 'log'), ('c', 'log'), ('h', 'ust'), ('c', 'ust'),
          ('h', 'dtrace'), ('c', 'dtrace'), ('h', 'log,ust,dtrace'), ('c', 'log,ust,dtrace'),
          ('ust-events-h', 'ust'), ('ust-events-c', 'ust'), ('ust-provider-c', 'ust')]

TYPES = ['int', 'unsigned', 'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t', 'int64_t', 'size_t',
         'ssize_t', 'long', 'unsigned long long', 'const char *', 'void *', 'const void *',
         'bool', 'uintptr_t', 'char', 'float', 'double', 'struct foo *', 'char *', 'int *',
         'const', 'unsigned unsigned', 'long long long', 'void', 'int[]', 'uint32_t uint32_t']
NAMES = ['a', 'b', 'x1', 'int', 'void', 'const', 'errno', '__VA_ARGS__', 'NULL', 'stderr',
         'enabled', '_', '_iommufd_trace_dstate_x', 'trace', 'fmt', 'PRIu32', 'ev', 'i',
         'lttng_ust_tracepoint', 'LTTNG_UST_TP_ARGS', 'main', 'size', 'e\u00e9', '9a']
SNIPPETS = ['"', '""', '%', '%%', '%d', '%s', '%p', '%llu', '%zu', '%lx', '%" PRIu64 "',
            '" PRIx32 "', 'PRIu32', 'PRId64', 'PRIxPTR', '%-08.3x', '%hhd', '%c', '%m', '%n',
            '%*d', '%1$d', ',', ', ,', '(', ')', '()', '(void)', '\\', '\\"', '\\n', '\\t',
            '\\x41', '\\0', '#', 'disable ', 'tcg ', ' \t ', '\u00e9', '\u2028', '\u00a0',
            '\ufeff', '\U0001f600', '\x00', '\r', '\x0b', '\x0c', '\x1b[0m', '??/', '*/', '/*',
            '//', '\n', '\n\n', ';', '{', '}']


def load_seeds():
    seeds = []
    for p in SEED_FILES:
        with open(p, 'rb') as f:
            seeds.append((os.path.relpath(p, TOP), f.read()))
    if os.path.isdir(CORPUS):
        for name in sorted(os.listdir(CORPUS)):
            with open(os.path.join(CORPUS, name), 'rb') as f:
                seeds.append(('tests/tracetool/fuzz-corpus/' + name, f.read()))
    return seeds


def event_lines(lines):
    return [i for i, l in enumerate(lines) if l.strip() and not l.lstrip().startswith('#')]


def mutate_text(rng, text):
    """One mutation of str text (lines kept with their newlines)."""
    lines = text.splitlines(keepends=True)
    m = rng.randrange(22)
    if m == 0 and lines:                      # delete a line
        del lines[rng.randrange(len(lines))]
    elif m == 1 and lines:                    # duplicate a line (duplicate event name)
        i = rng.randrange(len(lines))
        lines.insert(rng.randrange(len(lines) + 1), lines[i])
    elif m == 2 and len(lines) > 1:           # swap two lines
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif m == 3 and text:                     # flip a character
        i = rng.randrange(len(text))
        c = chr(ord(text[i]) ^ (1 << rng.randrange(7)))
        return text[:i] + c + text[i + 1:]
    elif m == 4 and text:                     # delete a run of characters
        i = rng.randrange(len(text))
        return text[:i] + text[i + rng.randrange(1, 8):]
    elif m in (5, 6, 7):                      # insert a snippet
        i = rng.randrange(len(text) + 1)
        return text[:i] + rng.choice(SNIPPETS) + text[i:]
    elif m == 8:                              # a very long name
        ev = event_lines(lines)
        if ev:
            i = rng.choice(ev)
            n = rng.choice([99, 100, 101, 127, 128, 300, 5000])
            lines[i] = re.sub(r'^(\s*(?:disable\s+)?)\w+', lambda mm: mm.group(1) + 'n' * n,
                              lines[i], count=1)
    elif m == 9:                              # a bad (or other) type
        ev = event_lines(lines)
        if ev:
            i = rng.choice(ev)
            lines[i] = re.sub(r'\(\s*[^,()]*?(?=\s*\w+\s*[,)])',
                              lambda mm: '(' + rng.choice(TYPES), lines[i], count=1)
    elif m == 10:                             # an argument name
        ev = event_lines(lines)
        if ev:
            i = rng.choice(ev)
            lines[i] = re.sub(r'(\w+)(\s*[,)])', lambda mm: rng.choice(NAMES) + mm.group(2),
                              lines[i], count=1)
    elif m == 11:                             # an event renamed as another (+ suffix)
        ev = event_lines(lines)
        if len(ev) > 1:
            a, b = rng.choice(ev), rng.choice(ev)
            ma = re.match(r'\s*(?:disable\s+)?(\w+)', lines[a])
            if ma:
                suffix = rng.choice(['', '', '_enabled', '_ENABLED', '_x'])
                lines[b] = re.sub(r'^(\s*(?:disable\s+)?)\w+',
                                  lambda mm: mm.group(1) + ma.group(1) + suffix, lines[b],
                                  count=1)
    elif m == 12:                             # the empty file
        return ''
    elif m == 13:                             # no newline at the end
        return text.rstrip('\n')
    elif m == 14:                             # many arguments
        ev = event_lines(lines)
        if ev:
            i = rng.choice(ev)
            n = rng.choice([9, 10, 11, 40])
            args = ', '.join('int a%d' % k for k in range(n))
            fmt = ' '.join('%d' for _ in range(n))
            lines[i] = 'many%d(%s) "%s"\n' % (rng.randrange(1000), args, fmt)
    elif m == 15:                             # change a conversion
        convs = [mm.start() for mm in re.finditer('%', text)]
        if convs:
            i = rng.choice(convs)
            return text[:i] + rng.choice(SNIPPETS[2:12]) + text[i + 2:]
    elif m == 16:                             # CRLF line ends
        return text.replace('\n', '\r\n')
    elif m == 17:                             # 'disable' toggled
        ev = event_lines(lines)
        if ev:
            i = rng.choice(ev)
            lines[i] = (lines[i].replace('disable ', '', 1) if 'disable ' in lines[i]
                        else 'disable ' + lines[i])
    elif m == 18:                             # a random printable run
        i = rng.randrange(len(text) + 1)
        run = ''.join(chr(rng.randrange(32, 127)) for _ in range(rng.randrange(1, 12)))
        return text[:i] + run + text[i:]
    elif m == 19:                             # truncate
        return text[:rng.randrange(len(text) + 1)]
    elif m == 20:                             # one event alone
        ev = event_lines(lines)
        if ev:
            return lines[rng.choice(ev)]
    else:                                     # a random non-ASCII or control character
        i = rng.randrange(len(text) + 1)
        return text[:i] + chr(rng.choice([0, 1, 9, 11, 12, 13, 27, 127, 0x85, 0xa0, 0x2028,
                                          0x3000, 0xfeff, 0x1f600])) + text[i:]
    return ''.join(lines)


def make_input(rng, seeds):
    name, data = rng.choice(seeds)
    if rng.random() < 0.1:                    # splice two seeds
        data = data + rng.choice(seeds)[1]
    text = data.decode('utf-8', 'surrogateescape')
    for _ in range(rng.randrange(1, 5)):
        text = mutate_text(rng, text)
    raw = text.encode('utf-8', 'surrogateescape')
    if rng.random() < 0.03 and raw:           # invalid UTF-8
        i = rng.randrange(len(raw) + 1)
        raw = raw[:i] + rng.choice([b'\xff', b'\xc3', b'\xed\xa0\x80', b'\x80']) + raw[i:]
    return name, raw


def load_tracetool():
    """tracetool's main(), imported once."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('tracetool_main', TRACETOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.main


def run_tracetool(main, argv):
    """(exit status, stdout, stderr, traceback or None), in this process."""
    out, err = io.StringIO(), io.StringIO()
    tb = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 1
        except BaseException:             # noqa: B902 - any exception is the finding
            rc = None
            tb = traceback.format_exc()
    return rc, out.getvalue(), err.getvalue(), tb


def check_error(path, raw, stderr):
    """None when stderr is one clear FILE:LINE: message (or an unreadable file)."""
    lines = stderr.splitlines()
    if len(lines) != 1:
        return 'expected one line on stderr, got %d: %r' % (len(lines), stderr[:300])
    line = lines[0]
    if 'Traceback' in stderr:
        return 'traceback on stderr'
    if line.startswith('tracetool.py: '):
        return None
    m = re.match(re.escape(path) + r':(\d+): (\S.*)$', line)
    if not m:
        return 'not "%s:LINE: message": %r' % (path, line[:300])
    n = int(m.group(1))
    nlines = raw.count(b'\n') + 1
    if not 1 <= n <= nlines:
        return 'line %d is not a line of the input (%d lines)' % (n, nlines)
    return None


def compile_outputs(tt_main, cc, tmp, path, backends):
    """`cc -fsyntax-only` the h and c outputs of backends; None or the error."""
    hdr = os.path.join(tmp, 'trace-fuzz.h')
    src = os.path.join(tmp, 'trace-fuzz.c')
    common = ['--backends', backends, '--group', 'fuzz', '--header', 'trace-fuzz.h',
              '--ust-header', 'trace-fuzz-ust.h']
    outputs = [('h', hdr), ('c', src)]
    if 'ust' in backends.split(','):
        outputs.append(('ust-events-h', os.path.join(tmp, 'trace-fuzz-ust.h')))
    for fmt, out in outputs:
        rc, _, err, tb = run_tracetool(tt_main, ['--format', fmt] + common + ['-o', out, path])
        if rc != 0:
            return '%s for the compile check: %s' % (fmt, tb or err)
    p = subprocess.run([cc, '-fsyntax-only', '-std=c11', '-D_GNU_SOURCE', '-Wall', '-Werror',
                        '-I', tmp, '-I', TOP, '-I', os.path.join(TOP, 'include'), src],
                       capture_output=True, text=True)
    if p.returncode:
        return '%s -fsyntax-only (%s): %s' % (cc, backends, '\n'.join(p.stderr.splitlines()[:12]))
    return None


def has_header(cc, name):
    p = subprocess.run([cc, '-E', '-x', 'c', '-'], input='#include <%s>\n' % name,
                       capture_output=True, text=True)
    return p.returncode == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--runs', type=int, default=int(os.environ.get('IOMMUFD_TRACETOOL_FUZZ_RUNS',
                                                                   2000)))
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--compile-every', type=int, default=25)
    ap.add_argument('--cc', default=os.environ.get('CC') or shutil.which('cc') or '')
    ap.add_argument('--keep', default=None, help='directory for the inputs that fail')
    opts = ap.parse_args()

    rng = random.Random(opts.seed)
    seeds = load_seeds()
    tt_main = load_tracetool()
    cc = opts.cc.split()[0] if opts.cc else ''
    compile_sets = []
    if cc and shutil.which(cc):
        # one compile per sample, with every backend the machine has headers for
        backends = ['log']
        if has_header(cc, 'lttng/tracepoint.h'):
            backends.append('ust')
        if has_header(cc, 'sys/sdt.h'):
            backends.append('dtrace')
        compile_sets.append(','.join(backends))
    keep = opts.keep or tempfile.mkdtemp(prefix='iommufd-tracetool-fuzz-')
    os.makedirs(keep, exist_ok=True)

    failures = []          # (kind, message, saved input)
    counts = {'valid': 0, 'rejected': 0, 'compiled': 0, 'odd': 0, 'odd_compiled': 0}
    first_failure = {}

    def fail(kind, msg, raw):
        if kind in first_failure:
            first_failure[kind][1] += 1
            return
        saved = os.path.join(keep, 'fail-%d.trace-events' % len(first_failure))
        with open(saved, 'wb') as f:
            f.write(raw)
        first_failure[kind] = [msg, 1, saved]

    with tempfile.TemporaryDirectory(prefix='iommufd-tracetool-fuzz-') as tmp:
        path = os.path.join(tmp, 'fuzz.trace-events')
        outp = os.path.join(tmp, 'out')
        for run in range(opts.runs):
            _, raw = make_input(rng, seeds)
            with open(path, 'wb') as f:
                f.write(raw)
            answers = set()
            for fmt, backends in COMBOS:
                if os.path.exists(outp):
                    os.unlink(outp)
                argv = ['--format', fmt, '--backends', backends, '--group', 'fuzz',
                        '--header', 'trace-fuzz.h', '--ust-header', 'trace-fuzz-ust.h',
                        '-o', outp, path]
                rc, _, err, tb = run_tracetool(tt_main, argv)
                if tb is not None:
                    last = tb.strip().splitlines()[-1].split(':')[0]
                    fail('traceback: ' + last, 'traceback (%s, %s):\n%s' % (fmt, backends, tb),
                         raw)
                    answers.add('tb')
                    continue
                if rc == 0:
                    if not os.path.exists(outp):
                        fail('no output', 'exit 0 but no output (%s, %s)' % (fmt, backends),
                             raw)
                    answers.add('ok')
                elif rc == 1:
                    bad = check_error(path, raw, err)
                    if bad:
                        fail('unclear error', '%s (%s, %s)' % (bad, fmt, backends), raw)
                    if os.path.exists(outp):
                        fail('output on error', 'exit 1 but output written (%s, %s)' %
                             (fmt, backends), raw)
                    answers.add('error')
                else:
                    fail('exit %s' % rc, 'exit %s (%s, %s): %s' % (rc, fmt, backends, err),
                         raw)
            if len(answers) > 1 and 'tb' not in answers:
                fail('inconsistent', 'accepted by some formats, rejected by others', raw)
            if answers == {'ok'}:
                counts['valid'] += 1
                if any(b > 126 or (b < 32 and b not in (9, 10)) for b in raw):
                    counts['odd'] += 1
                sample = (counts['valid'] % opts.compile_every == 1 or
                          (counts['odd'] % 10 == 1 and counts['odd'] > counts['odd_compiled']))
                if compile_sets and sample:
                    counts['odd_compiled'] = counts['odd']
                    for backends in compile_sets:
                        bad = compile_outputs(tt_main, cc, tmp, path, backends)
                        counts['compiled'] += 1
                        if bad:
                            fail('does not compile', bad, raw)
            elif answers == {'error'}:
                counts['rejected'] += 1

    results = []
    results.append((not first_failure,
                    '%d mutated inputs x %d format/backend runs: no traceback, every rejection '
                    'one FILE:LINE: line, every acceptance an output (%d valid, %d rejected)'
                    % (opts.runs, len(COMBOS), counts['valid'], counts['rejected']),
                    first_failure))
    if compile_sets:
        results.append((not any(k == 'does not compile' for k in first_failure),
                        '%d valid outputs compiled with %s -fsyntax-only (%s)'
                        % (counts['compiled'], cc, ' / '.join(compile_sets)), None))
    else:
        results.append((None, 'compile check', 'no C compiler'))
    results.append((counts['valid'] > opts.runs // 20 and counts['rejected'] > opts.runs // 20,
                    'the mutations reach both answers (valid %d, rejected %d)'
                    % (counts['valid'], counts['rejected']), None))

    print('1..%d' % len(results))
    for i, (good, name, diag) in enumerate(results, 1):
        if good is None:
            print('ok %d - %s # SKIP %s' % (i, name, diag))
            continue
        print('%s %d - %s' % ('ok' if good else 'not ok', i, name))
        if not good and isinstance(diag, dict):
            for kind, (msg, n, saved) in diag.items():
                print('# %s (%d inputs); first: %s' % (kind, n, saved))
                print('#   reproduce: %s %s --format h --backends log %s' %
                      (sys.executable, TRACETOOL, saved))
                for line in msg.splitlines()[-12:]:
                    print('#   ' + line)
    if first_failure:
        print('# seed %d, failing inputs kept in %s' % (opts.seed, keep))
    else:
        print('# seed %d' % opts.seed)
        if not opts.keep:
            shutil.rmtree(keep, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
