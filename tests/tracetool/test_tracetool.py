#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tracetool: golden files for every backend and format, and one negative
test per rejection (message and line number).  Output is TAP.

IOMMUFD_TRACETOOL_REGENERATE=1 rewrites the golden files instead of
comparing (review the diff before committing it).
"""

import argparse
import difflib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EVENTS = os.path.join(HERE, 'test-events')
GOLDEN = os.path.join(HERE, 'golden')

# (golden file, format, backends)
GOLDEN_CASES = [
    ('nop.h', 'h', 'nop'),
    ('nop.c', 'c', 'nop'),
    ('log.h', 'h', 'log'),
    ('log.c', 'c', 'log'),
    ('ust.h', 'h', 'ust'),
    ('ust.c', 'c', 'ust'),
    ('dtrace.h', 'h', 'dtrace'),
    ('dtrace.c', 'c', 'dtrace'),
    ('all.h', 'h', 'log,ust,dtrace'),
    ('all.c', 'c', 'log,ust,dtrace'),
    ('ust-events.h', 'ust-events-h', 'ust'),
    ('ust-events.c', 'ust-events-c', 'ust'),
    ('ust-provider.c', 'ust-provider-c', 'ust'),
]

GOOD = 'ok_event(uint32_t id) "id %u"\n'

# (name, text of the input file, expected line, expected message fragment)
NEGATIVE_CASES = [
    ('bad syntax', GOOD + 'broken event "x"\n', 2, 'syntax error'),
    ('bad syntax: no parentheses', '# c\n\nname "x"\n', 3, 'syntax error'),
    ('unknown property', GOOD + 'tcg foo(int a) "a %d"\n', 2, "unknown property 'tcg'"),
    ('unknown type', GOOD + GOOD.replace('ok_', 'b_') +
     'foo(struct bar *b) "b %p"\n', 3, "unknown type 'struct bar *'"),
    ('unknown type: float', 'foo(float f) "f %d"\n', 1, "unknown type 'float'"),
    ('more than 10 arguments',
     'foo(' + ', '.join('int a%d' % i for i in range(11)) + ') "' +
     ' '.join('%d' for _ in range(11)) + '"\n', 1, '11 arguments: at most 10'),
    ('empty argument', 'foo(int a, , int b) "%d %d"\n', 1, 'empty argument 2'),
    ('empty argument at the end', 'foo(int a,) "%d"\n', 1, 'empty argument 2'),
    ('argument without a name', 'foo(uint32_t) "%u"\n', 1, 'needs a type and a name'),
    ('%m', GOOD + 'foo(int a) "a %d: %m"\n', 2, "'%m' is not allowed"),
    ('newline in the format', 'foo(int a) "a %d\\n"\n', 1, 'newline'),
    ('too few conversions', 'foo(int a, int b) "a %d"\n', 1,
     'format has 1 conversion but the event has 2 arguments'),
    ('too many conversions', 'foo(int a) "a %d %d"\n', 1,
     'format has 2 conversions but the event has 1 argument'),
    ('string conversion for an integer', 'foo(int a) "a %s"\n', 1,
     "conversion 1 ('s') does not match argument 'a' of type 'int'"),
    ('32-bit conversion for a 64-bit argument', 'foo(uint64_t a) "a %u"\n', 1,
     "conversion 1 ('u') does not match argument 'a' of type 'uint64_t'"),
    ('PRIx64 for a 32-bit argument', 'foo(uint32_t a) "a %" PRIx64\n', 1,
     "conversion 1 ('PRIx') does not match argument 'a' of type 'uint32_t'"),
    ('integer conversion for a pointer', 'foo(void *p) "p %x"\n', 1,
     "does not match argument 'p' of type 'void *'"),
    ('unknown macro in the format', 'foo(int a) "a %" FOO\n', 1, "unknown macro 'FOO'"),
    ('duplicate event name', GOOD + GOOD, 2,
     "duplicate event name 'ok_event' (first defined at"),
    ('missing final newline', GOOD + 'foo(int a) "a %d"', 2, 'missing newline at end of file'),
    ('unterminated format', 'foo(int a) "a %d\n', 1, 'unterminated string literal'),
    ('a C keyword as argument name', 'foo(int default) "%d"\n', 1,
     "argument name 'default' is a C keyword"),
    ('an event name too long for LTTng', 'e' * 101 + '(int a) "%d"\n', 1,
     'event name longer than 100 characters'),
]


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, name, diag=None):
        self.n += 1
        if not ok:
            self.failed += 1
        print('%s %d - %s' % ('ok' if ok else 'not ok', self.n, name))
        if diag and not ok:
            for line in diag.splitlines():
                print('# ' + line)
        sys.stdout.flush()


def run_tracetool(tracetool, args):
    return subprocess.run([sys.executable, tracetool] + args,
                          capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tracetool', required=True)
    opts = ap.parse_args()
    regen = os.environ.get('IOMMUFD_TRACETOOL_REGENERATE') == '1'

    # the duplicate-across-files case takes two files
    total = len(GOLDEN_CASES) + len(NEGATIVE_CASES) + 4
    print('1..%d' % total)
    tap = Tap()

    for golden, fmt, backends in GOLDEN_CASES:
        p = run_tracetool(opts.tracetool, [
            '--format', fmt, '--backends', backends, '--group', 'test',
            '--header', 'tests/trace-test.h', '--ust-header', 'tests/trace-ust-test.h',
            EVENTS])
        path = os.path.join(GOLDEN, golden)
        name = 'golden %s (--format %s --backends %s)' % (golden, fmt, backends)
        if p.returncode != 0:
            tap.result(False, name, p.stderr)
            continue
        if regen:
            os.makedirs(GOLDEN, exist_ok=True)
            with open(path, 'w', encoding='utf-8') as f:
                f.write(p.stdout)
            tap.result(True, name + ' (regenerated)')
            continue
        try:
            with open(path, encoding='utf-8') as f:
                want = f.read()
        except OSError as e:
            tap.result(False, name, str(e))
            continue
        diff = ''.join(difflib.unified_diff(want.splitlines(True), p.stdout.splitlines(True),
                                            'golden/' + golden, 'generated'))
        tap.result(want == p.stdout and not p.stderr, name, diff or p.stderr)

    with tempfile.TemporaryDirectory() as tmp:
        for name, text, line, fragment in NEGATIVE_CASES:
            path = os.path.join(tmp, 'trace-events')
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
            p = run_tracetool(opts.tracetool, ['--format', 'h', '--backends', 'log', path])
            want_prefix = '%s:%d: ' % (path, line)
            msg = p.stderr.strip()
            ok = (p.returncode == 1 and not p.stdout and msg.startswith(want_prefix)
                  and fragment in msg and 'Traceback' not in p.stderr
                  and len(msg.splitlines()) == 1)
            tap.result(ok, 'rejects %s at line %d' % (name, line),
                       'exit %d, stderr: %r; wanted %r...%r' %
                       (p.returncode, p.stderr, want_prefix, fragment))

        # a name defined in two files of one run (one LTTng provider)
        a = os.path.join(tmp, 'a-events')
        b = os.path.join(tmp, 'b-events')
        with open(a, 'w') as f:
            f.write(GOOD)
        with open(b, 'w') as f:
            f.write('# other group\n' + GOOD)
        p = run_tracetool(opts.tracetool, ['--format', 'ust-events-h', '--backends', 'ust', a, b])
        tap.result(p.returncode == 1 and p.stderr.startswith(b + ':2: duplicate event name'),
                   'rejects an event name defined in two files', p.stderr)

        # a file that cannot be read: an error, not a traceback
        p = run_tracetool(opts.tracetool, ['--format', 'h', '--backends', 'log',
                                           os.path.join(tmp, 'missing')])
        tap.result(p.returncode == 1 and 'Traceback' not in p.stderr and 'missing' in p.stderr,
                   'a missing input file is a one-line error', p.stderr)

        # bad backend lists are usage errors
        p = run_tracetool(opts.tracetool, ['--format', 'h', '--backends', 'log,nop', a])
        tap.result(p.returncode == 2 and "'nop' cannot be combined" in p.stderr,
                   'nop cannot be combined with other backends', p.stderr)
        p = run_tracetool(opts.tracetool, ['--format', 'h', '--backends', 'printf', a])
        tap.result(p.returncode == 2 and "unknown backend 'printf'" in p.stderr,
                   'an unknown backend is a usage error', p.stderr)

    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
