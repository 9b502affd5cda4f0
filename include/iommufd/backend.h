/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file backend.h
 * @brief IOMMUFDBackend: the /dev/iommu fd and one helper per iommufd ioctl.
 *
 * Every helper returns true on success and false on failure with exactly one
 * error set through `errp` (see error.h); on success *errp is untouched.
 * An ioctl helper called on a backend without users (not connected) fails
 * with EBADF and issues nothing.
 * Each issues its ioctl (retried on EINTR; get_iova_ranges's two-call
 * protocol and the dirty-bitmap walk issue more) and fires one trace event
 * per ioctl with the command's inputs, outputs and result.  Arguments that are wrong
 * before any ioctl (a NULL backend or output pointer, a zero length, data
 * without a length) give an EINVAL error and issue nothing.
 *
 * Thread safety: every function may be called from several threads at once
 * on one backend.  The kernel serialises what it must.  One rule is the
 * caller's: a helper reads the backend's fd and then issues its ioctl, and an
 * owned backend's last iommufd_backend_disconnect() closes that fd, so the
 * helpers may be called from any number of threads while the caller holds a
 * connect, but the last disconnect must not race other threads' helper calls
 * (the fd could be closed, or even reused by another open(), between the two).
 * Take one connect per thread that uses the backend, or, as QEMU does (its
 * devices disconnect only at teardown, when no vCPU or I/O thread uses them
 * any more), disconnect only once the other threads are done with it.
 * connect, disconnect and the getters themselves are safe to race.
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

/** @brief The GType of IOMMUFDBackend. */
#define IOMMUFD_TYPE_BACKEND (iommufd_backend_get_type())

/**
 * @typedef IOMMUFDBackend
 * @brief A user of /dev/iommu: one iommufd fd, opened by the backend (owned)
 *        or given by the caller, shared by its users.
 *
 * A final GObject, opaque (G_DECLARE_FINAL_TYPE): create it with
 * iommufd_backend_new(), iommufd_backend_new_with_path() or
 * iommufd_backend_new_from_fd(), take and drop users with
 * iommufd_backend_connect() / iommufd_backend_disconnect(), release it with
 * g_object_unref() (g_autoptr(IOMMUFDBackend) works).  Finalizing an owned
 * backend closes its fd if users forgot to disconnect; a caller's fd is never
 * closed.  GObject properties: "fd" and "path" (construct-only), "owned" and
 * "users" (read-only, as the getters).
 */
IOMMUFD_API G_DECLARE_FINAL_TYPE(IOMMUFDBackend, iommufd_backend, IOMMUFD, BACKEND, GObject)

/**
 * @fn GType iommufd_backend_get_type(void)
 * @brief The GType of IOMMUFDBackend (registered on the first call; thread-safe).
 * @return the type, as IOMMUFD_TYPE_BACKEND
 */

/**
 * A backend that opens /dev/iommu itself on the first connect (owned).
 * @return a new backend; unref with g_object_unref()
 */
IOMMUFD_API IOMMUFDBackend *iommufd_backend_new(void);

/**
 * A backend that opens @p path instead of /dev/iommu (owned).
 * @param path the device node (NULL: /dev/iommu)
 * @return a new backend; unref with g_object_unref()
 */
IOMMUFD_API IOMMUFDBackend *iommufd_backend_new_with_path(const char *path);

/**
 * A backend on an fd the caller opened (for instance passed by a management
 * layer).  The backend never closes it.  iommufd_backend_connect() checks
 * that it is an iommufd (EBADF for a closed or negative fd, ENOTTY for
 * another file).
 * @param fd an open /dev/iommu fd
 * @return a new backend; unref with g_object_unref()
 */
IOMMUFD_API IOMMUFDBackend *iommufd_backend_new_from_fd(int fd);

/**
 * Take a user of the backend; the first user of an owned backend opens the
 * device (O_RDWR | O_CLOEXEC).  A failed connect leaves nothing open.
 * While a connect is held, the helpers may be called from any number of
 * threads (see the thread-safety rule above).
 * @param be   the backend
 * @param errp error (errno from open(), with a hint for ENOENT, EACCES, EPERM)
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_connect(IOMMUFDBackend *be, IOMMUFDError **errp);

/**
 * Drop a user; the last user of an owned backend closes the fd.  The last
 * disconnect must not race helper calls of other threads on this backend:
 * a helper that read the fd just before would issue its ioctl on a closed
 * (or reused) fd.  Disconnect once the other threads are done, or let each
 * thread hold its own connect.
 * @param be the backend (NULL is ignored)
 */
IOMMUFD_API void iommufd_backend_disconnect(IOMMUFDBackend *be);

/**
 * @brief The backend's iommufd fd.
 * @param be the backend
 * @return its fd while connected (a caller's fd: always), else -1 (also for
 *         a NULL backend)
 */
IOMMUFD_API int iommufd_backend_get_fd(IOMMUFDBackend *be);

/**
 * @brief Whether the backend owns its fd.
 * @param be the backend
 * @return true when the backend opens and closes its fd itself (false for
 *         iommufd_backend_new_from_fd() and for a NULL backend)
 */
IOMMUFD_API bool iommufd_backend_is_owned(IOMMUFDBackend *be);

/**
 * @brief How many users the backend has.
 * @param be the backend
 * @return the number of users (connects not yet disconnected); 0 for a NULL
 *         backend
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
 * IOMMU_IOAS_UNMAP: remove mappings from an IOAS.
 * iova 0 with size UINT64_MAX unmaps everything.  Nothing
 * mapped there (ENOENT) is a success, traced under its own event, because
 * vIOMMUs unmap redundantly.  The kernel also answers ENOENT for an id that
 * is not an IOAS: on that path only, the helper asks IOMMU_IOAS_IOVA_RANGES
 * (no side effect) whether the IOAS exists, and fails with ENOENT if not.
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
 * @param ranges    receives a new array; free with g_free() (set only on success)
 * @param n_ranges  receives its length
 * @param alignment receives the IOVA alignment (may be NULL)
 * @param errp      error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_get_iova_ranges(IOMMUFDBackend *be, uint32_t ioas_id,
                                                 IOMMUFDIovaRange **ranges, uint32_t *n_ranges,
                                                 uint64_t *alignment, IOMMUFDError **errp);

/**
 * IOMMU_IOAS_IOVA_RANGES into the caller's array, without an allocation: one
 * ioctl.  As with snprintf(), @p n_ranges receives how many ranges the IOAS
 * has, which can be more than @p capacity: then the first @p capacity are
 * filled, and the caller calls again with an array that large (ranges can
 * change in between, when a device is attached).
 * iommufd_backend_get_iova_ranges() does that loop and returns a new array.
 * @param be        the backend
 * @param ioas_id   the IOAS
 * @param ranges    the array (may be NULL when @p capacity is 0: to ask how many)
 * @param capacity  how many ranges @p ranges holds
 * @param n_ranges  receives how many ranges the IOAS has (may exceed @p capacity)
 * @param alignment receives the IOVA alignment (may be NULL)
 * @param errp      error
 * @return true on success, also when the IOAS has more ranges than @p capacity
 */
IOMMUFD_API bool iommufd_backend_get_iova_ranges_into(IOMMUFDBackend *be, uint32_t ioas_id,
                                                      IOMMUFDIovaRange *ranges, uint32_t capacity,
                                                      uint32_t *n_ranges, uint64_t *alignment,
                                                      IOMMUFDError **errp);

/**
 * IOMMU_IOAS_ALLOW_IOVAS: replace the list of ranges the kernel may choose
 * IOVAs from (an empty list allows everything usable).
 * @param be       the backend
 * @param ioas_id  the IOAS
 * @param ranges   the ranges (may be NULL when @p n_ranges is 0)
 * @param n_ranges how many
 * @param errp     error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_allow_iovas(IOMMUFDBackend *be, uint32_t ioas_id,
                                             const IOMMUFDIovaRange *ranges, uint32_t n_ranges,
                                             IOMMUFDError **errp);

/** IOMMU_OPTION ids (the kernel's values). */
enum {
    IOMMUFD_OPTION_RLIMIT_MODE = 0, /**< global (object_id 0): 0 user, 1 process accounting */
    IOMMUFD_OPTION_HUGE_PAGES = 1,  /**< per IOAS: 1 (default) allows huge pages, 0 not */
};

/**
 * IOMMU_OPTION get: read an option of the context or of an IOAS.
 * @param be        the backend
 * @param option_id IOMMUFD_OPTION_*
 * @param object_id the IOAS for HUGE_PAGES, 0 for RLIMIT_MODE
 * @param val       receives the value
 * @param errp      error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_get_option(IOMMUFDBackend *be, uint32_t option_id,
                                            uint32_t object_id, uint64_t *val,
                                            IOMMUFDError **errp);

/**
 * IOMMU_OPTION set: change an option of the context or of an IOAS.
 * RLIMIT_MODE needs CAP_SYS_RESOURCE and a context with
 * nothing mapped yet.
 * @param be        the backend
 * @param option_id IOMMUFD_OPTION_*
 * @param object_id the IOAS for HUGE_PAGES, 0 for RLIMIT_MODE
 * @param val       the value
 * @param errp      error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_set_option(IOMMUFDBackend *be, uint32_t option_id,
                                            uint32_t object_id, uint64_t val,
                                            IOMMUFDError **errp);

/**
 * IOMMU_VFIO_IOAS get: the IOAS the VFIO type1 compatibility ioctls use.
 * @param be      the backend
 * @param ioas_id receives it (ENODEV when none is set, as the kernel answers)
 * @param errp    error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_get_vfio_ioas(IOMMUFDBackend *be, uint32_t *ioas_id,
                                               IOMMUFDError **errp);

/**
 * IOMMU_VFIO_IOAS set: the IOAS the VFIO type1 compatibility ioctls are to use.
 * @param be      the backend
 * @param ioas_id the IOAS
 * @param errp    error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_set_vfio_ioas(IOMMUFDBackend *be, uint32_t ioas_id,
                                               IOMMUFDError **errp);

/**
 * IOMMU_VFIO_IOAS clear: no IOAS for the VFIO type1 compatibility ioctls.
 * @param be   the backend
 * @param errp error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_clear_vfio_ioas(IOMMUFDBackend *be, IOMMUFDError **errp);

/**
 * IOMMU_IOAS_CHANGE_PROCESS (Linux 6.13): move the pinned-memory accounting
 * of every mapping to the calling process (checkpoint/restart hand-over).
 * Every mapping must have been made with iommufd_backend_map_file_dma().
 * @param be   the backend
 * @param errp error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_change_process(IOMMUFDBackend *be, IOMMUFDError **errp);

/**
 * Whether the kernel has IOMMU_IOAS_CHANGE_PROCESS, by a probe that changes
 * nothing.
 * @param be a connected backend
 * @return true when the command exists
 */
IOMMUFD_API bool iommufd_backend_change_process_capable(IOMMUFDBackend *be);

/* ---- HWPT -------------------------------------------------------------- */

/** IOMMU_HWPT_ALLOC flags (the kernel's values). */
enum {
    IOMMUFD_HWPT_ALLOC_NEST_PARENT = 1u << 0,    /**< a parent for nested HWPTs (6.7) */
    IOMMUFD_HWPT_ALLOC_DIRTY_TRACKING = 1u << 1, /**< able to track dirty pages (6.7) */
    IOMMUFD_HWPT_FAULT_ID_VALID = 1u << 2,       /**< fault_id is valid (6.11) */
    IOMMUFD_HWPT_ALLOC_PASID = 1u << 3,          /**< attachable to PASIDs (6.15) */
};

/** IOMMU_HWPT_GET_DIRTY_BITMAP flags. */
enum {
    IOMMUFD_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1u << 0, /**< read without clearing */
};

/**
 * IOMMU_HWPT_ALLOC: a paging HWPT on an IOAS, or a nested HWPT on a
 * NEST_PARENT HWPT or a vIOMMU (with driver data).
 * @param be        the backend
 * @param dev_id    the device it is for
 * @param pt_id     an IOAS, a NEST_PARENT HWPT, or a vIOMMU
 * @param flags     IOMMUFD_HWPT_ALLOC_* and IOMMUFD_HWPT_FAULT_ID_VALID
 * @param data_type the driver data's type (0: none)
 * @param data_len  its length (0 with data_type 0)
 * @param data_ptr  the data (NULL with data_len 0)
 * @param fault_id  the fault queue, with IOMMUFD_HWPT_FAULT_ID_VALID
 * @param out_hwpt  receives the HWPT id
 * @param errp      error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_alloc_hwpt(IOMMUFDBackend *be, uint32_t dev_id, uint32_t pt_id,
                                            uint32_t flags, uint32_t data_type,
                                            uint32_t data_len, void *data_ptr,
                                            uint32_t fault_id, uint32_t *out_hwpt,
                                            IOMMUFDError **errp);

/**
 * IOMMU_GET_HW_INFO: the device's IOMMU type, driver data and capabilities.
 * @param be             the backend
 * @param devid          the device
 * @param type           in: 0 for the default, or the type asked for (sets
 *                       IOMMU_HW_INFO_FLAG_INPUT_TYPE, newer kernels); out: the type
 * @param data           buffer for the driver data (may be NULL with len 0)
 * @param len            its size; the kernel zero-fills what it does not use
 * @param caps           receives the capabilities (IOMMU_HW_CAP_*), may be NULL
 * @param max_pasid_log2 receives the PASID width, may be NULL
 * @param out_len        receives the length of the kernel's data (may be
 *                       larger than @p len: call again with a larger buffer),
 *                       may be NULL
 * @param errp           error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_get_device_info(IOMMUFDBackend *be, uint32_t devid,
                                                 uint32_t *type, void *data, uint32_t len,
                                                 uint64_t *caps, uint8_t *max_pasid_log2,
                                                 uint32_t *out_len, IOMMUFDError **errp);

/**
 * IOMMU_HWPT_SET_DIRTY_TRACKING: start or stop dirty tracking on a HWPT.
 * Starting clears the dirty bits.
 * @param be      the backend
 * @param hwpt_id a HWPT allocated with IOMMUFD_HWPT_ALLOC_DIRTY_TRACKING
 * @param start   true to start, false to stop
 * @param errp    error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_set_dirty_tracking(IOMMUFDBackend *be, uint32_t hwpt_id,
                                                    bool start, IOMMUFDError **errp);

/**
 * IOMMU_HWPT_GET_DIRTY_BITMAP: one bit per @p page_size page of
 * [iova, iova + size), bit i of data[i / 64] for the page at
 * iova + i * page_size.  iova and size must be aligned to page_size and to
 * the IOAS alignment.
 * @param be        the backend
 * @param hwpt_id   the HWPT
 * @param iova      start
 * @param size      bytes (not 0)
 * @param page_size the page size of a bit (a power of two)
 * @param data      the bitmap: iommufd_dirty_bitmap_size(size, page_size) bytes
 * @param flags     IOMMUFD_HWPT_GET_DIRTY_BITMAP_NO_CLEAR or 0
 * @param errp      error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_get_dirty_bitmap(IOMMUFDBackend *be, uint32_t hwpt_id,
                                                  uint64_t iova, uint64_t size,
                                                  uint64_t page_size, uint64_t *data,
                                                  uint64_t flags, IOMMUFDError **errp);

/**
 * The size in bytes of the dirty bitmap of @p size bytes at @p page_size
 * (whole 64-bit words).
 * @param size      bytes
 * @param page_size bytes per bit (not 0)
 * @return bytes
 */
IOMMUFD_API uint64_t iommufd_dirty_bitmap_size(uint64_t size, uint64_t page_size);

/**
 * Check a dirty-bitmap range before asking the kernel: @p page_size a power
 * of two, @p size not 0, no overflow, and @p iova and @p iova + @p size
 * aligned to @p page_size and to the IOAS's IOVA alignment (which
 * iommufd_backend_get_iova_ranges() reports).  Issues no ioctl.
 * @param iova           start
 * @param size           bytes
 * @param page_size      bytes per bit
 * @param iova_alignment the IOAS alignment (0 or 1: none known)
 * @param errp           error (EINVAL naming the value that is wrong)
 * @return true when the kernel's alignment rules hold
 */
IOMMUFD_API bool iommufd_dirty_range_check(uint64_t iova, uint64_t size, uint64_t page_size,
                                           uint64_t iova_alignment, IOMMUFDError **errp);

/**
 * Called by iommufd_backend_walk_dirty_bitmap() once per chunk.
 * @param iova      the chunk's first IOVA
 * @param size      the chunk's bytes
 * @param page_size bytes per bit
 * @param bitmap    bit i of bitmap[i / 64]: the page at iova + i * page_size
 *                  is dirty (iommufd_dirty_bitmap_size(size, page_size) bytes,
 *                  valid during the call only)
 * @param opaque    the walk's opaque pointer
 * @param errp      error to set when returning false
 * @return true to go on, false to stop the walk (with an error, or without
 *         one to stop early: the walk then fails with ECANCELED)
 */
typedef bool (*IOMMUFDDirtyChunkFunc)(uint64_t iova, uint64_t size, uint64_t page_size,
                                      const uint64_t *bitmap, void *opaque,
                                      IOMMUFDError **errp);

/**
 * Read the dirty bitmap of a large range (all of guest RAM) in chunks
 * through a buffer of the caller's size, handing each chunk to @p fn: one
 * IOMMU_HWPT_GET_DIRTY_BITMAP per chunk, no allocation.  A chunk covers
 * buf_size * 8 pages (the last one what is left); chunk boundaries keep the
 * IOAS alignment.  The range is checked first with
 * iommufd_dirty_range_check() (EINVAL, no ioctl).  Without
 * IOMMUFD_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, each chunk's bits are cleared as
 * it is read: when the walk fails part way, the chunks before were read and
 * cleared.
 * @param be             the backend
 * @param hwpt_id        a HWPT with dirty tracking on
 * @param iova           start
 * @param size           bytes (not 0)
 * @param page_size      bytes per bit (a power of two)
 * @param iova_alignment the IOAS alignment (from iommufd_backend_get_iova_ranges;
 *                       0: none known)
 * @param flags          IOMMUFD_HWPT_GET_DIRTY_BITMAP_NO_CLEAR or 0
 * @param buf            the bitmap buffer, 8-byte aligned
 * @param buf_size       its size in bytes: a multiple of 8, at least 8, and
 *                       covering at least iova_alignment bytes of IOVA
 * @param fn             called per chunk
 * @param opaque         passed to @p fn
 * @param errp           error (the failing chunk's, or @p fn's)
 * @return true when every chunk was read and accepted
 */
IOMMUFD_API bool iommufd_backend_walk_dirty_bitmap(IOMMUFDBackend *be, uint32_t hwpt_id,
                                                   uint64_t iova, uint64_t size,
                                                   uint64_t page_size, uint64_t iova_alignment,
                                                   uint64_t flags, uint64_t *buf,
                                                   size_t buf_size, IOMMUFDDirtyChunkFunc fn,
                                                   void *opaque, IOMMUFDError **errp);

/**
 * IOMMU_HWPT_INVALIDATE: invalidate caches of a nested HWPT or vIOMMU.
 * @param be         the backend
 * @param id         the nested HWPT or vIOMMU
 * @param data_type  the entries' type
 * @param entry_len  the size of one entry
 * @param entry_num  in: entries at @p data; out: entries handled (also on
 *                   failure).  Fewer handled than asked is an error.
 * @param data       the entries
 * @param errp       error
 * @return true when every entry was handled
 */
IOMMUFD_API bool iommufd_backend_invalidate_cache(IOMMUFDBackend *be, uint32_t id,
                                                  uint32_t data_type, uint32_t entry_len,
                                                  uint32_t *entry_num, void *data,
                                                  IOMMUFDError **errp);

/* ---- virtualisation ----------------------------------------------------- */

/**
 * IOMMU_FAULT_QUEUE_ALLOC (6.11): a fault queue and its fd, which belongs to
 * the caller (close it before destroying the queue).
 * @param be       the backend
 * @param fault_id receives the queue's id
 * @param fault_fd receives its fd (O_CLOEXEC)
 * @param errp     error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_alloc_faultq(IOMMUFDBackend *be, uint32_t *fault_id,
                                              int *fault_fd, IOMMUFDError **errp);

/**
 * IOMMU_VIOMMU_ALLOC (6.13): a vIOMMU on a nesting parent HWPT.
 * @param be            the backend
 * @param dev_id        a device behind the physical IOMMU
 * @param type          the vIOMMU type
 * @param hwpt_id       a NEST_PARENT HWPT
 * @param data          driver data (in/out), or NULL
 * @param data_len      its size, 0 without data
 * @param out_viommu_id receives the vIOMMU id
 * @param errp          error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_alloc_viommu(IOMMUFDBackend *be, uint32_t dev_id, uint32_t type,
                                              uint32_t hwpt_id, void *data, uint32_t data_len,
                                              uint32_t *out_viommu_id, IOMMUFDError **errp);

/**
 * IOMMU_VDEVICE_ALLOC (6.13): a device's virtual id on a vIOMMU.
 * @param be          the backend
 * @param dev_id      the device
 * @param viommu_id   the vIOMMU
 * @param virt_id     the id the guest knows it by (vSID, vRID)
 * @param out_vdev_id receives the vDEVICE id
 * @param errp        error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_alloc_vdev(IOMMUFDBackend *be, uint32_t dev_id,
                                            uint32_t viommu_id, uint64_t virt_id,
                                            uint32_t *out_vdev_id, IOMMUFDError **errp);

/**
 * IOMMU_VEVENTQ_ALLOC (6.15): an event queue of one type on a vIOMMU; its fd
 * belongs to the caller.
 * @param be             the backend
 * @param viommu_id      the vIOMMU
 * @param type           the event type
 * @param depth          how many events it holds before losing some (not 0)
 * @param out_veventq_id receives its id
 * @param out_veventq_fd receives its fd (O_CLOEXEC)
 * @param errp           error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_alloc_veventq(IOMMUFDBackend *be, uint32_t viommu_id,
                                               uint32_t type, uint32_t depth,
                                               uint32_t *out_veventq_id, int *out_veventq_fd,
                                               IOMMUFDError **errp);

/**
 * IOMMU_HW_QUEUE_ALLOC (6.17): a hardware queue backed by guest memory.
 * @param be         the backend
 * @param viommu_id  the vIOMMU
 * @param queue_type the queue type
 * @param index      the queue's index
 * @param addr       its guest (nesting parent) IOVA
 * @param length     bytes (not 0)
 * @param out_id     receives its id
 * @param errp       error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_alloc_hw_queue(IOMMUFDBackend *be, uint32_t viommu_id,
                                                uint32_t queue_type, uint32_t index,
                                                uint64_t addr, uint64_t length,
                                                uint32_t *out_id, IOMMUFDError **errp);

/**
 * mmap of the region a vIOMMU's driver data announced (offset and size).
 * @param be        the backend
 * @param viommu_id the vIOMMU (for the error message and trace)
 * @param size      bytes
 * @param offset    the offset alloc_viommu returned
 * @param out_ptr   receives the mapping
 * @param errp      error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_viommu_mmap(IOMMUFDBackend *be, uint32_t viommu_id,
                                             uint64_t size, uint64_t offset, void **out_ptr,
                                             IOMMUFDError **errp);

/**
 * munmap of a region iommufd_backend_viommu_mmap returned.
 * @param be   the backend
 * @param ptr  the mapping
 * @param size its size
 * @param errp error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_viommu_munmap(IOMMUFDBackend *be, void *ptr, uint64_t size,
                                               IOMMUFDError **errp);

/* ---- feature probe ------------------------------------------------------ */

/** What iommufd_backend_probe() found. */
typedef struct IOMMUFDFeatures {
    /** bit (nr - 0x80) set when command nr (0x80 to 0x9f) exists */
    uint32_t commands;
    /** the kernel's selftest command (CONFIG_IOMMUFD_TEST) exists */
    bool selftest;
} IOMMUFDFeatures;

/**
 * Which commands the running kernel has, by size-0 probes that create and
 * change nothing (EINVAL: present, ENOTTY: absent).  Flags and types cannot
 * be probed this way: they answer EOPNOTSUPP when tried.
 * @param be       a connected backend
 * @param features receives the result
 * @param errp     error
 * @return true on success
 */
IOMMUFD_API bool iommufd_backend_probe(IOMMUFDBackend *be, IOMMUFDFeatures *features,
                                       IOMMUFDError **errp);

/**
 * @brief Whether a probe found a command.
 * @param features a probe result (NULL: false)
 * @param nr       a command number (0x80 to 0x9f; others: false)
 * @return whether the command exists
 */
IOMMUFD_API bool iommufd_features_has(const IOMMUFDFeatures *features, unsigned int nr);

/**
 * @brief The name of an iommufd command.
 * @param nr a command number (from 0x80)
 * @return its name ("IOMMU_IOAS_MAP"), or NULL for an unknown number
 */
IOMMUFD_API const char *iommufd_command_name(unsigned int nr);

/**
 * @brief The Linux release that added an iommufd command.
 * @param nr a command number
 * @return the Linux release that added it ("6.13"), or NULL; informational
 *         only: probe, never compare versions
 */
IOMMUFD_API const char *iommufd_command_since(unsigned int nr);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUFD_BACKEND_H */
