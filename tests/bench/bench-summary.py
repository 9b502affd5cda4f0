#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The summary table of scripts/bench, from the TAP and JSON it kept.

usage: bench-summary.py RESULTS_DIR [--markdown]
"""

import json
import os
import re
import statistics
import sys


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def kv(text):
    out = {}
    for line in (text or '').splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            out[parts[0]] = parts[1].strip()
    return out


def main(argv):
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    res = argv[0]
    md = '--markdown' in argv[1:]
    rows = []       # (benchmark, figure, value, target, verdict)

    def row(bench, figure, value, target='', verdict=''):
        rows.append((bench, figure, value, target, verdict))

    # gate-cost: the helper-shaped function, per backend
    tap = read(os.path.join(res, 'gate-cost.tap'))
    if tap:
        for m in re.finditer(r'^(ok|not ok) \d+ - (\S+) gates? (?:together )?adds? at most (\d+) '
                             r'instructions per helper call \(added: ([\d.]+)\)', tap, re.M):
            row('gate-cost', 'gate, %s compiled in, event off (Ir/call)' % m.group(2),
                m.group(4), '<= ' + m.group(3), m.group(1))
        m = re.search(r'enabled log event: instructions per event \(callgrind\): (\d+)', tap)
        if m:
            row('gate-cost', 'enabled log event (Ir/event)', m.group(1))
        m = re.search(r'enabled log event: median ns per event: ([\d.]+)', tap)
        if m:
            row('gate-cost', 'enabled log event (ns/event, median)', m.group(1))
        m = re.search(r'enabled LTTng event: median ns per event: ([\d.]+)', tap)
        if m:
            row('gate-cost', 'enabled LTTng event (ns/event, median)', m.group(1))

    # helper-cost: (b) against raw ioctls, (a) per library build
    hc = read(os.path.join(res, 'helper-cost.json'))
    if hc:
        hc = json.loads(hc)
        r = hc['results']
        if r:
            added = sorted(v['added'] for v in r.values())
            over = sum(1 for v in added if v > hc['target'])
            row('helper-cost', 'helper - raw ioctl, %d helpers: min / median / max (Ir/call)'
                % len(added), '%.0f / %.0f / %.0f' % (added[0], statistics.median(added),
                                                     added[-1]),
                '<= %d' % hc['target'],
                'ok' if not over else 'FAIL: %d over' % over)
            worst = max(r, key=lambda k: r[k]['added'])
            best = min(r, key=lambda k: r[k]['added'])
            row('helper-cost', 'cheapest: %s (Ir/call over raw)' % best,
                '%.0f' % r[best]['added'])
            row('helper-cost', 'dearest: %s (Ir/call over raw)' % worst,
                '%.0f' % r[worst]['added'])
        for v, g in (hc.get('gates') or {}).items():
            if g.get('max') is None:
                continue
            vals = list(g['added'].values())
            over = sum(1 for x in vals if x > g['limit'])
            row('helper-cost', 'library, %s compiled in vs out: mean / max over helpers (Ir/call)'
                % ('log,ust,dtrace' if v == 'all' else v),
                '%.1f / %.0f' % (sum(vals) / len(vals), g['max']), '<= %d' % g['limit'],
                'ok' if not over else 'FAIL: %d over' % over)

    # mock-map
    tap = read(os.path.join(res, 'mock-map.tap'))
    if tap:
        for m in re.finditer(r'^ok \d+ - map\+unmap with (\d+) live mappings: median (\d+) ns',
                             tap, re.M):
            row('mock-map', 'map+unmap, %s live mappings (ns/pair, median)' % m.group(1),
                m.group(2))
        m = re.search(r'^(ok|not ok) \d+ - ratio (\S+): ([\d.]+)', tap, re.M)
        if m:
            row('mock-map', 'ratio %s' % m.group(2), m.group(3), '<= 10', m.group(1))

    # events-bench, mock and VM
    for name, where in (('events-bench.tap', 'mock'), ('vm-events-bench.tap', 'VM')):
        tap = read(os.path.join(res, name))
        if tap:
            m = re.search(r'records per second: batched (\d+), one per read (\d+), ratio ([\d.]+)',
                          tap)
            if m:
                row('events-bench', '%s: batched / one per read (records/s)' % where,
                    '%s / %s' % (m.group(1), m.group(2)))
                row('events-bench', '%s: ratio batched / one per read' % where, m.group(3))
            fails = len(re.findall(r'^not ok', tap, re.M))
            if fails:
                row('events-bench', '%s: failed checks' % where, str(fails), '0', 'not ok')

    # the VM: helper loops against raw loops
    vmkv = kv(read(os.path.join(res, 'vm-helper-cost.txt')))
    for loop, label in (('ioas_alloc_destroy', 'IOAS alloc+destroy'),
                        ('map_unmap_4k', 'map+unmap 4 KiB')):
        if loop + '_ratio' in vmkv:
            row('vm-helper-cost', '%s: helper / raw (ns/op, median)' % label,
                '%s / %s' % (vmkv[loop + '_lib_ns'], vmkv[loop + '_raw_ns']))
            row('vm-helper-cost', '%s: ratio helper / raw' % label, vmkv[loop + '_ratio'])

    machine = kv(read(os.path.join(res, 'machine.txt')))
    steps = []
    for line in (read(os.path.join(res, 'steps.tsv')) or '').splitlines():
        p = line.split('\t')
        if len(p) == 3:
            steps.append(p)

    print('Machine: %s, %s cores, %s; %s; %s; load %s; %s run' % (
        machine.get('cpu', '?'), machine.get('cores', '?'), machine.get('kernel', '?'),
        machine.get('gcc', '?') and 'gcc ' + machine.get('gcc', '?'),
        machine.get('valgrind', '?'), machine.get('load', '?'), machine.get('mode', '?')))
    print('Date: %s' % machine.get('date', '?'))
    print()
    head = ('benchmark', 'figure', 'value', 'target', 'result')
    if md:
        print('| ' + ' | '.join(head) + ' |')
        print('|---|---|---:|---|---|')
        for r in rows:
            print('| ' + ' | '.join(r) + ' |')
    else:
        w = [max(len(x[i]) for x in rows + [head]) for i in range(5)]
        fmt = '%%-%ds  %%-%ds  %%%ds  %%-%ds  %%s' % tuple(w[:4])
        print(fmt % head)
        for r in rows:
            print(fmt % r)
    print()
    print('steps: ' + ', '.join('%s %s (%ss)' % (s[0], s[1], s[2]) for s in steps))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
