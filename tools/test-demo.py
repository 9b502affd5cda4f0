#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The README's walk-through (`iommufd-probe --mock demo`, what scripts/demo
runs) in one kernel model, with TAP output.

    test-demo.py PROBE MODEL walk     the walk's steps, in order, and exit 0
    test-demo.py PROBE MODEL trace    with --trace 'iommufd_*': one trace line
                                      per ioctl, agreeing with the steps
    test-demo.py PROBE MODEL errors   a walk that fails, and usage errors
    test-demo.py PROBE MODEL features `iommufd-probe --mock features`: one line
                                      per command, yes/no as the model has it
    test-demo.py PROBE MODEL script DEMO BUILDDIR
                                      scripts/demo itself (DEMO), on BUILDDIR

MODEL is newest or 6.12 (IOMMUFD_MOCK_KERNEL).  The tool re-runs itself with
the mock preloaded, as a user's `--mock` would.
"""
import os
import re
import subprocess
import sys

probe, model, mode = sys.argv[1:4]
results = []


def ok(cond, name, diag=None):
    results.append((bool(cond), name, diag))


def run(*args):
    env = dict(os.environ)
    env['IOMMUFD_MOCK_KERNEL'] = model
    # tracing only when the test asks for it
    for k in ('IOMMUFD_TRACE', 'IOMMUFD_TRACE_FILE', 'IOMMUFD_TRACE_TIMESTAMP', 'LD_PRELOAD'):
        env.pop(k, None)
    p = subprocess.run([probe] + list(args), env=env, capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


newest = model == 'newest'

# The steps a VMM walks, in order: (name, pattern, expected in this model).
D = r'(\d+)'
STEPS = [
    ('connected', r'connected to the mock\'s /dev/iommu \(fd \d+\); vIOMMU commands: ' +
     ('yes' if newest else r'no \(a 6\.12 kernel\)'), True),
    ('device bound', r'VFIO device \S+ bound: dev_id ' + D, True),
    ('IOAS, device attached', r'IOAS ' + D + r' allocated; device attached through the '
     r'kernel\'s HWPT ' + D, True),
    ('guest RAM mapped', r'guest RAM: 16 MiB mapped at IOVA 0x([0-9a-f]+) ', True),
    ('hw info', r'hw info: type 0x[0-9a-f]+, \d+ bytes of driver data', True),
    ('nesting parent', r'nesting parent HWPT ' + D + r' on IOAS ' + D + r' \(dirty tracking\)',
     True),
    ('vIOMMU', r'vIOMMU ' + D + r' on the parent HWPT ' + D, newest),
    ('vDEVICE', r'vDEVICE ' + D + r' \(virt_id 0x1\) on vIOMMU ' + D, newest),
    ('vEVENTQ', r'vEVENTQ ' + D + r' \(fd \d+, depth 64\) on vIOMMU ' + D, newest),
    ('6.12: no vIOMMU, said so', r'no vIOMMU on this kernel \(IOMMU_VIOMMU_ALLOC is Linux '
     r'6\.13\)', not newest),
    ('fault queue', r'fault queue ' + D + r' \(fd \d+\)', True),
    ('nested HWPT with the fault queue', r'nested HWPT ' + D + r' on ' +
     ('vIOMMU' if newest else 'parent HWPT') + r' ' + D + r' with fault queue ' + D, True),
    ('device on the nested HWPT', r'device attached to the nested HWPT ' + D, True),
    ('fault triggered', r'page fault triggered \(group 7, address 0x[0-9a-f]+\) on fault '
     r'queue ' + D, True),
    ('event triggered', r'vEVENT triggered for vDEVICE ' + D + r' on vEVENTQ ' + D, newest),
    ('event read through the queue', r'vEVENT read through the vEVENTQ: sequence \d+, '
     r'virt_id 0x1, 0 lost$', newest),
    ('fault read through the queue', r'page fault read through the fault queue: group 7, '
     r'1 fault\(s\), address 0x([0-9a-f]+), cookie [1-9]\d*$', True),
    ('fault answered', r'page fault group 7 answered SUCCESS \(cookie [1-9]\d*\)$', True),
    ('device on the parent', r'device attached to the parent HWPT ' + D + r' for migration',
     True),
    ('dirty bitmap', r'dirty tracking started on HWPT ' + D + r'; bitmap of 512 bytes read',
     True),
    ('teardown', r'dirty tracking stopped; torn down leaves first: device detached, nested '
     r'HWPT' + (', vEVENTQ, vDEVICE, vIOMMU' if newest else '') + r', fault queue, parent '
     r'HWPT, guest RAM unmapped, IOAS, device closed$', True),
]


def check_walk(out):
    """Match the steps in order; return {name: match} of those found."""
    lines = [l[len('demo: '):] for l in out.splitlines() if l.startswith('demo: ')]
    ok(len(lines) == len(out.splitlines()), 'every line of stdout is a "demo:" step')
    found = {}
    i = 0
    for name, pat, expected in STEPS:
        m = None
        for j in range(i, len(lines)):
            m = re.match(pat, lines[j])
            if m:
                i = j + 1
                break
        if expected:
            ok(m, 'step: ' + name, None if m else 'no line after the previous step matches ' + pat)
            found[name] = m
        else:
            anywhere = any(re.match(pat, l) for l in lines)
            ok(not anywhere, 'no step: ' + name + ' (not in the ' + model + ' model)')
    ok(i == len(lines), 'nothing after the teardown', lines[i:] or None)
    return found


if mode == 'walk':
    rc, out, err = run('--mock', 'demo')
    ok(rc == 0, 'exit status 0', 'exit %d; stderr: %s' % (rc, err))
    ok(err == '', 'nothing on stderr without --trace', err or None)
    f = check_walk(out)
    if all(f.get(n) for n in ('device bound', 'IOAS, device attached', 'nesting parent',
                              'nested HWPT with the fault queue')):
        ioas = f['IOAS, device attached'].group(1)
        ok(f['nesting parent'].group(2) == ioas, 'the parent is on the IOAS')
        ok(f['device on the nested HWPT'].group(1) == f['nested HWPT with the fault queue']
           .group(1), 'the device is attached to the nested HWPT')
        ok(f['nested HWPT with the fault queue'].group(3) == f['fault queue'].group(1),
           'the nested HWPT reports to the fault queue')
        on = f['nested HWPT with the fault queue'].group(2)
        if newest:
            ok(on == f['vIOMMU'].group(1), 'the nested HWPT is on the vIOMMU')
            ok(f['vIOMMU'].group(2) == f['nesting parent'].group(1),
               'the vIOMMU is on the parent')
        else:
            ok(on == f['nesting parent'].group(1), 'the nested HWPT is on the parent HWPT')
        ok(f['dirty bitmap'].group(1) == f['nesting parent'].group(1),
           'dirty tracking on the parent')

elif mode == 'trace':
    rc, out, err = run('--mock', '--trace', 'iommufd_*', 'demo')
    ok(rc == 0, 'exit status 0', 'exit %d' % rc)
    f = check_walk(out)
    events = [l.split(' ', 1) for l in err.splitlines()]
    names = [e[0] for e in events]
    ok(all(n.startswith('iommufd_') for n in names), 'stderr holds trace lines only',
       [l for l in err.splitlines() if not l.startswith('iommufd_')] or None)
    # the events that are not an ioctl: the trace switch and the fd's users
    not_ioctl = ('iommufd_trace_enable', 'iommufd_backend_connect',
                 'iommufd_backend_disconnect')
    noret = [l for l in err.splitlines() if not l.startswith(not_ioctl) and
             not re.search(r' ret \d+$', l)]
    ok(not noret, 'each ioctl\'s line ends with its result', noret or None)

    def lines_of(name):
        return [e[1] for e in events if e[0] == name]

    def field(line, key):
        m = re.search(r'\b' + key + r' (\S+)', line)
        return m.group(1) if m else None

    # the ioctls of the walk, in order, each traced once and successful
    order = ['iommufd_vfio_bind', 'iommufd_backend_alloc_ioas', 'iommufd_vfio_attach',
             'iommufd_backend_get_iova_ranges', 'iommufd_backend_map_dma',
             'iommufd_backend_get_device_info', 'iommufd_backend_alloc_hwpt']
    order += (['iommufd_backend_alloc_viommu', 'iommufd_backend_alloc_vdev',
               'iommufd_backend_alloc_veventq'] if newest else [])
    order += ['iommufd_backend_alloc_faultq', 'iommufd_backend_alloc_hwpt',
              'iommufd_vfio_attach', 'iommufd_vfio_attach',
              'iommufd_backend_set_dirty_tracking', 'iommufd_backend_get_dirty_bitmap',
              'iommufd_backend_set_dirty_tracking', 'iommufd_vfio_detach']
    walk = [(n, l) for n, l in (e for e in events if len(e) == 2)
            if n != 'iommufd_backend_probe' and n.split('_')[1] in ('backend', 'vfio')
            and n not in ('iommufd_backend_connect', 'iommufd_backend_disconnect',
                          'iommufd_vfio_device_open', 'iommufd_backend_free_id',
                          'iommufd_backend_unmap_dma')]
    ok([n for n, _ in walk] == order, 'one trace line per ioctl of the walk, in order',
       [n for n, _ in walk])
    ok(all(l.endswith(' ret 0') for _, l in walk), 'every ioctl of the walk succeeded')
    probes = lines_of('iommufd_backend_probe')
    ok(len(probes) == 33, 'the feature probe: 32 commands and the selftest command',
       len(probes))
    # IOMMU_VIOMMU_ALLOC is command 0x90 (IOMMUFD_CMD_VIOMMU_ALLOC)
    viommu_probe = [l for l in probes if re.search(r' nr 0x90 ret -?\d+$', l)]
    ok(len(viommu_probe) == 1 and viommu_probe[0].endswith(' ret %d' % (22 if newest else 25)),
       'IOMMU_VIOMMU_ALLOC (0x90) probed once: EINVAL (present) or ENOTTY (6.12)',
       viommu_probe)
    if f.get('IOAS, device attached') and f.get('nesting parent'):
        ioas = f['IOAS, device attached'].group(1)
        ok(field(lines_of('iommufd_backend_alloc_ioas')[0], 'ioas_id') == ioas,
           'the IOAS id of the step is the traced one')
        hw = lines_of('iommufd_backend_alloc_hwpt')
        ok(field(hw[0], 'hwpt_id') == f['nesting parent'].group(1) and
           field(hw[0], 'flags') == '0x3', 'the parent: NEST_PARENT | DIRTY_TRACKING')
        nested = f['nested HWPT with the fault queue']
        ok(field(hw[1], 'hwpt_id') == nested.group(1) and field(hw[1], 'pt_id') ==
           nested.group(2) and field(hw[1], 'fault_id') == nested.group(3) and
           field(hw[1], 'flags') == '0x4', 'the nested HWPT: FAULT_ID_VALID, on its parent')
        # the queue objects destroy their own ids (their close reports the
        # destroy's result): every destroy of the walk succeeds, once
        frees = lines_of('iommufd_backend_free_id')
        freed = [field(l, 'id') for l in frees if l.endswith(' ret 0')]
        ok(len(freed) == len(frees), 'every destroy succeeds, none is repeated', frees)
        ids = [nested.group(1)]
        if newest:
            ids += [f['vEVENTQ'].group(1), f['vDEVICE'].group(1), f['vIOMMU'].group(1)]
        ids += [f['fault queue'].group(1), f['nesting parent'].group(1), ioas]
        ok(freed == ids, 'destroyed leaves first: ' + ', '.join(ids), freed)
        unmap = lines_of('iommufd_backend_unmap_dma')
        ok(len(unmap) == 1 and field(unmap[0], 'unmapped') == '0x1000000',
           'guest RAM unmapped (16 MiB) before the IOAS is destroyed', unmap)
        ok(names.index('iommufd_backend_unmap_dma') <
           len(names) - 1 - names[::-1].index('iommufd_backend_free_id'),
           'unmap comes before the last destroy (the IOAS)')
    ok(names[-1:] == ['iommufd_backend_disconnect'], 'the walk ends by disconnecting')

elif mode == 'errors':
    rc, out, err = run('--mock', 'demo', '/nonexistent/vfio0')
    ok(rc == 1, 'a walk that fails exits 1', rc)
    elines = err.splitlines()
    ok(len(elines) >= 1 and elines[0].startswith('demo: ') and '/nonexistent/vfio0' in elines[0],
       'one error naming the device node', err)
    ok('connected to' in out and 'bound' not in out, 'it stopped at the device', out)
    rc, out, err = run('--mock', 'demo', 'a', 'b')
    ok(rc == 2 and 'usage:' in err, 'too many arguments: usage, exit 2', (rc, err))
    rc, out, err = run('--mock', 'features', 'x')
    ok(rc == 2 and 'usage:' in err, 'features takes no argument: usage, exit 2', (rc, err))
    rc, out, err = run('--mock', '--trace', 'no_such_event*', 'demo')
    ok(rc == 2 and 'matches no event' in err, '--trace that matches nothing: exit 2', (rc, err))
elif mode == 'features':
    # One line per command 0x80 .. 0x95 (the kernel's numbers and the release
    # that added each, written down here independently of the library), then
    # the selftest command.  Present: 6.12 up to 0x8e; the newest model up to
    # 0x94 (0x95, IOMMU_IOAS_NOIOMMU_GET_PA, needs a no-IOMMU set-up).
    COMMANDS = [
        (0x80, 'IOMMU_DESTROY', '6.2'), (0x81, 'IOMMU_IOAS_ALLOC', '6.2'),
        (0x82, 'IOMMU_IOAS_ALLOW_IOVAS', '6.2'), (0x83, 'IOMMU_IOAS_COPY', '6.2'),
        (0x84, 'IOMMU_IOAS_IOVA_RANGES', '6.2'), (0x85, 'IOMMU_IOAS_MAP', '6.2'),
        (0x86, 'IOMMU_IOAS_UNMAP', '6.2'), (0x87, 'IOMMU_OPTION', '6.2'),
        (0x88, 'IOMMU_VFIO_IOAS', '6.2'), (0x89, 'IOMMU_HWPT_ALLOC', '6.6'),
        (0x8a, 'IOMMU_GET_HW_INFO', '6.6'), (0x8b, 'IOMMU_HWPT_SET_DIRTY_TRACKING', '6.7'),
        (0x8c, 'IOMMU_HWPT_GET_DIRTY_BITMAP', '6.7'), (0x8d, 'IOMMU_HWPT_INVALIDATE', '6.8'),
        (0x8e, 'IOMMU_FAULT_QUEUE_ALLOC', '6.11'), (0x8f, 'IOMMU_IOAS_MAP_FILE', '6.13'),
        (0x90, 'IOMMU_VIOMMU_ALLOC', '6.13'), (0x91, 'IOMMU_VDEVICE_ALLOC', '6.13'),
        (0x92, 'IOMMU_IOAS_CHANGE_PROCESS', '6.13'), (0x93, 'IOMMU_VEVENTQ_ALLOC', '6.15'),
        (0x94, 'IOMMU_HW_QUEUE_ALLOC', '6.17'),
        (0x95, 'IOMMU_IOAS_NOIOMMU_GET_PA', 'a release after 6.19'),
    ]
    last = 0x94 if newest else 0x8e
    rc, out, err = run('--mock', 'features')
    ok(rc == 0, 'features: exit status 0', 'exit %d; stderr: %s' % (rc, err))
    ok(err == '', 'features: nothing on stderr without --trace', err or None)
    lines = out.splitlines()
    ok(len(lines) == len(COMMANDS) + 1, 'features: one line per command 0x80..0x95 and the '
       'selftest line', out)
    for i, (nr, name, since) in enumerate(COMMANDS):
        want = 'yes' if nr <= last else 'no'
        line = lines[i] if i < len(lines) else ''
        m = re.fullmatch(r'(\S+) +(yes|no) +\(Linux ([^)]+)\)', line)
        ok(m and m.groups() == (name, want, since),
           'features: 0x%x %s %s (Linux %s)' % (nr, name, want, since), line)
    ok(len(lines) > len(COMMANDS) and
       re.fullmatch(r'IOMMU_TEST_CMD \(selftest\) +yes', lines[len(COMMANDS)]),
       'features: the selftest line, yes', lines[len(COMMANDS):])
    # what it printed is what the probe found: one probe per command, and
    # EINVAL (present) exactly where the line says yes, ENOTTY elsewhere
    rc, tout, terr = run('--mock', '--trace', 'iommufd_backend_probe', 'features')
    ok(rc == 0 and tout == out, 'features with --trace: the same lines', (rc, tout))
    rets = {}
    for l in terr.splitlines():
        m = re.fullmatch(r'iommufd_backend_probe iommufd \d+ nr 0x([0-9a-f]+) ret (\d+)', l)
        if m:
            rets.setdefault(int(m.group(1), 16), []).append(int(m.group(2)))
    for nr, name, _ in COMMANDS:
        want = 22 if nr <= last else 25
        ok(rets.get(nr) == [want], 'features: 0x%x probed once, ret %d' % (nr, want),
           rets.get(nr))

elif mode == 'script':
    # scripts/demo itself, against the build directory under test (given by
    # IOMMUFD_BUILD_DIR; it must neither configure nor touch any other)
    demo, builddir = sys.argv[4:6]
    env = dict(os.environ)
    env['IOMMUFD_MOCK_KERNEL'] = model
    env['IOMMUFD_BUILD_DIR'] = builddir
    for k in ('IOMMUFD_TRACE', 'IOMMUFD_TRACE_FILE', 'IOMMUFD_TRACE_TIMESTAMP', 'LD_PRELOAD'):
        env.pop(k, None)
    # its default build directory, build/ of the source tree, stays as it was
    default = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(demo))), 'build')

    def state(d):
        try:
            return os.stat(os.path.join(d, 'build.ninja')).st_mtime_ns
        except FileNotFoundError:
            return os.path.isdir(d)
    before = state(default)
    p = subprocess.run(['bash', demo], env=env, capture_output=True, text=True, timeout=120)
    ok(p.returncode == 0, 'scripts/demo: exit status 0', 'exit %d; stderr: %s' %
       (p.returncode, p.stderr))
    out = p.stdout.splitlines()
    ok(os.path.realpath(default) == os.path.realpath(builddir) or state(default) == before,
       'scripts/demo: build/ is neither configured nor created', (before, state(default)))
    # ninja may regenerate the build files of the directory given (a meson.build
    # changed), but nothing runs meson setup
    setup = [l for i, l in enumerate(out) if l.startswith('The Meson build system') and
             not (i and 'Regenerating build files' in out[i - 1])]
    ok(not setup, 'scripts/demo: no meson setup', p.stdout)
    ok("=== %s/tools/iommufd-probe --mock --trace 'iommufd_*' demo" % builddir in out,
       'scripts/demo: runs the probe of the build directory given', out)
    demo_lines = [l for l in out if l.startswith('demo: ')]
    teardown = STEPS[-1][1]
    ok(demo_lines and re.match(teardown, demo_lines[-1][len('demo: '):]) and
       out[-1] == demo_lines[-1], 'scripts/demo: the walk ends with the teardown',
       out[-3:])
    ok(len(demo_lines) >= 10, 'scripts/demo: the whole walk was printed', len(demo_lines))
    traced = [l for l in p.stderr.splitlines() if l.startswith('iommufd_')]
    ok(traced and traced[-1].startswith('iommufd_backend_disconnect '),
       'scripts/demo: traced, ending with the disconnect', traced[-1:])
else:
    sys.exit('unknown mode ' + mode)

print('1..%d' % len(results))
for i, (good, name, diag) in enumerate(results, 1):
    print('%s %d - %s %s' % ('ok' if good else 'not ok', i, model, name))
    if not good and diag is not None:
        for l in str(diag).splitlines():
            print('# ' + l)
sys.exit(0)
