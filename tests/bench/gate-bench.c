/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The trace gate benchmark (tests/bench/gate-cost.py runs it; see
 * docs/performance.md).  Built once per set of compiled-in backends, with
 * BENCH_TRACE_HEADER naming that variant's generated header.
 *
 * bench_map() is shaped like a library helper: a zeroed uapi struct with
 * .size = sizeof, one ioctl (retried on EINTR, errno captured at once), then
 * the trace event, whose 8 values are read from the struct after the call
 * (plus the fd and the result).  Under callgrind --toggle-collect=bench_map,
 * the instructions per call of each variant minus those of the nop variant
 * are what its gates cost while the event is off.
 *
 * usage: gate-bench [OPTIONS] gate N
 *        gate-bench [OPTIONS] time RUNS N
 *   gate N        call the helper N times
 *   time RUNS N   one untimed run, then RUNS timed runs of N calls
 *                 (CLOCK_MONOTONIC); prints each run's and the median ns/call
 * options:
 *   --refd        call bench_map_refd() instead: its event reads be->fd again
 *   --log         enable the log backend's bench_* events, with a sink that
 *                 only counts the lines it is given
 *   --expect-enabled, --expect-disabled
 *                 fail unless the event is enabled in some backend / in none;
 *                 default: --expect-disabled, or --expect-enabled with --log
 * Output: "key value" lines.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iommufd/trace.h"
#include "bench-helper.h"
#include BENCH_TRACE_HEADER

#ifndef BENCH_VARIANT
#define BENCH_VARIANT "?"
#endif

/* Like the library's ioctl wrapper: retried on EINTR, errno captured at once;
 * returns the ioctl's result or -errno. */
static inline int bench_ioctl_retry(int fd, unsigned long request, void *arg)
{
    int ret;

    do {
        ret = bench_ioctl(fd, request, arg);
    } while (ret < 0 && errno == EINTR);
    return ret < 0 ? -errno : ret;
}

/* The helper.  noipa: like an exported library function, its callers know
 * nothing about it and it is neither inlined nor cloned.  The event's values
 * are the fd the ioctl was issued on, six fields of the struct read back after
 * the call, and the result. */
BENCH_OPAQUE_FN
bool bench_map(BenchBackend *be, uint32_t ioas_id, uint32_t flags, uint64_t iova,
               uint64_t length, void *va, uint64_t *iova_out, int *errp)
{
    struct bench_ioas_map map = {
        .size = sizeof(map),
        .flags = flags,
        .ioas_id = ioas_id,
        .user_va = (uintptr_t)va,
        .length = length,
        .iova = iova,
    };
    int fd = be->fd;
    int ret = bench_ioctl_retry(fd, BENCH_IOAS_MAP, &map);

    trace_bench_ioas_map(fd, map.ioas_id, map.flags, map.iova, map.length, map.user_va,
                         map.out_id, ret);
    if (ret < 0) {
        *errp = -ret;
        return false;
    }
    *iova_out = map.iova;
    return true;
}

/* The same helper, except that the event reads be->fd again after the ioctl
 * (as QEMU's helpers do): `be` then has to survive the call. */
BENCH_OPAQUE_FN
bool bench_map_refd(BenchBackend *be, uint32_t ioas_id, uint32_t flags, uint64_t iova,
                    uint64_t length, void *va, uint64_t *iova_out, int *errp)
{
    struct bench_ioas_map map = {
        .size = sizeof(map),
        .flags = flags,
        .ioas_id = ioas_id,
        .user_va = (uintptr_t)va,
        .length = length,
        .iova = iova,
    };
    int ret = bench_ioctl_retry(be->fd, BENCH_IOAS_MAP, &map);

    trace_bench_ioas_map(be->fd, map.ioas_id, map.flags, map.iova, map.length, map.user_va,
                         map.out_id, ret);
    if (ret < 0) {
        *errp = -ret;
        return false;
    }
    *iova_out = map.iova;
    return true;
}

typedef bool BenchHelper(BenchBackend *be, uint32_t ioas_id, uint32_t flags, uint64_t iova,
                         uint64_t length, void *va, uint64_t *iova_out, int *errp);

static unsigned long sink_lines;

static void counting_sink(const char *event, const char *line, void *opaque)
{
    (void)event;
    (void)line;
    (void)opaque;
    sink_lines++;
}

static volatile uint64_t iova_sum;

static int run_calls(BenchHelper *helper, BenchBackend *be, unsigned long n)
{
    uint64_t sum = 0;

    for (unsigned long i = 0; i < n; i++) {
        uint64_t iova = 0;
        int err = 0;
        void *va = (void *)(uintptr_t)(UINT64_C(0x7f0000000000) + ((uint64_t)i << 12));

        if (!helper(be, 2, 0, 0, 4096, va, &iova, &err)) {
            fprintf(stderr, "gate-bench: the helper failed: %s\n", strerror(err));
            return -1;
        }
        sum += iova;
    }
    iova_sum += sum;
    return 0;
}

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static unsigned long parse_count(const char *s)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v == 0) {
        fprintf(stderr, "gate-bench: '%s' is not a positive count\n", s);
        exit(2);
    }
    return v;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: gate-bench [--refd] [--log] [--expect-enabled|--expect-disabled] gate N\n"
            "       gate-bench [--refd] [--log] [--expect-enabled|--expect-disabled] "
            "time RUNS N\n");
    exit(2);
}

int main(int argc, char **argv)
{
    BenchBackend be = { .fd = 3, .users = 1 };
    BenchHelper *helper = bench_map;
    bool log = false;
    int expect = -1;        /* -1: default */
    int i = 1;

    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--log") == 0) {
            log = true;
        } else if (strcmp(argv[i], "--refd") == 0) {
            helper = bench_map_refd;
        } else if (strcmp(argv[i], "--expect-enabled") == 0) {
            expect = 1;
        } else if (strcmp(argv[i], "--expect-disabled") == 0) {
            expect = 0;
        } else {
            usage();
        }
    }
    if (i >= argc) {
        usage();
    }
    if (expect < 0) {
        expect = log ? 1 : 0;
    }
    if (log) {
        iommufd_trace_set_sink(counting_sink, NULL);
        if (iommufd_trace_enable("bench_*") == 0) {
            fprintf(stderr, "gate-bench: iommufd_trace_enable(\"bench_*\") matched nothing\n");
            return 1;
        }
    }

    bool enabled = trace_bench_ioas_map_enabled();
    printf("variant %s\n", BENCH_VARIANT);
    printf("enabled %d\n", enabled ? 1 : 0);
    if ((int)enabled != expect) {
        fprintf(stderr, "gate-bench: the event is %s, expected %s\n",
                enabled ? "enabled" : "disabled", expect ? "enabled" : "disabled");
        return 1;
    }

    unsigned long calls = 0;
    if (strcmp(argv[i], "gate") == 0 && i + 2 == argc) {
        calls = parse_count(argv[i + 1]);
        if (run_calls(helper, &be, calls) < 0) {
            return 1;
        }
    } else if (strcmp(argv[i], "time") == 0 && i + 3 == argc) {
        unsigned long runs = parse_count(argv[i + 1]);
        unsigned long n = parse_count(argv[i + 2]);
        double *ns = calloc(runs, sizeof(*ns));

        if (!ns || run_calls(helper, &be, n) < 0) {     /* warm-up */
            return 1;
        }
        calls = n;
        for (unsigned long r = 0; r < runs; r++) {
            double t0 = now_ns();
            if (run_calls(helper, &be, n) < 0) {
                return 1;
            }
            ns[r] = (now_ns() - t0) / (double)n;
            calls += n;
            printf("run_ns_per_call %.2f\n", ns[r]);
        }
        qsort(ns, runs, sizeof(*ns), cmp_double);
        printf("median_ns_per_call %.2f\n",
               runs % 2 ? ns[runs / 2] : (ns[runs / 2 - 1] + ns[runs / 2]) / 2);
        free(ns);
    } else {
        usage();
    }
    printf("calls %lu\n", calls);
    if (log) {
        printf("sink_lines %lu\n", sink_lines);
        if (sink_lines != calls) {
            fprintf(stderr, "gate-bench: the sink got %lu lines for %lu events\n", sink_lines,
                    calls);
            return 1;
        }
    }
    return 0;
}
