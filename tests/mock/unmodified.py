#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An unmodified program (the Python interpreter) meets the mock through
LD_PRELOAD alone: os.open("/dev/iommu") and fcntl.ioctl() reach it, and it
answers as the kernel would.  The test's environment preloads the mock; run
without it on a machine with iommufd, the same script talks to the kernel."""
import errno
import fcntl
import mmap
import os
import struct

IOMMUFD_TYPE = ord(';')


def io(nr):
    return (IOMMUFD_TYPE << 8) | nr


IOMMU_DESTROY, IOMMU_IOAS_ALLOC, IOMMU_IOAS_MAP, IOMMU_IOAS_UNMAP = io(0x80), io(0x81), io(0x85), io(0x86)
MAP_FIXED_IOVA, MAP_WRITEABLE, MAP_READABLE = 1, 2, 4

results = []


def check(ok, what):
    results.append((bool(ok), what))


fd = os.open('/dev/iommu', os.O_RDWR | os.O_CLOEXEC)
check(fd >= 0, 'os.open("/dev/iommu") gives an fd')

# struct iommu_ioas_alloc {u32 size; u32 flags; u32 out_ioas_id}
buf = bytearray(struct.pack('=III', 12, 0, 0))
fcntl.ioctl(fd, IOMMU_IOAS_ALLOC, buf)
ioas_id = struct.unpack('=III', buf)[2]
check(ioas_id >= 1, f'IOMMU_IOAS_ALLOC through fcntl.ioctl: ioas id {ioas_id}')

mem = mmap.mmap(-1, 65536)
# the buffer's address: ctypes reads it without changing the program's libc use
import ctypes  # noqa: E402
addr = ctypes.addressof(ctypes.c_char.from_buffer(mem))

# struct iommu_ioas_map {u32 size, flags, ioas_id, __reserved; u64 user_va, length, iova}
m = bytearray(struct.pack('=IIIIQQQ', 40, MAP_FIXED_IOVA | MAP_READABLE | MAP_WRITEABLE,
                          ioas_id, 0, addr, 65536, 1 << 24))
fcntl.ioctl(fd, IOMMU_IOAS_MAP, m)
check(True, 'IOMMU_IOAS_MAP of 64 KiB at IOVA 16 MiB')

# a map without READABLE or WRITEABLE is EINVAL, as in the kernel
bad = bytearray(struct.pack('=IIIIQQQ', 40, MAP_FIXED_IOVA, ioas_id, 0, addr, 65536, 1 << 25))
try:
    fcntl.ioctl(fd, IOMMU_IOAS_MAP, bad)
    check(False, 'a map with neither READABLE nor WRITEABLE fails')
except OSError as e:
    check(e.errno == errno.EINVAL, f'a map with neither READABLE nor WRITEABLE: {errno.errorcode[e.errno]}')

# struct iommu_ioas_unmap {u32 size, ioas_id; u64 iova, length}
u = bytearray(struct.pack('=IIQQ', 24, ioas_id, 1 << 24, 65536))
fcntl.ioctl(fd, IOMMU_IOAS_UNMAP, u)
check(struct.unpack('=IIQQ', u)[3] == 65536, 'IOMMU_IOAS_UNMAP writes back the 64 KiB unmapped')

d = bytearray(struct.pack('=II', 8, ioas_id))
fcntl.ioctl(fd, IOMMU_DESTROY, d)
try:
    fcntl.ioctl(fd, IOMMU_DESTROY, bytearray(struct.pack('=II', 8, ioas_id)))
    check(False, 'a second IOMMU_DESTROY of the same id fails')
except OSError as e:
    check(e.errno == errno.ENOENT, f'a second IOMMU_DESTROY of the same id: {errno.errorcode[e.errno]}')
os.close(fd)

print(f'1..{len(results)}')
for i, (ok, what) in enumerate(results, 1):
    print(f'{"ok" if ok else "not ok"} {i} - {what}')
