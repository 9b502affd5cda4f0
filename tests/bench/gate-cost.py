#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What tracing costs: the trace gate benchmark (suite bench, TAP output).

1. Under `valgrind --tool=callgrind --toggle-collect=bench_map`, each variant of
   gate-bench (one per set of compiled-in backends) calls its helper N1 and N2
   times with the event off; (Ir(N2) - Ir(N1)) / (N2 - N1) is what one call
   costs, fixed costs cancelled.  A backend's cost is its variant's minus the
   nop variant's.  Target: at most 4 instructions per compiled-in backend,
   12 for log,ust,dtrace together.  Callgrind's counts are deterministic, so
   these are asserted.
2. An enabled log event (sink that does nothing): instructions per event
   (callgrind) and the median of RUNS timed runs of N events (ns).
3. An enabled LTTng-UST event, recorded by a private session daemon to disk:
   median ns per event.
Timings are reported and checked to be sane, never compared with a target.

usage: gate-cost.py --program VARIANT=PATH... [--ust-provider SO]
                    [--lttng-session SH] [--quick] [--disassemble]
IOMMUFD_BENCH_QUICK=1 is --quick: fewer timed events (for iteration).
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

BACKENDS = ['log', 'ust', 'dtrace']
VARIANTS = ['nop', 'log', 'ust', 'dtrace', 'all']
VARIANT_BACKENDS = {'nop': 'nop', 'log': 'log', 'ust': 'ust', 'dtrace': 'dtrace',
                    'all': 'log,ust,dtrace'}
TARGET_PER_BACKEND = 4
HELPER = 'bench_map'
HELPER_REFD = 'bench_map_refd'
N1, N2 = 1000, 11000

# What could switch an event on, or change what the process executes.
SCRUB_ENV = ('IOMMUFD_TRACE', 'IOMMUFD_TRACE_FILE', 'IOMMUFD_TRACE_TIMESTAMP', 'LD_PRELOAD',
             'MALLOC_PERTURB_', 'MALLOC_CHECK_', 'LTTNG_UST_REGISTER_TIMEOUT')


class Tap:
    def __init__(self, plan):
        self.n = 0
        self.failed = 0
        print('1..%d' % plan, flush=True)

    def comment(self, text=''):
        for line in str(text).splitlines() or ['']:
            print(('# ' + line).rstrip(), flush=True)

    def ok(self, cond, desc):
        self.n += 1
        if cond:
            print('ok %d - %s' % (self.n, desc), flush=True)
        else:
            self.failed += 1
            print('not ok %d - %s' % (self.n, desc), flush=True)

    def skip(self, desc, reason):
        self.n += 1
        print('ok %d - %s # SKIP %s' % (self.n, desc, reason), flush=True)


def clean_env():
    env = dict(os.environ)
    for k in SCRUB_ENV:
        env.pop(k, None)
    return env


def parse_kv(text):
    """'key value' lines -> {key: [values]}"""
    out = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            out.setdefault(parts[0], []).append(parts[1].strip())
    return out


class BenchError(Exception):
    pass


def callgrind_ir(prog, fn, args, workdir, tag):
    """Instructions executed inside fn (callees included) in one run."""
    out = os.path.join(workdir, 'callgrind.%s.out' % tag)
    cmd = ['valgrind', '--tool=callgrind', '--toggle-collect=' + fn,
           '--callgrind-out-file=' + out, prog] + args
    p = subprocess.run(cmd, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if p.returncode != 0:
        raise BenchError('%s exited with %d:\n%s%s' % (' '.join(cmd), p.returncode, p.stdout,
                                                      p.stderr[-2000:]))
    with open(out) as f:
        text = f.read()
    m = re.search(r'^summary:\s+(\d+)', text, re.M) or re.search(r'^totals:\s+(\d+)', text, re.M)
    if not m:
        raise BenchError('no summary: or totals: line in %s' % out)
    return int(m.group(1)), parse_kv(p.stdout)


def ir_per_call(prog, fn, extra, workdir, tag):
    a, _ = callgrind_ir(prog, fn, extra + ['gate', str(N1)], workdir, tag + '.n1')
    b, kv = callgrind_ir(prog, fn, extra + ['gate', str(N2)], workdir, tag + '.n2')
    return (b - a) / (N2 - N1), kv


def run_timed(cmd, env=None):
    p = subprocess.run(cmd, env=env if env is not None else clean_env(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode != 0:
        raise BenchError('%s exited with %d:\n%s%s' % (' '.join(cmd), p.returncode, p.stdout,
                                                      p.stderr[-2000:]))
    kv = parse_kv(p.stdout)
    if 'median_ns_per_call' not in kv:
        raise BenchError('%s printed no median:\n%s' % (' '.join(cmd), p.stdout))
    return float(kv['median_ns_per_call'][-1]), kv


def fmt(x):
    return ('%d' % x) if x == int(x) else ('%.2f' % x)


def disassemble(tap, prog, fn):
    if not shutil.which('objdump'):
        tap.comment('objdump is not installed: no disassembly')
        return
    p = subprocess.run(['objdump', '-d', '--no-show-raw-insn', prog], stdout=subprocess.PIPE,
                       universal_newlines=True)
    keep = False
    for line in p.stdout.splitlines():
        if re.match(r'^[0-9a-f]+ <(%s|%s\.cold)>:' % (re.escape(fn), re.escape(fn)), line):
            keep = True
        elif not line.strip():
            keep = False
        if keep:
            tap.comment('  ' + line)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--program', action='append', default=[], metavar='VARIANT=PATH',
                    help='gate-bench built for VARIANT (nop, log, ust, dtrace, all)')
    ap.add_argument('--ust-provider', help='the benchmark events\' LTTng-UST provider')
    ap.add_argument('--lttng-session', help='tests/lttng/lttng-session.sh')
    ap.add_argument('--quick', action='store_true',
                    help='fewer timed events (also IOMMUFD_BENCH_QUICK=1)')
    ap.add_argument('--disassemble', action='store_true',
                    help='print each variant\'s helper as TAP comments (needs objdump)')
    opts = ap.parse_args(argv)
    quick = opts.quick or os.environ.get('IOMMUFD_BENCH_QUICK', '') not in ('', '0')
    runs, events = (5, 20000) if quick else (11, 100000)

    progs = {}
    for spec in opts.program:
        name, sep, path = spec.partition('=')
        if not sep or name not in VARIANTS:
            ap.error('--program takes VARIANT=PATH with VARIANT one of %s' % ', '.join(VARIANTS))
        progs[name] = path

    tap = Tap(len(VARIANTS) + len(BACKENDS) + 1 + 3)
    tap.comment('trace gate benchmark%s: helper %s() and %s() called %d and %d times under '
                'callgrind; timings: median of %d runs of %d events'
                % (' (quick)' if quick else '', HELPER, HELPER_REFD, N1, N2, runs, events))
    workdir = tempfile.mkdtemp(prefix='iommufd-bench.')
    try:
        run_all(tap, opts, progs, runs, events, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if tap.failed else 0


def run_all(tap, opts, progs, runs, events, workdir):
    have_valgrind = shutil.which('valgrind') is not None
    no_valgrind = 'valgrind is not installed (apt-get install valgrind)'

    # 1. instructions per helper call, event off
    cost = {}
    cost_refd = {}
    for v in VARIANTS:
        desc = '%s (%s): the helper runs under callgrind with the event off' % (
            v, VARIANT_BACKENDS[v])
        if v not in progs:
            tap.skip(desc, 'variant not built (its backend\'s headers were not found)')
            continue
        if not have_valgrind:
            tap.skip(desc, no_valgrind)
            continue
        try:
            cost[v], kv = ir_per_call(progs[v], HELPER, [], workdir, v)
            cost_refd[v], _ = ir_per_call(progs[v], HELPER_REFD, ['--refd'], workdir, v + '.refd')
            tap.ok(kv.get('enabled') == ['0'], desc)
            tap.comment('  %s: %s instructions per call, %s with be->fd read again'
                        % (v, fmt(cost[v]), fmt(cost_refd[v])))
        except BenchError as e:
            tap.ok(False, desc)
            tap.comment(str(e))
        if opts.disassemble:
            disassemble(tap, progs[v], HELPER)

    if 'nop' in cost:
        tap.comment('')
        tap.comment('%-8s %-16s %12s %8s %14s %8s' % ('variant', 'backends', 'Ir/call', 'added',
                                                   'Ir/call refd', 'added'))
        for v in VARIANTS:
            if v in cost:
                tap.comment('%-8s %-16s %12s %8s %14s %8s'
                            % (v, VARIANT_BACKENDS[v], fmt(cost[v]), fmt(cost[v] - cost['nop']),
                               fmt(cost_refd[v]), fmt(cost_refd[v] - cost_refd['nop'])))
        tap.comment('')

    # 2. per backend, and all three together, against the target
    for b in BACKENDS:
        desc = '%s gate adds at most %d instructions per helper call' % (b, TARGET_PER_BACKEND)
        if b not in cost or 'nop' not in cost:
            tap.skip(desc, no_valgrind if not have_valgrind else 'not measured')
            continue
        added = cost[b] - cost['nop']
        tap.ok(added <= TARGET_PER_BACKEND, '%s (added: %s)' % (desc, fmt(added)))
    desc = 'log,ust,dtrace gates together add at most %d instructions per helper call' % (
        TARGET_PER_BACKEND * len(BACKENDS))
    if 'all' in cost and 'nop' in cost:
        added = cost['all'] - cost['nop']
        tap.ok(added <= TARGET_PER_BACKEND * len(BACKENDS), '%s (added: %s)' % (desc, fmt(added)))
    else:
        tap.skip(desc, no_valgrind if not have_valgrind else 'not measured')

    # 3. an enabled log event: instructions, then time
    desc = 'enabled log event: instructions per event (callgrind)'
    if 'log' not in progs:
        tap.skip(desc, 'log variant not built')
    elif not have_valgrind:
        tap.skip(desc, no_valgrind)
    else:
        try:
            on, kv = ir_per_call(progs['log'], HELPER, ['--log'], workdir, 'log-on')
            event = on - cost['log']
            tap.ok(kv.get('enabled') == ['1'] and event > 100,
                   '%s: %s (helper with the event on: %s, off: %s)'
                   % (desc, fmt(event), fmt(on), fmt(cost['log'])))
        except (BenchError, KeyError) as e:
            tap.ok(False, desc)
            tap.comment(str(e))

    desc = 'enabled log event: median ns per event'
    if 'log' not in progs:
        tap.skip(desc, 'log variant not built')
    else:
        try:
            off, _ = run_timed([progs['log'], 'time', str(runs), str(events)])
            on, kv = run_timed([progs['log'], '--log', 'time', str(runs), str(events)])
            tap.comment('log variant, runs (ns per helper call with the event on): %s'
                        % ' '.join(kv['run_ns_per_call']))
            tap.ok(on > 0 and on > off,
                   '%s: %.1f (helper with the event on: %.1f, off: %.1f)'
                   % (desc, on - off, on, off))
        except BenchError as e:
            tap.ok(False, desc)
            tap.comment(str(e))

    # 4. an enabled LTTng-UST event
    desc = 'enabled LTTng event: median ns per event'
    lttng_bench = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lttng-bench.sh')
    if 'ust' not in progs or not opts.ust_provider:
        tap.skip(desc, 'LTTng-UST variant not built (apt-get install liblttng-ust-dev)')
    elif not opts.lttng_session:
        tap.skip(desc, 'no --lttng-session script given')
    elif not shutil.which('bash'):
        tap.skip(desc, 'bash is not installed')
    else:
        try:
            off, _ = run_timed([progs['ust'], 'time', str(runs), str(events)])
            p = subprocess.run(['bash', lttng_bench, opts.lttng_session, progs['ust'],
                                opts.ust_provider, str(runs), str(events)],
                               env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True)
            for line in p.stdout.splitlines():
                if line.startswith('#'):
                    tap.comment(line.lstrip('# '))
            kv = parse_kv(p.stdout)
            if p.returncode == 77:
                tap.skip(desc, (kv.get('skip:') or ['LTTng cannot run here'])[0])
            elif p.returncode != 0 or 'median_ns_per_call' not in kv:
                tap.ok(False, desc)
                tap.comment(p.stdout)
            else:
                on = float(kv['median_ns_per_call'][-1])
                calls = int(kv['calls'][-1])
                tap.comment('ust variant, runs (ns per helper call with the event on): %s'
                            % ' '.join(kv['run_ns_per_call']))
                if 'recorded' in kv:
                    tap.comment('events in the trace: %s of %d fired (discarded-event '
                                'messages: %s)' % (kv['recorded'][-1], calls,
                                                   (kv.get('discarded_event_messages')
                                                    or ['?'])[-1]))
                sane = kv.get('enabled') == ['1'] and on > 0 and on > off
                if 'recorded' in kv:
                    sane = sane and int(kv['recorded'][-1]) > 0
                tap.ok(sane, '%s: %.1f (helper with the event on: %.1f, off: %.1f)'
                       % (desc, on - off, on, off))
        except BenchError as e:
            tap.ok(False, desc)
            tap.comment(str(e))


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
