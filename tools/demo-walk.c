/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The demo walk: a VMM's path through iommufd (see demo-walk.h).
 *
 * Every object the walk creates is recorded in a Walk as soon as it exists,
 * and one teardown function destroys whatever is recorded, leaves first.
 * The normal end of the walk and every failure go through it, so a failure
 * at any step leaves nothing behind.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "demo-walk.h"
#include "iommufd/events.h"
#include "iommufd/vfio.h"
#include "uapi/linux/iommufd.h"

/* The mock's fixtures (include/iommufd/mock.h), looked up at run time so
 * that the walk also runs on a kernel, where they do not exist. */
typedef int (*AddDeviceFn)(uint32_t flags, char *path, size_t len);
typedef int (*TriggerFaultFn)(int iommufd, uint32_t dev_id, uint32_t pasid, uint32_t grpid,
                              uint32_t perm, uint64_t addr, unsigned count);
typedef int (*TriggerVeventFn)(int iommufd, uint32_t dev_id);

#define DEMO_RAM_SIZE   (16u << 20)
#define DEMO_PAGE_SIZE  4096u
#define DEMO_VIRT_ID    0x1u
#define DEMO_FAULT_GRP  7u
#define DEMO_VEVENTQ_DEPTH 64u

typedef struct Walk {
    IOMMUFDBackend *be;
    FILE *out;
    bool connected;
    int vfio_fd;
    IOMMUFDFaultq *faultq;
    IOMMUFDVeventq *veventq;
    uint32_t dev_id;
    uint32_t ioas_id;
    uint32_t parent;
    uint32_t fault_id;
    uint32_t veventq_id;
    uint32_t viommu;
    uint32_t vdev;
    uint32_t nested;
    bool attached;
    bool dirty_on;
    void *ram;
    bool ram_mapped;
    uint64_t ram_iova;
} Walk;

static void step(Walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void step(Walk *w, const char *fmt, ...)
{
    if (!w->out) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fputs("demo: ", w->out);
    vfprintf(w->out, fmt, ap);
    fputc('\n', w->out);
    fflush(w->out);
    va_end(ap);
}

/*
 * Take the error of a teardown step: the first one is the walk's error,
 * later ones (often consequences of the first, EBUSY) are dropped.
 */
static void keep_first(IOMMUFDError **first, IOMMUFDError *err)
{
    if (!err) {
        return;
    }
    if (first && !*first) {
        *first = err;
    } else {
        iommufd_error_free(err);
    }
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* Destroy one object, forgetting its id only when the destroy succeeded. */
static bool free_obj(Walk *w, uint32_t *id, IOMMUFDError **first)
{
    IOMMUFDError *err = NULL;

    if (!*id) {
        return true;
    }
    if (!iommufd_backend_free_id(w->be, *id, &err)) {
        keep_first(first, err);
        return false;
    }
    *id = 0;
    return true;
}

/*
 * Close a queue object: it leaves any main loop, closes its fd, then
 * destroys its kernel object, @id.  When that destroy fails (EBUSY: a HWPT
 * still uses it) the queue is gone but the object stays: @id stays
 * recorded for the next pass to destroy with IOMMU_DESTROY.
 */
static bool free_queue(Walk *w, IOMMUFDFaultq **fq, IOMMUFDVeventq **vq, uint32_t *id,
                       IOMMUFDError **first)
{
    IOMMUFDError *err = NULL;
    bool ok;

    if (fq && *fq) {
        ok = iommufd_faultq_close(*fq, &err);
        *fq = NULL;
    } else if (vq && *vq) {
        ok = iommufd_veventq_close(*vq, &err);
        *vq = NULL;
    } else {
        /* the queue is closed, its object was left behind: destroy it */
        return free_obj(w, id, first);
    }
    if (!ok) {
        keep_first(first, err);
        return false;
    }
    *id = 0;
    return true;
}

/*
 * Tear down whatever is recorded in @w, leaves first: stop dirty tracking,
 * detach the device, the nested HWPT, the vEVENTQ, the vDEVICE, the vIOMMU,
 * the fault queue, the parent HWPT, the guest RAM mapping, the IOAS, the
 * device (closing its fd unbinds it), the RAM itself, the backend's user.
 * Every step is tried even after one failed; the first error goes to
 * @first (may be NULL).  What failed stays recorded, so a second call
 * tries it again.  @return true when everything is gone.
 */
static bool walk_teardown(Walk *w, bool final, IOMMUFDError **first)
{
    IOMMUFDError *err = NULL;
    bool ok = true;

    if (w->dirty_on) {
        if (iommufd_backend_set_dirty_tracking(w->be, w->parent, false, &err)) {
            w->dirty_on = false;
        } else {
            keep_first(first, err);
            err = NULL;
            ok = false;
        }
    }
    if (w->attached) {
        if (iommufd_vfio_device_detach(w->vfio_fd, &err)) {
            w->attached = false;
        } else {
            keep_first(first, err);
            err = NULL;
            ok = false;
        }
    }
    ok &= free_obj(w, &w->nested, first);
    /* a queue's fd is closed before the queue is destroyed (the queue
     * objects do it in that order) */
    ok &= free_queue(w, NULL, &w->veventq, &w->veventq_id, first);
    ok &= free_obj(w, &w->vdev, first);
    ok &= free_obj(w, &w->viommu, first);
    ok &= free_queue(w, &w->faultq, NULL, &w->fault_id, first);
    ok &= free_obj(w, &w->parent, first);
    if (w->ram_mapped) {
        if (iommufd_backend_unmap_dma(w->be, w->ioas_id, w->ram_iova, DEMO_RAM_SIZE, NULL,
                                      &err)) {
            w->ram_mapped = false;
        } else {
            keep_first(first, err);
            err = NULL;
            ok = false;
        }
    }
    ok &= free_obj(w, &w->ioas_id, first);
    if (!ok && !final) {
        /* keep the device and the context so that another pass can finish */
        return false;
    }
    close_fd(&w->vfio_fd);
    w->attached = false;
    w->dev_id = 0;
    if (w->ram != MAP_FAILED) {
        munmap(w->ram, DEMO_RAM_SIZE);
        w->ram = MAP_FAILED;
    }
    if (w->connected) {
        iommufd_backend_disconnect(w->be);
        w->connected = false;
    }
    return ok;
}

/* A mock fixture's answer (0 or -errno) as the walk's error. */
static bool fixture_ok(int r, IOMMUFDError **errp, const char *what)
{
    if (r < 0) {
        iommufd_error_setg_errno(errp, -r, "%s failed", what);
        return false;
    }
    return true;
}

/*
 * IOMMU_HWPT_ALLOC on the IOAS with @flags into w->parent.  EOPNOTSUPP (the
 * IOMMU lacks a flag) is no failure: w->parent stays 0 and the error goes to
 * @refused (freed when NULL).  @return false on any other error.
 */
static bool walk_alloc_parent(Walk *w, uint32_t flags, IOMMUFDError **refused,
                              IOMMUFDError **errp)
{
    IOMMUFDError *err = NULL;

    if (iommufd_backend_alloc_hwpt(w->be, w->dev_id, w->ioas_id, flags, 0, 0, NULL, 0,
                                   &w->parent, &err)) {
        return true;
    }
    w->parent = 0;
    if (iommufd_error_get_errno(err) != EOPNOTSUPP) {
        iommufd_error_propagate(errp, err);
        return false;
    }
    if (refused) {
        *refused = err;
    } else {
        iommufd_error_free(err);
    }
    return true;
}

static bool walk_nest(Walk *w, bool on_mock, bool has_viommu, bool has_veventq,
                      TriggerFaultFn trigger_fault, TriggerVeventFn trigger_vevent,
                      IOMMUFDError **errp);
static bool walk_read_queues(Walk *w, IOMMUFDError **errp);
static bool walk_dirty(Walk *w, bool nesting, IOMMUFDError **errp);

static bool walk_build(Walk *w, const char *vfio_node, IOMMUFDError **errp)
{
    AddDeviceFn add_device = (AddDeviceFn)dlsym(RTLD_DEFAULT, "iommufd_mock_add_device");
    TriggerFaultFn trigger_fault =
        (TriggerFaultFn)dlsym(RTLD_DEFAULT, "iommufd_mock_trigger_fault");
    TriggerVeventFn trigger_vevent =
        (TriggerVeventFn)dlsym(RTLD_DEFAULT, "iommufd_mock_trigger_vevent");
    bool on_mock = add_device && trigger_fault && trigger_vevent;
    IOMMUFDFeatures f;
    char node[256];

    if (!iommufd_backend_connect(w->be, errp)) {
        return false;
    }
    w->connected = true;
    if (!iommufd_backend_probe(w->be, &f, errp)) {
        return false;
    }
    bool has_viommu = iommufd_features_has(&f, IOMMUFD_CMD_VIOMMU_ALLOC) &&
                      iommufd_features_has(&f, IOMMUFD_CMD_VDEVICE_ALLOC);
    bool has_veventq = iommufd_features_has(&f, IOMMUFD_CMD_VEVENTQ_ALLOC);
    step(w, "connected to %s /dev/iommu (fd %d); vIOMMU commands: %s",
         on_mock ? "the mock's" : "the kernel's", iommufd_backend_get_fd(w->be),
         has_viommu ? "yes" : "no (a 6.12 kernel)");

    /* the device */
    if (!vfio_node) {
        if (!add_device) {
            iommufd_error_setg_errno(errp, ENODEV, "the demo needs a VFIO device node, or the "
                                     "mock (iommufd-probe --mock demo) to create one");
            return false;
        }
        if (!fixture_ok(add_device(0, node, sizeof(node)), errp,
                        "creating a mock VFIO device")) {
            return false;
        }
        vfio_node = node;
    }
    w->vfio_fd = iommufd_vfio_device_open(vfio_node, errp);
    if (w->vfio_fd < 0) {
        return false;
    }
    if (!iommufd_backend_bind_device(w->be, w->vfio_fd, NULL, &w->dev_id, errp)) {
        return false;
    }
    step(w, "VFIO device %s bound: dev_id %u", vfio_node, w->dev_id);

    /* the IOAS, and the device on it through a HWPT the kernel allocates */
    uint32_t hwpt = 0;
    if (!iommufd_backend_alloc_ioas(w->be, &w->ioas_id, errp) ||
        !iommufd_vfio_device_attach(w->vfio_fd, w->ioas_id, &hwpt, errp)) {
        return false;
    }
    w->attached = true;
    step(w, "IOAS %u allocated; device attached through the kernel's HWPT %u", w->ioas_id,
         hwpt);

    /* guest RAM, mapped at the first aligned usable IOVA */
    IOMMUFDIovaRange *ranges = NULL;
    uint32_t n_ranges = 0;
    uint64_t align = 0;
    if (!iommufd_backend_get_iova_ranges(w->be, w->ioas_id, &ranges, &n_ranges, &align, errp)) {
        return false;
    }
    if (align < DEMO_PAGE_SIZE) {
        align = DEMO_PAGE_SIZE;
    }
    w->ram_iova = n_ranges ? (ranges[0].start + align - 1) / align * align : 0;
    g_free(ranges);
    w->ram = mmap(NULL, DEMO_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                  -1, 0);
    if (w->ram == MAP_FAILED) {
        iommufd_error_setg_errno(errp, errno, "allocating %u MiB of guest RAM failed",
                                 DEMO_RAM_SIZE >> 20);
        return false;
    }
    if (!iommufd_backend_map_dma(w->be, w->ioas_id, w->ram_iova, DEMO_RAM_SIZE, w->ram, false,
                                 errp)) {
        return false;
    }
    w->ram_mapped = true;
    step(w, "guest RAM: %u MiB mapped at IOVA 0x%" PRIx64 " (%u usable ranges, alignment 0x%"
         PRIx64 ")", DEMO_RAM_SIZE >> 20, w->ram_iova, n_ranges, align);

    /* what the physical IOMMU is */
    uint32_t type = 0, len = 0;
    uint64_t caps = 0;
    uint8_t pasid_bits = 0;
    uint8_t info[64];
    if (!iommufd_backend_get_device_info(w->be, w->dev_id, &type, info, sizeof(info), &caps,
                                         &pasid_bits, &len, errp)) {
        return false;
    }
    step(w, "hw info: type 0x%x, %u bytes of driver data, capabilities 0x%" PRIx64
         ", PASID width %u", type, len, caps, pasid_bits);

    /* the nesting parent: the stage-2 the guest's own tables sit on.  An
     * IOMMU without nesting or dirty tracking (QEMU's emulated VT-d, say)
     * refuses the flags with EOPNOTSUPP: then, as a VMM would, do without
     * what was refused and say so */
    bool nesting = true, dirty = true;
    IOMMUFDError *refused = NULL;
    if (!walk_alloc_parent(w, IOMMUFD_HWPT_ALLOC_NEST_PARENT |
                           IOMMUFD_HWPT_ALLOC_DIRTY_TRACKING, &refused, errp)) {
        return false;
    }
    if (!w->parent) {
        if (!walk_alloc_parent(w, IOMMUFD_HWPT_ALLOC_NEST_PARENT, NULL, errp)) {
            iommufd_error_free(refused);
            return false;
        }
        if (w->parent) {
            dirty = false;
        } else {
            nesting = false;
            if (!walk_alloc_parent(w, IOMMUFD_HWPT_ALLOC_DIRTY_TRACKING, NULL, errp)) {
                iommufd_error_free(refused);
                return false;
            }
            dirty = w->parent != 0;
        }
        step(w, "the IOMMU refused a nesting parent with dirty tracking (%s); going on "
             "without %s", iommufd_error_get_pretty(refused),
             !nesting && !dirty ? "nesting and dirty tracking"
                                : !nesting ? "nesting" : "dirty tracking");
        iommufd_error_free(refused);
    }
    if (nesting) {
        step(w, "nesting parent HWPT %u on IOAS %u (%s)", w->parent, w->ioas_id,
             dirty ? "dirty tracking" : "no dirty tracking");
    } else if (dirty) {
        step(w, "paging HWPT %u on IOAS %u (dirty tracking, no nesting)", w->parent,
             w->ioas_id);
    }
    if (!nesting) {
        step(w, "no nesting: no vIOMMU, vDEVICE, vEVENTQ, fault queue or nested HWPT; the "
             "device stays on %s", dirty ? "its HWPTs on the IOAS" : "the IOAS");
    }
    if (nesting && !walk_nest(w, on_mock, has_viommu, has_veventq, trigger_fault,
                              trigger_vevent, errp)) {
        return false;
    }
    if (!dirty) {
        step(w, "no dirty tracking: migration would have to treat all guest RAM as dirty");
        return true;
    }
    return walk_dirty(w, nesting, errp);
}

/*
 * The nesting part of the walk: the vIOMMU, the device's vDEVICE and the
 * event queue (Linux 6.13, 6.15), the fault queue, the nested HWPT and the
 * device on it, a fault and an event.
 */
static bool walk_nest(Walk *w, bool on_mock, bool has_viommu, bool has_veventq,
                      TriggerFaultFn trigger_fault, TriggerVeventFn trigger_vevent,
                      IOMMUFDError **errp)
{
    uint32_t hwpt = 0;

    /* the vIOMMU, the device's vDEVICE and the event queue (Linux 6.13, 6.15) */
    uint32_t nested_on = w->parent;
    if (has_viommu) {
        struct iommu_viommu_selftest vdata = { .in_data = 1 };
        if (!iommufd_backend_alloc_viommu(w->be, w->dev_id, IOMMU_VIOMMU_TYPE_SELFTEST,
                                          w->parent, &vdata, sizeof(vdata), &w->viommu,
                                          errp)) {
            return false;
        }
        step(w, "vIOMMU %u on the parent HWPT %u", w->viommu, w->parent);
        if (!iommufd_backend_alloc_vdev(w->be, w->dev_id, w->viommu, DEMO_VIRT_ID, &w->vdev,
                                        errp)) {
            return false;
        }
        step(w, "vDEVICE %u (virt_id 0x%x) on vIOMMU %u", w->vdev, DEMO_VIRT_ID, w->viommu);
        if (has_veventq) {
            /* the queue object: non-blocking fd, batches, sequence tracking */
            w->veventq = iommufd_veventq_new(w->be, w->viommu, IOMMU_VEVENTQ_TYPE_SELFTEST,
                                             DEMO_VEVENTQ_DEPTH, 0, 0, errp);
            if (!w->veventq) {
                return false;
            }
            w->veventq_id = iommufd_veventq_get_id(w->veventq);
            step(w, "vEVENTQ %u (fd %d, depth %u) on vIOMMU %u", w->veventq_id,
                 iommufd_veventq_get_fd(w->veventq), DEMO_VEVENTQ_DEPTH, w->viommu);
        } else {
            step(w, "no vEVENTQ on this kernel (IOMMU_VEVENTQ_ALLOC is Linux %s)",
                 iommufd_command_since(IOMMUFD_CMD_VEVENTQ_ALLOC));
        }
        nested_on = w->viommu;
    } else {
        step(w, "no vIOMMU on this kernel (IOMMU_VIOMMU_ALLOC is Linux %s): no vIOMMU, "
             "vDEVICE or vEVENTQ; the nested HWPT goes on the parent HWPT",
             iommufd_command_since(IOMMUFD_CMD_VIOMMU_ALLOC));
    }

    /* the fault queue (Linux 6.11) and the nested HWPT that reports to it */
    w->faultq = iommufd_faultq_new(w->be, 0, errp);
    if (!w->faultq) {
        return false;
    }
    w->fault_id = iommufd_faultq_get_id(w->faultq);
    step(w, "fault queue %u (fd %d)", w->fault_id, iommufd_faultq_get_fd(w->faultq));

    /* the selftest driver's data: only its first field, which every kernel
     * takes (6.12 rejects data longer than its 4-byte struct with EINVAL) */
    struct iommu_hwpt_selftest sdata = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    if (!iommufd_backend_alloc_hwpt(w->be, w->dev_id, nested_on, IOMMUFD_HWPT_FAULT_ID_VALID,
                                    IOMMU_HWPT_DATA_SELFTEST, sizeof(sdata.iotlb), &sdata,
                                    w->fault_id, &w->nested, errp)) {
        return false;
    }
    step(w, "nested HWPT %u on %s %u with fault queue %u", w->nested,
         has_viommu ? "vIOMMU" : "parent HWPT", nested_on, w->fault_id);
    if (!iommufd_vfio_device_attach(w->vfio_fd, w->nested, &hwpt, errp)) {
        return false;
    }
    step(w, "device attached to the nested HWPT %u (replacing the IOAS)", w->nested);

    /* a page fault and a vIOMMU event, as the hardware would raise them */
    if (on_mock) {
        if (!fixture_ok(trigger_fault(iommufd_backend_get_fd(w->be), w->dev_id, 0,
                                      DEMO_FAULT_GRP, IOMMU_PGFAULT_PERM_READ, w->ram_iova, 1),
                        errp, "triggering a page fault")) {
            return false;
        }
        step(w, "page fault triggered (group %u, address 0x%" PRIx64 ") on fault queue %u",
             DEMO_FAULT_GRP, w->ram_iova, w->fault_id);
        if (w->veventq) {
            if (!fixture_ok(trigger_vevent(iommufd_backend_get_fd(w->be), w->dev_id), errp,
                            "triggering a vEVENT")) {
                return false;
            }
            step(w, "vEVENT triggered for vDEVICE %u on vEVENTQ %u", w->vdev, w->veventq_id);
        }
        if (!walk_read_queues(w, errp)) {
            return false;
        }
    } else {
        step(w, "not on the mock: no fault or event triggered");
    }

    return true;
}

/*
 * Read what was triggered through the queue objects, as a VMM's event loop
 * would (one drain per queue: one read() each): the vEVENT (its sequence,
 * the vDEVICE's virt_id, the loss count), then the fault group, answered
 * SUCCESS with the cookie of its last fault.
 */
static bool walk_read_queues(Walk *w, IOMMUFDError **errp)
{
    bool ok = false;

    if (w->veventq) {
        IOMMUFDVeventBatch vb = IOMMUFD_VEVENT_BATCH_INIT;
        if (!iommufd_veventq_drain(w->veventq, &vb, errp)) {
            iommufd_vevent_batch_clear(&vb);
            return false;
        }
        if (vb.n_events != 1) {
            iommufd_error_setg_errno(errp, EPROTO, "vEVENTQ %u: %zu events read, 1 expected",
                                     w->veventq_id, vb.n_events);
            iommufd_vevent_batch_clear(&vb);
            return false;
        }
        step(w, "vEVENT read through the vEVENTQ: sequence %u, virt_id 0x%x, %" PRIu64
             " lost", vb.events[0].sequence, vb.events[0].u.selftest.virt_id,
             iommufd_veventq_get_lost(w->veventq));
        iommufd_vevent_batch_clear(&vb);
    }

    IOMMUFDFaultBatch fb = IOMMUFD_FAULT_BATCH_INIT;
    if (!iommufd_faultq_drain(w->faultq, &fb, errp)) {
        goto out;
    }
    if (fb.n_groups != 1) {
        iommufd_error_setg_errno(errp, EPROTO, "fault queue %u: %zu groups read, 1 expected",
                                 w->fault_id, fb.n_groups);
        goto out;
    }
    const IOMMUFDFaultGroup *g = &fb.groups[0];
    step(w, "page fault read through the fault queue: group %u, %zu fault(s), address 0x%"
         PRIx64 ", cookie %u", g->grpid, g->n_faults, g->faults[0].addr, g->cookie);
    if (!iommufd_faultq_respond(w->faultq, g, IOMMUFD_PAGE_RESPONSE_SUCCESS, errp)) {
        goto out;
    }
    step(w, "page fault group %u answered SUCCESS (cookie %u)", g->grpid, g->cookie);
    ok = true;
out:
    iommufd_fault_batch_clear(&fb);
    return ok;
}

/* Dirty tracking for migration, on the parent (the stage-2 of the guest), or
 * without nesting on the dirty-tracking paging HWPT. */
static bool walk_dirty(Walk *w, bool nesting, IOMMUFDError **errp)
{
    uint32_t hwpt = 0;

    if (!iommufd_vfio_device_attach(w->vfio_fd, w->parent, &hwpt, errp)) {
        return false;
    }
    step(w, "device attached to the %s HWPT %u for migration",
         nesting ? "parent" : "dirty-tracking", w->parent);
    if (!iommufd_backend_set_dirty_tracking(w->be, w->parent, true, errp)) {
        return false;
    }
    w->dirty_on = true;
    uint64_t bitmap_size = iommufd_dirty_bitmap_size(DEMO_RAM_SIZE, DEMO_PAGE_SIZE);
    uint64_t *bitmap = g_malloc0(bitmap_size);
    bool ok = iommufd_backend_get_dirty_bitmap(w->be, w->parent, w->ram_iova, DEMO_RAM_SIZE,
                                               DEMO_PAGE_SIZE, bitmap, 0, errp);
    g_free(bitmap);
    if (!ok) {
        return false;
    }
    step(w, "dirty tracking started on HWPT %u; bitmap of %" PRIu64 " bytes read",
         w->parent, bitmap_size);
    return true;
}

bool iommufd_demo_walk(IOMMUFDBackend *be, const char *vfio_node, FILE *out,
                       IOMMUFDError **errp)
{
    Walk w = {
        .be = be,
        .out = out,
        .vfio_fd = -1,
        .ram = MAP_FAILED,
    };
    IOMMUFDError *err = NULL;

    if (!be) {
        iommufd_error_setg_errno(errp, EINVAL, "iommufd_demo_walk: be must not be NULL");
        return false;
    }
    if (!walk_build(&w, vfio_node, &err)) {
        walk_teardown(&w, false, NULL);
        walk_teardown(&w, true, NULL);
        iommufd_error_propagate(errp, err);
        return false;
    }
    /* the normal end: the same teardown, with its errors reported */
    GString *gone = g_string_new(w.dirty_on ? "dirty tracking stopped; " : "");
    g_string_append(gone, "torn down leaves first: device detached");
    if (w.nested) {
        g_string_append(gone, ", nested HWPT");
    }
    if (w.veventq) {
        g_string_append(gone, ", vEVENTQ");
    }
    if (w.vdev) {
        g_string_append(gone, ", vDEVICE");
    }
    if (w.viommu) {
        g_string_append(gone, ", vIOMMU");
    }
    if (w.fault_id) {
        g_string_append(gone, ", fault queue");
    }
    if (w.parent) {
        g_string_append(gone, w.nested ? ", parent HWPT" : ", HWPT");
    }
    g_string_append(gone, ", guest RAM unmapped, IOAS, device closed");
    if (!walk_teardown(&w, false, &err)) {
        /* an object refused to go (an injected failure, say): try once more,
         * then let go of the device and the context whatever happens */
        walk_teardown(&w, true, NULL);
        g_string_free(gone, TRUE);
        iommufd_error_propagate(errp, err);
        return false;
    }
    step(&w, "%s", gone->str);
    g_string_free(gone, TRUE);
    return true;
}
