/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiommufd-mock: an in-process imitation of the kernel's iommufd.
 * Private interface between the mock's source files.  Not installed.
 *
 * Files:
 *   interpose.c  libc entry points, the lock-free fd table, lazy start-up
 *   ctx.c        contexts, the object table, IOMMU_DESTROY, the ioctl
 *                dispatcher (size contract), kernel models, fail-Nth, user
 *                memory access, the public fixture API (mock.h)
 *   ioas.c       IOAS commands, the mapping tree, VFIO type1 compat
 *   hwpt.c       HWPT alloc, GET_HW_INFO, dirty tracking, invalidation,
 *                selftest IOMMU_TEST_CMD (dispatch of every op), mock devices
 *   access.c     selftest emulated accesses (CREATE_ACCESS, ACCESS_PAGES,
 *                ACCESS_RW, DESTROY_ACCESS_PAGES, ACCESS_REPLACE_IOAS) and
 *                the page pin counts (MD_CHECK_REFS)
 *   events.c     fault queue, vIOMMU, vDEVICE, vEVENTQ, HW queue, mmap
 *   vfio.c       mock VFIO cdev nodes and their ioctls
 *
 * Locking: every piece of mock state is guarded by mock_lock (one global
 * mutex), taken by the entry points in interpose.c around each mock
 * operation.  Handlers run with it held and never call the interposed libc
 * functions for mock fds.  The fd table is read without the lock.
 *
 * Errors: handlers return 0 or a negative errno, like the kernel.
 */
#ifndef IOMMUFD_MOCK_INTERNAL_H
#define IOMMUFD_MOCK_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

#include "uapi/linux/iommufd.h"
#include "uapi/linux/vfio.h"

#define MOCK_INTERNAL __attribute__((visibility("hidden")))

#define offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))

/* ---- kernel models ------------------------------------------------------ */

typedef enum {
    MOCK_MODEL_NEWEST = 0,
    MOCK_MODEL_6_12 = 1,
} MockModel;

/* ---- the global lock ---------------------------------------------------- */

MOCK_INTERNAL extern pthread_mutex_t mock_lock;

/* ---- fds ---------------------------------------------------------------- */

typedef enum {
    MOCK_FILE_CTX = 1,      /* /dev/iommu */
    MOCK_FILE_FAULT,        /* fault queue fd (eventfd underneath) */
    MOCK_FILE_VEVENTQ,      /* vEVENTQ fd (read end of a pipe underneath) */
    MOCK_FILE_VFIO,         /* mock VFIO cdev device */
    MOCK_FILE_ACCESS,       /* selftest access fd */
} MockFileKind;

struct MockCtx;
struct MockObj;

/*
 * What an fd number refers to.  Several fds (dup) can refer to one MockFile;
 * `refs` counts them.  Each MockFile has a real kernel fd underneath (the
 * fd numbers are the kernel's), so poll/epoll/select see a real object.
 */
typedef struct MockFile {
    MockFileKind kind;
    int refs;                    /* fds mapped to this file; under mock_lock */
    struct MockCtx *ctx;         /* the iommufd context (all kinds but VFIO
                                    before bind may have NULL) */
    struct MockObj *obj;         /* FAULT / VEVENTQ object, or NULL */
    void *priv;                  /* VFIO: MockVfioDev *; ACCESS: MockAccess * */
    int notify_fd;               /* FAULT: the eventfd itself (real fd);
                                    VEVENTQ: the pipe's write end; else -1 */
    int flags;                   /* O_NONBLOCK etc. as set by open/fcntl */
    /* The kernel object underneath (fstat at creation): a table entry whose
     * fd number now names another object is stale (its fd was closed where
     * the mock could not see it: a raw syscall, a child's exec) and is
     * dropped instead of being served (interpose.c). */
    uint64_t real_dev, real_ino;
    /* Kind-specific teardown, set by the file's creator (may be NULL).
     * mock_file_put calls it under mock_lock when the last fd goes; then it
     * drops the fd's user count on `obj` (users--), closes `notify_fd` of a
     * VEVENTQ (the pipe's write end; never a FAULT's, which is a caller's
     * fd), drops `ctx` (mock_ctx_put) and frees the file. */
    void (*release)(struct MockFile *f);
} MockFile;

/* fd table (interpose.c).  Lock-free lookup; install/remove under mock_lock. */
#define MOCK_MAX_FDS 65536
MOCK_INTERNAL MockFile *mock_fd_lookup(int fd);
MOCK_INTERNAL void mock_fd_install(int fd, MockFile *f);
MOCK_INTERNAL void mock_fd_remove(int fd);
/* Create a MockFile around a new real fd: the caller created `realfd`.
 * refs = 1, notify_fd = -1, and `realfd` is installed in the fd table.  NULL
 * when out of memory or realfd >= MOCK_MAX_FDS (the caller closes realfd
 * with mock_real_close and fails with -ENOMEM / -EMFILE).  When a caller
 * closes the fd that a FAULT file's notify_fd names while dups of it
 * remain, interpose.c rebinds notify_fd to one of them. */
MOCK_INTERNAL MockFile *mock_file_new(MockFileKind kind, int realfd);
/* Drop one fd's reference; releases the file (and what it holds) at 0. */
MOCK_INTERNAL void mock_file_put(MockFile *f);
MOCK_INTERNAL unsigned mock_live_fds(void);
/* Lazy start-up (model and devices from the environment); idempotent and
 * cheap after the first call.  Public API functions call it first, without
 * mock_lock held. */
MOCK_INTERNAL void mock_ensure_init(void);

/* The real libc functions (resolved lazily by interpose.c). */
MOCK_INTERNAL int mock_real_close(int fd);
MOCK_INTERNAL ssize_t mock_real_read(int fd, void *buf, size_t n);
MOCK_INTERNAL ssize_t mock_real_write(int fd, const void *buf, size_t n);

/* Mappings of mock fds (interpose.c): mock_ctx_mmap registers each mapping
 * it made, under mock_lock; `unmapped(data)` runs under mock_lock once every
 * page of it is gone (munmap, or a MAP_FIXED mmap over it), as the kernel's
 * vm_ops->close (drop what the mapping holds: the region owner's users, the
 * context reference of the VMA's file).  0 or -ENOMEM / -EINVAL. */
typedef void (*MockUnmapFn)(void *data);
MOCK_INTERNAL int mock_mapping_add(void *addr, size_t len, MockUnmapFn unmapped, void *data);

/* ---- user memory -------------------------------------------------------- */

/* Copy from/to the caller's memory; -EFAULT instead of a crash for memory
 * that is not mapped (or not writable). */
MOCK_INTERNAL int mock_copy_from_user(void *dst, uint64_t uptr, size_t len);
MOCK_INTERNAL int mock_copy_to_user(uint64_t uptr, const void *src, size_t len);
/* Like pinning: every page of [uptr, uptr+len) is mapped (and writable when
 * `write`), else -EFAULT. */
MOCK_INTERNAL int mock_check_user_range(uint64_t uptr, uint64_t len, bool write);
/* The kernel's copy_struct_from_user: dst (ksize bytes) is zeroed, then a
 * shorter user struct is zero-extended and a longer one must be zero past
 * ksize (-E2BIG, checked before anything is copied); -EFAULT on bad memory. */
MOCK_INTERNAL int mock_copy_struct_from_user(void *dst, size_t ksize, uint64_t src, size_t usize);
/* The system's page size (the kernel's PAGE_SIZE). */
MOCK_INTERNAL uint64_t mock_page_size(void);

/* ---- objects ------------------------------------------------------------ */

typedef enum {
    MOCK_OBJ_IOAS = 1,
    MOCK_OBJ_HWPT_PAGING,
    MOCK_OBJ_HWPT_NESTED,
    MOCK_OBJ_DEVICE,          /* an iommufd device (idev): dev_id */
    MOCK_OBJ_SELFTEST,        /* a selftest mock device handle: stdev_id */
    MOCK_OBJ_FAULT,
    MOCK_OBJ_VIOMMU,
    MOCK_OBJ_VDEVICE,
    MOCK_OBJ_VEVENTQ,
    MOCK_OBJ_HW_QUEUE,
    MOCK_OBJ_ACCESS,
    MOCK_OBJ__COUNT,
} MockObjType;

typedef struct MockObj MockObj;
typedef void (*MockObjDestroyFn)(MockObj *obj);

/*
 * Every object starts with this header.  `users` counts references from
 * other objects (and from fds for FAULT / VEVENTQ): IOMMU_DESTROY of an
 * object with users answers EBUSY.  `destroy` releases the type's state and
 * drops the references the object holds on others; the header itself is
 * freed by ctx.c.
 */
struct MockObj {
    MockObjType type;
    uint32_t id;
    int users;
    struct MockCtx *ctx;
    MockObjDestroyFn destroy;
};

/* One open /dev/iommu. */
typedef struct MockCtx {
    int refs;                    /* MockFiles referring to it (ctx fds, and
                                    FAULT / VEVENTQ / ACCESS fds, bound VFIO) */
    GHashTable *objects;         /* id -> MockObj * */
    uint32_t next_id;            /* ids 1..INT32_MAX, per context */
    /* IOMMU_OPTION_RLIMIT_MODE (global per context): 0 user, 1 process */
    uint64_t rlimit_mode;
    uint32_t vfio_ioas_id;       /* IOMMU_VFIO_IOAS; 0 = none */
    /* VFIO type1 compat state (ioas.c) */
    bool vfio_iommu_set;
    uint32_t vfio_iommu_type;
    /* mmap regions handed out for vIOMMUs (events.c) */
    GHashTable *mmap_regions;    /* offset (uint64) -> region */
    uint64_t next_mmap_offset;
    int model;                   /* MockModel chosen when it was opened */
    GTree *free_ids;             /* ids below next_id free again (ctx.c) */
} MockCtx;

MOCK_INTERNAL MockCtx *mock_ctx_new(void);
MOCK_INTERNAL void mock_ctx_get(MockCtx *ctx);
/* Drop a reference; at 0 destroys every object leaf-first and frees it. */
MOCK_INTERNAL void mock_ctx_put(MockCtx *ctx);

/* Allocate an object of `size` bytes (>= sizeof(MockObj)), zeroed, with a new
 * id; NULL with *err = -ENOMEM or -ENOSPC. */
MOCK_INTERNAL void *mock_obj_alloc(MockCtx *ctx, MockObjType type, size_t size,
                                   MockObjDestroyFn destroy, int *err);
/* Lookup by id; NULL when there is no such id or it has another type.
 * `type` 0 accepts any type. */
MOCK_INTERNAL MockObj *mock_obj_find(MockCtx *ctx, uint32_t id, MockObjType type);
/* Lookup a HWPT of either kind. */
MOCK_INTERNAL MockObj *mock_obj_find_hwpt(MockCtx *ctx, uint32_t id);
/* Remove from the table, call destroy, free.  Caller checked users == 0. */
MOCK_INTERNAL void mock_obj_remove(MockObj *obj);
MOCK_INTERNAL unsigned mock_ctx_count_objects(MockCtx *ctx, MockObjType type);
/* Call fn for every live context of the process (MD_CHECK_REFS counts the
 * pins of every context, as the kernel's page refcounts would). */
MOCK_INTERNAL void mock_ctx_foreach(void (*fn)(MockCtx *ctx, void *data), void *data);
/* Live contexts and objects in the whole process (the mock's own tests). */
MOCK_INTERNAL unsigned mock_live_ctxs(void);
MOCK_INTERNAL unsigned mock_live_objects(void);

/* ---- object types shared between files ---------------------------------- */

/* One mapped area of an IOAS (ioas.c).  Areas never overlap; unmap takes
 * whole areas only. */
typedef struct MockArea {
    uint64_t iova;               /* first byte */
    uint64_t last;               /* last byte (inclusive) */
    uint64_t user_va;            /* 0 for MAP_FILE */
    int file_fd;                 /* MAP_FILE: a dup of the caller's fd, else -1 */
    uint64_t file_start;
    uint32_t flags;              /* IOMMU_IOAS_MAP_WRITEABLE / READABLE */
    int access_pins;             /* ACCESS_PAGES pins inside this area */
    int internal_pins;           /* pins of in-kernel users that cannot be told to
                                    let go (HW queues): unmap answers EBUSY */
    bool pages_writable;         /* the memory was mapped writable at the
                                    original MAP / MAP_FILE (COPY shares it):
                                    a write through it needs this (EPERM) */
} MockArea;

typedef struct MockIoas {
    MockObj obj;
    GTree *areas;                /* iova (uint64_t *) -> MockArea *; O(log n) */
    GArray *allowed;             /* struct iommu_iova_range; empty = all */
    GArray *reserved;            /* struct iommu_iova_range (ADD_RESERVED) */
    uint64_t huge_pages;         /* IOMMU_OPTION_HUGE_PAGES: 1 default */
    unsigned n_hwpts;            /* paging HWPTs on this IOAS (auto or not) */
    /* access.c: selftest accesses created with NEEDS_PIN_PAGES attached to
     * this IOAS.  While > 0 the IOAS's IOVA alignment is at least PAGE_SIZE
     * (the kernel's access->iova_alignment); access.c refuses to attach one
     * (-EADDRINUSE) when an area's iova, length or page offset is not
     * PAGE_SIZE aligned. */
    unsigned n_pin_accesses;
} MockIoas;

/* The IOVA alignment of an IOAS: the largest page size of what is
 * attached (mock: 2 KiB, PAGE_SIZE/2, as the kernel's selftest). */
#define MOCK_IO_PAGE_SIZE 2048u
MOCK_INTERNAL MockIoas *mock_ioas_find(MockCtx *ctx, uint32_t id);
MOCK_INTERNAL MockArea *mock_ioas_area_at(MockIoas *ioas, uint64_t iova);
/* Reserve [start, last] (selftest ADD_RESERVED, device reserved regions):
 * -EADDRINUSE when something is mapped there or an allowed range
 * (ALLOW_IOVAS) intersects it, as the kernel's iopt_reserve_iova. */
MOCK_INTERNAL int mock_ioas_reserve(MockIoas *ioas, uint64_t start, uint64_t last);
/* Before the first mock domain is attached to an IOAS (n_hwpts 0 -> 1): the
 * kernel reserves everything outside the domain's aperture, which fails with
 * -EADDRINUSE when an area or an allowed range lies outside
 * [MOCK_APERTURE_START, MOCK_APERTURE_LAST].  Like the kernel's
 * iopt_table_add_domain it also fails -EADDRINUSE when an area is not
 * MOCK_IO_PAGE_SIZE aligned, and then pins what was mapped without a domain:
 * -EFAULT (memory not mapped / not writable), -EINVAL (a MAP_FILE file that
 * is not shmem or too short).  0 when attaching is fine. */
MOCK_INTERNAL int mock_ioas_check_aperture(MockIoas *ioas);
/* ioas.c calls this when [iova, last] of an IOAS is unmapped (hwpt.c): the
 * dirty bits of those pages go with their PTEs in every paging HWPT. */
MOCK_INTERNAL void mock_hwpt_notify_unmap(MockIoas *ioas, uint64_t iova, uint64_t last);
/* The IOAS's current IOVA alignment (IOMMU_IOAS_IOVA_RANGES'
 * out_iova_alignment): 1, MOCK_IO_PAGE_SIZE with a domain, PAGE_SIZE with
 * huge pages disabled or a page-pinning access. */
MOCK_INTERNAL uint64_t mock_ioas_iova_alignment(MockIoas *ioas);
/* Before something raises the alignment to `align`: -EADDRINUSE when an
 * area's IOVA, length or page offset is not aligned to it (the kernel's
 * iopt_check_iova_alignment), else 0. */
MOCK_INTERNAL int mock_ioas_check_alignment(MockIoas *ioas, uint64_t align);

typedef struct MockDevice MockDevice;

/* A paging or nested HWPT (hwpt.c). */
typedef struct MockHwpt {
    MockObj obj;
    MockIoas *ioas;              /* paging: the IOAS it maps (users++) */
    struct MockHwpt *parent;     /* nested: the NEST_PARENT paging HWPT */
    struct MockViommu *viommu;   /* nested on a vIOMMU */
    struct MockFault *fault;     /* FAULT_ID_VALID */
    uint32_t alloc_flags;        /* IOMMU_HWPT_ALLOC_* */
    bool auto_domain;            /* created by attaching a device to an IOAS */
    bool dirty_tracking;         /* SET_DIRTY_TRACKING enabled */
    GHashTable *dirty;           /* io-page index -> 1 (selftest DIRTY) */
    uint32_t iotlb[4];           /* nested selftest IOTLB entries */
    unsigned n_attached;         /* devices attached (rid or pasid) */
} MockHwpt;

/* An iommufd device: dev_id (hwpt.c creates them for MOCK_DOMAIN, vfio.c
 * at bind). */
struct MockDevice {
    MockObj obj;
    uint32_t dev_flags;          /* MOCK_FLAGS_DEVICE_* */
    MockHwpt *hwpt;              /* attached on the RID, or NULL */
    GHashTable *pasid_hwpts;     /* pasid -> MockHwpt * */
    struct MockVdevice *vdev;    /* its vDEVICE, if any */
    uint32_t cache[4];           /* selftest device cache (DEV_CHECK_CACHE) */
    void *vfio;                  /* MockVfioDev * when bound through VFIO */
};
MOCK_INTERNAL MockDevice *mock_device_new(MockCtx *ctx, uint32_t dev_flags, int *err);
/* Attach (or replace) the RID or a PASID to an IOAS (auto paging HWPT), a
 * HWPT, or -- newest model -- nothing else.  *pt_id in: IOAS or HWPT id;
 * out: the HWPT id attached.  Unanswered faults of a replaced HWPT are
 * answered INVALID. */
MOCK_INTERNAL int mock_device_attach(MockDevice *dev, bool pasid_valid, uint32_t pasid,
                                     uint32_t *pt_id);
MOCK_INTERNAL int mock_device_detach(MockDevice *dev, bool pasid_valid, uint32_t pasid);
/* Unbind as iommufd_device_unbind (a selftest handle's destroy, closing a
 * bound VFIO cdev): detach the RID and every PASID (pending faults answered
 * INVALID), destroy the device's vDEVICE when nothing else uses it, drop the
 * binder's user and destroy the device when that was the last. */
MOCK_INTERNAL void mock_device_unbind(MockDevice *dev);

/* Fault queue (events.c). */
typedef struct MockFault MockFault;
MOCK_INTERNAL MockFault *mock_fault_find(MockCtx *ctx, uint32_t id);
/* Queue one fault group of `count` faults on the fault object of the HWPT
 * the device (or pasid) is attached to; the last has LAST_PAGE.  -EINVAL
 * when nothing fault-capable is attached. */
MOCK_INTERNAL int mock_fault_report(MockDevice *dev, uint32_t pasid, uint32_t grpid,
                                    uint32_t perm, uint64_t addr, unsigned count);
/* Answer INVALID every group delivered from or queued for (dev, hwpt):
 * on detach, replace, or destroy. */
MOCK_INTERNAL void mock_fault_flush_device(MockFault *fault, MockDevice *dev);

typedef struct MockViommu {
    MockObj obj;
    MockHwpt *parent;            /* NEST_PARENT HWPT (users++) */
    MockDevice *dev;
    uint32_t type;
    GHashTable *vdevs;           /* virt_id -> MockVdevice * */
    struct MockVeventq *veventqs[4]; /* indexed by a type slot */
    uint64_t mmap_offset, mmap_length;
} MockViommu;

typedef struct MockVdevice {
    MockObj obj;
    MockViommu *viommu;
    MockDevice *dev;
    uint64_t virt_id;
} MockVdevice;

/* Queue a vEVENT of the selftest type for the device's vDEVICE. */
MOCK_INTERNAL int mock_vevent_report(MockDevice *dev);

/* ---- ioctl handlers ------------------------------------------------------ */

/* An ioctl on a /dev/iommu fd (ctx.c): the kernel's dispatch order and size
 * contract, then the handler.  Returns what ioctl() returns (>= 0) or -errno.
 * interpose.c calls it under mock_lock, after mock_fail_nth_check(). */
MOCK_INTERNAL int mock_ctx_ioctl(MockCtx *ctx, uint32_t cmd, uint64_t arg);

/*
 * A handler gets the command copied into a zeroed kernel-sized buffer (the
 * size contract already applied) and returns 0 or -errno.  The dispatcher
 * copies the struct back (min(user size, kernel size) bytes) on success, and
 * also on failure when the op has MOCK_OP_RESPOND_ALWAYS (IOVA_RANGES's
 * EMSGSIZE, INVALIDATE's entry_num).
 */
typedef int (*MockIoctlFn)(MockCtx *ctx, void *cmd);

/* ioas.c */
MOCK_INTERNAL int mock_ioas_alloc(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_ioas_allow_iovas(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_ioas_copy(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_ioas_iova_ranges(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_ioas_map(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_ioas_map_file(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_ioas_unmap(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_option(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_vfio_ioas(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_ioas_change_process(MockCtx *ctx, void *cmd);
/* VFIO type1 compat on /dev/iommu: cmd is the raw ioctl number, arg the
 * caller's pointer (these are not size-prefixed). */
MOCK_INTERNAL int mock_vfio_compat_ioctl(MockCtx *ctx, unsigned long cmd, uint64_t arg);

/* hwpt.c */
MOCK_INTERNAL int mock_hwpt_alloc(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_get_hw_info(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_hwpt_set_dirty_tracking(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_hwpt_get_dirty_bitmap(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_hwpt_invalidate(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_test_cmd(MockCtx *ctx, void *cmd);

/* events.c */
MOCK_INTERNAL int mock_fault_alloc(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_viommu_alloc(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_vdevice_alloc(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_veventq_alloc(MockCtx *ctx, void *cmd);
MOCK_INTERNAL int mock_hw_queue_alloc(MockCtx *ctx, void *cmd);
MOCK_INTERNAL ssize_t mock_fault_read(MockFile *f, void *buf, size_t n);
MOCK_INTERNAL ssize_t mock_fault_write(MockFile *f, const void *buf, size_t n);
MOCK_INTERNAL ssize_t mock_veventq_read(MockFile *f, void *buf, size_t n);
/* mmap() of a /dev/iommu fd (a vIOMMU's mmap region at `off`), called by
 * interpose.c under mock_lock; the mapping or MAP_FAILED with *err set to a
 * positive errno. */
MOCK_INTERNAL void *mock_ctx_mmap(MockFile *f, void *addr, size_t len, int prot, int flags,
                                  off_t off, int *err);

/* vfio.c */
MOCK_INTERNAL int mock_vfio_open(const char *path, int flags, int *realfd_out);
MOCK_INTERNAL int mock_vfio_ioctl(MockFile *f, unsigned long cmd, uint64_t arg);
MOCK_INTERNAL bool mock_vfio_is_mock_path(const char *path);

/* access.c: the selftest ops on accesses and pin counts.  hwpt.c's
 * mock_test_cmd hands these ops over: CREATE_ACCESS, DESTROY_ACCESS_PAGES,
 * ACCESS_PAGES, ACCESS_RW, ACCESS_REPLACE_IOAS, MD_CHECK_REFS,
 * SET_TEMP_MEMORY_LIMIT.  cmd is the struct iommu_test_cmd. */
MOCK_INTERNAL int mock_test_access_cmd(MockCtx *ctx, struct iommu_test_cmd *cmd);
/* ioas.c calls this before unmapping [iova, last] of an IOAS that has
 * access pins there (MockArea.access_pins): like the kernel's unmap
 * notifier, every access on that IOAS drops its pages in the range (the
 * selftest access's unmap callback does exactly that). */
MOCK_INTERNAL void mock_access_notify_unmap(MockIoas *ioas, uint64_t iova, uint64_t last);

/* ---- fail-Nth ------------------------------------------------------------ */

/* Called at the start of every mock operation (ioctl, read, write) of the
 * calling thread; returns -errno when this one is the armed Nth, else 0. */
MOCK_INTERNAL int mock_fail_nth_check(void);

#endif /* IOMMUFD_MOCK_INTERNAL_H */
