/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file backend.h
 * @brief IOMMUFDBackend: the /dev/iommu fd and one helper per iommufd ioctl.
 *
 * Every helper returns true on success and false on failure with exactly one
 * error set through @p errp (see error.h); on success *errp is untouched.
 * Each issues at most one ioctl (retried on EINTR) and fires one trace event
 * with the command's inputs, outputs and result.  Arguments that are wrong
 * before any ioctl (a NULL backend or output pointer, a zero length, data
 * without a length) give an EINVAL error and issue nothing.
 *
 * Thread safety: every function may be called from several threads at once
 * on one backend.  The kernel serialises what it must.
 */
#ifndef IOMMUFD_BACKEND_H
#define IOMMUFD_BACKEND_H

#include <glib-object.h>
#include <stdbool.h>
#include <stdint.h>

#include <iommufd/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The GType of IOMMUFDBackend. */
#define IOMMUFD_TYPE_BACKEND (iommufd_backend_get_type())
IOMMUFD_API G_DECLARE_FINAL_TYPE(IOMMUFDBackend, iommufd_backend, IOMMUFD, BACKEND, GObject)

/**
 * A backend that opens /dev/iommu itself on the first connect (owned).
 * @return a new backend; unref with g_object_unref()
 */
IOMMUFD_API IOMMUFDBackend *iommufd_backend_new(void);

/**
 * A backend that opens @p path instead of /dev/iommu (owned).
 * @param path the device node
 * @return a new backend
 */
IOMMUFD_API IOMMUFDBackend *iommufd_backend_new_with_path(const char *path);

/**
 * A backend on an fd the caller opened (for instance passed by a management
 * layer).  The backend never closes it.  iommufd_backend_connect() checks
 * that it is an iommufd.
 * @param fd an open /dev/iommu fd
 * @return a new backend
 */
IOMMUFD_API IOMMUFDBackend *iommufd_backend_new_from_fd(int fd);

/**
 * Take a user of the backend; the first user of an owned backend opens the
 * device (O_RDWR | O_CLOEXEC).  A failed connect leaves nothing open.
 * @param be   the backend
 * @param errp error (errno from open(), with a hint for ENOENT, EACCES, EPERM)
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_connect(IOMMUFDBackend *be, IOMMUFDError **errp);

/**
 * Drop a user; the last user of an owned backend closes the fd.
 * @param be the backend (NULL is ignored)
 */
IOMMUFD_API void iommufd_backend_disconnect(IOMMUFDBackend *be);

/**
 * @param be the backend
 * @return its fd while connected, else -1
 */
IOMMUFD_API int iommufd_backend_get_fd(IOMMUFDBackend *be);

/**
 * @param be the backend
 * @return true when the backend opens and closes its fd itself
 */
IOMMUFD_API bool iommufd_backend_is_owned(IOMMUFDBackend *be);

/**
 * @param be the backend
 * @return the number of users (connects not yet disconnected)
 */
IOMMUFD_API unsigned int iommufd_backend_get_users(IOMMUFDBackend *be);

/* ---- IOAS ------------------------------------------------------------- */

/** An inclusive IOVA range [start, last]. */
typedef struct IOMMUFDIovaRange {
    uint64_t start; /**< first usable IOVA */
    uint64_t last;  /**< last usable IOVA (inclusive) */
} IOMMUFDIovaRange;

/**
 * IOMMU_IOAS_ALLOC: a new I/O address space.
 * @param be      the backend
 * @param ioas_id receives the IOAS id
 * @param errp    error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_alloc_ioas(IOMMUFDBackend *be, uint32_t *ioas_id,
                                            IOMMUFDError **errp);

/**
 * IOMMU_DESTROY: destroy any object by id.  EBUSY while another object
 * still refers to it.
 * @param be   the backend
 * @param id   the object
 * @param errp error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_free_id(IOMMUFDBackend *be, uint32_t id, IOMMUFDError **errp);

/**
 * IOMMU_IOAS_MAP at a fixed IOVA.
 * @param be       the backend
 * @param ioas_id  the IOAS
 * @param iova     where to map
 * @param size     bytes (not 0)
 * @param vaddr    the memory
 * @param readonly true: the device may only read
 * @param errp     error (hints for ENOMEM: locked-memory limit; EFAULT: a
 *                 device BAR needs iommufd_backend_map_file_dma of a dma-buf)
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_map_dma(IOMMUFDBackend *be, uint32_t ioas_id, uint64_t iova,
                                         uint64_t size, void *vaddr, bool readonly,
                                         IOMMUFDError **errp);

/**
 * IOMMU_IOAS_MAP at an IOVA the kernel chooses.
 * @param be       the backend
 * @param ioas_id  the IOAS
 * @param size     bytes (not 0)
 * @param vaddr    the memory
 * @param readonly true: the device may only read
 * @param iova     receives the IOVA chosen
 * @param errp     error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_map_dma_auto(IOMMUFDBackend *be, uint32_t ioas_id,
                                              uint64_t size, void *vaddr, bool readonly,
                                              uint64_t *iova, IOMMUFDError **errp);

/**
 * IOMMU_IOAS_MAP_FILE (Linux 6.13): map [start, start + size) of a memfd or
 * dma-buf at a fixed IOVA.
 * @param be       the backend
 * @param ioas_id  the IOAS
 * @param iova     where to map
 * @param size     bytes (not 0)
 * @param fd       the file (not closed, not kept)
 * @param start    offset in the file
 * @param readonly true: the device may only read
 * @param errp     error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_map_file_dma(IOMMUFDBackend *be, uint32_t ioas_id,
                                              uint64_t iova, uint64_t size, int fd,
                                              uint64_t start, bool readonly,
                                              IOMMUFDError **errp);

/**
 * IOMMU_IOAS_UNMAP.  iova 0 with size UINT64_MAX unmaps everything.  Nothing
 * mapped there (ENOENT) is a success, traced under its own event, because
 * vIOMMUs unmap redundantly.
 * @param be       the backend
 * @param ioas_id  the IOAS
 * @param iova     start
 * @param size     bytes (not 0); must cover whole mappings
 * @param unmapped receives the bytes unmapped (0 for ENOENT), may be NULL
 * @param errp     error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_unmap_dma(IOMMUFDBackend *be, uint32_t ioas_id, uint64_t iova,
                                           uint64_t size, uint64_t *unmapped,
                                           IOMMUFDError **errp);

/**
 * IOMMU_IOAS_COPY: map in one IOAS what is mapped in another, without pinning
 * again.
 * @param be          the backend
 * @param src_ioas_id source IOAS
 * @param src_iova    source IOVA (must cover whole mappings)
 * @param dst_ioas_id destination IOAS
 * @param dst_iova    destination IOVA (fixed)
 * @param size        bytes (not 0)
 * @param readonly    true: the device may only read
 * @param errp        error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_copy_dma(IOMMUFDBackend *be, uint32_t src_ioas_id,
                                          uint64_t src_iova, uint32_t dst_ioas_id,
                                          uint64_t dst_iova, uint64_t size, bool readonly,
                                          IOMMUFDError **errp);

/**
 * IOMMU_IOAS_IOVA_RANGES: the usable IOVA ranges of an IOAS (both calls of
 * the EMSGSIZE protocol are done here).
 * @param be        the backend
 * @param ioas_id   the IOAS
 * @param ranges    receives a new array; free with g_free()
 * @param n_ranges  receives its length
 * @param alignment receives the IOVA alignment (may be NULL)
 * @param errp      error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_get_iova_ranges(IOMMUFDBackend *be, uint32_t ioas_id,
                                                 IOMMUFDIovaRange **ranges, uint32_t *n_ranges,
                                                 uint64_t *alignment, IOMMUFDError **errp);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUFD_BACKEND_H */
