#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run a libFuzzer target (the record decoders, fuzz-decoders; the mock's
ioctl dispatcher, fuzz-mock-ioctl) a fixed number of times, seeded with its
corpus in the tree, and report TAP (suite fuzz).

    run-fuzz.py FUZZER CORPUS_DIR ARTIFACT_DIR [RUNS [MAX_SECONDS]]

1. every seed file, run once (libFuzzer's file-argument mode);
2. RUNS inputs (default 20000; IOMMUFD_FUZZ_RUNS overrides) mutated from the
   corpus, with a fixed seed so that a run is reproducible, and a time cap
   (default 120 s): what is reached within it counts, a crash fails.

New inputs go to a temporary directory, never into the corpus in the tree;
a crashing input is kept in ARTIFACT_DIR (crash-*), with the command that
reproduces it in the diagnostics.
"""
import os
import re
import subprocess
import sys
import tempfile

fuzzer, corpus, artifacts = sys.argv[1:4]
runs = int(os.environ.get('IOMMUFD_FUZZ_RUNS') or (sys.argv[4] if len(sys.argv) > 4 else 20000))
max_time = int(sys.argv[5]) if len(sys.argv) > 5 else 120
results = []


def ok(cond, name, diag=None):
    results.append((bool(cond), name, diag))


os.makedirs(artifacts, exist_ok=True)
prefix = os.path.join(artifacts, '')
seeds = sorted(os.path.join(corpus, f) for f in os.listdir(corpus))
common = ['-artifact_prefix=' + prefix, '-timeout=10', '-rss_limit_mb=1024',
          '-print_final_stats=1']
env = dict(os.environ)
env.setdefault('ASAN_OPTIONS', 'abort_on_error=0:detect_leaks=1')
env.setdefault('UBSAN_OPTIONS', 'halt_on_error=1:print_stacktrace=1')


def tail(text, n=40):
    return '\n'.join(text.splitlines()[-n:])


# 1. the seeds, one run each
p = subprocess.run([fuzzer] + common + seeds, capture_output=True, text=True, env=env,
                   timeout=300)
executed = len(re.findall(r'^Running: ', p.stderr, re.M))
ok(p.returncode == 0 and executed == len(seeds),
   'the %d seed files of %s, each run once by %s' % (len(seeds), os.path.basename(corpus),
                                                 os.path.basename(fuzzer)),
   None if p.returncode == 0 else tail(p.stderr))

# 2. mutations from the corpus
with tempfile.TemporaryDirectory(prefix='iommufd-fuzz-') as new:
    cmd = [fuzzer] + common + ['-runs=%d' % runs, '-max_total_time=%d' % max_time,
                               '-seed=1', '-max_len=4096', '-use_value_profile=1', new, corpus]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=max_time + 120)
    done = re.search(r'^Done (\d+) runs in (\d+) second', p.stderr, re.M)
    cov = re.findall(r'\bcov: (\d+)', p.stderr)
    crash = [l for l in p.stderr.splitlines() if l.startswith('artifact_prefix=') or
             'Test unit written to' in l]
    n_done = int(done.group(1)) if done else 0
    ok(p.returncode == 0 and done,
       '%s: %d fuzzed inputs (of %d asked, %d s cap): no crash, no read out of bounds, '
       'every check held' % (os.path.basename(fuzzer), n_done, runs, max_time),
       None if p.returncode == 0 and done else
       tail(p.stderr) + '\nreproduce: ' + fuzzer + ' ' + (crash[-1].split()[-1] if crash
                                                          else ' '.join(cmd)))
    print('# %s' % ' '.join(cmd))
    if done:
        print('# %s runs in %s s, coverage %s edges' % (done.group(1), done.group(2),
                                                         cov[-1] if cov else '?'))

print('1..%d' % len(results))
for i, (good, name, diag) in enumerate(results, 1):
    print('%s %d - %s' % ('ok' if good else 'not ok', i, name))
    if not good and diag is not None:
        for line in str(diag).splitlines():
            print('# ' + line)
sys.exit(0)
