#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""iommufd-probe's commands on the mock, with TAP output.

    test-probe.py PROBE MODEL commands   features, ranges, hw-info and demo, in
                                         text and in JSON, checked against what
                                         the mock models in MODEL; exit statuses
                                         0 / 1 / 2, --help, --mock's search
    test-probe.py PROBE MODEL man PAGE   the man page PAGE documents every
                                         command, option and JSON key the tool
                                         has, and renders without warnings

MODEL is newest or 6.12 (IOMMUFD_MOCK_KERNEL).  The tool re-runs itself with
the mock preloaded (--mock), as a user would.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

probe, model, mode = sys.argv[1:4]
results = []
newest = model == 'newest'

# What the mock models (tests/mock, include/uapi/linux/iommufd.h).
MOCK_NODE = '/dev/null/iommufd-mock/vfio0'
SELFTEST_TYPE = 0xfeedbeef          # IOMMU_HW_INFO_TYPE_SELFTEST
SELFTEST_REGVAL = 0xdeadbeef        # IOMMU_HW_INFO_SELFTEST_REGVAL
APERTURE = (1 << 24, 0x7fffffff)    # MOCK_APERTURE_START, MOCK_APERTURE_LAST
IO_PAGE_SIZE = 2048                 # MOCK_IO_PAGE_SIZE: the alignment with a domain
CAP_DIRTY = 1 << 0
CAP_ATS_NOT_SUPPORTED = 1 << 3      # newest only
NEWER_THAN_6_12 = ['IOMMU_IOAS_MAP_FILE', 'IOMMU_VIOMMU_ALLOC', 'IOMMU_VDEVICE_ALLOC',
                   'IOMMU_IOAS_CHANGE_PROCESS', 'IOMMU_VEVENTQ_ALLOC', 'IOMMU_HW_QUEUE_ALLOC']


def ok(cond, name, diag=None):
    results.append((bool(cond), name, diag))


def run(*args, env_extra=None, exe=None):
    env = dict(os.environ)
    env['IOMMUFD_MOCK_KERNEL'] = model
    for k in ('IOMMUFD_TRACE', 'IOMMUFD_TRACE_FILE', 'IOMMUFD_TRACE_TIMESTAMP', 'LD_PRELOAD',
              'IOMMUFD_MOCK_DEVICES'):
        env.pop(k, None)
    if env_extra:
        env.update(env_extra)
    p = subprocess.run([exe or probe] + list(args), env=env, capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def run_json(*args, **kw):
    """(rc, parsed JSON or None, stdout, stderr)"""
    rc, out, err = run(*args, **kw)
    try:
        return rc, json.loads(out), out, err
    except ValueError as e:
        return rc, None, out, '%s\nJSON error: %s' % (err, e)


def keys_of(value, into):
    """every object key in a JSON value"""
    if isinstance(value, dict):
        for k, v in value.items():
            into.add(k)
            keys_of(v, into)
    elif isinstance(value, list):
        for v in value:
            keys_of(v, into)
    return into


def all_json_outputs():
    """The JSON of every command, successful and failed (for the man page test)."""
    outs = []
    dev = {'IOMMUFD_MOCK_DEVICES': '1'}
    for args in (['features'], ['ranges'], ['ranges', '--device', MOCK_NODE],
                 ['hw-info', '--device', MOCK_NODE], ['demo'],
                 ['hw-info', '--device', '/nonexistent/vfio0']):
        rc, js, out, err = run_json('--mock', '--json', *args, env_extra=dev)
        outs.append((args, rc, js, err))
    return outs


def commands_mode():
    dev = {'IOMMUFD_MOCK_DEVICES': '1'}

    # ---- features
    rc, out, err = run('--mock', 'features')
    ok(rc == 0, 'features: exit 0', (rc, err))
    text = {}
    for line in out.splitlines():
        m = re.match(r'^(IOMMU_\w+)\s+(yes|no)\s', line)
        if m:
            text[m.group(1)] = m.group(2) == 'yes'
    rc, js, raw, err = run_json('--mock', '--json', 'features')
    ok(rc == 0 and js is not None, 'features --json: exit 0, valid JSON', (rc, raw, err))
    js = js or {}
    ok(js.get('command') == 'features' and js.get('mock') is True,
       'features --json: command "features", mock true', js)
    cmds = {c.get('name'): c for c in js.get('commands', [])}
    ok(len(cmds) >= 20 and all(isinstance(c.get('nr'), int) and isinstance(c.get('present'), bool)
                              for c in cmds.values()),
       'features --json: one entry per command with nr and present', js)
    ok(cmds and {n: c['present'] for n, c in cmds.items()} == text,
       'features: text and JSON agree on every command', (text, cmds))
    ok(cmds.get('IOMMU_IOAS_ALLOC', {}).get('present') is True and
       cmds.get('IOMMU_IOAS_ALLOC', {}).get('since') == '6.2',
       'features --json: IOMMU_IOAS_ALLOC present, since 6.2', cmds.get('IOMMU_IOAS_ALLOC'))
    want = {n: newest for n in NEWER_THAN_6_12}
    got = {n: cmds.get(n, {}).get('present') for n in NEWER_THAN_6_12}
    ok(got == want, 'features --json: the commands after 6.12 are %s in this model' %
       ('present' if newest else 'absent'), got)
    ok(js.get('selftest') is True, 'features --json: the mock answers IOMMU_TEST_CMD', js)

    # ---- ranges of a fresh IOAS: everything, no alignment constraint
    rc, js, raw, err = run_json('--mock', '--json', 'ranges')
    ok(rc == 0 and js is not None, 'ranges --json: exit 0, valid JSON', (rc, raw, err))
    js = js or {}
    ok(js.get('command') == 'ranges' and js.get('device') is None and js.get('dev_id') is None
       and js.get('hwpt_id') is None and isinstance(js.get('ioas_id'), int),
       'ranges --json: a fresh IOAS, no device', js)
    ok(js.get('ranges') == [{'start': 0, 'last': 2**64 - 1}] and js.get('alignment') == 1,
       'ranges --json: a fresh IOAS has [0, 2^64-1], alignment 1', js)
    rc, out, err = run('--mock', 'ranges')
    ok(rc == 0 and 'usable IOVA ranges: 1\n' in out and
       '0x0000000000000000 - 0xffffffffffffffff  (16 EiB)' in out and
       'IOVA alignment: 0x1 (1 byte)' in out, 'ranges: the same, as text', (rc, out, err))

    # ---- ranges with the mock device attached: the mock's aperture
    rc, js, raw, err = run_json('--mock', '--json', 'ranges', '--device', MOCK_NODE,
                                env_extra=dev)
    ok(rc == 0 and js is not None, 'ranges --device --json: exit 0, valid JSON', (rc, raw, err))
    js = js or {}
    ok(js.get('device') == MOCK_NODE and isinstance(js.get('dev_id'), int) and
       isinstance(js.get('hwpt_id'), int) and js.get('hwpt_id') != js.get('ioas_id'),
       'ranges --device --json: the device, its dev_id, the kernel\'s HWPT', js)
    ok(js.get('ranges') == [{'start': APERTURE[0], 'last': APERTURE[1]}] and
       js.get('alignment') == IO_PAGE_SIZE,
       'ranges --device --json: the mock domain\'s aperture [0x%x, 0x%x], alignment %d' %
       (APERTURE[0], APERTURE[1], IO_PAGE_SIZE), js)
    rc, out, err = run('--mock', 'ranges', '--device', MOCK_NODE, env_extra=dev)
    ok(rc == 0 and '0x%016x - 0x%016x  (2032 MiB)' % APERTURE in out and
       'IOVA alignment: 0x800 (2048 bytes)' in out and ('device %s' % MOCK_NODE) in out,
       'ranges --device: the same, as text', (rc, out, err))
    # --mock names the node itself: IOMMUFD_MOCK_DEVICES defaults to 1
    rc, js2, raw, err = run_json('--mock', '--json', 'ranges', '--device', MOCK_NODE)
    ok(rc == 0 and js2 and js2.get('ranges') == js.get('ranges'),
       '--mock without IOMMUFD_MOCK_DEVICES: vfio0 exists for --device', (rc, raw, err))

    # ---- hw-info: the selftest type
    rc, js, raw, err = run_json('--mock', '--json', 'hw-info', '--device', MOCK_NODE,
                                env_extra=dev)
    ok(rc == 0 and js is not None, 'hw-info --json: exit 0, valid JSON', (rc, raw, err))
    js = js or {}
    ok(js.get('command') == 'hw-info' and js.get('device') == MOCK_NODE and
       isinstance(js.get('dev_id'), int), 'hw-info --json: command, device, dev_id', js)
    ok(js.get('type') == SELFTEST_TYPE and js.get('type_name') == 'selftest',
       'hw-info --json: the selftest type 0x%x' % SELFTEST_TYPE, js)
    caps = CAP_DIRTY | (CAP_ATS_NOT_SUPPORTED if newest else 0)
    names = ['dirty-tracking'] + (['pci-ats-not-supported'] if newest else [])
    ok(js.get('capabilities') == caps and js.get('capability_names') == names,
       'hw-info --json: capabilities 0x%x %s' % (caps, names), js)
    ok(js.get('max_pasid_log2') == 0, 'hw-info --json: no PASID on a plain mock device', js)
    data = js.get('data', {})
    ok(js.get('data_len') == 8 and data.get('test_reg') == SELFTEST_REGVAL and
       data.get('flags') == 0 and data.get('flag_names') == [] and
       data.get('raw') == '00000000efbeadde',
       'hw-info --json: driver data: flags 0, test_reg 0x%x, raw hex' % SELFTEST_REGVAL, js)
    rc, out, err = run('--mock', 'hw-info', '--device', MOCK_NODE, env_extra=dev)
    want = ['IOMMU type: selftest (4276993775, 0xfeedbeef)',
            'capabilities: 0x%x (%s)' % (caps, ', '.join(names)),
            'max_pasid_log2: 0 (no PASID support)', 'driver data: 8 bytes',
            '  test_reg: 0xdeadbeef', '  raw: 00000000efbeadde']
    ok(rc == 0 and all(w in out.splitlines() for w in want), 'hw-info: the same, as text',
       (rc, out, err))

    # ---- --trace: the ioctls on stderr, the JSON on stdout still whole
    rc, js2, raw, err = run_json('--mock', '--trace', 'iommufd_*', '--json', 'hw-info',
                                 '--device', MOCK_NODE, env_extra=dev)
    ok(rc == 0 and js2 == js and 'iommufd_backend_get_device_info' in err and
       'iommufd_vfio_bind ' in err,
       'hw-info --trace --json: trace lines on stderr, the same JSON on stdout', (rc, raw, err))

    # ---- failures: exit 1 with the library's message and hint
    rc, out, err = run('--mock', 'hw-info', '--device', '/nonexistent/vfio0', env_extra=dev)
    lines = err.splitlines()
    ok(rc == 1 and out == '', 'hw-info on a missing node: exit 1, nothing on stdout', (rc, out))
    ok(lines and lines[0].startswith('hw-info: ') and '/nonexistent/vfio0' in lines[0] and
       'No such file or directory' in lines[0],
       'hw-info on a missing node: the library\'s message names the node and the error', err)
    ok(len(lines) >= 2 and 'vfio' in err.lower() and 'cdev' in err.lower(),
       'hw-info on a missing node: the library\'s hint follows', err)
    rc, js, raw, err2 = run_json('--mock', '--json', 'hw-info', '--device', '/nonexistent/vfio0')
    e = (js or {}).get('error', {})
    ok(rc == 1 and js is not None and e.get('errno') == 2 and e.get('errno_name') == 'ENOENT' and
       '/nonexistent/vfio0' in e.get('message', '') and e.get('hint'),
       'hw-info --json on a missing node: exit 1, an "error" object (message, hint, errno)',
       (rc, raw, err2))
    rc, out, err = run('--mock', 'ranges', '--device', '/nonexistent/vfio0')
    ok(rc == 1 and err.startswith('ranges: ') and '/nonexistent/vfio0' in err,
       'ranges on a missing node: exit 1 with the library\'s message', (rc, err))

    # ---- demo, as JSON
    rc, js, raw, err = run_json('--mock', '--json', 'demo')
    ok(rc == 0 and js is not None, 'demo --json: exit 0, valid JSON', (rc, raw, err))
    steps = (js or {}).get('steps', [])
    ok(steps and steps[0].startswith("connected to the mock's /dev/iommu") and
       steps[-1].startswith('dirty tracking stopped; torn down leaves first'),
       'demo --json: the steps, from connecting to the teardown', steps)
    ok(any(s.startswith('vIOMMU ') for s in steps) == newest and
       any('no vIOMMU on this kernel' in s for s in steps) == (not newest),
       'demo --json: a vIOMMU %s' % ('is allocated' if newest else 'is not (6.12)'), steps)
    rc, js, raw, err = run_json('--mock', '--json', 'demo', '/nonexistent/vfio0')
    ok(rc == 1 and js is not None and js.get('device') == '/nonexistent/vfio0' and
       len(js.get('steps', [])) == 1 and 'error' in js,
       'demo --json that fails: exit 1, the steps so far and the error', (rc, raw, err))

    # ---- usage: exit 2
    for args, what, expect in (
            (['--frobnicate', 'features'], 'an unknown option', "unknown option '--frobnicate'"),
            (['hw-info', '--frobnicate'], 'an unknown command option',
             "unknown option '--frobnicate'"),
            (['frobnicate'], 'an unknown command', "unknown command 'frobnicate'"),
            ([], 'no command', 'no command given'),
            (['hw-info'], 'hw-info without --device', 'needs --device PATH'),
            (['ranges', 'x'], 'an extra argument', "unexpected argument 'x'"),
            (['features', '--device', MOCK_NODE], 'features with --device', 'takes no --device'),
            (['ranges', '--device'], '--device without its path', 'needs an argument'),
            (['--trace'], '--trace without its pattern', 'needs an argument'),
            (['--trace', 'no_such_event*', 'features'], '--trace that matches nothing',
             'matches no event')):
        rc, out, err = run('--mock', *args)
        ok(rc == 2 and expect in err and out == '',
           'usage: %s: exit 2, "%s"' % (what, expect), (rc, out, err))

    # ---- --help
    rc, out, err = run('--help')
    ok(rc == 0 and out.startswith('usage: iommufd-probe') and err == '',
       '--help: the usage on stdout, exit 0', (rc, out, err))
    ok(all(re.search(r'^  %s\b' % c, out, re.M) for c in ('features', 'ranges', 'hw-info',
                                                          'demo')),
       '--help lists every command', out)
    for c in ('features', 'ranges', 'hw-info', 'demo'):
        rc, out, err = run(c, '--help')
        ok(rc == 0 and out.startswith('usage: iommufd-probe') and (' %s' % c) in
           out.splitlines()[0] and '--json' in out,
           '%s --help: its usage, exit 0' % c, (rc, out, err))

    # ---- --mock's search, in an installed layout: bin/ and lib/ with the mock beside
    # libiommufd (LD_LIBRARY_PATH stands in for the installed library path)
    lib = re.search(r'(\S*libiommufd\.so\.\d+) \(', subprocess.run(
        ['ldd', probe], capture_output=True, text=True).stdout)
    mock = os.path.join(os.path.dirname(probe), '..', 'tests', 'mock', 'libiommufd-mock.so')
    if lib and os.path.exists(mock):
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, 'bin'))
            os.makedirs(os.path.join(tmp, 'lib'))
            exe = os.path.join(tmp, 'bin', 'iommufd-probe')
            shutil.copy(probe, exe)
            shutil.copy(lib.group(1), os.path.join(tmp, 'lib', os.path.basename(lib.group(1))))
            ldenv = {'LD_LIBRARY_PATH': os.path.join(tmp, 'lib')}
            rc, out, err = run('--mock', 'features', exe=exe, env_extra=ldenv)
            ok(rc == 1 and 'libiommufd-mock.so not found' in err and out == '',
               '--mock without the mock: exit 1, says what is missing', (rc, out, err))
            shutil.copy(os.path.realpath(mock), os.path.join(tmp, 'lib', 'libiommufd-mock.so'))
            rc, js, raw, err = run_json('--mock', '--json', 'features', exe=exe,
                                        env_extra=ldenv)
            ok(rc == 0 and js and js.get('mock') is True,
               '--mock finds the mock beside libiommufd (installed layout)', (rc, raw, err))
    else:
        results.append((True, '--mock in an installed layout # SKIP libiommufd or the mock not '
                        'found from %s' % probe, None))


def man_mode(page):
    text = open(page, encoding='utf-8').read()
    # the page as words: roff escapes of '-' undone, fonts dropped
    plain = re.sub(r'\\f[BIRP]', '', text.replace('\\-', '-').replace('\\(em', '-'))
    sections = {}
    cur = None
    for line in plain.splitlines():
        m = re.match(r'^\.SH\s+"?([^"]+?)"?\s*$', line)
        if m:
            cur = m.group(1).strip()
            sections[cur] = ''
        elif cur:
            sections[cur] += line + '\n'
    need = ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'COMMANDS', 'OPTIONS', 'JSON OUTPUT',
            'EXIT STATUS', 'ENVIRONMENT', 'EXAMPLES']
    ok(all(s in sections for s in need), 'the page has the sections ' + ', '.join(need),
       sorted(sections))

    rc, help_out, err = run('--help')
    cmds = re.findall(r'^  ([a-z][a-z-]*)\b', help_out.split('commands:')[1].split('options:')[0],
                      re.M)
    ok(len(cmds) >= 4, '--help lists the commands', help_out)
    missing = [c for c in cmds if not re.search(r'^\.(TP|SS|B|IP).*\b%s\b' % re.escape(c),
                                                     sections.get('COMMANDS', ''), re.M)
               and ('\n%s' % c) not in sections.get('COMMANDS', '')]
    ok(not missing, 'COMMANDS documents every command of --help', missing)
    opts = set(re.findall(r'(?<![\w-])(--[a-z][a-z-]*|-h)\b', help_out))
    for c in cmds:
        opts |= set(re.findall(r'(?<![\w-])(--[a-z][a-z-]*|-h)\b', run(c, '--help')[1]))
    missing = sorted(o for o in opts if o not in sections.get('OPTIONS', ''))
    ok(len(opts) >= 5 and not missing, 'OPTIONS documents every option of the --help texts (%s)'
       % ' '.join(sorted(opts)), missing)
    ok(all(c in sections.get('SYNOPSIS', '') for c in cmds), 'SYNOPSIS shows every command',
       sections.get('SYNOPSIS'))

    keys = set()
    for args, rc, js, err in all_json_outputs():
        ok(js is not None, 'JSON of %s: valid' % ' '.join(args), err)
        keys_of(js, keys)
    ok({'command', 'mock', 'error', 'message', 'hint', 'errno', 'steps', 'ranges',
        'capabilities', 'test_reg'} <= keys, 'the outputs have the keys of every command',
       sorted(keys))
    doc = sections.get('JSON OUTPUT', '')
    missing = sorted(k for k in keys if not re.search(r'(?<![\w-])%s(?![\w-])' % re.escape(k),
                                                      doc))
    ok(not missing, 'JSON OUTPUT documents every key the tool prints (%d keys)' % len(keys),
       missing)
    # keys of the decoders the mock cannot show (VT-d, SMMUv3)
    missing = [k for k in ('cap_reg', 'ecap_reg', 'idr', 'iidr', 'aidr', 'raw') if k not in doc]
    ok(not missing, 'JSON OUTPUT documents the VT-d and SMMUv3 keys', missing)
    ok(all(('\n%d' % s) in sections.get('EXIT STATUS', '') or
           ('B %d' % s) in sections.get('EXIT STATUS', '') for s in (0, 1, 2)),
       'EXIT STATUS gives 0, 1 and 2', sections.get('EXIT STATUS'))
    ok(all(v in sections.get('ENVIRONMENT', '') for v in ('IOMMUFD_MOCK_KERNEL',
                                                          'IOMMUFD_MOCK_DEVICES', 'LD_PRELOAD')),
       'ENVIRONMENT names the mock\'s variables', sections.get('ENVIRONMENT'))

    groff = shutil.which('groff')
    if groff:
        p = subprocess.run([groff, '-man', '-Tutf8', '-ww', '-z', page], capture_output=True,
                           text=True, timeout=60)
        ok(p.returncode == 0 and p.stderr == '', 'groff -man -Tutf8 -ww: no warning',
           (p.returncode, p.stderr))
        p = subprocess.run([groff, '-man', '-Tutf8', page], capture_output=True, text=True,
                           timeout=60)
        rendered = re.sub('.\b', '', p.stdout)     # no overstrike (bold, underline)
        ok('hw-info --device PATH' in rendered and 'JSON OUTPUT' in rendered and
           'capability_names' in rendered, 'the rendered page has its text', rendered[:300])
    else:
        results.append((True, 'groff renders the page # SKIP groff is not installed', None))
        results.append((True, 'the rendered page has its text # SKIP groff is not installed',
                        None))


if mode == 'commands':
    commands_mode()
elif mode == 'man':
    man_mode(sys.argv[4])
else:
    print('Bail out! unknown mode %s' % mode)
    sys.exit(2)

print('1..%d' % len(results))
for i, (good, name, diag) in enumerate(results, 1):
    print('%s %d - %s' % ('ok' if good else 'not ok', i, name))
    if not good and diag is not None:
        for line in str(diag).splitlines()[:40]:
            print('#   ' + line)
sys.exit(0)
