/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark of libiommufd-mock's mapping structure: the time of one
 * IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP pair (fixed IOVA) with 1 thousand and with
 * 1 million mappings already live in the IOAS.  The mock keeps an IOAS's
 * areas in a balanced tree, so the pair should cost about the same at both
 * sizes (O(log n)); a linear structure would cost ~1000 times more.
 *
 * Runs against whatever /dev/iommu it meets; the bench suite preloads the
 * mock.  Output is TAP: one line per size with the median, then the ratio.
 *
 *   mock-map [RUNS [PAIRS]]   (default 11 runs of 2000 pairs)
 *
 * IOMMUFD_BENCH_QUICK=1 (scripts/bench --short): 5 runs of 500 pairs, and
 * 100 thousand mappings instead of 1 million (setting up a million takes
 * 13 s to a minute); a linear structure would still cost ~100 times more
 * there, so the same check (ratio at most 10) holds.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "uapi/linux/iommufd.h"

#define STRIDE 4096u

static int fd;
static uint32_t ioas_id;
static void *buf;

static void die(const char *what)
{
    printf("Bail out! %s: %s\n", what, strerror(errno));
    exit(1);
}

static void map_at(uint64_t iova)
{
    struct iommu_ioas_map map = {
        .size = sizeof(map),
        .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
        .ioas_id = ioas_id,
        .user_va = (uintptr_t)buf,
        .length = STRIDE,
        .iova = iova,
    };
    if (ioctl(fd, IOMMU_IOAS_MAP, &map)) {
        die("IOMMU_IOAS_MAP");
    }
}

static void unmap_at(uint64_t iova)
{
    struct iommu_ioas_unmap unmap = {
        .size = sizeof(unmap), .ioas_id = ioas_id, .iova = iova, .length = STRIDE,
    };
    if (ioctl(fd, IOMMU_IOAS_UNMAP, &unmap)) {
        die("IOMMU_IOAS_UNMAP");
    }
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median ns of one map+unmap pair over `runs` runs of `pairs` pairs, with the
 * pairs spread over IOVAs between the live mappings' (so that the tree is
 * searched at every depth, not only at one end). */
static double measure(uint64_t live, int runs, int pairs)
{
    double *t = calloc((size_t)runs, sizeof(*t));
    double median;

    for (int r = -1; r < runs; r++) {
        double t0 = now_ns();
        for (int i = 0; i < pairs; i++) {
            /* a hole inside the live range: live mappings sit at even slots */
            uint64_t slot = 2 * ((uint64_t)i * 7919u % live) + 1;
            map_at(slot * STRIDE);
            unmap_at(slot * STRIDE);
        }
        if (r >= 0) {
            t[r] = (now_ns() - t0) / pairs;
        }
    }
    qsort(t, (size_t)runs, sizeof(*t), cmp_double);
    median = t[runs / 2];
    free(t);
    return median;
}

int main(int argc, char **argv)
{
    const char *quick_env = getenv("IOMMUFD_BENCH_QUICK");
    bool quick = quick_env && *quick_env && strcmp(quick_env, "0") != 0;
    int runs = argc > 1 ? atoi(argv[1]) : quick ? 5 : 11;
    int pairs = argc > 2 ? atoi(argv[2]) : quick ? 500 : 2000;
    const uint64_t sizes[] = { 1000, quick ? 100000 : 1000000 };
    double med[2];
    uint64_t live = 0;

    if (runs < 1 || pairs < 1) {
        fprintf(stderr, "usage: mock-map [RUNS [PAIRS]]\n");
        return 2;
    }
    fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        printf("1..0 # SKIP cannot open /dev/iommu: %s\n", strerror(errno));
        return 0;
    }
    struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
    if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc)) {
        die("IOMMU_IOAS_ALLOC");
    }
    ioas_id = alloc.out_ioas_id;
    buf = mmap(NULL, STRIDE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        die("mmap");
    }
    printf("1..3\n");
    for (int s = 0; s < 2; s++) {
        double t0 = now_ns();
        for (; live < sizes[s]; live++) {
            map_at(2 * live * STRIDE);
        }
        printf("# %llu live mappings set up in %.1f s\n", (unsigned long long)live,
               (now_ns() - t0) / 1e9);
        med[s] = measure(live, runs, pairs);
        printf("ok %d - map+unmap with %llu live mappings: median %.0f ns per pair "
               "(%d runs of %d pairs)\n", s + 1, (unsigned long long)live, med[s], runs, pairs);
        fflush(stdout);
    }
    double ratio = med[1] / med[0];
    /* O(log n) from 1e3 to 1e6 is at most ~2x in comparisons (cache misses add
     * some); a linear structure would be ~1000x.  10x leaves room for noise. */
    printf("%s 3 - ratio %s/1K: %.2f (at most 10 for an O(log n) structure)\n",
           ratio <= 10 ? "ok" : "not ok", quick ? "100K" : "1M", ratio);
    close(fd);
    return ratio <= 10 ? 0 : 1;
}
