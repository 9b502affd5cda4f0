#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The C code of docs/user-guide.md is the tested program docs/examples/vmm-walk.c.

The program marks excerpts with "/* --- guide: NAME --- */" ... "/* --- end
guide --- */".  In the guide, every ```c block must follow a line
"<!-- vmm-walk.c: NAME -->" and be that excerpt line for line; every excerpt
of the program must be shown, once, in the program's order.  A ```c block
without a marker fails: the guide shows no untested C.  TAP output.

    check-guide-code.py GUIDE.md PROGRAM.c
"""
import re
import sys

guide_md, program_c = sys.argv[1:3]

BEGIN = re.compile(r'^/\* --- guide: ([a-z0-9_-]+) --- \*/$')
END = '/* --- end guide --- */'
MARK = re.compile(r'^<!-- vmm-walk\.c: ([a-z0-9_-]+) -->$')

results = []


def check(ok, what, detail=()):
    results.append((ok, what, list(detail)))


# the program's excerpts, in order
src = open(program_c).read().splitlines()
excerpts = {}
order = []
name = None
problems = []
for n, line in enumerate(src, 1):
    m = BEGIN.match(line.strip())
    if m:
        if name:
            problems.append('%s:%d: "guide: %s" inside "%s"' % (program_c, n, m.group(1), name))
        name = m.group(1)
        if name in excerpts:
            problems.append('%s:%d: excerpt "%s" twice' % (program_c, n, name))
        excerpts[name] = []
        order.append(name)
    elif line.strip() == END:
        if not name:
            problems.append('%s:%d: "end guide" without a start' % (program_c, n))
        name = None
    elif name:
        excerpts[name].append(line)
if name:
    problems.append('%s: excerpt "%s" not closed' % (program_c, name))
check(not problems and len(order) > 0,
      'vmm-walk.c has %d well-formed excerpts' % len(order), problems)

# the guide's C blocks
doc = open(guide_md).read().splitlines()
blocks = []          # (marker name or None, line number, lines)
i = 0
while i < len(doc):
    if doc[i].strip() == '```c':
        j = i - 1
        while j >= 0 and not doc[j].strip():
            j -= 1
        m = MARK.match(doc[j].strip()) if j >= 0 else None
        k = i + 1
        while k < len(doc) and doc[k].strip() != '```':
            k += 1
        blocks.append((m.group(1) if m else None, i + 1, doc[i + 1:k]))
        i = k + 1
    else:
        i += 1

unmarked = ['%s:%d: a ```c block without "<!-- vmm-walk.c: NAME -->" before it' % (guide_md, ln)
            for nm, ln, _ in blocks if nm is None]
check(not unmarked, 'every C block of the guide names its excerpt (%d blocks)' % len(blocks),
      unmarked)

for nm, ln, lines in blocks:
    if nm is None:
        continue
    if nm not in excerpts:
        check(False, 'guide line %d: excerpt "%s" exists in vmm-walk.c' % (ln, nm))
        continue
    same = lines == excerpts[nm]
    detail = []
    if not same:
        import difflib
        detail = list(difflib.unified_diff(excerpts[nm], lines, 'vmm-walk.c:' + nm,
                                           'guide:%d' % ln, lineterm=''))
    check(same, 'guide line %d shows excerpt "%s" exactly (%d lines)' % (ln, nm, len(lines)),
          detail)

shown = [nm for nm, _, _ in blocks if nm]
missing = [nm for nm in order if nm not in shown]
check(not missing, 'every excerpt of vmm-walk.c is in the guide',
      ['not shown: ' + m for m in missing])
dups = sorted({nm for nm in shown if shown.count(nm) > 1})
check(not dups, 'no excerpt is shown twice', ['twice: ' + d for d in dups])
check([nm for nm in shown if nm in excerpts] == [nm for nm in order if nm in shown],
      'the guide shows the excerpts in the program\'s order',
      ['guide: ' + ' '.join(shown), 'program: ' + ' '.join(order)])

print('1..%d' % len(results))
for n, (ok, what, detail) in enumerate(results, 1):
    print('%s %d - %s' % ('ok' if ok else 'not ok', n, what))
    for d in (detail if not ok else []):
        print('# ' + d)
