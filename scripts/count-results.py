#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Count test results honestly from what scripts/check left in its results
directory: every meson JSON test log (*.json: one per build directory and
test set-up), TAP streams kept as files (*.tap) and stages.tsv (one line per stage that is not a meson test).

TAP subtests count one each: `ok` passes, `not ok` fails, a `# SKIP`
directive (and a `1..0 # SKIP` plan) skips.  A test that meson judged failed
(crash, timeout, bail out) without a `not ok` line counts its missing
subtests as failed, at least one.  A non-TAP test counts once.

Prints one line per failure or skip, then `N passed, N failed, N skipped`.
Exit status 1 when anything failed.
"""

import glob
import json
import os
import re
import sys

OK_RESULTS = {'OK', 'EXPECTEDFAIL'}
SKIP_RESULTS = {'SKIP'}

TAP_RE = re.compile(r'^(not ok|ok)\b\s*(\d+)?\s*-?\s*(.*)$')
PLAN_RE = re.compile(r'^1\.\.(\d+)\s*(#\s*(.*))?$')


def count_tap(stdout):
    passed = failed = skipped = 0
    planned = None
    names = []
    for line in stdout.splitlines():
        line = line.rstrip()
        m = PLAN_RE.match(line)
        if m:
            planned = int(m.group(1))
            if planned == 0:
                skipped += 1
                names.append(('skip', 'whole binary: ' + (m.group(3) or '')))
            continue
        m = TAP_RE.match(line)
        if not m:
            continue
        desc = m.group(3)
        directive = ''
        if '#' in desc:
            desc, directive = desc.split('#', 1)
            directive = directive.strip()
        if re.match(r'(?i)skip', directive):
            skipped += 1
            names.append(('skip', desc.strip() + ' # ' + directive))
        elif m.group(1) == 'ok':
            passed += 1
        elif re.match(r'(?i)todo', directive):
            passed += 1     # an expected failure
        else:
            failed += 1
            names.append(('fail', desc.strip()))
    seen = passed + failed + (skipped if planned != 0 else 0)
    return passed, failed, skipped, planned, seen, names


def main(argv):
    if len(argv) != 2:
        print('usage: count-results.py RESULTS_DIR', file=sys.stderr)
        return 2
    rdir = argv[1]
    total_p = total_f = total_s = 0
    for path in sorted(glob.glob(os.path.join(rdir, '*.json'))):
        label = os.path.splitext(os.path.basename(path))[0]
        with open(path, encoding='utf-8') as f:
            for raw in f:
                if not raw.strip():
                    continue
                t = json.loads(raw)
                name = '%s: %s' % (label, t['name'])
                result = t.get('result', 'ERROR')
                p, fl, s, planned, seen, names = count_tap(t.get('stdout') or '')
                if p + fl + s == 0:
                    # not TAP (or nothing printed): the test counts once
                    if result in OK_RESULTS:
                        p = 1
                    elif result in SKIP_RESULTS:
                        s = 1
                        names.append(('skip', '(exit status skip)'))
                    else:
                        fl = 1
                        names.append(('fail', '%s (%s)' % ('no output', result)))
                elif result not in OK_RESULTS and result not in SKIP_RESULTS and fl == 0:
                    missing = max(1, (planned or 0) - seen)
                    fl += missing
                    names.append(('fail', '%s after %d subtests; %d missing or failed' %
                                  (result, seen, missing)))
                for kind, what in names:
                    print('%s: %s: %s' % ('FAIL' if kind == 'fail' else 'SKIP', name, what))
                total_p += p
                total_f += fl
                total_s += s
    # TAP streams kept as files (*.tap: the benchmarks of scripts/bench),
    # each one test; one with no result line at all is a failure
    for path in sorted(glob.glob(os.path.join(rdir, '*.tap'))):
        name = os.path.splitext(os.path.basename(path))[0]
        with open(path, encoding='utf-8', errors='replace') as f:
            p, fl, s, planned, seen, names = count_tap(f.read())
        if p + fl + s == 0:
            fl = 1
            names.append(('fail', 'no TAP result in ' + os.path.basename(path)))
        elif planned is not None and planned > seen:
            fl += planned - seen
            names.append(('fail', '%d of %d planned subtests missing' % (planned - seen, planned)))
        for kind, what in names:
            print('%s: %s: %s' % ('FAIL' if kind == 'fail' else 'SKIP', name, what))
        total_p += p
        total_f += fl
        total_s += s
    stages = os.path.join(rdir, 'stages.tsv')
    if os.path.exists(stages):
        with open(stages, encoding='utf-8') as f:
            for line in f:
                parts = line.rstrip('\n').split('\t')
                if len(parts) < 2:
                    continue
                if parts[1] == 'pass':
                    total_p += 1
                else:
                    total_f += 1
                    print('FAIL: stage %s' % parts[0])
    print('%d passed, %d failed, %d skipped' % (total_p, total_f, total_s))
    return 1 if total_f else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
