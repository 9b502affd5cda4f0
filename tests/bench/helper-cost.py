#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What each helper adds to a hand-written ioctl (suite bench, TAP output).

helper-cost (helper-cost.c) runs, for every helper that issues an ioctl and
can run on the mock, N helper calls and N calls of a hand-written raw
ioctl of the same command on the same state, and asks callgrind to dump its
counters after each phase.  Collection is limited to the helper and the raw
function (--toggle-collect, one per name); in each dump, the inclusive cost
of every call to ioctl() (the mock's, preloaded) is subtracted from the
total, so the mock's own work is not counted and what is left is the
user-space instructions of the library (or of the hand-written code),
libc's errno access included.  Per call: (total - ioctl) / N.
Target: helper minus raw at most 30 instructions per call, asserted (a
helper over it fails).  Asserted too: both sides were collected and the mock
did the same work for both (so that the difference means something).  With
--variant, each library build against the one without tracing: at most 4
instructions per trace backend compiled in, asserted for every helper.

usage: helper-cost.py --program PATH --mock LIBIOMMUFD_MOCK_SO [-n N]
                      [--json FILE] [--variant NAME=LIBDIR ...] [-j JOBS]
IOMMUFD_BENCH_QUICK=1 or --quick: N = 20 (default 200).
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TARGET = 30
GATE_TARGET = 4
GATE_BACKENDS = ['log', 'ust', 'dtrace']

# Helpers that issue an ioctl but are not a case, and why.
NOT_MEASURED = [
    ('iommufd_backend_connect', 'opens /dev/iommu (or probes a handed fd once): '
     'not a per-operation helper'),
    ('iommufd_backend_probe', '33 probe ioctls in one call: no single raw ioctl to compare '
     'with (change_process_capable is the one-probe case)'),
    ('iommufd_backend_walk_dirty_bitmap', 'a loop of get_dirty_bitmap over chunks, '
     'calling the caller\'s function: measured through get_dirty_bitmap'),
    ('iommufd_backend_viommu_mmap, _munmap', 'mmap(2)/munmap(2), no ioctl'),
    ('iommufd_vfio_device_open, _open_sysfs', 'open(2) (and a sysfs walk), no ioctl '
     'of iommufd'),
    ('iommufd_vfio_device_attach_pasid, _detach_pasid', 'the same code path as attach / '
     'detach with one more flag; the mock device has no PASID support by default'),
    ('iommufd_veventq_new, iommufd_faultq_new (events.h)', 'allocate and set up a queue '
     'object around alloc_veventq / alloc_faultq (measured)'),
]


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.lines = []

    def comment(self, text=''):
        for line in str(text).splitlines() or ['']:
            self.lines.append(('# ' + line).rstrip())

    def ok(self, cond, desc):
        self.n += 1
        self.lines.append('%s %d - %s' % ('ok' if cond else 'not ok', self.n, desc))
        if not cond:
            self.failed += 1

    def skip(self, desc, reason):
        self.n += 1
        self.lines.append('ok %d - %s # SKIP %s' % (self.n, desc, reason))

    def emit(self):
        print('1..%d' % self.n)
        for line in self.lines:
            print(line)
        sys.stdout.flush()


def parse_dump(path):
    """(description, total Ir, Ir inclusive of calls to ioctl) of one dump."""
    names = {}
    total = None
    desc = ''
    ioctl_ir = 0
    in_ioctl_call = False
    expect_cost = False
    with open(path) as f:
        for line in f:
            line = line.rstrip('\n')
            if expect_cost:
                expect_cost = False
                if in_ioctl_call:
                    parts = line.split()
                    ioctl_ir += int(parts[-1]) if len(parts) >= 2 else 0
                continue
            if line.startswith('desc: Trigger:'):
                desc = line
            elif line.startswith('cfn='):
                m = re.match(r'cfn=\((\d+)\)(?: (.*))?', line)
                if m:
                    if m.group(2) is not None:
                        names[m.group(1)] = m.group(2)
                    in_ioctl_call = names.get(m.group(1)) == 'ioctl'
                else:
                    in_ioctl_call = line[4:] == 'ioctl'
            elif line.startswith('fn='):
                m = re.match(r'fn=\((\d+)\)(?: (.*))?', line)
                if m and m.group(2) is not None:
                    names[m.group(1)] = m.group(2)
                in_ioctl_call = False
            elif line.startswith('calls='):
                expect_cost = True
            elif line.startswith('summary:') or line.startswith('totals:'):
                if total is None or line.startswith('summary:'):
                    total = int(line.split()[1])
    return desc, total or 0, ioctl_ir


def run_variants(tap, opts, env, cases, n, workdir):
    """(a) on the library itself: every helper counted with each library
    build (trace backends compiled in, all disabled), against the nop build
    (tracing compiled out).  One valgrind run per build; the program toggles
    collection around each call (`helper-cost wrap`), so the caller's side
    is counted too, identically in every build, and cancels out."""
    variants = {}
    for spec in opts.variant:
        name, sep, libdir = spec.partition('=')
        if not sep:
            raise SystemExit('--variant takes NAME=LIBDIR')
        variants[name] = os.path.abspath(libdir)
    per = {}
    for name, libdir in variants.items():
        out = os.path.join(workdir, 'wrap.%s.out' % name)
        venv = dict(env)
        venv['LD_LIBRARY_PATH'] = libdir
        cmd = ['valgrind', '--tool=callgrind', '--collect-atstart=no',
               '--callgrind-out-file=' + out, opts.program, 'wrap', str(n)]
        p = subprocess.run(cmd, env=venv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        lib = [l.split(None, 1)[1] for l in p.stdout.splitlines() if l.startswith('library ')]
        desc = 'build %s: every helper counted with %s' % (name, libdir)
        if p.returncode != 0 or not lib or not os.path.realpath(lib[0]).startswith(
                os.path.realpath(libdir) + os.sep):
            tap.ok(False, '%s (exit %d, library loaded: %s)' % (desc, p.returncode,
                                                                  lib[0] if lib else '?'))
            tap.comment(p.stdout[-1000:] + p.stderr[-1000:])
            continue
        figs = {}
        for fname in os.listdir(workdir):
            if fname.startswith('wrap.%s.out' % name):
                d, total, ioctl_ir = parse_dump(os.path.join(workdir, fname))
                m = re.search(r'Client Request: (\S+) lib (\d+)$', d)
                if m:
                    figs[m.group(1)] = (total - ioctl_ir) / int(m.group(2))
        tap.ok(len(figs) == len(cases), '%s (%d of %d helpers)' % (desc, len(figs), len(cases)))
        per[name] = figs
    gates = {}
    if 'nop' not in per:
        tap.comment('no nop build among the variants: no gate cost')
        return None
    names = [c[0] for c in cases if all(c[0] in per[v] for v in per)]
    tap.comment('')
    tap.comment('instructions each library build adds to a helper call against the nop build '
                '(tracing compiled out), the events off:')
    tap.comment('%-24s ' % 'helper' + ' '.join('%8s' % v for v in per if v != 'nop'))
    for c in names:
        tap.comment('%-24s ' % c + ' '.join('%8.1f' % (per[v][c] - per['nop'][c])
                                             for v in per if v != 'nop'))
    for v in per:
        if v == 'nop':
            continue
        added = {c: per[v][c] - per['nop'][c] for c in names}
        worst = max(added, key=lambda c: added[c]) if added else None
        nb = len(GATE_BACKENDS) if v == 'all' else 1
        limit = GATE_TARGET * nb
        gates[v] = {'added': added, 'max': added[worst] if worst else None, 'limit': limit}
        if worst is None:
            continue
        over = sorted(c for c in names if added[c] > limit)
        line = ('%s compiled in and disabled adds at most %d instructions to every helper '
                '(worst: %s, %.1f; mean %.1f)' % (v if v != 'all' else 'log,ust,dtrace', limit,
                                                  worst, added[worst],
                                                  sum(added.values()) / len(added)))
        tap.ok(not over, line + (' (over it: %s)' % ', '.join(over) if over else ''))
    return gates


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--program', required=True)
    ap.add_argument('--mock', required=True, help='libiommufd-mock.so, preloaded')
    ap.add_argument('-n', type=int, default=0, help='calls per phase')
    ap.add_argument('--quick', action='store_true')
    ap.add_argument('--json', help='write the figures there')
    ap.add_argument('--variant', action='append', default=[], metavar='NAME=LIBDIR',
                    help='also count every helper with the libiommufd.so of LIBDIR (a build '
                    'with -Dtrace_backends=NAME; NAME nop, log, ust, dtrace or all): each '
                    'backend\'s cost against nop, target at most %d' % GATE_TARGET)
    ap.add_argument('-j', '--jobs', type=int, default=2, help='valgrind runs at once')
    opts = ap.parse_args(argv)
    quick = opts.quick or os.environ.get('IOMMUFD_BENCH_QUICK', '') not in ('', '0')
    n = opts.n or (20 if quick else 200)
    tap = Tap()

    env = dict(os.environ)
    for k in ('IOMMUFD_TRACE', 'IOMMUFD_TRACE_FILE', 'IOMMUFD_TRACE_TIMESTAMP'):
        env.pop(k, None)
    env['LD_PRELOAD'] = opts.mock

    p = subprocess.run([opts.program, 'list'], stdout=subprocess.PIPE, universal_newlines=True)
    cases = []
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] == 'case':
            cases.append((parts[1], parts[2], parts[3]))
    if p.returncode != 0 or not cases:
        print('1..1\nnot ok 1 - %s list printed no case' % opts.program)
        return 1

    if not shutil.which('valgrind'):
        print('1..0 # SKIP valgrind is not installed (apt-get install valgrind)')
        return 0

    workdir = tempfile.mkdtemp(prefix='iommufd-helper-cost.')
    try:
        # one valgrind run per case, with only its two functions toggled
        # (callgrind 3.19 lost one helper's collection when given all 58
        # --toggle-collect names at once), two at a time
        def run_case(case):
            name, helper, raw = case
            out = os.path.join(workdir, 'callgrind.%s.out' % name)
            cmd = ['valgrind', '--tool=callgrind', '--callgrind-out-file=' + out,
                   '--toggle-collect=' + helper, '--toggle-collect=' + raw,
                   opts.program, 'count', str(n), name]
            p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True)
            fig = {}
            for fname in os.listdir(workdir):
                if fname.startswith('callgrind.%s.out' % name):
                    desc, total, ioctl_ir = parse_dump(os.path.join(workdir, fname))
                    m = re.search(r'Client Request: (\S+) (lib|raw) (\d+)$', desc)
                    if m and m.group(1) == name:
                        fig[m.group(2)] = (total, ioctl_ir, int(m.group(3)))
            status = None
            for line in p.stdout.splitlines():
                parts = line.split(None, 2)
                if len(parts) >= 2 and parts[1] == name and parts[0] in ('ran', 'fail'):
                    status = (parts[0], parts[2] if len(parts) > 2 else '')
            if status is None:
                status = ('fail', 'exit %d, no verdict: %s' % (p.returncode, p.stderr[-800:]))
            return name, status, fig

        with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as ex:
            outcome = {name: (status, fig) for name, status, fig in ex.map(run_case, cases)}

        tap.comment('helpers against hand-written ioctls: %d calls each under callgrind, '
                    'the mock\'s ioctl() left out; target: at most %d more instructions per '
                    'call' % (n, TARGET))
        tap.comment('')
        tap.comment('%-24s %10s %10s %8s %14s' % ('helper', 'helper Ir', 'raw Ir', 'added',
                                                  'mock Ir/call'))
        results = {}
        for name, helper, raw in cases:
            status, f = outcome[name]
            if status[0] == 'ran' and 'lib' in f and 'raw' in f:
                lt, li, ln = f['lib']
                rt, ri, rn = f['raw']
                results[name] = {'helper': helper, 'raw': raw, 'lib_ir': (lt - li) / ln,
                                 'raw_ir': (rt - ri) / rn, 'added': (lt - li) / ln - (rt - ri) / rn,
                                 'mock_ir_lib': li / ln, 'mock_ir_raw': ri / rn}
                r = results[name]
                tap.comment('%-24s %10.1f %10.1f %8.1f %14.0f' % (name, r['lib_ir'], r['raw_ir'],
                                                                  r['added'], r['mock_ir_lib']))
        tap.comment('')
        over = 0
        for name, helper, raw in cases:
            status, f = outcome[name]
            desc = '%s() against %s()' % (helper, raw)
            if name not in results:
                tap.ok(False, '%s: the case could not run: %s' % (desc, status[1]))
                continue
            r = results[name]
            # the comparison means something only if both sides did the same
            # thing in the mock (the same command on the same state) and
            # both were collected
            same = (r['mock_ir_lib'] > 0 and r['lib_ir'] > 0 and r['raw_ir'] > 0 and
                    abs(r['mock_ir_lib'] - r['mock_ir_raw']) <= 0.02 * r['mock_ir_lib'])
            tap.ok(same, '%s: both measured, the mock did the same work (%.0f and %.0f '
                   'instructions per call)' % (desc, r['mock_ir_lib'], r['mock_ir_raw']))
            line = '%s() adds at most %d instructions to %s() (added: %.1f; helper %.1f, raw %.1f)' \
                % (helper, TARGET, raw, r['added'], r['lib_ir'], r['raw_ir'])
            over += r['added'] > TARGET
            tap.ok(r['added'] <= TARGET, line)
        tap.comment('%d of %d helpers over the %d-instruction target' % (over, len(results),
                                                                         TARGET))
        gates = run_variants(tap, opts, env, cases, n, workdir) if opts.variant else None
        tap.comment('not measured (no single ioctl of iommufd, or not a per-operation helper):')
        for h, why in NOT_MEASURED:
            tap.comment('  %s: %s' % (h, why))
        if opts.json:
            with open(opts.json, 'w') as f:
                json.dump({'n': n, 'target': TARGET, 'results': results,
                           'not_measured': NOT_MEASURED, 'gates': gates}, f, indent=1)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    tap.emit()
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
