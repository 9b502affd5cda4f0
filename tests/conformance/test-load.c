/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Load: 8 threads drive ONE backend for a fixed number of operations each
 * (IOAS alloc/free, map/unmap at fixed and kernel-chosen IOVAs, copy between
 * IOASes, IOVA ranges, HWPT alloc/free on the selftest device, a mapping
 * contended by all threads, destroys of ids that are gone, a busy IOAS).
 * Every call is counted per operation type as a success, an expected error
 * (by errno) or an unexpected one.  At the end: the counts add up (every
 * operation accounted for, nothing unexpected, the deterministic expected
 * errors exactly as many as planned), nothing the run created is left (each
 * id destroyed again gives ENOENT, the shared IOAS has nothing mapped, the
 * mock's object and fd counters are back at their baseline), no fd leaked
 * (tests/common/fd-check.h).
 *
 * Class: runs everywhere (the mock or a kernel with CONFIG_IOMMUFD_TEST for
 * the selftest device).  The conformance suite also runs it under tsan.
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
#include "tests/common/test-backend-info.h"
#include "uapi/linux/iommufd.h"
#include "../common/fd-check.h"
#include "../common/selftest-ctx.h"

#define N_THREADS 8
#define OPS_PER_THREAD 360      /* a multiple of N_OPS: each type as often */
#define SLICE 0x10000
#define A ((uint64_t)MOCK_APERTURE_START)
#define NOID 0xdead0u

typedef int (*count_objects_fn)(int iommufd);
typedef unsigned (*count_fds_fn)(void);

enum {
    OP_IOAS,        /* alloc + free (never freed twice here: another thread may have
                     * been handed the same id meanwhile; the end checks ENOENT) */
    OP_MAP,         /* fixed map + unmap in the thread's slice, unmap again: 0 bytes */
    OP_MAP_AUTO,    /* kernel-chosen IOVA, unmap */
    OP_COPY,        /* copy the thread's private IOAS's mapping into the shared one */
    OP_RANGES,      /* IOVA ranges of the shared IOAS */
    OP_HWPT,        /* HWPT alloc + free on the selftest device */
    OP_CONTEND,     /* every thread maps the same IOVA: success or EEXIST */
    OP_NOID,        /* destroy an id that never existed: ENOENT */
    OP_BUSY,        /* an IOAS with a HWPT on it: destroy gives EBUSY */
    N_OPS
};

static const char *const op_names[N_OPS] = {
    "ioas", "map", "map-auto", "copy", "ranges", "hwpt", "contend", "noid", "busy",
};

/* the errnos each operation may meet, besides success */
static const int op_expected[N_OPS][2] = {
    [OP_CONTEND] = { EEXIST, 0 },
    [OP_NOID] = { ENOENT, 0 },
    [OP_BUSY] = { EBUSY, 0 },
};

typedef struct {
    unsigned attempts;
    unsigned ok;            /* operations whose every call behaved as planned */
    unsigned expected;      /* expected errors met (a call that failed as planned) */
    unsigned unexpected;    /* anything else */
} OpCount;

typedef TuSelftestCtx Shared;

typedef struct {
    Shared *s;
    int index;
    GThread *thread;
    uint32_t own_ioas;              /* the private source of copies */
    OpCount count[N_OPS];
    unsigned contend_won;           /* contended maps that succeeded */
    GArray *ids;                    /* every id it created, to check they are gone */
    char first_unexpected[512];
} Worker;

static bool is_expected(int op, int err)
{
    for (int i = 0; i < 2; i++) {
        if (op_expected[op][i] && op_expected[op][i] == err) {
            return true;
        }
    }
    return false;
}

/* account one call: true if it succeeded */
static bool account(Worker *w, int op, bool ok, IOMMUFDError **err, int want_err)
{
    int e = ok ? 0 : (*err ? iommufd_error_get_errno(*err) : -1);

    if (want_err ? (!ok && e == want_err) : ok) {
        if (want_err) {
            w->count[op].expected++;
        }
    } else if (!ok && want_err == 0 && is_expected(op, e) && op == OP_CONTEND) {
        w->count[op].expected++;
    } else {
        w->count[op].unexpected++;
        if (!w->first_unexpected[0]) {
            snprintf(w->first_unexpected, sizeof(w->first_unexpected), "%s: %s (errno %d)",
                     op_names[op], ok ? "succeeded, an error was planned" :
                     (*err ? iommufd_error_get_pretty(*err) : "no error set"), e);
        }
    }
    if (*err) {
        iommufd_error_free(*err);
        *err = NULL;
    }
    return ok;
}

static void record(Worker *w, uint32_t id)
{
    g_array_append_val(w->ids, id);
}

static void run_op(Worker *w, int op, unsigned round)
{
    Shared *s = w->s;
    IOMMUFDError *err = NULL;
    uint8_t *mem = s->buf + (size_t)w->index * SLICE;
    uint64_t slice = A + (uint64_t)w->index * 0x1000000 + (uint64_t)(round % 8) * SLICE;
    uint64_t unmapped = 0, iova = 0;
    uint32_t id = 0, hwpt = 0;
    unsigned unexpected0 = w->count[op].unexpected;

    w->count[op].attempts++;
    switch (op) {
    case OP_IOAS:
        if (account(w, op, iommufd_backend_alloc_ioas(s->be, &id, &err), &err, 0)) {
            record(w, id);
            account(w, op, iommufd_backend_free_id(s->be, id, &err), &err, 0);
        }
        break;
    case OP_MAP:
        if (account(w, op, iommufd_backend_map_dma(s->be, s->ioas, slice, SLICE, mem, round & 1,
                                                   &err), &err, 0)) {
            account(w, op, iommufd_backend_unmap_dma(s->be, s->ioas, slice, SLICE, &unmapped,
                                                     &err) && unmapped == SLICE, &err, 0);
            /* gone already: success, nothing unmapped */
            account(w, op, iommufd_backend_unmap_dma(s->be, s->ioas, slice, SLICE, &unmapped,
                                                     &err) && unmapped == 0, &err, 0);
        }
        break;
    case OP_MAP_AUTO:
        if (account(w, op, iommufd_backend_map_dma_auto(s->be, s->ioas, SLICE / 2, mem, true,
                                                        &iova, &err), &err, 0)) {
            account(w, op, iova >= 0x40000000 && iova + SLICE / 2 - 1 <= MOCK_APERTURE_LAST,
                    &err, 0);
            account(w, op, iommufd_backend_unmap_dma(s->be, s->ioas, iova, SLICE / 2, &unmapped,
                                                     &err) && unmapped == SLICE / 2, &err, 0);
        }
        break;
    case OP_COPY:
        if (account(w, op, iommufd_backend_copy_dma(s->be, w->own_ioas, A, s->ioas, slice, SLICE,
                                                    false, &err), &err, 0)) {
            account(w, op, iommufd_backend_unmap_dma(s->be, s->ioas, slice, SLICE, &unmapped,
                                                     &err) && unmapped == SLICE, &err, 0);
        }
        break;
    case OP_RANGES: {
        IOMMUFDIovaRange *r = NULL;
        uint32_t n = 0;
        if (account(w, op, iommufd_backend_get_iova_ranges(s->be, s->ioas, &r, &n, NULL, &err),
                    &err, 0)) {
            account(w, op, n >= 1 && r[0].start >= A, &err, 0);
        }
        g_free(r);
        break;
    }
    case OP_HWPT:
        if (account(w, op, iommufd_backend_alloc_hwpt(s->be, s->dev, s->ioas, 0, 0, 0, NULL, 0,
                                                      &hwpt, &err), &err, 0)) {
            record(w, hwpt);
            account(w, op, iommufd_backend_free_id(s->be, hwpt, &err), &err, 0);
        }
        break;
    case OP_CONTEND: {
        /* one IOVA for all: exactly one thread at a time holds it */
        uint64_t shared_iova = 0x30000000;
        bool won = iommufd_backend_map_dma(s->be, s->ioas, shared_iova, SLICE, mem, true, &err);
        account(w, op, won, &err, 0);
        if (won) {
            w->contend_won++;
            account(w, op, iommufd_backend_unmap_dma(s->be, s->ioas, shared_iova, SLICE,
                                                     &unmapped, &err) && unmapped == SLICE,
                    &err, 0);
        }
        break;
    }
    case OP_NOID:
        account(w, op, iommufd_backend_free_id(s->be, NOID, &err), &err, ENOENT);
        break;
    case OP_BUSY:
        if (account(w, op, iommufd_backend_alloc_ioas(s->be, &id, &err), &err, 0)) {
            record(w, id);
            if (account(w, op, iommufd_backend_alloc_hwpt(s->be, s->dev, id, 0, 0, 0, NULL, 0,
                                                          &hwpt, &err), &err, 0)) {
                record(w, hwpt);
                account(w, op, iommufd_backend_free_id(s->be, id, &err), &err, EBUSY);
                account(w, op, iommufd_backend_free_id(s->be, hwpt, &err), &err, 0);
            }
            account(w, op, iommufd_backend_free_id(s->be, id, &err), &err, 0);
        }
        break;
    }
    if (w->count[op].unexpected == unexpected0) {
        w->count[op].ok++;
    }
}

static gpointer worker_main(gpointer opaque)
{
    Worker *w = opaque;

    for (unsigned i = 0; i < OPS_PER_THREAD; i++) {
        /* every thread runs every type equally often, in a different order */
        run_op(w, (int)((i + (unsigned)w->index * 5) % N_OPS), i / N_OPS);
    }
    return NULL;
}

static void test_load(void)
{
    count_objects_fn count_objects =
        (count_objects_fn)dlsym(RTLD_DEFAULT, "iommufd_mock_count_objects");
    count_fds_fn count_fds = (count_fds_fn)dlsym(RTLD_DEFAULT, "iommufd_mock_count_fds");
    unsigned fds0 = count_fds ? count_fds() : 0;
    Shared s;
    Worker w[N_THREADS];

    if (!tu_selftest_open(&s, (size_t)N_THREADS * SLICE, 0x6b, true)) {
        return;
    }
    /* kernel-chosen IOVAs stay clear of the fixed ones */
    IOMMUFDIovaRange auto_win = { 0x40000000, MOCK_APERTURE_LAST };
    g_assert_true(iommufd_backend_allow_iovas(s.be, s.ioas, &auto_win, 1, &iommufd_error_abort));

    for (int i = 0; i < N_THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].s = &s;
        w[i].index = i;
        w[i].ids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
        /* the private source of its copies, mapped once */
        g_assert_true(iommufd_backend_alloc_ioas(s.be, &w[i].own_ioas, &iommufd_error_abort));
        g_assert_true(iommufd_backend_map_dma(s.be, w[i].own_ioas, A, SLICE,
                                              s.buf + (size_t)i * SLICE, false,
                                              &iommufd_error_abort));
    }
    int objects0 = count_objects ? count_objects(s.fd) : 0;
    for (int i = 0; i < N_THREADS; i++) {
        w[i].thread = g_thread_new("load", worker_main, &w[i]);
    }
    OpCount total[N_OPS] = { { 0 } };
    unsigned won = 0;
    for (int i = 0; i < N_THREADS; i++) {
        g_thread_join(w[i].thread);
        if (w[i].first_unexpected[0]) {
            g_test_message("thread %d, first unexpected: %s", i, w[i].first_unexpected);
        }
        for (int op = 0; op < N_OPS; op++) {
            total[op].attempts += w[i].count[op].attempts;
            total[op].ok += w[i].count[op].ok;
            total[op].expected += w[i].count[op].expected;
            total[op].unexpected += w[i].count[op].unexpected;
        }
        won += w[i].contend_won;
    }

    /* the counts add up */
    unsigned attempts = 0;
    const unsigned per_op = N_THREADS * (OPS_PER_THREAD / N_OPS);
    for (int op = 0; op < N_OPS; op++) {
        g_test_message("%-8s attempts %u ok %u expected-errors %u unexpected %u", op_names[op],
                       total[op].attempts, total[op].ok, total[op].expected,
                       total[op].unexpected);
        g_assert_cmpuint(total[op].attempts, ==, per_op);
        g_assert_cmpuint(total[op].unexpected, ==, 0);
        g_assert_cmpuint(total[op].ok, ==, total[op].attempts);
        attempts += total[op].attempts;
    }
    g_assert_cmpuint(attempts, ==, N_THREADS * OPS_PER_THREAD);
    /* the planned errors, exactly: one ENOENT per destroy of NOID, one
     * EBUSY per busy round; contended maps either won or met EEXIST, and at
     * least one won */
    g_assert_cmpuint(total[OP_NOID].expected, ==, per_op);
    g_assert_cmpuint(total[OP_BUSY].expected, ==, per_op);
    g_assert_cmpuint(won + total[OP_CONTEND].expected, ==, per_op);
    g_assert_cmpuint(won, >=, 1);
    for (int op = 0; op < N_OPS; op++) {
        if (op != OP_NOID && op != OP_BUSY && op != OP_CONTEND) {
            g_assert_cmpuint(total[op].expected, ==, 0);
        }
    }

    /* nothing the run created is left: every id is gone, distinct ones
     * included, and the shared IOAS has nothing mapped */
    unsigned gone = 0;
    for (int i = 0; i < N_THREADS; i++) {
        for (guint k = 0; k < w[i].ids->len; k++) {
            IOMMUFDError *err = NULL;
            uint32_t id = g_array_index(w[i].ids, uint32_t, k);
            g_assert_false(iommufd_backend_free_id(s.be, id, &err));
            g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOENT);
            iommufd_error_free(err);
            gone++;
        }
        g_array_unref(w[i].ids);
    }
    /* per thread: OP_IOAS 1 id, OP_HWPT 1, OP_BUSY 2 per round */
    g_assert_cmpuint(gone, ==, per_op * 4);
    uint64_t unmapped = 1;
    g_assert_true(iommufd_backend_unmap_dma(s.be, s.ioas, 0, UINT64_MAX, &unmapped,
                                            &iommufd_error_abort));
    g_assert_cmpuint(unmapped, ==, 0);
    if (count_objects) {
        g_assert_cmpint(count_objects(s.fd), ==, objects0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        g_assert_true(iommufd_backend_unmap_dma(s.be, w[i].own_ioas, A, SLICE, &unmapped,
                                                &iommufd_error_abort));
        g_assert_cmpuint(unmapped, ==, SLICE);
        g_assert_true(iommufd_backend_free_id(s.be, w[i].own_ioas, &iommufd_error_abort));
    }
    tu_selftest_release(&s);
    if (count_objects) {
        g_assert_cmpint(count_objects(s.fd), ==, 0);
    }
    tu_selftest_disconnect(&s);
    if (count_fds) {
        g_assert_cmpuint(count_fds(), ==, fds0);
    }
}

int main(int argc, char **argv)
{
    test_backend_print();
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
    tu_add_func("/load/8-threads-one-backend", test_load);
    return g_test_run();
}
