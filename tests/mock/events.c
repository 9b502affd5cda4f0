/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiommufd-mock: the event side of iommufd and the vIOMMU objects.
 *
 *   - fault queues (IOMMU_FAULT_QUEUE_ALLOC): groups of page faults queued
 *     by TRIGGER_IOPF / the fixtures API, read as 40-byte records, answered
 *     with 8-byte responses; the fd is a real eventfd whose counter is
 *     non-zero exactly while groups wait to be read, so poll/epoll work;
 *   - vIOMMU, vDEVICE and HW queue objects (newest model only), and the
 *     vIOMMU's mmap region on the /dev/iommu fd;
 *   - vEVENTQs: a pipe's read end as the fd, one byte in the pipe exactly
 *     while records wait; depth, the LOST_EVENTS header and the sequence
 *     numbers wrapping at INT_MAX as the kernel's eventq.c does.
 *
 * Everything here runs under mock_lock (the public fixtures take it).
 */
#include "mock-internal.h"

#include <iommufd/mock.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>


/* copy_struct_to_user: the tail of a longer user struct is cleared first. */
static int struct_to_user(uint64_t dst, size_t usize, const void *src, size_t ksize)
{
    if (usize > ksize) {
        static const uint8_t zero[256];

        for (uint64_t off = ksize; off < usize;) {
            size_t n = usize - off < sizeof(zero) ? usize - off : sizeof(zero);

            if (mock_copy_to_user(dst + off, zero, n)) {
                return -EFAULT;
            }
            off += n;
        }
    }
    return mock_copy_to_user(dst, src, usize < ksize ? usize : ksize) ? -EFAULT : 0;
}

/* ======================================================================== */
/* Fault queues                                                             */
/* ======================================================================== */

/*
 * One page-request group.  The device is kept as an id for the records and
 * as a pointer only to compare in mock_fault_flush_device (never
 * dereferenced, so a device destroyed without a flush cannot hurt).
 */
typedef struct MockFaultGroup {
    const MockDevice *dev;
    uint32_t dev_id;
    uint32_t pasid;
    uint32_t grpid;
    uint32_t perm;
    uint64_t addr;
    unsigned count;              /* faults in the group; the last has LAST_PAGE */
    uint32_t cookie;             /* 0 while queued; allocated at read time */
} MockFaultGroup;

/* Starts with its MockObj, so (MockObj *)fault is the object header. */
struct MockFault {
    MockObj obj;
    GQueue deliver;              /* MockFaultGroup *, oldest first */
    GHashTable *response;        /* cookie -> MockFaultGroup *, read, unanswered */
    MockFile *file;              /* the fd's file while it lives */
    bool signalled;              /* the eventfd counter is non-zero */
};

/* Make the eventfd readable exactly while groups wait to be read. */
static void fault_update_ready(MockFault *fault)
{
    bool want = !g_queue_is_empty(&fault->deliver);
    uint64_t v = 1;

    if (!fault->file || fault->file->notify_fd < 0 || want == fault->signalled) {
        return;
    }
    if (want) {
        if (syscall(SYS_write, fault->file->notify_fd, &v, sizeof(v)) == (long)sizeof(v)) {
            fault->signalled = true;
        }
    } else {
        /* EFD_NONBLOCK: one read resets the counter to 0 */
        syscall(SYS_read, fault->file->notify_fd, &v, sizeof(v));
        fault->signalled = false;
    }
}

/* The response to a group goes to the device, which the mock does not model. */
static void fault_group_answer(MockFaultGroup *g)
{
    g_free(g);
}

static void fault_destroy(MockObj *obj)
{
    MockFault *fault = (MockFault *)obj;
    MockFaultGroup *g;
    GHashTableIter it;
    gpointer value;

    /* Every queued or unanswered group is answered INVALID, as the kernel's
     * fault destroy does. */
    while ((g = g_queue_pop_head(&fault->deliver))) {
        fault_group_answer(g);
    }
    g_hash_table_iter_init(&it, fault->response);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        g_hash_table_iter_steal(&it);
        fault_group_answer(value);
    }
    g_hash_table_destroy(fault->response);
    if (fault->file) {
        fault->file->obj = NULL;     /* only on a forced teardown */
    }
}

static void fault_file_release(MockFile *f)
{
    MockFault *fault = (MockFault *)f->obj;

    if (fault) {
        fault->file = NULL;
        fault->signalled = false;
    }
}

int mock_fault_alloc(MockCtx *ctx, void *cmd)
{
    struct iommu_fault_alloc *c = cmd;
    MockFault *fault;
    MockFile *f;
    long efd;
    int err = 0;

    if (c->flags) {
        return -EOPNOTSUPP;
    }
    fault = mock_obj_alloc(ctx, MOCK_OBJ_FAULT, sizeof(*fault), fault_destroy, &err);
    if (!fault) {
        return err;
    }
    g_queue_init(&fault->deliver);
    fault->response = g_hash_table_new(NULL, NULL);

    efd = syscall(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (efd < 0) {
        err = -errno;
        mock_obj_remove(&fault->obj);
        return err;
    }
    f = mock_file_new(MOCK_FILE_FAULT, (int)efd);
    if (!f) {
        mock_real_close((int)efd);
        mock_obj_remove(&fault->obj);
        return efd >= MOCK_MAX_FDS ? -EMFILE : -ENOMEM;
    }
    f->ctx = ctx;
    mock_ctx_get(ctx);
    f->obj = &fault->obj;
    fault->obj.users++;          /* the fd's reference: DESTROY answers EBUSY */
    f->notify_fd = (int)efd;
    f->flags = O_RDWR;
    f->release = fault_file_release;
    fault->file = f;

    c->out_fault_id = fault->obj.id;
    c->out_fault_fd = (uint32_t)efd;
    return 0;
}

MockFault *mock_fault_find(MockCtx *ctx, uint32_t id)
{
    return (MockFault *)mock_obj_find(ctx, id, MOCK_OBJ_FAULT);
}

/*
 * Routing as iommu_report_device_fault / find_fault_handler: a fault with a
 * PASID goes to the HWPT attached to that PASID, else (the mock driver has
 * a user-managed PASID table) to a NESTED HWPT attached to the RID; without
 * a PASID to the RID's HWPT.  That HWPT must have a fault object.
 */
int mock_fault_report(MockDevice *dev, uint32_t pasid, uint32_t grpid, uint32_t perm,
                      uint64_t addr, unsigned count)
{
    MockHwpt *hwpt = NULL;
    MockFaultGroup *g;
    MockFault *fault;

    if (!dev || !count) {
        return -EINVAL;
    }
    if (pasid) {
        if (dev->pasid_hwpts) {
            hwpt = g_hash_table_lookup(dev->pasid_hwpts, GUINT_TO_POINTER(pasid));
        }
        if (!hwpt && dev->hwpt && dev->hwpt->obj.type == MOCK_OBJ_HWPT_NESTED) {
            hwpt = dev->hwpt;
        }
    } else {
        hwpt = dev->hwpt;
    }
    if (!hwpt || !hwpt->fault) {
        return -EINVAL;
    }
    fault = hwpt->fault;

    g = g_new0(MockFaultGroup, 1);
    g->dev = dev;
    g->dev_id = dev->obj.id;
    g->pasid = pasid;
    g->grpid = grpid;
    g->perm = perm;
    g->addr = addr;
    g->count = count;
    g_queue_push_tail(&fault->deliver, g);
    fault_update_ready(fault);
    return 0;
}

void mock_fault_flush_device(MockFault *fault, MockDevice *dev)
{
    GHashTableIter it;
    gpointer value;
    GList *l, *next;

    if (!fault) {
        return;
    }
    for (l = fault->deliver.head; l; l = next) {
        MockFaultGroup *g = l->data;

        next = l->next;
        if (g->dev == dev) {
            g_queue_delete_link(&fault->deliver, l);
            fault_group_answer(g);
        }
    }
    g_hash_table_iter_init(&it, fault->response);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        MockFaultGroup *g = value;

        if (g->dev == dev) {
            g_hash_table_iter_steal(&it);
            fault_group_answer(g);
        }
    }
    fault_update_ready(fault);
}

/* xa_alloc on an ALLOC1 xarray: the lowest free cookie >= 1. */
static int fault_cookie_alloc(MockFault *fault, MockFaultGroup *g)
{
    for (uint32_t c = 1; c != 0; c++) {
        if (!g_hash_table_contains(fault->response, GUINT_TO_POINTER(c))) {
            g->cookie = c;
            g_hash_table_insert(fault->response, GUINT_TO_POINTER(c), g);
            return 0;
        }
    }
    return -EBUSY;
}

static void fault_compose(const MockFaultGroup *g, unsigned i, struct iommu_hwpt_pgfault *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->flags = (g->pasid ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0) |
                 (i + 1 == g->count ? IOMMU_PGFAULT_FLAGS_LAST_PAGE : 0);
    rec->dev_id = g->dev_id;
    rec->pasid = g->pasid;
    rec->grpid = g->grpid;
    rec->perm = g->perm;
    rec->addr = g->addr + (uint64_t)i * mock_page_size();
    rec->length = 0;
    rec->cookie = g->cookie;
}

/*
 * Copy a group's records to buf + done.  Returns the bytes written; fewer
 * than the group's size means a fault at that record (records are copied one
 * by one in the kernel, so the ones before the bad page count).
 */
static size_t fault_copy_group(const MockFaultGroup *g, uint64_t ubuf)
{
    const size_t rs = sizeof(struct iommu_hwpt_pgfault);
    struct iommu_hwpt_pgfault stack[16] = { 0 };
    struct iommu_hwpt_pgfault *recs = stack;
    size_t done = 0;

    if (g->count > G_N_ELEMENTS(stack)) {
        recs = g_try_new(struct iommu_hwpt_pgfault, g->count);
    }
    if (recs) {
        for (unsigned i = 0; i < g->count; i++) {
            fault_compose(g, i, &recs[i]);
        }
        bool ok = !mock_copy_to_user(ubuf, recs, rs * g->count);
        if (recs != stack) {
            g_free(recs);
        }
        if (ok) {
            return rs * g->count;
        }
    }
    /* find how many whole records the kernel's loop would have copied */
    for (unsigned i = 0; i < g->count; i++) {
        struct iommu_hwpt_pgfault rec;

        fault_compose(g, i, &rec);
        if (mock_copy_to_user(ubuf + done, &rec, rs)) {
            break;
        }
        done += rs;
    }
    return done;
}

ssize_t mock_fault_read(MockFile *f, void *buf, size_t n)
{
    const size_t rs = sizeof(struct iommu_hwpt_pgfault);
    MockFault *fault = (MockFault *)f->obj;
    uint64_t ubuf = (uint64_t)(uintptr_t)buf;
    MockFaultGroup *g;
    size_t done = 0;
    int rc = 0;

    if (n % rs) {
        return -ESPIPE;
    }
    if (!fault) {
        return 0;
    }
    while ((g = g_queue_peek_head(&fault->deliver))) {
        if (done >= n || (uint64_t)g->count * rs > n - done) {
            /* 6.12 fails a read whose first group does not fit; newer
             * kernels leave it queued and return what was read (0). */
            if (!done && n && fault->obj.ctx->model == MOCK_MODEL_6_12) {
                rc = -EINVAL;
            }
            break;
        }
        g_queue_pop_head(&fault->deliver);
        rc = fault_cookie_alloc(fault, g);
        if (rc) {
            g_queue_push_head(&fault->deliver, g);
            break;
        }
        size_t w = fault_copy_group(g, ubuf + done);
        if (w < (size_t)g->count * rs) {
            /* put the group back, its cookie freed: it will be read again */
            g_hash_table_remove(fault->response, GUINT_TO_POINTER(g->cookie));
            g->cookie = 0;
            g_queue_push_head(&fault->deliver, g);
            done += w;
            rc = -EFAULT;
            break;
        }
        done += w;
    }
    fault_update_ready(fault);
    return done ? (ssize_t)done : rc;
}

ssize_t mock_fault_write(MockFile *f, const void *buf, size_t n)
{
    const size_t rs = sizeof(struct iommu_hwpt_page_response);
    MockFault *fault = (MockFault *)f->obj;
    uint64_t ubuf = (uint64_t)(uintptr_t)buf;
    size_t done = 0;
    int rc = 0;

    if (n % rs) {
        return -ESPIPE;
    }
    if (!fault) {
        return n ? -EINVAL : 0;
    }
    while (n > done) {
        struct iommu_hwpt_page_response resp;
        MockFaultGroup *g;

        if (mock_copy_from_user(&resp, ubuf + done, rs)) {
            rc = -EFAULT;
            break;
        }
        if (resp.code != IOMMUFD_PAGE_RESP_SUCCESS && resp.code != IOMMUFD_PAGE_RESP_INVALID) {
            rc = -EINVAL;
            break;
        }
        g = g_hash_table_lookup(fault->response, GUINT_TO_POINTER(resp.cookie));
        if (!g) {
            rc = -EINVAL;
            break;
        }
        g_hash_table_remove(fault->response, GUINT_TO_POINTER(resp.cookie));
        fault_group_answer(g);
        done += rs;
    }
    return done ? (ssize_t)done : rc;
}

/* ======================================================================== */
/* vIOMMU and its mmap region                                               */
/* ======================================================================== */

/* A region of the /dev/iommu fd that mmap() serves: a memfd, so that every
 * mapping of it shares the same pages (the kernel maps the same pages). */
typedef struct MockMmapRegion {
    MockViommu *owner;
    int memfd;
    uint64_t offset;
    uint64_t length;
} MockMmapRegion;

/* mtree_alloc_range from PAGE_SIZE: the lowest free range that fits. */
static uint64_t mmap_offset_alloc(MockCtx *ctx, uint64_t length)
{
    uint64_t cand = mock_page_size();
    bool moved = true;

    while (moved) {
        GHashTableIter it;
        gpointer value;

        moved = false;
        g_hash_table_iter_init(&it, ctx->mmap_regions);
        while (g_hash_table_iter_next(&it, NULL, &value)) {
            MockMmapRegion *r = value;

            if (cand < r->offset + r->length && r->offset < cand + length) {
                cand = r->offset + r->length;
                moved = true;
            }
        }
    }
    return cand;
}

static void mmap_region_free(MockCtx *ctx, uint64_t offset)
{
    MockMmapRegion *r;

    if (!ctx->mmap_regions) {
        return;
    }
    r = g_hash_table_lookup(ctx->mmap_regions, (gpointer)(uintptr_t)offset);
    if (!r) {
        return;
    }
    g_hash_table_remove(ctx->mmap_regions, (gpointer)(uintptr_t)offset);
    mock_real_close(r->memfd);
    g_free(r);
}

static int mmap_region_new(MockViommu *v, uint64_t length, uint32_t first_word, uint64_t *out)
{
    MockCtx *ctx = v->obj.ctx;
    MockMmapRegion *r;
    long fd;

    if (!ctx->mmap_regions) {
        ctx->mmap_regions = g_hash_table_new(g_direct_hash, g_direct_equal);
    }
    fd = syscall(SYS_memfd_create, "iommufd-mock-viommu", MFD_CLOEXEC);
    if (fd < 0) {
        return errno == EMFILE || errno == ENFILE ? -errno : -ENOMEM;
    }
    if (syscall(SYS_ftruncate, fd, (long)length) < 0 ||
        syscall(SYS_pwrite64, fd, &first_word, sizeof(first_word), 0L) != (long)sizeof(first_word)) {
        mock_real_close((int)fd);
        return -ENOMEM;
    }
    r = g_new0(MockMmapRegion, 1);
    r->owner = v;
    r->memfd = (int)fd;
    r->length = length;
    r->offset = mmap_offset_alloc(ctx, length);
    g_hash_table_insert(ctx->mmap_regions, (gpointer)(uintptr_t)r->offset, r);
    *out = r->offset;
    return 0;
}

typedef struct MmapHold {
    MockViommu *viommu;
    MockCtx *ctx;
} MmapHold;

/* Called under mock_lock when the last page of a region's mapping goes. */
static void mmap_hold_release(void *data)
{
    MmapHold *hold = data;

    hold->viommu->obj.users--;
    mock_ctx_put(hold->ctx);
    free(hold);
}

void *mock_ctx_mmap(MockFile *f, void *addr, size_t len, int prot, int flags, off_t off, int *err)
{
    MockCtx *ctx = f ? f->ctx : NULL;
    uint64_t ps = mock_page_size();
    MockMmapRegion *r = NULL;
    uint64_t rlen;
    int type = flags & MAP_TYPE;
    long p;

    if (!ctx) {
        *err = ENODEV;
        return MAP_FAILED;
    }
    /* the mm layer's checks come before the file's mmap */
    if (!len || ((uint64_t)off & (ps - 1)) || off < 0) {
        *err = EINVAL;
        return MAP_FAILED;
    }
    if (type != MAP_SHARED && type != MAP_SHARED_VALIDATE && type != MAP_PRIVATE) {
        *err = EINVAL;
        return MAP_FAILED;
    }
    if (flags & MAP_ANONYMOUS) {
        /* the fd is ignored: an anonymous mapping */
        p = syscall(SYS_mmap, addr, len, prot, flags, -1L, 0L);
        if (p == -1) {
            *err = errno;
            return MAP_FAILED;
        }
        return (void *)p;
    }
    if (ctx->model == MOCK_MODEL_6_12) {
        *err = ENODEV;           /* 6.12's /dev/iommu has no mmap */
        return MAP_FAILED;
    }
    rlen = ((uint64_t)len + ps - 1) & ~(ps - 1);
    if (type == MAP_PRIVATE) {
        *err = EINVAL;           /* only shared mappings */
        return MAP_FAILED;
    }
    if (prot & PROT_EXEC) {
        *err = EPERM;
        return MAP_FAILED;
    }
    if (ctx->mmap_regions) {
        r = g_hash_table_lookup(ctx->mmap_regions, (gpointer)(uintptr_t)(uint64_t)off);
    }
    /* only a whole region, from its start */
    if (!r || rlen != r->length) {
        *err = ENXIO;
        return MAP_FAILED;
    }
    p = syscall(SYS_mmap, addr, len, prot, flags, (long)r->memfd, 0L);
    if (p == -1) {
        *err = errno;
        return MAP_FAILED;
    }
    /* Like the kernel's VMA, the mapping holds the vIOMMU (IOMMU_DESTROY
     * answers EBUSY) and the file (the context outlives its last close)
     * until every page of it is unmapped. */
    MmapHold *hold = malloc(sizeof(*hold));
    if (!hold || mock_mapping_add((void *)p, len, mmap_hold_release, hold)) {
        free(hold);
        syscall(SYS_munmap, p, len);
        *err = ENOMEM;
        return MAP_FAILED;
    }
    hold->viommu = r->owner;
    hold->ctx = ctx;
    r->owner->obj.users++;
    mock_ctx_get(ctx);
    return (void *)p;
}

static void viommu_destroy(MockObj *obj)
{
    MockViommu *v = (MockViommu *)obj;

    if (v->mmap_length) {
        mmap_region_free(obj->ctx, v->mmap_offset);
    }
    if (v->vdevs) {
        g_hash_table_destroy(v->vdevs);
    }
    if (v->parent) {
        v->parent->obj.users--;
    }
}

/* The selftest driver's viommu_init with user data: in_data loops back to
 * out_data and to the first word of a two-page region the caller can mmap. */
static int viommu_init_data(MockViommu *v, uint64_t uptr, uint32_t len)
{
    struct iommu_viommu_selftest data;
    uint64_t off;
    int rc;

    memset(&data, 0, sizeof(data));
    if (len < offsetofend(struct iommu_viommu_selftest, out_data)) {
        return -EINVAL;
    }
    rc = mock_copy_struct_from_user(&data, sizeof(data), uptr, len);
    if (rc) {
        return rc;
    }
    rc = mmap_region_new(v, 2 * mock_page_size(), data.in_data, &off);
    if (rc) {
        return rc;
    }
    v->mmap_offset = off;
    v->mmap_length = 2 * mock_page_size();
    data.out_data = data.in_data;
    data.out_mmap_offset = off;
    data.out_mmap_length = v->mmap_length;
    return struct_to_user(uptr, len, &data, sizeof(data));
}

/* Kernel order (viommu.c): flags/type, device, driver type, parent HWPT. */
int mock_viommu_alloc(MockCtx *ctx, void *cmd)
{
    struct iommu_viommu_alloc *c = cmd;
    MockDevice *dev;
    MockHwpt *hwpt;
    MockViommu *v;
    int err = 0;

    if (c->flags || c->type == IOMMU_VIOMMU_TYPE_DEFAULT) {
        return -EOPNOTSUPP;
    }
    dev = (MockDevice *)mock_obj_find(ctx, c->dev_id, MOCK_OBJ_DEVICE);
    if (!dev) {
        return -ENOENT;
    }
    if (c->type != IOMMU_VIOMMU_TYPE_SELFTEST) {
        return -EOPNOTSUPP;      /* the mock driver has no other vIOMMU type */
    }
    hwpt = (MockHwpt *)mock_obj_find(ctx, c->hwpt_id, MOCK_OBJ_HWPT_PAGING);
    if (!hwpt) {
        return -ENOENT;
    }
    if (!(hwpt->alloc_flags & IOMMU_HWPT_ALLOC_NEST_PARENT)) {
        return -EINVAL;
    }
    v = mock_obj_alloc(ctx, MOCK_OBJ_VIOMMU, sizeof(*v), viommu_destroy, &err);
    if (!v) {
        return err;
    }
    v->parent = hwpt;
    hwpt->obj.users++;
    v->dev = dev;                /* informational: no reference, as the kernel */
    v->type = c->type;
    v->vdevs = g_hash_table_new(g_int64_hash, g_int64_equal);
    if (c->data_len) {
        err = viommu_init_data(v, c->data_uptr, c->data_len);
        if (err) {
            mock_obj_remove(&v->obj);
            return err;
        }
    }
    c->out_viommu_id = v->obj.id;
    return 0;
}

/* ======================================================================== */
/* vDEVICE                                                                  */
/* ======================================================================== */

static void vdevice_destroy(MockObj *obj)
{
    MockVdevice *vd = (MockVdevice *)obj;

    if (vd->viommu) {
        if (g_hash_table_lookup(vd->viommu->vdevs, &vd->virt_id) == vd) {
            g_hash_table_remove(vd->viommu->vdevs, &vd->virt_id);
        }
        vd->viommu->obj.users--;
    }
    if (vd->dev) {
        if (vd->dev->vdev == vd) {
            vd->dev->vdev = NULL;
        }
        vd->dev->obj.users--;
    }
}

int mock_vdevice_alloc(MockCtx *ctx, void *cmd)
{
    struct iommu_vdevice_alloc *c = cmd;
    MockViommu *v;
    MockDevice *dev;
    MockVdevice *vd;
    int err = 0;

    if (c->virt_id > ULONG_MAX) {
        return -EINVAL;          /* it indexes an xarray */
    }
    v = (MockViommu *)mock_obj_find(ctx, c->viommu_id, MOCK_OBJ_VIOMMU);
    if (!v) {
        return -ENOENT;
    }
    dev = (MockDevice *)mock_obj_find(ctx, c->dev_id, MOCK_OBJ_DEVICE);
    if (!dev) {
        return -ENOENT;
    }
    /* every mock device sits behind the one mock IOMMU: no EINVAL for a
     * device of another physical IOMMU */
    if (dev->vdev || g_hash_table_contains(v->vdevs, &c->virt_id)) {
        return -EEXIST;
    }
    vd = mock_obj_alloc(ctx, MOCK_OBJ_VDEVICE, sizeof(*vd), vdevice_destroy, &err);
    if (!vd) {
        return err;
    }
    vd->viommu = v;
    v->obj.users++;
    vd->dev = dev;
    dev->obj.users++;
    vd->virt_id = c->virt_id;
    dev->vdev = vd;
    g_hash_table_insert(v->vdevs, &vd->virt_id, vd);
    c->out_vdevice_id = vd->obj.id;
    return 0;
}

/* ======================================================================== */
/* vEVENTQ                                                                  */
/* ======================================================================== */

typedef struct MockVevent {
    uint32_t flags;              /* IOMMU_VEVENTQ_FLAG_LOST_EVENTS or 0 */
    uint32_t sequence;
    uint32_t data_len;           /* 0 for the LOST_EVENTS header */
    uint32_t virt_id;            /* the selftest payload */
} MockVevent;

typedef struct MockVeventq MockVeventq;
struct MockVeventq {
    MockObj obj;
    MockViommu *viommu;
    MockVeventq *next;           /* the chain of its vIOMMU's slot */
    uint32_t type;
    uint32_t depth;
    uint32_t num_events;         /* real events queued */
    uint32_t sequence;           /* the next one to hand out */
    GQueue deliver;              /* MockVevent *, oldest first */
    MockVevent lost;             /* the LOST_EVENTS header, at the tail when queued */
    bool lost_queued;
    MockFile *file;              /* the fd's file while it lives */
    int read_fd;                 /* an fd number of that file (the pipe's read end) */
    bool signalled;              /* a byte is in the pipe */
};

/*
 * MockViommu.veventqs[] slots: the known types get one each, anything else
 * (the kernel accepts any non-zero type) shares the last; each slot is a
 * chain, one queue per type.
 */
static unsigned veventq_slot(uint32_t type)
{
    switch (type) {
    case IOMMU_VEVENTQ_TYPE_SELFTEST:
        return 0;
    case IOMMU_VEVENTQ_TYPE_ARM_SMMUV3:
        return 1;
    case IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV:
        return 2;
    default:
        return 3;
    }
}

static MockVeventq *veventq_find(MockViommu *v, uint32_t type)
{
    for (MockVeventq *q = v->veventqs[veventq_slot(type)]; q; q = q->next) {
        if (q->type == type) {
            return q;
        }
    }
    return NULL;
}

/*
 * An fd number the caller holds for the queue's file, to drain the pipe
 * through: the one it was created with, or, when the caller closed that one
 * and kept a dup, another that maps to the same file.
 */
static int veventq_read_fd(MockVeventq *q)
{
    if (q->read_fd >= 0 && mock_fd_lookup(q->read_fd) == q->file) {
        return q->read_fd;
    }
    q->read_fd = -1;
    for (int fd = 0; fd < MOCK_MAX_FDS; fd++) {
        if (mock_fd_lookup(fd) == q->file) {
            q->read_fd = fd;
            break;
        }
    }
    return q->read_fd;
}

static void veventq_update_ready(MockVeventq *q)
{
    bool want = !g_queue_is_empty(&q->deliver);
    char b = 0;

    if (!q->file || want == q->signalled) {
        return;
    }
    if (want) {
        if (q->file->notify_fd >= 0 && syscall(SYS_write, q->file->notify_fd, &b, 1L) == 1) {
            q->signalled = true;
        }
    } else {
        int fd = veventq_read_fd(q);

        if (fd >= 0) {
            syscall(SYS_read, fd, &b, 1L);
        }
        q->signalled = false;
    }
}

static void veventq_destroy(MockObj *obj)
{
    MockVeventq *q = (MockVeventq *)obj;
    MockVevent *e;

    while ((e = g_queue_pop_head(&q->deliver))) {
        if (e != &q->lost) {
            g_free(e);
        }
    }
    if (q->viommu) {
        MockVeventq **pp = &q->viommu->veventqs[veventq_slot(q->type)];

        while (*pp && *pp != q) {
            pp = &(*pp)->next;
        }
        if (*pp) {
            *pp = q->next;
        }
        q->viommu->obj.users--;
    }
    if (q->file) {
        q->file->obj = NULL;     /* only on a forced teardown */
    }
}

static void veventq_file_release(MockFile *f)
{
    MockVeventq *q = (MockVeventq *)f->obj;

    if (q) {
        q->file = NULL;
        q->signalled = false;
        q->read_fd = -1;
    }
}

/* Kernel order (eventq.c): flags/reserved/type, depth, vIOMMU, EEXIST. */
int mock_veventq_alloc(MockCtx *ctx, void *cmd)
{
    struct iommu_veventq_alloc *c = cmd;
    MockViommu *v;
    MockVeventq *q;
    MockFile *f;
    int p[2];
    int err = 0;

    if (c->flags || c->__reserved || c->type == IOMMU_VEVENTQ_TYPE_DEFAULT) {
        return -EOPNOTSUPP;
    }
    if (!c->veventq_depth) {
        return -EINVAL;
    }
    v = (MockViommu *)mock_obj_find(ctx, c->viommu_id, MOCK_OBJ_VIOMMU);
    if (!v) {
        return -ENOENT;
    }
    if (veventq_find(v, c->type)) {
        return -EEXIST;
    }
    q = mock_obj_alloc(ctx, MOCK_OBJ_VEVENTQ, sizeof(*q), veventq_destroy, &err);
    if (!q) {
        return err;
    }
    g_queue_init(&q->deliver);
    q->type = c->type;
    q->depth = c->veventq_depth;
    q->lost.flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
    q->read_fd = -1;
    q->viommu = v;
    v->obj.users++;
    q->next = v->veventqs[veventq_slot(q->type)];
    v->veventqs[veventq_slot(q->type)] = q;

    if (syscall(SYS_pipe2, p, O_CLOEXEC | O_NONBLOCK) < 0) {
        err = -errno;
        mock_obj_remove(&q->obj);
        return err;
    }
    f = mock_file_new(MOCK_FILE_VEVENTQ, p[0]);
    if (!f) {
        err = p[0] >= MOCK_MAX_FDS ? -EMFILE : -ENOMEM;
        mock_real_close(p[0]);
        mock_real_close(p[1]);
        mock_obj_remove(&q->obj);
        return err;
    }
    q->read_fd = p[0];
    f->ctx = ctx;
    mock_ctx_get(ctx);
    f->obj = &q->obj;
    q->obj.users++;              /* the fd's reference */
    f->notify_fd = p[1];
    f->flags = O_RDWR;
    f->release = veventq_file_release;
    q->file = f;

    c->out_veventq_id = q->obj.id;
    c->out_veventq_fd = (uint32_t)p[0];
    return 0;
}

/*
 * iommufd_viommu_report_event + iommufd_vevent_handler: a full queue gets
 * the LOST_EVENTS header (re)placed at its tail instead; the header leaves
 * the tail when the next real event comes; every queued entry, the header
 * included, takes a sequence number.
 */
static int veventq_report(MockViommu *v, uint32_t type, uint32_t virt_id)
{
    MockVeventq *q = veventq_find(v, type);
    MockVevent *e;

    if (!q) {
        return -EOPNOTSUPP;
    }
    if (q->num_events == q->depth) {
        e = &q->lost;
    } else {
        e = g_new0(MockVevent, 1);
        e->data_len = sizeof(struct iommu_viommu_event_selftest);
        e->virt_id = virt_id;
        q->num_events++;
    }
    if (q->lost_queued && g_queue_peek_tail(&q->deliver) == &q->lost) {
        g_queue_pop_tail(&q->deliver);
        q->lost_queued = false;
    }
    g_queue_push_tail(&q->deliver, e);
    if (e == &q->lost) {
        q->lost_queued = true;
    }
    e->sequence = q->sequence;
    q->sequence = (q->sequence + 1) & INT_MAX;
    veventq_update_ready(q);
    return 0;
}

/*
 * The selftest's TRIGGER_VEVENT: the device must be attached (RID) to a
 * nested HWPT of a vIOMMU on which it has a vDEVICE with a non-zero virt_id
 * (the driver records that at attach), else ENOENT; EOPNOTSUPP when the
 * vIOMMU has no selftest queue.
 */
int mock_vevent_report(MockDevice *dev)
{
    MockHwpt *hwpt = dev ? dev->hwpt : NULL;
    MockViommu *v;

    if (!hwpt || hwpt->obj.type != MOCK_OBJ_HWPT_NESTED || !hwpt->viommu) {
        return -ENOENT;
    }
    v = hwpt->viommu;
    if (!dev->vdev || dev->vdev->viommu != v || !dev->vdev->virt_id) {
        return -ENOENT;
    }
    return veventq_report(v, IOMMU_VEVENTQ_TYPE_SELFTEST, (uint32_t)dev->vdev->virt_id);
}

ssize_t mock_veventq_read(MockFile *f, void *buf, size_t n)
{
    const size_t hs = sizeof(struct iommufd_vevent_header);
    MockVeventq *q = (MockVeventq *)f->obj;
    uint64_t ubuf = (uint64_t)(uintptr_t)buf;
    MockVevent *e;
    size_t done = 0;
    int rc = 0;

    if (!q) {
        return 0;
    }
    while ((e = g_queue_peek_head(&q->deliver))) {
        struct iommufd_vevent_header hdr = { .flags = e->flags, .sequence = e->sequence };
        uint8_t rec[sizeof(hdr) + sizeof(uint32_t)];
        size_t len = hs + e->data_len;

        /* whole entries only (the header alone for LOST_EVENTS) */
        if (done >= n || len > n - done) {
            break;
        }
        memcpy(rec, &hdr, hs);
        memcpy(rec + hs, &e->virt_id, e->data_len);
        if (mock_copy_to_user(ubuf + done, rec, len)) {
            /* as the kernel: header and payload are two copies, and a
             * failed payload leaves the header counted */
            if (e->data_len && !mock_copy_to_user(ubuf + done, rec, hs)) {
                done += hs;
            }
            rc = -EFAULT;
            break;
        }
        g_queue_pop_head(&q->deliver);
        if (e == &q->lost) {
            q->lost_queued = false;
        } else {
            q->num_events--;
            g_free(e);
        }
        done += len;
    }
    veventq_update_ready(q);
    return done ? (ssize_t)done : rc;
}

/* ======================================================================== */
/* HW queue                                                                 */
/* ======================================================================== */

typedef struct MockHwQueue {
    MockObj obj;
    MockViommu *viommu;
    struct MockHwQueue *prev;    /* index - 1, which it depends on (users++) */
    uint32_t index;
    uint32_t type;
    uint64_t base_addr;
    uint64_t length;
} MockHwQueue;

static int hw_queue_pin(MockIoas *ioas, uint64_t iova, uint64_t length, int delta);

static void hw_queue_destroy(MockObj *obj)
{
    MockHwQueue *hq = (MockHwQueue *)obj;

    if (hq->viommu) {
        /* the vIOMMU holds the parent HWPT, which holds the IOAS */
        hw_queue_pin(hq->viommu->parent->ioas, hq->base_addr, hq->length, -1);
    }
    if (hq->prev) {
        hq->prev->obj.users--;
    }
    if (hq->viommu) {
        hq->viommu->obj.users--;
    }
}

static MockHwQueue *hw_queue_at(MockCtx *ctx, MockViommu *v, uint32_t index)
{
    GHashTableIter it;
    gpointer value;

    g_hash_table_iter_init(&it, ctx->objects);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        MockHwQueue *hq = value;

        if (hq->obj.type == MOCK_OBJ_HW_QUEUE && hq->viommu == v && hq->index == index) {
            return hq;
        }
    }
    return NULL;
}

/*
 * Like the kernel's internal access pinning the queue's pages (page
 * aligned) through the parent HWPT's IOAS: every byte mapped (ENOENT), the
 * areas readable (EPERM).  With `delta` 0 it only checks; +1 / -1 then pins
 * or unpins every area of the range (MockArea.internal_pins: an internal
 * access has no unmap callback, so IOAS_UNMAP of a pinned area is EBUSY).
 */
static int hw_queue_pin(MockIoas *ioas, uint64_t iova, uint64_t length, int delta)
{
    uint64_t ps = mock_page_size();
    uint64_t start = iova & ~(ps - 1);
    uint64_t len, last;

    if (__builtin_add_overflow(iova - start, length, &len) ||
        __builtin_add_overflow(len, ps - 1, &len)) {
        return -ERANGE;
    }
    len &= ~(ps - 1);
    last = start + len - 1;
    if (!ioas) {
        return -ENOENT;
    }
    for (uint64_t cur = start;;) {
        MockArea *a = mock_ioas_area_at(ioas, cur);

        if (!a) {
            return -ENOENT;
        }
        if (!(a->flags & IOMMU_IOAS_MAP_READABLE)) {
            return -EPERM;
        }
        a->internal_pins += delta;
        if (a->last >= last) {
            return 0;
        }
        cur = a->last + 1;
    }
}

/* Kernel order (viommu.c + the selftest driver's hw_queue_init_phys). */
int mock_hw_queue_alloc(MockCtx *ctx, void *cmd)
{
    struct iommu_hw_queue_alloc *c = cmd;
    MockHwQueue *hq, *prev = NULL;
    MockViommu *v;
    uint64_t last;
    int err = 0;

    if (c->flags || c->type == IOMMU_HW_QUEUE_TYPE_DEFAULT) {
        return -EOPNOTSUPP;
    }
    if (!c->length) {
        return -EINVAL;
    }
    if (__builtin_add_overflow(c->nesting_parent_iova, c->length - 1, &last)) {
        return -EOVERFLOW;
    }
    v = (MockViommu *)mock_obj_find(ctx, c->viommu_id, MOCK_OBJ_VIOMMU);
    if (!v) {
        return -ENOENT;
    }
    if (c->type != IOMMU_HW_QUEUE_TYPE_SELFTEST) {
        return -EOPNOTSUPP;
    }
    err = hw_queue_pin(v->parent ? v->parent->ioas : NULL, c->nesting_parent_iova, c->length, 0);
    if (err) {
        return err;
    }
    if (c->index >= IOMMU_TEST_HW_QUEUE_MAX) {
        return -EINVAL;
    }
    if (hw_queue_at(ctx, v, c->index)) {
        return -EEXIST;
    }
    if (c->index) {
        prev = hw_queue_at(ctx, v, c->index - 1);
        if (!prev) {
            return -EIO;         /* queues come in index order */
        }
    }
    hq = mock_obj_alloc(ctx, MOCK_OBJ_HW_QUEUE, sizeof(*hq), hw_queue_destroy, &err);
    if (!hq) {
        return err;
    }
    hq->viommu = v;
    v->obj.users++;
    hq->index = c->index;
    hq->type = c->type;
    hq->base_addr = c->nesting_parent_iova;
    hq->length = c->length;
    hw_queue_pin(v->parent->ioas, hq->base_addr, hq->length, 1);
    if (prev) {
        hq->prev = prev;
        prev->obj.users++;
    }
    c->out_hw_queue_id = hq->obj.id;
    return 0;
}

/* ======================================================================== */
/* Fixtures API                                                             */
/* ======================================================================== */

/* The context behind an iommufd fd, under mock_lock. */
static int fixture_ctx(int iommufd, MockCtx **ctx)
{
    MockFile *f = mock_fd_lookup(iommufd);

    if (!f) {
        return -EBADF;
    }
    if (f->kind != MOCK_FILE_CTX || !f->ctx) {
        return -EINVAL;
    }
    *ctx = f->ctx;
    return 0;
}

IOMMUFD_MOCK_API int iommufd_mock_trigger_fault(int iommufd, uint32_t dev_id, uint32_t pasid,
                                                uint32_t grpid, uint32_t perm, uint64_t addr,
                                                unsigned count)
{
    MockCtx *ctx = NULL;
    MockDevice *dev;
    int rc;

    mock_ensure_init();
    pthread_mutex_lock(&mock_lock);
    rc = fixture_ctx(iommufd, &ctx);
    if (!rc) {
        dev = (MockDevice *)mock_obj_find(ctx, dev_id, MOCK_OBJ_DEVICE);
        if (!dev) {
            rc = -ENOENT;
        } else if (!count) {
            rc = -EINVAL;
        } else {
            rc = mock_fault_report(dev, pasid, grpid, perm, addr, count);
        }
    }
    pthread_mutex_unlock(&mock_lock);
    return rc;
}

IOMMUFD_MOCK_API int iommufd_mock_trigger_vevent(int iommufd, uint32_t dev_id)
{
    MockCtx *ctx = NULL;
    MockDevice *dev;
    int rc;

    mock_ensure_init();
    pthread_mutex_lock(&mock_lock);
    rc = fixture_ctx(iommufd, &ctx);
    if (!rc) {
        dev = (MockDevice *)mock_obj_find(ctx, dev_id, MOCK_OBJ_DEVICE);
        rc = dev ? mock_vevent_report(dev) : -ENOENT;
    }
    pthread_mutex_unlock(&mock_lock);
    return rc;
}

IOMMUFD_MOCK_API int iommufd_mock_veventq_set_sequence(int iommufd, uint32_t veventq_id,
                                                       uint32_t sequence)
{
    MockCtx *ctx = NULL;
    MockVeventq *q;
    int rc;

    mock_ensure_init();
    pthread_mutex_lock(&mock_lock);
    rc = fixture_ctx(iommufd, &ctx);
    if (!rc) {
        q = (MockVeventq *)mock_obj_find(ctx, veventq_id, MOCK_OBJ_VEVENTQ);
        if (!q) {
            rc = -ENOENT;
        } else if (sequence > INT_MAX) {
            rc = -EINVAL;
        } else {
            q->sequence = sequence;
        }
    }
    pthread_mutex_unlock(&mock_lock);
    return rc;
}
