/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Conformance of the backend's helpers: every output checked on success,
 * each documented failure with its errno, message and hint.  Runs on
 * whatever /dev/iommu it meets: the mock (preloaded by the suite's
 * environment, never linked) in either kernel model, or a real kernel with
 * CONFIG_IOMMUFD_TEST.  A command Linux 6.12 lacks is kernel-version
 * behaviour there: the test asserts its ENOTTY error and hint.  Mock-only
 * parts reach the fixtures API with dlsym(RTLD_DEFAULT, ...).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iommufd/backend.h"
#include "iommufd/trace.h"
#include "iommufd/vfio.h"
#include "tests/common/test-backend-info.h"
#include "uapi/linux/iommufd.h"
#include "../common/fd-check.h"

/* ---- fixture ------------------------------------------------------------ */

typedef struct {
    IOMMUFDBackend *be;
    int fd;
    IOMMUFDFeatures features;
    uint32_t ioas_id;
    /* a selftest mock device attached to ioas_id */
    uint32_t stdev_id, hwpt_id, dev_id;
    void *buf;
    size_t buf_size;
} Fixture;

#define BUF_SIZE (1u << 20)

static bool has(Fixture *f, unsigned int nr)
{
    return iommufd_features_has(&f->features, nr);
}

/*
 * The error of a helper whose command the kernel lacks (kernel-version
 * behaviour on 6.12 for the 6.13+ commands): ENOTTY, a message naming the
 * ioctl, a hint naming the release that added it.
 */
static void assert_enotty(IOMMUFDError **err, unsigned int nr)
{
    g_assert_nonnull(*err);
    g_assert_cmpint(iommufd_error_get_errno(*err), ==, ENOTTY);
    char *prefix = g_strdup_printf("%s(", iommufd_command_name(nr));
    char *hint = g_strdup_printf("lacks %s (added in Linux %s)", iommufd_command_name(nr),
                                 iommufd_command_since(nr));
    if (!g_str_has_prefix(iommufd_error_get_pretty(*err), prefix)) {
        g_error("message '%s' does not start with '%s'", iommufd_error_get_pretty(*err), prefix);
    }
    const char *h = iommufd_error_get_hint(*err);
    if (!h || !strstr(h, hint)) {
        g_error("hint '%s' lacks '%s'", h ? h : "(none)", hint);
    }
    g_free(prefix);
    g_free(hint);
    iommufd_error_free(*err);
    *err = NULL;
}

/* ---- the mock's fixtures API, when the mock is there (dlsym) ------------- */

static void *mock_sym(const char *name)
{
    return dlsym(RTLD_DEFAULT, name);
}

/* The kernel model of the mock; on a kernel, guessed from its commands. */
static bool model_612(Fixture *f)
{
    int (*get)(void) = (int (*)(void))mock_sym("iommufd_mock_get_kernel");
    if (get) {
        return get() == 1;  /* IOMMUFD_MOCK_KERNEL_6_12 */
    }
    return !has(f, IOMMUFD_CMD_VIOMMU_ALLOC);
}

/*
 * Proof that a call issues no ioctl: with every event on, a sink that
 * counts them must see none; on the mock, fail-Nth armed for the next
 * operation must not be reached.
 */
typedef struct {
    unsigned int events;
    void (*arm)(unsigned int, int);
    bool (*reached)(void);
    char first[256];
} NoIoctl;

static void count_sink(const char *event, const char *line, void *opaque)
{
    NoIoctl *n = opaque;
    /* the library's ioctl events (not trace control's own) */
    if (!g_str_has_prefix(event, "iommufd_backend_") && !g_str_has_prefix(event, "iommufd_vfio_")) {
        return;
    }
    if (n->events++ == 0) {
        g_strlcpy(n->first, line, sizeof(n->first));
    }
}

static void no_ioctl_begin(NoIoctl *n)
{
    n->events = 0;
    n->arm = (void (*)(unsigned int, int))mock_sym("iommufd_mock_fail_nth");
    n->reached = (bool (*)(void))mock_sym("iommufd_mock_fail_nth_reached");
    iommufd_trace_set_sink(count_sink, n);
    g_assert_cmpuint(iommufd_trace_enable("iommufd_*"), >, 0);
    if (n->arm) {
        n->arm(1, EIO);
    }
}

static void no_ioctl_end(NoIoctl *n)
{
    bool reached = n->reached ? n->reached() : false;
    if (n->arm) {
        n->arm(0, 0);
    }
    iommufd_trace_enable("-iommufd_*");
    iommufd_trace_set_sink(NULL, NULL);
    g_assert_false(reached);
    if (n->events) {
        g_error("%u events, the first: %s", n->events, n->first);
    }
}

/* A call refused before any ioctl: false, EINVAL, message prefix. */
#define EXPECT_BAD_ARG(call, prefix)                          \
    do {                                                      \
        NoIoctl n_;                                           \
        no_ioctl_begin(&n_);                                  \
        bool ok_ = (call);                                    \
        no_ioctl_end(&n_);                                    \
        g_assert_false(ok_);                                  \
        assert_error(&err, EINVAL, (prefix), NULL);           \
    } while (0)

static int mock_domain(int fd, uint32_t pt_id, uint32_t dev_flags, uint32_t *stdev_id,
                       uint32_t *hwpt_id, uint32_t *dev_id)
{
    struct iommu_test_cmd cmd = {
        .size = sizeof(cmd),
        .op = dev_flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS : IOMMU_TEST_OP_MOCK_DOMAIN,
        .id = pt_id,
    };
    cmd.mock_domain_flags.dev_flags = dev_flags;
    if (ioctl(fd, IOMMU_TEST_CMD, &cmd)) {
        return -errno;
    }
    *stdev_id = cmd.mock_domain.out_stdev_id;
    *hwpt_id = cmd.mock_domain.out_hwpt_id;
    *dev_id = cmd.mock_domain.out_idev_id;
    return 0;
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    (void)data;
    memset(f, 0, sizeof(*f));
    f->be = iommufd_backend_new();
    iommufd_backend_connect(f->be, &iommufd_error_abort);
    f->fd = iommufd_backend_get_fd(f->be);
    iommufd_backend_probe(f->be, &f->features, &iommufd_error_abort);
    iommufd_backend_alloc_ioas(f->be, &f->ioas_id, &iommufd_error_abort);
    g_assert_true(f->features.selftest);
    g_assert_cmpint(mock_domain(f->fd, f->ioas_id, 0, &f->stdev_id, &f->hwpt_id, &f->dev_id),
                    ==, 0);
    f->buf_size = BUF_SIZE;
    f->buf = mmap(NULL, f->buf_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_true(f->buf != MAP_FAILED);
    memset(f->buf, 0x5a, f->buf_size);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    iommufd_backend_disconnect(f->be);
    g_assert_cmpuint(iommufd_backend_get_users(f->be), ==, 0);
    g_object_unref(f->be);
    munmap(f->buf, f->buf_size);
}

static void assert_error(IOMMUFDError **err, int errnum, const char *msg_prefix,
                         const char *hint_part)
{
    g_assert_nonnull(*err);
    g_assert_cmpint(iommufd_error_get_errno(*err), ==, errnum);
    if (msg_prefix && !g_str_has_prefix(iommufd_error_get_pretty(*err), msg_prefix)) {
        g_error("message '%s' does not start with '%s'", iommufd_error_get_pretty(*err),
                msg_prefix);
    }
    if (hint_part) {
        const char *hint = iommufd_error_get_hint(*err);
        if (!hint || !strstr(hint, hint_part)) {
            g_error("hint '%s' lacks '%s'", hint ? hint : "(none)", hint_part);
        }
    }
    iommufd_error_free(*err);
    *err = NULL;
}

/* ---- the object --------------------------------------------------------- */

static void test_connect_owned(void)
{
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new();
    IOMMUFDError *err = NULL;

    g_assert_true(iommufd_backend_connect(be, &err));
    g_assert_null(err);
    int fd = iommufd_backend_get_fd(be);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(fcntl(fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
    g_assert_true(iommufd_backend_connect(be, &err));
    g_assert_cmpint(iommufd_backend_get_fd(be), ==, fd);     /* opened once */
    g_assert_cmpuint(iommufd_backend_get_users(be), ==, 2);
    iommufd_backend_disconnect(be);
    g_assert_cmpint(iommufd_backend_get_fd(be), ==, fd);     /* still a user */
    iommufd_backend_disconnect(be);
    g_assert_cmpint(iommufd_backend_get_fd(be), ==, -1);     /* closed */
    g_assert_cmpuint(iommufd_backend_get_users(be), ==, 0);
}

static void test_connect_handed_fd(void)
{
    int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    IOMMUFDBackend *be = iommufd_backend_new_from_fd(fd);
    g_assert_true(iommufd_backend_connect(be, &iommufd_error_abort));
    uint32_t ioas;
    g_assert_true(iommufd_backend_alloc_ioas(be, &ioas, &iommufd_error_abort));
    iommufd_backend_disconnect(be);
    g_object_unref(be);
    /* never closed by the backend: still open, still usable */
    g_assert_cmpint(fcntl(fd, F_GETFD), !=, -1);
    struct iommu_destroy d = { .size = sizeof(d), .id = ioas };
    g_assert_cmpint(ioctl(fd, IOMMU_DESTROY, &d), ==, 0);
    close(fd);
}

/* ---- IOAS --------------------------------------------------------------- */

static void test_alloc_free(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint32_t a = 0, b = 0;

    g_assert_true(iommufd_backend_alloc_ioas(f->be, &a, &err));
    g_assert_true(iommufd_backend_alloc_ioas(f->be, &b, &err));
    g_assert_null(err);
    g_assert_cmpuint(a, >=, 1);
    g_assert_cmpuint(b, !=, a);
    g_assert_true(iommufd_backend_free_id(f->be, a, &err));
    g_assert_false(iommufd_backend_free_id(f->be, a, &err));
    char *want = g_strdup_printf("IOMMU_DESTROY(id %u) failed: No such file or directory", a);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==, want);
    g_free(want);
    assert_error(&err, ENOENT, NULL, NULL);
    /* an IOAS with an attached device is busy */
    g_assert_false(iommufd_backend_free_id(f->be, f->ioas_id, &err));
    assert_error(&err, EBUSY, "IOMMU_DESTROY(id ", "still references");
    g_assert_true(iommufd_backend_free_id(f->be, b, &err));
    g_assert_false(iommufd_backend_alloc_ioas(f->be, NULL, &err));
    assert_error(&err, EINVAL, "IOMMU_IOAS_ALLOC: ioas_id must not be NULL", NULL);
}

static void test_map_unmap(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint64_t iova = MOCK_APERTURE_START, unmapped = 1;

    g_assert_true(iommufd_backend_map_dma(f->be, f->ioas_id, iova, 65536, f->buf, false, &err));
    g_assert_null(err);
    /* the same IOVA again: taken */
    g_assert_false(iommufd_backend_map_dma(f->be, f->ioas_id, iova, 65536, f->buf, false, &err));
    assert_error(&err, EEXIST, "IOMMU_IOAS_MAP(ioas_id ", NULL);
    g_assert_true(iommufd_backend_unmap_dma(f->be, f->ioas_id, iova, 65536, &unmapped, &err));
    g_assert_cmpuint(unmapped, ==, 65536);
    /* nothing there any more: success, 0 bytes (QEMU's convention) */
    unmapped = 1;
    g_assert_true(iommufd_backend_unmap_dma(f->be, f->ioas_id, iova, 65536, &unmapped, &err));
    g_assert_null(err);
    g_assert_cmpuint(unmapped, ==, 0);

    /* unmap all */
    g_assert_true(iommufd_backend_map_dma(f->be, f->ioas_id, iova, 8192, f->buf, true, &err));
    g_assert_true(iommufd_backend_map_dma(f->be, f->ioas_id, iova + 65536, 8192, f->buf, false,
                                          &err));
    g_assert_true(iommufd_backend_unmap_dma(f->be, f->ioas_id, 0, UINT64_MAX, &unmapped, &err));
    g_assert_cmpuint(unmapped, ==, 16384);

    /* arguments wrong before any ioctl */
    g_assert_false(iommufd_backend_map_dma(f->be, f->ioas_id, iova, 0, f->buf, false, &err));
    assert_error(&err, EINVAL, "IOMMU_IOAS_MAP(ioas_id ", NULL);
    g_assert_false(iommufd_backend_map_dma(f->be, f->ioas_id, iova, 4096, NULL, false, &err));
    assert_error(&err, EINVAL, NULL, NULL);
    g_assert_false(iommufd_backend_unmap_dma(f->be, f->ioas_id, iova, 0, NULL, &err));
    assert_error(&err, EINVAL, NULL, NULL);
    /* an IOAS that does not exist */
    g_assert_false(iommufd_backend_map_dma(f->be, 9999, iova, 4096, f->buf, false, &err));
    assert_error(&err, ENOENT, "IOMMU_IOAS_MAP(ioas_id 9999, ", NULL);
}

static void test_map_efault(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    size_t len = 65536;
    void *gone = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_true(gone != MAP_FAILED);

    /* read-only memory mapped writable */
    g_assert_false(iommufd_backend_map_dma(f->be, f->ioas_id, MOCK_APERTURE_START, len, gone,
                                           false, &err));
    assert_error(&err, EFAULT, "IOMMU_IOAS_MAP(", "dma-buf");
    /* read-only is fine for a read-only mapping */
    g_assert_true(iommufd_backend_map_dma(f->be, f->ioas_id, MOCK_APERTURE_START, len, gone,
                                          true, &err));
    g_assert_true(iommufd_backend_unmap_dma(f->be, f->ioas_id, MOCK_APERTURE_START, len, NULL,
                                            &err));
    /* memory that is not mapped at all */
    munmap(gone, len);
    g_assert_false(iommufd_backend_map_dma(f->be, f->ioas_id, MOCK_APERTURE_START, len, gone,
                                           true, &err));
    assert_error(&err, EFAULT, "IOMMU_IOAS_MAP(", "not mapped");
}

static void test_map_auto_ranges(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    IOMMUFDIovaRange *r = NULL;
    uint32_t n = 0;
    uint64_t align = 0, iova = 0;

    g_assert_true(iommufd_backend_get_iova_ranges(f->be, f->ioas_id, &r, &n, &align, &err));
    g_assert_null(err);
    g_assert_cmpuint(n, >=, 1);
    g_assert_cmpuint(align, >, 0);
    g_assert_cmpuint(align & (align - 1), ==, 0);
    /* a mock domain is attached: everything inside its aperture */
    for (uint32_t i = 0; i < n; i++) {
        g_assert_cmpuint(r[i].start, >=, MOCK_APERTURE_START);
        g_assert_cmpuint(r[i].last, <=, MOCK_APERTURE_LAST);
        g_assert_cmpuint(r[i].start, <=, r[i].last);
    }

    /* the same ranges into the caller's array, without an allocation */
    IOMMUFDIovaRange into[8];
    uint32_t n_into = 0;
    uint64_t align_into = 0;
    g_assert_cmpuint(n, <=, G_N_ELEMENTS(into));
    g_assert_true(iommufd_backend_get_iova_ranges_into(f->be, f->ioas_id, into, G_N_ELEMENTS(into),
                                                       &n_into, &align_into, &err));
    g_assert_null(err);
    g_assert_cmpuint(n_into, ==, n);
    g_assert_cmpuint(align_into, ==, align);
    g_assert_cmpmem(into, n * sizeof(*into), r, n * sizeof(*r));
    /* capacity 0: only the count; capacity 1: the first range and the count */
    n_into = 0;
    g_assert_true(iommufd_backend_get_iova_ranges_into(f->be, f->ioas_id, NULL, 0, &n_into, NULL,
                                                       &err));
    g_assert_cmpuint(n_into, ==, n);
    memset(into, 0xa5, sizeof(into));
    g_assert_true(iommufd_backend_get_iova_ranges_into(f->be, f->ioas_id, into, 1, &n_into, NULL,
                                                       &err));
    g_assert_cmpuint(n_into, ==, n);
    g_assert_cmpmem(&into[0], sizeof(into[0]), &r[0], sizeof(r[0]));
    g_assert_cmphex(into[1].start, ==, 0xa5a5a5a5a5a5a5a5ull);  /* nothing past the capacity */
    g_assert_false(iommufd_backend_get_iova_ranges_into(f->be, 9999, into, 8, &n_into, NULL,
                                                        &err));
    assert_error(&err, ENOENT, "IOMMU_IOAS_IOVA_RANGES(ioas_id 9999", NULL);
    g_free(r);

    g_assert_true(iommufd_backend_map_dma_auto(f->be, f->ioas_id, 65536, f->buf, false, &iova,
                                               &err));
    g_assert_cmpuint(iova % align, ==, 0);
    g_assert_cmpuint(iova, >=, MOCK_APERTURE_START);
    g_assert_cmpuint(iova + 65535, <=, MOCK_APERTURE_LAST);

    /* allow only a window: the next kernel-chosen IOVA lands in it */
    IOMMUFDIovaRange win = { .start = 0x40000000, .last = 0x40ffffff };
    g_assert_true(iommufd_backend_allow_iovas(f->be, f->ioas_id, &win, 1, &err));
    uint64_t iova2 = 0;
    g_assert_true(iommufd_backend_map_dma_auto(f->be, f->ioas_id, 65536, f->buf, false, &iova2,
                                               &err));
    g_assert_cmpuint(iova2, >=, win.start);
    g_assert_cmpuint(iova2 + 65535, <=, win.last);
    /* overlapping ranges are rejected */
    IOMMUFDIovaRange bad[2] = { { 0x1000000, 0x2ffffff }, { 0x2000000, 0x3ffffff } };
    g_assert_false(iommufd_backend_allow_iovas(f->be, f->ioas_id, bad, 2, &err));
    assert_error(&err, EINVAL, "IOMMU_IOAS_ALLOW_IOVAS(ioas_id ", NULL);
    g_assert_false(iommufd_backend_allow_iovas(f->be, f->ioas_id, NULL, 2, &err));
    assert_error(&err, EINVAL, NULL, NULL);

    g_assert_false(iommufd_backend_get_iova_ranges(f->be, 9999, &r, &n, NULL, &err));
    assert_error(&err, ENOENT, "IOMMU_IOAS_IOVA_RANGES(ioas_id 9999", NULL);
}

static void test_copy(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint32_t dst;

    g_assert_true(iommufd_backend_alloc_ioas(f->be, &dst, &err));
    g_assert_true(iommufd_backend_map_dma(f->be, f->ioas_id, MOCK_APERTURE_START, 65536, f->buf,
                                          false, &err));
    g_assert_true(iommufd_backend_copy_dma(f->be, f->ioas_id, MOCK_APERTURE_START, dst,
                                           0x100000, 65536, false, &err));
    g_assert_null(err);
    uint64_t unmapped = 0;
    g_assert_true(iommufd_backend_unmap_dma(f->be, dst, 0x100000, 65536, &unmapped, &err));
    g_assert_cmpuint(unmapped, ==, 65536);
    /* nothing mapped at the source */
    g_assert_false(iommufd_backend_copy_dma(f->be, f->ioas_id, MOCK_APERTURE_START + 0x100000,
                                            dst, 0x100000, 65536, false, &err));
    assert_error(&err, ENOENT, "IOMMU_IOAS_COPY(src_ioas_id ", NULL);
    g_assert_true(iommufd_backend_free_id(f->be, dst, &err));
}

static void test_options(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint64_t val = 99;

    g_assert_true(iommufd_backend_get_option(f->be, IOMMUFD_OPTION_HUGE_PAGES, f->ioas_id, &val,
                                             &err));
    g_assert_cmpuint(val, ==, 1);
    g_assert_true(iommufd_backend_set_option(f->be, IOMMUFD_OPTION_HUGE_PAGES, f->ioas_id, 0,
                                             &err));
    g_assert_true(iommufd_backend_get_option(f->be, IOMMUFD_OPTION_HUGE_PAGES, f->ioas_id, &val,
                                             &err));
    g_assert_cmpuint(val, ==, 0);
    g_assert_true(iommufd_backend_get_option(f->be, IOMMUFD_OPTION_RLIMIT_MODE, 0, &val, &err));
    g_assert_cmpuint(val, ==, 0);
    g_assert_null(err);
    /* an option that does not exist */
    g_assert_false(iommufd_backend_get_option(f->be, 77, 0, &val, &err));
    assert_error(&err, EOPNOTSUPP, "IOMMU_OPTION(option_id 77, op get", "does not support");
    g_assert_false(iommufd_backend_get_option(f->be, IOMMUFD_OPTION_HUGE_PAGES, 0, NULL, &err));
    assert_error(&err, EINVAL, NULL, NULL);
}

static void test_vfio_ioas(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint32_t id = 0;

    /* no compat IOAS: the kernel's iommufd_vfio_ioas answers ENODEV */
    g_assert_false(iommufd_backend_get_vfio_ioas(f->be, &id, &err));
    assert_error(&err, ENODEV, "IOMMU_VFIO_IOAS(op get", NULL);
    g_assert_true(iommufd_backend_set_vfio_ioas(f->be, f->ioas_id, &err));
    g_assert_true(iommufd_backend_get_vfio_ioas(f->be, &id, &err));
    g_assert_cmpuint(id, ==, f->ioas_id);
    g_assert_true(iommufd_backend_clear_vfio_ioas(f->be, &err));
    g_assert_false(iommufd_backend_get_vfio_ioas(f->be, &id, &err));
    assert_error(&err, ENODEV, NULL, NULL);
}

static void test_map_file_change_process(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;

    g_assert_cmpint(iommufd_backend_change_process_capable(f->be), ==,
                    has(f, IOMMUFD_CMD_IOAS_CHANGE_PROCESS));
    if (!has(f, IOMMUFD_CMD_IOAS_MAP_FILE)) {
        /* kernel-version behaviour (6.12): both commands answer ENOTTY */
        g_assert_false(has(f, IOMMUFD_CMD_IOAS_CHANGE_PROCESS));
        int mfd = memfd_create("guest-ram", MFD_CLOEXEC);
        g_assert_cmpint(ftruncate(mfd, 1 << 20), ==, 0);
        g_assert_false(iommufd_backend_map_file_dma(f->be, f->ioas_id, MOCK_APERTURE_START,
                                                    65536, mfd, 0, false, &err));
        assert_enotty(&err, IOMMUFD_CMD_IOAS_MAP_FILE);
        g_assert_false(iommufd_backend_change_process(f->be, &err));
        assert_enotty(&err, IOMMUFD_CMD_IOAS_CHANGE_PROCESS);
        close(mfd);
        return;
    }
    int mfd = memfd_create("guest-ram", MFD_CLOEXEC);
    g_assert_cmpint(ftruncate(mfd, 1 << 20), ==, 0);
    g_assert_true(iommufd_backend_map_file_dma(f->be, f->ioas_id, MOCK_APERTURE_START, 65536,
                                               mfd, 4096, false, &err));
    g_assert_null(err);
    g_assert_true(iommufd_backend_change_process(f->be, &err));
    g_assert_null(err);
    /* a mapping of plain memory makes the hand-over impossible */
    g_assert_true(iommufd_backend_map_dma(f->be, f->ioas_id, MOCK_APERTURE_START + 0x100000,
                                          65536, f->buf, false, &err));
    g_assert_false(iommufd_backend_change_process(f->be, &err));
    assert_error(&err, EINVAL, "IOMMU_IOAS_CHANGE_PROCESS(", "map_file_dma");
    close(mfd);
    g_assert_false(iommufd_backend_map_file_dma(f->be, f->ioas_id, MOCK_APERTURE_START, 65536,
                                                -1, 0, false, &err));
    assert_error(&err, EINVAL, NULL, NULL);
}

static void test_probe(Fixture *f, gconstpointer data)
{
    (void)data;
    /* every kernel with iommufd has 6.2's commands */
    for (unsigned int nr = IOMMUFD_CMD_DESTROY; nr <= IOMMUFD_CMD_VFIO_IOAS; nr++) {
        g_assert_true(has(f, nr));
    }
    g_assert_true(has(f, IOMMUFD_CMD_FAULT_QUEUE_ALLOC));
    /* the 6.13 group comes together */
    bool v613 = has(f, IOMMUFD_CMD_VIOMMU_ALLOC);
    g_assert_cmpint(has(f, IOMMUFD_CMD_IOAS_MAP_FILE), ==, v613);
    g_assert_cmpint(has(f, IOMMUFD_CMD_VDEVICE_ALLOC), ==, v613);
    g_assert_cmpint(has(f, IOMMUFD_CMD_IOAS_CHANGE_PROCESS), ==, v613);
    g_assert_false(has(f, 0x9f));
    g_assert_cmpstr(iommufd_command_name(IOMMUFD_CMD_IOAS_MAP), ==, "IOMMU_IOAS_MAP");
    g_assert_cmpstr(iommufd_command_since(IOMMUFD_CMD_VEVENTQ_ALLOC), ==, "6.15");
    g_assert_null(iommufd_command_name(0x7f));
    /*
     * The probe creates nothing: ids come from the lowest free one (the
     * kernel's xarray, XA_FLAGS_ALLOC1), so the id freed just before a second
     * probe is the id the next object gets after it.  And it answers the same.
     */
    uint32_t before, after;
    IOMMUFDFeatures again;
    g_assert_true(iommufd_backend_alloc_ioas(f->be, &before, &iommufd_error_abort));
    g_assert_true(iommufd_backend_free_id(f->be, before, &iommufd_error_abort));
    g_assert_true(iommufd_backend_probe(f->be, &again, &iommufd_error_abort));
    g_assert_cmphex(again.commands, ==, f->features.commands);
    g_assert_cmpint(again.selftest, ==, f->features.selftest);
    g_assert_true(iommufd_backend_alloc_ioas(f->be, &after, &iommufd_error_abort));
    g_assert_cmpuint(after, ==, before);
    g_assert_true(iommufd_backend_free_id(f->be, after, &iommufd_error_abort));
}

/* ---- HWPT --------------------------------------------------------------- */

static void test_hw_info(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    struct iommu_test_hw_info info;
    uint32_t type = 0, len = 0;
    uint64_t caps = 0;
    uint8_t pasid = 99;

    memset(&info, 0xff, sizeof(info));
    g_assert_true(iommufd_backend_get_device_info(f->be, f->dev_id, &type, &info, sizeof(info),
                                                  &caps, &pasid, &len, &err));
    g_assert_null(err);
    g_assert_cmpuint(type, ==, IOMMU_HW_INFO_TYPE_SELFTEST);
    g_assert_cmpuint(info.test_reg, ==, IOMMU_HW_INFO_SELFTEST_REGVAL);
    g_assert_cmpuint(info.flags, ==, 0);
    g_assert_cmpuint(len, ==, sizeof(info));
    g_assert_true(caps & IOMMU_HW_CAP_DIRTY_TRACKING);
    g_assert_cmpuint(pasid, ==, 0);

    /* a larger buffer: the rest is zero-filled */
    uint8_t big[32];
    memset(big, 0xaa, sizeof(big));
    type = 0;
    g_assert_true(iommufd_backend_get_device_info(f->be, f->dev_id, &type, big, sizeof(big),
                                                  NULL, NULL, &len, &err));
    g_assert_cmpuint(len, ==, sizeof(info));
    for (size_t i = sizeof(info); i < sizeof(big); i++) {
        g_assert_cmpuint(big[i], ==, 0);
    }
    /* a size probe */
    type = 0;
    g_assert_true(iommufd_backend_get_device_info(f->be, f->dev_id, &type, NULL, 0, NULL, NULL,
                                                  &len, &err));
    g_assert_cmpuint(len, ==, sizeof(info));

    type = 0;
    g_assert_false(iommufd_backend_get_device_info(f->be, 9999, &type, NULL, 0, NULL, NULL,
                                                   NULL, &err));
    assert_error(&err, ENOENT, "IOMMU_GET_HW_INFO(dev_id 9999", NULL);
    g_assert_false(iommufd_backend_get_device_info(f->be, f->dev_id, &type, NULL, 8, NULL, NULL,
                                                   NULL, &err));
    assert_error(&err, EINVAL, NULL, NULL);
}

static void test_hwpt_alloc(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint32_t parent = 0, nested = 0, paging = 0;

    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id, 0, 0, 0, NULL, 0,
                                             &paging, &err));
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id,
                                             IOMMUFD_HWPT_ALLOC_NEST_PARENT, 0, 0, NULL, 0,
                                             &parent, &err));
    g_assert_null(err);
    g_assert_cmpuint(parent, !=, paging);
    struct iommu_hwpt_selftest data_s = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, parent, 0,
                                             IOMMU_HWPT_DATA_SELFTEST, 4, &data_s, 0, &nested,
                                             &err));
    g_assert_null(err);
    /* the parent is busy while the nested HWPT lives */
    g_assert_false(iommufd_backend_free_id(f->be, parent, &err));
    assert_error(&err, EBUSY, NULL, NULL);
    /* nested on a paging HWPT that is not a parent */
    g_assert_false(iommufd_backend_alloc_hwpt(f->be, f->dev_id, paging, 0,
                                              IOMMU_HWPT_DATA_SELFTEST, 4, &data_s, 0, &nested,
                                              &err));
    assert_error(&err, EINVAL, "IOMMU_HWPT_ALLOC(dev_id ", NULL);
    /* data without a length, before any ioctl */
    g_assert_false(iommufd_backend_alloc_hwpt(f->be, f->dev_id, parent, 0,
                                              IOMMU_HWPT_DATA_SELFTEST, 4, NULL, 0, &nested,
                                              &err));
    assert_error(&err, EINVAL, NULL, NULL);
    /* unknown flags */
    g_assert_false(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id, 1u << 30, 0, 0,
                                              NULL, 0, &paging, &err));
    assert_error(&err, EOPNOTSUPP, "IOMMU_HWPT_ALLOC(", "does not support");
    g_assert_true(iommufd_backend_free_id(f->be, nested, &err));
    g_assert_true(iommufd_backend_free_id(f->be, parent, &err));
}

/*
 * The selftest's DIRTY op marks the pages of `page` bytes whose bits are set
 * in `bits`.  It is issued at the mock domain's own 2 KiB granularity: Linux
 * 6.12's selftest indexes its IOPTEs by iova / 2 KiB but looks them up by
 * iova / page_size, so any other page size marks the wrong IOPTEs there.
 */
static int mark_dirty(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, uint64_t page,
                      const uint64_t *bits)
{
    const uint64_t io_page = 2048, per = page / io_page;
    uint64_t n = len / io_page;
    g_autofree uint64_t *fine = g_new0(uint64_t, (n + 63) / 64);
    struct iommu_test_cmd cmd = { .size = sizeof(cmd), .op = IOMMU_TEST_OP_DIRTY, .id = hwpt };

    for (uint64_t i = 0; i < len / page; i++) {
        if (bits[i / 64] & (1ull << (i % 64))) {
            for (uint64_t j = i * per; j < (i + 1) * per; j++) {
                fine[j / 64] |= 1ull << (j % 64);
            }
        }
    }
    cmd.dirty.iova = iova;
    cmd.dirty.length = len;
    cmd.dirty.page_size = io_page;
    cmd.dirty.uptr = (uintptr_t)fine;
    return ioctl(fd, IOMMU_TEST_CMD, &cmd) ? -errno : 0;
}

static void test_dirty_tracking(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint32_t hwpt = 0, stdev, dhwpt, dev;
    const uint64_t page = 4096, iova = MOCK_APERTURE_START, len = 64 * 4096;

    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id,
                                             IOMMUFD_HWPT_ALLOC_DIRTY_TRACKING, 0, 0, NULL, 0,
                                             &hwpt, &err));
    g_assert_null(err);
    g_assert_cmpint(mock_domain(f->fd, hwpt, 0, &stdev, &dhwpt, &dev), ==, 0);
    g_assert_cmpuint(dhwpt, ==, hwpt);
    g_assert_true(iommufd_backend_map_dma(f->be, f->ioas_id, iova, len, f->buf, false, &err));
    g_assert_true(iommufd_backend_set_dirty_tracking(f->be, hwpt, true, &err));

    /* the selftest marks pages 0, 5 and 63 dirty */
    uint64_t mark = (1ull << 0) | (1ull << 5) | (1ull << 63);
    g_assert_cmpint(mark_dirty(f->fd, hwpt, iova, len, page, &mark), ==, 0);

    g_assert_cmpuint(iommufd_dirty_bitmap_size(len, page), ==, 8);
    uint64_t bitmap = 0;
    g_assert_true(iommufd_backend_get_dirty_bitmap(f->be, hwpt, iova, len, page, &bitmap,
                                                   IOMMUFD_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, &err));
    g_assert_cmphex(bitmap, ==, mark);
    bitmap = 0;
    g_assert_true(iommufd_backend_get_dirty_bitmap(f->be, hwpt, iova, len, page, &bitmap, 0,
                                                   &err));
    g_assert_cmphex(bitmap, ==, mark);
    bitmap = 0;     /* cleared by the previous read */
    g_assert_true(iommufd_backend_get_dirty_bitmap(f->be, hwpt, iova, len, page, &bitmap, 0,
                                                   &err));
    g_assert_cmphex(bitmap, ==, 0);
    g_assert_null(err);

    /* misaligned */
    g_assert_false(iommufd_backend_get_dirty_bitmap(f->be, hwpt, iova + 512, len, page, &bitmap,
                                                    0, &err));
    assert_error(&err, EINVAL, "IOMMU_HWPT_GET_DIRTY_BITMAP(hwpt_id ", "aligned");
    g_assert_false(iommufd_backend_get_dirty_bitmap(f->be, hwpt, iova, 0, page, &bitmap, 0,
                                                    &err));
    assert_error(&err, EINVAL, NULL, NULL);
    g_assert_true(iommufd_backend_set_dirty_tracking(f->be, hwpt, false, &err));
    /* a HWPT that does not exist */
    g_assert_false(iommufd_backend_set_dirty_tracking(f->be, 9999, true, &err));
    assert_error(&err, ENOENT, "IOMMU_HWPT_SET_DIRTY_TRACKING(hwpt_id 9999, start) failed",
                 NULL);
    g_assert_false(iommufd_backend_get_dirty_bitmap(f->be, 9999, iova, len, page, &bitmap, 0,
                                                    &err));
    assert_error(&err, ENOENT, "IOMMU_HWPT_GET_DIRTY_BITMAP(hwpt_id 9999, ", NULL);
    g_assert_true(iommufd_backend_unmap_dma(f->be, f->ioas_id, iova, len, NULL, &err));
    struct iommu_destroy d = { .size = sizeof(d), .id = stdev };
    g_assert_cmpint(ioctl(f->fd, IOMMU_DESTROY, &d), ==, 0);
    g_assert_true(iommufd_backend_free_id(f->be, hwpt, &err));

    /* a device without dirty tracking */
    g_assert_cmpint(mock_domain(f->fd, f->ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY, &stdev, &dhwpt,
                                &dev), ==, 0);
    g_assert_false(iommufd_backend_alloc_hwpt(f->be, dev, f->ioas_id,
                                              IOMMUFD_HWPT_ALLOC_DIRTY_TRACKING, 0, 0, NULL, 0,
                                              &hwpt, &err));
    assert_error(&err, EOPNOTSUPP, "IOMMU_HWPT_ALLOC(dev_id ", NULL);
}

static void test_invalidate(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint32_t parent, nested;
    struct iommu_hwpt_selftest data_s = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };

    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id,
                                             IOMMUFD_HWPT_ALLOC_NEST_PARENT, 0, 0, NULL, 0,
                                             &parent, &err));
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, parent, 0,
                                             IOMMU_HWPT_DATA_SELFTEST, 4, &data_s, 0, &nested,
                                             &err));
    struct iommu_hwpt_invalidate_selftest inv[3] = {
        { .iotlb_id = 0 }, { .iotlb_id = 1 }, { .iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1 },
    };
    uint32_t num = 2;
    g_assert_true(iommufd_backend_invalidate_cache(f->be, nested,
                                                   IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                                                   sizeof(inv[0]), &num, inv, &err));
    g_assert_null(err);
    g_assert_cmpuint(num, ==, 2);
    /* the third entry is bad: two handled, then EINVAL, entry_num written back */
    num = 3;
    g_assert_false(iommufd_backend_invalidate_cache(f->be, nested,
                                                    IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                                                    sizeof(inv[0]), &num, inv, &err));
    g_assert_cmpuint(num, ==, 2);
    /* the message names both counts */
    char *want = g_strdup_printf("IOMMU_HWPT_INVALIDATE(id %u, data_type 0x%x, entry_len %zu, "
                                 "entry_num 3, handled 2) failed: Invalid argument", nested,
                                 IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, sizeof(inv[0]));
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==, want);
    g_free(want);
    assert_error(&err, EINVAL, NULL, NULL);
    /* entry_num 0 only checks the type */
    num = 0;
    g_assert_true(iommufd_backend_invalidate_cache(f->be, nested,
                                                   IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                                                   sizeof(inv[0]), &num, NULL, &err));
    /* a data type the HWPT's driver does not take: EINVAL, as the kernel's
     * copy from the user array answers a type mismatch */
    g_assert_false(iommufd_backend_invalidate_cache(f->be, nested, 0x1234, sizeof(inv[0]), &num,
                                                    NULL, &err));
    assert_error(&err, EINVAL, "IOMMU_HWPT_INVALIDATE(id ", NULL);
    g_assert_true(iommufd_backend_free_id(f->be, nested, &err));
    g_assert_true(iommufd_backend_free_id(f->be, parent, &err));
}

/* ---- virtualisation ----------------------------------------------------- */

static void test_faultq(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint32_t fault_id = 0;
    int fault_fd = -1;

    if (!has(f, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)) {
        g_assert_false(iommufd_backend_alloc_faultq(f->be, &fault_id, &fault_fd, &err));
        assert_enotty(&err, IOMMUFD_CMD_FAULT_QUEUE_ALLOC);
        return;
    }
    g_assert_true(iommufd_backend_alloc_faultq(f->be, &fault_id, &fault_fd, &err));
    g_assert_null(err);
    g_assert_cmpuint(fault_id, >=, 1);
    g_assert_cmpint(fault_fd, >=, 0);
    g_assert_cmpint(fcntl(fault_fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
    /* the fd holds the queue: destroy after closing it */
    close(fault_fd);
    g_assert_true(iommufd_backend_free_id(f->be, fault_id, &err));
    g_assert_null(err);
    g_assert_false(iommufd_backend_alloc_faultq(f->be, NULL, &fault_fd, &err));
    assert_error(&err, EINVAL, NULL, NULL);
}

static void test_viommu_path(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint32_t parent, viommu, vdev, veventq;
    int veventq_fd;

    if (!has(f, IOMMUFD_CMD_VIOMMU_ALLOC)) {
        /* kernel-version behaviour (6.12): the whole 6.13+ group is ENOTTY */
        g_assert_false(has(f, IOMMUFD_CMD_VDEVICE_ALLOC));
        g_assert_false(iommufd_backend_alloc_viommu(f->be, f->dev_id, IOMMU_VIOMMU_TYPE_SELFTEST,
                                                    f->hwpt_id, NULL, 0, &viommu, &err));
        assert_enotty(&err, IOMMUFD_CMD_VIOMMU_ALLOC);
        g_assert_false(iommufd_backend_alloc_vdev(f->be, f->dev_id, 1, 0x42, &vdev, &err));
        assert_enotty(&err, IOMMUFD_CMD_VDEVICE_ALLOC);
        g_assert_false(iommufd_backend_alloc_veventq(f->be, 1, IOMMU_VEVENTQ_TYPE_SELFTEST, 16,
                                                     &veventq, &veventq_fd, &err));
        assert_enotty(&err, IOMMUFD_CMD_VEVENTQ_ALLOC);
        uint32_t q;
        g_assert_false(iommufd_backend_alloc_hw_queue(f->be, 1, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0,
                                                      MOCK_APERTURE_START, 4096, &q, &err));
        assert_enotty(&err, IOMMUFD_CMD_HW_QUEUE_ALLOC);
        /* and /dev/iommu cannot be mmapped (6.12's fops have no mmap) */
        void *p = NULL;
        g_assert_false(iommufd_backend_viommu_mmap(f->be, 1, 4096, 0, &p, &err));
        assert_error(&err, ENODEV, "mmap of vIOMMU 1 (size 0x1000, offset 0x0) failed", NULL);
        g_assert_null(p);
        return;
    }
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id,
                                             IOMMUFD_HWPT_ALLOC_NEST_PARENT, 0, 0, NULL, 0,
                                             &parent, &err));
    struct iommu_viommu_selftest vdata = { .in_data = 0xabcd };
    g_assert_true(iommufd_backend_alloc_viommu(f->be, f->dev_id, IOMMU_VIOMMU_TYPE_SELFTEST,
                                               parent, &vdata, sizeof(vdata), &viommu, &err));
    g_assert_null(err);
    g_assert_cmpuint(vdata.out_data, ==, 0xabcd);
    g_assert_true(iommufd_backend_alloc_vdev(f->be, f->dev_id, viommu, 0x42, &vdev, &err));
    g_assert_false(iommufd_backend_alloc_vdev(f->be, f->dev_id, viommu, 0x43, &vdev, &err));
    assert_error(&err, EEXIST, "IOMMU_VDEVICE_ALLOC(dev_id ", NULL);
    if (vdata.out_mmap_length) {
        void *p = NULL;
        g_assert_true(iommufd_backend_viommu_mmap(f->be, viommu, vdata.out_mmap_length,
                                                  vdata.out_mmap_offset, &p, &err));
        g_assert_nonnull(p);
        g_assert_true(iommufd_backend_viommu_munmap(f->be, p, vdata.out_mmap_length, &err));
    }
    if (has(f, IOMMUFD_CMD_VEVENTQ_ALLOC)) {
        g_assert_true(iommufd_backend_alloc_veventq(f->be, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST,
                                                    16, &veventq, &veventq_fd, &err));
        g_assert_null(err);
        g_assert_cmpint(fcntl(veventq_fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
        int fd2;
        uint32_t id2;
        g_assert_false(iommufd_backend_alloc_veventq(f->be, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST,
                                                     16, &id2, &fd2, &err));
        assert_error(&err, EEXIST, "IOMMU_VEVENTQ_ALLOC(viommu_id ", "one event queue per type");
        g_assert_false(iommufd_backend_alloc_veventq(f->be, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST,
                                                     0, &id2, &fd2, &err));
        assert_error(&err, EINVAL, NULL, NULL);
        close(veventq_fd);
        g_assert_true(iommufd_backend_free_id(f->be, veventq, &err));
    }
    g_assert_true(iommufd_backend_free_id(f->be, vdev, &err));
    g_assert_true(iommufd_backend_free_id(f->be, viommu, &err));
    g_assert_true(iommufd_backend_free_id(f->be, parent, &err));
    g_assert_null(err);
}

/* ---- the object: properties, connect, failures ---------------------------- */

static int count_open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    g_assert_nonnull(d);
    while (readdir(d)) {
        n++;
    }
    closedir(d);
    return n;
}

static void test_properties(void)
{
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new();
    int fd = 0;
    char *path = NULL;
    gboolean owned = FALSE;
    guint users = 9;

    g_object_get(be, "fd", &fd, "path", &path, "owned", &owned, "users", &users, NULL);
    g_assert_cmpint(fd, ==, -1);
    g_assert_cmpstr(path, ==, "/dev/iommu");
    g_assert_true(owned);
    g_assert_cmpuint(users, ==, 0);
    g_free(path);
    g_assert_true(iommufd_backend_is_owned(be));
    g_assert_true(iommufd_backend_connect(be, &iommufd_error_abort));
    g_object_get(be, "fd", &fd, "users", &users, NULL);
    g_assert_cmpint(fd, ==, iommufd_backend_get_fd(be));
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpuint(users, ==, 1);
    iommufd_backend_disconnect(be);
    iommufd_backend_disconnect(be);     /* one too many: stays at 0 */
    g_object_get(be, "fd", &fd, "users", &users, NULL);
    g_assert_cmpint(fd, ==, -1);
    g_assert_cmpuint(users, ==, 0);
    iommufd_backend_disconnect(NULL);   /* ignored */
    g_assert_cmpint(iommufd_backend_get_fd(NULL), ==, -1);
    g_assert_cmpuint(iommufd_backend_get_users(NULL), ==, 0);
    g_assert_false(iommufd_backend_is_owned(NULL));

    g_autoptr(IOMMUFDBackend) other = iommufd_backend_new_with_path("/nonexistent/iommu");
    g_object_get(other, "path", &path, NULL);
    g_assert_cmpstr(path, ==, "/nonexistent/iommu");
    g_free(path);

    /* a handed fd: not owned, the property is the fd */
    int hfd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(hfd, >=, 0);
    IOMMUFDBackend *hb = iommufd_backend_new_from_fd(hfd);
    g_object_get(hb, "fd", &fd, "owned", &owned, NULL);
    g_assert_cmpint(fd, ==, hfd);
    g_assert_false(owned);
    g_assert_false(iommufd_backend_is_owned(hb));
    g_object_unref(hb);
    g_assert_cmpint(fcntl(hfd, F_GETFD), !=, -1);
    close(hfd);
}

static void test_connect_enoent(void)
{
    char *dir = g_dir_make_tmp("iommufd-conf-XXXXXX", NULL);
    char *missing = g_build_filename(dir, "iommu", NULL);
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new_with_path(missing);
    IOMMUFDError *err = NULL;
    int before = count_open_fds();

    g_assert_false(iommufd_backend_connect(be, &err));
    char *want = g_strdup_printf("Could not open '%s': No such file or directory", missing);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==, want);
    g_free(want);
    assert_error(&err, ENOENT, NULL, "CONFIG_IOMMUFD");
    /* nothing leaked, nothing counted */
    g_assert_cmpint(count_open_fds(), ==, before);
    g_assert_cmpint(iommufd_backend_get_fd(be), ==, -1);
    g_assert_cmpuint(iommufd_backend_get_users(be), ==, 0);
    /* a helper on a backend that is not connected: EBADF, no ioctl */
    uint32_t id;
    NoIoctl n;
    no_ioctl_begin(&n);
    bool ok = iommufd_backend_alloc_ioas(be, &id, &err);
    no_ioctl_end(&n);
    g_assert_false(ok);
    assert_error(&err, EBADF, "IOMMU_IOAS_ALLOC: the backend is not connected",
                 "iommufd_backend_connect() first");
    g_rmdir(dir);
    g_free(missing);
    g_free(dir);
}

static void test_connect_eacces(void)
{
    /* a node that refuses O_RDWR: a read-only sysfs attribute refuses it
     * even to root (EACCES), a mode-0 file refuses it to anyone else */
    static const char *const candidates[] = {
        "/sys/devices/system/cpu/online",
        "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size",
    };
    char *path = NULL, *dir = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(candidates) && !path; i++) {
        int fd = open(candidates[i], O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
            close(fd);
        } else if (errno == EACCES || errno == EPERM) {
            path = g_strdup(candidates[i]);
        }
    }
    if (!path) {
        dir = g_dir_make_tmp("iommufd-conf-XXXXXX", NULL);
        path = g_build_filename(dir, "iommu", NULL);
        g_assert_true(g_file_set_contents(path, "", 0, NULL));
        g_assert_cmpint(chmod(path, 0), ==, 0);
        int fd = open(path, O_RDWR | O_CLOEXEC);
        g_assert_cmpint(fd, <, 0);  /* neither root nor a refusing node here */
    }
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new_with_path(path);
    IOMMUFDError *err = NULL;
    int before = count_open_fds();
    g_assert_false(iommufd_backend_connect(be, &err));
    int e = iommufd_error_get_errno(err);
    g_assert_true(e == EACCES || e == EPERM);
    char *prefix = g_strdup_printf("Could not open '%s': ", path);
    assert_error(&err, e, prefix, "Only root or the owner/group");
    g_free(prefix);
    g_assert_cmpint(count_open_fds(), ==, before);
    g_assert_cmpuint(iommufd_backend_get_users(be), ==, 0);
    if (dir) {
        g_unlink(path);
        g_rmdir(dir);
    }
    g_free(path);
    g_free(dir);
}

static void test_connect_not_iommufd(void)
{
    IOMMUFDError *err = NULL;
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    IOMMUFDBackend *be = iommufd_backend_new_from_fd(fd);

    g_assert_false(iommufd_backend_connect(be, &err));
    char *want = g_strdup_printf("fd %d is not an iommufd (it rejects iommufd ioctls)", fd);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==, want);
    g_free(want);
    assert_error(&err, ENOTTY, NULL, "fd of /dev/iommu");
    g_assert_cmpuint(iommufd_backend_get_users(be), ==, 0);
    g_object_unref(be);
    g_assert_cmpint(fcntl(fd, F_GETFD), !=, -1);  /* handed: never closed */
    close(fd);

    be = iommufd_backend_new_from_fd(-1);
    g_assert_false(iommufd_backend_is_owned(be));
    g_assert_false(iommufd_backend_connect(be, &err));
    assert_error(&err, EBADF, "fd -1 is not an iommufd (not open)", NULL);
    g_object_unref(be);

    /* no backend at all */
    g_assert_false(iommufd_backend_connect(NULL, &err));
    assert_error(&err, EINVAL, "iommufd_backend_connect: no backend", NULL);
}

/* ---- arguments wrong before any ioctl: EINVAL, nothing issued ------------ */

static bool stop_chunk(uint64_t iova, uint64_t size, uint64_t page_size, const uint64_t *bitmap,
                       void *opaque, IOMMUFDError **errp)
{
    (void)iova; (void)size; (void)page_size; (void)bitmap; (void)opaque; (void)errp;
    return false;
}

static void test_bad_args(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    IOMMUFDBackend *be = f->be;
    uint32_t id = 0, n = 0;
    uint64_t v = 0, iova = 0, word = 0;
    int qfd = -1;
    void *p = NULL;
    IOMMUFDIovaRange *r = NULL;
    IOMMUFDFeatures feat;
    uint8_t buf[8];

    EXPECT_BAD_ARG(iommufd_backend_alloc_ioas(NULL, &id, &err), "IOMMU_IOAS_ALLOC: no backend");
    EXPECT_BAD_ARG(iommufd_backend_alloc_ioas(be, NULL, &err), "IOMMU_IOAS_ALLOC: ioas_id");
    EXPECT_BAD_ARG(iommufd_backend_free_id(NULL, 1, &err), "IOMMU_DESTROY: no backend");
    EXPECT_BAD_ARG(iommufd_backend_map_dma(NULL, f->ioas_id, 0, 4096, f->buf, false, &err),
                   "IOMMU_IOAS_MAP: no backend");
    EXPECT_BAD_ARG(iommufd_backend_map_dma(be, f->ioas_id, 0, 0, f->buf, false, &err),
                   "IOMMU_IOAS_MAP(ioas_id ");
    EXPECT_BAD_ARG(iommufd_backend_map_dma(be, f->ioas_id, 0, 4096, NULL, false, &err),
                   "IOMMU_IOAS_MAP(ioas_id ");
    EXPECT_BAD_ARG(iommufd_backend_map_dma_auto(be, f->ioas_id, 4096, f->buf, false, NULL, &err),
                   "IOMMU_IOAS_MAP(ioas_id ");
    EXPECT_BAD_ARG(iommufd_backend_map_dma_auto(be, f->ioas_id, 0, f->buf, false, &iova, &err),
                   "IOMMU_IOAS_MAP(ioas_id ");
    EXPECT_BAD_ARG(iommufd_backend_map_file_dma(be, f->ioas_id, 0, 0, 0, 0, false, &err),
                   "IOMMU_IOAS_MAP_FILE(ioas_id ");
    EXPECT_BAD_ARG(iommufd_backend_map_file_dma(be, f->ioas_id, 0, 4096, -1, 0, false, &err),
                   "IOMMU_IOAS_MAP_FILE(ioas_id ");
    EXPECT_BAD_ARG(iommufd_backend_unmap_dma(NULL, f->ioas_id, 0, 4096, NULL, &err),
                   "IOMMU_IOAS_UNMAP: no backend");
    EXPECT_BAD_ARG(iommufd_backend_unmap_dma(be, f->ioas_id, 0, 0, NULL, &err),
                   "IOMMU_IOAS_UNMAP(ioas_id ");
    EXPECT_BAD_ARG(iommufd_backend_copy_dma(be, f->ioas_id, 0, f->ioas_id, 0, 0, false, &err),
                   "IOMMU_IOAS_COPY(src_ioas_id ");
    EXPECT_BAD_ARG(iommufd_backend_get_iova_ranges(be, f->ioas_id, NULL, &n, NULL, &err),
                   "IOMMU_IOAS_IOVA_RANGES(ioas_id ");
    EXPECT_BAD_ARG(iommufd_backend_get_iova_ranges(be, f->ioas_id, &r, NULL, NULL, &err),
                   "IOMMU_IOAS_IOVA_RANGES(ioas_id ");
    EXPECT_BAD_ARG(iommufd_backend_allow_iovas(be, f->ioas_id, NULL, 2, &err),
                   "IOMMU_IOAS_ALLOW_IOVAS(ioas_id ");
    EXPECT_BAD_ARG(iommufd_backend_get_option(be, IOMMUFD_OPTION_HUGE_PAGES, f->ioas_id, NULL,
                                              &err), "IOMMU_OPTION(option_id 1)");
    EXPECT_BAD_ARG(iommufd_backend_set_option(NULL, IOMMUFD_OPTION_HUGE_PAGES, f->ioas_id, 0,
                                              &err), "IOMMU_OPTION: no backend");
    EXPECT_BAD_ARG(iommufd_backend_get_vfio_ioas(be, NULL, &err), "IOMMU_VFIO_IOAS(op get)");
    EXPECT_BAD_ARG(iommufd_backend_set_vfio_ioas(NULL, 1, &err), "IOMMU_VFIO_IOAS: no backend");
    EXPECT_BAD_ARG(iommufd_backend_clear_vfio_ioas(NULL, &err), "IOMMU_VFIO_IOAS: no backend");
    EXPECT_BAD_ARG(iommufd_backend_change_process(NULL, &err),
                   "IOMMU_IOAS_CHANGE_PROCESS: no backend");
    EXPECT_BAD_ARG(iommufd_backend_probe(be, NULL, &err), "iommufd_backend_probe: features");
    EXPECT_BAD_ARG(iommufd_backend_probe(NULL, &feat, &err),
                   "iommufd_backend_probe: no backend");
    EXPECT_BAD_ARG(iommufd_backend_alloc_hwpt(NULL, f->dev_id, f->ioas_id, 0, 0, 0, NULL, 0,
                                              &id, &err), "IOMMU_HWPT_ALLOC: no backend");
    EXPECT_BAD_ARG(iommufd_backend_alloc_hwpt(be, f->dev_id, f->ioas_id, 0, 0, 0, NULL, 0,
                                              NULL, &err), "IOMMU_HWPT_ALLOC(dev_id ");
    EXPECT_BAD_ARG(iommufd_backend_alloc_hwpt(be, f->dev_id, f->ioas_id, 0,
                                              IOMMU_HWPT_DATA_SELFTEST, 4, NULL, 0, &id, &err),
                   "IOMMU_HWPT_ALLOC(dev_id ");
    EXPECT_BAD_ARG(iommufd_backend_get_device_info(be, f->dev_id, NULL, NULL, 0, NULL, NULL,
                                                   NULL, &err), "IOMMU_GET_HW_INFO(dev_id ");
    EXPECT_BAD_ARG(iommufd_backend_get_device_info(be, f->dev_id, &id, NULL, 8, NULL, NULL,
                                                   NULL, &err), "IOMMU_GET_HW_INFO(dev_id ");
    EXPECT_BAD_ARG(iommufd_backend_set_dirty_tracking(NULL, 1, true, &err),
                   "IOMMU_HWPT_SET_DIRTY_TRACKING: no backend");
    EXPECT_BAD_ARG(iommufd_backend_get_dirty_bitmap(be, f->hwpt_id, 0, 0, 4096, &word, 0, &err),
                   "IOMMU_HWPT_GET_DIRTY_BITMAP(hwpt_id ");
    EXPECT_BAD_ARG(iommufd_backend_get_dirty_bitmap(be, f->hwpt_id, 0, 4096, 4096, NULL, 0,
                                                    &err), "IOMMU_HWPT_GET_DIRTY_BITMAP(hwpt_id ");
    EXPECT_BAD_ARG(iommufd_backend_get_dirty_bitmap(be, f->hwpt_id, 0, 4096, 0, &word, 0, &err),
                   "IOMMU_HWPT_GET_DIRTY_BITMAP(hwpt_id ");
    EXPECT_BAD_ARG(iommufd_backend_get_dirty_bitmap(be, f->hwpt_id, 0, 4096, 4096, &word,
                                                    1ull << 40, &err),
                   "IOMMU_HWPT_GET_DIRTY_BITMAP(hwpt_id ");
    EXPECT_BAD_ARG(iommufd_backend_walk_dirty_bitmap(NULL, 1, 0, 4096, 4096, 0, 0, &word, 8,
                                                     stop_chunk, NULL, &err),
                   "dirty bitmap walk (hwpt_id 1): no backend");
    EXPECT_BAD_ARG(iommufd_backend_walk_dirty_bitmap(be, 1, 0, 4096, 4096, 0, 0, NULL, 8,
                                                     stop_chunk, NULL, &err),
                   "dirty bitmap walk (hwpt_id 1): needs a callback");
    EXPECT_BAD_ARG(iommufd_backend_walk_dirty_bitmap(be, 1, 0, 4096, 4096, 0, 0, &word, 8,
                                                     NULL, NULL, &err),
                   "dirty bitmap walk (hwpt_id 1): needs a callback");
    EXPECT_BAD_ARG(iommufd_backend_walk_dirty_bitmap(be, 1, 0, 4096, 4096, 0, 0, &word, 4,
                                                     stop_chunk, NULL, &err),
                   "dirty bitmap walk (hwpt_id 1): needs a callback");
    EXPECT_BAD_ARG(iommufd_backend_walk_dirty_bitmap(be, 1, 0, 4096, 4096, 0, 0,
                                                     (uint64_t *)(buf + 1), 8, stop_chunk, NULL,
                                                     &err),
                   "dirty bitmap walk (hwpt_id 1): needs a callback");
    EXPECT_BAD_ARG(iommufd_backend_walk_dirty_bitmap(be, 1, 0, 0, 4096, 0, 0, &word, 8,
                                                     stop_chunk, NULL, &err),
                   "dirty bitmap walk (hwpt_id 1): dirty range (iova 0x0): size must not be 0");
    uint32_t num = 1;
    EXPECT_BAD_ARG(iommufd_backend_invalidate_cache(be, 1, 0, 8, NULL, buf, &err),
                   "IOMMU_HWPT_INVALIDATE(id 1)");
    EXPECT_BAD_ARG(iommufd_backend_invalidate_cache(be, 1, 0, 8, &num, NULL, &err),
                   "IOMMU_HWPT_INVALIDATE(id 1)");
    g_assert_cmpuint(num, ==, 1);
    EXPECT_BAD_ARG(iommufd_backend_alloc_faultq(be, &id, NULL, &err), "IOMMU_FAULT_QUEUE_ALLOC:");
    EXPECT_BAD_ARG(iommufd_backend_alloc_faultq(NULL, &id, &qfd, &err),
                   "IOMMU_FAULT_QUEUE_ALLOC: no backend");
    EXPECT_BAD_ARG(iommufd_backend_alloc_viommu(be, f->dev_id, IOMMU_VIOMMU_TYPE_SELFTEST, 1,
                                                NULL, 0, NULL, &err), "IOMMU_VIOMMU_ALLOC(dev_id ");
    EXPECT_BAD_ARG(iommufd_backend_alloc_viommu(be, f->dev_id, IOMMU_VIOMMU_TYPE_SELFTEST, 1,
                                                NULL, 16, &id, &err), "IOMMU_VIOMMU_ALLOC(dev_id ");
    EXPECT_BAD_ARG(iommufd_backend_alloc_vdev(be, f->dev_id, 1, 0, NULL, &err),
                   "IOMMU_VDEVICE_ALLOC(dev_id ");
    EXPECT_BAD_ARG(iommufd_backend_alloc_veventq(be, 1, IOMMU_VEVENTQ_TYPE_SELFTEST, 4, NULL,
                                                 &qfd, &err), "IOMMU_VEVENTQ_ALLOC(viommu_id 1)");
    EXPECT_BAD_ARG(iommufd_backend_alloc_veventq(be, 1, IOMMU_VEVENTQ_TYPE_SELFTEST, 0, &id,
                                                 &qfd, &err), "IOMMU_VEVENTQ_ALLOC(viommu_id 1, ");
    EXPECT_BAD_ARG(iommufd_backend_alloc_hw_queue(be, 1, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, 0, 4096,
                                                  NULL, &err), "IOMMU_HW_QUEUE_ALLOC(viommu_id 1)");
    EXPECT_BAD_ARG(iommufd_backend_alloc_hw_queue(be, 1, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, 0, 0,
                                                  &id, &err), "IOMMU_HW_QUEUE_ALLOC(viommu_id 1)");
    EXPECT_BAD_ARG(iommufd_backend_viommu_mmap(be, 1, 4096, 0, NULL, &err), "mmap of vIOMMU 1");
    EXPECT_BAD_ARG(iommufd_backend_viommu_mmap(be, 1, 0, 0, &p, &err), "mmap of vIOMMU 1");
    EXPECT_BAD_ARG(iommufd_backend_viommu_munmap(be, NULL, 4096, &err),
                   "munmap of a vIOMMU region");
    EXPECT_BAD_ARG(iommufd_backend_viommu_munmap(NULL, f->buf, 4096, &err),
                   "munmap of a vIOMMU region: no backend");
    EXPECT_BAD_ARG(iommufd_backend_bind_device(NULL, 3, NULL, &id, &err),
                   "VFIO_DEVICE_BIND_IOMMUFD: no backend");
    EXPECT_BAD_ARG(iommufd_backend_bind_device(be, -1, NULL, &id, &err),
                   "VFIO_DEVICE_BIND_IOMMUFD(vfio fd -1)");
    EXPECT_BAD_ARG(iommufd_backend_bind_device(be, 3, NULL, NULL, &err),
                   "VFIO_DEVICE_BIND_IOMMUFD(vfio fd 3)");
    EXPECT_BAD_ARG(iommufd_vfio_device_attach(-1, f->ioas_id, NULL, &err),
                   "VFIO_DEVICE_ATTACH_IOMMUFD_PT: no device fd");
    EXPECT_BAD_ARG(iommufd_vfio_device_attach_pasid(-1, 1, f->ioas_id, NULL, &err),
                   "VFIO_DEVICE_ATTACH_IOMMUFD_PT: no device fd");
    EXPECT_BAD_ARG(iommufd_vfio_device_detach(-1, &err),
                   "VFIO_DEVICE_DETACH_IOMMUFD_PT: no device fd");
    EXPECT_BAD_ARG(iommufd_vfio_device_detach_pasid(-1, 1, &err),
                   "VFIO_DEVICE_DETACH_IOMMUFD_PT: no device fd");
    EXPECT_BAD_ARG(iommufd_vfio_device_open(NULL, &err) >= 0, "VFIO device: no path");
    EXPECT_BAD_ARG(iommufd_vfio_device_open_sysfs(NULL, NULL, &err) >= 0,
                   "VFIO device: no sysfs path");
    /* without errp: still false, still nothing issued */
    NoIoctl nn;
    no_ioctl_begin(&nn);
    g_assert_false(iommufd_backend_map_dma(be, f->ioas_id, 0, 0, f->buf, false, NULL));
    no_ioctl_end(&nn);
    (void)v;
}

/* ---- IOAS: the EMSGSIZE protocol, alignment, ENOMEM, options ------------- */

static void collect(const char *event, const char *line, void *opaque);

static void test_iova_ranges_emsgsize(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    IOMMUFDIovaRange *r = NULL;
    uint32_t n = 0;
    uint64_t align = 0;

    /* five holes in the aperture: six usable ranges, more than the
     * helper's first guess of four */
    for (int k = 1; k <= 5; k++) {
        struct iommu_test_cmd cmd = {
            .size = sizeof(cmd),
            .op = IOMMU_TEST_OP_ADD_RESERVED,
            .id = f->ioas_id,
        };
        cmd.add_reserved.start = MOCK_APERTURE_START + (uint64_t)k * 0x1000000;
        cmd.add_reserved.length = 0x100000;
        g_assert_cmpint(ioctl(f->fd, IOMMU_TEST_CMD, &cmd), ==, 0);
    }
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    iommufd_trace_set_sink(collect, lines);
    iommufd_trace_enable("iommufd_backend_get_iova_ranges");
    g_assert_true(iommufd_backend_get_iova_ranges(f->be, f->ioas_id, &r, &n, &align, &err));
    iommufd_trace_enable("-iommufd_backend_get_iova_ranges");
    iommufd_trace_set_sink(NULL, NULL);
    g_assert_null(err);
    g_assert_cmpuint(n, ==, 6);
    g_assert_cmpuint(r[0].start, ==, MOCK_APERTURE_START);
    for (uint32_t i = 0; i < 5; i++) {
        g_assert_cmpuint(r[i].last, ==, MOCK_APERTURE_START + (uint64_t)(i + 1) * 0x1000000 - 1);
        g_assert_cmpuint(r[i + 1].start, ==,
                         MOCK_APERTURE_START + (uint64_t)(i + 1) * 0x1000000 + 0x100000);
    }
    g_assert_cmpuint(r[5].last, ==, MOCK_APERTURE_LAST);
    g_free(r);
    /* the mock domain's IO page is half a CPU page */
    g_assert_cmpuint(align, ==, (uint64_t)sysconf(_SC_PAGESIZE) / 2);
    /* two calls: EMSGSIZE with the count needed, then the ranges */
    g_assert_cmpuint(lines->len, ==, 2);
    char *want0 = g_strdup_printf("iommufd_backend_get_iova_ranges iommufd %d ioas_id %u "
                                  "capacity 4 num_iovas 6 alignment 0x%" PRIx64 " ret %d",
                                  f->fd, f->ioas_id, align, EMSGSIZE);
    char *want1 = g_strdup_printf("iommufd_backend_get_iova_ranges iommufd %d ioas_id %u "
                                  "capacity 6 num_iovas 6 alignment 0x%" PRIx64 " ret 0",
                                  f->fd, f->ioas_id, align);
    g_assert_cmpstr(g_ptr_array_index(lines, 0), ==, want0);
    g_assert_cmpstr(g_ptr_array_index(lines, 1), ==, want1);
    g_free(want0);
    g_free(want1);
    g_ptr_array_unref(lines);

    /* a mapping that breaks the alignment */
    g_assert_false(iommufd_backend_map_dma(f->be, f->ioas_id, MOCK_APERTURE_START + align / 2,
                                           align, f->buf, false, &err));
    assert_error(&err, EINVAL, "IOMMU_IOAS_MAP(ioas_id ", NULL);
    /* into a reserved hole: the kernel's iopt_check_iova answers EINVAL */
    g_assert_false(iommufd_backend_map_dma(f->be, f->ioas_id, MOCK_APERTURE_START + 0x1000000,
                                           4096, f->buf, false, &err));
    assert_error(&err, EINVAL, "IOMMU_IOAS_MAP(ioas_id ", NULL);
}

static void test_map_enomem(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    void (*arm)(unsigned int, int) =
        (void (*)(unsigned int, int))mock_sym("iommufd_mock_fail_nth");

    if (!arm) {
        g_test_skip("mock-only: ENOMEM is injected with the mock's fail-Nth");
        return;
    }
    arm(1, ENOMEM);
    g_assert_false(iommufd_backend_map_dma(f->be, f->ioas_id, MOCK_APERTURE_START, 65536,
                                           f->buf, false, &err));
    arm(0, 0);
    char *want = g_strdup_printf("IOMMU_IOAS_MAP(ioas_id %u, iova 0x%x, size 0x10000, "
                                 "flags 0x7) failed: Cannot allocate memory", f->ioas_id,
                                 MOCK_APERTURE_START);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==, want);
    g_free(want);
    assert_error(&err, ENOMEM, NULL, "RLIMIT_MEMLOCK");
    /* the hint names all three ways out */
    arm(1, ENOMEM);
    g_assert_false(iommufd_backend_map_dma(f->be, f->ioas_id, MOCK_APERTURE_START, 65536,
                                           f->buf, false, &err));
    arm(0, 0);
    g_assert_nonnull(strstr(iommufd_error_get_hint(err), "CAP_IPC_LOCK"));
    assert_error(&err, ENOMEM, NULL, "IOMMU_OPTION_RLIMIT_MODE");
    /* nothing was mapped by the failed call */
    uint64_t unmapped = 1;
    g_assert_true(iommufd_backend_unmap_dma(f->be, f->ioas_id, 0, UINT64_MAX, &unmapped, &err));
    g_assert_cmpuint(unmapped, ==, 0);
}

/* CAP_SYS_RESOURCE (24) in the effective set, from /proc/self/status */
static bool has_cap_sys_resource(void)
{
    char *status = NULL;
    g_assert_true(g_file_get_contents("/proc/self/status", &status, NULL, NULL));
    const char *line = strstr(status, "CapEff:");
    g_assert_nonnull(line);
    guint64 eff = g_ascii_strtoull(line + strlen("CapEff:"), NULL, 16);
    g_free(status);
    return eff & (1ull << 24);
}

static void test_rlimit_mode(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint64_t val = 7;

    /* the fixture's context has objects: too late */
    g_assert_false(iommufd_backend_set_option(f->be, IOMMUFD_OPTION_RLIMIT_MODE, 0, 1, &err));
    if (has_cap_sys_resource()) {
        assert_error(&err, EBUSY, "IOMMU_OPTION(option_id 0, op set, object_id 0) failed",
                     "before mapping anything");
    } else {
        assert_error(&err, EPERM, "IOMMU_OPTION(option_id 0, op set, object_id 0) failed",
                     "CAP_SYS_RESOURCE");
        /* a fresh context: still the capability first */
        g_autoptr(IOMMUFDBackend) be = iommufd_backend_new();
        g_assert_true(iommufd_backend_connect(be, &err));
        g_assert_false(iommufd_backend_set_option(be, IOMMUFD_OPTION_RLIMIT_MODE, 0, 1, &err));
        assert_error(&err, EPERM, NULL, "CAP_SYS_RESOURCE");
        g_assert_true(iommufd_backend_get_option(be, IOMMUFD_OPTION_RLIMIT_MODE, 0, &val, &err));
        g_assert_cmpuint(val, ==, 0);
        iommufd_backend_disconnect(be);
        return;
    }
    /* a fresh context: set, read back */
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new();
    g_assert_true(iommufd_backend_connect(be, &err));
    g_assert_true(iommufd_backend_set_option(be, IOMMUFD_OPTION_RLIMIT_MODE, 0, 1, &err));
    g_assert_true(iommufd_backend_get_option(be, IOMMUFD_OPTION_RLIMIT_MODE, 0, &val, &err));
    g_assert_cmpuint(val, ==, 1);
    g_assert_false(iommufd_backend_set_option(be, IOMMUFD_OPTION_RLIMIT_MODE, 0, 2, &err));
    assert_error(&err, EINVAL, "IOMMU_OPTION(option_id 0, op set", NULL);
    g_assert_null(err);
    iommufd_backend_disconnect(be);
    /* HUGE_PAGES of an IOAS that does not exist */
    g_assert_false(iommufd_backend_set_option(f->be, IOMMUFD_OPTION_HUGE_PAGES, 9999, 0, &err));
    assert_error(&err, ENOENT, "IOMMU_OPTION(option_id 1, op set, object_id 9999) failed", NULL);
}

/* ---- HWPT: fault_id, device info with INPUT_TYPE and PASID width --------- */

static void test_hwpt_fault_id(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint32_t parent, nested, fault_id, paging;
    int fault_fd;
    struct iommu_hwpt_selftest data_s = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };

    g_assert_true(iommufd_backend_alloc_faultq(f->be, &fault_id, &fault_fd, &err));
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id,
                                             IOMMUFD_HWPT_ALLOC_NEST_PARENT, 0, 0, NULL, 0,
                                             &parent, &err));
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, parent,
                                             IOMMUFD_HWPT_FAULT_ID_VALID,
                                             IOMMU_HWPT_DATA_SELFTEST, 4, &data_s, fault_id,
                                             &nested, &err));
    g_assert_null(err);
    g_assert_cmpuint(nested, !=, parent);
    /* the queue is referenced by the HWPT */
    g_assert_false(iommufd_backend_free_id(f->be, fault_id, &err));
    assert_error(&err, EBUSY, "IOMMU_DESTROY(id ", "still references");
    /* a fault_id that is no queue */
    g_assert_false(iommufd_backend_alloc_hwpt(f->be, f->dev_id, parent,
                                              IOMMUFD_HWPT_FAULT_ID_VALID,
                                              IOMMU_HWPT_DATA_SELFTEST, 4, &data_s, 9999,
                                              &paging, &err));
    assert_error(&err, ENOENT, "IOMMU_HWPT_ALLOC(dev_id ", NULL);
    /* a paging HWPT with a fault queue: 6.12 only takes it on nested ones */
    bool ok = iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id,
                                         IOMMUFD_HWPT_FAULT_ID_VALID, 0, 0, NULL, fault_id,
                                         &paging, &err);
    if (model_612(f)) {
        g_assert_false(ok);
        char *want = g_strdup_printf("IOMMU_HWPT_ALLOC(dev_id %u, pt_id %u, flags 0x4, "
                                     "data_type 0, data_len 0, fault_id %u) failed: Operation "
                                     "not supported", f->dev_id, f->ioas_id, fault_id);
        g_assert_cmpstr(iommufd_error_get_pretty(err), ==, want);
        g_free(want);
        assert_error(&err, EOPNOTSUPP, NULL, "does not support a flag or type");
    } else {
        g_assert_true(ok);
        g_assert_true(iommufd_backend_free_id(f->be, paging, &err));
    }
    g_assert_true(iommufd_backend_free_id(f->be, nested, &err));
    close(fault_fd);
    g_assert_true(iommufd_backend_free_id(f->be, fault_id, &err));
    g_assert_true(iommufd_backend_free_id(f->be, parent, &err));
    g_assert_null(err);
}

static void test_hw_info_input_type(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    struct iommu_test_hw_info info;
    uint32_t type = IOMMU_HW_INFO_TYPE_SELFTEST, len = 0;
    uint64_t caps = 0;
    uint8_t pasid = 0;
    bool old = model_612(f);

    memset(&info, 0, sizeof(info));
    bool ok = iommufd_backend_get_device_info(f->be, f->dev_id, &type, &info, sizeof(info),
                                              &caps, &pasid, &len, &err);
    if (old) {
        /* 6.12 knows no flag: IOMMU_HW_INFO_FLAG_INPUT_TYPE is EOPNOTSUPP */
        g_assert_false(ok);
        char *want = g_strdup_printf("IOMMU_GET_HW_INFO(dev_id %u, flags 0x1, data_len %zu) "
                                     "failed", f->dev_id, sizeof(info));
        assert_error(&err, EOPNOTSUPP, want, "does not support a flag or type");
        g_free(want);
    } else {
        g_assert_true(ok);
        g_assert_cmpuint(type, ==, IOMMU_HW_INFO_TYPE_SELFTEST);
        g_assert_cmpuint(info.test_reg, ==, IOMMU_HW_INFO_SELFTEST_REGVAL);
        g_assert_cmpuint(len, ==, sizeof(info));
        /* a type the device's driver does not have */
        type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
        g_assert_false(iommufd_backend_get_device_info(f->be, f->dev_id, &type, &info,
                                                       sizeof(info), NULL, NULL, NULL, &err));
        assert_error(&err, EOPNOTSUPP, "IOMMU_GET_HW_INFO(dev_id ", "does not support");
        g_assert_cmpuint(type, ==, IOMMU_HW_INFO_TYPE_INTEL_VTD);   /* untouched */
    }

    /* a PASID-capable device reports its PASID width (6.15) */
    uint32_t stdev, hwpt, dev;
    int rc = mock_domain(f->fd, f->ioas_id, MOCK_FLAGS_DEVICE_PASID, &stdev, &hwpt, &dev);
    if (old) {
        /* 6.12's mock_dev_create knows no such device flag */
        g_assert_cmpint(rc, ==, -EINVAL);
        return;
    }
    g_assert_cmpint(rc, ==, 0);
    type = 0;
    pasid = 0;
    g_assert_true(iommufd_backend_get_device_info(f->be, dev, &type, NULL, 0, &caps, &pasid,
                                                  &len, &err));
    g_assert_cmpuint(type, ==, IOMMU_HW_INFO_TYPE_SELFTEST);
    g_assert_cmpuint(pasid, ==, MOCK_PASID_WIDTH);
    g_assert_cmpuint(len, ==, sizeof(info));
    struct iommu_destroy d = { .size = sizeof(d), .id = stdev };
    g_assert_cmpint(ioctl(f->fd, IOMMU_DESTROY, &d), ==, 0);
}

/* ---- migration: bitmap size, range checks, the chunked walk -------------- */

static void test_dirty_range_check(void)
{
    IOMMUFDError *err = NULL;

    g_assert_cmpuint(iommufd_dirty_bitmap_size(64 * 4096, 4096), ==, 8);
    g_assert_cmpuint(iommufd_dirty_bitmap_size(65 * 4096, 4096), ==, 16);
    g_assert_cmpuint(iommufd_dirty_bitmap_size(1, 4096), ==, 8);
    g_assert_cmpuint(iommufd_dirty_bitmap_size(200 * 4096, 4096), ==, 32);
    g_assert_cmpuint(iommufd_dirty_bitmap_size(1ull << 30, 2ull << 20), ==, 64);
    g_assert_cmpuint(iommufd_dirty_bitmap_size(1ull << 40, 4096), ==, (1ull << 28) / 8);
    g_assert_cmpuint(iommufd_dirty_bitmap_size(4096, 0), ==, 0);

    g_assert_true(iommufd_dirty_range_check(0x100000, 0x10000, 4096, 2048, &err));
    g_assert_true(iommufd_dirty_range_check(0x100000, 0x10000, 4096, 0, &err));
    g_assert_null(err);
    g_assert_false(iommufd_dirty_range_check(0x100000, 0x10000, 3000, 0, &err));
    assert_error(&err, EINVAL, "dirty range (iova 0x100000, size 0x10000): page_size 0xbb8 is "
                 "not a power of two", NULL);
    g_assert_false(iommufd_dirty_range_check(0x100000, 0x10000, 0, 0, &err));
    assert_error(&err, EINVAL, "dirty range (iova 0x100000, size 0x10000): page_size 0x0", NULL);
    g_assert_false(iommufd_dirty_range_check(0x100000, 0, 4096, 0, &err));
    assert_error(&err, EINVAL, "dirty range (iova 0x100000): size must not be 0", NULL);
    g_assert_false(iommufd_dirty_range_check(UINT64_MAX - 4095, 8192, 4096, 0, &err));
    assert_error(&err, EINVAL, "dirty range (iova 0xfffffffffffff000, size 0x2000): overflows",
                 NULL);
    g_assert_false(iommufd_dirty_range_check(0x100800, 0x10000, 4096, 0, &err));
    assert_error(&err, EINVAL, "dirty range (iova 0x100800, size 0x10000): not aligned to "
                 "page_size 0x1000", NULL);
    g_assert_false(iommufd_dirty_range_check(0x100000, 0x10800, 4096, 0, &err));
    assert_error(&err, EINVAL, "dirty range (iova 0x100000, size 0x10800): not aligned to "
                 "page_size", NULL);
    g_assert_false(iommufd_dirty_range_check(0x101000, 0x10000, 4096, 0x10000, &err));
    assert_error(&err, EINVAL, "dirty range (iova 0x101000, size 0x10000): not aligned to the "
                 "IOAS alignment 0x10000", NULL);
    g_assert_false(iommufd_dirty_range_check(0x100000, 0x10000, 4096, 3000, &err));
    assert_error(&err, EINVAL, "dirty range: IOVA alignment 0xbb8 is not a power of two", NULL);
}

typedef struct {
    uint64_t base, page;
    GArray *chunks;     /* uint64_t pairs: iova, size */
    GArray *dirty;      /* uint64_t page indices from base */
    int stop_after;     /* chunks to accept before stopping (-1: all) */
    bool set_error;
} WalkState;

static bool walk_chunk(uint64_t iova, uint64_t size, uint64_t page_size, const uint64_t *bitmap,
                       void *opaque, IOMMUFDError **errp)
{
    WalkState *w = opaque;
    g_assert_cmpuint(page_size, ==, w->page);
    g_array_append_val(w->chunks, iova);
    g_array_append_val(w->chunks, size);
    for (uint64_t i = 0; i < size / page_size; i++) {
        if (bitmap[i / 64] & (1ull << (i % 64))) {
            uint64_t pg = (iova - w->base) / page_size + i;
            g_array_append_val(w->dirty, pg);
        }
    }
    if (w->stop_after >= 0 && (int)(w->chunks->len / 2) > w->stop_after) {
        if (w->set_error) {
            iommufd_error_setg_code(errp, EPIPE, "the migration stream broke at 0x%" PRIx64,
                                    iova);
        }
        return false;
    }
    return true;
}

static void walk_reset(WalkState *w, int stop_after, bool set_error)
{
    g_array_set_size(w->chunks, 0);
    g_array_set_size(w->dirty, 0);
    w->stop_after = stop_after;
    w->set_error = set_error;
}

static void test_dirty_walk(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint32_t hwpt, stdev, dhwpt, dev;
    const uint64_t page = 4096, base = MOCK_APERTURE_START, npages = 200, len = npages * page;
    IOMMUFDIovaRange *r;
    uint32_t n;
    uint64_t align;

    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id,
                                             IOMMUFD_HWPT_ALLOC_DIRTY_TRACKING, 0, 0, NULL, 0,
                                             &hwpt, &err));
    g_assert_cmpint(mock_domain(f->fd, hwpt, 0, &stdev, &dhwpt, &dev), ==, 0);
    g_assert_true(iommufd_backend_map_dma(f->be, f->ioas_id, base, len, f->buf, false, &err));
    g_assert_true(iommufd_backend_get_iova_ranges(f->be, f->ioas_id, &r, &n, &align, &err));
    g_free(r);
    g_assert_true(iommufd_backend_set_dirty_tracking(f->be, hwpt, true, &err));

    /* pages at both ends of chunks of 64 (one 8-byte buffer) */
    static const uint64_t marked[] = { 0, 63, 64, 130, 191, 192, 199 };
    uint64_t mark[4] = { 0 };
    for (size_t i = 0; i < G_N_ELEMENTS(marked); i++) {
        mark[marked[i] / 64] |= 1ull << (marked[i] % 64);
    }
    g_assert_cmpint(mark_dirty(f->fd, hwpt, base, len, page, mark), ==, 0);

    WalkState w = {
        .base = base, .page = page,
        .chunks = g_array_new(FALSE, FALSE, sizeof(uint64_t)),
        .dirty = g_array_new(FALSE, FALSE, sizeof(uint64_t)),
    };
    uint64_t buf[1];
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);

    /* NO_CLEAR: read, bits stay; one ioctl per chunk */
    walk_reset(&w, -1, false);
    iommufd_trace_set_sink(collect, lines);
    iommufd_trace_enable("iommufd_backend_get_dirty_bitmap");
    g_assert_true(iommufd_backend_walk_dirty_bitmap(f->be, hwpt, base, len, page, align,
                                                    IOMMUFD_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, buf,
                                                    sizeof(buf), walk_chunk, &w, &err));
    iommufd_trace_enable("-iommufd_backend_get_dirty_bitmap");
    iommufd_trace_set_sink(NULL, NULL);
    g_assert_null(err);
    g_assert_cmpuint(lines->len, ==, 4);
    g_assert_cmpuint(w.chunks->len, ==, 8);
    static const uint64_t sizes[] = { 64, 64, 64, 8 };
    for (guint i = 0; i < 4; i++) {
        g_assert_cmpuint(g_array_index(w.chunks, uint64_t, 2 * i), ==, base + i * 64 * page);
        g_assert_cmpuint(g_array_index(w.chunks, uint64_t, 2 * i + 1), ==, sizes[i] * page);
        char *want = g_strdup_printf("iommufd_backend_get_dirty_bitmap iommufd %d hwpt_id %u "
                                     "iova 0x%" PRIx64 " size 0x%" PRIx64 " page_size 0x1000 "
                                     "flags 0x1 ret 0", f->fd, hwpt, base + i * 64 * page,
                                     sizes[i] * page);
        g_assert_cmpstr(g_ptr_array_index(lines, i), ==, want);
        g_free(want);
    }
    g_ptr_array_unref(lines);
    g_assert_cmpuint(w.dirty->len, ==, G_N_ELEMENTS(marked));
    for (guint i = 0; i < G_N_ELEMENTS(marked); i++) {
        g_assert_cmpuint(g_array_index(w.dirty, uint64_t, i), ==, marked[i]);
    }

    /* the callback accepts one chunk and stops at the second: ECANCELED
     * naming where; both chunks were read and cleared */
    walk_reset(&w, 1, false);
    g_assert_false(iommufd_backend_walk_dirty_bitmap(f->be, hwpt, base, len, page, align, 0, buf,
                                                     sizeof(buf), walk_chunk, &w, &err));
    char *want = g_strdup_printf("dirty bitmap walk (hwpt_id %u): stopped by the callback at "
                                 "iova 0x%" PRIx64, hwpt, base + 64 * page);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==, want);
    assert_error(&err, ECANCELED, NULL, NULL);
    g_free(want);
    g_assert_cmpuint(w.chunks->len, ==, 4);
    g_assert_cmpuint(w.dirty->len, ==, 3);          /* pages 0, 63, 64 */
    g_assert_cmpuint(g_array_index(w.dirty, uint64_t, 2), ==, 64);
    /* the callback's own error passes through; chunk 3 is read and cleared */
    walk_reset(&w, 2, true);
    g_assert_false(iommufd_backend_walk_dirty_bitmap(f->be, hwpt, base, len, page, align, 0, buf,
                                                     sizeof(buf), walk_chunk, &w, &err));
    want = g_strdup_printf("the migration stream broke at 0x%" PRIx64, base + 128 * page);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==, want);
    assert_error(&err, EPIPE, NULL, NULL);
    g_free(want);
    g_assert_cmpuint(w.dirty->len, ==, 2);          /* 130 and 191: 1 and 2 were clear */
    g_assert_cmpuint(g_array_index(w.dirty, uint64_t, 0), ==, 130);
    g_assert_cmpuint(g_array_index(w.dirty, uint64_t, 1), ==, 191);
    /* a full walk through a buffer that covers it all: 192 and 199 are left */
    walk_reset(&w, -1, false);
    uint64_t big[4];
    g_assert_true(iommufd_backend_walk_dirty_bitmap(f->be, hwpt, base, len, page, align, 0, big,
                                                    sizeof(big), walk_chunk, &w, &err));
    g_assert_cmpuint(w.chunks->len, ==, 2);         /* one chunk */
    g_assert_cmpuint(w.dirty->len, ==, 2);
    g_assert_cmpuint(g_array_index(w.dirty, uint64_t, 0), ==, 192);
    g_assert_cmpuint(g_array_index(w.dirty, uint64_t, 1), ==, 199);
    walk_reset(&w, -1, false);
    g_assert_true(iommufd_backend_walk_dirty_bitmap(f->be, hwpt, base, len, page, align, 0, buf,
                                                    sizeof(buf), walk_chunk, &w, &err));
    g_assert_cmpuint(w.dirty->len, ==, 0);

    /* checks before any ioctl */
    EXPECT_BAD_ARG(iommufd_backend_walk_dirty_bitmap(f->be, hwpt, base + 2048, len, page, align,
                                                     0, buf, sizeof(buf), walk_chunk, &w, &err),
                   "dirty bitmap walk (hwpt_id ");
    /* a buffer that covers less than the alignment */
    EXPECT_BAD_ARG(iommufd_backend_walk_dirty_bitmap(f->be, hwpt, base, 1 << 20, page, 1 << 20,
                                                     0, buf, sizeof(buf), walk_chunk, &w, &err),
                   "dirty bitmap walk (hwpt_id ");
    /* a chunk's ioctl fails part way (the mock's fail-Nth): the walk fails
     * with that chunk's error, the chunks before were handed over */
    void (*arm)(unsigned int, int) =
        (void (*)(unsigned int, int))mock_sym("iommufd_mock_fail_nth");
    if (arm) {
        walk_reset(&w, -1, false);
        arm(3, ENOMEM);
        g_assert_false(iommufd_backend_walk_dirty_bitmap(f->be, hwpt, base, len, page, align,
                                                         0, buf, sizeof(buf), walk_chunk, &w,
                                                         &err));
        arm(0, 0);
        want = g_strdup_printf("IOMMU_HWPT_GET_DIRTY_BITMAP(hwpt_id %u, iova 0x%" PRIx64
                               ", size 0x40000, page_size 0x1000, flags 0x0) failed",
                               hwpt, base + 128 * page);
        assert_error(&err, ENOMEM, want, NULL);
        g_free(want);
        g_assert_cmpuint(w.chunks->len, ==, 4);
    }

    g_array_unref(w.chunks);
    g_array_unref(w.dirty);
    g_assert_true(iommufd_backend_set_dirty_tracking(f->be, hwpt, false, &err));
    /* stopped: the selftest driver refuses the read (EINVAL).  6.12.117
     * dropped that error and succeeded with no bit set; 6.12.118, like
     * upstream, passes it on (docs/kernel-notes.md) */
    g_assert_false(iommufd_backend_get_dirty_bitmap(f->be, hwpt, base, len, page, big, 0, &err));
    g_assert_nonnull(err);
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EINVAL);
    iommufd_error_free(err);
    err = NULL;
    struct iommu_destroy d = { .size = sizeof(d), .id = stdev };
    g_assert_cmpint(ioctl(f->fd, IOMMU_DESTROY, &d), ==, 0);
    g_assert_true(iommufd_backend_unmap_dma(f->be, f->ioas_id, base, len, NULL, &err));
    g_assert_true(iommufd_backend_free_id(f->be, hwpt, &err));
}

/* ---- virtualisation: HW queues, the vIOMMU's mmap ------------------------- */

static void test_hw_queue_mmap(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    uint32_t parent, viommu, q0, q1, qx;

    if (!has(f, IOMMUFD_CMD_HW_QUEUE_ALLOC)) {
        g_assert_false(iommufd_backend_alloc_hw_queue(f->be, 1, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0,
                                                      MOCK_APERTURE_START, 4096, &q0, &err));
        assert_enotty(&err, IOMMUFD_CMD_HW_QUEUE_ALLOC);
        return;
    }
    g_assert_true(iommufd_backend_map_dma(f->be, f->ioas_id, MOCK_APERTURE_START, 65536, f->buf,
                                          false, &err));
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, f->dev_id, f->ioas_id,
                                             IOMMUFD_HWPT_ALLOC_NEST_PARENT, 0, 0, NULL, 0,
                                             &parent, &err));
    struct iommu_viommu_selftest vdata = { .in_data = 0x1234 };
    g_assert_true(iommufd_backend_alloc_viommu(f->be, f->dev_id, IOMMU_VIOMMU_TYPE_SELFTEST,
                                               parent, &vdata, sizeof(vdata), &viommu, &err));
    g_assert_cmpuint(vdata.out_data, ==, 0x1234);
    /* the selftest vIOMMU announces a page of /dev/iommu */
    g_assert_cmpuint(vdata.out_mmap_length, >, 0);
    void *p = NULL;
    g_assert_true(iommufd_backend_viommu_mmap(f->be, viommu, vdata.out_mmap_length,
                                              vdata.out_mmap_offset, &p, &err));
    g_assert_nonnull(p);
    ((volatile uint32_t *)p)[0] = 0xfeed;
    g_assert_cmpuint(((volatile uint32_t *)p)[0], ==, 0xfeed);
    g_assert_true(iommufd_backend_viommu_munmap(f->be, p, vdata.out_mmap_length, &err));
    /* an offset nothing was announced at */
    g_assert_false(iommufd_backend_viommu_mmap(f->be, viommu, vdata.out_mmap_length,
                                               vdata.out_mmap_offset + (1ull << 30), &p, &err));
    char *want = g_strdup_printf("mmap of vIOMMU %u (size 0x%" PRIx64 ", offset 0x%" PRIx64
                                 ") failed", viommu, (uint64_t)vdata.out_mmap_length,
                                 (uint64_t)(vdata.out_mmap_offset + (1ull << 30)));
    assert_error(&err, ENXIO, want, NULL);
    g_free(want);

    g_assert_true(iommufd_backend_alloc_hw_queue(f->be, viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0,
                                                 MOCK_APERTURE_START, 4096, &q0, &err));
    g_assert_null(err);
    g_assert_cmpuint(q0, >, viommu);
    g_assert_false(iommufd_backend_alloc_hw_queue(f->be, viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0,
                                                  MOCK_APERTURE_START, 4096, &qx, &err));
    assert_error(&err, EEXIST, "IOMMU_HW_QUEUE_ALLOC(viommu_id ", NULL);
    g_assert_true(iommufd_backend_alloc_hw_queue(f->be, viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 1,
                                                 MOCK_APERTURE_START + 4096, 4096, &q1, &err));
    /* a type the vIOMMU does not have */
    g_assert_false(iommufd_backend_alloc_hw_queue(f->be, viommu, 0, 0, MOCK_APERTURE_START, 4096,
                                                  &qx, &err));
    assert_error(&err, EOPNOTSUPP, "IOMMU_HW_QUEUE_ALLOC(viommu_id ", "does not support");
    /* guest memory that is not mapped in the parent */
    g_assert_false(iommufd_backend_alloc_hw_queue(f->be, viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 1,
                                                  MOCK_APERTURE_START + 0x1000000, 4096, &qx,
                                                  &err));
    assert_error(&err, ENOENT, "IOMMU_HW_QUEUE_ALLOC(viommu_id ", NULL);
    g_assert_true(iommufd_backend_free_id(f->be, q1, &err));
    g_assert_true(iommufd_backend_free_id(f->be, q0, &err));
    g_assert_true(iommufd_backend_free_id(f->be, viommu, &err));
    g_assert_true(iommufd_backend_free_id(f->be, parent, &err));
    g_assert_true(iommufd_backend_unmap_dma(f->be, f->ioas_id, MOCK_APERTURE_START, 65536, NULL,
                                            &err));
    g_assert_null(err);
}

/* ---- VFIO cdev ------------------------------------------------------------ */

typedef int (*AddDeviceFn)(uint32_t, char *, size_t);

/*
 * A real VFIO device, when there is no mock: IOMMUFD_TEST_VFIO_NODE (its cdev
 * node, e.g. /dev/vfio/devices/vfio0) and IOMMUFD_TEST_VFIO_SYSFS (its sysfs
 * directory), which scripts/run-in-vm's q35-edu machine exports for QEMU's
 * edu device bound to vfio-pci.  NULL on the mock.
 */
static const char *real_vfio_node(void)
{
    if (mock_sym("iommufd_mock_add_device")) {
        return NULL;
    }
    const char *node = g_getenv("IOMMUFD_TEST_VFIO_NODE");
    return node && *node ? node : NULL;
}

static bool vfio_node(uint32_t flags, char *path, size_t len)
{
    AddDeviceFn add = (AddDeviceFn)mock_sym("iommufd_mock_add_device");
    if (!add) {
        const char *node = real_vfio_node();
        if (!node) {
            g_test_skip("needs a VFIO device (the mock's iommufd_mock_add_device here, or "
                        "IOMMUFD_TEST_VFIO_NODE)");
            return false;
        }
        /* a real device is what it is: only flags 0 asked for here */
        g_assert_cmpuint(flags, ==, 0);
        g_strlcpy(path, node, len);
        return true;
    }
    g_assert_cmpint(add(flags, path, len), ==, 0);
    return true;
}

/*
 * The VFIO tests' fixture: on a real device's machine (q35 + VT-d) the
 * selftest's MOCK_DOMAIN answers EINVAL, and the VFIO tests need none of
 * it: there the fixture has the context, the IOAS and the buffer only.
 */
static void fixture_setup_vfio(Fixture *f, gconstpointer data)
{
    if (!real_vfio_node()) {
        fixture_setup(f, data);
        return;
    }
    memset(f, 0, sizeof(*f));
    f->be = iommufd_backend_new();
    iommufd_backend_connect(f->be, &iommufd_error_abort);
    f->fd = iommufd_backend_get_fd(f->be);
    iommufd_backend_probe(f->be, &f->features, &iommufd_error_abort);
    iommufd_backend_alloc_ioas(f->be, &f->ioas_id, &iommufd_error_abort);
    f->buf_size = BUF_SIZE;
    f->buf = mmap(NULL, f->buf_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_true(f->buf != MAP_FAILED);
    memset(f->buf, 0x5a, f->buf_size);
}

static void test_vfio_open(Fixture *f, gconstpointer data)
{
    (void)data;
    (void)f;
    IOMMUFDError *err = NULL;
    char node[256];

    if (!vfio_node(0, node, sizeof(node))) {
        return;
    }
    /* by node */
    int fd = iommufd_vfio_device_open(node, &err);
    g_assert_null(err);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(fcntl(fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
    close(fd);

    /* a real device: by its real sysfs directory, the nodes where udev puts them */
    const char *sysfs = g_getenv("IOMMUFD_TEST_VFIO_SYSFS");
    if (real_vfio_node() && sysfs && *sysfs) {
        fd = iommufd_vfio_device_open_sysfs(sysfs, NULL, &err);
        g_assert_null(err);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(fcntl(fd, F_GETFD) & FD_CLOEXEC, ==, FD_CLOEXEC);
        /* the same device as the node */
        struct stat a, b;
        g_assert_cmpint(fstat(fd, &a), ==, 0);
        g_assert_cmpint(stat(node, &b), ==, 0);
        g_assert_true(S_ISCHR(a.st_mode));
        g_assert_cmpuint(a.st_rdev, ==, b.st_rdev);
        close(fd);
    }

    /* by its sysfs directory, in a test tree */
    char *root = g_dir_make_tmp("iommufd-sysfs-XXXXXX", NULL);
    char *devdir = g_build_filename(root, "0000:00:03.0", NULL);
    char *name = g_path_get_basename(node);
    char *nodedir = g_path_get_dirname(node);
    char *entry = g_build_filename(devdir, "vfio-dev", name, NULL);
    g_assert_cmpint(g_mkdir_with_parents(entry, 0755), ==, 0);
    fd = iommufd_vfio_device_open_sysfs(devdir, nodedir, &err);
    g_assert_null(err);
    g_assert_cmpint(fd, >=, 0);
    uint32_t dev_id = 0;
    g_assert_true(iommufd_backend_bind_device(f->be, fd, NULL, &dev_id, &err));
    g_assert_cmpuint(dev_id, >, 0);
    close(fd);

    /* a device without a VFIO cdev */
    char *plain = g_build_filename(root, "0000:00:04.0", NULL);
    g_assert_cmpint(g_mkdir(plain, 0755), ==, 0);
    g_assert_cmpint(iommufd_vfio_device_open_sysfs(plain, nodedir, &err), ==, -1);
    char *want = g_strdup_printf("Could not read '%s/vfio-dev'", plain);
    assert_error(&err, ENOENT, want, "bind it to vfio-pci");
    g_free(want);
    /* vfio-dev/ without a vfioN entry */
    char *empty = g_build_filename(plain, "vfio-dev", NULL);
    g_assert_cmpint(g_mkdir(empty, 0755), ==, 0);
    g_assert_cmpint(iommufd_vfio_device_open_sysfs(plain, nodedir, &err), ==, -1);
    assert_error(&err, ENOENT, "No vfioN entry in '", NULL);
    /* the entry names a node that does not exist */
    char *ghost = g_build_filename(empty, "vfio4095", NULL);
    g_assert_cmpint(g_mkdir(ghost, 0755), ==, 0);
    g_assert_cmpint(iommufd_vfio_device_open_sysfs(plain, root, &err), ==, -1);
    want = g_strdup_printf("Could not open VFIO device '%s/vfio4095'", root);
    assert_error(&err, ENOENT, want, "Bind the device to vfio-pci");
    g_free(want);

    g_rmdir(ghost);
    g_rmdir(empty);
    g_rmdir(plain);
    g_rmdir(entry);
    char *vdir = g_path_get_dirname(entry);
    g_rmdir(vdir);
    g_rmdir(devdir);
    g_rmdir(root);
    g_free(vdir);
    g_free(ghost);
    g_free(empty);
    g_free(plain);
    g_free(entry);
    g_free(nodedir);
    g_free(name);
    g_free(devdir);
    g_free(root);
}

static void test_vfio_bind_attach(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    char node[256];
    int (*count)(int) = (int (*)(int))mock_sym("iommufd_mock_count_objects");

    if (!vfio_node(0, node, sizeof(node))) {
        return;
    }
    int before = count ? count(f->fd) : 0;
    int fd = iommufd_vfio_device_open(node, &err);
    uint32_t dev_id = 0, hwpt = 0, hwpt2 = 0, got = 0;
    g_assert_true(iommufd_backend_bind_device(f->be, fd, NULL, &dev_id, &err));
    g_assert_null(err);
    g_assert_cmpuint(dev_id, >, f->dev_id);
    /* twice: refused */
    g_assert_false(iommufd_backend_bind_device(f->be, fd, NULL, &got, &err));
    char *want = g_strdup_printf("VFIO_DEVICE_BIND_IOMMUFD(vfio fd %d, iommufd %d, flags 0x0) "
                                 "failed: Invalid argument", fd, f->fd);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==, want);
    g_free(want);
    assert_error(&err, EINVAL, NULL, "A device binds once");

    /* the bound device answers GET_HW_INFO: the mock's selftest type, or the
     * edu device's IOMMU, QEMU's emulated VT-d */
    uint32_t type = 0;
    g_assert_true(iommufd_backend_get_device_info(f->be, dev_id, &type, NULL, 0, NULL, NULL,
                                                  NULL, &err));
    g_assert_cmpuint(type, ==, real_vfio_node() ? IOMMU_HW_INFO_TYPE_INTEL_VTD
                                                : IOMMU_HW_INFO_TYPE_SELFTEST);

    /* attach to the IOAS: a HWPT is made for it */
    g_assert_true(iommufd_vfio_device_attach(fd, f->ioas_id, &hwpt, &err));
    g_assert_null(err);
    g_assert_cmpuint(hwpt, !=, 0);
    g_assert_cmpuint(hwpt, !=, f->ioas_id);
    if (real_vfio_node()) {
        /* a real device: DMA mappings at a usable IOVA go into its IOMMU */
        IOMMUFDIovaRange *r = NULL;
        uint32_t nr = 0;
        uint64_t align = 0, unmapped = 0;
        g_assert_true(iommufd_backend_get_iova_ranges(f->be, f->ioas_id, &r, &nr, &align,
                                                      &err));
        g_assert_cmpuint(nr, >, 0);
        uint64_t iova = (r[0].start + 0xfffff) & ~(uint64_t)0xfffff;
        g_assert_cmpuint(iova + 65536 - 1, <=, r[0].last);
        g_free(r);
        g_assert_true(iommufd_backend_map_dma(f->be, f->ioas_id, iova, 65536, f->buf, false,
                                              &err));
        g_assert_null(err);
        g_assert_true(iommufd_backend_unmap_dma(f->be, f->ioas_id, iova, 65536, &unmapped,
                                                &err));
        g_assert_cmpuint(unmapped, ==, 65536);
    }
    /* replace with a HWPT of our own */
    g_assert_true(iommufd_backend_alloc_hwpt(f->be, dev_id, f->ioas_id, 0, 0, 0, NULL, 0, &hwpt2,
                                             &err));
    g_assert_true(iommufd_vfio_device_attach(fd, hwpt2, &got, &err));
    g_assert_cmpuint(got, ==, hwpt2);
    g_assert_false(iommufd_backend_free_id(f->be, hwpt2, &err));
    assert_error(&err, EBUSY, NULL, "still references");
    /* something that does not exist */
    g_assert_false(iommufd_vfio_device_attach(fd, 9999, &got, &err));
    want = g_strdup_printf("VFIO_DEVICE_ATTACH_IOMMUFD_PT(vfio fd %d, pt_id 9999, flags 0x0, "
                           "pasid 0) failed", fd);
    assert_error(&err, ENOENT, want, NULL);
    g_free(want);
    g_assert_cmpuint(got, ==, hwpt2);
    g_assert_true(iommufd_vfio_device_detach(fd, &err));
    g_assert_true(iommufd_backend_free_id(f->be, hwpt2, &err));
    g_assert_null(err);

    /* PASIDs: 6.15; 6.12 refuses the flag */
    if (model_612(f)) {
        g_assert_false(iommufd_vfio_device_attach_pasid(fd, 5, f->ioas_id, &got, &err));
        assert_error(&err, EINVAL, "VFIO_DEVICE_ATTACH_IOMMUFD_PT(vfio fd ",
                     "PASID attach needs Linux 6.15");
        g_assert_false(iommufd_vfio_device_detach_pasid(fd, 5, &err));
        assert_error(&err, EINVAL, "VFIO_DEVICE_DETACH_IOMMUFD_PT(vfio fd ",
                     "PASID attach needs Linux 6.15");
    } else {
        /* a device without PASID support */
        g_assert_false(iommufd_vfio_device_attach_pasid(fd, 5, f->ioas_id, &got, &err));
        assert_error(&err, EOPNOTSUPP, "VFIO_DEVICE_ATTACH_IOMMUFD_PT(vfio fd ",
                     "PASID attach needs Linux 6.15 and a device");
        char pnode[256];
        g_assert_true(vfio_node(MOCK_FLAGS_DEVICE_PASID, pnode, sizeof(pnode)));
        int pfd = iommufd_vfio_device_open(pnode, &err);
        uint32_t pdev, phwpt = 0, rhwpt = 0;
        g_assert_true(iommufd_backend_bind_device(f->be, pfd, NULL, &pdev, &err));
        g_assert_true(iommufd_backend_alloc_hwpt(f->be, pdev, f->ioas_id,
                                                 IOMMUFD_HWPT_ALLOC_PASID, 0, 0, NULL, 0,
                                                 &phwpt, &err));
        g_assert_true(iommufd_vfio_device_attach(pfd, phwpt, &rhwpt, &err));
        g_assert_true(iommufd_vfio_device_attach_pasid(pfd, 5, phwpt, &got, &err));
        g_assert_null(err);
        g_assert_cmpuint(got, ==, phwpt);
        g_assert_true(iommufd_vfio_device_detach_pasid(pfd, 5, &err));
        g_assert_true(iommufd_vfio_device_detach(pfd, &err));
        g_assert_true(iommufd_backend_free_id(f->be, phwpt, &err));
        g_assert_null(err);
        close(pfd);
    }

    /* an fd that is no VFIO device */
    int nfd = open("/dev/null", O_RDWR | O_CLOEXEC);
    g_assert_false(iommufd_vfio_device_attach(nfd, f->ioas_id, &got, &err));
    assert_error(&err, ENOTTY, "VFIO_DEVICE_ATTACH_IOMMUFD_PT(vfio fd ",
                 "lacks VFIO_DEVICE_ATTACH_IOMMUFD_PT");
    g_assert_false(iommufd_vfio_device_detach(nfd, &err));
    assert_error(&err, ENOTTY, "VFIO_DEVICE_DETACH_IOMMUFD_PT(vfio fd ",
                 "lacks VFIO_DEVICE_DETACH_IOMMUFD_PT");
    g_assert_false(iommufd_backend_bind_device(f->be, nfd, NULL, &got, &err));
    assert_error(&err, ENOTTY, "VFIO_DEVICE_BIND_IOMMUFD(vfio fd ",
                 "lacks VFIO_DEVICE_BIND_IOMMUFD");
    close(nfd);

    /* closing the fd unbinds: the context is as it was */
    close(fd);
    if (count) {
        g_assert_cmpint(count(f->fd), ==, before);
    }
}

static void test_vfio_token(Fixture *f, gconstpointer data)
{
    (void)data;
    IOMMUFDError *err = NULL;
    char node[256];
    static const uint8_t token[16] = { 0x4b, 0x1d, 0x5e, 0x8a, 0x2c, 0x44, 0x4e, 0x71,
                                       0x9a, 0x1f, 0x0e, 0x33, 0x6d, 0x58, 0xc2, 0x07 };

    if (!vfio_node(0, node, sizeof(node))) {
        return;
    }
    int fd = iommufd_vfio_device_open(node, &err);
    uint32_t dev_id = 0;
    bool ok = iommufd_backend_bind_device(f->be, fd, token, &dev_id, &err);
    if (model_612(f)) {
        /* 6.12 knows no bind flag */
        g_assert_false(ok);
        char *want = g_strdup_printf("VFIO_DEVICE_BIND_IOMMUFD(vfio fd %d, iommufd %d, flags "
                                     "0x1) failed: Invalid argument", fd, f->fd);
        g_assert_cmpstr(iommufd_error_get_pretty(err), ==, want);
        g_free(want);
        assert_error(&err, EINVAL, NULL, "a VF token needs Linux 6.17");
        /* without the token it binds */
        g_assert_true(iommufd_backend_bind_device(f->be, fd, NULL, &dev_id, &err));
    } else {
        g_assert_true(ok);
        g_assert_null(err);
    }
    g_assert_cmpuint(dev_id, >, 0);
    close(fd);
}

/* ---- tracing: one event per ioctl, with the values --------------------- */

static void collect(const char *event, const char *line, void *opaque)
{
    (void)event;
    g_ptr_array_add(opaque, g_strdup(line));
}

static void test_trace_events(Fixture *f, gconstpointer data)
{
    (void)data;
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    uint32_t ioas, other;

    iommufd_trace_set_sink(collect, lines);
    iommufd_trace_enable("iommufd_backend_*");
    g_assert_true(iommufd_backend_alloc_ioas(f->be, &ioas, &iommufd_error_abort));
    g_assert_true(iommufd_backend_map_dma(f->be, ioas, 0x100000, 4096, f->buf, true,
                                          &iommufd_error_abort));
    g_assert_true(iommufd_backend_unmap_dma(f->be, ioas, 0x100000, 4096, NULL,
                                            &iommufd_error_abort));
    g_assert_true(iommufd_backend_unmap_dma(f->be, ioas, 0x100000, 4096, NULL,
                                            &iommufd_error_abort));
    g_assert_false(iommufd_backend_free_id(f->be, 9999, NULL));
    g_assert_false(iommufd_backend_map_dma(f->be, ioas, 0, 0, f->buf, true, NULL)); /* none */
    g_assert_true(iommufd_backend_free_id(f->be, ioas, &iommufd_error_abort));
    iommufd_trace_enable("-iommufd_backend_*");
    g_assert_true(iommufd_backend_alloc_ioas(f->be, &other, &iommufd_error_abort)); /* off */
    iommufd_trace_set_sink(NULL, NULL);

    char *want[] = {
        g_strdup_printf("iommufd_backend_alloc_ioas iommufd %d ioas_id %u ret 0", f->fd, ioas),
        g_strdup_printf("iommufd_backend_map_dma iommufd %d ioas_id %u flags 0x5 iova 0x100000 "
                        "size 0x1000 vaddr %p ret 0", f->fd, ioas, f->buf),
        g_strdup_printf("iommufd_backend_unmap_dma iommufd %d ioas_id %u iova 0x100000 "
                        "size 0x1000 unmapped 0x1000 ret 0", f->fd, ioas),
        g_strdup_printf("iommufd_backend_unmap_dma_check_ioas iommufd %d ioas_id %u ret %d",
                        f->fd, ioas, EMSGSIZE),
        g_strdup_printf("iommufd_backend_unmap_dma_non_exist iommufd %d ioas_id %u "
                        "iova 0x100000 size 0x1000 nothing mapped", f->fd, ioas),
        g_strdup_printf("iommufd_backend_free_id iommufd %d id 9999 ret %d", f->fd, ENOENT),
        g_strdup_printf("iommufd_backend_free_id iommufd %d id %u ret 0", f->fd, ioas),
    };
    g_assert_cmpuint(lines->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        g_assert_cmpstr(g_ptr_array_index(lines, i), ==, want[i]);
        g_free(want[i]);
    }
    g_ptr_array_unref(lines);
}

/* ---- threads ------------------------------------------------------------ */

typedef struct {
    Fixture *f;
    int index;
    int errors;
} ThreadArg;

static gpointer thread_body(gpointer opaque)
{
    ThreadArg *a = opaque;
    Fixture *f = a->f;
    uint8_t *mem = (uint8_t *)f->buf + a->index * 65536;
    for (int i = 0; i < 200; i++) {
        uint32_t ioas;
        uint64_t iova = MOCK_APERTURE_START + (uint64_t)(a->index * 200 + i) * 65536;
        if (!iommufd_backend_map_dma(f->be, f->ioas_id, iova, 65536, mem, false, NULL) ||
            !iommufd_backend_unmap_dma(f->be, f->ioas_id, iova, 65536, NULL, NULL) ||
            !iommufd_backend_alloc_ioas(f->be, &ioas, NULL) ||
            !iommufd_backend_free_id(f->be, ioas, NULL)) {
            a->errors++;
        }
    }
    return NULL;
}

static void test_threads(Fixture *f, gconstpointer data)
{
    (void)data;
    GThread *t[4];
    ThreadArg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (ThreadArg){ f, i, 0 };
        t[i] = g_thread_new("mapper", thread_body, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        g_thread_join(t[i]);
        g_assert_cmpint(args[i].errors, ==, 0);
    }
    IOMMUFDIovaRange *r;
    uint32_t n;
    uint64_t unmapped = 1;
    g_assert_true(iommufd_backend_get_iova_ranges(f->be, f->ioas_id, &r, &n, NULL, NULL));
    g_free(r);
    /* nothing left mapped */
    g_assert_true(iommufd_backend_unmap_dma(f->be, f->ioas_id, 0, UINT64_MAX, &unmapped, NULL));
    g_assert_cmpuint(unmapped, ==, 0);
}

int main(int argc, char **argv)
{
    test_backend_print();
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
    tu_add_func("/backend/connect-owned", test_connect_owned);
    tu_add_func("/backend/connect-handed-fd", test_connect_handed_fd);
    tu_add_func("/backend/properties", test_properties);
    tu_add_func("/backend/connect-enoent", test_connect_enoent);
    tu_add_func("/backend/connect-eacces", test_connect_eacces);
    tu_add_func("/backend/connect-not-iommufd", test_connect_not_iommufd);
    tu_add_func("/backend/hwpt/dirty-range-check", test_dirty_range_check);
#define ADD(path, fn) tu_add("/backend/" path, Fixture, NULL, fixture_setup, fn, \
                                 fixture_teardown)
    ADD("bad-args", test_bad_args);
    ADD("ioas/alloc-free", test_alloc_free);
    ADD("ioas/iova-ranges-emsgsize", test_iova_ranges_emsgsize);
    ADD("ioas/map-enomem", test_map_enomem);
    ADD("ioas/rlimit-mode", test_rlimit_mode);
    ADD("ioas/map-unmap", test_map_unmap);
    ADD("ioas/map-efault", test_map_efault);
    ADD("ioas/map-auto-ranges", test_map_auto_ranges);
    ADD("ioas/copy", test_copy);
    ADD("ioas/options", test_options);
    ADD("ioas/vfio-ioas", test_vfio_ioas);
    ADD("ioas/map-file-change-process", test_map_file_change_process);
    ADD("probe", test_probe);
    ADD("hwpt/hw-info", test_hw_info);
    ADD("hwpt/alloc", test_hwpt_alloc);
    ADD("hwpt/dirty-tracking", test_dirty_tracking);
    ADD("hwpt/invalidate", test_invalidate);
    ADD("hwpt/fault-id", test_hwpt_fault_id);
    ADD("hwpt/hw-info-input-type", test_hw_info_input_type);
    ADD("hwpt/dirty-walk", test_dirty_walk);
    ADD("hw-queue-mmap", test_hw_queue_mmap);
#define ADD_VFIO(path, fn) tu_add("/backend/" path, Fixture, NULL, fixture_setup_vfio, fn, \
                                      fixture_teardown)
    ADD_VFIO("vfio/open", test_vfio_open);
    ADD_VFIO("vfio/bind-attach", test_vfio_bind_attach);
    ADD_VFIO("vfio/token", test_vfio_token);
    ADD("faultq", test_faultq);
    ADD("viommu-path", test_viommu_path);
    ADD("trace-events", test_trace_events);
    ADD("threads", test_threads);
    return g_test_run();
}
