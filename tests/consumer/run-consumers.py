#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Build and run outside projects against libiommufd as users get it.

    run-consumers.py BUILD_DIR

1. installs BUILD_DIR into a temporary DESTDIR (meson install --destdir) and
   checks the installed tree: headers under <includedir>/libiommufd-0/iommufd/,
   nothing that could shadow <linux/...>, the libraries, the pkg-config files;
2. pkgconfig/: builds consumer-dma against the installed library through
   pkg-config and runs it on the mock (preloaded);
3. the same statically (pkg-config --static), when BUILD_DIR has a static
   library (default_library=both or static);
4. mock/: links the installed libiommufd-mock and libiommufd, drives a page
   fault through <iommufd/mock.h>;
5. runs the installed iommufd-probe --mock features (it must find the
   installed mock beside the installed library);
6. subproject/: the project's source laid out as subprojects/libiommufd of an
   outside project, which gets dependency('libiommufd') from its wrap file's
   [provide]; the subproject must build none of the project's tests and tools.

The installed .pc files keep the configured prefix: they are relocated into
the DESTDIR by rewriting their prefix= line into a private PKG_CONFIG_PATH
directory (PKG_CONFIG_SYSROOT_DIR would also move glib's -I paths).  Every
temporary directory is removed at the end (IOMMUFD_CONSUMER_KEEP=1 keeps
them, for debugging).  Output: TAP.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=''):
        self.n += 1
        print(('ok' if cond else 'not ok') + ' %d - %s' % (self.n, name))
        if not cond:
            self.failed += 1
            for line in str(detail).rstrip().splitlines()[-40:]:
                print('# ' + line)
        sys.stdout.flush()
        return cond

    def skip(self, name, why):
        self.n += 1
        print('ok %d - %s # SKIP %s' % (self.n, name, why))
        sys.stdout.flush()


def run(cmd, env=None, cwd=None):
    """(returncode, stdout+stderr) of a command; never raises for its failure."""
    try:
        p = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True)
    except OSError as e:
        return 127, '%s: %s' % (cmd[0], e)
    return p.returncode, '$ %s\n%s' % (' '.join(cmd), p.stdout)


def needed(path):
    rc, out = run(['readelf', '-d', path])
    return re.findall(r'\(NEEDED\)\s+Shared library: \[([^\]]+)\]', out) if rc == 0 else None


def tap_summary(out):
    """(passed, failed, planned) of a TAP output; planned 0 for a whole skip."""
    passed = len(re.findall(r'^ok \d+', out, flags=re.M))
    failed = len(re.findall(r'^not ok \d+', out, flags=re.M))
    plan = re.search(r'^1\.\.(\d+)', out, flags=re.M)
    return passed, failed, int(plan.group(1)) if plan else None


def ran_ok(tap, name, rc, out, want):
    """The program exited 0 and passed all of its WANT planned TAP results."""
    passed, failed, planned = tap_summary(out)
    return tap.ok(rc == 0 and failed == 0 and planned == want and passed == want,
                  '%s (%d of %d TAP results passed)' % (name, passed, want),
                  'exit %d, %d passed, %d failed, plan %s\n%s'
                  % (rc, passed, failed, planned, out))


def build_opts(build):
    rc, out = run(['meson', 'introspect', '--buildoptions', build])
    if rc != 0:
        raise RuntimeError('meson introspect --buildoptions %s failed:\n%s' % (build, out))
    return {o['name']: o['value'] for o in json.loads(out[out.index('\n') + 1:])}


def relocate_pc(src_dir, dst_dir, prefix, new_prefix, names):
    """Copies of the .pc files NAMES with prefix=PREFIX made NEW_PREFIX."""
    problems = []
    os.makedirs(dst_dir, exist_ok=True)
    for name in names:
        src = os.path.join(src_dir, name + '.pc')
        if not os.path.exists(src):
            problems.append('%s not installed' % src)
            continue
        with open(src) as f:
            text = f.read()
        if not re.search(r'^prefix=%s$' % re.escape(prefix), text, flags=re.M):
            problems.append('%s: no line prefix=%s' % (src, prefix))
        text = re.sub(r'^prefix=.*$', 'prefix=' + new_prefix, text, flags=re.M)
        with open(os.path.join(dst_dir, name + '.pc'), 'w') as f:
            f.write(text)
    return problems


def meson_build(tap, name, src, build, env, options=()):
    rc, out = run(['meson', 'setup', build, src] + list(options), env=env)
    if rc == 0:
        rc, out2 = run(['ninja', '-C', build, '-j2'], env=env)
        out += out2
    return tap.ok(rc == 0, '%s: configured and built' % name, out)


def check_install(tap, dest, prefix, opts):
    incdir = dest + os.path.join(prefix, opts['includedir'])
    libdir = dest + os.path.join(prefix, opts['libdir'])
    hdr_dir = os.path.join(incdir, 'libiommufd-0', 'iommufd')
    expected = ['iommufd.h', 'backend.h', 'error.h', 'events.h', 'mock.h', 'qemu-compat.h',
                'trace.h', 'vfio.h']
    missing = [h for h in expected if not os.path.isfile(os.path.join(hdr_dir, h))]
    tap.ok(not missing, 'headers installed in <includedir>/libiommufd-0/iommufd/',
           'missing: %s' % ', '.join(missing))
    # nothing at <includedir>/iommufd, no directory named linux anywhere
    # under the versioned one (it would shadow the system's <linux/...>)
    bad = []
    if os.path.exists(os.path.join(incdir, 'iommufd')):
        bad.append(os.path.join(incdir, 'iommufd') + ' exists (unversioned)')
    for root, dirs, _ in os.walk(os.path.join(incdir, 'libiommufd-0')):
        bad += [os.path.join(root, d) for d in dirs if d == 'linux']
    uapi = [os.path.join(hdr_dir, 'uapi', h) for h in ('iommufd.h', 'vfio.h')]
    if opts.get('install_uapi'):
        bad += ['%s missing (install_uapi=true)' % u for u in uapi if not os.path.isfile(u)]
    else:
        bad += ['%s installed (install_uapi=false)' % u for u in uapi if os.path.exists(u)]
    tap.ok(not bad, 'no unversioned or <linux/...>-shadowing header directory; uapi headers '
           'as <iommufd/uapi/*.h> only with install_uapi (%s)' % opts.get('install_uapi'),
           '\n'.join(bad))
    libs = ['libiommufd.so', 'libiommufd.so.0', 'libiommufd.so.0.1.0', 'libiommufd-mock.so',
            'libiommufd-mock.so.0', 'pkgconfig/libiommufd.pc', 'pkgconfig/libiommufd-mock.pc']
    if opts['default_library'] == 'static':
        libs = [x for x in libs if not x.startswith('libiommufd.so')]
    if opts['default_library'] in ('static', 'both'):
        libs.append('libiommufd.a')
    missing = [x for x in libs if not os.path.exists(os.path.join(libdir, x))]
    tap.ok(not missing, 'libraries and pkg-config files installed in <libdir>',
           'missing in %s: %s' % (libdir, ', '.join(missing)))
    return incdir, libdir


def check_pc(tap, env, libdir, incdir):
    rc, cflags = run(['pkg-config', '--cflags', 'libiommufd'], env=env)
    rc2, libs = run(['pkg-config', '--libs', 'libiommufd'], env=env)
    rc3, req = run(['pkg-config', '--print-requires', 'libiommufd'], env=env)
    rc4, mock = run(['pkg-config', '--cflags', '--libs', 'libiommufd-mock'], env=env)
    want_i = '-I' + os.path.join(incdir, 'libiommufd-0')
    reqs = set(re.findall(r'^(\S+)', req.split('\n', 1)[1], flags=re.M)) if rc3 == 0 else set()
    ok = (rc == rc2 == rc3 == rc4 == 0 and want_i in cflags.split() and
          '-L' + libdir in libs.split() and '-liommufd' in libs.split() and
          {'glib-2.0', 'gobject-2.0'} <= reqs and want_i in mock.split() and
          '-liommufd-mock' in mock.split())
    tap.ok(ok, 'pkg-config: -I<includedir>/libiommufd-0, -liommufd, Requires glib-2.0 '
           'gobject-2.0; libiommufd-mock likewise', cflags + libs + req + mock)
    # tracing never makes liblttng-ust a requirement of users (dlopen)
    rc, priv = run(['pkg-config', '--print-requires-private', 'libiommufd'], env=env)
    tap.ok(rc == 0 and 'lttng' not in priv.split('\n', 1)[1] and 'lttng' not in req,
           'libiommufd.pc requires no lttng-ust (Requires, Requires.private)', req + priv)


def check_static_libs(tap, env, libdir):
    """pkg-config --static --libs libiommufd: every -l resolves."""
    rc, out = run(['pkg-config', '--static', '--libs', 'libiommufd'], env=env)
    if rc != 0:
        return tap.ok(False, 'pkg-config --static --libs libiommufd', out)
    flags = out.split('\n', 1)[1].split()
    ldirs = [f[2:] for f in flags if f.startswith('-L')]
    unresolved = []
    for lib in [f[2:] for f in flags if f.startswith('-l')]:
        found = any(os.path.exists(os.path.join(d, 'lib%s.%s' % (lib, ext)))
                    for d in ldirs for ext in ('a', 'so'))
        if not found:
            # the compiler's own search path
            for ext in ('a', 'so'):
                rc2, p = run(['cc', '-print-file-name=lib%s.%s' % (lib, ext)])
                p = p.split('\n', 1)[1].strip()
                if rc2 == 0 and os.path.isabs(p) and os.path.exists(p):
                    found = True
                    break
        if not found:
            unresolved.append('-l' + lib)
    has_a = os.path.exists(os.path.join(libdir, 'libiommufd.a'))
    return tap.ok(not unresolved and has_a and '-liommufd' in flags and libdir in ldirs,
                  'pkg-config --static --libs libiommufd resolves against the installed tree '
                  '(%s)' % ' '.join(flags),
                  out + '\nunresolved: %s; libiommufd.a present: %s'
                  % (' '.join(unresolved), has_a))


def main():
    if len(sys.argv) != 2:
        print('usage: run-consumers.py BUILD_DIR', file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[1])
    for tool in ('meson', 'ninja', 'pkg-config', 'readelf', 'cc'):
        if not shutil.which(tool):
            print('1..0 # SKIP %s not found' % tool)
            return 0
    opts = build_opts(build)
    prefix = opts['prefix']
    tap = Tap()
    keep = os.environ.get('IOMMUFD_CONSUMER_KEEP') == '1'
    tmp = tempfile.mkdtemp(prefix='libiommufd-consumer-')
    try:
        return run_all(tap, build, opts, prefix, tmp)
    finally:
        if keep:
            print('# kept %s' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
        print('1..%d' % tap.n)


def run_all(tap, build, opts, prefix, tmp):
    dest = os.path.join(tmp, 'destdir')
    rc, out = run(['meson', 'install', '-C', build, '--no-rebuild', '--quiet',
                   '--destdir', dest])
    if not tap.ok(rc == 0, 'meson install --destdir of %s' % os.path.basename(build), out):
        return 1
    incdir, libdir = check_install(tap, dest, prefix, opts)
    bindir = dest + os.path.join(prefix, opts['bindir'])
    has_shared = opts['default_library'] != 'static'

    pcdir = os.path.join(tmp, 'pkgconfig')
    problems = relocate_pc(os.path.join(libdir, 'pkgconfig'), pcdir, prefix, dest + prefix,
                           ['libiommufd', 'libiommufd-mock'])
    tap.ok(not problems, 'pkg-config files relocated into the DESTDIR', '\n'.join(problems))
    env = dict(os.environ)
    env.pop('LD_PRELOAD', None)
    env['PKG_CONFIG_PATH'] = pcdir
    env.pop('PKG_CONFIG_SYSROOT_DIR', None)
    # only the installed tree (meson test points LD_LIBRARY_PATH at the build tree)
    env['LD_LIBRARY_PATH'] = libdir
    env['IOMMUFD_MOCK_KERNEL'] = 'newest'
    check_pc(tap, env, libdir, incdir)
    if opts.get('install_uapi'):
        # <iommufd/uapi/*.h> compile with the system's <linux/...> beside them
        probe_c = os.path.join(tmp, 'uapi.c')
        with open(probe_c, 'w') as f:
            f.write('#include <iommufd/uapi/iommufd.h>\n#include <iommufd/uapi/vfio.h>\n'
                    '#include <iommufd/backend.h>\n'
                    'int main(void) { return (int)sizeof(struct iommu_ioas_alloc) != 12; }\n')
        rc, cflags = run(['pkg-config', '--cflags', 'libiommufd'], env=env)
        rc2, out = run(['cc', '-std=c11', '-Wall', '-Werror', '-fsyntax-only', probe_c] +
                       cflags.split('\n', 1)[1].split(), env=env)
        tap.ok(rc == 0 and rc2 == 0, '<iommufd/uapi/iommufd.h> and <iommufd/uapi/vfio.h> '
               'compile from the installed tree', cflags + out)
    mock_so = os.path.join(libdir, 'libiommufd-mock.so.0')
    # A sanitized build (the asan_ubsan and tsan set-ups) installs sanitized
    # libraries: the consumers are built with the same sanitizer, and the
    # sanitizer's runtime is preloaded ahead of the mock (it must come first).
    san = opts.get('b_sanitize', 'none')
    san_opts = [] if san in ('none', '') else ['-Db_sanitize=' + san, '-Db_lundef=false']
    rt = ''
    for kind, lib in (('address', 'libasan.so'), ('thread', 'libtsan.so')):
        if kind in san:
            rc, out = run(['cc', '-print-file-name=' + lib])
            rt += out.split('\n', 1)[1].strip() + ':'
    preload = dict(env, LD_PRELOAD=rt + mock_so)

    # (a) through pkg-config, shared
    src = os.path.join(HERE, 'pkgconfig')
    b = os.path.join(tmp, 'build-pkgconfig')
    if meson_build(tap, 'pkgconfig consumer', src, b, env, san_opts):
        exe = os.path.join(b, 'consumer-dma')
        libs = needed(exe) or []
        tap.ok(('libiommufd.so.0' in libs) == has_shared,
               'pkgconfig consumer links %s' % ('libiommufd.so.0' if has_shared
                                                else 'libiommufd.a (default_library=static)'),
               'NEEDED: %s' % libs)
        rc, out = run([exe], env=preload)
        ran_ok(tap, 'pkgconfig consumer runs on the preloaded installed mock', rc, out, 7)

    # (a') statically, when the build has a static library
    if opts['default_library'] in ('both', 'static'):
        if check_static_libs(tap, env, libdir):
            b = os.path.join(tmp, 'build-pkgconfig-static')
            if meson_build(tap, 'pkgconfig consumer, -Dstatic=true', src, b, env,
                           ['-Dstatic=true'] + san_opts):
                exe = os.path.join(b, 'consumer-dma')
                libs = needed(exe)
                tap.ok(libs is not None and
                       not any(n.startswith(('libiommufd', 'liblttng')) for n in libs),
                       'static consumer has libiommufd linked in (no NEEDED libiommufd, '
                       'nor liblttng-ust)',
                       'NEEDED: %s' % libs)
                rc, out = run([exe], env=preload)
                ran_ok(tap, 'static consumer runs on the preloaded installed mock', rc, out, 7)
    else:
        tap.skip('static consumer', 'no static library (default_library=%s)'
                 % opts['default_library'])

    # (c) the installed mock, linked
    b = os.path.join(tmp, 'build-mock')
    if meson_build(tap, 'mock consumer', os.path.join(HERE, 'mock'), b, env, san_opts):
        exe = os.path.join(b, 'consumer-fault')
        libs = needed(exe) or []
        tap.ok('libiommufd-mock.so.0' in libs and ('libiommufd.so.0' in libs) == has_shared,
               'mock consumer links libiommufd-mock.so.0 and libiommufd',
               'NEEDED: %s' % libs)
        rc, out = run([exe], env=env)
        ran_ok(tap, 'mock consumer: a page fault triggered, read and answered', rc, out, 15)

    # the installed iommufd-probe finds the installed mock
    probe = os.path.join(bindir, 'iommufd-probe')
    if os.path.exists(probe):
        rc, out = run([probe, '--mock', 'features'], env=env)
        tap.ok(rc == 0 and 'IOMMU_IOAS_ALLOC' in out,
               'installed iommufd-probe --mock features runs on the installed mock', out)
    else:
        tap.ok(False, 'installed iommufd-probe --mock features', '%s not installed' % probe)

    # (b) as a meson subproject, through the wrap file's [provide]
    src = os.path.join(tmp, 'subproject')
    shutil.copytree(os.path.join(HERE, 'subproject'), src)   # follows consumer-dma.c's link
    os.symlink(SOURCE_ROOT, os.path.join(src, 'subprojects', 'libiommufd'))
    b = os.path.join(tmp, 'build-subproject')
    # no installed libiommufd in sight, and the fallback forced: the
    # dependency must come from the wrap file's [provide] (and the
    # subproject's meson.override_dependency)
    sub_env = dict(env)
    del sub_env['PKG_CONFIG_PATH']
    sub_env.pop('LD_LIBRARY_PATH')
    if meson_build(tap, 'subproject consumer', src, b, sub_env,
                   ['--wrap-mode=nodownload',
                    '--force-fallback-for=libiommufd,libiommufd-mock'] + san_opts):
        log = open(os.path.join(b, 'meson-logs', 'meson-log.txt')).read()
        fallback = 'Looking for a fallback subproject for the dependency libiommufd' in log
        from_sub = [d for d in ('libiommufd', 'libiommufd-mock')
                    if re.search(r'^Dependency %s found: YES \S+ \(overridden\)$'
                                 % re.escape(d), log, flags=re.M)]
        tap.ok(fallback and len(from_sub) == 2,
               'libiommufd and libiommufd-mock come from the subproject (overridden)',
               'found from the subproject: %s\n%s' % (from_sub, '\n'.join(
                   line for line in log.splitlines() if 'libiommufd' in line and
                   'ependency' in line)))
        rc, out = run(['meson', 'introspect', '--tests', b])
        tests = json.loads(out.split('\n', 1)[1]) if rc == 0 else None
        tap.ok(tests == [], 'the subproject registers no tests',
               out if tests is None else 'tests: %s' % [t['name'] for t in tests])
        rc, out = run(['meson', 'introspect', '--targets', b])
        names = [t['name'] for t in json.loads(out.split('\n', 1)[1])] if rc == 0 else []
        unwanted = [n for n in names if n == 'iommufd-probe' or n.startswith('test-') or
                    n.startswith('bench') or n.startswith('fuzz')]
        tap.ok(rc == 0 and 'iommufd' in names and 'iommufd-mock' in names and not unwanted,
               'the subproject builds the library and the mock, no tests or tools',
               out if rc else 'targets: %s; unwanted: %s' % (names, unwanted))
        sub = os.path.join(b, 'subprojects', 'libiommufd')
        built = [os.path.relpath(os.path.join(r, f), b) for r, _, fs in os.walk(sub)
                 for f in fs if f in ('iommufd-probe',) or f.startswith('test-')]
        tap.ok(not built, 'no iommufd-probe or test program in the build tree',
               'built: %s' % built)
        exe = os.path.join(b, 'consumer-dma')
        rc, out = run([exe], env=dict(sub_env, LD_PRELOAD=rt + os.path.join(
            sub, 'tests', 'mock', 'libiommufd-mock.so')))
        ran_ok(tap, 'subproject consumer runs on the subproject\'s mock', rc, out, 7)
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
