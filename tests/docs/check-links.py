#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every relative link of the given Markdown pages leads somewhere: the file
exists (relative to the page) and a #fragment is the anchor of one of its
headings (GitHub's rule: lower case, punctuation dropped, spaces to '-').
Links to http(s) are not followed.  TAP output, one test per page.

    check-links.py PAGE.md...
"""
import os
import re
import sys


def anchors(path):
    out = set()
    seen = {}
    in_code = False
    for line in open(path).read().splitlines():
        if line.startswith('```'):
            in_code = not in_code
            continue
        m = None if in_code else re.match(r'^#{1,6} (.*)$', line)
        if not m:
            continue
        slug = re.sub(r'[^\w\- ]', '', m.group(1).strip().lower()).replace(' ', '-')
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else '%s-%d' % (slug, n))
    return out


pages = sys.argv[1:]
print('1..%d' % len(pages))
for i, page in enumerate(pages, 1):
    text = open(page).read()
    text = re.sub(r'```.*?```', '', text, flags=re.S)       # not in code blocks
    text = re.sub(r'`[^`\n]*`', '', text)                    # nor in code spans
    bad = []
    links = re.findall(r'\]\(([^)\s]+)\)', text)
    for target in links:
        if re.match(r'[a-z]+:', target):
            continue
        path, _, frag = target.partition('#')
        dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        if not os.path.exists(dest):
            bad.append('%s: no file %s' % (target, dest))
        elif frag and dest.endswith('.md') and frag not in anchors(dest):
            bad.append('%s: no heading with anchor #%s in %s' % (target, frag, dest))
    print('%s %d - %s: %d relative links lead somewhere'
          % ('not ok' if bad else 'ok', i, os.path.basename(page), len(links)))
    for b in bad:
        print('# ' + b)
