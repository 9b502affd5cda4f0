/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared primitives of the raw-ioctl conformance suite (tests/abi).  These
 * binaries speak the kernel ABI directly (no libiommufd, no mock linked): on
 * the host the suite's environment preloads libiommufd-mock, in the VM they
 * meet the real kernel.  Test classes (DESIGN.md "Tests"):
 *   - runs everywhere: no guard;
 *   - needs command X: ABI_NEED_CMD(fd, IOMMUFD_CMD_X) first (skips on ENOTTY);
 *   - kernel-version behaviour: branch on abi_kernel_is_6_12();
 *   - mock-only: ABI_NEED_MOCK() (the mock's fixtures API, looked up at run
 *     time with dlsym, or mock VFIO nodes);
 *   - needs a VFIO device: ABI_NEED_VFIO_DEVICE(path).
 */
#ifndef IOMMUFD_TESTS_ABI_UTIL_H
#define IOMMUFD_TESTS_ABI_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tests/common/test-backend-info.h"
#include "uapi/linux/iommufd.h"
#include "uapi/linux/vfio.h"

/* ioctl() with EINTR retried: 0 on success (or the ioctl's non-negative
 * return when it is not 0, e.g. an fd), else -errno. */
static inline int abi_ioctl(int fd, unsigned long cmd, void *arg)
{
    int rc;

    do {
        rc = ioctl(fd, cmd, arg);
    } while (rc < 0 && errno == EINTR);
    return rc < 0 ? -errno : rc;
}

static inline int abi_open(void)
{
    int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

    if (fd < 0) {
        g_error("open(/dev/iommu): %s", g_strerror(errno));
    }
    return fd;
}

/* The size-0 probe: EINVAL = present, ENOTTY = absent, nothing created. */
static inline bool abi_has_cmd(int fd, unsigned nr)
{
    uint32_t size = 0;

    return abi_ioctl(fd, _IO(IOMMUFD_TYPE, nr), &size) == -EINVAL;
}

/* Commands Linux 6.12 does not have (MAP_FILE .. HW_QUEUE_ALLOC, and the
 * newest tree's NOIOMMU_GET_PA). */
static inline bool abi_absent_in_6_12(unsigned nr)
{
    return nr >= 0x8f && nr <= 0x95;
}

static inline bool abi_kernel_is_6_12(void);

/*
 * "Needs command X".  On the kernel being modelled as 6.12 (the mock's 6.12
 * model, or a real 6.12) a command 6.12 lacks is kernel-version behaviour:
 * the test asserts 6.12's answer (ENOTTY to the size-0 probe) and ends
 * there, passing.  On any other kernel without the command it skips, naming
 * the command.
 */
#define ABI_NEED_CMD(fd, nr)                                                     \
    do {                                                                         \
        if (abi_kernel_is_6_12() && abi_absent_in_6_12(nr)) {                    \
            g_assert_false(abi_has_cmd((fd), (nr)));                             \
            g_test_message(#nr " answers ENOTTY, as in Linux 6.12: the rest of " \
                           "this test needs a kernel that has it");              \
            return;                                                              \
        }                                                                        \
        if (!abi_has_cmd((fd), (nr))) {                                          \
            g_test_skip("needs " #nr " (ENOTTY: this kernel lacks the command)"); \
            return;                                                              \
        }                                                                        \
    } while (0)

#define ABI_NEED_MOCK()                                                          \
    do {                                                                         \
        if (!test_backend_is_mock()) {                                           \
            g_test_skip("mock-only: needs libiommufd-mock's fixtures API");      \
            return;                                                              \
        }                                                                        \
    } while (0)

/* The kernel being modelled is 6.12: the mock in that model, or a real
 * 6.12.x kernel (tests may look at the version; the library never does). */
static inline bool abi_kernel_is_6_12(void)
{
    const char *d = test_backend_describe();

    return strstr(d, "kernel model 6.12") || g_str_has_prefix(d, "kernel 6.12.");
}

/* ---- a few operations every test file needs ------------------------------ */

static inline uint32_t abi_ioas_alloc(int fd)
{
    struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

    g_assert_cmpint(abi_ioctl(fd, IOMMU_IOAS_ALLOC, &cmd), ==, 0);
    g_assert_cmpuint(cmd.out_ioas_id, !=, 0);
    return cmd.out_ioas_id;
}

static inline int abi_destroy(int fd, uint32_t id)
{
    struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

    return abi_ioctl(fd, IOMMU_DESTROY, &cmd);
}

/* Selftest MOCK_DOMAIN(_FLAGS) on an IOAS or HWPT: a mock device bound and
 * attached.  0 or -errno. */
static inline int abi_mock_domain(int fd, uint32_t pt_id, uint32_t dev_flags, uint32_t *stdev_id,
                                  uint32_t *hwpt_id, uint32_t *dev_id)
{
    struct iommu_test_cmd cmd = {
        .size = sizeof(cmd),
        .op = dev_flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS : IOMMU_TEST_OP_MOCK_DOMAIN,
        .id = pt_id,
    };
    int rc;

    cmd.mock_domain_flags.dev_flags = dev_flags;
    rc = abi_ioctl(fd, IOMMU_TEST_CMD, &cmd);
    if (rc) {
        return rc;
    }
    if (stdev_id) {
        *stdev_id = cmd.mock_domain.out_stdev_id;
    }
    if (hwpt_id) {
        *hwpt_id = cmd.mock_domain.out_hwpt_id;
    }
    if (dev_id) {
        *dev_id = cmd.mock_domain.out_idev_id;
    }
    return 0;
}

#define ABI_NEED_SELFTEST(fd)                                                    \
    do {                                                                         \
        if (!abi_has_cmd((fd), 0xa0)) {                                          \
            g_test_skip("needs IOMMU_TEST_CMD (a kernel with CONFIG_IOMMUFD_TEST)"); \
            return;                                                              \
        }                                                                        \
    } while (0)

#endif
