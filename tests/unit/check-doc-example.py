#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The QEMU-style call site in docs/porting-from-qemu.md is the code that
tests/unit/test-qemu-compat.c compiles and runs: the text between the
"--- begin example" and "--- end example" markers of the test must be the
first ```c block of the doc that follows the "compiled unchanged" heading,
line for line.  TAP output.

    check-doc-example.py TEST.c DOC.md
"""
import sys

test_c, doc_md = sys.argv[1:3]
src = open(test_c).read().splitlines()
begin = next(i for i, l in enumerate(src) if '--- begin example' in l)
end = next(i for i, l in enumerate(src) if '--- end example' in l)
example = src[begin + 1:end]

doc = open(doc_md).read().splitlines()
block = None
after = next((i for i, l in enumerate(doc) if l.startswith('#') and 'compiled unchanged' in l),
             None)
if after is not None:
    start = next((i for i in range(after, len(doc)) if doc[i].strip() == '```c'), None)
    if start is not None:
        stop = next(i for i in range(start + 1, len(doc)) if doc[i].strip() == '```')
        block = doc[start + 1:stop]

print('1..2')
print('%s 1 - the doc has a heading "... compiled unchanged ..." with a C block after it'
      % ('ok' if block is not None else 'not ok'))
same = block == example
print('%s 2 - the block is the example of %s (%d lines)'
      % ('ok' if same else 'not ok', test_c.split('/')[-1], len(example)))
if block is not None and not same:
    import difflib
    for l in difflib.unified_diff(example, block, 'test-qemu-compat.c', 'doc', lineterm=''):
        print('# ' + l)
