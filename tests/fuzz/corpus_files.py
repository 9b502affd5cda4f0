# SPDX-License-Identifier: LGPL-2.1-or-later
"""The command line of make-corpus.py and make-corpus-mock.py: write a seed
corpus (a dict of file name -> bytes) into a directory, or check that the
directory in the tree holds exactly what the script writes (TAP, for the
suite fuzz).

    SCRIPT [DIR]            write the files (default: DEFAULT beside the script)
    SCRIPT --check [DIR]    compare instead: every file, byte for byte, none
                            missing and none extra
"""
import os
import sys


def main(corpus, default_dir):
    args = sys.argv[1:]
    check = bool(args) and args[0] == '--check'
    if check:
        args = args[1:]
    d = args[0] if args else default_dir
    files = corpus()
    if not check:
        os.makedirs(d, exist_ok=True)
        for name, data in sorted(files.items()):
            with open(os.path.join(d, name), 'wb') as f:
                f.write(data)
        print('%d files in %s' % (len(files), d))
        return 0
    have = set(os.listdir(d))
    names = sorted(set(files) | have)
    print('1..%d' % len(names))
    bad = 0
    for i, name in enumerate(names, 1):
        if name not in have:
            why = 'missing from %s (run the script to write it)' % d
        elif name not in files:
            why = 'in %s but not written by the script (stale?)' % d
        else:
            with open(os.path.join(d, name), 'rb') as f:
                why = None if f.read() == files[name] else 'differs from what the script writes'
        print('%s %d - %s%s' % ('not ok' if why else 'ok', i, name, ': ' + why if why else ''))
        bad += why is not None
    return 1 if bad else 0
