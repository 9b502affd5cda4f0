#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every public header compiles on its own, as C11 and as C++ (TAP).

For each include/iommufd/*.h, a translation unit holding only
`#include <iommufd/X.h>` (twice, so that the include guard is exercised)
must compile with -pedantic -Werror -Wall -Wextra as C11, and as C++11 and
C++17 when a C++ compiler is given.  From C++, the functions a header
declares must also have C linkage: a unit that calls each one by address
must leave only unmangled undefined symbols (nm).  A control unit with a
deliberate warning must fail, which proves the flags take effect.

Usage: check-headers.py --include-dir DIR --cc CC... [--cxx CXX...]
                        [--nm NM] [--cflags FLAGS...] -- HEADER...
Each compiler is a list of words ending at the next option; --cflags are
extra compile flags (GLib's, from meson).
"""

import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

STRICT = ['-pedantic', '-Werror', '-Wall', '-Wextra']
PER_HEADER = 5


def parse_args(argv):
    opts = {'--include-dir': [], '--cc': [], '--cxx': [], '--nm': [], '--cflags': []}
    headers = []
    cur = None
    rest = False
    for a in argv:
        if rest:
            headers.append(a)
        elif a == '--':
            rest = True
        elif a in opts:
            cur = a
        elif cur is None:
            sys.exit('check-headers.py: unexpected argument %r' % a)
        else:
            opts[cur].append(a)
    if len(opts['--include-dir']) != 1 or not opts['--cc'] or not headers:
        sys.exit(__doc__)
    return opts, headers


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, good, name, detail=''):
        self.n += 1
        print('%sok %d - %s' % ('' if good else 'not ', self.n, name))
        if not good:
            self.failed += 1
            for line in detail.rstrip().splitlines():
                print('#   ' + line)
        sys.stdout.flush()

    def skip(self, name, reason):
        self.n += 1
        print('ok %d - %s # SKIP %s' % (self.n, name, reason))


def compile_unit(compiler, std, flags, incdir, source, suffix, workdir, obj=None):
    """Compile source; return (ok, compiler output)."""
    src = os.path.join(workdir, 'unit' + suffix)
    with open(src, 'w') as f:
        f.write(source)
    out = obj or os.path.join(workdir, 'unit.o')
    cmd = compiler + ['-std=' + std] + STRICT + flags + ['-I', incdir, '-c', src, '-o', out]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
    except OSError as e:
        return False, '%s: %s' % (cmd[0], e)
    text = p.stdout
    if p.returncode != 0 and not text.strip():
        text = 'exit status %d' % p.returncode
    return p.returncode == 0, text


DECL = re.compile(r'\bIOMMUFD_(?:MOCK_)?API\s+(?:extern\s+)?([^;{}()]*?)\b([a-z_][a-z0-9_]*)\s*\(')


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    return re.sub(r'//[^\n]*', ' ', text)


def declared_functions(path):
    """The functions a header declares with IOMMUFD_API / IOMMUFD_MOCK_API."""
    with open(path) as f:
        text = strip_comments(f.read())
    text = re.sub(r'^[ \t]*#[^\n]*', ' ', text, flags=re.M)
    return [m.group(2) for m in DECL.finditer(text)]


MAX_MSG_LINES = 40


def failure(text):
    """A compiler's message, cut to its first MAX_MSG_LINES lines."""
    lines = text.rstrip().splitlines()
    if len(lines) > MAX_MSG_LINES:
        lines = lines[:MAX_MSG_LINES] + ['[%d more lines]' % (len(lines) - MAX_MSG_LINES)]
    return '\n'.join(lines)


def check_header(name, incdir, cc, cxx, nm, flags, work):
    """The PER_HEADER results of one header: (status, description, detail),
    status True (ok), False (not ok) or a skip reason (str)."""
    res = []
    hdr = os.path.join(incdir, 'iommufd', name)
    if not os.path.isfile(hdr):
        return [(False, '<iommufd/%s> exists under %s' % (name, incdir), 'no such file: ' + hdr)
                ] * PER_HEADER
    inc = '#include <iommufd/%s>\n' % name
    good, msg = compile_unit(cc, 'c11', flags, incdir, inc, '.c', work)
    res.append((good, 'C11: <iommufd/%s> compiles on its own' % name,
                '<iommufd/%s> does not compile on its own as C11:\n%s' % (name, failure(msg))))
    good, msg = compile_unit(cc, 'c11', flags, incdir, inc + inc, '.c', work)
    res.append((good, 'C11: <iommufd/%s> included twice (include guard)' % name,
                '<iommufd/%s> included twice does not compile:\n%s' % (name, failure(msg))))
    linkage = 'C++: the functions of <iommufd/%s> have C linkage' % name
    if not cxx:
        for std in ('C++11', 'C++17'):
            res.append(('no C++ compiler found (install g++)',
                        '%s: <iommufd/%s> compiles on its own' % (std, name), ''))
        res.append(('no C++ compiler found (install g++)', linkage, ''))
        return res
    for std in ('c++11', 'c++17'):
        good, msg = compile_unit(cxx, std, flags, incdir, inc, '.cc', work)
        res.append((good, '%s: <iommufd/%s> compiles on its own' % (std.upper(), name),
                    '<iommufd/%s> does not compile on its own as %s:\n%s'
                    % (name, std, failure(msg))))
    fns = declared_functions(hdr)
    if not fns:
        res.append(('it declares no function of its own', linkage, ''))
        return res
    if not nm:
        res.append(('no nm to read the object with', linkage, ''))
        return res
    refs = ''.join('    reinterpret_cast<iommufd_any_fn>(&%s),\n' % f for f in fns)
    unit = (inc + 'typedef void (*iommufd_any_fn)(void);\n'
            'extern const iommufd_any_fn iommufd_header_refs[];\n'
            'const iommufd_any_fn iommufd_header_refs[] = {\n' + refs + '};\n')
    obj = os.path.join(work, 'linkage.o')
    good, msg = compile_unit(cxx, 'c++11', flags, incdir, unit, '.cc', work, obj)
    msg = failure(msg)
    if good:
        p = subprocess.run(nm + ['-u', obj], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
        undefined = [l.split()[-1] for l in p.stdout.splitlines() if l.strip()]
        if p.returncode != 0:
            good, msg = False, 'nm failed:\n' + p.stdout
        else:
            mangled = [s for s in undefined if s.startswith('_Z')]
            missing = [f for f in fns if f not in undefined]
            if mangled or missing:
                good = False
                msg = ('declared without extern "C" (C++ mangles them): %s\n'
                       'not referenced as C symbols: %s'
                       % (' '.join(mangled) or '-', ' '.join(missing) or '-'))
    res.append((good, 'C++: the %d functions of <iommufd/%s> have C linkage' % (len(fns), name),
                '<iommufd/%s>: %s' % (name, msg)))
    return res


def main():
    opts, headers = parse_args(sys.argv[1:])
    incdir = opts['--include-dir'][0]
    cc = opts['--cc']
    cxx = opts['--cxx']
    nm = opts['--nm']
    flags = opts['--cflags']
    names = sorted(os.path.basename(h) for h in headers)

    print('1..%d' % (2 + PER_HEADER * len(names)))
    tap = Tap()
    present = sorted(f for f in os.listdir(os.path.join(incdir, 'iommufd')) if f.endswith('.h'))
    unchecked = [f for f in present if f not in names]
    tap.ok(not unchecked, 'every header under include/iommufd is checked',
           'not in the list tests/headers/meson.build passes: ' + ' '.join(unchecked))

    with tempfile.TemporaryDirectory(prefix='check-headers-') as work:
        # control: the flags must turn a warning into a failure
        good, _ = compile_unit(cc, 'c11', flags, incdir,
                               '#include <iommufd/error.h>\n'
                               'static int unused_function(void) { return 0; }\n',
                               '.c', work)
        tap.ok(not good, 'control: a C11 unit with a warning fails to compile '
               '(-Werror -Wall -Wextra -pedantic take effect)',
               'the compiler accepted a unit with an unused static function: '
               'the strict flags are not in effect, so no result below would mean anything')

        # one header per worker (each in its own directory), reported in order
        dirs = []
        for name in names:
            dirs.append(os.path.join(work, name))
            os.mkdir(dirs[-1])
        workers = max(1, min(len(names), os.cpu_count() or 1, 4))
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            results = pool.map(lambda nd: check_header(nd[0], incdir, cc, cxx, nm, flags, nd[1]),
                               zip(names, dirs))
            for res in results:
                for status, what, detail in res:
                    if isinstance(status, str):
                        tap.skip(what, status)
                    else:
                        tap.ok(status, what, detail)
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
