#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run docs/examples/vmm-walk (the user guide's walk-through) on
libiommufd-mock in one kernel model and check what the guide says it does:
its steps in order, the degraded path on 6.12 (found by probing: no vIOMMU
or vEVENTQ ioctl is even tried), the fault answered through the main loop,
the caller-fd variant, and a clean failure for a missing device.  TAP output.

    run-walk.py VMM-WALK MOCK-PRELOAD MODEL
"""
import os
import re
import subprocess
import sys
import tempfile

walk, preload, model = sys.argv[1:4]
NODE = '/dev/null/iommufd-mock/vfio0'

results = []


def check(ok, what, detail=()):
    results.append((ok, what, list(detail)))


def run(args, trace=None):
    env = dict(os.environ)
    env.update({'LD_PRELOAD': preload, 'IOMMUFD_MOCK_KERNEL': model,
                'IOMMUFD_MOCK_DEVICES': '1', 'IOMMUFD_TRACE': '', 'IOMMUFD_TRACE_FILE': '',
                'IOMMUFD_TRACE_TIMESTAMP': ''})
    lines = []
    with tempfile.TemporaryDirectory(prefix='iommufd-docs-') as d:
        if trace:
            env['IOMMUFD_TRACE'] = trace
            env['IOMMUFD_TRACE_FILE'] = os.path.join(d, 'trace.log')
        p = subprocess.run([walk] + args, env=env, capture_output=True, text=True, timeout=60)
        if trace and os.path.exists(env['IOMMUFD_TRACE_FILE']):
            lines = open(env['IOMMUFD_TRACE_FILE']).read().splitlines()
    return p, lines


def in_order(out, patterns):
    """Each pattern matches a line after the previous one's; the first that
    does not is returned."""
    lines = out.splitlines()
    pos = 0
    for pat in patterns:
        rx = re.compile(pat)
        while pos < len(lines) and not rx.search(lines[pos]):
            pos += 1
        if pos == len(lines):
            return pat
        pos += 1
    return None


newest = model == 'newest'
steps = [
    r'^walk: connected \(fd \d+, owned\); fault queue yes, vIOMMU %s, vEVENTQ %s$'
    % (('yes', 'yes') if newest else ('no', 'no')),
    r'^walk: device %s bound: dev_id [1-9]\d*$' % re.escape(NODE),
    r'^walk: hw info: type 0xfeedbeef, ',
    r'^walk: IOAS \d+; device attached through the kernel\'s HWPT \d+$',
    r'^walk: guest RAM: 16 MiB at IOVA 0x[0-9a-f]+ ',
    r'^walk: nesting parent HWPT \d+ on IOAS \d+ \(dirty tracking\); device attached to it$',
]
if newest:
    steps += [
        r'^walk: vIOMMU \d+ on parent HWPT \d+; vDEVICE \d+ \(virt_id 0x1\)$',
        r'^walk: vEVENTQ \d+ \(fd \d+\) on vIOMMU \d+$',
        r'^walk: fault queue \d+ \(fd \d+\)$',
        r'^walk: nested HWPT \d+ on vIOMMU \d+, reporting faults; device attached to it$',
    ]
else:
    steps += [
        r'^walk: no vIOMMU on this kernel \(IOMMU_VIOMMU_ALLOC is Linux 6\.13\): nesting on '
        r'the parent HWPT, no vDEVICE, no vEVENTQ$',
        r'^walk: fault queue \d+ \(fd \d+\)$',
        r'^walk: nested HWPT \d+ on parent HWPT \d+, reporting faults; device attached to it$',
    ]
steps += [r'^walk: page fault: dev_id \d+, group 7, 2 fault\(s\) from 0x[0-9a-f]+$',
          r'^walk: page fault group 7 answered SUCCESS \(cookie \d+\)$']
# the vEVENT and the fault are served by one main loop: either order
vevent = r'^walk: vEVENT: sequence 0, virt_id 0x1$'
tail = [r'^walk: dirty tracking on HWPT \d+: 8 chunks read, 0 dirty pages$',
        r'^walk: destroying IOAS \d+ first: IOMMU_DESTROY\(id \d+\) failed: Device or resource '
        r'busy \(errno 16\)$',
        r'^walk: torn down, leaves first$']

p, trace = run([NODE], trace='iommufd_backend_probe,iommufd_backend_alloc_viommu,'
                             'iommufd_backend_alloc_vdev,iommufd_backend_alloc_veventq,'
                             'iommufd_faultq_respond,iommufd_backend_free_id')
check(p.returncode == 0, 'the walk exits 0 on the %s model' % model,
      ['exit %d' % p.returncode] + p.stderr.splitlines())
miss = in_order(p.stdout, steps + tail)
check(miss is None, 'its steps come in the guide\'s order (%d steps)' % len(steps + tail),
      ['missing or out of order: ' + str(miss)] + p.stdout.splitlines() if miss else [])
has_vevent = any(re.search(vevent, l) for l in p.stdout.splitlines())
check(has_vevent == newest, 'a vEVENT is read through the main loop: %s'
      % ('yes' if newest else 'no, there is no vEVENTQ on 6.12'))
check(not p.stderr.strip(), 'nothing on stderr', p.stderr.splitlines())

probes = [l for l in trace if l.startswith('iommufd_backend_probe ')]
check(len(probes) >= 21, 'the kernel was probed command by command (%d probes)' % len(probes))
tried = [l for l in trace if re.match(r'iommufd_backend_alloc_(viommu|vdev|veventq) ', l)]
if newest:
    check(len(tried) == 3 and all(l.endswith(' ret 0') for l in tried),
          'vIOMMU, vDEVICE, vEVENTQ allocated, once each', tried)
else:
    check(not tried, 'on 6.12 no vIOMMU, vDEVICE or vEVENTQ ioctl is tried (the probe said '
          'ENOTTY)', tried)
responds = [l for l in trace if l.startswith('iommufd_faultq_respond ')]
check(len(responds) == 1, 'one page response written', responds)
busy = [l for l in trace if l.startswith('iommufd_backend_free_id ') and 'ret 16' in l]
check(len(busy) == 1, 'exactly one IOMMU_DESTROY answered EBUSY (the IOAS, on purpose)',
      busy)
frees = [l for l in trace if l.startswith('iommufd_backend_free_id ')]
check(len(frees) >= 4 and all(l.endswith(' ret 0') for l in frees if l not in busy),
      'every other IOMMU_DESTROY of the teardown succeeded (%d)' % (len(frees) - len(busy)),
      [l for l in frees if not l.endswith(' ret 0')])

p, _ = run(['--caller-fd', NODE])
check(p.returncode == 0 and re.search(r'^walk: connected \(fd \d+, the caller\'s\)', p.stdout,
                                      re.M) is not None and 'torn down' in p.stdout,
      '--caller-fd: a backend on the caller\'s fd walks the same path',
      ['exit %d' % p.returncode] + p.stdout.splitlines()[:2] + p.stderr.splitlines())

p, _ = run(['/dev/null/iommufd-mock/vfio9'])
check(p.returncode == 1 and
      "vmm-walk: Could not open VFIO device '/dev/null/iommufd-mock/vfio9': No such file or "
      "directory" in p.stderr and 'vfio-pci' in p.stderr and 'walk: failed' in p.stdout,
      'a missing device: exit 1, the error and its hint on stderr',
      ['exit %d' % p.returncode] + p.stderr.splitlines())

p = subprocess.run([walk], capture_output=True, text=True)
check(p.returncode == 2 and 'usage:' in p.stderr, 'no argument: usage, exit 2')

print('1..%d' % len(results))
for n, (ok, what, detail) in enumerate(results, 1):
    print('%s %d - %s' % ('ok' if ok else 'not ok', n, what))
    for d in (detail if not ok else []):
        print('# ' + d)
