/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file vfio.h
 * @brief VFIO cdev devices (/dev/vfio/devices/vfioN) bound to an iommufd.
 *
 * The flow: open the device, bind it to a backend (its iommufd dev_id), then
 * attach it to an IOAS or HWPT (an IOAS gets a kernel-allocated HWPT);
 * attaching again replaces; detaching leaves the device blocking DMA;
 * closing the device fd unbinds.  Every fd is opened O_CLOEXEC; the caller
 * owns it.
 */
#ifndef IOMMUFD_VFIO_H
#define IOMMUFD_VFIO_H

#include <stdbool.h>
#include <stdint.h>

#include <iommufd/backend.h>
#include <iommufd/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Open a VFIO cdev device node (O_RDWR | O_CLOEXEC).
 * @param path the node, such as /dev/vfio/devices/vfio0
 * @param errp error (hints for ENOENT: the device is not bound to vfio-pci or
 *             the kernel lacks CONFIG_VFIO_DEVICE_CDEV; EACCES)
 * @return the fd, or -1
 */
IOMMUFD_API int iommufd_vfio_device_open(const char *path, IOMMUFDError **errp);

/**
 * Open the VFIO cdev node of a device given by its sysfs directory, such as
 * /sys/bus/pci/devices/0000:00:03.0.  The node's name is the entry under
 * its vfio-dev/ directory.
 * @param sysfs_path the device's sysfs directory (a test tree works too)
 * @param dev_dir    where the nodes are; NULL for /dev/vfio/devices
 * @param errp       error
 * @return the fd, or -1
 */
IOMMUFD_API int iommufd_vfio_device_open_sysfs(const char *sysfs_path, const char *dev_dir,
                                               IOMMUFDError **errp);

/**
 * VFIO_DEVICE_BIND_IOMMUFD: bind a device to the backend's iommufd.
 * @param be         a connected backend
 * @param vfio_fd    the device
 * @param token_uuid NULL, or the 16-byte VF token (newer kernels)
 * @param dev_id     receives the device's iommufd id
 * @param errp       error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_bind_device(IOMMUFDBackend *be, int vfio_fd,
                                             const uint8_t *token_uuid, uint32_t *dev_id,
                                             IOMMUFDError **errp);

/**
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT on the device's RID; attaching again
 * replaces what was attached.
 * @param vfio_fd     a bound device
 * @param pt_id       an IOAS or HWPT
 * @param out_hwpt_id receives the HWPT attached (the kernel's own for an
 *                    IOAS), may be NULL
 * @param errp        error
 * @return true on success
 */
IOMMUFD_API bool iommufd_vfio_device_attach(int vfio_fd, uint32_t pt_id, uint32_t *out_hwpt_id,
                                            IOMMUFDError **errp);

/**
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT on a PASID of the device (Linux 6.15).
 * @param vfio_fd     a bound device
 * @param pasid       the PASID
 * @param pt_id       an IOAS or HWPT
 * @param out_hwpt_id receives the HWPT attached, may be NULL
 * @param errp        error
 * @return true on success
 */
IOMMUFD_API bool iommufd_vfio_device_attach_pasid(int vfio_fd, uint32_t pasid, uint32_t pt_id,
                                                  uint32_t *out_hwpt_id, IOMMUFDError **errp);

/**
 * VFIO_DEVICE_DETACH_IOMMUFD_PT on the device's RID.
 * @param vfio_fd a bound device
 * @param errp    error
 * @return true on success
 */
IOMMUFD_API bool iommufd_vfio_device_detach(int vfio_fd, IOMMUFDError **errp);

/**
 * VFIO_DEVICE_DETACH_IOMMUFD_PT on a PASID (Linux 6.15).
 * @param vfio_fd a bound device
 * @param pasid   the PASID
 * @param errp    error
 * @return true on success
 */
IOMMUFD_API bool iommufd_vfio_device_detach_pasid(int vfio_fd, uint32_t pasid,
                                                  IOMMUFDError **errp);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUFD_VFIO_H */
