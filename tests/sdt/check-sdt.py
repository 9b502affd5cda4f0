#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""SystemTap SDT: every event of the given trace-events files has its
stapsdt note in BINARY (provider iommufd, a semaphore, one operand per
argument with the argument's size and signedness); `disable` events have
none.  Output is TAP.

usage: check-sdt.py BINARY TRACE-EVENTS...
"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'scripts'))
from tracetool.parser import parse_files  # noqa: E402

# (size in bytes, signed) of each argument type on x86_64
SIZES = {
    'bool': (1, False), 'char': (1, True), 'signed char': (1, True), 'int8_t': (1, True),
    'unsigned char': (1, False), 'uint8_t': (1, False),
    'short': (2, True), 'short int': (2, True), 'int16_t': (2, True),
    'unsigned short': (2, False), 'unsigned short int': (2, False), 'uint16_t': (2, False),
    'int': (4, True), 'signed': (4, True), 'signed int': (4, True), 'int32_t': (4, True),
    'unsigned': (4, False), 'unsigned int': (4, False), 'uint32_t': (4, False),
}


def arg_shape(t):
    if t.name in SIZES:
        return SIZES[t.name]
    if t.kind in ('str', 'ptr') and t.width is None:
        return (8, False)
    return (8, t.signed)


def read_notes(binary):
    out = subprocess.run(['readelf', '-n', '--wide', binary], capture_output=True,
                         text=True, check=True).stdout
    notes = []
    cur = None
    for line in out.splitlines():
        line = line.strip()
        if line.startswith('stapsdt') and 'NT_STAPSDT' in line:
            cur = {}
            notes.append(cur)
        if cur is not None:
            # (readelf --wide puts Provider on the note's first line)
            m = re.search(r'\b(Provider|Name|Arguments):\s*(.*)$', line)
            if m:
                cur[m.group(1)] = m.group(2).strip()
            m = re.search(r'Semaphore:\s*(0x[0-9a-fA-F]+)', line)
            if m:
                cur['Semaphore'] = int(m.group(1), 16)
    return notes


def main(argv):
    if len(argv) < 3:
        print('usage: check-sdt.py BINARY TRACE-EVENTS...', file=sys.stderr)
        return 2
    if not shutil.which('readelf'):
        print('1..0 # SKIP readelf is not installed (apt-get install binutils)')
        return 0
    binary = argv[1]
    events = [ev for g in parse_files(argv[2:]) for ev in g]
    notes = read_notes(binary)
    by_name = {}
    for n in notes:
        if n.get('Provider') == 'iommufd':
            by_name.setdefault(n.get('Name'), []).append(n)

    print('1..%d' % (len(events) + 1))
    fails = 0
    num = 0
    for ev in events:
        num += 1
        found = by_name.pop(ev.name, [])
        if ev.disabled:
            ok = not found
            why = '%d note(s) for a disable event' % len(found)
            print('%s %d - %s: disable event has no probe' % ('ok' if ok else 'not ok', num, ev.name))
        else:
            why = []
            if len(found) != 1:
                why.append('%d notes, want 1' % len(found))
            for n in found:
                if not n.get('Semaphore'):
                    why.append('no semaphore')
                ops = n.get('Arguments', '').split()
                if len(ops) != len(ev.args):
                    why.append('%d operands, want %d' % (len(ops), len(ev.args)))
                for op, a in zip(ops, ev.args):
                    size, signed = arg_shape(a.type)
                    want = '%s%d@' % ('-' if signed else '', size)
                    if not op.startswith(want):
                        why.append("operand '%s' of %s %s: want %s..." % (op, a.type.name, a.name, want))
            ok = not why
            print('%s %d - %s: probe with semaphore and %d operand(s)' %
                  ('ok' if ok else 'not ok', num, ev.name, len(ev.args)))
            why = '; '.join(why)
        if not ok:
            fails += 1
            print('# ' + why)
    num += 1
    ok = not by_name
    print('%s %d - no iommufd probe without an event%s' %
          ('ok' if ok else 'not ok', num, '' if ok else ': ' + ', '.join(sorted(by_name))))
    fails += 0 if ok else 1
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
