/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Suite `events`: the event and fault queues of include/iommufd/events.h.
 *
 * Never links the mock: on the host the suite's environment preloads it
 * (both kernel models); in the VM (suite kernel) the same binary meets
 * Linux 6.12 with CONFIG_IOMMUFD_TEST, where the fault queue runs end to end
 * through the selftest's TRIGGER_IOPF (a nested HWPT with FAULT_ID_VALID
 * attached by MOCK_DOMAIN_REPLACE) and the vEVENTQ is ENOTTY.  Tests that
 * need the mock's fixtures (multi-fault groups, sequence numbers, fail-Nth)
 * are registered only where the mock answers.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommufd/backend.h"
#include "iommufd/events.h"
#include "iommufd/trace.h"
#include "tests/common/test-backend-info.h"
#include "uapi/linux/iommufd.h"
#include "../common/fd-check.h"

#define VIRT_ID 0x99u

/* ---- the mock's fixtures (dlsym; NULL on a kernel) ------------------------ */

static struct {
    int (*get_kernel)(void);
    int (*trigger_fault)(int, uint32_t, uint32_t, uint32_t, uint32_t, uint64_t, unsigned);
    int (*trigger_vevent)(int, uint32_t);
    int (*set_sequence)(int, uint32_t, uint32_t);
    void (*fail_nth)(unsigned, int);
    bool (*fail_nth_reached)(void);
    int (*count_objects)(int);
    unsigned (*count_fds)(void);
} mock;

static void mock_init(void)
{
    mock.get_kernel = (int (*)(void))dlsym(RTLD_DEFAULT, "iommufd_mock_get_kernel");
    mock.trigger_fault = (int (*)(int, uint32_t, uint32_t, uint32_t, uint32_t, uint64_t,
                                  unsigned))dlsym(RTLD_DEFAULT, "iommufd_mock_trigger_fault");
    mock.trigger_vevent = (int (*)(int, uint32_t))dlsym(RTLD_DEFAULT,
                                                        "iommufd_mock_trigger_vevent");
    mock.set_sequence = (int (*)(int, uint32_t, uint32_t))dlsym(
        RTLD_DEFAULT, "iommufd_mock_veventq_set_sequence");
    mock.fail_nth = (void (*)(unsigned, int))dlsym(RTLD_DEFAULT, "iommufd_mock_fail_nth");
    mock.fail_nth_reached = (bool (*)(void))dlsym(RTLD_DEFAULT, "iommufd_mock_fail_nth_reached");
    mock.count_objects = (int (*)(int))dlsym(RTLD_DEFAULT, "iommufd_mock_count_objects");
    mock.count_fds = (unsigned (*)(void))dlsym(RTLD_DEFAULT, "iommufd_mock_count_fds");
}

/* ---- trace capture ---------------------------------------------------------- */

static GPtrArray *trace_lines;

static void trace_sink(const char *event, const char *line, void *opaque)
{
    (void)opaque;
    if (g_str_has_prefix(event, "iommufd_veventq_") || g_str_has_prefix(event, "iommufd_faultq_")) {
        g_ptr_array_add(trace_lines, g_strdup(line));
    }
}

static void trace_begin(void)
{
    trace_lines = g_ptr_array_new_with_free_func(g_free);
    iommufd_trace_set_sink(trace_sink, NULL);
    g_assert_cmpuint(iommufd_trace_enable("iommufd_veventq_*,iommufd_faultq_*"), >, 0);
}

static unsigned trace_count(const char *needle)
{
    unsigned n = 0;

    for (guint i = 0; i < trace_lines->len; i++) {
        if (strstr(g_ptr_array_index(trace_lines, i), needle)) {
            n++;
        }
    }
    return n;
}

static void trace_end(void)
{
    iommufd_trace_enable("-iommufd_veventq_*,-iommufd_faultq_*");
    iommufd_trace_set_sink(NULL, NULL);
    g_ptr_array_unref(trace_lines);
    trace_lines = NULL;
}

/* ---- fixture: a context, an IOAS, a selftest device ------------------------ */

typedef struct {
    IOMMUFDBackend *be;
    int fd;
    IOMMUFDFeatures features;
    uint32_t ioas_id, stdev_id, hwpt_id, dev_id;
    /* the fault path */
    IOMMUFDFaultq *fq;
    uint32_t parent, nested;
    /* the vEVENT path */
    uint32_t vparent, viommu, vdev, vnested;
} Fixture;

static int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
    cmd->size = sizeof(*cmd);
    return ioctl(fd, IOMMU_TEST_CMD, cmd) ? -errno : 0;
}

static int mock_replace(Fixture *f, uint32_t pt_id)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = f->stdev_id };

    cmd.mock_domain_replace.pt_id = pt_id;
    return test_cmd(f->fd, &cmd);
}

static bool is_612(Fixture *f)
{
    if (mock.get_kernel) {
        return mock.get_kernel() == 1;
    }
    return !iommufd_features_has(&f->features, IOMMUFD_CMD_VIOMMU_ALLOC);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };

    (void)data;
    memset(f, 0, sizeof(*f));
    f->be = iommufd_backend_new();
    iommufd_backend_connect(f->be, &iommufd_error_abort);
    f->fd = iommufd_backend_get_fd(f->be);
    iommufd_backend_probe(f->be, &f->features, &iommufd_error_abort);
    g_assert_true(f->features.selftest);
    iommufd_backend_alloc_ioas(f->be, &f->ioas_id, &iommufd_error_abort);
    cmd.id = f->ioas_id;
    g_assert_cmpint(test_cmd(f->fd, &cmd), ==, 0);
    f->stdev_id = cmd.mock_domain.out_stdev_id;
    f->hwpt_id = cmd.mock_domain.out_hwpt_id;
    f->dev_id = cmd.mock_domain.out_idev_id;
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    iommufd_backend_disconnect(f->be);
    g_object_unref(f->be);
}

/* A fault queue of max_faults, its HWPT (nested, FAULT_ID_VALID) attached. */
static void fault_path_setup(Fixture *f, size_t max_faults)
{
    static const struct iommu_hwpt_selftest sd = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    IOMMUFDError *err = NULL;

    f->fq = iommufd_faultq_new(f->be, max_faults, &err);
    if (!f->fq) {
        g_error("%s", iommufd_error_get_pretty(err));
    }
    int qfd = iommufd_faultq_get_fd(f->fq);
    g_assert_cmpint(fcntl(qfd, F_GETFL) & O_NONBLOCK, ==, O_NONBLOCK);
    g_assert_cmpint(fcntl(qfd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id,
                                             IOMMUFD_HWPT_ALLOC_NEST_PARENT, 0, 0, NULL, 0,
                                             &f->parent, &iommufd_error_abort));
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->parent,
                                             IOMMUFD_HWPT_FAULT_ID_VALID,
                                             IOMMU_HWPT_DATA_SELFTEST, 4, (void *)&sd,
                                             iommufd_faultq_get_id(f->fq), &f->nested,
                                             &iommufd_error_abort));
    g_assert_cmpint(mock_replace(f, f->nested), ==, 0);
}

static void fault_path_teardown(Fixture *f)
{
    g_assert_cmpint(mock_replace(f, f->ioas_id), ==, 0);
    iommufd_backend_free_id(f->be, f->nested, &iommufd_error_abort);
    if (f->fq) {
        iommufd_faultq_free(f->fq);
        f->fq = NULL;
    }
    iommufd_backend_free_id(f->be, f->parent, &iommufd_error_abort);
}

/* One group of count faults (a kernel's TRIGGER_IOPF: count 1 only). */
static void trigger_fault(Fixture *f, uint32_t pasid, uint32_t grpid, uint64_t addr,
                          unsigned count)
{
    if (mock.trigger_fault) {
        g_assert_cmpint(mock.trigger_fault(f->fd, f->dev_id, pasid, grpid,
                                           IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE,
                                           addr, count), ==, 0);
        return;
    }
    g_assert_cmpuint(count, ==, 1);
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_TRIGGER_IOPF };
    cmd.trigger_iopf.dev_id = f->dev_id;
    cmd.trigger_iopf.pasid = pasid;
    cmd.trigger_iopf.grpid = grpid;
    cmd.trigger_iopf.perm = IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE;
    cmd.trigger_iopf.addr = addr;
    g_assert_cmpint(test_cmd(f->fd, &cmd), ==, 0);
}

/* The vEVENTQ path (6.15+): on 6.12 asserts ENOTTY and returns NULL. */
static IOMMUFDVeventq *vevent_path_setup_fault(Fixture *f, uint32_t depth, size_t buf_size,
                                              uint32_t fault_id)
{
    static const struct iommu_hwpt_selftest sd = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    IOMMUFDError *err = NULL;
    IOMMUFDVeventq *q;

    if (!iommufd_features_has(&f->features, IOMMUFD_CMD_VEVENTQ_ALLOC)) {
        g_assert_true(is_612(f));
        q = iommufd_veventq_new(f->be, 1, IOMMUFD_VEVENTQ_TYPE_SELFTEST, depth, 0, buf_size, &err);
        g_assert_null(q);
        g_assert_nonnull(err);
        g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOTTY);
        iommufd_error_free(err);
        return NULL;
    }
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id,
                                             IOMMUFD_HWPT_ALLOC_NEST_PARENT, 0, 0, NULL, 0,
                                             &f->vparent, &iommufd_error_abort));
    g_assert_true(iommufd_backend_alloc_viommu(f->be, f->dev_id, IOMMU_VIOMMU_TYPE_SELFTEST,
                                               f->vparent, NULL, 0, &f->viommu,
                                               &iommufd_error_abort));
    g_assert_true(iommufd_backend_alloc_vdev(f->be, f->dev_id, f->viommu, VIRT_ID, &f->vdev,
                                             &iommufd_error_abort));
    q = iommufd_veventq_new(f->be, f->viommu, IOMMUFD_VEVENTQ_TYPE_SELFTEST, depth, 0, buf_size,
                            &iommufd_error_abort);
    g_assert_nonnull(q);
    g_assert_cmpint(fcntl(iommufd_veventq_get_fd(q), F_GETFL) & O_NONBLOCK, ==, O_NONBLOCK);
    g_assert_cmpint(fcntl(iommufd_veventq_get_fd(q), F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->viommu,
                                             fault_id ? IOMMUFD_HWPT_FAULT_ID_VALID : 0,
                                             IOMMU_HWPT_DATA_SELFTEST, 4, (void *)&sd, fault_id,
                                             &f->vnested, &iommufd_error_abort));
    g_assert_cmpint(mock_replace(f, f->vnested), ==, 0);
    return q;
}

static IOMMUFDVeventq *vevent_path_setup(Fixture *f, uint32_t depth, size_t buf_size)
{
    return vevent_path_setup_fault(f, depth, buf_size, 0);
}

static void vevent_path_teardown(Fixture *f, IOMMUFDVeventq *q)
{
    g_assert_cmpint(mock_replace(f, f->ioas_id), ==, 0);
    iommufd_backend_free_id(f->be, f->vnested, &iommufd_error_abort);
    iommufd_veventq_free(q);
    iommufd_backend_free_id(f->be, f->vdev, &iommufd_error_abort);
    iommufd_backend_free_id(f->be, f->viommu, &iommufd_error_abort);
    iommufd_backend_free_id(f->be, f->vparent, &iommufd_error_abort);
}

static void trigger_vevents(Fixture *f, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (mock.trigger_vevent) {
            g_assert_cmpint(mock.trigger_vevent(f->fd, f->dev_id), ==, 0);
        } else {
            struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT };
            cmd.trigger_vevent.dev_id = f->dev_id;
            g_assert_cmpint(test_cmd(f->fd, &cmd), ==, 0);
        }
    }
}

/* ==== pure decoders ========================================================= */

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static size_t put_vevent(uint8_t *p, uint32_t flags, uint32_t seq, const void *payload,
                         size_t len)
{
    put32(p, flags);
    put32(p + 4, seq);
    if (len) {
        memcpy(p + 8, payload, len);
    }
    return 8 + len;
}

static void test_decode_vevent(void)
{
    IOMMUFDVeventBatch b = IOMMUFD_VEVENT_BATCH_INIT;
    IOMMUFDVeventSeq seq = IOMMUFD_VEVENT_SEQ_INIT;
    IOMMUFDError *err = NULL;
    uint8_t raw[256], *buf = raw + 1;   /* deliberately misaligned */
    size_t n = 0;
    uint32_t vid;

    /* selftest: 12-byte records, a wrap INT_MAX -> 0, a gap of 3 (2 lost) */
    vid = 7;
    n += put_vevent(buf + n, 0, INT_MAX - 1, &vid, 4);
    vid = 8;
    n += put_vevent(buf + n, 0, INT_MAX, &vid, 4);
    vid = 9;
    n += put_vevent(buf + n, 0, 0, &vid, 4);
    vid = 10;
    n += put_vevent(buf + n, 0, 3, &vid, 4);
    g_assert_true(iommufd_vevent_decode(buf, n, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 0, &seq, &b, &err));
    g_assert_true(b.decoded);
    g_assert_cmpuint(b.n_events, ==, 4);
    g_assert_cmpuint(b.events[0].u.selftest.virt_id, ==, 7);
    g_assert_cmpuint(b.events[2].sequence, ==, 0);
    g_assert_cmpuint(b.events[3].u.selftest.virt_id, ==, 10);
    g_assert_cmpuint(b.events[3].payload_len, ==, 4);
    g_assert_cmpuint(b.lost, ==, 2);
    g_assert_true(b.lost_events);
    g_assert_false(b.tail_lost);
    g_assert_cmpuint(seq.last, ==, 3);
    /* the next batch: LOST_EVENTS at the tail standing for seq 4..6 */
    n = 0;
    vid = 11;
    n += put_vevent(buf + n, 0, 4, &vid, 4);
    n += put_vevent(buf + n, IOMMUFD_VEVENT_FLAG_LOST_EVENTS, 7, NULL, 0);
    g_assert_true(iommufd_vevent_decode(buf, n, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 0, &seq, &b, &err));
    g_assert_cmpuint(b.n_events, ==, 1);
    g_assert_cmpuint(b.lost, ==, 3);
    g_assert_true(b.tail_lost);
    g_assert_cmpuint(seq.lost_total, ==, 5);
    /* truncated: a header cut, a payload cut; seq unchanged, batch empty */
    for (size_t cut = 1; cut < 12; cut++) {
        IOMMUFDVeventSeq before = seq;
        n = put_vevent(buf, 0, 8, &vid, 4);
        n += put_vevent(buf + n, 0, 9, &vid, 4);
        g_assert_false(iommufd_vevent_decode(buf, n - cut, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 0, &seq,
                                             &b, &err));
        g_assert_cmpint(iommufd_error_get_errno(err), ==, EPROTO);
        g_clear_pointer(&err, iommufd_error_free);
        g_assert_cmpuint(b.n_events, ==, 0);
        g_assert_true(before.valid == seq.valid);
        g_assert_cmpuint(before.last, ==, seq.last);
        g_assert_cmpuint(before.lost_total, ==, seq.lost_total);
    }
    /* ARM SMMUv3 (little-endian u64s) and Tegra241 CMDQV, unaligned */
    uint8_t pay[32];
    for (unsigned i = 0; i < 32; i++) {
        pay[i] = (uint8_t)i;
    }
    n = put_vevent(buf, 0, 0, pay, 32);
    g_assert_true(iommufd_vevent_decode(buf, n, IOMMUFD_VEVENTQ_TYPE_ARM_SMMUV3, 0, NULL, &b,
                                        &err));
    g_assert_cmpuint(b.n_events, ==, 1);
    g_assert_cmphex(b.events[0].u.arm_smmuv3.evt[0], ==, 0x0706050403020100ull);
    g_assert_cmphex(b.events[0].u.arm_smmuv3.evt[3], ==, 0x1f1e1d1c1b1a1918ull);
    n = put_vevent(buf, 0, 0, pay, 16);
    g_assert_true(iommufd_vevent_decode(buf, n, IOMMUFD_VEVENTQ_TYPE_TEGRA241_CMDQV, 0, NULL, &b,
                                        &err));
    g_assert_cmphex(b.events[0].u.tegra241_cmdqv.lvcmdq_err_map[1], ==, 0x0f0e0d0c0b0a0908ull);
    /* an unknown type: undecoded without a size, decoded with one */
    n = put_vevent(buf, 0, 0, pay, 6);
    n += put_vevent(buf + n, 0, 1, pay, 6);
    g_assert_true(iommufd_vevent_decode(buf, n, 0x1234, 0, NULL, &b, &err));
    g_assert_false(b.decoded);
    g_assert_cmpuint(b.n_events, ==, 0);
    g_assert_true(b.raw == buf);
    g_assert_cmpuint(b.raw_len, ==, n);
    g_assert_true(iommufd_vevent_decode(buf, n, 0x1234, 6, NULL, &b, &err));
    g_assert_true(b.decoded);
    g_assert_cmpuint(b.n_events, ==, 2);
    g_assert_cmpmem(b.events[1].payload, 6, pay, 6);
    /* empty input, bad arguments */
    g_assert_true(iommufd_vevent_decode(NULL, 0, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 0, NULL, &b, &err));
    g_assert_cmpuint(b.n_events, ==, 0);
    g_assert_false(iommufd_vevent_decode(NULL, 4, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 0, NULL, &b,
                                         &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EINVAL);
    g_clear_pointer(&err, iommufd_error_free);
    iommufd_vevent_batch_clear(&b);
    iommufd_vevent_batch_clear(NULL);
}

static void put_fault(uint8_t *p, uint32_t flags, uint32_t grpid, uint64_t addr, uint32_t cookie)
{
    memset(p, 0, 40);
    put32(p, flags);
    put32(p + 4, 3);
    put32(p + 8, 5);
    put32(p + 12, grpid);
    put32(p + 16, IOMMUFD_FAULT_PERM_READ);
    memcpy(p + 24, &addr, 8);
    put32(p + 36, cookie);
}

static void test_decode_fault(void)
{
    IOMMUFDFaultBatch b = IOMMUFD_FAULT_BATCH_INIT;
    IOMMUFDError *err = NULL;
    uint8_t raw[40 * 5 + 1], *buf = raw + 1;

    put_fault(buf, IOMMUFD_FAULT_FLAG_PASID_VALID, 1, 0x1000, 4);
    put_fault(buf + 40, IOMMUFD_FAULT_FLAG_PASID_VALID, 1, 0x2000, 4);
    put_fault(buf + 80, IOMMUFD_FAULT_FLAG_PASID_VALID | IOMMUFD_FAULT_FLAG_LAST_PAGE, 1, 0x3000,
              4);
    put_fault(buf + 120, IOMMUFD_FAULT_FLAG_LAST_PAGE, 2, 0x9000, 5);
    g_assert_true(iommufd_fault_decode(buf, 160, &b, &err));
    g_assert_cmpuint(b.n_faults, ==, 4);
    g_assert_cmpuint(b.n_groups, ==, 2);
    g_assert_cmpuint(b.groups[0].n_faults, ==, 3);
    g_assert_true(b.groups[0].pasid_valid);
    g_assert_cmpuint(b.groups[0].pasid, ==, 5);
    g_assert_cmpuint(b.groups[0].dev_id, ==, 3);
    g_assert_cmpuint(b.groups[0].cookie, ==, 4);
    g_assert_cmphex(b.groups[0].faults[2].addr, ==, 0x3000);
    g_assert_cmpuint(b.groups[1].n_faults, ==, 1);
    g_assert_false(b.groups[1].pasid_valid);
    g_assert_cmpuint(b.groups[1].grpid, ==, 2);
    g_assert_true(b.groups[1].faults == &b.faults[3]);
    /* a truncated record, a group without LAST_PAGE */
    for (size_t cut = 1; cut < 40; cut += 7) {
        g_assert_false(iommufd_fault_decode(buf, 160 - cut, &b, &err));
        g_assert_cmpint(iommufd_error_get_errno(err), ==, EPROTO);
        g_clear_pointer(&err, iommufd_error_free);
        g_assert_cmpuint(b.n_groups, ==, 0);
    }
    g_assert_false(iommufd_fault_decode(buf, 80, &b, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EPROTO);
    g_assert_nonnull(strstr(iommufd_error_get_pretty(err), "LAST_PAGE"));
    g_clear_pointer(&err, iommufd_error_free);
    g_assert_true(iommufd_fault_decode(NULL, 0, &b, &err));
    g_assert_cmpuint(b.n_faults, ==, 0);
    iommufd_fault_batch_clear(&b);
}

/* ==== fault queue ============================================================ */

/* A group read and answered; answering again, or a cookie never read: EINVAL. */
static void test_fault_group(Fixture *f, gconstpointer data)
{
    IOMMUFDFaultBatch b = IOMMUFD_FAULT_BATCH_INIT;
    IOMMUFDError *err = NULL;
    unsigned count = mock.trigger_fault ? 3 : 1;

    (void)data;
    trace_begin();
    fault_path_setup(f, 16);
    trigger_fault(f, 0, 7, 0x10000, count);
    g_assert_true(iommufd_faultq_drain(f->fq, &b, &err));
    g_assert_cmpuint(b.n_groups, ==, 1);
    g_assert_cmpuint(b.n_faults, ==, count);
    const IOMMUFDFaultGroup *g = &b.groups[0];
    g_assert_cmpuint(g->n_faults, ==, count);
    g_assert_cmpuint(g->dev_id, ==, f->dev_id);
    g_assert_cmpuint(g->grpid, ==, 7);
    g_assert_false(g->pasid_valid);
    g_assert_cmpuint(g->cookie, >=, 1);
    g_assert_cmphex(g->faults[0].addr, ==, 0x10000);
    g_assert_cmpuint(g->faults[0].perm, ==, IOMMUFD_FAULT_PERM_READ | IOMMUFD_FAULT_PERM_WRITE);
    g_assert_true(g->faults[count - 1].flags & IOMMUFD_FAULT_FLAG_LAST_PAGE);
    for (unsigned i = 0; i + 1 < count; i++) {
        g_assert_false(g->faults[i].flags & IOMMUFD_FAULT_FLAG_LAST_PAGE);
        g_assert_cmpuint(g->faults[i].cookie, ==, g->cookie);
    }
    g_assert_true(iommufd_faultq_respond(f->fq, g, IOMMUFD_PAGE_RESPONSE_SUCCESS, &err));
    g_assert_null(err);
    /* answered already: the cookie is gone */
    g_assert_false(iommufd_faultq_respond(f->fq, g, IOMMUFD_PAGE_RESPONSE_SUCCESS, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EINVAL);
    g_assert_nonnull(iommufd_error_get_hint(err));
    g_clear_pointer(&err, iommufd_error_free);
    /* a cookie never handed out */
    IOMMUFDPageResponse bad = { .cookie = 0xdead, .code = IOMMUFD_PAGE_RESPONSE_INVALID };
    size_t done = 99;
    g_assert_false(iommufd_faultq_respond_many(f->fq, &bad, 1, &done, &err));
    g_assert_cmpuint(done, ==, 0);
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EINVAL);
    g_clear_pointer(&err, iommufd_error_free);
    /* empty now */
    g_assert_true(iommufd_faultq_drain(f->fq, &b, &err));
    g_assert_cmpuint(b.n_groups, ==, 0);
    g_assert_cmpuint(iommufd_faultq_get_responses(f->fq), ==, 1);
    /* traces: every read, every response (written or refused) */
    g_assert_cmpuint(trace_count("iommufd_faultq_read "), ==, iommufd_faultq_get_reads(f->fq));
    g_assert_cmpuint(trace_count("iommufd_faultq_respond "), ==, 3);
    g_assert_cmpuint(trace_count(" ret 22"), ==, 2);
    fault_path_teardown(f);
    g_assert_cmpuint(trace_count("iommufd_faultq_free "), ==, 1);
    trace_end();
    iommufd_fault_batch_clear(&b);
}

/* A burst larger than the batch: drained in batches of max_faults, one read each. */
static void test_fault_burst(Fixture *f, gconstpointer data)
{
    IOMMUFDFaultBatch b = IOMMUFD_FAULT_BATCH_INIT;
    IOMMUFDPageResponse resp[40];
    size_t n_resp = 0, done = 0;
    unsigned batches = 0;

    (void)data;
    fault_path_setup(f, 4);
    for (unsigned i = 0; i < 18; i++) {
        trigger_fault(f, 0, i, 0x100000 + i * 0x1000ull, 1);
    }
    for (;;) {
        g_assert_true(iommufd_faultq_drain(f->fq, &b, &iommufd_error_abort));
        if (!b.n_groups) {
            break;
        }
        g_assert_cmpuint(b.n_groups, <=, 4);
        batches++;
        for (size_t i = 0; i < b.n_groups; i++) {
            g_assert_cmpuint(b.groups[i].grpid, ==, n_resp);
            resp[n_resp].cookie = b.groups[i].cookie;
            resp[n_resp++].code = IOMMUFD_PAGE_RESPONSE_SUCCESS;
        }
    }
    g_assert_cmpuint(n_resp, ==, 18);
    g_assert_cmpuint(batches, ==, 5);
    /* 5 batches and the empty read */
    g_assert_cmpuint(iommufd_faultq_get_reads(f->fq), ==, 6);
    g_assert_true(iommufd_faultq_respond_many(f->fq, resp, n_resp, &done, &iommufd_error_abort));
    g_assert_cmpuint(done, ==, 18);
    fault_path_teardown(f);
    iommufd_fault_batch_clear(&b);
}

/* A write the kernel takes partly: continued after the refused response. */
static void test_fault_partial_write(Fixture *f, gconstpointer data)
{
    IOMMUFDFaultBatch b = IOMMUFD_FAULT_BATCH_INIT;
    IOMMUFDError *err = NULL;
    size_t done = 0;

    (void)data;
    fault_path_setup(f, 16);
    for (unsigned i = 0; i < 4; i++) {
        trigger_fault(f, 0, i, 0x200000 + i * 0x1000ull, 1);
    }
    g_assert_true(iommufd_faultq_drain(f->fq, &b, &iommufd_error_abort));
    g_assert_cmpuint(b.n_groups, ==, 4);
    IOMMUFDPageResponse r[4] = {
        { b.groups[0].cookie, IOMMUFD_PAGE_RESPONSE_SUCCESS },
        { b.groups[1].cookie, IOMMUFD_PAGE_RESPONSE_INVALID },
        { 0xbad0, IOMMUFD_PAGE_RESPONSE_SUCCESS },           /* wrong cookie */
        { b.groups[3].cookie, IOMMUFD_PAGE_RESPONSE_SUCCESS },
    };
    g_assert_false(iommufd_faultq_respond_many(f->fq, r, 4, &done, &err));
    g_assert_cmpuint(done, ==, 2);
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EINVAL);
    g_assert_nonnull(strstr(iommufd_error_get_pretty(err), "page response 2 of 4 (cookie 47824"));
    g_clear_pointer(&err, iommufd_error_free);
    /* a bad code refused the same way */
    IOMMUFDPageResponse bad = { b.groups[2].cookie, 7 };
    g_assert_false(iommufd_faultq_respond_many(f->fq, &bad, 1, &done, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EINVAL);
    g_clear_pointer(&err, iommufd_error_free);
    /* the rest: 2 and 3 in one write */
    r[2].cookie = b.groups[2].cookie;
    g_assert_true(iommufd_faultq_respond_many(f->fq, r + 2, 2, &done, &iommufd_error_abort));
    g_assert_cmpuint(done, ==, 2);
    g_assert_cmpuint(iommufd_faultq_get_responses(f->fq), ==, 4);
    fault_path_teardown(f);
    iommufd_fault_batch_clear(&b);
}

/* A first group larger than the buffer: 6.12's EINVAL, newer kernels' 0 while
 * poll says readable; both grow the buffer; an empty queue does not. */
static void test_fault_grow(Fixture *f, gconstpointer data)
{
    IOMMUFDFaultBatch b = IOMMUFD_FAULT_BATCH_INIT;

    (void)data;
    trace_begin();
    fault_path_setup(f, 2);
    /* empty: one read, no growth */
    g_assert_true(iommufd_faultq_drain(f->fq, &b, &iommufd_error_abort));
    g_assert_cmpuint(b.n_groups, ==, 0);
    g_assert_cmpuint(iommufd_faultq_get_reads(f->fq), ==, 1);
    g_assert_cmpuint(trace_count("iommufd_faultq_grow "), ==, 0);
    /* a group of 7: 2 -> 4 -> 8 faults */
    trigger_fault(f, 0x10, 3, 0x40000, 7);
    g_assert_true(iommufd_faultq_drain(f->fq, &b, &iommufd_error_abort));
    g_assert_cmpuint(b.n_groups, ==, 1);
    g_assert_cmpuint(b.n_faults, ==, 7);
    g_assert_true(b.groups[0].pasid_valid);
    g_assert_cmpuint(b.groups[0].pasid, ==, 0x10);
    g_assert_cmpuint(iommufd_faultq_get_reads(f->fq), ==, 4);
    g_assert_cmpuint(trace_count("iommufd_faultq_grow "), ==, 2);
    if (is_612(f)) {
        g_assert_cmpuint(trace_count(" ret 22"), ==, 2);       /* the reads' EINVAL */
        g_assert_cmpuint(trace_count("reason 22"), ==, 2);
    } else {
        g_assert_cmpuint(trace_count("reason 0"), ==, 2);
        g_assert_cmpuint(trace_count(" ret 22"), ==, 0);
    }
    g_assert_true(iommufd_faultq_respond(f->fq, &b.groups[0], IOMMUFD_PAGE_RESPONSE_SUCCESS,
                                         &iommufd_error_abort));
    fault_path_teardown(f);
    trace_end();
    iommufd_fault_batch_clear(&b);
}

/* ==== vEVENTQ ================================================================ */

/* A storm larger than the depth: depth events, then LOST_EVENTS at the tail. */
/*
 * A group larger than the most a fault queue reads (65536 faults): an error
 * in both models (6.12's EINVAL; newer kernels' 0 on a still readable fd is
 * turned into EMSGSIZE), never an empty batch that a main loop would wake
 * for forever.
 */
static void test_fault_group_too_big(Fixture *f, gconstpointer data)
{
    IOMMUFDFaultBatch b = IOMMUFD_FAULT_BATCH_INIT;
    IOMMUFDError *err = NULL;

    (void)data;
    fault_path_setup(f, 2);
    trigger_fault(f, 0, 9, 0x40000, 65537);
    g_assert_false(iommufd_faultq_drain(f->fq, &b, &err));
    g_assert_nonnull(err);
    g_assert_cmpint(iommufd_error_get_errno(err), ==, is_612(f) ? EINVAL : EMSGSIZE);
    g_assert_nonnull(strstr(iommufd_error_get_hint(err), "larger than 65536 faults"));
    iommufd_error_free(err);
    g_assert_cmpuint(b.n_groups, ==, 0);
    fault_path_teardown(f);      /* the detach answers the group INVALID */
    iommufd_fault_batch_clear(&b);
}

static void test_vevent_storm(Fixture *f, gconstpointer data)
{
    IOMMUFDVeventBatch b = IOMMUFD_VEVENT_BATCH_INIT;

    (void)data;
    IOMMUFDVeventq *q = vevent_path_setup(f, 4, 0);
    if (!q) {
        return;
    }
    trace_begin();
    trigger_vevents(f, 10);
    g_assert_true(iommufd_veventq_drain(q, &b, &iommufd_error_abort));
    g_assert_true(b.decoded);
    g_assert_cmpuint(b.n_events, ==, 4);
    for (unsigned i = 0; i < 4; i++) {
        g_assert_cmpuint(b.events[i].sequence, ==, i);
        g_assert_cmpuint(b.events[i].u.selftest.virt_id, ==, VIRT_ID);
    }
    g_assert_true(b.tail_lost);
    g_assert_true(b.lost_events);
    g_assert_cmpuint(b.lost, ==, 6);
    g_assert_cmpuint(iommufd_veventq_get_lost(q), ==, 6);
    g_assert_cmpuint(trace_count("iommufd_veventq_lost "), ==, 1);
    g_assert_cmpuint(trace_count("lost 6 tail 1 total 6"), ==, 1);
    /* the queue goes on: the next event follows the header, nothing lost */
    trigger_vevents(f, 1);
    g_assert_true(iommufd_veventq_drain(q, &b, &iommufd_error_abort));
    g_assert_cmpuint(b.n_events, ==, 1);
    g_assert_cmpuint(b.events[0].sequence, ==, 10);
    g_assert_false(b.lost_events);
    g_assert_true(iommufd_veventq_drain(q, &b, &iommufd_error_abort));
    g_assert_cmpuint(b.raw_len, ==, 0);
    g_assert_cmpuint(iommufd_veventq_get_lost(q), ==, 6);
    g_assert_cmpuint(trace_count("iommufd_veventq_read "), ==, iommufd_veventq_get_reads(q));
    trace_end();
    vevent_path_teardown(f, q);
    iommufd_vevent_batch_clear(&b);
}

/* Drain until empty: events, lost, tail. */
static void drain_all(IOMMUFDVeventq *q, IOMMUFDVeventBatch *b, unsigned *events, uint64_t *lost,
                      bool *tail)
{
    *events = 0;
    *lost = 0;
    *tail = false;
    do {
        g_assert_true(iommufd_veventq_drain(q, b, &iommufd_error_abort));
        *events += b->n_events;
        *lost += b->lost;
        *tail |= b->tail_lost;
    } while (b->raw_len);
}

/* The sequence wraps from INT_MAX to 0: exact lost counts across it. */
static void test_vevent_wrap(Fixture *f, gconstpointer data)
{
    IOMMUFDVeventBatch b = IOMMUFD_VEVENT_BATCH_INIT;
    unsigned events;
    uint64_t lost;
    bool tail;

    (void)data;
    /* a storm across the wrap, one 12-byte record per read: INT_MAX-1 and
     * INT_MAX queued, the LOST_EVENTS header takes 0, 1, 2 and ends at 3 */
    IOMMUFDVeventq *q = vevent_path_setup(f, 2, 12);
    if (!q) {
        return;
    }
    g_assert_cmpint(mock.set_sequence(f->fd, iommufd_veventq_get_id(q), INT_MAX - 1), ==, 0);
    trigger_vevents(f, 6);
    drain_all(q, &b, &events, &lost, &tail);
    g_assert_cmpuint(events, ==, 2);
    g_assert_cmpuint(lost, ==, 4);
    g_assert_true(tail);
    g_assert_cmpuint(iommufd_veventq_get_lost(q), ==, 4);
    /* the next one follows the header: nothing more lost */
    trigger_vevents(f, 1);
    drain_all(q, &b, &events, &lost, &tail);
    g_assert_cmpuint(events, ==, 1);
    g_assert_cmpuint(lost, ==, 0);
    vevent_path_teardown(f, q);

    /* a gap across the wrap: INT_MAX-1, INT_MAX, header (0); the first read,
     * then a new event replaces the header and takes 1 */
    q = vevent_path_setup(f, 2, 12);
    g_assert_cmpint(mock.set_sequence(f->fd, iommufd_veventq_get_id(q), INT_MAX - 1), ==, 0);
    trigger_vevents(f, 3);
    g_assert_true(iommufd_veventq_drain(q, &b, &iommufd_error_abort));
    g_assert_cmpuint(b.n_events, ==, 1);
    g_assert_cmpuint(b.events[0].sequence, ==, INT_MAX - 1);
    trigger_vevents(f, 1);
    g_assert_true(iommufd_veventq_drain(q, &b, &iommufd_error_abort));
    g_assert_cmpuint(b.events[0].sequence, ==, INT_MAX);
    g_assert_false(b.lost_events);
    g_assert_true(iommufd_veventq_drain(q, &b, &iommufd_error_abort));
    g_assert_cmpuint(b.n_events, ==, 1);
    g_assert_cmpuint(b.events[0].sequence, ==, 1);
    /* INT_MAX -> 1 across the wrap: exactly one lost (not 2^31) */
    g_assert_cmpuint(b.lost, ==, 1);
    g_assert_true(b.lost_events);
    g_assert_false(b.tail_lost);
    g_assert_cmpuint(iommufd_veventq_get_lost(q), ==, 1);
    drain_all(q, &b, &events, &lost, &tail);
    g_assert_cmpuint(events, ==, 0);
    vevent_path_teardown(f, q);
    iommufd_vevent_batch_clear(&b);
}

/* ==== GSource: one loop, both queues; free from inside the callback ======== */

typedef struct {
    GMainLoop *loop;
    Fixture *f;
    unsigned fault_batches, vevent_batches;
    unsigned faults, vevents;
    bool want_vevent;
    bool free_inside;
    int closed_fd;
    IOMMUFDVeventq *vq;          /* the vEVENTQ freed from its own callback */
} LoopState;

static void maybe_quit(LoopState *s)
{
    if (s->faults >= 3 && (!s->want_vevent || s->vevents >= 2)) {
        g_main_loop_quit(s->loop);
    }
}

static gboolean on_faults(IOMMUFDFaultq *q, const IOMMUFDFaultBatch *batch,
                          const IOMMUFDError *err, void *opaque)
{
    LoopState *s = opaque;

    g_assert_null(err);
    g_assert_nonnull(batch);
    s->fault_batches++;
    s->faults += batch->n_faults;
    for (size_t i = 0; i < batch->n_groups; i++) {
        g_assert_true(iommufd_faultq_respond(q, &batch->groups[i], IOMMUFD_PAGE_RESPONSE_SUCCESS,
                                             &iommufd_error_abort));
    }
    if (s->free_inside) {
        /* as a VMM tearing a device down: detach the HWPT, then the queue */
        g_assert_cmpint(mock_replace(s->f, s->f->ioas_id), ==, 0);
        iommufd_backend_free_id(s->f->be, s->f->nested, &iommufd_error_abort);
        s->closed_fd = iommufd_faultq_get_fd(q);
        iommufd_faultq_free(q);
        /* deferred: still usable until the callback returns */
        g_assert_cmpint(fcntl(s->closed_fd, F_GETFD), >=, 0);
        s->f->fq = NULL;
        g_main_loop_quit(s->loop);
        return G_SOURCE_CONTINUE;
    }
    maybe_quit(s);
    return G_SOURCE_CONTINUE;
}

static gboolean on_vevents(IOMMUFDVeventq *q, const IOMMUFDVeventBatch *batch,
                           const IOMMUFDError *err, void *opaque)
{
    LoopState *s = opaque;

    (void)q;
    g_assert_null(err);
    s->vevent_batches++;
    s->vevents += batch->n_events;
    maybe_quit(s);
    return G_SOURCE_CONTINUE;
}

static gboolean loop_timeout(gpointer opaque)
{
    (void)opaque;
    g_error("the main loop saw too little");
    return G_SOURCE_REMOVE;
}

static void test_loop_both(Fixture *f, gconstpointer data)
{
    GMainContext *ctx = g_main_context_new();
    LoopState s = { .loop = g_main_loop_new(ctx, FALSE), .f = f };
    GSource *to = g_timeout_source_new_seconds(20);

    (void)data;
    g_source_set_callback(to, loop_timeout, NULL, NULL);
    g_source_attach(to, ctx);
    fault_path_setup(f, 2);
    /* the device on a nested HWPT of the vIOMMU that reports faults too */
    IOMMUFDVeventq *q = vevent_path_setup_fault(f, 8, 0, iommufd_faultq_get_id(f->fq));
    s.want_vevent = q != NULL;
    g_assert_cmpuint(iommufd_faultq_attach(f->fq, ctx, on_faults, &s), >, 0);
    if (q) {
        g_assert_cmpuint(iommufd_veventq_attach(q, ctx, on_vevents, &s), >, 0);
        trigger_vevents(f, 2);
    }
    for (unsigned i = 0; i < 3; i++) {
        trigger_fault(f, 0, i, 0x300000 + i * 0x1000ull, 1);
    }
    g_main_loop_run(s.loop);
    g_assert_cmpuint(s.faults, ==, 3);
    g_assert_cmpuint(s.fault_batches, ==, 2);   /* 2 + 1 with max_faults 2 */
    if (q) {
        g_assert_cmpuint(s.vevents, ==, 2);
        iommufd_veventq_detach(q);
        vevent_path_teardown(f, q);
    }
    iommufd_faultq_detach(f->fq);
    fault_path_teardown(f);
    g_source_destroy(to);
    g_source_unref(to);
    g_main_loop_unref(s.loop);
    /* nothing of ours left in the context */
    while (g_main_context_iteration(ctx, FALSE)) {
    }
    g_main_context_unref(ctx);
}

static void test_free_in_callback(Fixture *f, gconstpointer data)
{
    GMainContext *ctx = g_main_context_new();
    LoopState s = { .loop = g_main_loop_new(ctx, FALSE), .f = f, .free_inside = true };
    int objects = mock.count_objects ? mock.count_objects(f->fd) : 0;
    unsigned fds = mock.count_fds ? mock.count_fds() : 0;

    (void)data;
    fault_path_setup(f, 8);
    int qfd = iommufd_faultq_get_fd(f->fq);
    uint32_t qid = iommufd_faultq_get_id(f->fq);
    g_assert_cmpuint(iommufd_faultq_attach(f->fq, ctx, on_faults, &s), >, 0);
    trigger_fault(f, 0, 1, 0x5000, 1);
    g_main_loop_run(s.loop);
    g_assert_null(f->fq);
    g_assert_cmpint(s.closed_fd, ==, qfd);
    /* closed, object destroyed, source gone */
    g_assert_cmpint(fcntl(qfd, F_GETFD), <, 0);
    IOMMUFDError *err = NULL;
    g_assert_false(iommufd_backend_free_id(f->be, qid, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOENT);
    iommufd_error_free(err);
    g_assert_false(g_main_context_iteration(ctx, FALSE));
    iommufd_backend_free_id(f->be, f->parent, &iommufd_error_abort);
    if (mock.count_objects) {
        g_assert_cmpint(mock.count_objects(f->fd), ==, objects);
        g_assert_cmpuint(mock.count_fds(), ==, fds);
    }
    g_main_loop_unref(s.loop);
    g_main_context_unref(ctx);
}

/* ==== adopt ================================================================== */

/*
 * Closing a fault queue whose object a HWPT still uses: the queue (its fd)
 * is gone, the destroy's EBUSY comes back, and the object stays for the
 * caller to destroy once the HWPT has gone.
 */
static void test_fault_close_busy(Fixture *f, gconstpointer data)
{
    IOMMUFDError *err = NULL;

    (void)data;
    fault_path_setup(f, 4);
    uint32_t fault_id = iommufd_faultq_get_id(f->fq);
    int qfd = iommufd_faultq_get_fd(f->fq);
    g_assert_false(iommufd_faultq_close(f->fq, &err));
    f->fq = NULL;
    g_assert_nonnull(err);
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EBUSY);
    g_assert_nonnull(strstr(iommufd_error_get_pretty(err), "IOMMU_DESTROY"));
    iommufd_error_free(err);
    g_assert_cmpint(fcntl(qfd, F_GETFD), ==, -1);    /* its fd is closed */
    fault_path_teardown(f);                          /* the nested HWPT goes */
    g_assert_true(iommufd_backend_free_id(f->be, fault_id, &iommufd_error_abort));
    g_assert_true(iommufd_faultq_close(NULL, &iommufd_error_abort));
}

/* The vEVENTQ closed from inside its own callback (the fault queue's case
 * is /events/loop/free-in-callback). */
static gboolean on_vevents_free(IOMMUFDVeventq *q, const IOMMUFDVeventBatch *batch,
                                const IOMMUFDError *err, void *opaque)
{
    LoopState *s = opaque;

    g_assert_null(err);
    s->vevents += batch->n_events;
    s->closed_fd = iommufd_veventq_get_fd(q);
    g_assert_true(iommufd_veventq_close(q, &iommufd_error_abort));  /* deferred */
    g_assert_cmpint(fcntl(s->closed_fd, F_GETFD), >=, 0);
    s->vq = NULL;
    g_main_loop_quit(s->loop);
    return G_SOURCE_CONTINUE;
}

static void test_vevent_free_in_callback(Fixture *f, gconstpointer data)
{
    GMainContext *ctx = g_main_context_new();
    LoopState s = { .loop = g_main_loop_new(ctx, FALSE), .f = f };
    IOMMUFDError *err = NULL;

    (void)data;
    s.vq = vevent_path_setup_fault(f, 8, 0, 0);
    if (!s.vq) {                 /* 6.12: ENOTTY asserted by the set-up */
        goto out;
    }
    uint32_t qid = iommufd_veventq_get_id(s.vq);
    g_assert_cmpuint(iommufd_veventq_attach(s.vq, ctx, on_vevents_free, &s), >, 0);
    trigger_vevents(f, 2);
    g_main_loop_run(s.loop);
    g_assert_null(s.vq);
    g_assert_cmpuint(s.vevents, ==, 2);
    /* after the callback: fd closed, object destroyed, source gone */
    g_assert_cmpint(fcntl(s.closed_fd, F_GETFD), <, 0);
    g_assert_false(iommufd_backend_free_id(f->be, qid, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOENT);
    iommufd_error_free(err);
    g_assert_false(g_main_context_iteration(ctx, FALSE));
    vevent_path_teardown(f, NULL);
out:
    g_main_loop_unref(s.loop);
    g_main_context_unref(ctx);
}

/* Adopting a vEVENTQ the caller allocated: non-blocking, close-on-exec. */
static void test_vevent_adopt(Fixture *f, gconstpointer data)
{
    uint32_t id;
    int fd;

    (void)data;
    IOMMUFDVeventq *probe = vevent_path_setup_fault(f, 4, 0, 0);
    if (!probe) {
        return;                  /* 6.12: ENOTTY asserted by the set-up */
    }
    iommufd_veventq_free(probe);     /* one queue per type: make room */
    g_assert_true(iommufd_backend_alloc_veventq(f->be, f->viommu, IOMMUFD_VEVENTQ_TYPE_SELFTEST,
                                                4, &id, &fd, &iommufd_error_abort));
    g_assert_cmpint(fcntl(fd, F_SETFD, 0), ==, 0);   /* as a caller might hand it over */
    IOMMUFDVeventq *q = iommufd_veventq_adopt(f->be, id, fd, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 0, 0,
                                              &iommufd_error_abort);
    g_assert_cmpint(iommufd_veventq_get_fd(q), ==, fd);
    g_assert_cmpuint(iommufd_veventq_get_id(q), ==, id);
    g_assert_cmpint(fcntl(fd, F_GETFL) & O_NONBLOCK, ==, O_NONBLOCK);
    g_assert_cmpint(fcntl(fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
    vevent_path_teardown(f, q);
}

static void test_adopt(Fixture *f, gconstpointer data)
{
    uint32_t id;
    int fd;
    IOMMUFDError *err = NULL;

    (void)data;
    g_assert_true(iommufd_backend_alloc_faultq(f->be, &id, &fd, &iommufd_error_abort));
    IOMMUFDFaultq *q = iommufd_faultq_adopt(f->be, id, fd, 0, &iommufd_error_abort);
    g_assert_cmpint(iommufd_faultq_get_fd(q), ==, fd);
    g_assert_cmpuint(iommufd_faultq_get_id(q), ==, id);
    g_assert_cmpint(fcntl(fd, F_GETFL) & O_NONBLOCK, ==, O_NONBLOCK);
    g_assert_cmpint(fcntl(fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
    iommufd_faultq_free(q);
    g_assert_cmpint(fcntl(fd, F_GETFD), <, 0);
    g_assert_false(iommufd_backend_free_id(f->be, id, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOENT);
    g_clear_pointer(&err, iommufd_error_free);
    /* a bad fd: the id is released all the same */
    g_assert_true(iommufd_backend_alloc_faultq(f->be, &id, &fd, &iommufd_error_abort));
    close(fd);
    g_assert_null(iommufd_faultq_adopt(f->be, id, -1, 0, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EBADF);
    g_clear_pointer(&err, iommufd_error_free);
    g_assert_false(iommufd_backend_free_id(f->be, id, &err));
    g_clear_pointer(&err, iommufd_error_free);
    iommufd_faultq_free(NULL);
    iommufd_veventq_free(NULL);
}

/* a callback the teardown test never lets run */
static gboolean on_faults_unexpected(IOMMUFDFaultq *q, const IOMMUFDFaultBatch *batch,
                                     const IOMMUFDError *err, void *opaque)
{
    (void)q, (void)batch, (void)err, (void)opaque;
    g_assert_not_reached();
    return G_SOURCE_REMOVE;
}

/*
 * Closing a queue that is in a loop: out of the loop, fd closed, object
 * destroyed, in that order.  DESTROY answers EBUSY while the queue's fd is
 * open (asserted first: the rule the order rests on), so a close that
 * succeeds closed the fd before the destroy; the loop's source is gone
 * (a source left on a closed fd would poll whatever reuses its number).
 */
static void test_teardown_order(Fixture *f, gconstpointer data)
{
    GMainContext *ctx = g_main_context_new();
    IOMMUFDError *err = NULL;
    uint32_t id;
    int fd;

    (void)data;
    g_assert_true(iommufd_backend_alloc_faultq(f->be, &id, &fd, &iommufd_error_abort));
    g_assert_false(iommufd_backend_free_id(f->be, id, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EBUSY);
    g_clear_pointer(&err, iommufd_error_free);

    IOMMUFDFaultq *q = iommufd_faultq_adopt(f->be, id, fd, 0, &iommufd_error_abort);
    guint tag = iommufd_faultq_attach(q, ctx, on_faults_unexpected, NULL);
    g_assert_cmpuint(tag, >, 0);
    g_assert_nonnull(g_main_context_find_source_by_id(ctx, tag));
    g_assert_true(iommufd_faultq_close(q, &iommufd_error_abort));
    g_assert_null(g_main_context_find_source_by_id(ctx, tag));     /* out of the loop */
    g_assert_cmpint(fcntl(fd, F_GETFD), <, 0);                      /* fd closed */
    g_assert_false(iommufd_backend_free_id(f->be, id, &err));       /* object destroyed */
    g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOENT);
    g_clear_pointer(&err, iommufd_error_free);
    g_main_context_unref(ctx);
}

/* ==== fail-Nth over the whole path (mock only) ============================== */

/* The whole path; on any failure, clean up and return false. */
static bool whole_path(Fixture *f, bool *reached)
{
    static const struct iommu_hwpt_selftest sd = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    IOMMUFDFaultBatch b = IOMMUFD_FAULT_BATCH_INIT;
    IOMMUFDVeventBatch vb = IOMMUFD_VEVENT_BATCH_INIT;
    IOMMUFDError *err = NULL;
    IOMMUFDFaultq *fq = NULL;
    IOMMUFDVeventq *vq = NULL;
    uint32_t parent = 0, nested = 0, viommu = 0, vdev = 0, vnested = 0;
    bool replaced = false, ok = false;

    fq = iommufd_faultq_new(f->be, 2, &err);
    if (!fq) {
        goto out;
    }
    if (!iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id, IOMMUFD_HWPT_ALLOC_NEST_PARENT,
                                    0, 0, NULL, 0, &parent, &err) ||
        !iommufd_backend_alloc_hwpt(f->be, f->dev_id, parent, IOMMUFD_HWPT_FAULT_ID_VALID,
                                    IOMMU_HWPT_DATA_SELFTEST, 4, (void *)&sd,
                                    iommufd_faultq_get_id(fq), &nested, &err)) {
        goto out;
    }
    if (mock_replace(f, nested)) {
        goto out;
    }
    replaced = true;
    if (mock.trigger_fault(f->fd, f->dev_id, 0, 1, IOMMU_PGFAULT_PERM_READ, 0x1000, 3) ||
        !iommufd_faultq_drain(fq, &b, &err) || b.n_groups != 1 ||
        !iommufd_faultq_respond(fq, &b.groups[0], IOMMUFD_PAGE_RESPONSE_SUCCESS, &err)) {
        goto out;
    }
    if (iommufd_features_has(&f->features, IOMMUFD_CMD_VEVENTQ_ALLOC)) {
        if (!iommufd_backend_alloc_viommu(f->be, f->dev_id, IOMMU_VIOMMU_TYPE_SELFTEST, parent,
                                          NULL, 0, &viommu, &err) ||
            !iommufd_backend_alloc_vdev(f->be, f->dev_id, viommu, VIRT_ID, &vdev, &err)) {
            goto out;
        }
        vq = iommufd_veventq_new(f->be, viommu, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 2, 0, 0, &err);
        if (!vq || !iommufd_backend_alloc_hwpt(f->be, f->dev_id, viommu, 0,
                                               IOMMU_HWPT_DATA_SELFTEST, 4, (void *)&sd,
                                               0, &vnested, &err) ||
            mock_replace(f, vnested)) {
            goto out;
        }
        if (mock.trigger_vevent(f->fd, f->dev_id) || mock.trigger_vevent(f->fd, f->dev_id) ||
            mock.trigger_vevent(f->fd, f->dev_id) || !iommufd_veventq_drain(vq, &vb, &err) ||
            vb.n_events != 2 || vb.lost != 1) {
            goto out;
        }
    }
    ok = true;
out:
    if (err) {
        g_assert_cmpint(iommufd_error_get_errno(err), !=, 0);
        iommufd_error_free(err);
    }
    /* teardown without fail-Nth */
    *reached = mock.fail_nth_reached();
    mock.fail_nth(0, 0);
    if (replaced) {
        g_assert_cmpint(mock_replace(f, f->ioas_id), ==, 0);
    }
    if (vnested) {
        iommufd_backend_free_id(f->be, vnested, &iommufd_error_abort);
    }
    iommufd_veventq_free(vq);
    if (vdev) {
        iommufd_backend_free_id(f->be, vdev, &iommufd_error_abort);
    }
    if (viommu) {
        iommufd_backend_free_id(f->be, viommu, &iommufd_error_abort);
    }
    if (nested) {
        iommufd_backend_free_id(f->be, nested, &iommufd_error_abort);
    }
    iommufd_faultq_free(fq);
    if (parent) {
        iommufd_backend_free_id(f->be, parent, &iommufd_error_abort);
    }
    iommufd_fault_batch_clear(&b);
    iommufd_vevent_batch_clear(&vb);
    return ok;
}

static void test_failnth(Fixture *f, gconstpointer data)
{
    int objects = mock.count_objects(f->fd);
    unsigned fds = mock.count_fds();
    unsigned n;

    (void)data;
    bool reached;
    g_assert_true(whole_path(f, &reached));
    for (n = 1; n < 1000; n++) {
        mock.fail_nth(n, ENOMEM);
        bool ok = whole_path(f, &reached);
        /* an injected failure never passes unnoticed */
        if (ok == reached) {
            g_error("fail-Nth %u: path %s, failure %s", n, ok ? "passed" : "failed",
                    reached ? "injected" : "not injected");
        }
        g_assert_cmpint(mock.count_objects(f->fd), ==, objects);
        g_assert_cmpuint(mock.count_fds(), ==, fds);
        if (!reached) {
            break;
        }
    }
    g_assert_cmpuint(n, >, 5);
    g_assert_cmpuint(n, <, 1000);
}

/* ==== main ================================================================== */

typedef void (*FixtureFn)(Fixture *f, gconstpointer data);

static void mock_only(Fixture *f, gconstpointer fn)
{
    if (!test_backend_is_mock()) {
        g_test_skip("mock-only: needs libiommufd-mock's fixtures API");
        return;
    }
    ((FixtureFn)fn)(f, NULL);
}

int main(int argc, char **argv)
{
    test_backend_print();
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
    mock_init();

#define ADD(path, fn) \
    tu_add("/events/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    tu_add_func("/events/decode/vevent", test_decode_vevent);
    tu_add_func("/events/decode/fault", test_decode_fault);
    ADD("fault/group", test_fault_group);
    ADD("fault/burst", test_fault_burst);
    ADD("fault/partial-write", test_fault_partial_write);
    ADD("fault/adopt", test_adopt);
    ADD("fault/close-busy", test_fault_close_busy);
    ADD("fault/teardown-order", test_teardown_order);
    ADD("vevent/adopt", test_vevent_adopt);
    ADD("loop/vevent-free-in-callback", test_vevent_free_in_callback);
    ADD("loop/both-queues", test_loop_both);
    ADD("loop/free-in-callback", test_free_in_callback);
    ADD("vevent/storm", test_vevent_storm);
    /* the mock's fixtures (groups of several faults, sequence numbers,
     * fail-Nth): mock-only tests, registered everywhere and skipped on a
     * kernel with that reason, as in the other suites (scripts/diff-mock-kernel
     * leaves them out by it) */
#define ADD_MOCK(path, fn) \
    tu_add("/events/" path, Fixture, (gconstpointer)(fn), fixture_setup, mock_only, \
               fixture_teardown)
    ADD_MOCK("fault/grow", test_fault_grow);
    ADD_MOCK("fault/group-too-big", test_fault_group_too_big);
    ADD_MOCK("vevent/wrap", test_vevent_wrap);
    ADD_MOCK("failnth/whole-path", test_failnth);
    return g_test_run();
}
