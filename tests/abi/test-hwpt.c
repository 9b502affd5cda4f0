/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw-ioctl conformance of the HWPT side of iommufd, in the spirit of the
 * kernel's tools/testing/selftests/iommu: HWPT_ALLOC (paging, nest parent,
 * dirty tracking, nested with the selftest data, fault ids), GET_HW_INFO,
 * dirty tracking and the dirty bitmap, HWPT_INVALIDATE, the fault queue and
 * its records, vIOMMU / vDEVICE / vEVENTQ / HW queue, the VFIO cdev flow on
 * mock nodes and the mock's fixtures API (fail-Nth, counters).
 *
 * Every expectation comes from the kernel (6.12.117 and newest upstream),
 * never from the mock.  Test classes (DESIGN.md "Tests", abi-util.h):
 * selftest-based tests skip without IOMMU_TEST_CMD; commands 6.12 lacks skip
 * through ABI_NEED_CMD; 6.12-vs-newest answers branch on abi_kernel_is_6_12();
 * tests of the mock's own API skip unless the mock is preloaded.
 */
#include <dlfcn.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "abi-util.h"
#include "../common/fd-check.h"

/* VFIO_DEVICE_GET_INFO: only needed to show that a device ioctl before bind
 * answers EINVAL; the project's vfio.h does not carry it. */
#define HWPT_VFIO_DEVICE_GET_INFO _IO(VFIO_TYPE, VFIO_BASE + 7)

/* offsetofend(struct iommu_hwpt_selftest, iotlb): 6.12's whole struct is 4
 * bytes and a longer data_len is EINVAL there, so this is what works on
 * every kernel. */
#define SELFTEST_DATA_LEN 4u

static size_t page_size;

/* ---- fixture: one context, one IOAS, one mock device -------------------- */

#define FIX_MAX_FDS 8

typedef struct {
    int fd;
    uint32_t ioas_id;
    uint32_t stdev_id;
    uint32_t hwpt_id;
    uint32_t dev_id;
    int fds[FIX_MAX_FDS];   /* other fds the test opened, closed at the end */
    void *mem;              /* user memory mapped into an IOAS */
    size_t mem_len;
} Fix;

#define FIX_INIT { .fd = -1, .fds = { -1, -1, -1, -1, -1, -1, -1, -1 } }

static void fix_cleanup(Fix *f)
{
    for (int i = 0; i < FIX_MAX_FDS; i++) {
        if (f->fds[i] >= 0) {
            close(f->fds[i]);
        }
    }
    if (f->fd >= 0) {
        close(f->fd);
    }
    if (f->mem) {
        munmap(f->mem, f->mem_len);
    }
}

/* Declares the fixture; whatever path leaves the test (skip included)
 * closes every fd it holds. */
#define FIX_DECL Fix f __attribute__((cleanup(fix_cleanup))) = FIX_INIT

static int fix_track(Fix *f, int fd)
{
    for (int i = 0; i < FIX_MAX_FDS; i++) {
        if (f->fds[i] < 0) {
            f->fds[i] = fd;
            return fd;
        }
    }
    g_error("too many fds in one test");
}

static void fix_close(Fix *f, int fd)
{
    for (int i = 0; i < FIX_MAX_FDS; i++) {
        if (f->fds[i] == fd) {
            f->fds[i] = -1;
        }
    }
    g_assert_cmpint(close(fd), ==, 0);
}

static bool fix_open(Fix *f)
{
    f->fd = abi_open();
    if (!abi_has_cmd(f->fd, 0xa0)) {
        g_test_skip("needs IOMMU_TEST_CMD (a kernel with CONFIG_IOMMUFD_TEST)");
        return false;
    }
    return true;
}

/* Context + IOAS + a mock device (MOCK_DOMAIN_FLAGS dev_flags) on it. */
static bool fix_setup(Fix *f, uint32_t dev_flags)
{
    if (!fix_open(f)) {
        return false;
    }
    f->ioas_id = abi_ioas_alloc(f->fd);
    g_assert_cmpint(abi_mock_domain(f->fd, f->ioas_id, dev_flags, &f->stdev_id, &f->hwpt_id,
                                    &f->dev_id), ==, 0);
    g_assert_cmpuint(f->dev_id, !=, 0);
    return true;
}

#define FIX_SETUP(flags)                                                         \
    FIX_DECL;                                                                    \
    do {                                                                         \
        if (!fix_setup(&f, (flags))) {                                           \
            return;                                                              \
        }                                                                        \
    } while (0)

/* ---- the mock's fixtures API, found at run time ------------------------- */

typedef struct {
    int (*add_device)(uint32_t flags, char *path, size_t len);
    int (*trigger_fault)(int iommufd, uint32_t dev_id, uint32_t pasid, uint32_t grpid,
                         uint32_t perm, uint64_t addr, unsigned count);
    int (*trigger_vevent)(int iommufd, uint32_t dev_id);
    int (*veventq_set_sequence)(int iommufd, uint32_t veventq_id, uint32_t sequence);
    void (*fail_nth)(unsigned nth, int err);
    bool (*fail_nth_reached)(void);
    int (*count_objects)(int iommufd);
    unsigned (*count_fds)(void);
} MockApi;

static MockApi mock;

static void *mock_sym(const char *name)
{
    void *p = dlsym(RTLD_DEFAULT, name);

    if (!p) {
        g_error("the mock is preloaded but lacks %s", name);
    }
    return p;
}

static void mock_api_load(void)
{
    if (!test_backend_is_mock()) {
        return;
    }
    mock.add_device = mock_sym("iommufd_mock_add_device");
    mock.trigger_fault = mock_sym("iommufd_mock_trigger_fault");
    mock.trigger_vevent = mock_sym("iommufd_mock_trigger_vevent");
    mock.veventq_set_sequence = mock_sym("iommufd_mock_veventq_set_sequence");
    mock.fail_nth = mock_sym("iommufd_mock_fail_nth");
    mock.fail_nth_reached = mock_sym("iommufd_mock_fail_nth_reached");
    mock.count_objects = mock_sym("iommufd_mock_count_objects");
    mock.count_fds = mock_sym("iommufd_mock_count_fds");
}

/* ---- one helper per operation, returning 0 or -errno -------------------- */

static int hwpt_alloc(int fd, uint32_t flags, uint32_t dev_id, uint32_t pt_id, uint32_t data_type,
                      const void *data, uint32_t data_len, uint32_t fault_id, uint32_t *out)
{
    struct iommu_hwpt_alloc cmd = {
        .size = sizeof(cmd),
        .flags = flags,
        .dev_id = dev_id,
        .pt_id = pt_id,
        .data_type = data_type,
        .data_len = data_len,
        .data_uptr = (uintptr_t)data,
        .fault_id = fault_id,
    };
    int rc = abi_ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

    if (rc == 0 && out) {
        g_assert_cmpuint(cmd.out_hwpt_id, !=, 0);
        *out = cmd.out_hwpt_id;
    }
    return rc;
}

static int hwpt_paging(int fd, uint32_t flags, uint32_t dev_id, uint32_t pt_id, uint32_t *out)
{
    return hwpt_alloc(fd, flags, dev_id, pt_id, IOMMU_HWPT_DATA_NONE, NULL, 0, 0, out);
}

static const struct iommu_hwpt_selftest selftest_data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };

static int hwpt_nested(int fd, uint32_t flags, uint32_t dev_id, uint32_t pt_id, uint32_t fault_id,
                       uint32_t *out)
{
    return hwpt_alloc(fd, flags, dev_id, pt_id, IOMMU_HWPT_DATA_SELFTEST, &selftest_data,
                      SELFTEST_DATA_LEN, fault_id, out);
}

static int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
    cmd->size = sizeof(*cmd);
    return abi_ioctl(fd, IOMMU_TEST_CMD, cmd);
}

static int mock_replace(int fd, uint32_t stdev_id, uint32_t pt_id, uint32_t *out)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev_id };
    int rc = 0;

    cmd.mock_domain_replace.pt_id = pt_id;
    rc = test_cmd(fd, &cmd);
    if (rc == 0 && out) {
        *out = cmd.mock_domain_replace.pt_id;
    }
    return rc;
}

static int check_iotlb(int fd, uint32_t hwpt_id, uint32_t iotlb_id, uint32_t value)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_IOTLB, .id = hwpt_id };

    cmd.check_iotlb.id = iotlb_id;
    cmd.check_iotlb.iotlb = value;
    return test_cmd(fd, &cmd);
}

static void assert_iotlbs(int fd, uint32_t hwpt_id, uint32_t v0, uint32_t v1, uint32_t v2,
                          uint32_t v3)
{
    const uint32_t v[] = { v0, v1, v2, v3 };

    for (uint32_t i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++) {
        g_assert_cmpint(check_iotlb(fd, hwpt_id, i, v[i]), ==, 0);
    }
}

static int invalidate(int fd, uint32_t id, const void *reqs, uint32_t data_type, uint32_t entry_len,
                      uint32_t *num)
{
    struct iommu_hwpt_invalidate cmd = {
        .size = sizeof(cmd),
        .hwpt_id = id,
        .data_uptr = (uintptr_t)reqs,
        .data_type = data_type,
        .entry_len = entry_len,
        .entry_num = *num,
    };
    int rc = abi_ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);

    /* entry_num is written back on success and on failure alike */
    *num = cmd.entry_num;
    return rc;
}

static int fault_alloc(int fd, uint32_t *id, int *fault_fd)
{
    struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
    int rc = abi_ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);

    if (rc == 0) {
        *id = cmd.out_fault_id;
        *fault_fd = (int)cmd.out_fault_fd;
    }
    return rc;
}

static int trigger_iopf(int fd, uint32_t dev_id, uint32_t pasid, uint32_t grpid, uint32_t perm,
                        uint64_t addr)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_TRIGGER_IOPF };

    cmd.trigger_iopf.dev_id = dev_id;
    cmd.trigger_iopf.pasid = pasid;
    cmd.trigger_iopf.grpid = grpid;
    cmd.trigger_iopf.perm = perm;
    cmd.trigger_iopf.addr = addr;
    return test_cmd(fd, &cmd);
}

static int set_dirty(int fd, uint32_t hwpt_id, uint32_t flags)
{
    struct iommu_hwpt_set_dirty_tracking cmd = {
        .size = sizeof(cmd), .flags = flags, .hwpt_id = hwpt_id,
    };

    return abi_ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

static int get_bitmap(int fd, uint32_t hwpt_id, uint64_t iova, uint64_t length, uint64_t pgsize,
                      void *bitmap, uint32_t flags)
{
    struct iommu_hwpt_get_dirty_bitmap cmd = {
        .size = sizeof(cmd),
        .hwpt_id = hwpt_id,
        .flags = flags,
        .iova = iova,
        .length = length,
        .page_size = pgsize,
        .data = (uintptr_t)bitmap,
    };

    return abi_ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

/* Selftest DIRTY: marks the mock PTEs under the set bits dirty. */
static int mock_dirty(int fd, uint32_t hwpt_id, uint64_t iova, uint64_t length, uint64_t pgsize,
                      const void *bitmap, uint64_t *nr)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_DIRTY, .id = hwpt_id };
    int rc = 0;

    cmd.dirty.iova = iova;
    cmd.dirty.length = length;
    cmd.dirty.page_size = pgsize;
    cmd.dirty.uptr = (uintptr_t)bitmap;
    rc = test_cmd(fd, &cmd);
    if (rc == 0 && nr) {
        *nr = cmd.dirty.out_nr_dirty;
    }
    return rc;
}

static int ioas_map(int fd, uint32_t ioas_id, void *va, uint64_t len, uint64_t *iova, bool fixed)
{
    struct iommu_ioas_map cmd = {
        .size = sizeof(cmd),
        .flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
                 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
        .ioas_id = ioas_id,
        .user_va = (uintptr_t)va,
        .length = len,
        .iova = *iova,
    };
    int rc = abi_ioctl(fd, IOMMU_IOAS_MAP, &cmd);

    if (rc == 0) {
        *iova = cmd.iova;
    }
    return rc;
}

static int ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova, uint64_t len)
{
    struct iommu_ioas_unmap cmd = {
        .size = sizeof(cmd), .ioas_id = ioas_id, .iova = iova, .length = len,
    };

    return abi_ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);
}

static int viommu_alloc(int fd, uint32_t dev_id, uint32_t hwpt_id, uint32_t type, void *data,
                        uint32_t data_len, uint32_t *out)
{
    struct iommu_viommu_alloc cmd = {
        .size = sizeof(cmd),
        .type = type,
        .dev_id = dev_id,
        .hwpt_id = hwpt_id,
        .data_len = data_len,
        .data_uptr = (uintptr_t)data,
    };
    int rc = abi_ioctl(fd, IOMMU_VIOMMU_ALLOC, &cmd);

    if (rc == 0 && out) {
        g_assert_cmpuint(cmd.out_viommu_id, !=, 0);
        *out = cmd.out_viommu_id;
    }
    return rc;
}

static int vdevice_alloc(int fd, uint32_t viommu_id, uint32_t dev_id, uint64_t virt_id,
                         uint32_t *out)
{
    struct iommu_vdevice_alloc cmd = {
        .size = sizeof(cmd), .viommu_id = viommu_id, .dev_id = dev_id, .virt_id = virt_id,
    };
    int rc = abi_ioctl(fd, IOMMU_VDEVICE_ALLOC, &cmd);

    if (rc == 0 && out) {
        *out = cmd.out_vdevice_id;
    }
    return rc;
}

static int veventq_alloc(int fd, uint32_t viommu_id, uint32_t type, uint32_t depth, uint32_t *id,
                         int *qfd)
{
    struct iommu_veventq_alloc cmd = {
        .size = sizeof(cmd), .viommu_id = viommu_id, .type = type, .veventq_depth = depth,
    };
    int rc = abi_ioctl(fd, IOMMU_VEVENTQ_ALLOC, &cmd);

    if (rc == 0) {
        *id = cmd.out_veventq_id;
        *qfd = (int)cmd.out_veventq_fd;
    }
    return rc;
}

static int trigger_vevent(int fd, uint32_t dev_id)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT };

    cmd.trigger_vevent.dev_id = dev_id;
    return test_cmd(fd, &cmd);
}

static int hw_queue_alloc(int fd, uint32_t viommu_id, uint32_t type, uint32_t index, uint64_t iova,
                          uint64_t length, uint32_t *out)
{
    struct iommu_hw_queue_alloc cmd = {
        .size = sizeof(cmd),
        .viommu_id = viommu_id,
        .type = type,
        .index = index,
        .nesting_parent_iova = iova,
        .length = length,
    };
    int rc = abi_ioctl(fd, IOMMU_HW_QUEUE_ALLOC, &cmd);

    if (rc == 0 && out) {
        *out = cmd.out_hw_queue_id;
    }
    return rc;
}

/* read()/write() as 0..n or -errno */
static ssize_t xread(int fd, void *buf, size_t n)
{
    ssize_t r = read(fd, buf, n);

    return r < 0 ? -errno : r;
}

static ssize_t xwrite(int fd, const void *buf, size_t n)
{
    ssize_t r = write(fd, buf, n);

    return r < 0 ? -errno : r;
}

/* revents for POLLIN|POLLOUT after waiting at most timeout_ms */
static short poll_revents(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
    int rc = poll(&p, 1, timeout_ms);

    g_assert_cmpint(rc, >=, 0);
    return rc == 0 ? 0 : p.revents;
}

/* ==== 1. HWPT_ALLOC ======================================================= */

static void test_alloc_paging(void)
{
    FIX_SETUP(0);
    uint32_t hwpt = 0, parent = 0, stdev2 = 0, hwpt2 = 0;

    g_assert_cmpint(hwpt_paging(f.fd, 0, f.dev_id, f.ioas_id, &hwpt), ==, 0);
    /* a second mock device attached straight to that HWPT */
    g_assert_cmpint(abi_mock_domain(f.fd, hwpt, 0, &stdev2, &hwpt2, NULL), ==, 0);
    g_assert_cmpuint(hwpt2, ==, hwpt);
    g_assert_cmpint(abi_destroy(f.fd, hwpt), ==, -EBUSY);
    g_assert_cmpint(abi_destroy(f.fd, f.ioas_id), ==, -EBUSY);
    g_assert_cmpint(abi_destroy(f.fd, stdev2), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, hwpt), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, hwpt), ==, -ENOENT);

    g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, f.dev_id, f.ioas_id, &parent),
                    ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, parent), ==, 0);
}

/* The 24-byte (6.6) and 40-byte (6.7-6.10) layouts: the kernel reads only
 * `size` bytes and writes back no more than that. */
static void test_alloc_old_sizes(void)
{
    FIX_SETUP(0);
    struct iommu_hwpt_alloc cmd;
    uint32_t parent = 0;

    memset(&cmd, 0xff, sizeof(cmd));
    cmd.size = 24;
    cmd.flags = 0;
    cmd.dev_id = f.dev_id;
    cmd.pt_id = f.ioas_id;
    cmd.out_hwpt_id = 0;
    cmd.__reserved = 0;
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_HWPT_ALLOC, &cmd), ==, 0);
    g_assert_cmpuint(cmd.out_hwpt_id, !=, 0);
    g_assert_cmpuint(cmd.data_type, ==, 0xffffffffu);
    g_assert_cmpuint(cmd.data_len, ==, 0xffffffffu);
    g_assert_cmpint(abi_destroy(f.fd, cmd.out_hwpt_id), ==, 0);

    g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, f.dev_id, f.ioas_id, &parent),
                    ==, 0);
    memset(&cmd, 0xff, sizeof(cmd));
    cmd.size = 40;
    cmd.flags = 0;
    cmd.dev_id = f.dev_id;
    cmd.pt_id = parent;
    cmd.out_hwpt_id = 0;
    cmd.__reserved = 0;
    cmd.data_type = IOMMU_HWPT_DATA_SELFTEST;
    cmd.data_len = SELFTEST_DATA_LEN;
    cmd.data_uptr = (uintptr_t)&selftest_data;
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_HWPT_ALLOC, &cmd), ==, 0);
    g_assert_cmpuint(cmd.out_hwpt_id, !=, 0);
    g_assert_cmpuint(cmd.fault_id, ==, 0xffffffffu);
    g_assert_cmpuint(cmd.__reserved2, ==, 0xffffffffu);
    assert_iotlbs(f.fd, cmd.out_hwpt_id, IOMMU_TEST_IOTLB_DEFAULT, IOMMU_TEST_IOTLB_DEFAULT,
                  IOMMU_TEST_IOTLB_DEFAULT, IOMMU_TEST_IOTLB_DEFAULT);
    g_assert_cmpint(abi_destroy(f.fd, cmd.out_hwpt_id), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, parent), ==, 0);
}

static void test_alloc_errors(void)
{
    FIX_SETUP(0);
    struct iommu_hwpt_alloc cmd = {
        .size = sizeof(cmd), .dev_id = f.dev_id, .pt_id = f.ioas_id, .__reserved = 1,
    };
    uint32_t hwpt = 0;

    /* checked before anything is looked up */
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_HWPT_ALLOC, &cmd), ==, -EOPNOTSUPP);
    cmd.dev_id = 0x7fffffff;
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_HWPT_ALLOC, &cmd), ==, -EOPNOTSUPP);

    /* data_type and data_len go together */
    g_assert_cmpint(hwpt_alloc(f.fd, 0, f.dev_id, f.ioas_id, IOMMU_HWPT_DATA_NONE, &selftest_data,
                               SELFTEST_DATA_LEN, 0, &hwpt), ==, -EINVAL);
    g_assert_cmpint(hwpt_alloc(f.fd, 0, f.dev_id, f.ioas_id, IOMMU_HWPT_DATA_SELFTEST,
                               &selftest_data, 0, 0, &hwpt), ==, -EINVAL);

    /* ids: the device per type (ENOENT), pt_id of any wrong kind (EINVAL) */
    g_assert_cmpint(hwpt_paging(f.fd, 0, 0x7fffffff, f.ioas_id, &hwpt), ==, -ENOENT);
    g_assert_cmpint(hwpt_paging(f.fd, 0, f.ioas_id, f.ioas_id, &hwpt), ==, -ENOENT);
    g_assert_cmpint(hwpt_paging(f.fd, 0, f.dev_id, 0x7fffffff, &hwpt), ==, -EINVAL);
    g_assert_cmpint(hwpt_paging(f.fd, 0, f.dev_id, f.dev_id, &hwpt), ==, -EINVAL);

    /* flags */
    g_assert_cmpint(hwpt_paging(f.fd, 1u << 8, f.dev_id, f.ioas_id, &hwpt), ==, -EOPNOTSUPP);
    g_assert_cmpint(hwpt_paging(f.fd, 1u << 31, f.dev_id, f.ioas_id, &hwpt), ==, -EOPNOTSUPP);
    g_assert_cmpint(hwpt_alloc(f.fd, IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_FAULT_ID_VALID,
                               f.dev_id, f.ioas_id, IOMMU_HWPT_DATA_NONE, NULL, 0, 0, &hwpt),
                    ==, -EOPNOTSUPP);
    if (abi_kernel_is_6_12()) {
        /* 6.12 knows neither ALLOC_PASID nor driver data on a paging HWPT */
        g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_PASID, f.dev_id, f.ioas_id, &hwpt), ==,
                        -EOPNOTSUPP);
        g_assert_cmpint(hwpt_nested(f.fd, 0, f.dev_id, f.ioas_id, 0, &hwpt), ==, -EOPNOTSUPP);
    } else {
        g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_PASID, f.dev_id, f.ioas_id, &hwpt), ==,
                        0);
        g_assert_cmpint(abi_destroy(f.fd, hwpt), ==, 0);
    }
}

static void test_alloc_dirty(void)
{
    FIX_SETUP(0);
    uint32_t hwpt = 0, stdev = 0, ioas2 = 0, stdev2 = 0, dev2 = 0, hwpt2 = 0;

    g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, f.dev_id, f.ioas_id, &hwpt),
                    ==, 0);
    g_assert_cmpint(abi_mock_domain(f.fd, hwpt, 0, &stdev, NULL, NULL), ==, 0);
    /* a device without dirty tracking cannot join a dirty-tracking domain */
    g_assert_cmpint(abi_mock_domain(f.fd, hwpt, MOCK_FLAGS_DEVICE_NO_DIRTY, NULL, NULL, NULL), ==,
                    -EINVAL);
    g_assert_cmpint(abi_destroy(f.fd, stdev), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, hwpt), ==, 0);

    ioas2 = abi_ioas_alloc(f.fd);
    g_assert_cmpint(abi_mock_domain(f.fd, ioas2, MOCK_FLAGS_DEVICE_NO_DIRTY, &stdev2, NULL, &dev2),
                    ==, 0);
    g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev2, ioas2, &hwpt2), ==,
                    -EOPNOTSUPP);
    g_assert_cmpint(hwpt_paging(f.fd, 0, dev2, ioas2, &hwpt2), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, hwpt2), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, stdev2), ==, 0);
}

static void test_alloc_nested(void)
{
    FIX_SETUP(0);
    uint32_t parent = 0, not_parent = 0, nested[2] = { 0 }, hwpt = 0, pt = 0;
    uint8_t big[12] = { 0 };

    memcpy(big, &selftest_data, SELFTEST_DATA_LEN);
    g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, f.dev_id, f.ioas_id, &parent),
                    ==, 0);
    g_assert_cmpint(hwpt_paging(f.fd, 0, f.dev_id, f.ioas_id, &not_parent), ==, 0);

    g_assert_cmpint(hwpt_alloc(f.fd, 0, f.dev_id, parent, IOMMU_HWPT_DATA_NONE, &selftest_data,
                               SELFTEST_DATA_LEN, 0, &hwpt), ==, -EINVAL);
    g_assert_cmpint(hwpt_alloc(f.fd, 0, f.dev_id, parent, IOMMU_HWPT_DATA_NONE, NULL, 0, 0, &hwpt),
                    ==, -EOPNOTSUPP);
    g_assert_cmpint(hwpt_alloc(f.fd, 0, f.dev_id, parent, IOMMU_HWPT_DATA_SELFTEST + 1,
                               &selftest_data, SELFTEST_DATA_LEN, 0, &hwpt), ==, -EOPNOTSUPP);
    g_assert_cmpint(hwpt_alloc(f.fd, 0, f.dev_id, parent, IOMMU_HWPT_DATA_SELFTEST, &selftest_data,
                               SELFTEST_DATA_LEN - 1, 0, &hwpt), ==, -EINVAL);
    g_assert_cmpint(hwpt_alloc(f.fd, 0, f.dev_id, parent, IOMMU_HWPT_DATA_SELFTEST, NULL,
                               SELFTEST_DATA_LEN, 0, &hwpt), ==, -EFAULT);
    g_assert_cmpint(hwpt_alloc(f.fd, 0, f.dev_id, parent, IOMMU_HWPT_DATA_SELFTEST, big,
                               sizeof(big), 0, &hwpt), ==, -EINVAL);
    if (abi_kernel_is_6_12()) {
        /* 6.12's struct iommu_hwpt_selftest is 4 bytes: longer is EINVAL */
        g_assert_cmpint(hwpt_alloc(f.fd, 0, f.dev_id, parent, IOMMU_HWPT_DATA_SELFTEST, big, 8, 0,
                                   &hwpt), ==, -EINVAL);
    }
    g_assert_cmpint(hwpt_nested(f.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, f.dev_id, parent, 0, &hwpt), ==,
                    -EOPNOTSUPP);
    g_assert_cmpint(hwpt_nested(f.fd, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, f.dev_id, parent, 0, &hwpt),
                    ==, -EOPNOTSUPP);
    g_assert_cmpint(hwpt_nested(f.fd, 0, f.dev_id, not_parent, 0, &hwpt), ==, -EINVAL);

    g_assert_cmpint(hwpt_nested(f.fd, 0, f.dev_id, parent, 0, &nested[0]), ==, 0);
    g_assert_cmpint(hwpt_nested(f.fd, 0, f.dev_id, parent, 0, &nested[1]), ==, 0);
    for (int i = 0; i < 2; i++) {
        assert_iotlbs(f.fd, nested[i], IOMMU_TEST_IOTLB_DEFAULT, IOMMU_TEST_IOTLB_DEFAULT,
                      IOMMU_TEST_IOTLB_DEFAULT, IOMMU_TEST_IOTLB_DEFAULT);
    }
    /* no nesting on a nested HWPT; the parent is pinned by its children */
    g_assert_cmpint(hwpt_nested(f.fd, 0, f.dev_id, nested[0], 0, &hwpt), ==, -EINVAL);
    g_assert_cmpint(abi_destroy(f.fd, parent), ==, -EBUSY);

    /* attach through the selftest's replace; attached = busy */
    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, nested[0], &pt), ==, 0);
    g_assert_cmpuint(pt, ==, nested[0]);
    g_assert_cmpint(abi_destroy(f.fd, nested[0]), ==, -EBUSY);
    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, nested[1], &pt), ==, 0);
    g_assert_cmpuint(pt, ==, nested[1]);
    g_assert_cmpint(abi_destroy(f.fd, nested[1]), ==, -EBUSY);
    g_assert_cmpint(abi_destroy(f.fd, nested[0]), ==, 0);
    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, parent, &pt), ==, 0);
    g_assert_cmpuint(pt, ==, parent);
    g_assert_cmpint(abi_destroy(f.fd, nested[1]), ==, 0);
    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, f.ioas_id, NULL), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, parent), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, not_parent), ==, 0);
}

static void test_alloc_fault_id(void)
{
    FIX_SETUP(0);
    uint32_t fault_id = 0, parent = 0, hwpt = 0, iopf = 0;
    int ffd = -1;

    g_assert_cmpint(fault_alloc(f.fd, &fault_id, &ffd), ==, 0);
    fix_track(&f, ffd);
    g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, f.dev_id, f.ioas_id, &parent),
                    ==, 0);

    /* a fault queue on a paging HWPT: EOPNOTSUPP in 6.12, allowed later */
    if (abi_kernel_is_6_12()) {
        g_assert_cmpint(hwpt_alloc(f.fd, IOMMU_HWPT_FAULT_ID_VALID, f.dev_id, f.ioas_id,
                                   IOMMU_HWPT_DATA_NONE, NULL, 0, fault_id, &hwpt),
                        ==, -EOPNOTSUPP);
    } else {
        g_assert_cmpint(hwpt_alloc(f.fd, IOMMU_HWPT_FAULT_ID_VALID, f.dev_id, f.ioas_id,
                                   IOMMU_HWPT_DATA_NONE, NULL, 0, fault_id, &hwpt), ==, 0);
        g_assert_cmpint(abi_destroy(f.fd, fault_id), ==, -EBUSY);
        g_assert_cmpint(abi_destroy(f.fd, hwpt), ==, 0);
    }

    g_assert_cmpint(hwpt_nested(f.fd, IOMMU_HWPT_FAULT_ID_VALID, f.dev_id, parent, UINT32_MAX,
                                &hwpt), ==, -ENOENT);
    g_assert_cmpint(hwpt_nested(f.fd, IOMMU_HWPT_FAULT_ID_VALID, f.dev_id, parent, f.ioas_id,
                                &hwpt), ==, -ENOENT);
    /* without the flag, fault_id is not looked at */
    g_assert_cmpint(hwpt_nested(f.fd, 0, f.dev_id, parent, UINT32_MAX, &hwpt), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, hwpt), ==, 0);

    g_assert_cmpint(hwpt_nested(f.fd, IOMMU_HWPT_FAULT_ID_VALID, f.dev_id, parent, fault_id, &iopf),
                    ==, 0);
    /* the fault object is referenced by its fd and by the HWPT */
    g_assert_cmpint(abi_destroy(f.fd, fault_id), ==, -EBUSY);
    fix_close(&f, ffd);
    g_assert_cmpint(abi_destroy(f.fd, fault_id), ==, -EBUSY);
    g_assert_cmpint(abi_destroy(f.fd, parent), ==, -EBUSY);
    g_assert_cmpint(abi_destroy(f.fd, iopf), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, fault_id), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, parent), ==, 0);
}

/* ==== 2. GET_HW_INFO ====================================================== */

static int hw_info(int fd, struct iommu_hw_info *cmd, uint32_t dev_id, void *buf, uint32_t len)
{
    cmd->size = sizeof(*cmd);
    cmd->dev_id = dev_id;
    cmd->data_uptr = (uintptr_t)buf;
    cmd->data_len = len;
    return abi_ioctl(fd, IOMMU_GET_HW_INFO, cmd);
}

static void test_hw_info_data(void)
{
    FIX_SETUP(0);
    struct iommu_hw_info cmd = { 0 };
    struct iommu_test_hw_info info;
    uint8_t buf[16];

    memset(&info, 0xff, sizeof(info));
    cmd.out_data_type = 5;   /* not an input without INPUT_TYPE: ignored */
    g_assert_cmpint(hw_info(f.fd, &cmd, f.dev_id, &info, sizeof(info)), ==, 0);
    g_assert_cmphex(cmd.out_data_type, ==, IOMMU_HW_INFO_TYPE_SELFTEST);
    g_assert_cmpuint(cmd.data_len, ==, sizeof(info));
    g_assert_cmphex(info.test_reg, ==, IOMMU_HW_INFO_SELFTEST_REGVAL);
    g_assert_cmphex(info.flags, ==, 0);
    g_assert_cmpuint(cmd.out_max_pasid_log2, ==, 0);

    /* data_len 0: a size probe */
    memset(&cmd, 0, sizeof(cmd));
    g_assert_cmpint(hw_info(f.fd, &cmd, f.dev_id, NULL, 0), ==, 0);
    g_assert_cmpuint(cmd.data_len, ==, sizeof(struct iommu_test_hw_info));
    g_assert_cmphex(cmd.out_data_type, ==, IOMMU_HW_INFO_TYPE_SELFTEST);

    /* a bigger buffer: zero past the kernel's length */
    memset(buf, 0xff, sizeof(buf));
    memset(&cmd, 0, sizeof(cmd));
    g_assert_cmpint(hw_info(f.fd, &cmd, f.dev_id, buf, sizeof(buf)), ==, 0);
    g_assert_cmpuint(cmd.data_len, ==, sizeof(info));
    memcpy(&info, buf, sizeof(info));
    g_assert_cmphex(info.test_reg, ==, IOMMU_HW_INFO_SELFTEST_REGVAL);
    for (size_t i = sizeof(info); i < sizeof(buf); i++) {
        g_assert_cmpuint(buf[i], ==, 0);
    }

    /* a smaller buffer: the prefix, nothing past it */
    memset(buf, 0xff, sizeof(buf));
    memset(&cmd, 0, sizeof(cmd));
    g_assert_cmpint(hw_info(f.fd, &cmd, f.dev_id, buf, 4), ==, 0);
    g_assert_cmpuint(cmd.data_len, ==, sizeof(info));
    for (size_t i = 0; i < 4; i++) {
        g_assert_cmpuint(buf[i], ==, 0);   /* info.flags */
    }
    for (size_t i = 4; i < sizeof(buf); i++) {
        g_assert_cmpuint(buf[i], ==, 0xff);
    }

    /* the 32-byte layout of 6.6: out_capabilities is not written back */
    memset(&cmd, 0, sizeof(cmd));
    cmd.size = 32;
    cmd.dev_id = f.dev_id;
    cmd.out_capabilities = 0x5a5a5a5a5a5a5a5aull;
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_GET_HW_INFO, &cmd), ==, 0);
    g_assert_cmphex(cmd.out_data_type, ==, IOMMU_HW_INFO_TYPE_SELFTEST);
    g_assert_cmphex(cmd.out_capabilities, ==, 0x5a5a5a5a5a5a5a5aull);

    memset(&cmd, 0, sizeof(cmd));
    g_assert_cmpint(hw_info(f.fd, &cmd, 0x7fffffff, NULL, 0), ==, -ENOENT);
    g_assert_cmpint(hw_info(f.fd, &cmd, f.ioas_id, NULL, 0), ==, -ENOENT);
}

static void test_hw_info_caps(void)
{
    FIX_SETUP(0);
    struct iommu_hw_info cmd = { 0 };
    uint32_t stdev2 = 0, dev2 = 0;

    g_assert_cmpint(hw_info(f.fd, &cmd, f.dev_id, NULL, 0), ==, 0);
    g_assert_cmphex(cmd.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING, ==,
                    IOMMU_HW_CAP_DIRTY_TRACKING);

    g_assert_cmpint(abi_mock_domain(f.fd, f.ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY, &stdev2, NULL,
                                    &dev2), ==, 0);
    memset(&cmd, 0, sizeof(cmd));
    g_assert_cmpint(hw_info(f.fd, &cmd, dev2, NULL, 0), ==, 0);
    g_assert_cmphex(cmd.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING, ==, 0);
    g_assert_cmpuint(cmd.out_max_pasid_log2, ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, stdev2), ==, 0);
}

static void test_hw_info_flags(void)
{
    FIX_SETUP(0);
    struct iommu_hw_info cmd = { 0 };

    cmd.__reserved[1] = 1;
    g_assert_cmpint(hw_info(f.fd, &cmd, f.dev_id, NULL, 0), ==, -EOPNOTSUPP);
    memset(&cmd, 0, sizeof(cmd));
    cmd.flags = 1u << 1;
    g_assert_cmpint(hw_info(f.fd, &cmd, f.dev_id, NULL, 0), ==, -EOPNOTSUPP);

    memset(&cmd, 0, sizeof(cmd));
    cmd.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
    cmd.in_data_type = IOMMU_HW_INFO_TYPE_SELFTEST;
    if (abi_kernel_is_6_12()) {
        /* 6.12 takes no flag at all */
        g_assert_cmpint(hw_info(f.fd, &cmd, f.dev_id, NULL, 0), ==, -EOPNOTSUPP);
        return;
    }
    g_assert_cmpint(hw_info(f.fd, &cmd, f.dev_id, NULL, 0), ==, 0);
    g_assert_cmphex(cmd.out_data_type, ==, IOMMU_HW_INFO_TYPE_SELFTEST);
    memset(&cmd, 0, sizeof(cmd));
    cmd.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
    cmd.in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;
    g_assert_cmpint(hw_info(f.fd, &cmd, f.dev_id, NULL, 0), ==, 0);
    g_assert_cmphex(cmd.out_data_type, ==, IOMMU_HW_INFO_TYPE_SELFTEST);
    memset(&cmd, 0, sizeof(cmd));
    cmd.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
    cmd.in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
    g_assert_cmpint(hw_info(f.fd, &cmd, f.dev_id, NULL, 0), ==, -EOPNOTSUPP);
}

/* out_max_pasid_log2: the selftest device made with MOCK_FLAGS_DEVICE_PASID
 * has a "pasid-num-bits" of MOCK_PASID_WIDTH (6.15); it is no PCI device, so
 * neither PCI PASID capability is reported.  6.12's mock_dev_create() takes
 * only NO_DIRTY and HUGE_IOVA and refuses the flag with EINVAL. */
static void test_hw_info_pasid(void)
{
    FIX_DECL;
    struct iommu_hw_info cmd = { 0 };
    uint32_t stdev = 0, dev = 0;
    int rc;

    if (!fix_open(&f)) {
        return;
    }
    f.ioas_id = abi_ioas_alloc(f.fd);
    rc = abi_mock_domain(f.fd, f.ioas_id, MOCK_FLAGS_DEVICE_PASID, &stdev, NULL, &dev);
    if (abi_kernel_is_6_12()) {
        g_assert_cmpint(rc, ==, -EINVAL);
        return;
    }
    if (rc == -EINVAL && !test_backend_is_mock()) {
        g_test_skip("needs MOCK_FLAGS_DEVICE_PASID (a 6.15+ selftest driver)");
        return;
    }
    g_assert_cmpint(rc, ==, 0);
    g_assert_cmpint(hw_info(f.fd, &cmd, dev, NULL, 0), ==, 0);
    g_assert_cmpuint(cmd.out_max_pasid_log2, ==, MOCK_PASID_WIDTH);
    g_assert_cmphex(cmd.out_capabilities &
                    (IOMMU_HW_CAP_PCI_PASID_EXEC | IOMMU_HW_CAP_PCI_PASID_PRIV), ==, 0);
    g_assert_cmphex(cmd.out_data_type, ==, IOMMU_HW_INFO_TYPE_SELFTEST);
    g_assert_cmpint(abi_destroy(f.fd, stdev), ==, 0);

    /* without the flag: no PASID */
    g_assert_cmpint(abi_mock_domain(f.fd, f.ioas_id, 0, &stdev, NULL, &dev), ==, 0);
    memset(&cmd, 0, sizeof(cmd));
    g_assert_cmpint(hw_info(f.fd, &cmd, dev, NULL, 0), ==, 0);
    g_assert_cmpuint(cmd.out_max_pasid_log2, ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, stdev), ==, 0);
}

/* ==== 3. Dirty tracking =================================================== */

#define DIRTY_LEN (256u * 1024u)

/* A second IOAS holding DIRTY_LEN bytes at MOCK_APERTURE_START, and a
 * HWPT on it allocated with `flags` (the selftest's layout). */
static bool dirty_setup(Fix *f, uint32_t flags, uint32_t *ioas2, uint32_t *hwpt)
{
    uint64_t iova = MOCK_APERTURE_START;

    if (!fix_setup(f, 0)) {
        return false;
    }
    f->mem_len = DIRTY_LEN;
    f->mem = mmap(NULL, f->mem_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    g_assert(f->mem != MAP_FAILED);
    *ioas2 = abi_ioas_alloc(f->fd);
    g_assert_cmpint(ioas_map(f->fd, *ioas2, f->mem, f->mem_len, &iova, true), ==, 0);
    g_assert_cmpint(hwpt_paging(f->fd, flags, f->dev_id, *ioas2, hwpt), ==, 0);
    return true;
}

#define DIRTY_SETUP(flags, ioas2, hwpt)                                          \
    FIX_DECL;                                                                    \
    do {                                                                         \
        if (!dirty_setup(&f, (flags), &(ioas2), &(hwpt))) {                      \
            return;                                                              \
        }                                                                        \
    } while (0)

/* One bit per 2 KiB (MOCK_PAGE_SIZE on x86_64) over DIRTY_LEN. */
#define DIRTY_BITS (DIRTY_LEN / 2048u)

static bool bit_at(const uint64_t *map, unsigned i)
{
    return (map[i / 64] >> (i % 64)) & 1;
}

/* Marks every 4th page dirty, so the test holds whether the mock's PTE is
 * one 2 KiB page or two. */
static void mark_stride4(Fix *f, uint32_t hwpt)
{
    uint64_t map[DIRTY_BITS / 64] = { 0 };
    uint64_t nr = 0;

    for (unsigned i = 0; i < DIRTY_BITS; i += 4) {
        map[i / 64] |= 1ull << (i % 64);
    }
    g_assert_cmpint(mock_dirty(f->fd, hwpt, MOCK_APERTURE_START, DIRTY_LEN, page_size / 2, map,
                               &nr), ==, 0);
    g_assert_cmpuint(nr, ==, DIRTY_BITS / 4);
}

static void read_bitmap(Fix *f, uint32_t hwpt, uint32_t flags, uint64_t *map)
{
    memset(map, 0, DIRTY_BITS / 8);
    g_assert_cmpint(get_bitmap(f->fd, hwpt, MOCK_APERTURE_START, DIRTY_LEN, page_size / 2, map,
                               flags), ==, 0);
}

static void assert_stride4(const uint64_t *map)
{
    for (unsigned i = 0; i < DIRTY_BITS; i += 4) {
        g_assert_true(bit_at(map, i));
        g_assert_false(bit_at(map, i + 2));
        g_assert_false(bit_at(map, i + 3));
    }
}

static void assert_clean(const uint64_t *map)
{
    for (unsigned i = 0; i < DIRTY_BITS; i++) {
        g_assert_false(bit_at(map, i));
    }
}

static void test_dirty_set(void)
{
    uint32_t ioas2 = 0, hwpt = 0, plain = 0;
    uint64_t map[DIRTY_BITS / 64] = { 0 };

    DIRTY_SETUP(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, ioas2, hwpt);
    g_assert_cmpint(hwpt_paging(f.fd, 0, f.dev_id, ioas2, &plain), ==, 0);
    /* a HWPT allocated without DIRTY_TRACKING has no dirty ops */
    g_assert_cmpint(set_dirty(f.fd, plain, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), ==, -EOPNOTSUPP);
    g_assert_cmpint(set_dirty(f.fd, plain, 0), ==, -EOPNOTSUPP);
    g_assert_cmpint(get_bitmap(f.fd, plain, MOCK_APERTURE_START, DIRTY_LEN, page_size / 2, map, 0),
                    ==, -EOPNOTSUPP);

    g_assert_cmpint(set_dirty(f.fd, hwpt, 1u << 1), ==, -EOPNOTSUPP);
    g_assert_cmpint(set_dirty(f.fd, 0x7fffffff, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), ==, -ENOENT);
    g_assert_cmpint(set_dirty(f.fd, ioas2, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), ==, -ENOENT);

    /* the selftest can only fake dirt while tracking is on */
    g_assert_cmpint(mock_dirty(f.fd, hwpt, MOCK_APERTURE_START, DIRTY_LEN, page_size / 2, map,
                               NULL), ==, -EINVAL);
    g_assert_cmpint(set_dirty(f.fd, hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), ==, 0);
    g_assert_cmpint(set_dirty(f.fd, hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), ==, 0);
    g_assert_cmpint(set_dirty(f.fd, hwpt, 0), ==, 0);
    g_assert_cmpint(set_dirty(f.fd, hwpt, 0), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, plain), ==, 0);
}

static void test_dirty_bitmap(void)
{
    uint32_t ioas2 = 0, hwpt = 0;
    uint64_t map[DIRTY_BITS / 64];

    DIRTY_SETUP(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, ioas2, hwpt);
    g_assert_cmpint(set_dirty(f.fd, hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), ==, 0);
    read_bitmap(&f, hwpt, 0, map);
    assert_clean(map);

    mark_stride4(&f, hwpt);
    read_bitmap(&f, hwpt, 0, map);
    assert_stride4(map);
    /* read and cleared */
    read_bitmap(&f, hwpt, 0, map);
    assert_clean(map);

    /* NO_CLEAR leaves the bits for the next read */
    mark_stride4(&f, hwpt);
    read_bitmap(&f, hwpt, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, map);
    assert_stride4(map);
    read_bitmap(&f, hwpt, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, map);
    assert_stride4(map);
    read_bitmap(&f, hwpt, 0, map);
    assert_stride4(map);
    read_bitmap(&f, hwpt, 0, map);
    assert_clean(map);
    (void)ioas2;
}

static void test_dirty_enable_clears(void)
{
    uint32_t ioas2 = 0, hwpt = 0;
    uint64_t map[DIRTY_BITS / 64];

    DIRTY_SETUP(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, ioas2, hwpt);
    g_assert_cmpint(set_dirty(f.fd, hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), ==, 0);
    mark_stride4(&f, hwpt);
    /* enabling (even when already on) starts from a clean snapshot */
    g_assert_cmpint(set_dirty(f.fd, hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), ==, 0);
    read_bitmap(&f, hwpt, 0, map);
    assert_clean(map);

    mark_stride4(&f, hwpt);
    g_assert_cmpint(set_dirty(f.fd, hwpt, 0), ==, 0);
    g_assert_cmpint(set_dirty(f.fd, hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), ==, 0);
    read_bitmap(&f, hwpt, 0, map);
    assert_clean(map);
    (void)ioas2;
}

static void test_dirty_bitmap_checks(void)
{
    uint32_t ioas2 = 0, hwpt = 0;
    uint64_t map[DIRTY_BITS / 64] = { 0 };
    const uint64_t start = MOCK_APERTURE_START, mps = page_size / 2;
    struct iommu_hwpt_get_dirty_bitmap cmd;

    DIRTY_SETUP(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, ioas2, hwpt);
    g_assert_cmpint(set_dirty(f.fd, hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE), ==, 0);

    g_assert_cmpint(get_bitmap(f.fd, hwpt, start, 0, mps, map, 0), ==, -EINVAL);
    g_assert_cmpint(get_bitmap(f.fd, hwpt, UINT64_MAX - mps + 1, 2 * mps, mps, map, 0), ==,
                    -EOVERFLOW);
    g_assert_cmpint(get_bitmap(f.fd, hwpt, start + 1024, mps, mps, map, 0), ==, -EINVAL);
    g_assert_cmpint(get_bitmap(f.fd, hwpt, start, mps + 1024, mps, map, 0), ==, -EINVAL);
    g_assert_cmpint(get_bitmap(f.fd, hwpt, start, DIRTY_LEN, 0, map, 0), ==, -EINVAL);
    /* iova + length must be aligned to page_size too */
    g_assert_cmpint(get_bitmap(f.fd, hwpt, start, 3 * mps, 4 * mps, map, 0), ==, -EINVAL);
    g_assert_cmpint(get_bitmap(f.fd, hwpt, start + 2 * mps, 4 * mps, 4 * mps, map, 0), ==, -EINVAL);

    g_assert_cmpint(get_bitmap(f.fd, hwpt, start, DIRTY_LEN, mps, map, 1u << 1), ==, -EOPNOTSUPP);
    cmd = (struct iommu_hwpt_get_dirty_bitmap){
        .size = sizeof(cmd), .hwpt_id = hwpt, .__reserved = 1, .iova = start,
        .length = DIRTY_LEN, .page_size = mps, .data = (uintptr_t)map,
    };
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd), ==, -EOPNOTSUPP);
    g_assert_cmpint(get_bitmap(f.fd, 0x7fffffff, start, DIRTY_LEN, mps, map, 0), ==, -ENOENT);
    g_assert_cmpint(get_bitmap(f.fd, ioas2, start, DIRTY_LEN, mps, map, 0), ==, -ENOENT);
    /* a good request still works */
    g_assert_cmpint(get_bitmap(f.fd, hwpt, start, DIRTY_LEN, mps, map, 0), ==, 0);
}

/* ==== 4. HWPT_INVALIDATE ================================================== */

static void test_invalidate(void)
{
    FIX_SETUP(0);
    struct iommu_hwpt_invalidate_selftest reqs[3];
    struct iommu_hwpt_invalidate cmd;
    uint32_t parent = 0, nested[2] = { 0 }, num = 0;
    const uint32_t D = IOMMU_TEST_IOTLB_DEFAULT, T = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
    const uint32_t L = sizeof(reqs[0]);

    memset(reqs, 0, sizeof(reqs));
    g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, f.dev_id, f.ioas_id, &parent),
                    ==, 0);
    g_assert_cmpint(hwpt_nested(f.fd, 0, f.dev_id, parent, 0, &nested[0]), ==, 0);
    g_assert_cmpint(hwpt_nested(f.fd, 0, f.dev_id, parent, 0, &nested[1]), ==, 0);

    /* only a nested HWPT (or, later, a vIOMMU) takes invalidations */
    num = 1;
    g_assert_cmpint(invalidate(f.fd, parent, reqs, T, L, &num), ==,
                    abi_kernel_is_6_12() ? -ENOENT : -EINVAL);
    g_assert_cmpuint(num, ==, 0);
    num = 1;
    g_assert_cmpint(invalidate(f.fd, 0x7fffffff, reqs, T, L, &num), ==, -ENOENT);
    g_assert_cmpuint(num, ==, 0);

    /* entry_num 0 checks data_type only */
    num = 0;
    g_assert_cmpint(invalidate(f.fd, nested[0], reqs, T, L, &num), ==, 0);
    g_assert_cmpuint(num, ==, 0);
    num = 0;
    g_assert_cmpint(invalidate(f.fd, nested[0], reqs, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
                               L, &num), ==, -EINVAL);
    num = 1;
    g_assert_cmpint(invalidate(f.fd, nested[0], reqs, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
                               L, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);

    /* entry sizes, pointer, flags, ids */
    num = 1;
    g_assert_cmpint(invalidate(f.fd, nested[0], reqs, T, L + 1, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);
    num = 1;
    g_assert_cmpint(invalidate(f.fd, nested[0], reqs, T, 1, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);
    num = 1;
    g_assert_cmpint(invalidate(f.fd, nested[0], NULL, T, L, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);
    num = 1;
    g_assert_cmpint(invalidate(f.fd, nested[0], reqs, T, 0, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);
    reqs[0].flags = 0xffffffff;
    num = 1;
    g_assert_cmpint(invalidate(f.fd, nested[0], reqs, T, L, &num), ==, -EOPNOTSUPP);
    g_assert_cmpuint(num, ==, 0);
    reqs[0].flags = 0;
    reqs[0].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
    num = 1;
    g_assert_cmpint(invalidate(f.fd, nested[0], reqs, T, L, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);
    cmd = (struct iommu_hwpt_invalidate){
        .size = sizeof(cmd), .hwpt_id = nested[0], .data_uptr = (uintptr_t)reqs,
        .data_type = T, .entry_len = L, .entry_num = 1, .__reserved = 1,
    };
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_HWPT_INVALIDATE, &cmd), ==, -EOPNOTSUPP);
    g_assert_cmpuint(cmd.entry_num, ==, 0);
    assert_iotlbs(f.fd, nested[0], D, D, D, D);

    /* partial failure: entry_num out = entries handled before the bad one */
    reqs[0] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 0 };
    reqs[1] = (struct iommu_hwpt_invalidate_selftest){ .flags = 0xffffffff, .iotlb_id = 1 };
    num = 2;
    g_assert_cmpint(invalidate(f.fd, nested[0], reqs, T, L, &num), ==, -EOPNOTSUPP);
    g_assert_cmpuint(num, ==, 1);
    assert_iotlbs(f.fd, nested[0], 0, D, D, D);

    reqs[0] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 2 };
    reqs[1] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 9 };
    reqs[2] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 3 };
    num = 3;
    g_assert_cmpint(invalidate(f.fd, nested[0], reqs, T, L, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 1);
    assert_iotlbs(f.fd, nested[0], 0, D, 0, D);

    reqs[0] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 1 };
    num = 1;
    g_assert_cmpint(invalidate(f.fd, nested[0], reqs, T, L, &num), ==, 0);
    g_assert_cmpuint(num, ==, 1);
    assert_iotlbs(f.fd, nested[0], 0, 0, 0, D);
    reqs[0] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 3 };
    reqs[1] = (struct iommu_hwpt_invalidate_selftest){ .iotlb_id = 3 };
    num = 2;
    g_assert_cmpint(invalidate(f.fd, nested[0], reqs, T, L, &num), ==, 0);
    g_assert_cmpuint(num, ==, 2);
    assert_iotlbs(f.fd, nested[0], 0, 0, 0, 0);

    /* FLAG_ALL: every entry (iotlb_id is still range-checked first); the
     * other HWPT was untouched so far */
    assert_iotlbs(f.fd, nested[1], D, D, D, D);
    reqs[0] = (struct iommu_hwpt_invalidate_selftest){ .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
                                                      .iotlb_id = 77 };
    num = 1;
    g_assert_cmpint(invalidate(f.fd, nested[1], reqs, T, L, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);
    assert_iotlbs(f.fd, nested[1], D, D, D, D);
    reqs[0].iotlb_id = 2;
    num = 1;
    g_assert_cmpint(invalidate(f.fd, nested[1], reqs, T, L, &num), ==, 0);
    g_assert_cmpuint(num, ==, 1);
    assert_iotlbs(f.fd, nested[1], 0, 0, 0, 0);

    /* MD_CHECK_IOTLB itself: an id past the end, a wrong value */
    g_assert_cmpint(check_iotlb(f.fd, nested[1], MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1, 0), ==,
                    -EINVAL);
    g_assert_cmpint(check_iotlb(f.fd, nested[1], 0, D), ==, -EINVAL);

    g_assert_cmpint(abi_destroy(f.fd, nested[0]), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, nested[1]), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, parent), ==, 0);
}

/* ==== 4b. PASID attach (selftest ops 18-21, 6.15) ========================= */

/* PASID_ATTACH / PASID_REPLACE: 0 or -errno; *out is the pt_id written back */
static int pasid_change(int fd, uint32_t op, uint32_t stdev_id, uint32_t pasid, uint32_t pt_id,
                        uint32_t *out)
{
    struct iommu_test_cmd cmd = { .op = op, .id = stdev_id };
    int rc;

    cmd.pasid_attach.pasid = pasid;
    cmd.pasid_attach.pt_id = pt_id;
    rc = test_cmd(fd, &cmd);
    if (rc == 0 && out) {
        *out = cmd.pasid_attach.pt_id;
    }
    return rc;
}

static int pasid_attach(int fd, uint32_t stdev_id, uint32_t pasid, uint32_t pt_id)
{
    uint32_t out = 0;
    int rc = pasid_change(fd, IOMMU_TEST_OP_PASID_ATTACH, stdev_id, pasid, pt_id, &out);

    if (rc == 0) {
        g_assert_cmpuint(out, ==, pt_id);   /* a HWPT id comes back unchanged */
    }
    return rc;
}

static int pasid_replace(int fd, uint32_t stdev_id, uint32_t pasid, uint32_t pt_id)
{
    return pasid_change(fd, IOMMU_TEST_OP_PASID_REPLACE, stdev_id, pasid, pt_id, NULL);
}

static int pasid_detach(int fd, uint32_t stdev_id, uint32_t pasid)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_PASID_DETACH, .id = stdev_id };

    cmd.pasid_detach.pasid = pasid;
    return test_cmd(fd, &cmd);
}

/* 0 when `hwpt_id` (0: nothing) is what the PASID has attached, else EINVAL */
static int pasid_check(int fd, uint32_t stdev_id, uint32_t pasid, uint32_t hwpt_id)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_PASID_CHECK_HWPT, .id = stdev_id };

    cmd.pasid_check.pasid = pasid;
    cmd.pasid_check.hwpt_id = hwpt_id;
    return test_cmd(fd, &cmd);
}

/*
 * After the kernel selftests' iommufd_device_pasid fixture: a PASID takes only
 * a HWPT allocated with IOMMU_HWPT_ALLOC_PASID, and only while the RID's HWPT
 * is PASID-compatible too (iommufd_hwpt_pasid_compat: EINVAL); attach never
 * overwrites (EBUSY), replace needs an attached PASID (EINVAL); an IOAS is no
 * PASID target (its automatic domain is not PASID-compatible); a device
 * without PASID support refuses every PASID; the selftest driver fails the
 * second set_dev_pasid of PASID 1024 (IOMMU_TEST_PASID_RESERVED) with ENOMEM
 * and the old HWPT stays.  6.12 has none of it: the ops are EOPNOTSUPP (the
 * selftest's default case), ALLOC_PASID is an unknown HWPT flag.
 */
static void test_pasid(void)
{
    FIX_DECL;
    uint32_t stdev2 = 0, dev2 = 0, parent = 0, s2 = 0, nested[2] = { 0 };
    int rc;

    if (!fix_open(&f)) {
        return;
    }
    f.ioas_id = abi_ioas_alloc(f.fd);
    if (abi_kernel_is_6_12()) {
        static const uint32_t ops[] = {
            IOMMU_TEST_OP_PASID_ATTACH, IOMMU_TEST_OP_PASID_REPLACE,
            IOMMU_TEST_OP_PASID_DETACH, IOMMU_TEST_OP_PASID_CHECK_HWPT,
        };

        g_assert_cmpint(abi_mock_domain(f.fd, f.ioas_id, 0, &f.stdev_id, &f.hwpt_id, &f.dev_id),
                        ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(ops); i++) {
            g_assert_cmpint(pasid_change(f.fd, ops[i], f.stdev_id, 100, f.hwpt_id, NULL), ==,
                            -EOPNOTSUPP);
        }
        g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_PASID, f.dev_id, f.ioas_id, &s2), ==,
                        -EOPNOTSUPP);
        return;
    }
    rc = abi_mock_domain(f.fd, f.ioas_id, MOCK_FLAGS_DEVICE_PASID, &f.stdev_id, &f.hwpt_id,
                         &f.dev_id);
    if (rc == -EINVAL && !test_backend_is_mock()) {
        g_test_skip("needs MOCK_FLAGS_DEVICE_PASID (a 6.15+ selftest driver)");
        return;
    }
    g_assert_cmpint(rc, ==, 0);
    g_assert_cmpint(abi_mock_domain(f.fd, f.ioas_id, 0, &stdev2, NULL, &dev2), ==, 0);

    /* detaching a PASID that is not attached is no error */
    g_assert_cmpint(pasid_detach(f.fd, f.stdev_id, 100), ==, 0);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 100, 0), ==, 0);

    g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, f.dev_id, f.ioas_id, &parent),
                    ==, 0);
    g_assert_cmpint(hwpt_nested(f.fd, IOMMU_HWPT_ALLOC_PASID, f.dev_id, parent, 0, &nested[0]), ==,
                    0);
    g_assert_cmpint(hwpt_nested(f.fd, IOMMU_HWPT_ALLOC_PASID, f.dev_id, parent, 0, &nested[1]), ==,
                    0);
    g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_PASID, f.dev_id, f.ioas_id, &s2), ==, 0);

    /* ids: the op's id is a selftest device, CHECK_HWPT's hwpt_id a HWPT */
    g_assert_cmpint(pasid_attach(f.fd, f.dev_id, 100, s2), ==, -ENOENT);
    g_assert_cmpint(pasid_attach(f.fd, 0x7fffffff, 100, s2), ==, -ENOENT);
    g_assert_cmpint(pasid_check(f.fd, f.dev_id, 100, 0), ==, -ENOENT);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 100, f.ioas_id), ==, -EINVAL);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 100, 0x7fffffff), ==, -ENOENT);
    g_assert_cmpint(pasid_attach(f.fd, f.stdev_id, 100, 0x7fffffff), ==, -ENOENT);

    /* the RID on a HWPT without ALLOC_PASID (the automatic one, a parent):
     * no PASID can attach */
    g_assert_cmpint(pasid_attach(f.fd, f.stdev_id, 100, s2), ==, -EINVAL);
    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, parent, NULL), ==, 0);
    g_assert_cmpint(pasid_attach(f.fd, f.stdev_id, 100, s2), ==, -EINVAL);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 100, 0), ==, 0);

    /* the RID on a PASID-compatible HWPT: a PASID attaches, and then the RID
     * cannot go back to an incompatible one */
    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, s2, NULL), ==, 0);
    g_assert_cmpint(pasid_attach(f.fd, f.stdev_id, 100, nested[0]), ==, 0);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 100, nested[0]), ==, 0);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 100, s2), ==, -EINVAL);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 100, 0), ==, -EINVAL);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 200, 0), ==, 0);
    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, parent, NULL), ==, -EINVAL);
    /* an attached HWPT is in use; attach does not overwrite */
    g_assert_cmpint(abi_destroy(f.fd, nested[0]), ==, -EBUSY);
    g_assert_cmpint(pasid_attach(f.fd, f.stdev_id, 100, nested[1]), ==, -EBUSY);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 100, nested[0]), ==, 0);
    g_assert_cmpint(pasid_detach(f.fd, f.stdev_id, 100), ==, 0);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 100, 0), ==, 0);

    /* a device without PASID support: the RID takes a PASID-compatible HWPT,
     * a PASID takes nothing */
    g_assert_cmpint(mock_replace(f.fd, stdev2, nested[0], NULL), ==, 0);
    g_assert_cmpint(mock_replace(f.fd, stdev2, f.ioas_id, NULL), ==, 0);
    g_assert_cmpint(pasid_attach(f.fd, stdev2, 100, parent), ==, -EINVAL);
    g_assert_cmpint(pasid_attach(f.fd, stdev2, 100, s2), ==, -EINVAL);

    /* HWPTs without ALLOC_PASID, an IOAS, a PASID past the device's width */
    g_assert_cmpint(pasid_attach(f.fd, f.stdev_id, 100, parent), ==, -EINVAL);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 100, 0), ==, 0);
    g_assert_cmpint(pasid_attach(f.fd, f.stdev_id, 100, f.ioas_id), ==, -EINVAL);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 100, 0), ==, 0);
    g_assert_cmpint(pasid_attach(f.fd, f.stdev_id, 1u << MOCK_PASID_WIDTH, s2), ==, -EINVAL);

    g_assert_cmpint(pasid_attach(f.fd, f.stdev_id, 100, s2), ==, 0);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 100, s2), ==, 0);

    /* replace */
    g_assert_cmpint(pasid_replace(f.fd, f.stdev_id, 200, s2), ==, -EINVAL);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 200, 0), ==, 0);
    g_assert_cmpint(pasid_attach(f.fd, f.stdev_id, 200, s2), ==, 0);
    g_assert_cmpint(pasid_replace(f.fd, f.stdev_id, 200, f.ioas_id), ==, -EINVAL);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 200, s2), ==, 0);
    g_assert_cmpint(pasid_replace(f.fd, f.stdev_id, 200, parent), ==, -EINVAL);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 200, s2), ==, 0);
    g_assert_cmpint(pasid_replace(f.fd, f.stdev_id, 200, nested[0]), ==, 0);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 200, nested[0]), ==, 0);
    g_assert_cmpint(pasid_replace(f.fd, f.stdev_id, 200, nested[1]), ==, 0);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 200, nested[1]), ==, 0);
    /* the replaced HWPT was released, the new one is held */
    g_assert_cmpint(abi_destroy(f.fd, nested[1]), ==, -EBUSY);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 100, s2), ==, 0);

    /* the driver's designed failure: the second set_dev_pasid of PASID 1024 */
    g_assert_cmpint(pasid_attach(f.fd, f.stdev_id, IOMMU_TEST_PASID_RESERVED, s2), ==, 0);
    g_assert_cmpint(pasid_replace(f.fd, f.stdev_id, IOMMU_TEST_PASID_RESERVED, nested[0]), ==,
                    -ENOMEM);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, IOMMU_TEST_PASID_RESERVED, s2), ==, 0);
    g_assert_cmpint(pasid_detach(f.fd, f.stdev_id, IOMMU_TEST_PASID_RESERVED), ==, 0);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, IOMMU_TEST_PASID_RESERVED, 0), ==, 0);

    g_assert_cmpint(pasid_detach(f.fd, f.stdev_id, 100), ==, 0);
    g_assert_cmpint(pasid_detach(f.fd, f.stdev_id, 200), ==, 0);
    g_assert_cmpint(pasid_check(f.fd, f.stdev_id, 200, 0), ==, 0);
    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, f.ioas_id, NULL), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, nested[1]), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, nested[0]), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, s2), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, parent), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, stdev2), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, f.stdev_id), ==, 0);
}

/* ==== 5. Fault queue ====================================================== */

typedef struct {
    uint32_t parent, fault_id, iopf_hwpt;
    int ffd;
} FaultFix;

/* A nested HWPT with a fault queue, the fixture's device attached to it. */
static bool fault_setup(Fix *f, FaultFix *q)
{
    uint32_t pt = 0;

    if (!fix_setup(f, 0)) {
        return false;
    }
    g_assert_cmpint(hwpt_paging(f->fd, IOMMU_HWPT_ALLOC_NEST_PARENT, f->dev_id, f->ioas_id,
                                &q->parent), ==, 0);
    g_assert_cmpint(fault_alloc(f->fd, &q->fault_id, &q->ffd), ==, 0);
    fix_track(f, q->ffd);
    g_assert_cmpint(hwpt_nested(f->fd, IOMMU_HWPT_FAULT_ID_VALID, f->dev_id, q->parent,
                                q->fault_id, &q->iopf_hwpt), ==, 0);
    g_assert_cmpint(mock_replace(f->fd, f->stdev_id, q->iopf_hwpt, &pt), ==, 0);
    g_assert_cmpuint(pt, ==, q->iopf_hwpt);
    return true;
}

#define FAULT_SETUP(q)                                                           \
    FIX_DECL;                                                                    \
    FaultFix q = { 0 };                                                          \
    do {                                                                         \
        if (!fault_setup(&f, &(q))) {                                            \
            return;                                                              \
        }                                                                        \
    } while (0)

#define REC sizeof(struct iommu_hwpt_pgfault)

static void test_fault_alloc(void)
{
    FIX_DECL;
    struct iommu_fault_alloc cmd = { .size = sizeof(cmd), .flags = 1 };
    uint32_t id = 0;
    int ffd = -1, fl = 0;

    f.fd = abi_open();
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd), ==, -EOPNOTSUPP);
    g_assert_cmpint(fault_alloc(f.fd, &id, &ffd), ==, 0);
    fix_track(&f, ffd);
    g_assert_cmpuint(id, !=, 0);
    g_assert_cmpint(ffd, >=, 0);
    fl = fcntl(ffd, F_GETFD);
    g_assert_cmpint(fl, >=, 0);
    g_assert_true(fl & FD_CLOEXEC);
    /* always writable, readable only with a fault queued */
    g_assert_cmpint(poll_revents(ffd, 0), ==, POLLOUT);
    /* the fd holds the object */
    g_assert_cmpint(abi_destroy(f.fd, id), ==, -EBUSY);
    fix_close(&f, ffd);
    g_assert_cmpint(abi_destroy(f.fd, id), ==, 0);
}

static void test_fault_read_write(void)
{
    FAULT_SETUP(q);
    struct iommu_hwpt_pgfault rec[2];
    struct iommu_hwpt_page_response resp;
    uint8_t raw[REC + 1];

    g_assert_cmpint(xread(q.ffd, rec, REC), ==, 0);           /* empty */
    g_assert_cmpint(xread(q.ffd, raw, REC - 1), ==, -ESPIPE);
    g_assert_cmpint(xread(q.ffd, raw, REC + 1), ==, -ESPIPE);
    g_assert_cmpint(poll_revents(q.ffd, 0), ==, POLLOUT);

    g_assert_cmpint(trigger_iopf(f.fd, f.dev_id, 0, 2,
                                 IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE, 0xdeadb000),
                    ==, 0);
    g_assert_cmpint(poll_revents(q.ffd, 1000), ==, POLLIN | POLLOUT);
    g_assert_cmpint(xread(q.ffd, raw, REC + 1), ==, -ESPIPE);
    memset(rec, 0xff, sizeof(rec));
    g_assert_cmpint(xread(q.ffd, rec, sizeof(rec)), ==, REC);
    g_assert_cmphex(rec[0].flags, ==, IOMMU_PGFAULT_FLAGS_LAST_PAGE);
    g_assert_cmpuint(rec[0].dev_id, ==, f.dev_id);
    g_assert_cmpuint(rec[0].pasid, ==, 0);
    g_assert_cmpuint(rec[0].grpid, ==, 2);
    g_assert_cmphex(rec[0].perm, ==, IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE);
    g_assert_cmphex(rec[0].addr, ==, 0xdeadb000);
    g_assert_cmpuint(rec[0].length, ==, 0);
    g_assert_cmpuint(rec[0].cookie, !=, 0);
    g_assert_cmpint(poll_revents(q.ffd, 0), ==, POLLOUT);
    g_assert_cmpint(xread(q.ffd, rec, REC), ==, 0);

    /* responses: 8 bytes each, the cookie and the code checked */
    resp = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie };
    g_assert_cmpint(xwrite(q.ffd, &resp, sizeof(resp) - 1), ==, -ESPIPE);
    g_assert_cmpint(xwrite(q.ffd, raw, sizeof(resp) + 1), ==, -ESPIPE);
    resp.cookie = rec[0].cookie + 1000;
    g_assert_cmpint(xwrite(q.ffd, &resp, sizeof(resp)), ==, -EINVAL);
    resp = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie, .code = 2 };
    g_assert_cmpint(xwrite(q.ffd, &resp, sizeof(resp)), ==, -EINVAL);
    resp.code = IOMMUFD_PAGE_RESP_SUCCESS;
    g_assert_cmpint(xwrite(q.ffd, &resp, sizeof(resp)), ==, sizeof(resp));
    g_assert_cmpint(xwrite(q.ffd, &resp, sizeof(resp)), ==, -EINVAL);   /* answered already */

    /* a PASID fault */
    g_assert_cmpint(trigger_iopf(f.fd, f.dev_id, 5, 3, IOMMU_PGFAULT_PERM_READ, 0x1000), ==, 0);
    g_assert_cmpint(poll_revents(q.ffd, 1000), ==, POLLIN | POLLOUT);
    g_assert_cmpint(xread(q.ffd, rec, REC), ==, REC);
    g_assert_cmphex(rec[0].flags, ==,
                    IOMMU_PGFAULT_FLAGS_LAST_PAGE | IOMMU_PGFAULT_FLAGS_PASID_VALID);
    g_assert_cmpuint(rec[0].pasid, ==, 5);
    g_assert_cmpuint(rec[0].grpid, ==, 3);
    resp = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie,
                                              .code = IOMMUFD_PAGE_RESP_INVALID };
    g_assert_cmpint(xwrite(q.ffd, &resp, sizeof(resp)), ==, sizeof(resp));
}

static void test_fault_partial_write(void)
{
    FAULT_SETUP(q);
    struct iommu_hwpt_pgfault rec[2];
    struct iommu_hwpt_page_response resp[2];

    g_assert_cmpint(trigger_iopf(f.fd, f.dev_id, 0, 1, IOMMU_PGFAULT_PERM_READ, 0x10000), ==, 0);
    g_assert_cmpint(trigger_iopf(f.fd, f.dev_id, 0, 2, IOMMU_PGFAULT_PERM_READ, 0x20000), ==, 0);
    g_assert_cmpint(xread(q.ffd, rec, sizeof(rec)), ==, 2 * REC);
    g_assert_cmpuint(rec[0].grpid, ==, 1);
    g_assert_cmpuint(rec[1].grpid, ==, 2);
    g_assert_cmpuint(rec[0].cookie, !=, rec[1].cookie);

    /* the first response bad: nothing done, the error */
    resp[0] = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie + rec[1].cookie + 100 };
    resp[1] = (struct iommu_hwpt_page_response){ .cookie = rec[1].cookie };
    g_assert_cmpint(xwrite(q.ffd, resp, sizeof(resp)), ==, -EINVAL);
    /* the second bad: the bytes done */
    resp[0] = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie };
    resp[1] = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie };
    g_assert_cmpint(xwrite(q.ffd, resp, sizeof(resp)), ==, sizeof(resp[0]));
    resp[0] = (struct iommu_hwpt_page_response){ .cookie = rec[1].cookie };
    g_assert_cmpint(xwrite(q.ffd, resp, sizeof(resp[0])), ==, sizeof(resp[0]));
}

/* Groups of several faults: only the mock can raise them (the selftest's
 * TRIGGER_IOPF always sets LAST_PAGE). */
static void test_fault_groups(void)
{
    ABI_NEED_MOCK();
    FAULT_SETUP(q);
    struct iommu_hwpt_pgfault rec[4];
    struct iommu_hwpt_page_response resp;

    g_assert_cmpint(mock.trigger_fault(f.fd, f.dev_id, 0, 7, IOMMU_PGFAULT_PERM_READ, 0x40000, 3),
                    ==, 0);
    g_assert_cmpint(poll_revents(q.ffd, 1000), ==, POLLIN | POLLOUT);
    g_assert_cmpint(xread(q.ffd, rec, sizeof(rec)), ==, 3 * REC);
    for (int i = 0; i < 3; i++) {
        g_assert_cmpuint(rec[i].cookie, ==, rec[0].cookie);
        g_assert_cmpuint(rec[i].grpid, ==, 7);
        g_assert_cmpuint(rec[i].dev_id, ==, f.dev_id);
        g_assert_cmphex(rec[i].flags, ==, i == 2 ? IOMMU_PGFAULT_FLAGS_LAST_PAGE : 0);
        if (i) {
            g_assert_cmphex(rec[i].addr, >, rec[i - 1].addr);
        }
    }
    g_assert_cmphex(rec[0].addr, ==, 0x40000);
    resp = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie };
    g_assert_cmpint(xwrite(q.ffd, &resp, sizeof(resp)), ==, sizeof(resp));

    /* a group is never split: room for 3 records, groups of 2 and 2 */
    g_assert_cmpint(mock.trigger_fault(f.fd, f.dev_id, 0, 8, IOMMU_PGFAULT_PERM_READ, 0x50000, 2),
                    ==, 0);
    g_assert_cmpint(mock.trigger_fault(f.fd, f.dev_id, 9, 9, IOMMU_PGFAULT_PERM_WRITE, 0x60000, 2),
                    ==, 0);
    g_assert_cmpint(xread(q.ffd, rec, 3 * REC), ==, 2 * REC);
    g_assert_cmpuint(rec[0].grpid, ==, 8);
    g_assert_cmpuint(rec[1].grpid, ==, 8);
    resp = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie };
    g_assert_cmpint(xwrite(q.ffd, &resp, sizeof(resp)), ==, sizeof(resp));
    g_assert_cmpint(xread(q.ffd, rec, 3 * REC), ==, 2 * REC);
    g_assert_cmpuint(rec[0].grpid, ==, 9);
    g_assert_cmpuint(rec[0].pasid, ==, 9);
    g_assert_cmphex(rec[0].flags, ==, IOMMU_PGFAULT_FLAGS_PASID_VALID);
    g_assert_cmphex(rec[1].flags, ==,
                    IOMMU_PGFAULT_FLAGS_PASID_VALID | IOMMU_PGFAULT_FLAGS_LAST_PAGE);
    resp = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie };
    g_assert_cmpint(xwrite(q.ffd, &resp, sizeof(resp)), ==, sizeof(resp));
}

/* The first group larger than the buffer: EINVAL in 6.12, 0 later; the
 * group stays queued either way. */
static void test_fault_group_too_big(void)
{
    ABI_NEED_MOCK();
    FAULT_SETUP(q);
    struct iommu_hwpt_pgfault rec[3];
    struct iommu_hwpt_page_response resp;

    g_assert_cmpint(mock.trigger_fault(f.fd, f.dev_id, 0, 4, IOMMU_PGFAULT_PERM_READ, 0x70000, 3),
                    ==, 0);
    g_assert_cmpint(xread(q.ffd, rec, 2 * REC), ==, abi_kernel_is_6_12() ? -EINVAL : 0);
    g_assert_cmpint(poll_revents(q.ffd, 0), ==, POLLIN | POLLOUT);
    g_assert_cmpint(xread(q.ffd, rec, 3 * REC), ==, 3 * REC);
    resp = (struct iommu_hwpt_page_response){ .cookie = rec[0].cookie };
    g_assert_cmpint(xwrite(q.ffd, &resp, sizeof(resp)), ==, sizeof(resp));
}

/* Replacing or detaching the HWPT answers (INVALID) every group of that
 * attachment, delivered or not. */
static void test_fault_replace_answers(void)
{
    FAULT_SETUP(q);
    struct iommu_hwpt_pgfault rec;
    struct iommu_hwpt_page_response resp;
    uint32_t pt = 0;

    g_assert_cmpint(trigger_iopf(f.fd, f.dev_id, 0, 1, IOMMU_PGFAULT_PERM_READ, 0x1000), ==, 0);
    g_assert_cmpint(xread(q.ffd, &rec, REC), ==, REC);
    g_assert_cmpint(trigger_iopf(f.fd, f.dev_id, 0, 2, IOMMU_PGFAULT_PERM_READ, 0x2000), ==, 0);
    g_assert_cmpint(poll_revents(q.ffd, 1000), ==, POLLIN | POLLOUT);

    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, q.parent, &pt), ==, 0);
    g_assert_cmpint(poll_revents(q.ffd, 0), ==, POLLOUT);
    g_assert_cmpint(xread(q.ffd, &rec, REC), ==, 0);
    resp = (struct iommu_hwpt_page_response){ .cookie = rec.cookie };
    g_assert_cmpint(xwrite(q.ffd, &resp, sizeof(resp)), ==, -EINVAL);

    /* detach: destroying the mock device */
    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, q.iopf_hwpt, &pt), ==, 0);
    g_assert_cmpint(trigger_iopf(f.fd, f.dev_id, 0, 3, IOMMU_PGFAULT_PERM_READ, 0x3000), ==, 0);
    g_assert_cmpint(poll_revents(q.ffd, 1000), ==, POLLIN | POLLOUT);
    g_assert_cmpint(abi_destroy(f.fd, f.stdev_id), ==, 0);
    g_assert_cmpint(poll_revents(q.ffd, 0), ==, POLLOUT);
    g_assert_cmpint(xread(q.ffd, &rec, REC), ==, 0);
}

static void test_fault_destroy(void)
{
    FAULT_SETUP(q);
    uint32_t pt = 0;

    /* referenced by its fd and by the HWPT; the HWPT is attached */
    g_assert_cmpint(abi_destroy(f.fd, q.fault_id), ==, -EBUSY);
    g_assert_cmpint(abi_destroy(f.fd, q.iopf_hwpt), ==, -EBUSY);
    g_assert_cmpint(abi_destroy(f.fd, q.parent), ==, -EBUSY);
    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, f.ioas_id, &pt), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, q.iopf_hwpt), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, q.fault_id), ==, -EBUSY);
    fix_close(&f, q.ffd);
    g_assert_cmpint(abi_destroy(f.fd, q.fault_id), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, q.parent), ==, 0);
}

/* ==== 6. vIOMMU, vDEVICE, vEVENTQ, HW queue =============================== */

typedef struct {
    uint32_t parent, viommu, vdev, nested;
} VFix;

#define VIRT_ID 0x99u

/* A vIOMMU on a nest parent; with `attach`, a vDEVICE and the device
 * attached to a nested HWPT allocated on the vIOMMU. */
static bool viommu_setup(Fix *f, VFix *v, bool attach)
{
    uint32_t pt = 0;

    if (!fix_setup(f, 0)) {
        return false;
    }
    g_assert_cmpint(hwpt_paging(f->fd, IOMMU_HWPT_ALLOC_NEST_PARENT, f->dev_id, f->ioas_id,
                                &v->parent), ==, 0);
    g_assert_cmpint(viommu_alloc(f->fd, f->dev_id, v->parent, IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0,
                                 &v->viommu), ==, 0);
    if (attach) {
        g_assert_cmpint(vdevice_alloc(f->fd, v->viommu, f->dev_id, VIRT_ID, &v->vdev), ==, 0);
        g_assert_cmpint(hwpt_nested(f->fd, 0, f->dev_id, v->viommu, 0, &v->nested), ==, 0);
        g_assert_cmpint(mock_replace(f->fd, f->stdev_id, v->nested, &pt), ==, 0);
        g_assert_cmpuint(pt, ==, v->nested);
    }
    return true;
}

#define VIOMMU_SETUP(v, attach, nr)                                              \
    FIX_DECL;                                                                    \
    VFix v = { 0 };                                                              \
    f.fd = abi_open();                                                           \
    ABI_NEED_CMD(f.fd, nr);                                                      \
    close(f.fd);                                                                 \
    f.fd = -1;                                                                   \
    do {                                                                         \
        if (!viommu_setup(&f, &(v), (attach))) {                                 \
            return;                                                              \
        }                                                                        \
    } while (0)

static void test_viommu_alloc(void)
{
    FIX_DECL;
    uint32_t parent = 0, plain = 0, viommu = 0;
    struct iommu_viommu_alloc cmd;

    f.fd = abi_open();
    ABI_NEED_CMD(f.fd, IOMMUFD_CMD_VIOMMU_ALLOC);
    close(f.fd);
    f.fd = -1;
    if (!fix_setup(&f, 0)) {
        return;
    }
    g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, f.dev_id, f.ioas_id, &parent),
                    ==, 0);
    g_assert_cmpint(hwpt_paging(f.fd, 0, f.dev_id, f.ioas_id, &plain), ==, 0);

    cmd = (struct iommu_viommu_alloc){ .size = sizeof(cmd), .flags = 1,
                                       .type = IOMMU_VIOMMU_TYPE_SELFTEST, .dev_id = f.dev_id,
                                       .hwpt_id = parent };
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_VIOMMU_ALLOC, &cmd), ==, -EOPNOTSUPP);
    g_assert_cmpint(viommu_alloc(f.fd, f.dev_id, parent, IOMMU_VIOMMU_TYPE_DEFAULT, NULL, 0,
                                 &viommu), ==, -EOPNOTSUPP);
    g_assert_cmpint(viommu_alloc(f.fd, f.dev_id, parent, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL, 0,
                                 &viommu), ==, -EOPNOTSUPP);
    g_assert_cmpint(viommu_alloc(f.fd, 0x7fffffff, parent, IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0,
                                 &viommu), ==, -ENOENT);
    g_assert_cmpint(viommu_alloc(f.fd, f.dev_id, f.ioas_id, IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0,
                                 &viommu), ==, -ENOENT);
    g_assert_cmpint(viommu_alloc(f.fd, f.dev_id, plain, IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0,
                                 &viommu), ==, -EINVAL);

    g_assert_cmpint(viommu_alloc(f.fd, f.dev_id, parent, IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0,
                                 &viommu), ==, 0);
    /* the vIOMMU holds its parent */
    g_assert_cmpint(abi_destroy(f.fd, parent), ==, -EBUSY);
    g_assert_cmpint(abi_destroy(f.fd, viommu), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, parent), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, plain), ==, 0);
}

/* The selftest driver's data: an echo of in_data, and a region of
 * /dev/iommu to mmap that holds in_data too. */
static void test_viommu_mmap(void)
{
    FIX_DECL;
    struct iommu_viommu_selftest data = { .in_data = 0xbeef };
    uint32_t parent = 0, viommu = 0;
    uint32_t *page;

    f.fd = abi_open();
    ABI_NEED_CMD(f.fd, IOMMUFD_CMD_VIOMMU_ALLOC);
    close(f.fd);
    f.fd = -1;
    if (!fix_setup(&f, 0)) {
        return;
    }
    g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, f.dev_id, f.ioas_id, &parent),
                    ==, 0);
    g_assert_cmpint(viommu_alloc(f.fd, f.dev_id, parent, IOMMU_VIOMMU_TYPE_SELFTEST, &data,
                                 sizeof(data), &viommu), ==, 0);
    g_assert_cmphex(data.out_data, ==, data.in_data);
    if (!data.out_mmap_length) {
        /* The newest selftest driver always hands out a region (the mock
         * models the newest kernel, so it must); a real 6.13-6.16 kernel
         * predates the region and answers 0. */
        g_assert_false(test_backend_is_mock());
        g_test_message("this kernel's selftest vIOMMU offers no mmap region");
        return;
    }
    g_assert_cmpuint(data.out_mmap_length, >=, page_size);
    g_assert_cmpuint(data.out_mmap_length % page_size, ==, 0);
    g_assert_cmpuint(data.out_mmap_offset % page_size, ==, 0);
    page = mmap(NULL, data.out_mmap_length, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd,
                (off_t)data.out_mmap_offset);
    g_assert(page != MAP_FAILED);
    g_assert_cmphex(*page, ==, data.in_data);
    /* a mapped region pins the vIOMMU */
    g_assert_cmpint(abi_destroy(f.fd, viommu), ==, -EBUSY);
    g_assert_cmpint(munmap(page, data.out_mmap_length), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, viommu), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, parent), ==, 0);
}

static void test_vdevice(void)
{
    VIOMMU_SETUP(v, false, IOMMUFD_CMD_VDEVICE_ALLOC);
    uint32_t vdev = 0, vdev2 = 0, stdev2 = 0, dev2 = 0, nested = 0, pt = 0;

    g_assert_cmpint(vdevice_alloc(f.fd, 0x7fffffff, f.dev_id, VIRT_ID, &vdev), ==, -ENOENT);
    g_assert_cmpint(vdevice_alloc(f.fd, v.viommu, 0x7fffffff, VIRT_ID, &vdev), ==, -ENOENT);
    g_assert_cmpint(vdevice_alloc(f.fd, v.parent, f.dev_id, VIRT_ID, &vdev), ==, -ENOENT);

    /* a nested HWPT on the vIOMMU: attaching needs the device's vDEVICE */
    g_assert_cmpint(hwpt_nested(f.fd, 0, f.dev_id, v.viommu, 0, &nested), ==, 0);
    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, nested, &pt), ==, -ENOENT);

    g_assert_cmpint(vdevice_alloc(f.fd, v.viommu, f.dev_id, VIRT_ID, &vdev), ==, 0);
    g_assert_cmpuint(vdev, !=, 0);
    /* one vDEVICE per device, one device per virt_id */
    g_assert_cmpint(vdevice_alloc(f.fd, v.viommu, f.dev_id, VIRT_ID + 1, &vdev2), ==, -EEXIST);
    g_assert_cmpint(abi_mock_domain(f.fd, f.ioas_id, 0, &stdev2, NULL, &dev2), ==, 0);
    g_assert_cmpint(vdevice_alloc(f.fd, v.viommu, dev2, VIRT_ID, &vdev2), ==, -EEXIST);
    g_assert_cmpint(vdevice_alloc(f.fd, v.viommu, dev2, VIRT_ID + 1, &vdev2), ==, 0);

    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, nested, &pt), ==, 0);
    g_assert_cmpuint(pt, ==, nested);
    g_assert_cmpint(abi_destroy(f.fd, v.viommu), ==, -EBUSY);
    g_assert_cmpint(abi_destroy(f.fd, nested), ==, -EBUSY);
    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, f.ioas_id, NULL), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, nested), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, vdev2), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, vdev), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, v.viommu), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, stdev2), ==, 0);
}

static int dev_check_cache(int fd, uint32_t dev_id, uint32_t cache_id, uint32_t value)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_DEV_CHECK_CACHE, .id = dev_id };

    cmd.check_dev_cache.id = cache_id;
    cmd.check_dev_cache.cache = value;
    return test_cmd(fd, &cmd);
}

static void assert_dev_caches(int fd, uint32_t dev_id, uint32_t v0, uint32_t v1, uint32_t v2,
                              uint32_t v3)
{
    const uint32_t v[] = { v0, v1, v2, v3 };

    for (uint32_t i = 0; i < MOCK_DEV_CACHE_NUM; i++) {
        g_assert_cmpint(dev_check_cache(fd, dev_id, i, v[i]), ==, 0);
    }
}

/*
 * HWPT_INVALIDATE on a vIOMMU (the selftest driver's cache_invalidate, ~6.14)
 * checked with DEV_CHECK_CACHE, after the kernel selftests' vdevice_cache:
 * entry_num 0 validates the type only; the whole array is read first, then
 * per entry flags (EOPNOTSUPP), cache_id (EINVAL) and the vDEVICE, looked up
 * by its virt_id, not its object id (EINVAL); entry_num comes back as the
 * number of entries handled.  Linux 6.12 has neither the op (EOPNOTSUPP from
 * the selftest's default case) nor vIOMMUs.
 */
static void test_viommu_cache(void)
{
    FIX_DECL;
    VFix v = { 0 };
    struct iommu_viommu_invalidate_selftest reqs[3];
    const uint32_t D = IOMMU_TEST_DEV_CACHE_DEFAULT, T = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST;
    const uint32_t L = sizeof(reqs[0]);
    uint32_t num = 0, vdev = 0;

    if (!fix_setup(&f, 0)) {
        return;
    }
    if (abi_kernel_is_6_12()) {
        g_assert_cmpint(dev_check_cache(f.fd, f.dev_id, 0, D), ==, -EOPNOTSUPP);
        ABI_NEED_CMD(f.fd, IOMMUFD_CMD_VIOMMU_ALLOC);   /* asserts ENOTTY, returns */
        g_assert_not_reached();
    }
    ABI_NEED_CMD(f.fd, IOMMUFD_CMD_VIOMMU_ALLOC);
    if (!test_backend_is_mock() && dev_check_cache(f.fd, f.dev_id, 0, D) == -EOPNOTSUPP) {
        g_test_skip("needs IOMMU_TEST_OP_DEV_CHECK_CACHE (a ~6.14+ selftest driver)");
        return;
    }
    /* DEV_CHECK_CACHE itself: a device id, a cache id in range, the value */
    assert_dev_caches(f.fd, f.dev_id, D, D, D, D);
    g_assert_cmpint(dev_check_cache(f.fd, f.dev_id, MOCK_DEV_CACHE_ID_MAX + 1, D), ==, -EINVAL);
    g_assert_cmpint(dev_check_cache(f.fd, f.dev_id, 0, 0), ==, -EINVAL);
    g_assert_cmpint(dev_check_cache(f.fd, f.ioas_id, 0, D), ==, -ENOENT);
    g_assert_cmpint(dev_check_cache(f.fd, f.stdev_id, 0, D), ==, -ENOENT);

    g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, f.dev_id, f.ioas_id,
                                &v.parent), ==, 0);
    g_assert_cmpint(viommu_alloc(f.fd, f.dev_id, v.parent, IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0,
                                 &v.viommu), ==, 0);
    g_assert_cmpint(vdevice_alloc(f.fd, v.viommu, f.dev_id, VIRT_ID, &vdev), ==, 0);
    g_assert_cmpuint(vdev, !=, VIRT_ID);
    memset(reqs, 0, sizeof(reqs));

    /* entry_num 0: the type is checked, nothing else */
    num = 0;
    g_assert_cmpint(invalidate(f.fd, v.viommu, reqs, T, L, &num), ==, 0);
    g_assert_cmpuint(num, ==, 0);
    num = 0;
    g_assert_cmpint(invalidate(f.fd, v.viommu, reqs, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
                               L, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);
    num = 1;
    g_assert_cmpint(invalidate(f.fd, v.viommu, reqs, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
                               L, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);

    /* pointer and entry_len; flags; cache_id; the vDEVICE */
    reqs[0] = (struct iommu_viommu_invalidate_selftest){ .vdev_id = VIRT_ID };
    num = 1;
    g_assert_cmpint(invalidate(f.fd, v.viommu, NULL, T, L, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);
    num = 1;
    g_assert_cmpint(invalidate(f.fd, v.viommu, reqs, T, 0, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);
    reqs[0].flags = 0xffffffff;
    num = 1;
    g_assert_cmpint(invalidate(f.fd, v.viommu, reqs, T, L, &num), ==, -EOPNOTSUPP);
    g_assert_cmpuint(num, ==, 0);
    reqs[0] = (struct iommu_viommu_invalidate_selftest){
        .vdev_id = VIRT_ID, .cache_id = MOCK_DEV_CACHE_ID_MAX + 1,
    };
    num = 1;
    g_assert_cmpint(invalidate(f.fd, v.viommu, reqs, T, L, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);
    reqs[0] = (struct iommu_viommu_invalidate_selftest){ .vdev_id = VIRT_ID + 1 };
    num = 1;
    g_assert_cmpint(invalidate(f.fd, v.viommu, reqs, T, L, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);
    reqs[0] = (struct iommu_viommu_invalidate_selftest){ .vdev_id = vdev };
    num = 1;
    g_assert_cmpint(invalidate(f.fd, v.viommu, reqs, T, L, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);
    assert_dev_caches(f.fd, f.dev_id, D, D, D, D);

    /* partial failure: the first entry is done, the second one refused */
    reqs[0] = (struct iommu_viommu_invalidate_selftest){ .vdev_id = VIRT_ID, .cache_id = 0 };
    reqs[1] = (struct iommu_viommu_invalidate_selftest){
        .flags = 0xffffffff, .vdev_id = VIRT_ID, .cache_id = 1,
    };
    num = 2;
    g_assert_cmpint(invalidate(f.fd, v.viommu, reqs, T, L, &num), ==, -EOPNOTSUPP);
    g_assert_cmpuint(num, ==, 1);
    assert_dev_caches(f.fd, f.dev_id, 0, D, D, D);
    reqs[0] = (struct iommu_viommu_invalidate_selftest){ .vdev_id = VIRT_ID, .cache_id = 1 };
    reqs[1] = (struct iommu_viommu_invalidate_selftest){
        .vdev_id = VIRT_ID, .cache_id = MOCK_DEV_CACHE_ID_MAX + 1,
    };
    num = 2;
    g_assert_cmpint(invalidate(f.fd, v.viommu, reqs, T, L, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 1);
    assert_dev_caches(f.fd, f.dev_id, 0, 0, D, D);

    /* all good */
    reqs[0] = (struct iommu_viommu_invalidate_selftest){ .vdev_id = VIRT_ID, .cache_id = 2 };
    num = 1;
    g_assert_cmpint(invalidate(f.fd, v.viommu, reqs, T, L, &num), ==, 0);
    g_assert_cmpuint(num, ==, 1);
    assert_dev_caches(f.fd, f.dev_id, 0, 0, 0, D);

    /* FLAG_ALL: every cache of the device (cache_id still range-checked) */
    reqs[0] = (struct iommu_viommu_invalidate_selftest){
        .flags = IOMMU_TEST_INVALIDATE_FLAG_ALL, .vdev_id = VIRT_ID, .cache_id = 3,
    };
    num = 1;
    g_assert_cmpint(invalidate(f.fd, v.viommu, reqs, T, L, &num), ==, 0);
    g_assert_cmpuint(num, ==, 1);
    assert_dev_caches(f.fd, f.dev_id, 0, 0, 0, 0);

    /* the vDEVICE gone, its virt_id means nothing */
    g_assert_cmpint(abi_destroy(f.fd, vdev), ==, 0);
    reqs[0] = (struct iommu_viommu_invalidate_selftest){ .vdev_id = VIRT_ID };
    num = 1;
    g_assert_cmpint(invalidate(f.fd, v.viommu, reqs, T, L, &num), ==, -EINVAL);
    g_assert_cmpuint(num, ==, 0);

    g_assert_cmpint(abi_destroy(f.fd, v.viommu), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, v.parent), ==, 0);
}

static void test_veventq_alloc(void)
{
    VIOMMU_SETUP(v, false, IOMMUFD_CMD_VEVENTQ_ALLOC);
    struct iommu_veventq_alloc cmd;
    uint32_t id = 0, id2 = 0;
    int qfd = -1, qfd2 = -1, fl = 0;

    cmd = (struct iommu_veventq_alloc){ .size = sizeof(cmd), .flags = 1, .viommu_id = v.viommu,
                                        .type = IOMMU_VEVENTQ_TYPE_SELFTEST, .veventq_depth = 2 };
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_VEVENTQ_ALLOC, &cmd), ==, -EOPNOTSUPP);
    cmd.flags = 0;
    cmd.__reserved = 1;
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_VEVENTQ_ALLOC, &cmd), ==, -EOPNOTSUPP);
    g_assert_cmpint(veventq_alloc(f.fd, v.viommu, IOMMU_VEVENTQ_TYPE_DEFAULT, 2, &id, &qfd), ==,
                    -EOPNOTSUPP);
    g_assert_cmpint(veventq_alloc(f.fd, v.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 0, &id, &qfd), ==,
                    -EINVAL);
    g_assert_cmpint(veventq_alloc(f.fd, 0x7fffffff, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &id, &qfd), ==,
                    -ENOENT);
    g_assert_cmpint(veventq_alloc(f.fd, v.parent, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &id, &qfd), ==,
                    -ENOENT);

    g_assert_cmpint(veventq_alloc(f.fd, v.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &id, &qfd), ==, 0);
    fix_track(&f, qfd);
    fl = fcntl(qfd, F_GETFD);
    g_assert_cmpint(fl, >=, 0);
    g_assert_true(fl & FD_CLOEXEC);
    /* one queue per type */
    g_assert_cmpint(veventq_alloc(f.fd, v.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &id2, &qfd2), ==,
                    -EEXIST);
    /* no write op, never writable, nothing to read */
    g_assert_cmpint(poll_revents(qfd, 0), ==, 0);
    g_assert_cmpint(xwrite(qfd, &cmd, 8), ==, -EINVAL);
    g_assert_cmpint(xread(qfd, &cmd, sizeof(cmd)), ==, 0);

    g_assert_cmpint(abi_destroy(f.fd, v.viommu), ==, -EBUSY);
    g_assert_cmpint(abi_destroy(f.fd, id), ==, -EBUSY);   /* its fd is open */
    fix_close(&f, qfd);
    g_assert_cmpint(abi_destroy(f.fd, id), ==, 0);
    g_assert_cmpint(veventq_alloc(f.fd, v.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 1, &id, &qfd), ==, 0);
    fix_track(&f, qfd);
}

#define VEVENT_SZ (sizeof(struct iommufd_vevent_header) + sizeof(struct iommu_viommu_event_selftest))

/* Parses the packed stream; returns the number of records. */
static unsigned parse_vevents(const uint8_t *buf, size_t len, struct iommufd_vevent_header *hdr,
                              uint32_t *virt, unsigned max)
{
    unsigned n = 0;
    size_t off = 0;

    while (off < len) {
        g_assert_cmpuint(n, <, max);
        g_assert_cmpuint(len - off, >=, sizeof(hdr[n]));
        memcpy(&hdr[n], buf + off, sizeof(hdr[n]));
        off += sizeof(hdr[n]);
        virt[n] = 0;
        if (!(hdr[n].flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS)) {
            g_assert_cmpuint(len - off, >=, sizeof(uint32_t));
            memcpy(&virt[n], buf + off, sizeof(uint32_t));
            off += sizeof(uint32_t);
        }
        n++;
    }
    return n;
}

static void test_vevent_records(void)
{
    VIOMMU_SETUP(v, true, IOMMUFD_CMD_VEVENTQ_ALLOC);
    struct iommufd_vevent_header hdr[8];
    uint32_t virt[8] = { 0 }, id = 0, stdev2 = 0, dev2 = 0;
    uint8_t buf[128];
    int qfd = -1;

    /* not attached through a vIOMMU: ENOENT; no queue of the type: EOPNOTSUPP */
    g_assert_cmpint(abi_mock_domain(f.fd, f.ioas_id, 0, &stdev2, NULL, &dev2), ==, 0);
    g_assert_cmpint(trigger_vevent(f.fd, dev2), ==, -ENOENT);
    g_assert_cmpint(trigger_vevent(f.fd, f.dev_id), ==, -EOPNOTSUPP);

    g_assert_cmpint(veventq_alloc(f.fd, v.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 8, &id, &qfd), ==, 0);
    fix_track(&f, qfd);
    g_assert_cmpint(trigger_vevent(f.fd, f.dev_id), ==, 0);
    g_assert_cmpint(poll_revents(qfd, 1000), ==, POLLIN);
    g_assert_cmpint(trigger_vevent(f.fd, f.dev_id), ==, 0);
    g_assert_cmpint(trigger_vevent(f.fd, f.dev_id), ==, 0);

    /* too small for the first record: 0, nothing consumed */
    g_assert_cmpint(xread(qfd, buf, VEVENT_SZ - 1), ==, 0);
    g_assert_cmpint(xread(qfd, buf, 0), ==, 0);
    /* whole records only, packed back to back */
    g_assert_cmpint(xread(qfd, buf, 2 * VEVENT_SZ + 5), ==, 2 * VEVENT_SZ);
    g_assert_cmpuint(parse_vevents(buf, 2 * VEVENT_SZ, hdr, virt, 8), ==, 2);
    for (unsigned i = 0; i < 2; i++) {
        g_assert_cmphex(hdr[i].flags, ==, 0);
        g_assert_cmpuint(hdr[i].sequence, ==, i);
        g_assert_cmphex(virt[i], ==, VIRT_ID);
    }
    g_assert_cmpint(xread(qfd, buf, sizeof(buf)), ==, VEVENT_SZ);
    g_assert_cmpuint(parse_vevents(buf, VEVENT_SZ, hdr, virt, 8), ==, 1);
    g_assert_cmpuint(hdr[0].sequence, ==, 2);
    g_assert_cmpint(poll_revents(qfd, 0), ==, 0);
    g_assert_cmpint(xread(qfd, buf, sizeof(buf)), ==, 0);

    g_assert_cmpint(abi_destroy(f.fd, stdev2), ==, 0);
}

/* Depth exceeded: a LOST_EVENTS header (no payload) at the tail, taking a
 * sequence number each time it moves. */
static void test_vevent_lost(void)
{
    VIOMMU_SETUP(v, true, IOMMUFD_CMD_VEVENTQ_ALLOC);
    struct iommufd_vevent_header hdr[8];
    uint32_t virt[8] = { 0 }, id = 0;
    uint8_t buf[128];
    ssize_t n;
    int qfd = -1;

    g_assert_cmpint(veventq_alloc(f.fd, v.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &id, &qfd), ==, 0);
    fix_track(&f, qfd);
    for (int i = 0; i < 4; i++) {
        g_assert_cmpint(trigger_vevent(f.fd, f.dev_id), ==, 0);
    }
    n = xread(qfd, buf, sizeof(buf));
    g_assert_cmpint(n, ==, 2 * VEVENT_SZ + sizeof(struct iommufd_vevent_header));
    g_assert_cmpuint(parse_vevents(buf, (size_t)n, hdr, virt, 8), ==, 3);
    g_assert_cmpuint(hdr[0].sequence, ==, 0);
    g_assert_cmpuint(hdr[1].sequence, ==, 1);
    g_assert_cmphex(hdr[2].flags, ==, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
    g_assert_cmpuint(hdr[2].sequence, ==, 3);
    g_assert_cmpint(xread(qfd, buf, sizeof(buf)), ==, 0);

    /* room again: the next event continues the sequence */
    g_assert_cmpint(trigger_vevent(f.fd, f.dev_id), ==, 0);
    g_assert_cmpint(xread(qfd, buf, sizeof(buf)), ==, VEVENT_SZ);
    g_assert_cmpuint(parse_vevents(buf, VEVENT_SZ, hdr, virt, 8), ==, 1);
    g_assert_cmphex(hdr[0].flags, ==, 0);
    g_assert_cmpuint(hdr[0].sequence, ==, 4);

    /* a lone LOST_EVENTS header fits an 8-byte buffer */
    for (int i = 0; i < 3; i++) {
        g_assert_cmpint(trigger_vevent(f.fd, f.dev_id), ==, 0);
    }
    g_assert_cmpint(xread(qfd, buf, 2 * VEVENT_SZ), ==, 2 * VEVENT_SZ);
    g_assert_cmpint(xread(qfd, buf, sizeof(struct iommufd_vevent_header)), ==,
                    sizeof(struct iommufd_vevent_header));
    memcpy(&hdr[0], buf, sizeof(hdr[0]));
    g_assert_cmphex(hdr[0].flags, ==, IOMMU_VEVENTQ_FLAG_LOST_EVENTS);
    g_assert_cmpuint(hdr[0].sequence, ==, 7);
}

static void test_vevent_wrap(void)
{
    ABI_NEED_MOCK();
    VIOMMU_SETUP(v, true, IOMMUFD_CMD_VEVENTQ_ALLOC);
    struct iommufd_vevent_header hdr[4];
    uint32_t virt[4] = { 0 }, id = 0;
    uint8_t buf[64];
    int qfd = -1;

    g_assert_cmpint(veventq_alloc(f.fd, v.viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 4, &id, &qfd), ==, 0);
    fix_track(&f, qfd);
    g_assert_cmpint(mock.veventq_set_sequence(f.fd, id, INT_MAX - 1), ==, 0);
    for (int i = 0; i < 3; i++) {
        g_assert_cmpint(trigger_vevent(f.fd, f.dev_id), ==, 0);
    }
    g_assert_cmpint(xread(qfd, buf, sizeof(buf)), ==, 3 * VEVENT_SZ);
    g_assert_cmpuint(parse_vevents(buf, 3 * VEVENT_SZ, hdr, virt, 4), ==, 3);
    g_assert_cmpuint(hdr[0].sequence, ==, INT_MAX - 1);
    g_assert_cmpuint(hdr[1].sequence, ==, INT_MAX);
    g_assert_cmpuint(hdr[2].sequence, ==, 0);
}

static void test_hw_queue(void)
{
    VIOMMU_SETUP(v, false, IOMMUFD_CMD_HW_QUEUE_ALLOC);
    uint64_t iova = MOCK_APERTURE_START;
    uint32_t q0 = 0, q1 = 0;
    struct iommu_hw_queue_alloc cmd;
    const uint32_t T = IOMMU_HW_QUEUE_TYPE_SELFTEST;

    f.mem_len = page_size;
    f.mem = mmap(NULL, f.mem_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    g_assert(f.mem != MAP_FAILED);

    cmd = (struct iommu_hw_queue_alloc){ .size = sizeof(cmd), .flags = 1, .viommu_id = v.viommu,
                                         .type = T, .nesting_parent_iova = iova,
                                         .length = page_size };
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_HW_QUEUE_ALLOC, &cmd), ==, -EOPNOTSUPP);
    g_assert_cmpint(hw_queue_alloc(f.fd, v.viommu, IOMMU_HW_QUEUE_TYPE_DEFAULT, 0, iova, page_size,
                                   &q0), ==, -EOPNOTSUPP);
    g_assert_cmpint(hw_queue_alloc(f.fd, v.viommu, T, 0, iova, 0, &q0), ==, -EINVAL);
    g_assert_cmpint(hw_queue_alloc(f.fd, v.viommu, T, 0, UINT64_MAX, page_size, &q0), ==,
                    -EOVERFLOW);
    g_assert_cmpint(hw_queue_alloc(f.fd, 0x7fffffff, T, 0, iova, page_size, &q0), ==, -ENOENT);
    /* nothing mapped there yet */
    g_assert_cmpint(hw_queue_alloc(f.fd, v.viommu, T, 0, iova, page_size, &q0), ==, -ENOENT);

    iova = 0;
    g_assert_cmpint(ioas_map(f.fd, f.ioas_id, f.mem, page_size, &iova, false), ==, 0);
    /* indexes start at 0 and stay below IOMMU_TEST_HW_QUEUE_MAX */
    g_assert_cmpint(hw_queue_alloc(f.fd, v.viommu, T, 1, iova, page_size, &q0), ==, -EIO);
    g_assert_cmpint(hw_queue_alloc(f.fd, v.viommu, T, IOMMU_TEST_HW_QUEUE_MAX, iova, page_size,
                                   &q0), ==, -EINVAL);
    g_assert_cmpint(hw_queue_alloc(f.fd, v.viommu, T, 0, iova, page_size, &q0), ==, 0);
    g_assert_cmpint(hw_queue_alloc(f.fd, v.viommu, T, 0, iova, page_size, &q1), ==, -EEXIST);
    /* the queue owns its IOVA */
    g_assert_cmpint(ioas_unmap(f.fd, f.ioas_id, iova, page_size), ==, -EBUSY);
    g_assert_cmpint(hw_queue_alloc(f.fd, v.viommu, T, 1, iova, page_size, &q1), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, q0), ==, -EBUSY);
    g_assert_cmpint(abi_destroy(f.fd, v.viommu), ==, -EBUSY);
    g_assert_cmpint(abi_destroy(f.fd, q1), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, q0), ==, 0);
    g_assert_cmpint(ioas_unmap(f.fd, f.ioas_id, iova, page_size), ==, 0);
}

/* ==== 7. VFIO cdev on mock nodes ========================================== */

static int vfio_bind(int dfd, int iommufd, uint32_t argsz, uint32_t flags, uint32_t *dev_id)
{
    struct vfio_device_bind_iommufd b = { .argsz = argsz, .flags = flags, .iommufd = iommufd };
    int rc = abi_ioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, &b);

    if (rc == 0 && dev_id) {
        *dev_id = b.out_devid;
    }
    return rc;
}

static int vfio_attach(int dfd, uint32_t pt_id, uint32_t *out)
{
    struct vfio_device_attach_iommufd_pt a = { .argsz = sizeof(a), .pt_id = pt_id };
    int rc = abi_ioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

    if (rc == 0 && out) {
        *out = a.pt_id;
    }
    return rc;
}

static int vfio_detach(int dfd)
{
    struct vfio_device_detach_iommufd_pt d = { .argsz = sizeof(d) };

    return abi_ioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

/*
 * A real VFIO device on a kernel: IOMMUFD_TEST_VFIO_NODE (scripts/run-in-vm's
 * q35-edu machine exports it for QEMU's edu device bound to vfio-pci).
 */
static const char *vfio_real_node(void)
{
    const char *node = g_getenv("IOMMUFD_TEST_VFIO_NODE");

    return !test_backend_is_mock() && node && *node ? node : NULL;
}

static bool vfio_mock_node(Fix *f, int *dfd)
{
    char path[256];

    if (!test_backend_is_mock()) {
        const char *node = vfio_real_node();
        if (!node) {
            g_test_skip("needs a VFIO device (a mock VFIO node, or IOMMUFD_TEST_VFIO_NODE)");
            return false;
        }
        g_strlcpy(path, node, sizeof(path));
    } else {
        g_assert_cmpint(mock.add_device(0, path, sizeof(path)), ==, 0);
    }
    *dfd = open(path, O_RDWR | O_CLOEXEC);
    g_assert_cmpint(*dfd, >=, 0);
    fix_track(f, *dfd);
    f->fd = abi_open();
    return true;
}

static void test_vfio_before_bind(void)
{
    FIX_DECL;
    uint32_t info[16] = { sizeof(info) };
    uint32_t pt = 0;
    int dfd = -1, pfd[2] = { 0 };

    if (!vfio_mock_node(&f, &dfd)) {
        return;
    }
    f.ioas_id = abi_ioas_alloc(f.fd);
    /* before a successful bind, every other device ioctl is EINVAL */
    g_assert_cmpint(abi_ioctl(dfd, HWPT_VFIO_DEVICE_GET_INFO, info), ==, -EINVAL);
    g_assert_cmpint(vfio_attach(dfd, f.ioas_id, &pt), ==, -EINVAL);
    g_assert_cmpint(vfio_detach(dfd), ==, -EINVAL);

    g_assert_cmpint(vfio_bind(dfd, f.fd, 8, 0, NULL), ==, -EINVAL);
    g_assert_cmpint(vfio_bind(dfd, f.fd, sizeof(struct vfio_device_bind_iommufd), 1u << 1, NULL),
                    ==, -EINVAL);
    g_assert_cmpint(vfio_bind(dfd, -1, sizeof(struct vfio_device_bind_iommufd), 0, NULL), ==,
                    -EINVAL);
    g_assert_cmpint(pipe2(pfd, O_CLOEXEC), ==, 0);
    fix_track(&f, pfd[0]);
    fix_track(&f, pfd[1]);
    g_assert_cmpint(vfio_bind(dfd, pfd[0], sizeof(struct vfio_device_bind_iommufd), 0, NULL), ==,
                    -EBADFD);
    fix_close(&f, pfd[1]);
    g_assert_cmpint(vfio_bind(dfd, pfd[1], sizeof(struct vfio_device_bind_iommufd), 0, NULL), ==,
                    -EBADF);
    /* still unbound after all that */
    g_assert_cmpint(vfio_detach(dfd), ==, -EINVAL);
}

static void test_vfio_flow(void)
{
    FIX_DECL;
    uint32_t dev_id = 0, pt = 0, hwpt = 0;
    int dfd = -1, c0 = 0;
    /* the object counts are the mock's; a real device (edu) runs the rest */
    bool m = test_backend_is_mock();
#define FLOW_COUNT(want)                                                         \
    do {                                                                         \
        if (m) {                                                                 \
            g_assert_cmpint(mock.count_objects(f.fd), ==, (want));               \
        }                                                                        \
    } while (0)

    if (!vfio_mock_node(&f, &dfd)) {
        return;
    }
    f.ioas_id = abi_ioas_alloc(f.fd);
    c0 = m ? mock.count_objects(f.fd) : 1;
    g_assert_cmpint(c0, ==, 1);

    g_assert_cmpint(vfio_bind(dfd, f.fd, sizeof(struct vfio_device_bind_iommufd), 0, &dev_id), ==,
                    0);
    g_assert_cmpuint(dev_id, !=, 0);
    FLOW_COUNT(c0 + 1);
    /* bound once only */
    g_assert_cmpint(vfio_bind(dfd, f.fd, sizeof(struct vfio_device_bind_iommufd), 0, NULL), ==,
                    -EINVAL);
    g_assert_cmpint(vfio_detach(dfd), ==, 0);   /* detach of nothing */

    /* an IOAS gives an automatic HWPT */
    g_assert_cmpint(vfio_attach(dfd, f.ioas_id, &pt), ==, 0);
    g_assert_cmpuint(pt, !=, f.ioas_id);
    g_assert_cmpuint(pt, !=, 0);
    FLOW_COUNT(c0 + 2);
    g_assert_cmpint(abi_destroy(f.fd, f.ioas_id), ==, -EBUSY);
    if (!m) {
        /* the edu device: QEMU's emulated VT-d behind it, and DMA mappings
         * at the start of its first usable IOVA range */
        struct iommu_hw_info info = { 0 };
        uint8_t data[64];
        g_assert_cmpint(hw_info(f.fd, &info, dev_id, data, sizeof(data)), ==, 0);
        g_assert_cmphex(info.out_data_type, ==, IOMMU_HW_INFO_TYPE_INTEL_VTD);
        g_assert_cmpuint(info.data_len, ==, sizeof(struct iommu_hw_info_vtd));
        void *buf = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                         0);
        g_assert_true(buf != MAP_FAILED);
        memset(buf, 0x5a, 65536);
        uint64_t iova = 0;
        g_assert_cmpint(ioas_map(f.fd, f.ioas_id, buf, 65536, &iova, false), ==, 0);
        g_assert_cmpint(ioas_unmap(f.fd, f.ioas_id, iova, 65536), ==, 0);
        munmap(buf, 65536);
    }

    /* replace with a HWPT of our own; the automatic one goes away */
    g_assert_cmpint(hwpt_paging(f.fd, 0, dev_id, f.ioas_id, &hwpt), ==, 0);
    g_assert_cmpint(vfio_attach(dfd, hwpt, &pt), ==, 0);
    g_assert_cmpuint(pt, ==, hwpt);
    FLOW_COUNT(c0 + 2);
    g_assert_cmpint(abi_destroy(f.fd, hwpt), ==, -EBUSY);
    g_assert_cmpint(vfio_attach(dfd, 0x7fffffff, &pt), ==, -ENOENT);

    g_assert_cmpint(vfio_detach(dfd), ==, 0);
    g_assert_cmpint(abi_destroy(f.fd, hwpt), ==, 0);
    FLOW_COUNT(c0 + 1);

    /* closing the device fd unbinds */
    g_assert_cmpint(vfio_attach(dfd, f.ioas_id, &pt), ==, 0);
    fix_close(&f, dfd);
    FLOW_COUNT(c0);
    g_assert_cmpint(abi_destroy(f.fd, f.ioas_id), ==, 0);
#undef FLOW_COUNT
}

/* ==== 8. The mock's fixtures API ========================================== */

static void test_mock_fail_nth(void)
{
    ABI_NEED_MOCK();
    FIX_SETUP(0);
    struct iommu_ioas_alloc a = { .size = sizeof(a) };
    struct iommu_hwpt_pgfault rec;
    uint32_t parent = 0, fault_id = 0, iopf = 0, pt = 0;
    int c0 = 0, ffd = -1;

    c0 = mock.count_objects(f.fd);
    g_assert_cmpint(c0, >, 0);

    /* the 1st operation fails, with no side effect */
    mock.fail_nth(1, ENOMEM);
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_IOAS_ALLOC, &a), ==, -ENOMEM);
    g_assert_true(mock.fail_nth_reached());
    g_assert_cmpint(mock.count_objects(f.fd), ==, c0);
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_IOAS_ALLOC, &a), ==, 0);
    g_assert_cmpint(mock.count_objects(f.fd), ==, c0 + 1);

    /* the 2nd one, with the chosen errno */
    mock.fail_nth(2, EIO);
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_IOAS_ALLOC, &a), ==, 0);
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_IOAS_ALLOC, &a), ==, -EIO);
    g_assert_true(mock.fail_nth_reached());
    g_assert_cmpint(mock.count_objects(f.fd), ==, c0 + 2);

    /* not reached */
    mock.fail_nth(5, ENOMEM);
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_IOAS_ALLOC, &a), ==, 0);
    g_assert_false(mock.fail_nth_reached());
    mock.fail_nth(0, 0);
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_IOAS_ALLOC, &a), ==, 0);
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_IOAS_ALLOC, &a), ==, 0);
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_IOAS_ALLOC, &a), ==, 0);
    g_assert_cmpint(abi_ioctl(f.fd, IOMMU_IOAS_ALLOC, &a), ==, 0);
    g_assert_cmpint(mock.count_objects(f.fd), ==, c0 + 7);

    /* read() counts too: the failed read leaves the fault queued */
    g_assert_cmpint(hwpt_paging(f.fd, IOMMU_HWPT_ALLOC_NEST_PARENT, f.dev_id, f.ioas_id, &parent),
                    ==, 0);
    g_assert_cmpint(fault_alloc(f.fd, &fault_id, &ffd), ==, 0);
    fix_track(&f, ffd);
    g_assert_cmpint(hwpt_nested(f.fd, IOMMU_HWPT_FAULT_ID_VALID, f.dev_id, parent, fault_id, &iopf),
                    ==, 0);
    g_assert_cmpint(mock_replace(f.fd, f.stdev_id, iopf, &pt), ==, 0);
    g_assert_cmpint(trigger_iopf(f.fd, f.dev_id, 0, 1, IOMMU_PGFAULT_PERM_READ, 0x1000), ==, 0);
    mock.fail_nth(1, EIO);
    g_assert_cmpint(xread(ffd, &rec, REC), ==, -EIO);
    g_assert_true(mock.fail_nth_reached());
    g_assert_cmpint(xread(ffd, &rec, REC), ==, REC);
    g_assert_cmpuint(rec.grpid, ==, 1);
}

/* One pass of a HWPT scenario, stopping at the first failure; 0 or -errno. */
static int sweep_body(int fd)
{
    struct iommu_hwpt_invalidate_selftest req = { .iotlb_id = 1 };
    uint32_t ioas, stdev, hwpt, dev, parent, nested, fault_id, iopf, num = 1;
    int rc, ffd = -1;
    struct iommu_ioas_alloc a = { .size = sizeof(a) };

    if ((rc = abi_ioctl(fd, IOMMU_IOAS_ALLOC, &a))) {
        return rc;
    }
    ioas = a.out_ioas_id;
    if ((rc = abi_mock_domain(fd, ioas, 0, &stdev, &hwpt, &dev)) ||
        (rc = hwpt_paging(fd, IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas, &parent)) ||
        (rc = hwpt_nested(fd, 0, dev, parent, 0, &nested)) ||
        (rc = invalidate(fd, nested, &req, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, sizeof(req),
                         &num)) ||
        (rc = fault_alloc(fd, &fault_id, &ffd))) {
        return rc;
    }
    if ((rc = hwpt_nested(fd, IOMMU_HWPT_FAULT_ID_VALID, dev, parent, fault_id, &iopf)) ||
        (rc = mock_replace(fd, stdev, iopf, NULL)) ||
        (rc = trigger_iopf(fd, dev, 0, 1, IOMMU_PGFAULT_PERM_READ, 0x1000)) ||
        (rc = mock_replace(fd, stdev, ioas, NULL)) || (rc = abi_destroy(fd, iopf)) ||
        (rc = abi_destroy(fd, nested)) || (rc = abi_destroy(fd, parent)) ||
        (rc = abi_destroy(fd, stdev))) {
        close(ffd);
        return rc;
    }
    close(ffd);
    return abi_destroy(fd, fault_id);
}

/* Fail every operation of the scenario in turn, like iommufd_fail_nth: each
 * failure is the injected one, and closing leaves nothing behind. */
static void test_mock_fail_nth_sweep(void)
{
    unsigned nth = 0, fds0 = 0;
    int fd = -1, rc = 0;

    ABI_NEED_MOCK();
    fds0 = mock.count_fds();
    fd = abi_open();
    g_assert_cmpint(sweep_body(fd), ==, 0);   /* clean run */
    close(fd);
    g_assert_cmpuint(mock.count_fds(), ==, fds0);

    for (nth = 1; nth < 100; nth++) {
        fd = abi_open();
        mock.fail_nth(nth, ENOMEM);
        rc = sweep_body(fd);
        if (!mock.fail_nth_reached()) {
            mock.fail_nth(0, 0);
            g_assert_cmpint(rc, ==, 0);
            close(fd);
            break;
        }
        mock.fail_nth(0, 0);
        g_assert_cmpint(rc, ==, -ENOMEM);
        close(fd);
        g_assert_cmpuint(mock.count_fds(), ==, fds0);
    }
    g_assert_cmpuint(nth, <, 100);
    g_assert_cmpuint(nth, >, 10);
    g_assert_cmpuint(mock.count_fds(), ==, fds0);
}

static void test_mock_counters(void)
{
    unsigned fds0 = 0;
    uint32_t fault_id = 0;
    int fd = -1, fd2 = -1, ffd = -1;

    ABI_NEED_MOCK();
    fds0 = mock.count_fds();
    fd = abi_open();
    g_assert_cmpuint(mock.count_fds(), ==, fds0 + 1);
    g_assert_cmpint(mock.count_objects(fd), ==, 0);
    abi_ioas_alloc(fd);
    abi_ioas_alloc(fd);
    g_assert_cmpint(mock.count_objects(fd), ==, 2);
    g_assert_cmpint(fault_alloc(fd, &fault_id, &ffd), ==, 0);
    g_assert_cmpuint(mock.count_fds(), ==, fds0 + 2);
    g_assert_cmpint(mock.count_objects(fd), ==, 3);

    /* counts are per context */
    fd2 = abi_open();
    g_assert_cmpint(mock.count_objects(fd2), ==, 0);
    close(fd2);
    /* not a mock context */
    g_assert_cmpint(mock.count_objects(STDIN_FILENO), <, 0);

    close(ffd);
    g_assert_cmpuint(mock.count_fds(), ==, fds0 + 1);
    g_assert_cmpint(abi_destroy(fd, fault_id), ==, 0);
    g_assert_cmpint(mock.count_objects(fd), ==, 2);
    close(fd);
    g_assert_cmpuint(mock.count_fds(), ==, fds0);
}

int main(int argc, char **argv)
{
    test_backend_print();
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    mock_api_load();

    tu_add_func("/abi/hwpt/alloc/paging", test_alloc_paging);
    tu_add_func("/abi/hwpt/alloc/old-sizes", test_alloc_old_sizes);
    tu_add_func("/abi/hwpt/alloc/errors", test_alloc_errors);
    tu_add_func("/abi/hwpt/alloc/dirty-tracking", test_alloc_dirty);
    tu_add_func("/abi/hwpt/alloc/nested", test_alloc_nested);
    tu_add_func("/abi/hwpt/alloc/fault-id", test_alloc_fault_id);
    tu_add_func("/abi/hwpt/hw-info/data", test_hw_info_data);
    tu_add_func("/abi/hwpt/hw-info/capabilities", test_hw_info_caps);
    tu_add_func("/abi/hwpt/hw-info/flags", test_hw_info_flags);
    tu_add_func("/abi/hwpt/hw-info/pasid", test_hw_info_pasid);
    tu_add_func("/abi/hwpt/dirty/set", test_dirty_set);
    tu_add_func("/abi/hwpt/dirty/bitmap", test_dirty_bitmap);
    tu_add_func("/abi/hwpt/dirty/enable-clears", test_dirty_enable_clears);
    tu_add_func("/abi/hwpt/dirty/bitmap-checks", test_dirty_bitmap_checks);
    tu_add_func("/abi/hwpt/invalidate", test_invalidate);
    tu_add_func("/abi/hwpt/pasid", test_pasid);
    tu_add_func("/abi/hwpt/fault/alloc", test_fault_alloc);
    tu_add_func("/abi/hwpt/fault/read-write", test_fault_read_write);
    tu_add_func("/abi/hwpt/fault/partial-write", test_fault_partial_write);
    tu_add_func("/abi/hwpt/fault/groups", test_fault_groups);
    tu_add_func("/abi/hwpt/fault/group-too-big", test_fault_group_too_big);
    tu_add_func("/abi/hwpt/fault/replace-answers", test_fault_replace_answers);
    tu_add_func("/abi/hwpt/fault/destroy", test_fault_destroy);
    tu_add_func("/abi/hwpt/viommu/alloc", test_viommu_alloc);
    tu_add_func("/abi/hwpt/viommu/mmap", test_viommu_mmap);
    tu_add_func("/abi/hwpt/viommu/vdevice", test_vdevice);
    tu_add_func("/abi/hwpt/viommu/cache-invalidate", test_viommu_cache);
    tu_add_func("/abi/hwpt/viommu/veventq-alloc", test_veventq_alloc);
    tu_add_func("/abi/hwpt/viommu/vevent-records", test_vevent_records);
    tu_add_func("/abi/hwpt/viommu/vevent-lost", test_vevent_lost);
    tu_add_func("/abi/hwpt/viommu/vevent-wrap", test_vevent_wrap);
    tu_add_func("/abi/hwpt/viommu/hw-queue", test_hw_queue);
    tu_add_func("/abi/hwpt/vfio/before-bind", test_vfio_before_bind);
    tu_add_func("/abi/hwpt/vfio/flow", test_vfio_flow);
    tu_add_func("/abi/hwpt/mock/fail-nth", test_mock_fail_nth);
    tu_add_func("/abi/hwpt/mock/fail-nth-sweep", test_mock_fail_nth_sweep);
    tu_add_func("/abi/hwpt/mock/counters", test_mock_counters);

    return g_test_run();
}
