/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fault queue drained in batches against one record per read()
 * (docs/performance.md, "Event and fault queues").
 *
 *   events-bench [BURST [RUNS]]     default 256 faults, 11 timed runs
 *
 * The set-up is the selftest's (IOMMU_TEST_CMD), so that the same binary
 * runs on the mock (suite bench, the mock preloaded) and on a real Linux
 * 6.12 with CONFIG_IOMMUFD_TEST in the VM (suite kernel): an IOAS, a
 * MOCK_DOMAIN device, a nesting parent HWPT, a fault queue
 * (iommufd_faultq_new), a nested HWPT reporting to it, the device moved
 * there.  Each run raises a burst of BURST one-fault groups with
 * IOMMU_TEST_OP_TRIGGER_IOPF (not timed), then drains and answers them
 * all (timed, CLOCK_MONOTONIC), in one of two ways:
 *
 *  - batched: a queue whose buffer holds the whole burst; each batch's
 *    groups answered with one iommufd_faultq_respond_many() (one write);
 *  - one per read: a queue whose buffer holds one record (max_faults 1),
 *    each group answered on its own (iommufd_faultq_respond): what QEMU's
 *    SMMUv3 path does for vEVENTs, one record per read() and callback.
 *
 * Reported per mode: read() calls per record drained (the queue's own
 * count, iommufd_faultq_get_reads; empty reads included) and the median
 * records per second; then the ratio of the medians.  One untimed run per
 * mode first.  TAP; the read counts are asserted, the timings only printed.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <iommufd/backend.h>
#include <iommufd/events.h>

#include "events-bench-selftest.h"
#include "tests/common/test-backend-info.h"

typedef struct Setup {
    IOMMUFDBackend *be;
    int fd;
    uint32_t ioas, stdev, dev, parent, nested;
    IOMMUFDFaultq *q;
} Setup;

typedef struct Result {
    double median_rps;      /* records per second, median of the runs */
    double min_rps, max_rps;
    uint64_t reads;         /* read() calls over the timed runs */
    uint64_t records;       /* records drained over the timed runs */
    uint64_t writes;        /* response calls over the timed runs */
} Result;

static int n_tests;
static bool failed;

static void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tap(bool ok, const char *fmt, ...)
{
    va_list ap;
    printf("%s %d - ", ok ? "ok" : "not ok", ++n_tests);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    failed |= !ok;
}

static void bail(const char *what, IOMMUFDError *err)
{
    printf("Bail out! %s: %s\n", what, err ? iommufd_error_get_pretty(err) : strerror(errno));
    fflush(stdout);
    exit(1);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void setup(Setup *s, size_t max_faults)
{
    IOMMUFDError *err = NULL;

    memset(s, 0, sizeof(*s));
    s->be = iommufd_backend_new();
    if (!iommufd_backend_connect(s->be, &err)) {
        bail("connecting to /dev/iommu", err);
    }
    s->fd = iommufd_backend_get_fd(s->be);
    if (!iommufd_backend_alloc_ioas(s->be, &s->ioas, &err)) {
        bail("IOMMU_IOAS_ALLOC", err);
    }
    int r = bench_mock_domain(s->fd, s->ioas, &s->stdev, &s->dev);
    if (r < 0) {
        errno = -r;
        bail("IOMMU_TEST_OP_MOCK_DOMAIN", NULL);
    }
    if (!iommufd_backend_alloc_hwpt(s->be, s->dev, s->ioas, IOMMUFD_HWPT_ALLOC_NEST_PARENT, 0,
                                    0, NULL, 0, &s->parent, &err)) {
        bail("the nesting parent", err);
    }
    s->q = iommufd_faultq_new(s->be, max_faults, &err);
    if (!s->q) {
        bail("iommufd_faultq_new", err);
    }
    if (!bench_alloc_nested(s->be, s->dev, s->parent, iommufd_faultq_get_id(s->q), &s->nested,
                            &err)) {
        bail("the nested HWPT with the fault queue", err);
    }
    r = bench_mock_domain_replace(s->fd, s->stdev, s->nested);
    if (r < 0) {
        errno = -r;
        bail("IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE", NULL);
    }
}

static void teardown(Setup *s)
{
    IOMMUFDError *err = NULL;
    /* the device goes with its stdev; then the leaves first */
    uint32_t ids[] = { s->stdev, s->nested };
    for (size_t i = 0; i < 2; i++) {
        if (!iommufd_backend_free_id(s->be, ids[i], &err)) {
            bail("teardown", err);
        }
    }
    iommufd_faultq_free(s->q);
    if (!iommufd_backend_free_id(s->be, s->parent, &err) ||
        !iommufd_backend_free_id(s->be, s->ioas, &err)) {
        bail("teardown", err);
    }
    iommufd_backend_disconnect(s->be);
    g_object_unref(s->be);
}

static void trigger_burst(Setup *s, unsigned burst)
{
    for (unsigned i = 0; i < burst; i++) {
        int r = bench_trigger_iopf(s->fd, s->dev, i & 0x1ff, i);
        if (r < 0) {
            errno = -r;
            bail("IOMMU_TEST_OP_TRIGGER_IOPF", NULL);
        }
    }
}

/*
 * Drain and answer @burst faults; @return the seconds it took.  An empty
 * read before the burst is drained (a kernel that delivers late) waits in
 * poll(), outside nothing: it counts, as a VMM would pay for it.
 */
static double drain(Setup *s, unsigned burst, bool batched, IOMMUFDFaultBatch *b,
                    IOMMUFDPageResponse *resp, uint64_t *writes)
{
    IOMMUFDError *err = NULL;
    unsigned done = 0;
    double t0 = now_s();

    while (done < burst) {
        if (!iommufd_faultq_drain(s->q, b, &err)) {
            bail("iommufd_faultq_drain", err);
        }
        if (b->n_groups == 0) {
            struct pollfd p = { .fd = iommufd_faultq_get_fd(s->q), .events = POLLIN };
            if (poll(&p, 1, 5000) != 1) {
                bail("the burst's faults did not all arrive", NULL);
            }
            continue;
        }
        if (batched) {
            for (size_t g = 0; g < b->n_groups; g++) {
                resp[g].cookie = b->groups[g].cookie;
                resp[g].code = IOMMUFD_PAGE_RESPONSE_SUCCESS;
            }
            if (!iommufd_faultq_respond_many(s->q, resp, b->n_groups, NULL, &err)) {
                bail("iommufd_faultq_respond_many", err);
            }
            (*writes)++;
        } else {
            for (size_t g = 0; g < b->n_groups; g++) {
                if (!iommufd_faultq_respond(s->q, &b->groups[g], IOMMUFD_PAGE_RESPONSE_SUCCESS,
                                            &err)) {
                    bail("iommufd_faultq_respond", err);
                }
                (*writes)++;
            }
        }
        done += b->n_faults;
    }
    return now_s() - t0;
}

static Result bench(unsigned burst, unsigned runs, bool batched)
{
    Setup s;
    Result r = { 0 };
    IOMMUFDFaultBatch b = IOMMUFD_FAULT_BATCH_INIT;
    IOMMUFDPageResponse *resp = g_new0(IOMMUFDPageResponse, burst);
    double *rps = g_new0(double, runs);
    uint64_t writes = 0;

    setup(&s, batched ? burst : 1);
    /* one untimed run */
    trigger_burst(&s, burst);
    drain(&s, burst, batched, &b, resp, &writes);
    uint64_t reads0 = iommufd_faultq_get_reads(s.q);
    writes = 0;
    for (unsigned i = 0; i < runs; i++) {
        trigger_burst(&s, burst);
        rps[i] = burst / drain(&s, burst, batched, &b, resp, &writes);
    }
    r.reads = iommufd_faultq_get_reads(s.q) - reads0;
    r.records = (uint64_t)burst * runs;
    r.writes = writes;
    qsort(rps, runs, sizeof(*rps), cmp_double);
    r.median_rps = rps[runs / 2];
    r.min_rps = rps[0];
    r.max_rps = rps[runs - 1];
    iommufd_fault_batch_clear(&b);
    teardown(&s);
    g_free(rps);
    g_free(resp);
    return r;
}

int main(int argc, char **argv)
{
    unsigned burst = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 256;
    unsigned runs = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 11;
    const char *quick = getenv("IOMMUFD_BENCH_QUICK");

    if (quick && *quick && argc <= 2) {
        runs = 5;
    }
    if (burst < 1 || burst > 100000 || runs < 1) {
        fprintf(stderr, "usage: events-bench [BURST (1..100000) [RUNS (>= 1)]]\n");
        return 2;
    }
    test_backend_print();
    printf("# fault queue: bursts of %u one-fault groups, median of %u runs after one "
           "untimed\n", burst, runs);
    fflush(stdout);

    Result bat = bench(burst, runs, true);
    Result one = bench(burst, runs, false);
    double bat_rpr = (double)bat.reads / bat.records;
    double one_rpr = (double)one.reads / one.records;

    printf("# %-13s %12s %14s %14s %22s\n", "mode", "reads/record", "writes/record",
           "median rec/s", "min .. max rec/s");
    printf("# %-13s %12.4f %14.4f %14.0f %10.0f .. %-10.0f\n", "batched", bat_rpr,
           (double)bat.writes / bat.records, bat.median_rps, bat.min_rps, bat.max_rps);
    printf("# %-13s %12.4f %14.4f %14.0f %10.0f .. %-10.0f\n", "one per read", one_rpr,
           (double)one.writes / one.records, one.median_rps, one.min_rps, one.max_rps);
    printf("# ratio of the medians (batched / one per read): %.2f\n",
           bat.median_rps / one.median_rps);

    /* a burst fits one batch: one read per burst, 1/BURST per record (a
     * kernel that delivers late may add empty reads: at most one per
     * record-bearing read, then) */
    tap(bat.reads >= runs && bat.reads <= 2ull * runs,
        "batched: %" PRIu64 " reads for %" PRIu64 " records (%.4f per record; 1/%u = %.4f)",
        bat.reads, bat.records, bat_rpr, burst, 1.0 / burst);
    tap(one.reads >= one.records && one.reads <= 2 * one.records,
        "one per read: %" PRIu64 " reads for %" PRIu64 " records (%.4f per record)",
        one.reads, one.records, one_rpr);
    tap(bat.writes == runs && one.writes == one.records,
        "responses: batched one write per burst (%" PRIu64 "), one per read one per group "
        "(%" PRIu64 ")", bat.writes, one.writes);
    tap(bat.median_rps > 0 && one.median_rps > 0,
        "records per second: batched %.0f, one per read %.0f, ratio %.2f", bat.median_rps,
        one.median_rps, bat.median_rps / one.median_rps);
    printf("1..%d\n", n_tests);
    return failed ? 1 : 0;
}
