/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The benchmark's stand-ins for the library: a backend object and a uapi
 * struct shaped like struct iommu_ioas_map, and an ioctl-like function
 * (bench-ioctl.c) that the compiler cannot see into.
 */
#ifndef IOMMUFD_BENCH_HELPER_H
#define IOMMUFD_BENCH_HELPER_H

/*
 * A function callers cannot see into: noinline, and with gcc noipa (no
 * interprocedural analysis either); clang has no noipa, and noinline is
 * what it offers.
 */
#if defined(__clang__)
#define BENCH_OPAQUE_FN __attribute__((noinline))
#else
#define BENCH_OPAQUE_FN __attribute__((noinline, noipa))
#endif

#include <stdint.h>

typedef struct BenchBackend {
    int fd;
    unsigned int users;
} BenchBackend;

/* like struct iommu_ioas_map, with an output id in place of __reserved */
struct bench_ioas_map {
    uint32_t size;
    uint32_t flags;
    uint32_t ioas_id;
    uint32_t out_id;
    uint64_t user_va;
    uint64_t length;
    uint64_t iova;
};

#define BENCH_IOAS_MAP          0x3b85UL    /* a request number, checked */
#define BENCH_MAP_FIXED_IOVA    (1u << 0)

/* Checks the request and the struct's size, then writes the outputs
 * (out_id, and iova unless BENCH_MAP_FIXED_IOVA) like the kernel would.
 * Returns 0, or -1 with errno set.  Defined in its own translation unit. */
int bench_ioctl(int fd, unsigned long request, void *arg);

#endif
