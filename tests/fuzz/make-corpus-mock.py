#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the seed corpus of tests/fuzz/fuzz-mock-ioctl.c (tests/fuzz/corpus-mock/):
one small program per command, valid as far as the mock's state allows (the
objects it needs are made first), in the input format described at the top
of fuzz-mock-ioctl.c.  Written from kernel-abi.md's struct layouts, not
captured.  The files are in the tree; run this again only to change them:

    tests/fuzz/make-corpus-mock.py [DIR]   (default: corpus-mock/ beside this file;
                                         --check DIR compares)

Object ids are per context and start at 1, so a program names the objects
it made by their order.  FUZZ_VERBOSE=1 fuzz-mock-replay FILE shows every
step and its answer.
"""
import os
import struct
import sys

sys.dont_write_bytecode = True      # run by the tests: write nothing into the tree
import corpus_files  # noqa: E402

# set-up byte
NEWEST, M612 = 0, 1
NODE_PLAIN, NODE_PASID, NODE_NODIRTY, NODE_NONE = 0 << 1, 1 << 1, 2 << 1, 3 << 1
CTX_B = 1 << 3

SCRATCH_MAGIC = 0x5c5c5c5c
FD_MAGIC = 0x5cfd5c00
FD_CTX_A, FD_CTX_B, FD_VFIO = FD_MAGIC, FD_MAGIC + 1, FD_MAGIC + 2

# the harness's command table (its order is the selector)
CMDS = ['DESTROY', 'IOAS_ALLOC', 'IOAS_ALLOW_IOVAS', 'IOAS_COPY', 'IOAS_IOVA_RANGES',
        'IOAS_MAP', 'IOAS_UNMAP', 'OPTION', 'VFIO_IOAS', 'HWPT_ALLOC', 'GET_HW_INFO',
        'HWPT_SET_DIRTY_TRACKING', 'HWPT_GET_DIRTY_BITMAP', 'HWPT_INVALIDATE',
        'FAULT_QUEUE_ALLOC', 'IOAS_MAP_FILE', 'VIOMMU_ALLOC', 'VDEVICE_ALLOC',
        'IOAS_CHANGE_PROCESS', 'VEVENTQ_ALLOC', 'HW_QUEUE_ALLOC', 'NOIOMMU_GET_PA', 'TEST_CMD',
        'VFIO_GET_API_VERSION', 'VFIO_CHECK_EXTENSION', 'VFIO_SET_IOMMU', 'VFIO_IOMMU_GET_INFO',
        'VFIO_IOMMU_MAP_DMA', 'VFIO_IOMMU_UNMAP_DMA', 'VFIO_DEVICE_BIND_IOMMUFD',
        'VFIO_DEVICE_ATTACH_IOMMUFD_PT', 'VFIO_DEVICE_DETACH_IOMMUFD_PT', 'VFIO_DEVICE_GET_INFO',
        'FIONBIO', 'FIOASYNC', 'FIOCLEX', 'FIONCLEX']
SEL = {name: i for i, name in enumerate(CMDS)}

ON_CTX, ON_VFIO, ON_CTX_B = 0, 1, 2

# IOMMU_IOAS_MAP flags
FIXED, WRITE, READ = 1, 2, 4
NEST_PARENT, DIRTY = 1, 2
FAULT_ID_VALID = 1 << 2
HWPT_DATA_SELFTEST = 0xdead
INV_DATA_SELFTEST = 0xdeadbeef
VIOMMU_SELFTEST = 0xdeadbeef
VEVENTQ_SELFTEST = 0xbeefbeef
HW_QUEUE_SELFTEST = 0xdeadbeef
# IOMMU_TEST_CMD ops
ADD_RESERVED, MOCK_DOMAIN, MD_CHECK_MAP, MD_CHECK_REFS, CREATE_ACCESS = 1, 2, 3, 4, 5
ACCESS_PAGES, ACCESS_RW, SET_TEMP_MEMORY_LIMIT, MOCK_DOMAIN_REPLACE = 7, 8, 9, 10
MOCK_DOMAIN_FLAGS, DIRTY_OP, TRIGGER_IOPF, TRIGGER_VEVENT, PASID_ATTACH = 12, 13, 15, 17, 18


def ptr(off):
    return struct.pack('<Q', SCRATCH_MAGIC << 32 | off)


SIZE_HERE = b'\xa5SZ\xa5'


def sized(fmt, *fields):
    """The start of a struct whose first u32 is its size: ioctl() writes the
    length of the whole argument there."""
    return SIZE_HERE + struct.pack('<' + fmt, *fields)


def raw(fmt, *fields):
    return struct.pack('<' + fmt, *fields)


def fix_size(arg):
    if arg.startswith(SIZE_HERE):
        arg = struct.pack('<I', len(arg)) + arg[4:]
    return arg


def ioctl(name, arg, on=ON_CTX):
    arg = fix_size(arg)
    return bytes([on, SEL[name]]) + struct.pack('<H', len(arg)) + arg


def ioctl_nr(nr, arg, type_i=False, on=ON_CTX):
    arg = fix_size(arg)
    return bytes([on, 0xc0 if type_i else 0x80, nr]) + struct.pack('<H', len(arg)) + arg


def ioctl_raw(cmd, arg, on=ON_CTX):
    arg = fix_size(arg)
    return bytes([on, 0xe0]) + struct.pack('<IH', cmd, len(arg)) + arg


def scratch(off8, data):
    """write data at scratch byte off8 * 8 (what ptr(off8 * 8) points to)"""
    return bytes([3, off8 & 0xff, off8 >> 8, len(data)]) + data


def reopen_vfio():
    return bytes([3 | 1 << 2])


def rw(write, k, data):
    assert len(data) % 8 == 0
    return bytes([3 | (3 if write else 2) << 2, k, len(data) // 8]) + data


def prog(setup, *steps, fail_nth=0):
    return bytes([setup, fail_nth]) + b''.join(steps)


# building blocks
def ioas_alloc(on=ON_CTX):
    return ioctl('IOAS_ALLOC', sized('II', 0, 0), on)


def ioas_map(ioas, iova, length=4096, off=0, flags=FIXED | READ | WRITE):
    return ioctl('IOAS_MAP', sized('III', flags, ioas, 0) + ptr(off) + raw('QQ', length, iova))


def test_cmd(op, id_, body=b''):
    body = body + bytes(52 - len(body))
    return ioctl('TEST_CMD', sized('III', op, id_, 0) + body + raw('I', 0))


def mock_domain(ioas):
    """the selftest handle (stdev), the device (idev) and its HWPT: the next
    three ids, in that order"""
    return test_cmd(MOCK_DOMAIN, ioas)


def hwpt_alloc(flags, dev, pt, data_type=0, data=b'', fault=0):
    """the data, if any, is expected at scratch byte 0x800"""
    return ioctl('HWPT_ALLOC', sized('IIIIIII', flags, dev, pt, 0, 0, data_type, len(data)) +
                 (ptr(0x800) if data else raw('Q', 0)) + raw('II', fault, 0))


def bind(on=ON_VFIO, fd=FD_CTX_A):
    return ioctl('VFIO_DEVICE_BIND_IOMMUFD', raw('IIiIQ', 24, 0, fd, 0, 0), on)


def corpus():
    c = {}
    # --- iommufd commands, newest model ---
    c['destroy'] = prog(NODE_NONE, ioas_alloc(), ioctl('DESTROY', sized('I', 1)))
    c['ioas-alloc'] = prog(NODE_NONE, ioas_alloc())
    c['ioas-alloc-short-size'] = prog(NODE_NONE, ioctl('IOAS_ALLOC', raw('II', 8, 0)))
    c['ioas-alloc-long-size'] = prog(NODE_NONE, ioctl('IOAS_ALLOC', raw('IIII', 16, 0, 0, 0)))
    c['ioas-alloc-e2big'] = prog(NODE_NONE, ioctl('IOAS_ALLOC', raw('IIII', 16, 0, 0, 1)))
    c['ioas-allow-iovas'] = prog(NODE_NONE, scratch(0, raw('QQ', 0x10000000, 0x1fffff)),
                                 ioas_alloc(),
                                 ioctl('IOAS_ALLOW_IOVAS', sized('III', 1, 1, 0) + ptr(0)))
    c['ioas-copy'] = prog(NODE_NONE, ioas_alloc(), ioas_alloc(), ioas_map(1, 0x1000000),
                          ioctl('IOAS_COPY', sized('IIIQQQ', FIXED | READ, 2, 1, 4096, 0x1100000,
                                                   0x1000000)))
    c['ioas-iova-ranges'] = prog(NODE_NONE, ioas_alloc(),
                                 ioctl('IOAS_IOVA_RANGES', sized('III', 1, 4, 0) + ptr(0) +
                                       raw('Q', 0)))
    c['ioas-iova-ranges-emsgsize'] = prog(NODE_NONE, ioas_alloc(), test_cmd(ADD_RESERVED, 1,
                                          raw('QQ', 0x1000, 0x1000)),
                                          ioctl('IOAS_IOVA_RANGES', sized('IIIQQ', 1, 0, 0, 0,
                                                                          0)))
    c['ioas-map'] = prog(NODE_NONE, ioas_alloc(), ioas_map(1, 0x1000000, 8192))
    c['ioas-map-any-iova'] = prog(NODE_NONE, ioas_alloc(), ioas_map(1, 0, 4096, 0, READ))
    c['ioas-unmap'] = prog(NODE_NONE, ioas_alloc(), ioas_map(1, 0x1000000),
                           ioctl('IOAS_UNMAP', sized('IQQ', 1, 0x1000000, 4096)))
    c['ioas-unmap-all'] = prog(NODE_NONE, ioas_alloc(), ioas_map(1, 0x1000000),
                               ioctl('IOAS_UNMAP', sized('IQQ', 1, 0, 2**64 - 1)))
    c['option-rlimit-get'] = prog(NODE_NONE, ioctl('OPTION', sized('IHHIQ', 0, 1, 0, 0, 0)))
    c['option-huge-pages-set'] = prog(NODE_NONE, ioas_alloc(),
                                      ioctl('OPTION', sized('IHHIQ', 1, 0, 0, 1, 0)))
    c['vfio-ioas-set-get'] = prog(NODE_NONE, ioas_alloc(),
                                  ioctl('VFIO_IOAS', sized('IHH', 1, 1, 0)),
                                  ioctl('VFIO_IOAS', sized('IHH', 0, 0, 0)))
    # a selftest mock domain: IOAS 1, stdev 2, HWPT 3, idev 4 (or in the mock's order)
    c['hwpt-alloc'] = prog(NODE_NONE, ioas_alloc(), mock_domain(1),
                           hwpt_alloc(NEST_PARENT, 3, 1))
    c['hwpt-alloc-nested'] = prog(NODE_NONE, scratch(0x100, raw('II', 0, 0)), ioas_alloc(),
                                  mock_domain(1), hwpt_alloc(NEST_PARENT, 3, 1),
                                  hwpt_alloc(0, 3, 5, HWPT_DATA_SELFTEST, raw('II', 0, 0)))
    c['get-hw-info'] = prog(NODE_NONE, ioas_alloc(), mock_domain(1),
                            ioctl('GET_HW_INFO', sized('III', 0, 3, 64) + ptr(0) +
                                  raw('IBBBBQ', 0, 0, 0, 0, 0, 0)))
    c['hwpt-dirty'] = prog(NODE_NONE, scratch(0, bytes([0xff] * 8)), ioas_alloc(),
                           mock_domain(1), ioas_map(1, 0x1000000, 8192),
                           ioctl('HWPT_SET_DIRTY_TRACKING', sized('III', 1, 4, 0)),
                           test_cmd(DIRTY_OP, 4, raw('IIQQQ', 0, 0, 0x1000000, 8192, 4096) +
                                    ptr(0) + raw('Q', 0)),
                           ioctl('HWPT_GET_DIRTY_BITMAP', sized('IIIQQQ', 4, 0, 0, 0x1000000,
                                                                8192, 4096) + ptr(0x100)))
    c['hwpt-invalidate'] = prog(NODE_NONE, scratch(0x100, raw('II', 0, 0)),
                                scratch(0x200, raw('II', 1, 0)), ioas_alloc(), mock_domain(1),
                                hwpt_alloc(NEST_PARENT, 3, 1),
                                hwpt_alloc(0, 3, 5, HWPT_DATA_SELFTEST, raw('II', 0, 0)),
                                ioctl('HWPT_INVALIDATE', sized('I', 6) + ptr(0x1000) +
                                      raw('IIII', INV_DATA_SELFTEST, 8, 1, 0)))
    c['fault-queue'] = prog(NODE_PLAIN, ioctl('FAULT_QUEUE_ALLOC', sized('III', 0, 0, 0)),
                            ioas_alloc(), bind(),
                            hwpt_alloc(FAULT_ID_VALID, 3, 2, fault=1),
                            ioctl('VFIO_DEVICE_ATTACH_IOMMUFD_PT', raw('IIII', 16, 0, 4, 0),
                                  ON_VFIO),
                            test_cmd(TRIGGER_IOPF, 0, raw('IIIIQ', 3, 0, 1, 1, 0x10000000)),
                            rw(False, 0, bytes(80)), rw(True, 0, raw('IIII', 0, 0, 0, 0)))
    c['ioas-map-file'] = prog(NODE_NONE, ioas_alloc(),
                              ioctl('IOAS_MAP_FILE', sized('IIiQQQ', FIXED | READ, 1, FD_CTX_A,
                                                           0, 4096, 0x1000000)))
    viommu = [scratch(0x100, raw('II', 0, 0)), ioas_alloc(), mock_domain(1),
              hwpt_alloc(NEST_PARENT, 3, 1),
              ioctl('VIOMMU_ALLOC', sized('IIIIIIIQ', 0, VIOMMU_SELFTEST, 3, 5, 0, 0, 0, 0))]
    c['viommu-alloc'] = prog(NODE_NONE, *viommu)
    vdevice = viommu + [ioctl('VDEVICE_ALLOC', sized('IIIQ', 6, 3, 0, 0x99))]
    c['vdevice-alloc'] = prog(NODE_NONE, *vdevice)
    c['ioas-change-process'] = prog(NODE_NONE, ioas_alloc(),
                                    ioctl('IOAS_CHANGE_PROCESS', sized('I', 0)))
    c['veventq'] = prog(NODE_NONE, *vdevice,
                        ioctl('VEVENTQ_ALLOC', sized('IIIIIII', 0, 6, VEVENTQ_SELFTEST, 16, 0, 0,
                                                     0)),
                        test_cmd(TRIGGER_VEVENT, 0, raw('I', 3)),
                        rw(False, 0, bytes(64)))
    c['hw-queue-alloc'] = prog(NODE_NONE, *viommu, ioas_map(1, 0x1000000, 8192),
                               ioctl('HW_QUEUE_ALLOC', sized('IIIIIQQ', 0, 6, HW_QUEUE_SELFTEST,
                                                             0, 0, 0x1000000, 4096)))
    c['noiommu-get-pa'] = prog(NODE_NONE, ioas_alloc(), ioctl('NOIOMMU_GET_PA', sized('IIQQQQ',
                                                              0, 1, 0, 0, 0, 0)[:40]))
    # --- selftest ops ---
    c['test-add-reserved'] = prog(NODE_NONE, ioas_alloc(),
                                  test_cmd(ADD_RESERVED, 1, raw('QQ', 0x10000000, 0x1000)))
    c['test-mock-domain-flags-replace'] = prog(
        NODE_NONE, ioas_alloc(), ioas_alloc(),
        test_cmd(MOCK_DOMAIN_FLAGS, 1, raw('IIII', 0, 0, 0, 1 << 2)),
        test_cmd(MOCK_DOMAIN_REPLACE, 3, raw('I', 2)),
        test_cmd(PASID_ATTACH, 3, raw('II', 1, 2)))
    c['test-check-map-refs'] = prog(NODE_NONE, ioas_alloc(), mock_domain(1),
                                    ioas_map(1, 0x1000000, 4096),
                                    test_cmd(MD_CHECK_MAP, 4, raw('QQ', 0x1000000, 4096) + ptr(0)),
                                    test_cmd(MD_CHECK_REFS, 0, raw('Q', 4096) + ptr(0) +
                                             raw('I', 1)))
    c['test-access'] = prog(NODE_NONE, scratch(0, b'abcdefgh'), ioas_alloc(),
                            ioas_map(1, 0x1000000, 4096),
                            test_cmd(CREATE_ACCESS, 1, raw('II', 0, 0)),
                            test_cmd(SET_TEMP_MEMORY_LIMIT, 0, raw('I', 12)))
    c['test-unknown-op'] = prog(NODE_NONE, test_cmd(99, 0))
    # --- the 6.12 model ---
    c['m612-viommu-enotty'] = prog(M612 | NODE_NONE, *viommu)
    c['m612-fault-nested'] = prog(M612 | NODE_PLAIN, scratch(0x100, raw('II', 0, 0)),
                                  ioctl('FAULT_QUEUE_ALLOC', sized('III', 0, 0, 0)),
                                  ioas_alloc(), bind(), hwpt_alloc(NEST_PARENT, 3, 2),
                                  hwpt_alloc(FAULT_ID_VALID, 3, 4, HWPT_DATA_SELFTEST,
                                             raw('II', 0, 0), fault=1))
    c['m612-bind'] = prog(M612 | NODE_PASID, ioas_alloc(),
                          ioctl('VFIO_DEVICE_BIND_IOMMUFD', raw('IIiI', 16, 0, FD_CTX_A, 0),
                                ON_VFIO),
                          ioctl('VFIO_DEVICE_ATTACH_IOMMUFD_PT', raw('III', 12, 0, 1), ON_VFIO))
    # --- VFIO type1 compat on /dev/iommu ---
    c['vfio-compat'] = prog(NODE_NONE, ioas_alloc(), ioctl('VFIO_IOAS', sized('IHH', 1, 1, 0)),
                            ioctl('VFIO_GET_API_VERSION', b''),
                            ioctl('VFIO_CHECK_EXTENSION', raw('Q', 3)),
                            ioctl('VFIO_SET_IOMMU', raw('Q', 3)),
                            ioctl('VFIO_IOMMU_GET_INFO', raw('IIQ', 16, 0, 0) + bytes(48)),
                            ioctl('VFIO_IOMMU_MAP_DMA', raw('II', 32, 3) + ptr(0) +
                                  raw('QQ', 0x1000000, 4096)),
                            ioctl('VFIO_IOMMU_UNMAP_DMA', raw('IIQQ', 24, 0, 0x1000000, 4096)))
    c['vfio-compat-get-info-caps'] = prog(NODE_NONE, ioas_alloc(),
                                          ioctl('VFIO_SET_IOMMU', raw('Q', 1)),
                                          ioctl('VFIO_IOMMU_GET_INFO', raw('IIQII', 128, 0, 0, 0,
                                                                          0) + bytes(104)))
    # --- VFIO cdev ---
    c['vfio-bind-attach-detach'] = prog(
        NODE_PASID, ioas_alloc(), bind(),
        ioctl('VFIO_DEVICE_GET_INFO', raw('IIIII', 24, 0, 0, 0, 0) + bytes(4), ON_VFIO),
        ioctl('VFIO_DEVICE_ATTACH_IOMMUFD_PT', raw('IIII', 16, 0, 1, 0), ON_VFIO),
        ioctl('VFIO_DEVICE_ATTACH_IOMMUFD_PT', raw('IIII', 16, 1, 1, 5), ON_VFIO),
        ioctl('VFIO_DEVICE_DETACH_IOMMUFD_PT', raw('III', 12, 1, 5), ON_VFIO),
        ioctl('VFIO_DEVICE_DETACH_IOMMUFD_PT', raw('II', 8, 0), ON_VFIO),
        reopen_vfio(), bind())
    c['vfio-bind-token'] = prog(NODE_NODIRTY, bind(), reopen_vfio(), ioctl(
        'VFIO_DEVICE_BIND_IOMMUFD', raw('IIiI', 24, 1, FD_CTX_A, 0) + ptr(0), ON_VFIO))
    c['vfio-before-bind'] = prog(NODE_PLAIN, ioctl('VFIO_DEVICE_GET_INFO', raw('IIIII', 24, 0, 0,
                                                                            0, 0), ON_VFIO))
    c['two-contexts'] = prog(NODE_PLAIN | CTX_B, ioas_alloc(ON_CTX_B),
                             bind(fd=FD_CTX_B),
                             ioctl('VFIO_DEVICE_ATTACH_IOMMUFD_PT', raw('IIII', 16, 0, 1, 0),
                                   ON_VFIO),
                             ioctl('DESTROY', sized('I', 2), ON_CTX_B))
    # --- generic and unknown numbers ---
    c['fio'] = prog(NODE_PLAIN, ioctl('FIONBIO', raw('i', 1)), ioctl('FIOASYNC', raw('i', 0)),
                    ioctl('FIOCLEX', b''), ioctl('FIONCLEX', b''),
                    ioctl('FIONBIO', raw('i', 0), ON_VFIO))
    c['unknown-numbers'] = prog(NODE_PLAIN, ioctl_nr(0x7f, sized('I', 0)),
                                ioctl_nr(0x9f, sized('I', 0)), ioctl_nr(0xa1, sized('I', 0)),
                                ioctl_nr(0x81, sized('II', 0, 0), type_i=True),
                                ioctl_raw(0xc0183b81, sized('II', 0, 0)),
                                ioctl_nr(0x99, sized('I', 0), on=ON_VFIO))
    c['short-and-null'] = prog(NODE_NONE, ioctl('IOAS_ALLOC', b'\x0c\x00'),
                               bytes([0, SEL['IOAS_MAP'], 0xff, 0xff]),
                               ioctl('IOAS_ALLOC', b''))
    c['fail-nth'] = prog(NODE_PLAIN, ioas_alloc(), bind(), ioas_map(1, 0x1000000), fail_nth=3)
    return c


if __name__ == '__main__':
    sys.exit(corpus_files.main(corpus, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                    'corpus-mock')))
