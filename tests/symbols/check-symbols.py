#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The exported symbol set of a shared library equals its documented one.

    check-symbols.py --lib LIB.so --soname SONAME --map MAP --macro MACRO
                     [--version-node NODE | --unversioned] [--libc-names]
                     HEADER...

Three sets must be equal, and each difference is named:
  - the defined dynamic symbols of LIB.so (nm -D --defined-only),
  - the names of MAP (the version script's global: entries),
  - the functions and variables declared with MACRO in the HEADERs
    (G_DECLARE_FINAL_TYPE(T, prefix, ...) declares prefix_get_type).
With --libc-names (libiommufd-mock), MAP may also name libc functions the
library interposes: those are not in the headers, must be libc's own dynamic
symbols, and MAP may cover the header names with wildcards (iommufd_mock_*).
Also checked: the SONAME (readelf -d), and the version of every symbol
(--version-node: all NAME@@NODE; --unversioned: none carries a version).
Output: TAP.
"""

import argparse
import fnmatch
import re
import shutil
import subprocess
import sys


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, name, detail=()):
        self.n += 1
        print(('ok' if ok else 'not ok') + ' %d - %s' % (self.n, name))
        if not ok:
            self.failed += 1
            for line in detail:
                print('# ' + line)
        sys.stdout.flush()


def strip_c_comments(text):
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    return re.sub(r'//[^\n]*', ' ', text)


IDENT = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
G_DECLARE = ('G_DECLARE_FINAL_TYPE', 'G_DECLARE_DERIVABLE_TYPE',
             'G_DECLARE_INTERFACE')


def header_names(paths, macro):
    """{name: header} of what MACRO declares; a list of problems."""
    names, problems = {}, []
    for path in paths:
        with open(path, encoding='utf-8') as f:
            text = strip_c_comments(f.read())
        # drop preprocessor lines (the macro's own #ifndef / #define)
        text = text.replace('\\\n', ' ')
        text = re.sub(r'^[ \t]*#[^\n]*', ' ', text, flags=re.M)
        for m in re.finditer(r'\b%s\b' % re.escape(macro), text):
            rest = text[m.end():]
            stop = re.search(r'[;(]', rest)
            if not stop:
                problems.append('%s: %s not followed by a declaration' % (path, macro))
                continue
            idents = IDENT.findall(rest[:stop.start()])
            if not idents:
                problems.append('%s: cannot read the declaration after %s: %r'
                                % (path, macro, rest[:60]))
                continue
            name = idents[-1]
            if stop.group() == '(' and name in G_DECLARE:
                args = rest[stop.end():rest.find(')', stop.end())].split(',')
                if len(args) < 2:
                    problems.append('%s: cannot read %s(...)' % (path, name))
                    continue
                name = args[1].strip() + '_get_type'
            if name in names:
                problems.append('%s: %s declared twice (also in %s)' % (path, name, names[name]))
            names[name] = path
    return names, problems


def map_entries(path):
    """(nodes, globals, locals) of a version script; globals keep wildcards."""
    with open(path, encoding='utf-8') as f:
        text = strip_c_comments(f.read())
    text = re.sub(r'#[^\n]*', ' ', text)
    nodes, glob, local = [], [], []
    for m in re.finditer(r'([A-Za-z0-9_.]*)\s*\{(.*?)\}\s*([A-Za-z0-9_.]*)\s*;', text, flags=re.S):
        nodes.append(m.group(1))
        where = glob
        for tok in re.split(r'(global:|local:|;)', m.group(2)):
            tok = tok.strip()
            if tok == 'global:':
                where = glob
            elif tok == 'local:':
                where = local
            elif tok and tok != ';':
                where.append(tok)
    return nodes, glob, local


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if p.returncode != 0:
        raise RuntimeError('%s failed: %s' % (' '.join(cmd), p.stderr.strip()))
    return p.stdout


def dynamic_symbols(lib):
    """{name: version or ''} of the defined dynamic symbols; version nodes left out."""
    syms = {}
    for line in run(['nm', '-D', '--defined-only', lib]).splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        kind, sym = parts[1], parts[2]
        name, _, version = sym.partition('@')
        version = version.lstrip('@')
        if kind == 'A' and (not version or version == name):
            continue        # the version node's own absolute symbol
        syms[name] = version
    return syms


def libc_symbols(lib):
    out = run(['ldd', lib])
    m = re.search(r'libc\.so\.6 => (\S+)', out)
    if not m:
        raise RuntimeError('ldd %s names no libc.so.6' % lib)
    return set(dynamic_symbols(m.group(1)))


def diff_lines(a, b, a_name, b_name):
    lines = ['in %s, not in %s: %s' % (a_name, b_name, s) for s in sorted(a - b)]
    lines += ['in %s, not in %s: %s' % (b_name, a_name, s) for s in sorted(b - a)]
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--lib', required=True)
    ap.add_argument('--soname', required=True)
    ap.add_argument('--map', required=True)
    ap.add_argument('--macro', required=True)
    ap.add_argument('--version-node')
    ap.add_argument('--unversioned', action='store_true')
    ap.add_argument('--libc-names', action='store_true')
    ap.add_argument('headers', nargs='+')
    args = ap.parse_args()

    for tool in ('nm', 'readelf') + (('ldd',) if args.libc_names else ()):
        if not shutil.which(tool):
            print('1..0 # SKIP %s not found (apt-get install binutils)' % tool)
            return 0

    lib = args.lib
    tap = Tap()
    print('1..7')

    dyn = re.search(r'\(SONAME\)\s+Library soname: \[([^\]]*)\]', run(['readelf', '-d', lib]))
    soname = dyn.group(1) if dyn else None
    tap.check(soname == args.soname, 'SONAME of %s is %s' % (lib, args.soname),
              ['readelf -d gives SONAME %r' % soname])

    syms = dynamic_symbols(lib)
    exported = set(syms)
    nodes, glob, local = map_entries(args.map)
    declared, problems = header_names(args.headers, args.macro)
    tap.check(not problems and declared, 'headers declare %d names with %s'
              % (len(declared), args.macro),
              problems or ['no declaration with %s found' % args.macro])
    decl = set(declared)

    patterns = [g for g in glob if any(c in g for c in '*?[')]
    names = set(g for g in glob if g not in patterns)
    if args.libc_names:
        # explicit non-API names: libc functions the library interposes
        libc_names = set(n for n in names if n not in decl)
        try:
            in_libc = libc_symbols(lib)
        except RuntimeError as e:
            in_libc = set()
            problems = [str(e)]
        not_libc = sorted(libc_names - in_libc)
        tap.check(libc_names and not not_libc and not problems,
                  '%d non-API names of the map are libc functions' % len(libc_names),
                  problems + ['not a dynamic symbol of libc: %s' % n for n in not_libc])
        # the map (names and patterns) covers exactly the headers + libc names
        covered = set(s for s in exported | decl
                      if s in names or any(fnmatch.fnmatchcase(s, p) for p in patterns))
        unused = [p for p in patterns if not any(fnmatch.fnmatchcase(d, p) for d in decl)]
        map_lines = ['map leaves out: %s' % s for s in sorted((exported | decl) - covered)]
        map_lines += ['map pattern matches no declared name: %s' % p for p in unused]
        tap.check(not map_lines, 'map %s covers the declared and interposed names' % args.map,
                  map_lines)
        documented = decl | libc_names
        doc_name = 'headers + map libc names'
    else:
        tap.check(not patterns, 'map %s lists names, no wildcards' % args.map,
                  ['wildcard: %s' % p for p in patterns])
        tap.check(names == decl, 'map %s == %s declarations' % (args.map, args.macro),
                  diff_lines(names, decl, 'map', 'headers'))
        documented = decl
        doc_name = 'headers'

    tap.check(exported == documented,
              'defined dynamic symbols of %s == %s (%d)' % (lib, doc_name, len(documented)),
              diff_lines(exported, documented, 'nm -D', doc_name))
    if args.libc_names:
        tap.check(exported == names | decl,
                  'defined dynamic symbols == the names the map exports',
                  diff_lines(exported, names | decl, 'nm -D', 'map'))
    else:
        tap.check(exported == names, 'defined dynamic symbols == map names',
                  diff_lines(exported, names, 'nm -D', 'map'))

    if args.version_node:
        wrong = ['%s has version %r' % (s, v) for s, v in sorted(syms.items())
                 if v != args.version_node]
        tap.check(not wrong and nodes == [args.version_node],
                  'every symbol is NAME@@%s, the map\'s one node' % args.version_node,
                  wrong + (['map nodes: %r' % nodes] if nodes != [args.version_node] else []))
    else:
        wrong = ['%s has version %r' % (s, v) for s, v in sorted(syms.items()) if v]
        tap.check(not wrong and nodes == [''],
                  'no symbol carries a version (an anonymous node interposes on libc)',
                  wrong + (['map nodes: %r' % nodes] if nodes != [''] else []))
    return 1 if tap.failed else 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (OSError, RuntimeError) as e:
        print('Bail out! %s' % e)
        sys.exit(1)
