/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file mock.h
 * @brief Fixtures API of libiommufd-mock, the userspace imitation of /dev/iommu.
 *
 * libiommufd-mock answers open("/dev/iommu"), its ioctls and the fds it
 * hands out like the kernel's iommufd (with CONFIG_IOMMUFD_TEST's selftest
 * commands), inside the calling process.  A program reaches it unchanged when
 * the library is preloaded (LD_PRELOAD=libiommufd-mock.so) or linked.  These
 * functions let a test set the scene: which kernel to imitate, mock VFIO
 * devices, faults and events, fail-Nth error injection, and counters that
 * prove nothing leaked.  All are thread-safe.  See docs/mock.md.
 *
 * Environment: IOMMUFD_MOCK_KERNEL=6.12|newest chooses the model at start-up;
 * IOMMUFD_MOCK_DEVICES=N creates N mock VFIO cdev nodes at start-up.
 */
#ifndef IOMMUFD_MOCK_H
#define IOMMUFD_MOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef IOMMUFD_MOCK_API
#define IOMMUFD_MOCK_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** The kernel the mock imitates. */
typedef enum IOMMUFDMockKernel {
    IOMMUFD_MOCK_KERNEL_NEWEST = 0, /**< newest upstream ABI (the default) */
    IOMMUFD_MOCK_KERNEL_6_12 = 1,   /**< Linux 6.12 (Debian 6.12.117): no MAP_FILE,
                                         vIOMMU, vDEVICE, CHANGE_PROCESS, vEVENTQ,
                                         HW queue; its stricter rules */
} IOMMUFDMockKernel;

/**
 * Choose the kernel to imitate, for contexts opened from now on.
 * @param kernel the model
 */
IOMMUFD_MOCK_API void iommufd_mock_set_kernel(IOMMUFDMockKernel kernel);

/**
 * @brief The kernel the mock imitates now.
 * @return the kernel being imitated
 */
IOMMUFD_MOCK_API IOMMUFDMockKernel iommufd_mock_get_kernel(void);

/**
 * @brief The name of a kernel model.
 * @param kernel a model
 * @return its name as in IOMMUFD_MOCK_KERNEL ("newest", "6.12")
 */
IOMMUFD_MOCK_API const char *iommufd_mock_kernel_name(IOMMUFDMockKernel kernel);

/**
 * Create a mock VFIO cdev device node.
 * @param flags MOCK_FLAGS_DEVICE_* of the kernel's selftest (0 for a plain
 *              device with dirty tracking)
 * @param path  receives the node's path, which open() then answers (it lies
 *              under a directory that cannot hold a real device node)
 * @param len   size of @p path
 * @return 0, or a negative errno (-ENAMETOOLONG when @p path is too small)
 */
IOMMUFD_MOCK_API int iommufd_mock_add_device(uint32_t flags, char *path, size_t len);

/**
 * Queue a page-fault group on what a device is attached to, as the
 * selftest's TRIGGER_IOPF does, but with @p count faults in the group.
 * @param iommufd an fd of the context the device is bound to
 * @param dev_id  the device's iommufd id
 * @param pasid   0, or the PASID (sets IOMMU_PGFAULT_FLAGS_PASID_VALID)
 * @param grpid   the group id
 * @param perm    IOMMU_PGFAULT_PERM_*
 * @param addr    address of the first fault (the others follow page by page)
 * @param count   faults in the group (>= 1); the last has LAST_PAGE
 * @return 0, or a negative errno
 */
IOMMUFD_MOCK_API int iommufd_mock_trigger_fault(int iommufd, uint32_t dev_id, uint32_t pasid,
                                                uint32_t grpid, uint32_t perm, uint64_t addr,
                                                unsigned count);

/**
 * Queue a selftest vEVENT for a device's vDEVICE (as TRIGGER_VEVENT).
 * @param iommufd an fd of the context
 * @param dev_id  the device's iommufd id
 * @return 0, or a negative errno
 */
IOMMUFD_MOCK_API int iommufd_mock_trigger_vevent(int iommufd, uint32_t dev_id);

/**
 * Set the sequence number the next event of a vEVENTQ gets (to test the wrap
 * from INT_MAX to 0).
 * @param iommufd    an fd of the context
 * @param veventq_id the queue's id
 * @param sequence   0 to INT_MAX
 * @return 0, or a negative errno
 */
IOMMUFD_MOCK_API int iommufd_mock_veventq_set_sequence(int iommufd, uint32_t veventq_id,
                                                       uint32_t sequence);

/**
 * Arm fail-Nth for the calling thread: its @p nth mock operation from now
 * (ioctl, read or write on a mock fd; 1 = the next) fails with @p err and no
 * side effect.
 * @param nth 0 disarms
 * @param err a positive errno (ENOMEM is the usual choice)
 */
IOMMUFD_MOCK_API void iommufd_mock_fail_nth(unsigned nth, int err);

/**
 * @brief Whether the armed fail-Nth fired.
 * @return true when the armed failure was injected since the last
 *         iommufd_mock_fail_nth() of this thread (false: the sweep is past
 *         the last operation)
 */
IOMMUFD_MOCK_API bool iommufd_mock_fail_nth_reached(void);

/**
 * Count the live objects of a context.
 * @param iommufd an fd of the context
 * @return the number of objects (IOAS, HWPT, devices, queues, ...), or a
 *         negative errno when @p iommufd is not a mock context
 */
IOMMUFD_MOCK_API int iommufd_mock_count_objects(int iommufd);

/**
 * @brief Count the mock's open fds, to prove that nothing leaked.
 * @return the number of fds the mock has open for callers (all kinds)
 */
IOMMUFD_MOCK_API unsigned iommufd_mock_count_fds(void);

/**
 * @brief Whether an fd is one the mock answers.
 * @param fd any fd
 * @return true when @p fd is one of the mock's
 */
IOMMUFD_MOCK_API bool iommufd_mock_is_mock_fd(int fd);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUFD_MOCK_H */
