#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Generate tracing code from trace-events files.

usage: tracetool.py --format FMT --backends LIST [--group NAME]
                    [--header PATH] [--ust-header PATH] [-o OUT] FILE...

Formats h and c take one group (one trace-events file); the ust-* formats
take every group at once, since they make one LTTng-UST provider.  Errors
in the input are printed as FILE:LINE: message, exit status 1.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from tracetool.parser import TracetoolError, parse_files  # noqa: E402
from tracetool.backends import make_backends  # noqa: E402
from tracetool.formats import FORMATS  # noqa: E402


def main(argv):
    ap = argparse.ArgumentParser(prog='tracetool.py',
                                 description='Generate tracing code from trace-events files.')
    ap.add_argument('--format', required=True, choices=sorted(FORMATS))
    ap.add_argument('--backends', required=True,
                    help='comma-separated subset of log,ust,dtrace, or nop')
    ap.add_argument('--group', default='root', help='group name (formats h and c)')
    ap.add_argument('--header', default=None,
                    help='include path of the group header (format c)')
    ap.add_argument('--ust-header', default='trace/trace-ust-all.h',
                    help='include path of the LTTng-UST provider header')
    ap.add_argument('-o', '--output', default='-')
    ap.add_argument('files', nargs='+', metavar='FILE')
    opts = ap.parse_args(argv)

    try:
        backends = make_backends(opts.backends)
    except ValueError as e:
        ap.error(str(e))
    fn, all_groups = FORMATS[opts.format]
    if not all_groups and len(opts.files) != 1:
        ap.error('format %s takes exactly one trace-events file' % opts.format)
    if opts.format == 'c' and not opts.header:
        ap.error('format c needs --header')

    try:
        groups = parse_files(opts.files)
    except TracetoolError as e:
        print(str(e), file=sys.stderr)
        return 1
    except OSError as e:
        print('tracetool.py: %s' % e, file=sys.stderr)
        return 1
    events = [ev for g in groups for ev in g]
    opts.input_names = [_display_name(f) for f in opts.files]
    text = fn(events, backends, opts)
    if opts.output == '-':
        sys.stdout.write(text)
    else:
        tmp = opts.output + '.tmp'
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)
        os.replace(tmp, opts.output)
    return 0


def _display_name(path):
    """The input's path relative to the source tree, so outputs do not depend
    on where the tree is checked out."""
    path = os.path.abspath(path)
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if path.startswith(top + os.sep):
        return os.path.relpath(path, top)
    return os.path.basename(path)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
