/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Several threads on one backend at once: mapping, unmapping and
 * allocating (IOAS, HWPT, destroy), connecting and disconnecting, with the
 * trace log on; every result is asserted, and the suite runs under the tsan
 * set-up (build with -Db_sanitize=thread) as well as valgrind and asan.
 *
 * Class: runs everywhere (the mock or a kernel with CONFIG_IOMMUFD_TEST for
 * the selftest device); the mock's fd counter is used when it is there.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd/backend.h"
#include "iommufd/trace.h"
#include "tests/common/test-backend-info.h"
#include "uapi/linux/iommufd.h"
#include "../common/fd-check.h"
#include "../common/selftest-ctx.h"

#define N_THREADS 6
#define ROUNDS 60
#define PER_ALLOC 8
#define SLICE 0x10000
#define A ((uint64_t)MOCK_APERTURE_START)

typedef unsigned (*count_fds_fn)(void);
static count_fds_fn mock_count_fds;

typedef TuSelftestCtx Shared;

typedef struct {
    Shared *s;
    int index;
    GThread *thread;
    /* results, checked by the main thread after the join */
    int failures;
    uint32_t ioas_ids[PER_ALLOC];
    uint32_t hwpt_ids[PER_ALLOC];
    uint64_t mapped_bytes;
} Worker;

static void shared_open(Shared *s)
{
    tu_selftest_open(s, (size_t)N_THREADS * SLICE, 0x11, false);
    /* kernel-chosen IOVAs stay clear of the threads' fixed ones */
    IOMMUFDIovaRange auto_win = { 0x40000000, MOCK_APERTURE_LAST };
    g_assert_true(iommufd_backend_allow_iovas(s->be, s->ioas, &auto_win, 1,
                                              &iommufd_error_abort));
}

/* every thread unmapped what it mapped: tu_selftest_close() asserts it */
static void shared_close(Shared *s)
{
    tu_selftest_close(s);
}

#define CHECK(w, cond) do { if (!(cond)) { (w)->failures++; } } while (0)

/* map at a fixed IOVA, at a kernel-chosen one, unmap both; allocate and
 * destroy IOAS and HWPTs; read the ranges */
static gpointer worker_map_alloc(gpointer opaque)
{
    Worker *w = opaque;
    Shared *s = w->s;
    uint8_t *mem = s->buf + (size_t)w->index * SLICE;
    uint64_t base = A + (uint64_t)w->index * 0x1000000;

    for (int r = 0; r < ROUNDS; r++) {
        IOMMUFDError *err = NULL;
        uint64_t iova = base + (uint64_t)(r % 16) * SLICE, auto_iova = 0, unmapped = 0;
        uint32_t ioas = 0, hwpt = 0;

        CHECK(w, iommufd_backend_map_dma(s->be, s->ioas, iova, SLICE, mem, r & 1, &err));
        CHECK(w, iommufd_backend_map_dma_auto(s->be, s->ioas, SLICE / 2, mem, true, &auto_iova,
                                              &err));
        CHECK(w, auto_iova >= A && auto_iova + SLICE / 2 - 1 <= MOCK_APERTURE_LAST);
        CHECK(w, auto_iova + SLICE / 2 <= iova || auto_iova >= iova + SLICE);
        w->mapped_bytes += SLICE + SLICE / 2;
        CHECK(w, iommufd_backend_unmap_dma(s->be, s->ioas, iova, SLICE, &unmapped, &err));
        CHECK(w, unmapped == SLICE);
        CHECK(w, iommufd_backend_unmap_dma(s->be, s->ioas, auto_iova, SLICE / 2, &unmapped,
                                           &err));
        CHECK(w, unmapped == SLICE / 2);
        /* already gone: success, nothing unmapped */
        CHECK(w, iommufd_backend_unmap_dma(s->be, s->ioas, iova, SLICE, &unmapped, &err));
        CHECK(w, unmapped == 0);

        CHECK(w, iommufd_backend_alloc_ioas(s->be, &ioas, &err));
        CHECK(w, iommufd_backend_alloc_hwpt(s->be, s->dev, ioas, 0, 0, 0, NULL, 0, &hwpt,
                                            &err));
        CHECK(w, hwpt != ioas && hwpt != 0);
        /* the IOAS is busy while its HWPT lives */
        IOMMUFDError *busy = NULL;
        CHECK(w, !iommufd_backend_free_id(s->be, ioas, &busy));
        CHECK(w, busy && iommufd_error_get_errno(busy) == EBUSY);
        iommufd_error_free(busy);
        CHECK(w, iommufd_backend_free_id(s->be, hwpt, &err));
        CHECK(w, iommufd_backend_free_id(s->be, ioas, &err));

        IOMMUFDIovaRange *ranges = NULL;
        uint32_t n = 0;
        CHECK(w, iommufd_backend_get_iova_ranges(s->be, s->ioas, &ranges, &n, NULL, &err));
        CHECK(w, n >= 1 && ranges && ranges[0].start >= A);
        g_free(ranges);
        if (err) {
            g_printerr("thread %d: %s\n", w->index, iommufd_error_get_pretty(err));
            iommufd_error_free(err);
            w->failures++;
        }
    }
    /* allocations that stay alive until the join: ids must be distinct */
    for (int i = 0; i < PER_ALLOC; i++) {
        CHECK(w, iommufd_backend_alloc_ioas(s->be, &w->ioas_ids[i], NULL));
        CHECK(w, iommufd_backend_alloc_hwpt(s->be, s->dev, s->ioas, 0, 0, 0, NULL, 0,
                                            &w->hwpt_ids[i], NULL));
    }
    return NULL;
}

static atomic_uint trace_lines;

static void count_sink(const char *event, const char *line, void *opaque)
{
    (void)line;
    (void)opaque;
    if (event && g_str_has_prefix(event, "iommufd_backend_")) {
        atomic_fetch_add(&trace_lines, 1);
    }
}

static void run_workers(gboolean traced)
{
    Shared s;
    Worker w[N_THREADS];

    shared_open(&s);
    if (traced) {
        atomic_store(&trace_lines, 0);
        iommufd_trace_set_sink(count_sink, NULL);
        g_assert_cmpuint(iommufd_trace_enable("iommufd_backend_*"), >, 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].s = &s;
        w[i].index = i;
        w[i].thread = g_thread_new("worker", worker_map_alloc, &w[i]);
    }
    GHashTable *ids = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (int i = 0; i < N_THREADS; i++) {
        g_thread_join(w[i].thread);
        g_assert_cmpint(w[i].failures, ==, 0);
        g_assert_cmpuint(w[i].mapped_bytes, ==, (uint64_t)ROUNDS * (SLICE + SLICE / 2));
        for (int k = 0; k < PER_ALLOC; k++) {
            g_assert_cmpuint(w[i].ioas_ids[k], !=, 0);
            g_assert_false(g_hash_table_contains(ids, GUINT_TO_POINTER(w[i].ioas_ids[k])));
            g_hash_table_add(ids, GUINT_TO_POINTER(w[i].ioas_ids[k]));
            g_assert_false(g_hash_table_contains(ids, GUINT_TO_POINTER(w[i].hwpt_ids[k])));
            g_hash_table_add(ids, GUINT_TO_POINTER(w[i].hwpt_ids[k]));
        }
    }
    g_assert_cmpuint(g_hash_table_size(ids), ==, N_THREADS * PER_ALLOC * 2);
    g_hash_table_unref(ids);
    if (traced) {
        iommufd_trace_enable("-iommufd_backend_*");
        iommufd_trace_set_sink(NULL, NULL);
        /* one event per ioctl: 12 per round (the ranges fit in one call;
         * the redundant unmap checks its IOAS), two per kept allocation */
        g_assert_cmpuint(atomic_load(&trace_lines), ==,
                         N_THREADS * (ROUNDS * 12 + PER_ALLOC * 2));
    }
    for (int i = 0; i < N_THREADS; i++) {
        for (int k = 0; k < PER_ALLOC; k++) {
            g_assert_true(iommufd_backend_free_id(s.be, w[i].hwpt_ids[k], &iommufd_error_abort));
            g_assert_true(iommufd_backend_free_id(s.be, w[i].ioas_ids[k], &iommufd_error_abort));
        }
    }
    shared_close(&s);
}

static void test_map_alloc(void)
{
    run_workers(FALSE);
}

static void test_map_alloc_traced(void)
{
    run_workers(TRUE);
}

/* ---- connect / disconnect from threads --------------------------------- */

typedef struct {
    IOMMUFDBackend *be;
    GThread *thread;
    int failures;
} Connector;

static gpointer worker_connect(gpointer opaque)
{
    Connector *c = opaque;

    for (int r = 0; r < ROUNDS; r++) {
        IOMMUFDError *err = NULL;
        uint32_t ioas = 0;

        CHECK(c, iommufd_backend_connect(c->be, &err));
        /* while this thread is a user the fd stays open */
        CHECK(c, iommufd_backend_get_fd(c->be) >= 0);
        CHECK(c, iommufd_backend_get_users(c->be) >= 1);
        CHECK(c, iommufd_backend_alloc_ioas(c->be, &ioas, &err));
        CHECK(c, iommufd_backend_free_id(c->be, ioas, &err));
        if (err) {
            g_printerr("connector: %s\n", iommufd_error_get_pretty(err));
            iommufd_error_free(err);
            c->failures++;
        }
        iommufd_backend_disconnect(c->be);
    }
    return NULL;
}

static void connect_threads(IOMMUFDBackend *be)
{
    Connector c[N_THREADS];

    for (int i = 0; i < N_THREADS; i++) {
        c[i] = (Connector){ .be = be };
        c[i].thread = g_thread_new("connector", worker_connect, &c[i]);
    }
    for (int i = 0; i < N_THREADS; i++) {
        g_thread_join(c[i].thread);
        g_assert_cmpint(c[i].failures, ==, 0);
    }
    g_assert_cmpuint(iommufd_backend_get_users(be), ==, 0);
}

static void test_connect_owned(void)
{
    unsigned fds0 = mock_count_fds ? mock_count_fds() : 0;
    IOMMUFDBackend *be = iommufd_backend_new();

    connect_threads(be);
    /* the last user closed the fd */
    g_assert_cmpint(iommufd_backend_get_fd(be), ==, -1);
    if (mock_count_fds) {
        g_assert_cmpuint(mock_count_fds(), ==, fds0);
    }
    g_object_unref(be);
}

static void test_connect_handed(void)
{
    int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    IOMMUFDBackend *be = iommufd_backend_new_from_fd(fd);

    connect_threads(be);
    /* a handed fd is never closed */
    g_assert_cmpint(iommufd_backend_get_fd(be), ==, fd);
    g_object_unref(be);
    struct iommu_ioas_alloc a = { .size = sizeof(a) };
    g_assert_cmpint(ioctl(fd, IOMMU_IOAS_ALLOC, &a), ==, 0);
    close(fd);
}

/* ---- a backend per thread ----------------------------------------------- */

static gpointer worker_own_backend(gpointer opaque)
{
    Connector *c = opaque;

    for (int r = 0; r < ROUNDS / 4; r++) {
        g_autoptr(IOMMUFDBackend) be = iommufd_backend_new();
        IOMMUFDError *err = NULL;
        uint32_t ioas = 0;
        IOMMUFDFeatures f;

        CHECK(c, iommufd_backend_connect(be, &err));
        CHECK(c, iommufd_backend_probe(be, &f, &err));
        CHECK(c, iommufd_features_has(&f, IOMMUFD_CMD_IOAS_MAP));
        CHECK(c, iommufd_backend_alloc_ioas(be, &ioas, &err));
        CHECK(c, ioas == 1);    /* a fresh context numbers from 1 */
        if (err) {
            iommufd_error_free(err);
            c->failures++;
        }
        /* disconnecting closes the context and everything in it */
        iommufd_backend_disconnect(be);
    }
    return NULL;
}

static void test_backend_per_thread(void)
{
    unsigned fds0 = mock_count_fds ? mock_count_fds() : 0;
    Connector c[N_THREADS];

    for (int i = 0; i < N_THREADS; i++) {
        c[i] = (Connector){ 0 };
        c[i].thread = g_thread_new("own-backend", worker_own_backend, &c[i]);
    }
    for (int i = 0; i < N_THREADS; i++) {
        g_thread_join(c[i].thread);
        g_assert_cmpint(c[i].failures, ==, 0);
    }
    if (mock_count_fds) {
        g_assert_cmpuint(mock_count_fds(), ==, fds0);
    }
}

int main(int argc, char **argv)
{
    test_backend_print();
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
    mock_count_fds = (count_fds_fn)dlsym(RTLD_DEFAULT, "iommufd_mock_count_fds");
    tu_add_func("/threads/map-unmap-alloc", test_map_alloc);
    tu_add_func("/threads/map-unmap-alloc-traced", test_map_alloc_traced);
    tu_add_func("/threads/connect-disconnect-owned", test_connect_owned);
    tu_add_func("/threads/connect-disconnect-handed-fd", test_connect_handed);
    tu_add_func("/threads/backend-per-thread", test_backend_per_thread);
    return g_test_run();
}
