#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the seed corpus of tests/fuzz/fuzz-decoders.c (tests/fuzz/corpus/):
small valid and truncated records in the formats of kernel-abi.md section 2,
written from the format, not captured.  The files are in the tree; run this
again only to change them:

    tests/fuzz/make-corpus.py [DIR]      (default: corpus/ beside this file;
                                         --check DIR compares)

Every file goes to every decoder (see fuzz-decoders.c), so one file is a
fault stream for one decoder and a vEVENT stream for another; the names say
what each was made as.  The unknown-type files start with one byte, the
payload size the fuzz target gives the decoder for the unknown type.
"""
import os
import struct
import sys

sys.dont_write_bytecode = True      # run by the tests: write nothing into the tree
import corpus_files  # noqa: E402

LOST = 1 << 0                # IOMMU_VEVENTQ_FLAG_LOST_EVENTS
PASID_VALID, LAST_PAGE = 1 << 0, 1 << 1
READ, WRITE, EXEC, PRIV = 1, 2, 4, 8
INT_MAX = 0x7fffffff


def hdr(seq, flags=0):
    return struct.pack('<II', flags, seq)


def selftest(seq, virt_id):
    return hdr(seq) + struct.pack('<I', virt_id)


def smmuv3(seq, sid):
    # an F_TRANSLATION-like event: the StreamID is the vDEVICE's virt_id
    return hdr(seq) + struct.pack('<4Q', 0x10 | (sid << 32), 0x1000, 0xdead0000, 0)


def tegra(seq, bits0, bits1):
    return hdr(seq) + struct.pack('<2Q', bits0, bits1)


def fault(flags, dev_id, pasid, grpid, perm, addr, cookie):
    return struct.pack('<IIIIIIQII', flags, dev_id, pasid, grpid, perm, 0, addr, 0, cookie)


def group(n, grpid, cookie, pasid=None, dev_id=1, addr=0x10000):
    out = b''
    for i in range(n):
        flags = (PASID_VALID if pasid is not None else 0) | (LAST_PAGE if i == n - 1 else 0)
        out += fault(flags, dev_id, pasid or 0, grpid, READ | (WRITE if i % 2 else 0),
                     addr + i * 0x1000, cookie)
    return out


def corpus():
    c = {}
    # vEVENTQ, the selftest type (12-byte records: unaligned payloads)
    c['vevent-selftest-one'] = selftest(0, 1)
    c['vevent-selftest-three'] = b''.join(selftest(s, 1) for s in (5, 6, 7))
    c['vevent-selftest-gap'] = selftest(10, 1) + selftest(14, 2)       # 3 lost
    c['vevent-selftest-wrap'] = (selftest(INT_MAX - 1, 1) + selftest(INT_MAX, 1) +
                                 selftest(0, 1) + selftest(1, 1))
    c['vevent-selftest-wrap-gap'] = selftest(INT_MAX - 1, 1) + selftest(2, 1)  # 3 lost
    c['vevent-selftest-lost-tail'] = selftest(3, 1) + selftest(4, 1) + hdr(5, LOST)
    c['vevent-lost-only'] = hdr(9, LOST)
    c['vevent-selftest-truncated-payload'] = selftest(0, 1) + hdr(1) + b'\x01\x00'
    c['vevent-truncated-header'] = selftest(0, 1) + b'\x00\x00\x00'
    # vEVENTQ, ARM SMMUv3 (40-byte records) and Tegra241 CMDQV (24-byte)
    c['vevent-smmuv3-two'] = smmuv3(100, 1) + smmuv3(101, 2)
    c['vevent-smmuv3-truncated'] = smmuv3(100, 1)[:-5]
    c['vevent-tegra-two-lost'] = tegra(7, 1, 0) + tegra(8, 0, 1 << 63) + hdr(9, LOST)
    # vEVENTQ, a type the library does not know: first byte = payload size
    c['vevent-unknown-6'] = bytes([6]) + b''.join(hdr(s) + bytes(range(6)) for s in (0, 1, 2))
    c['vevent-unknown-0'] = bytes([0]) + hdr(0) + hdr(1) + hdr(2, LOST)
    c['vevent-unknown-truncated'] = bytes([16]) + hdr(0) + bytes(15)
    # fault records (40 bytes each, groups ending with LAST_PAGE)
    c['fault-one'] = group(1, 7, 1)
    c['fault-group-3-pasid'] = group(3, 9, 2, pasid=5)
    c['fault-two-groups'] = group(2, 1, 3) + group(1, 2, 4, addr=0xffff_f000)
    c['fault-no-last-page'] = group(2, 1, 3)[:40]
    c['fault-truncated'] = group(1, 7, 1)[:39]
    c['empty'] = b''
    return c


if __name__ == '__main__':
    sys.exit(corpus_files.main(corpus, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    'corpus')))
