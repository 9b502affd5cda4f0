#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The project's ABI declarations against Linux 6.12's own uapi headers.

Every struct of 6.12's <linux/iommufd.h> (and every struct of its
<linux/vfio.h> that include/uapi/linux/vfio.h also declares) must exist in
ours with each 6.12 member at the same offset with the same size, and our
struct equal to or larger than 6.12's (it may extend it); every enumerator
and IOMMU_* / VFIO_DEVICE_* macro of 6.12's iommufd.h must have the same value.
The headers come from Debian's linux-source-6.12 via `make headers_install`
(scripts/kernel-headers prepares them in the user's cache).  TAP output.

usage: check-headers-6.12.py SOURCE_ROOT CC
"""
import os
import re
import subprocess
import sys
import tempfile

root, cc = sys.argv[1], sys.argv[2]


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    return re.sub(r'//[^\n]*', ' ', text)


def structs(text):
    """{name: [(member, is_flexible_array)]} for every `struct NAME { ... };`.
    Members of anonymous nested unions/structs are reachable by their own
    names and are listed; a named nested aggregate is listed by its name."""
    text = re.sub(r'^\s*#[^\n]*', ' ', strip_comments(text), flags=re.M)
    out = {}
    for m in re.finditer(r'\bstruct\s+(\w+)\s*\{', text):
        name, i, depth = m.group(1), m.end(), 1
        body_start = i
        while depth:
            if text[i] == '{':
                depth += 1
            elif text[i] == '}':
                depth -= 1
            i += 1
        body = text[body_start:i - 1]
        members = []
        # walk the body statement by statement, tracking nesting
        level, stmt, skip_named = 0, '', []
        for ch in body:
            if ch == '{':
                level += 1
                stmt = ''
            elif ch == '}':
                level -= 1
                stmt = ''
                skip_named.append(level)
            elif ch == ';':
                s = stmt.strip()
                stmt = ''
                if not s:
                    if skip_named:
                        skip_named.pop()
                    continue
                if skip_named and re.fullmatch(r'\w+', s):
                    # `} name;` closes a named nested aggregate: list the name
                    skip_named.pop()
                    members = [mm for mm in members if mm[2] <= level]
                    members.append((s, False, level))
                    continue
                if skip_named:
                    skip_named.pop()
                mm = re.search(r'(\w+)\s*(\[[^\]]*\])?\s*(__attribute__.*)?$', s)
                if mm and not s.startswith('#'):
                    members.append((mm.group(1), mm.group(2) == '[]', level))
            else:
                stmt += ch
        if name not in out:
            out[name] = [(n, flex) for n, flex, _ in members]
    return out


def constants(text):
    text = strip_comments(text)
    names = []
    for body in re.findall(r'\benum\s+\w*\s*\{(.*?)\}', text, flags=re.S):
        for item in body.split(','):
            mm = re.match(r'\s*([A-Za-z_]\w*)', item)
            if mm:
                names.append(mm.group(1))
    names += re.findall(r'^\s*#\s*define\s+((?:IOMMU|IOMMUFD|VFIO_DEVICE)_\w+)\s+\S', text, flags=re.M)
    return list(dict.fromkeys(names))


def main():
    try:
        hdr = subprocess.run([os.path.join(root, 'scripts', 'kernel-headers'), '--cached'],
                             capture_output=True, text=True).stdout.strip()
    except OSError:
        hdr = ''
    if not hdr or not os.path.isfile(os.path.join(hdr, 'include/linux/iommufd.h')):
        print('1..0 # SKIP Linux 6.12 uapi headers are not prepared (scripts/kernel-headers '
              'installs linux-source-6.12 and runs make headers_install)')
        return 0
    kinc = os.path.join(hdr, 'include')
    k_iommufd = open(os.path.join(kinc, 'linux/iommufd.h')).read()
    k_vfio = open(os.path.join(kinc, 'linux/vfio.h')).read()
    ours_vfio = open(os.path.join(root, 'include/uapi/linux/vfio.h')).read()

    checks = dict(structs(k_iommufd))
    ours_vfio_structs = structs(ours_vfio)
    for name, members in structs(k_vfio).items():
        if name in ours_vfio_structs:
            checks[name] = members
    consts = constants(k_iommufd)

    def program():
        lines = ['#include <stdio.h>', '#include <stddef.h>', '#ifdef THEIRS',
                 '#include <linux/iommufd.h>', '#include <linux/vfio.h>', '#else',
                 '#include "uapi/linux/iommufd.h"', '#include "uapi/linux/vfio.h"', '#endif',
                 '#define SZ(s, m) sizeof(((struct s *)0)->m)', 'int main(void)', '{']
        for s, members in checks.items():
            lines.append(f'    printf("struct {s} sizeof %zu\\n", sizeof(struct {s}));')
            for m, flex in members:
                size = '0' if flex else f'SZ({s}, {m})'
                lines.append(f'    printf("struct {s} {m} %zu %zu\\n", offsetof(struct {s}, {m}), '
                             f'(size_t){size});')
        for c in consts:
            lines.append(f'    printf("const {c} %llu\\n", (unsigned long long)({c}));')
        lines += ['    return 0;', '}']
        return '\n'.join(lines) + '\n'

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'layout.c')
        open(src, 'w').write(program())
        outputs = {}
        for side, flags in (('theirs', ['-DTHEIRS', '-I', kinc]),
                            ('ours', ['-I', os.path.join(root, 'include'), '-I', root])):
            exe = os.path.join(tmp, side)
            cp = subprocess.run([cc, '-std=gnu11', '-w', *flags, '-o', exe, src],
                                capture_output=True, text=True)
            if cp.returncode:
                print('1..1')
                print(f'not ok 1 - the layout program does not compile against {side} headers')
                for line in cp.stderr.splitlines()[:40]:
                    print('# ' + line)
                return 1
            outputs[side] = subprocess.run([exe], capture_output=True, text=True,
                                           check=True).stdout.splitlines()

    def table(lines):
        t = {}
        for line in lines:
            parts = line.split()
            t[tuple(parts[:-2] if parts[0] == 'struct' and parts[2] != 'sizeof' else parts[:-1])] = parts
        return t

    theirs, ours = table(outputs['theirs']), table(outputs['ours'])
    for s, members in checks.items():
        problems = []
        tsize = int(theirs[('struct', s, 'sizeof')][-1])
        osize = int(ours[('struct', s, 'sizeof')][-1])
        if osize < tsize:
            problems.append(f'sizeof {osize} < 6.12\'s {tsize}')
        for m, _ in members:
            t, o = theirs[('struct', s, m)][-2:], ours[('struct', s, m)][-2:]
            if t != o:
                problems.append(f'{m}: ours at {o[0]} size {o[1]}, 6.12 at {t[0]} size {t[1]}')
        results.append((not problems,
                        f'struct {s}: {len(members)} members at 6.12\'s offsets, sizeof {osize} '
                        f'(6.12: {tsize})' if not problems else f'struct {s}: ' + '; '.join(problems)))
    bad = [f'{c} = {ours[("const", c)][-1]}, 6.12: {theirs[("const", c)][-1]}'
           for c in consts if ours[('const', c)][-1] != theirs[('const', c)][-1]]
    results.append((not bad, f'{len(consts)} enumerators and ioctl macros equal to 6.12\'s'
                    if not bad else 'values differ: ' + '; '.join(bad)))

    print(f'1..{len(results)}')
    for i, (ok, msg) in enumerate(results, 1):
        print(f'{"ok" if ok else "not ok"} {i} - {msg}')
    return 0 if all(ok for ok, _ in results) else 1


sys.exit(main())
