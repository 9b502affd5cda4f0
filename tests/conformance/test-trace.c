/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tracing conformance: with every event enabled and a test sink, each
 * helper of <iommufd/backend.h> and <iommufd/vfio.h> emits exactly one event
 * per ioctl it issues, named after the helper (backends/trace-events), with
 * the values the command carried: its inputs, the ids the kernel returned,
 * and the result (0 or the errno).  The whole formatted line is asserted per
 * helper, in success and in failure; unmap_dma's ENOENT has its own event;
 * an argument rejected before any ioctl emits nothing; with tracing off
 * nothing at all is emitted.
 *
 * The ioctls are counted independently of the events: this program defines
 * ioctl(), which the library's calls bind to ahead of the preloaded mock (or
 * libc on a kernel), and forwards each call to the next definition.
 *
 * Classes (DESIGN.md "Tests"): everything runs on the mock and on a kernel
 * with CONFIG_IOMMUFD_TEST; commands a kernel lacks are asserted to emit one
 * event with ENOTTY (kernel-version behaviour); failures that only fail-Nth
 * can cause are mock-only; the VFIO helpers need a VFIO device (the mock's).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd/backend.h"
#include "iommufd/trace.h"
#include "iommufd/vfio.h"
#include "tests/common/test-backend-info.h"
#include "uapi/linux/iommufd.h"
#include "uapi/linux/vfio.h"
#include "../common/fd-check.h"

/*
 * The library's flag and option constants are the kernel's values under the
 * IOMMUFD_ prefix (docs/porting-from-qemu.md): QEMU code passing the kernel's
 * IOMMU_* names gets the same bits.
 */
#define SAME_VALUE(ours, kernels) G_STATIC_ASSERT((unsigned)(ours) == (unsigned)(kernels))
SAME_VALUE(IOMMUFD_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_NEST_PARENT);
SAME_VALUE(IOMMUFD_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
SAME_VALUE(IOMMUFD_HWPT_FAULT_ID_VALID, IOMMU_HWPT_FAULT_ID_VALID);
SAME_VALUE(IOMMUFD_HWPT_ALLOC_PASID, IOMMU_HWPT_ALLOC_PASID);
SAME_VALUE(IOMMUFD_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
SAME_VALUE(IOMMUFD_OPTION_RLIMIT_MODE, IOMMU_OPTION_RLIMIT_MODE);
SAME_VALUE(IOMMUFD_OPTION_HUGE_PAGES, IOMMU_OPTION_HUGE_PAGES);

/* ---- counting ioctls ---------------------------------------------------- */

typedef int (*ioctl_fn)(int, unsigned long, ...);
static _Atomic(ioctl_fn) next_ioctl;
static atomic_uint n_ioctls;

/*
 * A kernel that handles fewer invalidation entries than asked and still
 * succeeds (the uapi allows it: entry_num is written back): when >= 0, an
 * IOMMU_HWPT_INVALIDATE that succeeded is made to report this many entries
 * handled.  Neither the mock nor the selftest driver ever does it on its own.
 */
static atomic_int fake_invalidate_handled = -1;

int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);

    ioctl_fn fn = atomic_load(&next_ioctl);
    if (!fn) {
        fn = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
        atomic_store(&next_ioctl, fn);
    }
    atomic_fetch_add(&n_ioctls, 1);
    int rc = fn(fd, request, arg);
    int handled = atomic_load(&fake_invalidate_handled);
    if (request == IOMMU_HWPT_INVALIDATE && rc == 0 && handled >= 0) {
        struct iommu_hwpt_invalidate *cmd = arg;
        g_assert_cmpuint((uint32_t)handled, <, cmd->entry_num);
        cmd->entry_num = (uint32_t)handled;
    }
    return rc;
}

/* ---- the mock's fixtures, when it is there (never linked) -------------- */

typedef void (*fail_nth_fn)(unsigned, int);
typedef bool (*fail_nth_reached_fn)(void);
typedef int (*add_device_fn)(uint32_t, char *, size_t);

static fail_nth_fn mock_fail_nth;
static fail_nth_reached_fn mock_fail_nth_reached;
static add_device_fn mock_add_device;

/* ---- the sink ----------------------------------------------------------- */

static GPtrArray *lines;        /* lines of the current window */
static GHashTable *seen;        /* every event name fired by a helper */

static void sink(const char *event, const char *line, void *opaque)
{
    (void)opaque;
    if (!event) {
        return;
    }
    g_assert_true(g_str_has_prefix(line, event));
    g_ptr_array_add(lines, g_strdup(line));
    g_hash_table_add(seen, g_strdup(event));
}

/* Start a window: no lines, no ioctls counted. */
static void begin(void)
{
    g_ptr_array_set_size(lines, 0);
    atomic_store(&n_ioctls, 0);
}

/*
 * End a window: exactly @ioctls ioctls were issued and exactly the lines
 * given (NULL-terminated list of g_strdup_printf results, freed here) were
 * emitted, in order.
 */
static void expect(unsigned ioctls, ...)
{
    va_list ap;
    GPtrArray *want = g_ptr_array_new_with_free_func(g_free);
    char *l;

    va_start(ap, ioctls);
    while ((l = va_arg(ap, char *))) {
        g_ptr_array_add(want, l);
    }
    va_end(ap);
    g_assert_cmpuint(atomic_load(&n_ioctls), ==, ioctls);
    for (guint i = 0; i < MIN(want->len, lines->len); i++) {
        g_assert_cmpstr(g_ptr_array_index(lines, i), ==, g_ptr_array_index(want, i));
    }
    g_assert_cmpuint(lines->len, ==, want->len);
    g_ptr_array_unref(want);
    begin();
}

#define L(...) g_strdup_printf(__VA_ARGS__)

/* The error of a failed helper: its errno and the start of its message. */
static void assert_err(IOMMUFDError **err, int errnum, const char *prefix)
{
    g_assert_nonnull(*err);
    g_assert_cmpint(iommufd_error_get_errno(*err), ==, errnum);
    if (!g_str_has_prefix(iommufd_error_get_pretty(*err), prefix)) {
        g_error("message '%s' does not start with '%s'", iommufd_error_get_pretty(*err), prefix);
    }
    iommufd_error_free(*err);
    *err = NULL;
}

/* ---- fixture ------------------------------------------------------------ */

typedef struct {
    IOMMUFDBackend *be;
    int fd;
    IOMMUFDFeatures features;
    uint32_t ioas_id;
    uint32_t stdev_id, hwpt_id, dev_id;     /* a selftest device on ioas_id */
    void *buf;
    size_t buf_size;
} Fixture;

#define BUF_SIZE (1u << 20)
#define A MOCK_APERTURE_START

static bool has(Fixture *f, unsigned int nr)
{
    return iommufd_features_has(&f->features, nr);
}

static int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
    cmd->size = sizeof(*cmd);
    return ioctl(fd, IOMMU_TEST_CMD, cmd) ? -errno : 0;
}

static int mock_domain(int fd, uint32_t pt_id, uint32_t dev_flags, uint32_t *stdev_id,
                       uint32_t *hwpt_id, uint32_t *dev_id)
{
    struct iommu_test_cmd cmd = {
        .op = dev_flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS : IOMMU_TEST_OP_MOCK_DOMAIN,
        .id = pt_id,
    };
    cmd.mock_domain_flags.dev_flags = dev_flags;
    int rc = test_cmd(fd, &cmd);
    if (!rc) {
        *stdev_id = cmd.mock_domain.out_stdev_id;
        *hwpt_id = cmd.mock_domain.out_hwpt_id;
        *dev_id = cmd.mock_domain.out_idev_id;
    }
    return rc;
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    (void)data;
    memset(f, 0, sizeof(*f));
    f->be = iommufd_backend_new();
    g_assert_true(iommufd_backend_connect(f->be, &iommufd_error_abort));
    f->fd = iommufd_backend_get_fd(f->be);
    g_assert_true(iommufd_backend_probe(f->be, &f->features, &iommufd_error_abort));
    g_assert_true(f->features.selftest);
    g_assert_true(iommufd_backend_alloc_ioas(f->be, &f->ioas_id, &iommufd_error_abort));
    g_assert_cmpint(mock_domain(f->fd, f->ioas_id, 0, &f->stdev_id, &f->hwpt_id, &f->dev_id),
                    ==, 0);
    f->buf_size = BUF_SIZE;
    f->buf = mmap(NULL, f->buf_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_true(f->buf != MAP_FAILED);
    memset(f->buf, 0x5a, f->buf_size);
    begin();
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    iommufd_backend_disconnect(f->be);
    g_object_unref(f->be);
    munmap(f->buf, f->buf_size);
}

/* ---- the object --------------------------------------------------------- */

static void test_object(void)
{
    IOMMUFDError *err = NULL;
    IOMMUFDBackend *be = iommufd_backend_new();

    begin();
    g_assert_true(iommufd_backend_connect(be, &err));
    int fd = iommufd_backend_get_fd(be);
    expect(0, L("iommufd_backend_connect iommufd %d owned 1 users 1 ret 0", fd), NULL);
    g_assert_true(iommufd_backend_connect(be, &err));
    expect(0, L("iommufd_backend_connect iommufd %d owned 1 users 2 ret 0", fd), NULL);
    iommufd_backend_disconnect(be);
    expect(0, L("iommufd_backend_disconnect iommufd %d owned 1 users 1", fd), NULL);
    iommufd_backend_disconnect(be);
    expect(0, L("iommufd_backend_disconnect iommufd %d owned 1 users 0", fd), NULL);
    g_assert_null(err);

    /* not connected: EBADF, nothing issued, nothing emitted */
    uint32_t id;
    g_assert_false(iommufd_backend_alloc_ioas(be, &id, &err));
    assert_err(&err, EBADF, "IOMMU_IOAS_ALLOC: the backend is not connected");
    expect(0, NULL);
    g_assert_false(iommufd_backend_alloc_ioas(NULL, &id, &err));
    assert_err(&err, EINVAL, "IOMMU_IOAS_ALLOC: no backend");
    expect(0, NULL);
    g_object_unref(be);

    /* open fails: the errno of open() */
    be = iommufd_backend_new_with_path("/nonexistent/iommu");
    g_assert_false(iommufd_backend_connect(be, &err));
    assert_err(&err, ENOENT, "Could not open '/nonexistent/iommu'");
    expect(0, L("iommufd_backend_connect iommufd -1 owned 1 users 0 ret %d", ENOENT), NULL);
    g_object_unref(be);

    /* a handed fd: one size-0 probe ioctl */
    int ifd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(ifd, >=, 0);
    be = iommufd_backend_new_from_fd(ifd);
    begin();
    g_assert_true(iommufd_backend_connect(be, &err));
    expect(1, L("iommufd_backend_connect iommufd %d owned 0 users 1 ret 0", ifd), NULL);
    iommufd_backend_disconnect(be);
    expect(0, L("iommufd_backend_disconnect iommufd %d owned 0 users 0", ifd), NULL);
    g_object_unref(be);
    close(ifd);

    /* a handed fd that is not an iommufd: the probe's errno */
    int p[2];
    g_assert_cmpint(pipe2(p, O_CLOEXEC), ==, 0);
    be = iommufd_backend_new_from_fd(p[0]);
    begin();
    g_assert_false(iommufd_backend_connect(be, &err));
    assert_err(&err, ENOTTY, "fd ");
    expect(1, L("iommufd_backend_connect iommufd %d owned 0 users 0 ret %d", p[0], ENOTTY),
           NULL);
    g_object_unref(be);
    close(p[0]);
    close(p[1]);
}

/* ---- IOAS --------------------------------------------------------------- */

static void test_ioas_alloc_free(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint32_t id = 0;
    int fd = f->fd;

    g_assert_true(iommufd_backend_alloc_ioas(f->be, &id, &err));
    expect(1, L("iommufd_backend_alloc_ioas iommufd %d ioas_id %u ret 0", fd, id), NULL);
    g_assert_true(iommufd_backend_free_id(f->be, id, &err));
    expect(1, L("iommufd_backend_free_id iommufd %d id %u ret 0", fd, id), NULL);
    g_assert_null(err);
    g_assert_false(iommufd_backend_free_id(f->be, id, &err));
    assert_err(&err, ENOENT, "IOMMU_DESTROY(");
    expect(1, L("iommufd_backend_free_id iommufd %d id %u ret %d", fd, id, ENOENT), NULL);
    g_assert_false(iommufd_backend_free_id(f->be, f->ioas_id, &err));
    assert_err(&err, EBUSY, "IOMMU_DESTROY(");
    expect(1, L("iommufd_backend_free_id iommufd %d id %u ret %d", fd, f->ioas_id, EBUSY), NULL);
    g_assert_false(iommufd_backend_alloc_ioas(f->be, NULL, &err));
    assert_err(&err, EINVAL, "IOMMU_IOAS_ALLOC: ioas_id must not be NULL");
    expect(0, NULL);

    /* a failed allocation (mock-only: nothing else makes it fail) */
    if (mock_fail_nth) {
        id = 77;
        mock_fail_nth(1, ENOMEM);
        g_assert_false(iommufd_backend_alloc_ioas(f->be, &id, &err));
        g_assert_true(mock_fail_nth_reached());
        mock_fail_nth(0, 0);
        assert_err(&err, ENOMEM, "IOMMU_IOAS_ALLOC(");
        g_assert_cmpuint(id, ==, 77);
        expect(1, L("iommufd_backend_alloc_ioas iommufd %d ioas_id 0 ret %d", fd, ENOMEM), NULL);
    }
}

static void test_ioas_map_unmap(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    int fd = f->fd;
    uint32_t io = f->ioas_id;
    void *b = f->buf;
    uint64_t iova = 0, unmapped = 0;

    g_assert_true(iommufd_backend_map_dma(f->be, io, A, 0x10000, b, false, &err));
    expect(1, L("iommufd_backend_map_dma iommufd %d ioas_id %u flags 0x7 iova 0x%x size 0x10000 "
                "vaddr %p ret 0", fd, io, A, b), NULL);
    g_assert_true(iommufd_backend_map_dma(f->be, io, A + 0x10000, 0x2000, b, true, &err));
    expect(1, L("iommufd_backend_map_dma iommufd %d ioas_id %u flags 0x5 iova 0x%x size 0x2000 "
                "vaddr %p ret 0", fd, io, A + 0x10000, b), NULL);
    g_assert_false(iommufd_backend_map_dma(f->be, io, A, 0x1000, b, false, &err));
    assert_err(&err, EEXIST, "IOMMU_IOAS_MAP(");
    expect(1, L("iommufd_backend_map_dma iommufd %d ioas_id %u flags 0x7 iova 0x%x size 0x1000 "
                "vaddr %p ret %d", fd, io, A, b, EEXIST), NULL);
    g_assert_false(iommufd_backend_map_dma(f->be, io, A, 0, b, false, &err));
    assert_err(&err, EINVAL, "IOMMU_IOAS_MAP(");
    expect(0, NULL);

    /* a kernel-chosen IOVA: the trace carries the one returned */
    g_assert_true(iommufd_backend_map_dma_auto(f->be, io, 0x4000, b, true, &iova, &err));
    g_assert_cmpuint(iova, >=, A);
    expect(1, L("iommufd_backend_map_dma iommufd %d ioas_id %u flags 0x4 iova 0x%" PRIx64
                " size 0x4000 vaddr %p ret 0", fd, io, iova, b), NULL);
    g_assert_false(iommufd_backend_map_dma_auto(f->be, 9999, 0x4000, b, false, &iova, &err));
    assert_err(&err, ENOENT, "IOMMU_IOAS_MAP(ioas_id 9999");
    expect(1, L("iommufd_backend_map_dma iommufd %d ioas_id 9999 flags 0x6 iova 0x0 size 0x4000 "
                "vaddr %p ret %d", fd, b, ENOENT), NULL);

    g_assert_true(iommufd_backend_unmap_dma(f->be, io, A, 0x10000, &unmapped, &err));
    g_assert_cmpuint(unmapped, ==, 0x10000);
    expect(1, L("iommufd_backend_unmap_dma iommufd %d ioas_id %u iova 0x%x size 0x10000 "
                "unmapped 0x10000 ret 0", fd, io, A), NULL);
    /* nothing there: a success with its own event */
    g_assert_true(iommufd_backend_unmap_dma(f->be, io, A, 0x10000, &unmapped, &err));
    g_assert_cmpuint(unmapped, ==, 0);
    expect(2, L("iommufd_backend_unmap_dma_check_ioas iommufd %d ioas_id %u ret %d", fd, io,
                EMSGSIZE),
           L("iommufd_backend_unmap_dma_non_exist iommufd %d ioas_id %u iova 0x%x "
             "size 0x10000 nothing mapped", fd, io, A), NULL);
    /* ENOENT because the IOAS is not there: an error */
    g_assert_false(iommufd_backend_unmap_dma(f->be, 9999, A, 0x10000, &unmapped, &err));
    assert_err(&err, ENOENT, "IOMMU_IOAS_UNMAP(ioas_id 9999, iova ");
    expect(2, L("iommufd_backend_unmap_dma_check_ioas iommufd %d ioas_id 9999 ret %d", fd, ENOENT),
           L("iommufd_backend_unmap_dma iommufd %d ioas_id 9999 iova 0x%x size 0x10000 "
             "unmapped 0x0 ret %d", fd, A, ENOENT), NULL);
    g_assert_null(err);
    g_assert_false(iommufd_backend_unmap_dma(f->be, io, UINT64_MAX, 0x1000, &unmapped, &err));
    assert_err(&err, EOVERFLOW, "IOMMU_IOAS_UNMAP(");
    expect(1, L("iommufd_backend_unmap_dma iommufd %d ioas_id %u iova 0xffffffffffffffff "
                "size 0x1000 unmapped 0x0 ret %d", fd, io, EOVERFLOW), NULL);
    g_assert_false(iommufd_backend_unmap_dma(f->be, io, A, 0, NULL, &err));
    assert_err(&err, EINVAL, "IOMMU_IOAS_UNMAP(");
    expect(0, NULL);
    /* unmap all: the bytes of both remaining mappings */
    g_assert_true(iommufd_backend_unmap_dma(f->be, io, 0, UINT64_MAX, &unmapped, &err));
    g_assert_cmpuint(unmapped, ==, 0x6000);
    expect(1, L("iommufd_backend_unmap_dma iommufd %d ioas_id %u iova 0x0 "
                "size 0xffffffffffffffff unmapped 0x6000 ret 0", fd, io), NULL);
    g_assert_null(err);
}

static void test_ioas_copy_ranges(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    int fd = f->fd;
    uint32_t io = f->ioas_id, dst = 0;

    g_assert_true(iommufd_backend_alloc_ioas(f->be, &dst, &err));
    g_assert_true(iommufd_backend_map_dma(f->be, io, A, 0x10000, f->buf, false, &err));
    begin();
    g_assert_true(iommufd_backend_copy_dma(f->be, io, A, dst, 0x100000, 0x10000, true, &err));
    expect(1, L("iommufd_backend_copy_dma iommufd %d src_ioas_id %u src_iova 0x%x dst_ioas_id %u "
                "dst_iova 0x100000 size 0x10000 flags 0x5 ret 0", fd, io, A, dst), NULL);
    g_assert_false(iommufd_backend_copy_dma(f->be, io, A + 0x100000, dst, 0x200000, 0x1000,
                                            false, &err));
    assert_err(&err, ENOENT, "IOMMU_IOAS_COPY(");
    expect(1, L("iommufd_backend_copy_dma iommufd %d src_ioas_id %u src_iova 0x%x dst_ioas_id %u "
                "dst_iova 0x200000 size 0x1000 flags 0x7 ret %d", fd, io, A + 0x100000, dst,
                ENOENT), NULL);

    /* ranges: one call when four suffice */
    IOMMUFDIovaRange *r = NULL;
    uint32_t n = 0;
    uint64_t align = 0;
    g_assert_true(iommufd_backend_get_iova_ranges(f->be, io, &r, &n, &align, &err));
    g_free(r);
    g_assert_cmpuint(n, >=, 1);
    g_assert_cmpuint(n, <=, 4);
    expect(1, L("iommufd_backend_get_iova_ranges iommufd %d ioas_id %u capacity 4 num_iovas %u "
                "alignment 0x%" PRIx64 " ret 0", fd, io, n, align), NULL);
    /* five reserved holes make six ranges: EMSGSIZE, then the second call */
    for (int i = 0; i < 5; i++) {
        struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ADD_RESERVED, .id = dst };
        cmd.add_reserved.start = 0x10000000ull * (uint64_t)(i + 1);
        cmd.add_reserved.length = 0x1000;
        g_assert_cmpint(test_cmd(fd, &cmd), ==, 0);
    }
    begin();
    g_assert_true(iommufd_backend_get_iova_ranges(f->be, dst, &r, &n, &align, &err));
    g_assert_cmpuint(n, ==, 6);
    g_assert_cmphex(r[0].start, ==, 0);
    g_assert_cmphex(r[0].last, ==, 0x10000000 - 1);
    g_assert_cmphex(r[5].start, ==, 0x50001000);
    expect(2,
           L("iommufd_backend_get_iova_ranges iommufd %d ioas_id %u capacity 4 num_iovas 6 "
             "alignment 0x%" PRIx64 " ret %d", fd, dst, align, EMSGSIZE),
           L("iommufd_backend_get_iova_ranges iommufd %d ioas_id %u capacity 6 num_iovas 6 "
             "alignment 0x%" PRIx64 " ret 0", fd, dst, align), NULL);
    /* into the caller's array: one call, which EMSGSIZE does not fail */
    IOMMUFDIovaRange into[6] = { { 0, 0 } };
    uint32_t n_into = 0;
    g_assert_true(iommufd_backend_get_iova_ranges_into(f->be, dst, into, 2, &n_into, NULL, &err));
    g_assert_cmpuint(n_into, ==, 6);
    g_assert_cmpmem(into, 2 * sizeof(*into), r, 2 * sizeof(*r));
    g_assert_cmphex(into[2].last, ==, 0);
    expect(1, L("iommufd_backend_get_iova_ranges iommufd %d ioas_id %u capacity 2 num_iovas 6 "
                "alignment 0x%" PRIx64 " ret %d", fd, dst, align, EMSGSIZE), NULL);
    g_assert_true(iommufd_backend_get_iova_ranges_into(f->be, dst, into, 6, &n_into, NULL, &err));
    g_assert_cmpuint(n_into, ==, 6);
    g_assert_cmpmem(into, sizeof(into), r, 6 * sizeof(*r));
    expect(1, L("iommufd_backend_get_iova_ranges iommufd %d ioas_id %u capacity 6 num_iovas 6 "
                "alignment 0x%" PRIx64 " ret 0", fd, dst, align), NULL);
    g_free(r);
    g_assert_false(iommufd_backend_get_iova_ranges(f->be, 9999, &r, &n, NULL, &err));
    assert_err(&err, ENOENT, "IOMMU_IOAS_IOVA_RANGES(ioas_id 9999");
    expect(1, L("iommufd_backend_get_iova_ranges iommufd %d ioas_id 9999 capacity 4 num_iovas 4 "
                "alignment 0x0 ret %d", fd, ENOENT), NULL);

    IOMMUFDIovaRange win[2] = { { 0x40000000, 0x40ffffff }, { 0x60000000, 0x60ffffff } };
    g_assert_true(iommufd_backend_allow_iovas(f->be, io, win, 2, &err));
    expect(1, L("iommufd_backend_allow_iovas iommufd %d ioas_id %u num_iovas 2 ret 0", fd, io),
           NULL);
    win[1].start = 0x40000000;
    g_assert_false(iommufd_backend_allow_iovas(f->be, io, win, 2, &err));
    assert_err(&err, EINVAL, "IOMMU_IOAS_ALLOW_IOVAS(");
    expect(1, L("iommufd_backend_allow_iovas iommufd %d ioas_id %u num_iovas 2 ret %d", fd, io,
                EINVAL), NULL);
    g_assert_true(iommufd_backend_allow_iovas(f->be, io, NULL, 0, &err));
    expect(1, L("iommufd_backend_allow_iovas iommufd %d ioas_id %u num_iovas 0 ret 0", fd, io),
           NULL);
    g_assert_null(err);
}

static void test_ioas_options(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    int fd = f->fd;
    uint32_t io = f->ioas_id, got = 0;
    uint64_t val = 0;

    g_assert_true(iommufd_backend_get_option(f->be, IOMMUFD_OPTION_HUGE_PAGES, io, &val, &err));
    g_assert_cmpuint(val, ==, 1);
    expect(1, L("iommufd_backend_option iommufd %d option_id 1 op 1 object_id %u val64 1 ret 0",
                fd, io), NULL);
    g_assert_true(iommufd_backend_set_option(f->be, IOMMUFD_OPTION_HUGE_PAGES, io, 0, &err));
    expect(1, L("iommufd_backend_option iommufd %d option_id 1 op 0 object_id %u val64 0 ret 0",
                fd, io), NULL);
    g_assert_true(iommufd_backend_get_option(f->be, IOMMUFD_OPTION_RLIMIT_MODE, 0, &val, &err));
    expect(1, L("iommufd_backend_option iommufd %d option_id 0 op 1 object_id 0 val64 %" PRIu64
                " ret 0", fd, val), NULL);
    g_assert_false(iommufd_backend_get_option(f->be, 77, 0, &val, &err));
    assert_err(&err, EOPNOTSUPP, "IOMMU_OPTION(option_id 77");
    expect(1, L("iommufd_backend_option iommufd %d option_id 77 op 1 object_id 0 val64 0 ret %d",
                fd, EOPNOTSUPP), NULL);
    g_assert_false(iommufd_backend_get_option(f->be, 1, io, NULL, &err));
    assert_err(&err, EINVAL, "IOMMU_OPTION(");
    expect(0, NULL);

    g_assert_false(iommufd_backend_get_vfio_ioas(f->be, &got, &err));
    assert_err(&err, ENODEV, "IOMMU_VFIO_IOAS(op get");
    expect(1, L("iommufd_backend_vfio_ioas iommufd %d op 0 ioas_id 0 ret %d", fd, ENODEV), NULL);
    g_assert_true(iommufd_backend_set_vfio_ioas(f->be, io, &err));
    expect(1, L("iommufd_backend_vfio_ioas iommufd %d op 1 ioas_id %u ret 0", fd, io), NULL);
    g_assert_true(iommufd_backend_get_vfio_ioas(f->be, &got, &err));
    g_assert_cmpuint(got, ==, io);
    expect(1, L("iommufd_backend_vfio_ioas iommufd %d op 0 ioas_id %u ret 0", fd, io), NULL);
    g_assert_true(iommufd_backend_clear_vfio_ioas(f->be, &err));
    expect(1, L("iommufd_backend_vfio_ioas iommufd %d op 2 ioas_id 0 ret 0", fd), NULL);
    g_assert_false(iommufd_backend_set_vfio_ioas(f->be, 9999, &err));
    assert_err(&err, ENOENT, "IOMMU_VFIO_IOAS(op set, ioas_id 9999");
    expect(1, L("iommufd_backend_vfio_ioas iommufd %d op 1 ioas_id 9999 ret %d", fd, ENOENT),
           NULL);
    g_assert_null(err);
}

static void test_ioas_map_file_change_process(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    int fd = f->fd;
    uint32_t io = f->ioas_id;
    bool map_file = has(f, IOMMUFD_CMD_IOAS_MAP_FILE);
    bool change = has(f, IOMMUFD_CMD_IOAS_CHANGE_PROCESS);
    int mfd = memfd_create("guest-ram", MFD_CLOEXEC);
    g_assert_cmpint(mfd, >=, 0);
    g_assert_cmpint(ftruncate(mfd, 1 << 20), ==, 0);

    /* a probe: one ioctl, one event, whatever the answer */
    g_assert_cmpint(iommufd_backend_change_process_capable(f->be), ==, change);
    expect(1, L("iommufd_backend_probe iommufd %d nr 0x92 ret %d", fd,
                change ? EINVAL : ENOTTY), NULL);

    bool ok = iommufd_backend_map_file_dma(f->be, io, A, 0x10000, mfd, 0x1000, false, &err);
    g_assert_cmpint(ok, ==, map_file);
    if (map_file) {
        expect(1, L("iommufd_backend_map_file_dma iommufd %d ioas_id %u flags 0x7 iova 0x%x "
                    "size 0x10000 fd %d start 0x1000 ret 0", fd, io, A, mfd), NULL);
        g_assert_false(iommufd_backend_map_file_dma(f->be, 9999, A, 0x1000, mfd, 0, true, &err));
        assert_err(&err, ENOENT, "IOMMU_IOAS_MAP_FILE(ioas_id 9999");
        expect(1, L("iommufd_backend_map_file_dma iommufd %d ioas_id 9999 flags 0x5 iova 0x%x "
                    "size 0x1000 fd %d start 0x0 ret %d", fd, A, mfd, ENOENT), NULL);
    } else {
        /* kernel-version behaviour: 6.12 lacks it */
        assert_err(&err, ENOTTY, "IOMMU_IOAS_MAP_FILE(");
        expect(1, L("iommufd_backend_map_file_dma iommufd %d ioas_id %u flags 0x7 iova 0x%x "
                    "size 0x10000 fd %d start 0x1000 ret %d", fd, io, A, mfd, ENOTTY), NULL);
    }
    g_assert_false(iommufd_backend_map_file_dma(f->be, io, A, 0x1000, -1, 0, true, &err));
    assert_err(&err, EINVAL, "IOMMU_IOAS_MAP_FILE(");
    expect(0, NULL);

    ok = iommufd_backend_change_process(f->be, &err);
    g_assert_cmpint(ok, ==, change);
    if (change) {
        expect(1, L("iommufd_backend_change_process iommufd %d ret 0", fd), NULL);
        g_assert_true(iommufd_backend_map_dma(f->be, io, A + 0x100000, 0x1000, f->buf, false,
                                              &err));
        begin();
        g_assert_false(iommufd_backend_change_process(f->be, &err));
        assert_err(&err, EINVAL, "IOMMU_IOAS_CHANGE_PROCESS(");
        expect(1, L("iommufd_backend_change_process iommufd %d ret %d", fd, EINVAL), NULL);
    } else {
        assert_err(&err, ENOTTY, "IOMMU_IOAS_CHANGE_PROCESS(");
        expect(1, L("iommufd_backend_change_process iommufd %d ret %d", fd, ENOTTY), NULL);
    }
    close(mfd);
}

static void test_probe(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDFeatures feat;
    int fd = f->fd;

    g_assert_true(iommufd_backend_probe(f->be, &feat, &iommufd_error_abort));
    g_assert_cmphex(feat.commands, ==, f->features.commands);
    /* one event per probe ioctl: 32 command numbers and the selftest's */
    g_assert_cmpuint(lines->len, ==, 33);
    for (unsigned nr = 0x80; nr <= 0xa0; nr++) {
        bool present = nr == 0xa0 ? feat.selftest : iommufd_features_has(&feat, nr);
        char *want = L("iommufd_backend_probe iommufd %d nr 0x%x ret %d", fd, nr,
                       present ? EINVAL : ENOTTY);
        g_assert_cmpstr(g_ptr_array_index(lines, nr - 0x80), ==, want);
        g_free(want);
        /* every kernel has 0x80..0x8e (6.12's set); none has 0x96.. */
        if (nr <= IOMMUFD_CMD_FAULT_QUEUE_ALLOC || nr == 0xa0) {
            g_assert_true(present);
        } else if (nr > IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA && nr < 0xa0) {
            g_assert_false(present);
        }
    }
    g_assert_cmpuint(atomic_load(&n_ioctls), ==, 33);
    begin();
    IOMMUFDError *err = NULL;
    g_assert_false(iommufd_backend_probe(f->be, NULL, &err));
    assert_err(&err, EINVAL, "iommufd_backend_probe");
    expect(0, NULL);
}

/* ---- HWPT --------------------------------------------------------------- */

static void test_hwpt(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    int fd = f->fd;
    uint32_t io = f->ioas_id, dev = f->dev_id, paging = 0, parent = 0, nested = 0;

    g_assert_true(iommufd_backend_alloc_hwpt(f->be, dev, io, 0, 0, 0, NULL, 0, &paging, &err));
    expect(1, L("iommufd_backend_alloc_hwpt iommufd %d dev_id %u pt_id %u flags 0x0 "
                "data_type 0x0 data_len 0 fault_id 0 hwpt_id %u ret 0", fd, dev, io, paging),
           NULL);
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, dev, io, IOMMUFD_HWPT_ALLOC_NEST_PARENT, 0, 0,
                                             NULL, 0, &parent, &err));
    expect(1, L("iommufd_backend_alloc_hwpt iommufd %d dev_id %u pt_id %u flags 0x1 "
                "data_type 0x0 data_len 0 fault_id 0 hwpt_id %u ret 0", fd, dev, io, parent),
           NULL);
    struct iommu_hwpt_selftest sd = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, dev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, 4,
                                             &sd, 0, &nested, &err));
    expect(1, L("iommufd_backend_alloc_hwpt iommufd %d dev_id %u pt_id %u flags 0x0 "
                "data_type 0xdead data_len 4 fault_id 0 hwpt_id %u ret 0", fd, dev, parent,
                nested), NULL);
    uint32_t none = 0;
    g_assert_false(iommufd_backend_alloc_hwpt(f->be, dev, io, 1u << 30, 0, 0, NULL, 0, &none,
                                              &err));
    assert_err(&err, EOPNOTSUPP, "IOMMU_HWPT_ALLOC(dev_id ");
    expect(1, L("iommufd_backend_alloc_hwpt iommufd %d dev_id %u pt_id %u flags 0x40000000 "
                "data_type 0x0 data_len 0 fault_id 0 hwpt_id 0 ret %d", fd, dev, io, EOPNOTSUPP),
           NULL);
    g_assert_false(iommufd_backend_alloc_hwpt(f->be, dev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, 4,
                                              NULL, 0, &none, &err));
    assert_err(&err, EINVAL, "IOMMU_HWPT_ALLOC(");
    expect(0, NULL);

    /* invalidation: entry_num in, handled out */
    struct iommu_hwpt_invalidate_selftest inv[3] = {
        { .iotlb_id = 0 }, { .iotlb_id = 1 }, { .iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1 },
    };
    uint32_t num = 2;
    g_assert_true(iommufd_backend_invalidate_cache(f->be, nested,
                                                   IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                                                   sizeof(inv[0]), &num, inv, &err));
    expect(1, L("iommufd_backend_invalidate_cache iommufd %d id %u data_type 0x%x entry_len %zu "
                "entry_num 2 handled 2 ret 0", fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                sizeof(inv[0])), NULL);
    num = 3;
    g_assert_false(iommufd_backend_invalidate_cache(f->be, nested,
                                                    IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                                                    sizeof(inv[0]), &num, inv, &err));
    g_assert_cmpuint(num, ==, 2);
    assert_err(&err, EINVAL, "IOMMU_HWPT_INVALIDATE(id ");
    expect(1, L("iommufd_backend_invalidate_cache iommufd %d id %u data_type 0x%x entry_len %zu "
                "entry_num 3 handled 2 ret %d", fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                sizeof(inv[0]), EINVAL), NULL);

    /* hw info: the type, lengths and capabilities the kernel reported */
    uint8_t info[64];   /* larger than the selftest's data: the rest zero-filled */
    uint32_t type = 0, len = 0;
    uint64_t caps = 0;
    uint8_t pasid = 0;
    g_assert_true(iommufd_backend_get_device_info(f->be, dev, &type, info, sizeof(info), &caps,
                                                  &pasid, &len, &err));
    g_assert_cmphex(type, ==, IOMMU_HW_INFO_TYPE_SELFTEST);
    expect(1, L("iommufd_backend_get_device_info iommufd %d dev_id %u flags 0x0 len 64 "
                "data_len %u type 0x%x caps 0x%" PRIx64 " max_pasid_log2 %u ret 0", fd, dev, len,
                type, caps, pasid), NULL);
    g_assert_cmpuint(len, ==, sizeof(struct iommu_test_hw_info));
    type = 0;
    g_assert_false(iommufd_backend_get_device_info(f->be, 9999, &type, NULL, 0, NULL, NULL, NULL,
                                                   &err));
    assert_err(&err, ENOENT, "IOMMU_GET_HW_INFO(dev_id 9999");
    expect(1, L("iommufd_backend_get_device_info iommufd %d dev_id 9999 flags 0x0 len 0 "
                "data_len 0 type 0x0 caps 0x0 max_pasid_log2 0 ret %d", fd, ENOENT), NULL);
    g_assert_false(iommufd_backend_get_device_info(f->be, dev, NULL, NULL, 0, NULL, NULL, NULL,
                                                   &err));
    assert_err(&err, EINVAL, "IOMMU_GET_HW_INFO(");
    expect(0, NULL);

    g_assert_true(iommufd_backend_free_id(f->be, nested, &err));
    g_assert_true(iommufd_backend_free_id(f->be, parent, &err));
    g_assert_true(iommufd_backend_free_id(f->be, paging, &err));
    g_assert_null(err);
}

static void test_dirty(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    int fd = f->fd;
    uint32_t hwpt = 0, stdev, dhwpt, dev;
    const uint64_t len = 64 * 4096;

    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id,
                                             IOMMUFD_HWPT_ALLOC_DIRTY_TRACKING, 0, 0, NULL, 0,
                                             &hwpt, &err));
    g_assert_cmpint(mock_domain(fd, hwpt, 0, &stdev, &dhwpt, &dev), ==, 0);
    g_assert_true(iommufd_backend_map_dma(f->be, f->ioas_id, A, len, f->buf, false, &err));
    begin();
    g_assert_true(iommufd_backend_set_dirty_tracking(f->be, hwpt, true, &err));
    expect(1, L("iommufd_backend_set_dirty_tracking iommufd %d hwpt_id %u flags 0x1 ret 0", fd,
                hwpt), NULL);
    g_assert_false(iommufd_backend_set_dirty_tracking(f->be, 9999, true, &err));
    assert_err(&err, ENOENT, "IOMMU_HWPT_SET_DIRTY_TRACKING(hwpt_id 9999");
    expect(1, L("iommufd_backend_set_dirty_tracking iommufd %d hwpt_id 9999 flags 0x1 ret %d",
                fd, ENOENT), NULL);

    uint64_t bitmap = 0;
    g_assert_true(iommufd_backend_get_dirty_bitmap(f->be, hwpt, A, len, 4096, &bitmap,
                                                   IOMMUFD_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, &err));
    expect(1, L("iommufd_backend_get_dirty_bitmap iommufd %d hwpt_id %u iova 0x%x size 0x%" PRIx64
                " page_size 0x1000 flags 0x1 ret 0", fd, hwpt, A, len), NULL);
    g_assert_true(iommufd_backend_get_dirty_bitmap(f->be, hwpt, A, len, 4096, &bitmap, 0, &err));
    expect(1, L("iommufd_backend_get_dirty_bitmap iommufd %d hwpt_id %u iova 0x%x size 0x%" PRIx64
                " page_size 0x1000 flags 0x0 ret 0", fd, hwpt, A, len), NULL);
    g_assert_false(iommufd_backend_get_dirty_bitmap(f->be, hwpt, A + 512, len, 4096, &bitmap, 0,
                                                    &err));
    assert_err(&err, EINVAL, "IOMMU_HWPT_GET_DIRTY_BITMAP(hwpt_id ");
    expect(1, L("iommufd_backend_get_dirty_bitmap iommufd %d hwpt_id %u iova 0x%x size 0x%" PRIx64
                " page_size 0x1000 flags 0x0 ret %d", fd, hwpt, A + 512, len, EINVAL), NULL);
    g_assert_false(iommufd_backend_get_dirty_bitmap(f->be, hwpt, A, len, 0, &bitmap, 0, &err));
    assert_err(&err, EINVAL, "IOMMU_HWPT_GET_DIRTY_BITMAP(");
    expect(0, NULL);
    g_assert_true(iommufd_backend_set_dirty_tracking(f->be, hwpt, false, &err));
    expect(1, L("iommufd_backend_set_dirty_tracking iommufd %d hwpt_id %u flags 0x0 ret 0", fd,
                hwpt), NULL);
    g_assert_null(err);
}

/* ---- virtualisation ----------------------------------------------------- */

static void test_faultq(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    int fd = f->fd, qfd = -1;
    uint32_t id = 0;

    g_assert_true(iommufd_backend_alloc_faultq(f->be, &id, &qfd, &err));
    expect(1, L("iommufd_backend_alloc_faultq iommufd %d fault_id %u fault_fd %d ret 0", fd, id,
                qfd), NULL);
    close(qfd);
    g_assert_false(iommufd_backend_alloc_faultq(f->be, NULL, &qfd, &err));
    assert_err(&err, EINVAL, "IOMMU_FAULT_QUEUE_ALLOC");
    expect(0, NULL);
    if (mock_fail_nth) {
        qfd = -7;
        mock_fail_nth(1, ENOMEM);
        g_assert_false(iommufd_backend_alloc_faultq(f->be, &id, &qfd, &err));
        g_assert_true(mock_fail_nth_reached());
        mock_fail_nth(0, 0);
        g_assert_cmpint(qfd, ==, -7);
        assert_err(&err, ENOMEM, "IOMMU_FAULT_QUEUE_ALLOC(");
        expect(1, L("iommufd_backend_alloc_faultq iommufd %d fault_id 0 fault_fd -1 ret %d", fd,
                    ENOMEM), NULL);
    }
}

/* The vIOMMU commands, on a kernel that lacks them: one event, ENOTTY. */
static void viommu_absent(Fixture *f)
{
    IOMMUFDError *err = NULL;
    int fd = f->fd, qfd = -1;
    uint32_t id = 0, dev = f->dev_id;
    void *p = NULL;

    g_assert_false(iommufd_backend_alloc_viommu(f->be, dev, IOMMU_VIOMMU_TYPE_SELFTEST,
                                                f->hwpt_id, NULL, 0, &id, &err));
    assert_err(&err, ENOTTY, "IOMMU_VIOMMU_ALLOC(");
    expect(1, L("iommufd_backend_alloc_viommu iommufd %d dev_id %u type 0xdeadbeef hwpt_id %u "
                "data_len 0 viommu_id 0 ret %d", fd, dev, f->hwpt_id, ENOTTY), NULL);
    g_assert_false(iommufd_backend_alloc_vdev(f->be, dev, 5, 0x42, &id, &err));
    assert_err(&err, ENOTTY, "IOMMU_VDEVICE_ALLOC(");
    expect(1, L("iommufd_backend_alloc_vdev iommufd %d dev_id %u viommu_id 5 virt_id 0x42 "
                "vdev_id 0 ret %d", fd, dev, ENOTTY), NULL);
    g_assert_false(iommufd_backend_alloc_veventq(f->be, 5, IOMMU_VEVENTQ_TYPE_SELFTEST, 16, &id,
                                                 &qfd, &err));
    assert_err(&err, ENOTTY, "IOMMU_VEVENTQ_ALLOC(");
    expect(1, L("iommufd_backend_alloc_veventq iommufd %d viommu_id 5 type 0xbeefbeef depth 16 "
                "veventq_id 0 veventq_fd -1 ret %d", fd, ENOTTY), NULL);
    g_assert_false(iommufd_backend_alloc_hw_queue(f->be, 5, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, A,
                                                  4096, &id, &err));
    assert_err(&err, ENOTTY, "IOMMU_HW_QUEUE_ALLOC(");
    expect(1, L("iommufd_backend_alloc_hw_queue iommufd %d viommu_id 5 type 0xdeadbeef index 0 "
                "addr 0x%x length 0x1000 hw_queue_id 0 ret %d", fd, A, ENOTTY), NULL);
    /* 6.12 has no mmap of /dev/iommu */
    g_assert_false(iommufd_backend_viommu_mmap(f->be, 5, 4096, 0, &p, &err));
    assert_err(&err, ENODEV, "mmap of vIOMMU 5");
    expect(0, L("iommufd_backend_viommu_mmap iommufd %d viommu_id 5 size 0x1000 offset 0x0 "
                "ptr (nil) ret %d", fd, ENODEV), NULL);
    /* munmap is plain munmap: any mapping, one event, no ioctl */
    p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_true(p != MAP_FAILED);
    g_assert_true(iommufd_backend_viommu_munmap(f->be, p, 4096, &err));
    expect(0, L("iommufd_backend_viommu_munmap ptr %p size 0x1000 ret 0", p), NULL);
    g_assert_false(iommufd_backend_viommu_munmap(f->be, (void *)(uintptr_t)1, 4096, &err));
    assert_err(&err, EINVAL, "munmap of a vIOMMU region");
    expect(0, L("iommufd_backend_viommu_munmap ptr 0x1 size 0x1000 ret %d", EINVAL), NULL);
}

static void test_viommu(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    int fd = f->fd, qfd = -1, qfd2 = -1;
    uint32_t dev = f->dev_id, parent = 0, viommu = 0, vdev = 0, veventq = 0, hwq = 0, none = 0;

    if (!has(f, IOMMUFD_CMD_VIOMMU_ALLOC)) {
        viommu_absent(f);
        return;
    }
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, dev, f->ioas_id,
                                             IOMMUFD_HWPT_ALLOC_NEST_PARENT, 0, 0, NULL, 0,
                                             &parent, &err));
    begin();
    struct iommu_viommu_selftest vd = { .in_data = 0xabcd };
    g_assert_true(iommufd_backend_alloc_viommu(f->be, dev, IOMMU_VIOMMU_TYPE_SELFTEST, parent,
                                               &vd, sizeof(vd), &viommu, &err));
    expect(1, L("iommufd_backend_alloc_viommu iommufd %d dev_id %u type 0xdeadbeef hwpt_id %u "
                "data_len %zu viommu_id %u ret 0", fd, dev, parent, sizeof(vd), viommu), NULL);
    g_assert_false(iommufd_backend_alloc_viommu(f->be, dev, IOMMU_VIOMMU_TYPE_SELFTEST, 9999,
                                                NULL, 0, &none, &err));
    assert_err(&err, ENOENT, "IOMMU_VIOMMU_ALLOC(dev_id ");
    expect(1, L("iommufd_backend_alloc_viommu iommufd %d dev_id %u type 0xdeadbeef hwpt_id 9999 "
                "data_len 0 viommu_id 0 ret %d", fd, dev, ENOENT), NULL);
    g_assert_false(iommufd_backend_alloc_viommu(f->be, dev, IOMMU_VIOMMU_TYPE_SELFTEST, parent,
                                                NULL, 8, &none, &err));
    assert_err(&err, EINVAL, "IOMMU_VIOMMU_ALLOC(");
    expect(0, NULL);

    g_assert_true(iommufd_backend_alloc_vdev(f->be, dev, viommu, 0x42, &vdev, &err));
    expect(1, L("iommufd_backend_alloc_vdev iommufd %d dev_id %u viommu_id %u virt_id 0x42 "
                "vdev_id %u ret 0", fd, dev, viommu, vdev), NULL);
    g_assert_false(iommufd_backend_alloc_vdev(f->be, dev, viommu, 0x43, &none, &err));
    assert_err(&err, EEXIST, "IOMMU_VDEVICE_ALLOC(dev_id ");
    expect(1, L("iommufd_backend_alloc_vdev iommufd %d dev_id %u viommu_id %u virt_id 0x43 "
                "vdev_id 0 ret %d", fd, dev, viommu, EEXIST), NULL);

    if (has(f, IOMMUFD_CMD_VEVENTQ_ALLOC)) {
        g_assert_true(iommufd_backend_alloc_veventq(f->be, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST,
                                                    16, &veventq, &qfd, &err));
        expect(1, L("iommufd_backend_alloc_veventq iommufd %d viommu_id %u type 0xbeefbeef "
                    "depth 16 veventq_id %u veventq_fd %d ret 0", fd, viommu, veventq, qfd),
               NULL);
        g_assert_false(iommufd_backend_alloc_veventq(f->be, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST,
                                                     8, &none, &qfd2, &err));
        assert_err(&err, EEXIST, "IOMMU_VEVENTQ_ALLOC(viommu_id ");
        expect(1, L("iommufd_backend_alloc_veventq iommufd %d viommu_id %u type 0xbeefbeef "
                    "depth 8 veventq_id 0 veventq_fd -1 ret %d", fd, viommu, EEXIST), NULL);
        g_assert_false(iommufd_backend_alloc_veventq(f->be, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST,
                                                     0, &none, &qfd2, &err));
        assert_err(&err, EINVAL, "IOMMU_VEVENTQ_ALLOC(");
        expect(0, NULL);
        close(qfd);
        g_assert_true(iommufd_backend_free_id(f->be, veventq, &err));
        begin();
    }

    if (has(f, IOMMUFD_CMD_HW_QUEUE_ALLOC)) {
        /* the queue lives in guest memory mapped in the parent's IOAS */
        g_assert_true(iommufd_backend_map_dma(f->be, f->ioas_id, A, 0x10000, f->buf, false,
                                              &err));
        begin();
        g_assert_true(iommufd_backend_alloc_hw_queue(f->be, viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST,
                                                     0, A, 0x1000, &hwq, &err));
        expect(1, L("iommufd_backend_alloc_hw_queue iommufd %d viommu_id %u type 0xdeadbeef "
                    "index 0 addr 0x%x length 0x1000 hw_queue_id %u ret 0", fd, viommu, A, hwq),
               NULL);
        g_assert_false(iommufd_backend_alloc_hw_queue(f->be, viommu, 0, 1, A, 0x1000, &none,
                                                      &err));
        assert_err(&err, EOPNOTSUPP, "IOMMU_HW_QUEUE_ALLOC(viommu_id ");
        expect(1, L("iommufd_backend_alloc_hw_queue iommufd %d viommu_id %u type 0x0 index 1 "
                    "addr 0x%x length 0x1000 hw_queue_id 0 ret %d", fd, viommu, A, EOPNOTSUPP),
               NULL);
        g_assert_false(iommufd_backend_alloc_hw_queue(f->be, viommu, 1, 1, A, 0, &none, &err));
        assert_err(&err, EINVAL, "IOMMU_HW_QUEUE_ALLOC(");
        expect(0, NULL);
        g_assert_true(iommufd_backend_free_id(f->be, hwq, &err));
        begin();
    }

    /* the region the vIOMMU's driver data announced */
    g_assert_cmpuint(vd.out_mmap_length, >, 0);
    void *p = NULL;
    g_assert_true(iommufd_backend_viommu_mmap(f->be, viommu, vd.out_mmap_length,
                                              vd.out_mmap_offset, &p, &err));
    expect(0, L("iommufd_backend_viommu_mmap iommufd %d viommu_id %u size 0x%" PRIx64
                " offset 0x%" PRIx64 " ptr %p ret 0", fd, viommu, (uint64_t)vd.out_mmap_length,
                (uint64_t)vd.out_mmap_offset, p), NULL);
    g_assert_cmpuint(*(uint32_t *)p, ==, 0xabcd);
    g_assert_true(iommufd_backend_viommu_munmap(f->be, p, vd.out_mmap_length, &err));
    expect(0, L("iommufd_backend_viommu_munmap ptr %p size 0x%" PRIx64 " ret 0", p,
                (uint64_t)vd.out_mmap_length), NULL);
    void *q = NULL;
    uint64_t bad_off = vd.out_mmap_offset + 64 * vd.out_mmap_length;
    g_assert_false(iommufd_backend_viommu_mmap(f->be, viommu, vd.out_mmap_length, bad_off, &q,
                                               &err));
    int mmap_err = iommufd_error_get_errno(err);
    g_assert_cmpint(mmap_err, !=, 0);
    assert_err(&err, mmap_err, "mmap of vIOMMU ");
    expect(0, L("iommufd_backend_viommu_mmap iommufd %d viommu_id %u size 0x%" PRIx64
                " offset 0x%" PRIx64 " ptr (nil) ret %d", fd, viommu,
                (uint64_t)vd.out_mmap_length, bad_off, mmap_err), NULL);
    g_assert_false(iommufd_backend_viommu_munmap(f->be, (void *)(uintptr_t)1, 4096, &err));
    assert_err(&err, EINVAL, "munmap of a vIOMMU region");
    expect(0, L("iommufd_backend_viommu_munmap ptr 0x1 size 0x1000 ret %d", EINVAL), NULL);
    g_assert_false(iommufd_backend_viommu_munmap(f->be, NULL, 4096, &err));
    assert_err(&err, EINVAL, "munmap of a vIOMMU region");
    expect(0, NULL);

    g_assert_true(iommufd_backend_free_id(f->be, vdev, &err));
    g_assert_true(iommufd_backend_free_id(f->be, viommu, &err));
    g_assert_true(iommufd_backend_free_id(f->be, parent, &err));
    g_assert_null(err);
}

/* ---- VFIO cdev ---------------------------------------------------------- */

static void test_vfio(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    int fd = f->fd;
    char path[256], path2[256];

    if (!mock_add_device) {
        g_test_skip("needs a VFIO device (the mock's iommufd_mock_add_device)");
        return;
    }
    bool pasid_ok = has(f, IOMMUFD_CMD_VEVENTQ_ALLOC);     /* PASID attach came with 6.15 */
    g_assert_cmpint(mock_add_device(0, path, sizeof(path)), ==, 0);
    g_assert_cmpint(mock_add_device(MOCK_FLAGS_DEVICE_PASID, path2, sizeof(path2)), ==, 0);

    begin();
    int vfd = iommufd_vfio_device_open(path, &err);
    g_assert_cmpint(vfd, >=, 0);
    expect(0, L("iommufd_vfio_device_open path %s fd %d ret 0", path, vfd), NULL);
    g_assert_cmpint(iommufd_vfio_device_open("/nonexistent/vfio0", &err), ==, -1);
    assert_err(&err, ENOENT, "Could not open VFIO device '/nonexistent/vfio0'");
    expect(0, L("iommufd_vfio_device_open path /nonexistent/vfio0 fd -1 ret %d", ENOENT), NULL);

    /* by sysfs path: a test tree naming the node; one open, one event */
    char *tree = g_dir_make_tmp("iommufd-trace-XXXXXX", NULL);
    g_assert_nonnull(tree);
    char *vdir = g_build_filename(tree, "vfio-dev", NULL);
    char *base = g_path_get_basename(path2);
    char *entry = g_build_filename(vdir, base, NULL);
    char *dir = g_path_get_dirname(path2);
    g_assert_cmpint(g_mkdir(vdir, 0755), ==, 0);
    g_assert_cmpint(g_mkdir(entry, 0755), ==, 0);
    begin();
    int vfd2 = iommufd_vfio_device_open_sysfs(tree, dir, &err);
    g_assert_cmpint(vfd2, >=, 0);
    expect(0, L("iommufd_vfio_device_open path %s fd %d ret 0", path2, vfd2), NULL);
    g_rmdir(entry);
    g_rmdir(vdir);
    g_rmdir(tree);
    g_free(entry);
    g_free(base);
    g_free(vdir);
    g_free(dir);
    g_free(tree);

    /* before bind: the device refuses */
    g_assert_false(iommufd_vfio_device_detach(vfd, &err));
    assert_err(&err, EINVAL, "VFIO_DEVICE_DETACH_IOMMUFD_PT(vfio fd ");
    expect(1, L("iommufd_vfio_detach vfio_fd %d flags 0x0 pasid 0 ret %d", vfd, EINVAL), NULL);

    uint32_t dev = 0, dev2 = 0, none = 0, hwpt = 0;
    g_assert_true(iommufd_backend_bind_device(f->be, vfd, NULL, &dev, &err));
    expect(1, L("iommufd_vfio_bind vfio_fd %d iommufd %d flags 0x0 dev_id %u ret 0", vfd, fd,
                dev), NULL);
    g_assert_false(iommufd_backend_bind_device(f->be, vfd, NULL, &none, &err));
    assert_err(&err, EINVAL, "VFIO_DEVICE_BIND_IOMMUFD(vfio fd ");
    expect(1, L("iommufd_vfio_bind vfio_fd %d iommufd %d flags 0x0 dev_id 0 ret %d", vfd, fd,
                EINVAL), NULL);
    g_assert_false(iommufd_backend_bind_device(f->be, -1, NULL, &none, &err));
    assert_err(&err, EINVAL, "VFIO_DEVICE_BIND_IOMMUFD(vfio fd -1)");
    expect(0, NULL);
    g_assert_true(iommufd_backend_bind_device(f->be, vfd2, NULL, &dev2, &err));
    begin();

    g_assert_true(iommufd_vfio_device_attach(vfd, f->ioas_id, &hwpt, &err));
    g_assert_cmpuint(hwpt, !=, f->ioas_id);
    expect(1, L("iommufd_vfio_attach vfio_fd %d flags 0x0 pasid 0 pt_id %u hwpt_id %u ret 0", vfd,
                f->ioas_id, hwpt), NULL);
    g_assert_false(iommufd_vfio_device_attach(vfd, 9999, &none, &err));
    assert_err(&err, ENOENT, "VFIO_DEVICE_ATTACH_IOMMUFD_PT(vfio fd ");
    expect(1, L("iommufd_vfio_attach vfio_fd %d flags 0x0 pasid 0 pt_id 9999 hwpt_id 0 ret %d",
                vfd, ENOENT), NULL);
    g_assert_false(iommufd_vfio_device_attach(-1, f->ioas_id, &none, &err));
    assert_err(&err, EINVAL, "VFIO_DEVICE_ATTACH_IOMMUFD_PT: no device fd");
    expect(0, NULL);
    g_assert_true(iommufd_vfio_device_detach(vfd, &err));
    expect(1, L("iommufd_vfio_detach vfio_fd %d flags 0x0 pasid 0 ret 0", vfd), NULL);

    /* PASID: 6.15 on; on 6.12 the flag is unknown */
    uint32_t phwpt = 0, got = 0;
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, dev2, f->ioas_id,
                                             pasid_ok ? IOMMUFD_HWPT_ALLOC_PASID : 0, 0, 0, NULL,
                                             0, &phwpt, &err));
    begin();
    bool ok = iommufd_vfio_device_attach_pasid(vfd2, 5, phwpt, &got, &err);
    g_assert_cmpint(ok, ==, pasid_ok);
    if (ok) {
        g_assert_cmpuint(got, ==, phwpt);
        expect(1, L("iommufd_vfio_attach vfio_fd %d flags 0x1 pasid 5 pt_id %u hwpt_id %u ret 0",
                    vfd2, phwpt, phwpt), NULL);
        g_assert_true(iommufd_vfio_device_detach_pasid(vfd2, 5, &err));
        expect(1, L("iommufd_vfio_detach vfio_fd %d flags 0x1 pasid 5 ret 0", vfd2), NULL);
        /* a device without PASID support */
        g_assert_false(iommufd_vfio_device_attach_pasid(vfd, 5, phwpt, &got, &err));
        assert_err(&err, EOPNOTSUPP, "VFIO_DEVICE_ATTACH_IOMMUFD_PT(vfio fd ");
        expect(1, L("iommufd_vfio_attach vfio_fd %d flags 0x1 pasid 5 pt_id %u hwpt_id 0 ret %d",
                    vfd, phwpt, EOPNOTSUPP), NULL);
        g_assert_false(iommufd_vfio_device_detach_pasid(vfd, 5, &err));
        assert_err(&err, EOPNOTSUPP, "VFIO_DEVICE_DETACH_IOMMUFD_PT(vfio fd ");
        expect(1, L("iommufd_vfio_detach vfio_fd %d flags 0x1 pasid 5 ret %d", vfd, EOPNOTSUPP),
               NULL);
    } else {
        assert_err(&err, EINVAL, "VFIO_DEVICE_ATTACH_IOMMUFD_PT(vfio fd ");
        expect(1, L("iommufd_vfio_attach vfio_fd %d flags 0x1 pasid 5 pt_id %u hwpt_id 0 ret %d",
                    vfd2, phwpt, EINVAL), NULL);
        g_assert_false(iommufd_vfio_device_detach_pasid(vfd2, 5, &err));
        assert_err(&err, EINVAL, "VFIO_DEVICE_DETACH_IOMMUFD_PT(vfio fd ");
        expect(1, L("iommufd_vfio_detach vfio_fd %d flags 0x1 pasid 5 ret %d", vfd2, EINVAL),
               NULL);
    }
    close(vfd2);        /* unbinds */
    close(vfd);
    g_assert_true(iommufd_backend_free_id(f->be, phwpt, &err));
    g_assert_null(err);
}

/* ---- tracing off ---------------------------------------------------------- */

static void test_off(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint32_t id = 0;
    IOMMUFDFeatures feat;

    g_assert_cmpuint(iommufd_trace_enable("-*"), >, 0);
    g_assert_cmpint(iommufd_trace_event_get_state("iommufd_backend_alloc_ioas"), ==, 0);
    begin();
    g_assert_true(iommufd_backend_alloc_ioas(f->be, &id, &err));
    g_assert_true(iommufd_backend_map_dma(f->be, id, 0x100000, 4096, f->buf, false, &err));
    g_assert_true(iommufd_backend_unmap_dma(f->be, id, 0x100000, 4096, NULL, &err));
    g_assert_true(iommufd_backend_unmap_dma(f->be, id, 0x100000, 4096, NULL, &err));
    g_assert_false(iommufd_backend_free_id(f->be, 9999, NULL));
    g_assert_true(iommufd_backend_probe(f->be, &feat, &err));
    g_assert_true(iommufd_backend_free_id(f->be, id, &err));
    g_assert_true(iommufd_backend_connect(f->be, &err));
    iommufd_backend_disconnect(f->be);
    g_assert_null(err);
    /* 40: the second unmap finds nothing and checks that the IOAS exists */
    g_assert_cmpuint(atomic_load(&n_ioctls), ==, 40);
    g_assert_cmpuint(lines->len, ==, 0);
    /* one event back on: only it */
    g_assert_cmpuint(iommufd_trace_enable("iommufd_backend_free_id"), ==, 1);
    begin();
    g_assert_true(iommufd_backend_alloc_ioas(f->be, &id, &err));
    g_assert_true(iommufd_backend_free_id(f->be, id, &err));
    expect(2, L("iommufd_backend_free_id iommufd %d id %u ret 0", f->fd, id), NULL);
    g_assert_cmpuint(iommufd_trace_enable("*"), >, 0);
    g_assert_cmpint(iommufd_trace_event_get_state("iommufd_backend_alloc_ioas"), ==, 1);
}

/*
 * The kernel succeeded but handled fewer entries than asked: an EIO error
 * naming both counts, entry_num set to what was handled, one ioctl and one
 * event carrying both counts and ret 0 (the ioctl itself succeeded).
 */
static void test_hwpt_invalidate_short(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    int fd = f->fd;
    uint32_t io = f->ioas_id, dev = f->dev_id, parent = 0, nested = 0;

    g_assert_true(iommufd_backend_alloc_hwpt(f->be, dev, io, IOMMUFD_HWPT_ALLOC_NEST_PARENT, 0, 0,
                                             NULL, 0, &parent, &iommufd_error_abort));
    struct iommu_hwpt_selftest sd = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    /* the 6.12 selftest struct is iotlb alone; longer data is EINVAL there */
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, dev, parent, 0, IOMMU_HWPT_DATA_SELFTEST,
                                             sizeof(sd.iotlb), &sd, 0, &nested,
                                             &iommufd_error_abort));
    struct iommu_hwpt_invalidate_selftest inv[3] = {
        { .iotlb_id = 0 }, { .iotlb_id = 1 }, { .iotlb_id = 2 },
    };
    begin();

    /* the same call, not faked, handles all three: the fake is what differs */
    uint32_t num = 3;
    g_assert_true(iommufd_backend_invalidate_cache(f->be, nested,
                                                   IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                                                   sizeof(inv[0]), &num, inv, &err));
    g_assert_null(err);
    g_assert_cmpuint(num, ==, 3);
    expect(1, L("iommufd_backend_invalidate_cache iommufd %d id %u data_type 0x%x entry_len %zu "
                "entry_num 3 handled 3 ret 0", fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                sizeof(inv[0])), NULL);

    atomic_store(&fake_invalidate_handled, 1);
    num = 3;
    bool ok = iommufd_backend_invalidate_cache(f->be, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                                               sizeof(inv[0]), &num, inv, &err);
    atomic_store(&fake_invalidate_handled, -1);
    g_assert_false(ok);
    g_assert_cmpuint(num, ==, 1);
    g_assert_nonnull(err);
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EIO);
    char *msg = g_strdup_printf("IOMMU_HWPT_INVALIDATE(id %u, data_type 0x%x): handled 1 of 3 "
                                "entries", nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==, msg);
    g_free(msg);
    iommufd_error_free(err);
    err = NULL;
    expect(1, L("iommufd_backend_invalidate_cache iommufd %d id %u data_type 0x%x entry_len %zu "
                "entry_num 3 handled 1 ret 0", fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                sizeof(inv[0])), NULL);

    /* handled none of two: the same error with 0 */
    atomic_store(&fake_invalidate_handled, 0);
    num = 2;
    ok = iommufd_backend_invalidate_cache(f->be, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                                          sizeof(inv[0]), &num, inv, &err);
    atomic_store(&fake_invalidate_handled, -1);
    g_assert_false(ok);
    g_assert_cmpuint(num, ==, 0);
    msg = g_strdup_printf("IOMMU_HWPT_INVALIDATE(id %u, data_type 0x%x): handled 0 of 2 entries",
                          nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST);
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EIO);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==, msg);
    g_free(msg);
    iommufd_error_free(err);
    err = NULL;
    expect(1, L("iommufd_backend_invalidate_cache iommufd %d id %u data_type 0x%x entry_len %zu "
                "entry_num 2 handled 0 ret 0", fd, nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                sizeof(inv[0])), NULL);

    g_assert_true(iommufd_backend_free_id(f->be, nested, &iommufd_error_abort));
    g_assert_true(iommufd_backend_free_id(f->be, parent, &iommufd_error_abort));
}

/* ---- names: every event of the library fired, all named alike ------------- */

static void check_event(const char *name, bool enabled, bool compiled, void *opaque)
{
    GPtrArray *missing = opaque;
    if (!g_str_has_prefix(name, "iommufd_backend_") && !g_str_has_prefix(name, "iommufd_vfio_")) {
        return;     /* other groups (trace control) are not helpers' events */
    }
    if (g_str_has_prefix(name, "iommufd_vfio_") && !test_backend_is_mock()) {
        return;     /* the VFIO tests need the mock's devices; on a kernel they skip */
    }
    g_assert_true(compiled);
    g_assert_true(enabled);
    if (!g_hash_table_contains(seen, name)) {
        g_ptr_array_add(missing, g_strdup(name));
    }
}

static void test_all_events_fired(void)
{
    if (g_hash_table_size(seen) == 0) {
        g_test_skip("run after the other tests of this binary");
        return;
    }
    GPtrArray *missing = g_ptr_array_new_with_free_func(g_free);
    g_assert_cmpuint(iommufd_trace_list(check_event, missing), >, 0);
    for (guint i = 0; i < missing->len; i++) {
        g_test_message("never fired: %s", (char *)g_ptr_array_index(missing, i));
    }
    g_assert_cmpuint(missing->len, ==, 0);
    g_ptr_array_unref(missing);
}

int main(int argc, char **argv)
{
    test_backend_print();
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();

    mock_fail_nth = (fail_nth_fn)dlsym(RTLD_DEFAULT, "iommufd_mock_fail_nth");
    mock_fail_nth_reached = (fail_nth_reached_fn)dlsym(RTLD_DEFAULT,
                                                       "iommufd_mock_fail_nth_reached");
    mock_add_device = (add_device_fn)dlsym(RTLD_DEFAULT, "iommufd_mock_add_device");
    if (!mock_fail_nth_reached) {
        mock_fail_nth = NULL;
    }

    lines = g_ptr_array_new_with_free_func(g_free);
    seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    iommufd_trace_set_sink(sink, NULL);
    g_assert_cmpuint(iommufd_trace_enable("*"), >, 0);

    tu_add_func("/trace/object", test_object);
#define ADD(path, fn) tu_add("/trace/" path, Fixture, NULL, fixture_setup, fn, \
                                 fixture_teardown)
    ADD("ioas/alloc-free", test_ioas_alloc_free);
    ADD("ioas/map-unmap", test_ioas_map_unmap);
    ADD("ioas/copy-ranges-allow", test_ioas_copy_ranges);
    ADD("ioas/options-vfio-ioas", test_ioas_options);
    ADD("ioas/map-file-change-process", test_ioas_map_file_change_process);
    ADD("probe", test_probe);
    ADD("hwpt/alloc-invalidate-info", test_hwpt);
    ADD("hwpt/invalidate-short", test_hwpt_invalidate_short);
    ADD("hwpt/dirty", test_dirty);
    ADD("faultq", test_faultq);
    ADD("viommu", test_viommu);
    ADD("vfio", test_vfio);
    ADD("off", test_off);
    /* a suite of its own, created last, so that it runs after all of /trace */
    tu_add_func("/trace-summary/all-events-fired", test_all_events_fired);
    int rc = g_test_run();

    iommufd_trace_enable("-*");
    iommufd_trace_set_sink(NULL, NULL);
    g_ptr_array_unref(lines);
    g_hash_table_unref(seen);
    return rc;
}
