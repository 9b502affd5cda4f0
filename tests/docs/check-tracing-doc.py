#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""docs/tracing.md names only what exists.

- every identifier iommufd_xxx it shows is a trace event (of the given
  trace-events files) or a function or type of the public headers; every
  glob (iommufd_backend_*) matches an event;
- every LTTng or perf event it shows (iommufd:NAME, sdt_iommufd:NAME) is an
  event that is not `disable`d;
- its environment table lists exactly the variables trace/control.c reads,
  and every other IOMMUFD_* name it shows exists in the source tree;
- every SDT probe it shows (sdt_iommufd:NAME, usdt:...:iommufd:NAME,
  .mark("NAME")) is in `readelf -n` of the built library (skipped when the
  library has no SDT notes: no dtrace backend).

TAP output.

    check-tracing-doc.py TRACING.md SOURCE-ROOT LIBRARY TRACE-EVENTS...
"""
import fnmatch
import glob
import os
import re
import subprocess
import sys

doc_md, root, library = sys.argv[1:4]
events_files = sys.argv[4:]
sys.path.insert(0, os.path.join(root, 'scripts'))
from tracetool.parser import parse_files  # noqa: E402

results = []


def check(ok, what, detail=(), skip=None):
    results.append((ok, what, list(detail), skip))


events = [ev for g in parse_files(events_files) for ev in g]
names = {e.name for e in events}
enabled = {e.name for e in events if not e.disabled}

headers = ''.join(open(h).read() for h in glob.glob(os.path.join(root, 'include', 'iommufd', '*.h')))
api = set(re.findall(r'\b(iommufd_[a-z0-9_]+)\s*\(', headers))
api |= set(re.findall(r'\b(IOMMUFD[A-Za-z0-9_]*)\b', headers))

doc = open(doc_md).read()


def matches(pattern, universe):
    return [n for n in universe if fnmatch.fnmatchcase(n, pattern)]


# 1. iommufd_xxx identifiers and globs
bad = []
for tok in sorted(set(re.findall(r'(?<![A-Za-z0-9_:.-])(iommufd_[a-z0-9_*?]+)', doc))):
    if '*' in tok or '?' in tok:
        if not matches(tok, names):
            bad.append('%s matches no event' % tok)
    elif tok not in names and tok not in api:
        bad.append('%s is neither an event nor a public function' % tok)
check(not bad, 'every iommufd_* name and pattern in the page exists', bad)

# 2. LTTng / perf event names
bad = []
shown = re.findall(r'(?<![A-Za-z0-9_])(?:sdt_)?iommufd:([a-z0-9_*]+)', doc)
for tok in sorted(set(shown)):
    if not matches(tok, enabled):
        bad.append('iommufd:%s is no enabled event' % tok)
check(shown and not bad, 'every iommufd:EVENT the page shows is an event (%d names)'
      % len(set(shown)), bad)

# 3. environment
control = open(os.path.join(root, 'trace', 'control.c')).read()
read = set(re.findall(r'getenv\("(IOMMUFD_[A-Z0-9_]+)"\)', control))
table = set(re.findall(r'^\| `(IOMMUFD_[A-Z0-9_]+)` \|', doc, re.M))
check(table == read and read,
      'the environment table lists exactly what trace/control.c reads (%s)'
      % ', '.join(sorted(read)),
      ['in the table only: %s' % ' '.join(sorted(table - read)),
       'read only: %s' % ' '.join(sorted(read - table))])
tree = []
for d in ('include', 'trace', 'tests', 'scripts', 'backends', 'tools', 'util'):
    for dirpath, _, files in os.walk(os.path.join(root, d)):
        for f in files:
            if f.endswith(('.c', '.h', '.py', '.build', '.sh')) or '.' not in f:
                try:
                    tree.append(open(os.path.join(dirpath, f), errors='replace').read())
                except OSError:
                    pass
tree = '\n'.join(tree)
bad = [n for n in sorted(set(re.findall(r'\b(IOMMUFD_[A-Z0-9_]+)\b', doc)))
       if n not in read and n not in api and not re.search(r'\b%s\b' % n, tree)]
check(not bad, 'every other IOMMUFD_* name the page shows exists in the source', bad)

# 4. SDT probes against readelf -n
probes = set()
try:
    out = subprocess.run(['readelf', '-n', '--wide', library], capture_output=True, text=True,
                         check=True).stdout
    provider = None
    for line in out.splitlines():
        m = re.search(r'Provider: (\S+)', line)
        if m:
            provider = m.group(1)
        m = re.search(r'^\s*Name: (\S+)', line)
        if m and provider:
            probes.add((provider, m.group(1)))
            provider = None
except (OSError, subprocess.CalledProcessError) as e:
    out = None
    why = str(e)
wanted = set(('iommufd', n) for n in re.findall(r'sdt_iommufd:([a-z0-9_*]+)', doc))
wanted |= set(('iommufd', n) for n in re.findall(r'usdt:[^:\s\']+:iommufd:([a-z0-9_*]+)', doc))
wanted |= set(('iommufd', n) for n in re.findall(r'\.mark\("([a-z0-9_]+)"\)', doc))
wanted |= set((p, n) for p, n in re.findall(r'Provider: (\S+)\s*\n\s*Name: (\S+)', doc))
if out is None:
    check(True, 'SDT probes', skip='readelf failed: ' + why)
elif not probes:
    check(True, 'SDT probes', skip='the library has no SDT notes (no dtrace backend)')
else:
    bad = ['%s:%s' % w for w in sorted(wanted)
           if not any(p == w[0] and fnmatch.fnmatchcase(n, w[1]) for p, n in probes)]
    check(wanted and not bad, 'every SDT probe the page shows is in readelf -n of %s (%d)'
          % (os.path.basename(library), len(wanted)), bad)
    missing = sorted(n for n in enabled if ('iommufd', n) not in probes)
    check(not missing, 'provider iommufd has a probe for every enabled event', missing)

print('1..%d' % len(results))
for n, (ok, what, detail, skip) in enumerate(results, 1):
    if skip:
        print('ok %d - %s # SKIP %s' % (n, what, skip))
        continue
    print('%s %d - %s' % ('ok' if ok else 'not ok', n, what))
    for d in (detail if not ok else []):
        print('# ' + d)
