/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The VMM walk-through of docs/user-guide.md, as a complete program: every
 * block of C in the guide is a marked excerpt of this file ("guide: NAME"
 * to "end guide"), and tests/docs checks that they are the same.
 *
 * It binds a VFIO cdev device to an iommufd, maps 16 MiB of "guest RAM"
 * into an IOAS, builds the nesting objects a vIOMMU needs (nesting parent
 * HWPT, vIOMMU, vDEVICE, vEVENTQ, fault queue, nested HWPT), serves the
 * event and fault queues from a GLib main loop, answers a page fault,
 * reads the dirty bitmap as migration would, and tears everything down,
 * leaves first.  On a kernel without vIOMMUs (Linux 6.12) it nests on the
 * parent HWPT instead, as the guide explains.
 *
 *   vmm-walk [--caller-fd] VFIO-CDEV-NODE
 *
 * On the mock (no IOMMU, no root needed):
 *
 *   IOMMUFD_MOCK_DEVICES=1 LD_PRELOAD=libiommufd-mock.so \
 *       vmm-walk /dev/null/iommufd-mock/vfio0
 *
 * --caller-fd opens /dev/iommu itself and hands the fd to the library, as a
 * management layer that passes an fd would.  Exit status 0 when every step
 * and the teardown succeeded, 1 otherwise.
 */
/* --- guide: includes --- */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>
#include <iommufd/backend.h>
#include <iommufd/error.h>
#include <iommufd/events.h>
#include <iommufd/vfio.h>

/* Command numbers, for iommufd_features_has() (IOMMUFD_CMD_* of
 * <linux/iommufd.h>, which the public headers do not include). */
#define CMD_FAULT_QUEUE_ALLOC 0x8e
#define CMD_VIOMMU_ALLOC 0x90
#define CMD_VDEVICE_ALLOC 0x91
#define CMD_VEVENTQ_ALLOC 0x93

/* What nesting needs from the IOMMU driver: the hw info type that says
 * which driver it is, its vIOMMU type, its nested HWPT data and its event
 * type.  A VMM for real hardware takes them from <linux/iommufd.h>
 * (IOMMU_HW_INFO_TYPE_ARM_SMMUV3, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
 * IOMMU_HWPT_DATA_ARM_SMMUV3, ...) and fills the data from the guest's own
 * tables.  This example knows only the kernel's selftest driver, which is
 * what libiommufd-mock imitates; on any other IOMMU it does without nesting. */
#define HW_INFO_TYPE_SELFTEST 0xfeedbeefu
#define VIOMMU_TYPE_SELFTEST 0xdeadbeefu
#define HWPT_DATA_SELFTEST 0xdeadu
#define SELFTEST_IOTLB_DEFAULT 0xbadbeefu

#define RAM_SIZE (16u << 20)
#define PAGE_SIZE_4K 4096u
#define GUEST_VIRT_ID 0x1u   /* the device's id as the guest's vIOMMU knows it */
/* --- end guide --- */

/* --- guide: state --- */
/* Everything the walk creates, recorded as soon as it exists so that one
 * teardown function can destroy whatever is there, leaves first. */
typedef struct Vmm {
    IOMMUFDBackend *be;
    int caller_fd;             /* --caller-fd: the fd we opened, else -1 */
    bool connected;
    bool has_viommu, has_veventq, has_faultq;
    int vfio_fd;               /* the VFIO cdev; ours to close */
    uint32_t dev_id;           /* its iommufd device id */
    bool attached;
    uint32_t ioas_id;
    void *ram;                 /* "guest RAM" */
    uint64_t ram_iova;
    uint64_t iova_alignment;
    bool ram_mapped;
    uint32_t hw_type;          /* IOMMU_GET_HW_INFO's type */
    uint32_t parent;           /* nesting parent (or plain) paging HWPT */
    bool nesting, dirty_capable, dirty_on;
    uint32_t viommu, vdev, nested;
    IOMMUFDVeventq *veventq;   /* owns its fd and its kernel object */
    IOMMUFDFaultq *faultq;     /* likewise */
    /* the main loop's results */
    GMainLoop *loop;
    unsigned faults_answered, vevents_seen;
    unsigned faults_wanted, vevents_wanted;
    bool queue_error, timed_out;
} Vmm;
/* --- end guide --- */

static void say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static void say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("walk: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    fflush(stdout);
}

/* --- guide: connect --- */
static bool vmm_connect(Vmm *v, bool caller_fd, IOMMUFDError **errp)
{
    IOMMUFDFeatures f;

    if (caller_fd) {
        /* A management layer opened /dev/iommu and passed the fd: the
         * backend uses it and never closes it; closing it is ours. */
        v->caller_fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
        if (v->caller_fd < 0) {
            iommufd_error_setg_errno(errp, errno, "open /dev/iommu");
            return false;
        }
        v->be = iommufd_backend_new_from_fd(v->caller_fd);
    } else {
        /* The usual case: the backend opens /dev/iommu at the first
         * connect and closes it at the last disconnect. */
        v->be = iommufd_backend_new();
    }
    if (!iommufd_backend_connect(v->be, errp)) {
        return false;
    }
    v->connected = true;

    /* Which commands this kernel has: size-0 probes that create nothing.
     * Flags and data types cannot be probed: they answer EOPNOTSUPP when
     * tried. */
    if (!iommufd_backend_probe(v->be, &f, errp)) {
        return false;
    }
    v->has_faultq = iommufd_features_has(&f, CMD_FAULT_QUEUE_ALLOC);
    v->has_viommu = iommufd_features_has(&f, CMD_VIOMMU_ALLOC) &&
                    iommufd_features_has(&f, CMD_VDEVICE_ALLOC);
    v->has_veventq = iommufd_features_has(&f, CMD_VEVENTQ_ALLOC);
    say("connected (fd %d, %s); fault queue %s, vIOMMU %s, vEVENTQ %s",
        iommufd_backend_get_fd(v->be),
        iommufd_backend_is_owned(v->be) ? "owned" : "the caller's",
        v->has_faultq ? "yes" : "no", v->has_viommu ? "yes" : "no",
        v->has_veventq ? "yes" : "no");
    return true;
}
/* --- end guide --- */

/* --- guide: device --- */
static bool vmm_bind_device(Vmm *v, const char *node, IOMMUFDError **errp)
{
    v->vfio_fd = iommufd_vfio_device_open(node, errp);
    if (v->vfio_fd < 0) {
        return false;
    }
    if (!iommufd_backend_bind_device(v->be, v->vfio_fd, NULL, &v->dev_id, errp)) {
        return false;
    }
    say("device %s bound: dev_id %u", node, v->dev_id);

    /* Which IOMMU the device sits behind: the type selects the vIOMMU the
     * VMM can offer the guest. */
    uint8_t data[64];
    uint32_t data_len = 0;
    uint64_t caps = 0;
    v->hw_type = 0;    /* in: 0 asks for the default type */
    if (!iommufd_backend_get_device_info(v->be, v->dev_id, &v->hw_type, data, sizeof(data),
                                         &caps, NULL, &data_len, errp)) {
        return false;
    }
    say("hw info: type 0x%x, %u bytes of driver data, capabilities 0x%" PRIx64, v->hw_type,
        data_len, caps);
    return true;
}
/* --- end guide --- */

/* --- guide: ioas --- */
static bool vmm_map_ram(Vmm *v, IOMMUFDError **errp)
{
    if (!iommufd_backend_alloc_ioas(v->be, &v->ioas_id, errp)) {
        return false;
    }
    /* Attaching to an IOAS makes the kernel allocate a paging HWPT for the
     * device; DMA now goes through the IOAS's mappings (none yet). */
    uint32_t auto_hwpt = 0;
    if (!iommufd_vfio_device_attach(v->vfio_fd, v->ioas_id, &auto_hwpt, errp)) {
        return false;
    }
    v->attached = true;
    say("IOAS %u; device attached through the kernel's HWPT %u", v->ioas_id, auto_hwpt);

    /* Where DMA may go: the usable ranges, and the alignment every map,
     * unmap and dirty-bitmap range must keep. */
    IOMMUFDIovaRange *ranges = NULL;
    uint32_t n_ranges = 0;
    if (!iommufd_backend_get_iova_ranges(v->be, v->ioas_id, &ranges, &n_ranges,
                                         &v->iova_alignment, errp)) {
        return false;
    }
    uint64_t align = MAX(v->iova_alignment, PAGE_SIZE_4K);
    v->ram_iova = n_ranges ? (ranges[0].start + align - 1) / align * align : 0;
    g_free(ranges);

    /* Guest RAM: the device sees it at the guest-physical address, here
     * the first aligned usable IOVA.  The kernel pins it while mapped. */
    v->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (v->ram == MAP_FAILED) {
        iommufd_error_setg_errno(errp, errno, "mmap of %u bytes of guest RAM", RAM_SIZE);
        return false;
    }
    if (!iommufd_backend_map_dma(v->be, v->ioas_id, v->ram_iova, RAM_SIZE, v->ram, false,
                                 errp)) {
        return false;
    }
    v->ram_mapped = true;
    say("guest RAM: %u MiB at IOVA 0x%" PRIx64 " (%u usable range(s), alignment 0x%" PRIx64 ")",
        RAM_SIZE >> 20, v->ram_iova, n_ranges, v->iova_alignment);
    return true;
}
/* --- end guide --- */

/* --- guide: parent --- */
/* IOMMU_HWPT_ALLOC of a paging HWPT on the IOAS with @flags.  EOPNOTSUPP
 * means this IOMMU lacks a flag: not an error, *ok_out tells. */
static bool try_parent(Vmm *v, uint32_t flags, bool *ok_out, IOMMUFDError **errp)
{
    IOMMUFDError *err = NULL;

    *ok_out = iommufd_backend_alloc_hwpt(v->be, v->dev_id, v->ioas_id, flags, 0, 0, NULL, 0,
                                         &v->parent, &err);
    if (*ok_out) {
        return true;
    }
    if (iommufd_error_get_errno(err) == EOPNOTSUPP) {
        say("HWPT flags 0x%x refused: %s", flags, iommufd_error_get_pretty(err));
        iommufd_error_free(err);
        return true;
    }
    iommufd_error_propagate(errp, err);
    return false;
}

static bool vmm_alloc_parent(Vmm *v, IOMMUFDError **errp)
{
    bool ok;

    /* The stage-2 (guest physical to host) table, which the guest's own
     * stage-1 tables will nest on, with dirty tracking for migration.
     * Try the most wanted combination first, then with less. */
    bool nest_driver = v->hw_type == HW_INFO_TYPE_SELFTEST;
    if (nest_driver) {
        if (!try_parent(v, IOMMUFD_HWPT_ALLOC_NEST_PARENT | IOMMUFD_HWPT_ALLOC_DIRTY_TRACKING,
                        &ok, errp)) {
            return false;
        }
        if (ok) {
            v->nesting = v->dirty_capable = true;
        } else {
            if (!try_parent(v, IOMMUFD_HWPT_ALLOC_NEST_PARENT, &ok, errp)) {
                return false;
            }
            v->nesting = ok;
        }
    }
    if (!v->nesting) {
        if (!try_parent(v, IOMMUFD_HWPT_ALLOC_DIRTY_TRACKING, &ok, errp)) {
            return false;
        }
        v->dirty_capable = ok;
    }
    if (!v->parent) {
        say("no parent HWPT: the device stays on the IOAS");
        return true;
    }
    /* The device moves to it (attaching again replaces what was there). */
    if (!iommufd_vfio_device_attach(v->vfio_fd, v->parent, NULL, errp)) {
        return false;
    }
    say("%s HWPT %u on IOAS %u (%s); device attached to it",
        v->nesting ? "nesting parent" : "paging", v->parent, v->ioas_id,
        v->dirty_capable ? "dirty tracking" : "no dirty tracking");
    return true;
}
/* --- end guide --- */

/* --- guide: viommu --- */
static bool vmm_alloc_viommu(Vmm *v, IOMMUFDError **errp)
{
    if (!v->has_viommu) {
        /* Linux 6.12: IOMMU_VIOMMU_ALLOC is ENOTTY.  Nested HWPTs then sit
         * directly on the parent HWPT; there is no vDEVICE and no vEVENTQ,
         * so the guest gets no events from the physical IOMMU. */
        say("no vIOMMU on this kernel (IOMMU_VIOMMU_ALLOC is Linux %s): nesting on the "
            "parent HWPT, no vDEVICE, no vEVENTQ", iommufd_command_since(CMD_VIOMMU_ALLOC));
        return true;
    }
    /* The vIOMMU: the guest's IOMMU instance, on the nesting parent. */
    if (!iommufd_backend_alloc_viommu(v->be, v->dev_id, VIOMMU_TYPE_SELFTEST, v->parent,
                                      NULL, 0, &v->viommu, errp)) {
        return false;
    }
    /* The vDEVICE: the device as the guest's vIOMMU knows it (its virtual
     * stream or requester id), which events and invalidations carry. */
    if (!iommufd_backend_alloc_vdev(v->be, v->dev_id, v->viommu, GUEST_VIRT_ID, &v->vdev,
                                    errp)) {
        return false;
    }
    say("vIOMMU %u on parent HWPT %u; vDEVICE %u (virt_id 0x%x)", v->viommu, v->parent,
        v->vdev, GUEST_VIRT_ID);

    if (!v->has_veventq) {
        say("no vEVENTQ on this kernel (IOMMU_VEVENTQ_ALLOC is Linux %s)",
            iommufd_command_since(CMD_VEVENTQ_ALLOC));
        return true;
    }
    /* The vEVENTQ: the physical IOMMU's events for the guest.  The queue
     * object owns the fd (non-blocking, close-on-exec) and the kernel
     * object; depth 64 events, 4096-byte reads. */
    v->veventq = iommufd_veventq_new(v->be, v->viommu, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 64, 0, 0,
                                     errp);
    if (!v->veventq) {
        return false;
    }
    say("vEVENTQ %u (fd %d) on vIOMMU %u", iommufd_veventq_get_id(v->veventq),
        iommufd_veventq_get_fd(v->veventq), v->viommu);
    return true;
}
/* --- end guide --- */

/* --- guide: nested --- */
static bool vmm_alloc_nested(Vmm *v, IOMMUFDError **errp)
{
    uint32_t flags = 0, fault_id = 0;

    /* The fault queue: page requests (PRI) of devices on HWPTs that
     * report to it. */
    if (v->has_faultq) {
        v->faultq = iommufd_faultq_new(v->be, 0, errp);
        if (!v->faultq) {
            return false;
        }
        fault_id = iommufd_faultq_get_id(v->faultq);
        flags |= IOMMUFD_HWPT_FAULT_ID_VALID;
        say("fault queue %u (fd %d)", fault_id, iommufd_faultq_get_fd(v->faultq));
    }

    /* The nested HWPT: the guest's stage-1 table (here the selftest
     * driver's data; a real driver's data points at the guest's table), on
     * the vIOMMU, or without one on the parent HWPT. */
    uint32_t on = v->viommu ? v->viommu : v->parent;
    uint32_t iotlb = SELFTEST_IOTLB_DEFAULT;
    if (!iommufd_backend_alloc_hwpt(v->be, v->dev_id, on, flags, HWPT_DATA_SELFTEST,
                                    sizeof(iotlb), &iotlb, fault_id, &v->nested, errp)) {
        return false;
    }
    if (!iommufd_vfio_device_attach(v->vfio_fd, v->nested, NULL, errp)) {
        return false;
    }
    say("nested HWPT %u on %s %u%s; device attached to it", v->nested,
        v->viommu ? "vIOMMU" : "parent HWPT", on, v->faultq ? ", reporting faults" : "");
    return true;
}
/* --- end guide --- */

/* --- guide: loop --- */
static void maybe_quit(Vmm *v)
{
    if (v->faults_answered >= v->faults_wanted && v->vevents_seen >= v->vevents_wanted) {
        g_main_loop_quit(v->loop);
    }
}

/* One batch of whole fault groups per call.  A VMM forwards each group to
 * the guest and answers it when the guest has; here every group is
 * answered at once. */
static gboolean on_faults(IOMMUFDFaultq *q, const IOMMUFDFaultBatch *batch,
                          const IOMMUFDError *err, void *opaque)
{
    Vmm *v = opaque;

    if (err) {
        fprintf(stderr, "vmm-walk: fault queue: %s\n", iommufd_error_get_pretty(err));
        v->queue_error = true;
        g_main_loop_quit(v->loop);
        return G_SOURCE_REMOVE;
    }
    for (size_t i = 0; i < batch->n_groups; i++) {
        const IOMMUFDFaultGroup *g = &batch->groups[i];
        IOMMUFDError *rerr = NULL;

        say("page fault: dev_id %u, group %u, %zu fault(s) from 0x%" PRIx64, g->dev_id,
            g->grpid, g->n_faults, g->faults[0].addr);
        if (!iommufd_faultq_respond(q, g, IOMMUFD_PAGE_RESPONSE_SUCCESS, &rerr)) {
            fprintf(stderr, "vmm-walk: %s\n", iommufd_error_get_pretty(rerr));
            iommufd_error_free(rerr);
            v->queue_error = true;
            continue;
        }
        say("page fault group %u answered SUCCESS (cookie %u)", g->grpid, g->cookie);
        v->faults_answered++;
    }
    maybe_quit(v);
    return G_SOURCE_CONTINUE;
}

/* One batch of decoded vEVENTs per call, with the loss accounting. */
static gboolean on_vevents(IOMMUFDVeventq *q, const IOMMUFDVeventBatch *batch,
                           const IOMMUFDError *err, void *opaque)
{
    Vmm *v = opaque;

    if (err) {
        fprintf(stderr, "vmm-walk: vEVENTQ: %s\n", iommufd_error_get_pretty(err));
        v->queue_error = true;
        g_main_loop_quit(v->loop);
        return G_SOURCE_REMOVE;
    }
    for (size_t i = 0; i < batch->n_events; i++) {
        say("vEVENT: sequence %u, virt_id 0x%x", batch->events[i].sequence,
            batch->events[i].u.selftest.virt_id);
        v->vevents_seen++;
    }
    if (batch->lost_events) {
        say("vEVENTQ overflowed: %" PRIu64 " events lost so far",
            iommufd_veventq_get_lost(q));
    }
    maybe_quit(v);
    return G_SOURCE_CONTINUE;
}

static gboolean on_timeout(void *opaque)
{
    Vmm *v = opaque;

    v->timed_out = true;
    g_main_loop_quit(v->loop);
    return G_SOURCE_REMOVE;
}

/* At the end of the file: stands in for the hardware on the mock. */
static bool mock_raise_fault_and_event(Vmm *v);

/* Serve both queues from the default main context until what was raised
 * has been handled, for at most 5 s. */
static bool vmm_serve_queues(Vmm *v, IOMMUFDError **errp)
{
    if (!v->faultq && !v->veventq) {
        return true;
    }
    v->loop = g_main_loop_new(NULL, FALSE);
    if (v->faultq) {
        iommufd_faultq_attach(v->faultq, NULL, on_faults, v);
    }
    if (v->veventq) {
        iommufd_veventq_attach(v->veventq, NULL, on_vevents, v);
    }

    /* On real hardware a device's own DMA raises faults, and a VMM runs
     * its main loop for as long as the guest runs. */
    if (mock_raise_fault_and_event(v)) {
        guint timeout = g_timeout_add_seconds(5, on_timeout, v);
        g_main_loop_run(v->loop);
        if (!v->timed_out) {
            g_source_remove(timeout);
        }
    } else {
        say("not on the mock: nothing raises a fault or an event");
    }

    /* Leave the main loop before the queues go (freeing a queue would
     * detach it too). */
    if (v->faultq) {
        iommufd_faultq_detach(v->faultq);
    }
    if (v->veventq) {
        iommufd_veventq_detach(v->veventq);
    }
    g_main_loop_unref(v->loop);
    v->loop = NULL;
    if (v->queue_error) {
        iommufd_error_setg_errno(errp, EIO, "serving the fault and event queues failed");
        return false;
    }
    if (v->timed_out) {
        iommufd_error_setg_errno(errp, ETIMEDOUT, "%u of %u fault groups answered, %u of %u "
                                 "events seen", v->faults_answered, v->faults_wanted,
                                 v->vevents_seen, v->vevents_wanted);
        return false;
    }
    return true;
}
/* --- end guide --- */

/* --- guide: dirty --- */
typedef struct DirtyCount {
    uint64_t pages, chunks;
} DirtyCount;

/* Called once per chunk of the bitmap: a VMM sends the dirty pages. */
static bool count_dirty(uint64_t iova, uint64_t size, uint64_t page_size,
                        const uint64_t *bitmap, void *opaque, IOMMUFDError **errp)
{
    DirtyCount *c = opaque;

    (void)iova;
    (void)errp;
    for (uint64_t i = 0; i < size / page_size; i++) {
        c->pages += (bitmap[i / 64] >> (i % 64)) & 1;
    }
    c->chunks++;
    return true;
}

static bool vmm_migrate_dirty(Vmm *v, IOMMUFDError **errp)
{
    if (!v->dirty_capable) {
        say("no dirty tracking: migration must treat all guest RAM as dirty");
        return true;
    }
    /* Start tracking (this clears the dirty bits) on the HWPT that maps
     * guest physical memory: the parent, also while the device is on a
     * nested HWPT. */
    if (!iommufd_backend_set_dirty_tracking(v->be, v->parent, true, errp)) {
        return false;
    }
    v->dirty_on = true;

    /* Check the range against the kernel's rules first (no ioctl), then
     * read it in chunks through a small buffer: 64 bytes = 512 pages of
     * 4 KiB = 2 MiB per IOMMU_HWPT_GET_DIRTY_BITMAP.  Each chunk's bits are
     * cleared as it is read (no IOMMUFD_HWPT_GET_DIRTY_BITMAP_NO_CLEAR). */
    if (!iommufd_dirty_range_check(v->ram_iova, RAM_SIZE, PAGE_SIZE_4K, v->iova_alignment,
                                   errp)) {
        return false;
    }
    uint64_t buf[8];
    DirtyCount count = { 0, 0 };
    if (!iommufd_backend_walk_dirty_bitmap(v->be, v->parent, v->ram_iova, RAM_SIZE,
                                           PAGE_SIZE_4K, v->iova_alignment, 0, buf,
                                           sizeof(buf), count_dirty, &count, errp)) {
        return false;
    }
    say("dirty tracking on HWPT %u: %" PRIu64 " chunks read, %" PRIu64 " dirty pages",
        v->parent, count.chunks, count.pages);
    return true;
}
/* --- end guide --- */

/* --- guide: teardown --- */
/* IOMMU_DESTROY of a recorded id; the id is forgotten only once gone. */
static bool destroy(Vmm *v, uint32_t *id, const char *what)
{
    IOMMUFDError *err = NULL;

    if (!*id) {
        return true;
    }
    if (!iommufd_backend_free_id(v->be, *id, &err)) {
        fprintf(stderr, "vmm-walk: destroying the %s: %s\n", what,
                iommufd_error_get_pretty(err));
        iommufd_error_free(err);
        return false;
    }
    *id = 0;
    return true;
}

/* Destroy whatever @v holds, leaves first: an object cannot go while
 * another refers to it (EBUSY).  @return true when everything went. */
static bool vmm_teardown(Vmm *v)
{
    IOMMUFDError *err = NULL;
    bool ok = true;

    if (v->dirty_on) {
        ok &= iommufd_backend_set_dirty_tracking(v->be, v->parent, false, NULL);
        v->dirty_on = false;
    }
    /* What EBUSY means: the IOAS cannot go while a HWPT is on it. */
    if (v->parent && !iommufd_backend_free_id(v->be, v->ioas_id, &err)) {
        say("destroying IOAS %u first: %s (errno %d)", v->ioas_id,
            iommufd_error_get_pretty(err), iommufd_error_get_errno(err));
        iommufd_error_free(err);
        err = NULL;
    }
    /* The device holds what it is attached to: detach it first (closing
     * its fd below would detach it too). */
    if (v->attached) {
        ok &= iommufd_vfio_device_detach(v->vfio_fd, NULL);
        v->attached = false;
    }
    ok &= destroy(v, &v->nested, "nested HWPT");  /* holds the vIOMMU, fault queue, parent */
    if (v->veventq) {
        /* leaves the main loop, closes the fd, then destroys the object */
        ok &= iommufd_veventq_close(v->veventq, NULL);
        v->veventq = NULL;
    }
    ok &= destroy(v, &v->vdev, "vDEVICE");
    ok &= destroy(v, &v->viommu, "vIOMMU");       /* holds the parent HWPT */
    if (v->faultq) {
        ok &= iommufd_faultq_close(v->faultq, NULL);
        v->faultq = NULL;
    }
    ok &= destroy(v, &v->parent, "parent HWPT");  /* holds the IOAS */
    if (v->ram_mapped) {
        ok &= iommufd_backend_unmap_dma(v->be, v->ioas_id, v->ram_iova, RAM_SIZE, NULL, NULL);
        v->ram_mapped = false;
    }
    ok &= destroy(v, &v->ioas_id, "IOAS");
    /* Closing the VFIO fd unbinds the device from the iommufd. */
    if (v->vfio_fd >= 0) {
        close(v->vfio_fd);
        v->vfio_fd = -1;
    }
    if (v->ram && v->ram != MAP_FAILED) {
        munmap(v->ram, RAM_SIZE);
        v->ram = NULL;
    }
    if (v->connected) {
        iommufd_backend_disconnect(v->be);    /* the last one closes an owned fd */
        v->connected = false;
    }
    g_clear_object(&v->be);
    if (v->caller_fd >= 0) {
        close(v->caller_fd);                  /* the backend never closes it */
        v->caller_fd = -1;
    }
    return ok;
}
/* --- end guide --- */

/* --- guide: main --- */
int main(int argc, char **argv)
{
    Vmm v = { .vfio_fd = -1, .caller_fd = -1 };
    IOMMUFDError *err = NULL;
    bool caller_fd = argc > 1 && strcmp(argv[1], "--caller-fd") == 0;

    if (argc != 2 + caller_fd) {
        fprintf(stderr, "usage: vmm-walk [--caller-fd] VFIO-CDEV-NODE\n");
        return 2;
    }
    bool ok = vmm_connect(&v, caller_fd, &err) &&
              vmm_bind_device(&v, argv[1 + caller_fd], &err) &&
              vmm_map_ram(&v, &err) &&
              vmm_alloc_parent(&v, &err) &&
              (!v.nesting || (vmm_alloc_viommu(&v, &err) && vmm_alloc_nested(&v, &err) &&
                              vmm_serve_queues(&v, &err))) &&
              vmm_migrate_dirty(&v, &err);
    if (!ok) {
        /* message, and the hint of what to do when there is one */
        fputs("vmm-walk: ", stderr);
        iommufd_error_report_err(err);
    }
    if (!vmm_teardown(&v)) {
        fprintf(stderr, "vmm-walk: teardown left objects behind\n");
        ok = false;
    }
    say("%s", ok ? "torn down, leaves first" : "failed");
    return ok ? 0 : 1;
}
/* --- end guide --- */

/*
 * Standing in for the hardware: on a real machine a device's DMA raises
 * page faults and the physical IOMMU raises events.  On the mock the
 * fixtures API of <iommufd/mock.h> does; its functions are looked up at
 * run time, so that the program needs no mock to link and also runs on
 * a kernel.  @return true when something was raised.
 */
static bool mock_raise_fault_and_event(Vmm *v)
{
    typedef int (*TriggerFaultFn)(int iommufd, uint32_t dev_id, uint32_t pasid,
                                  uint32_t grpid, uint32_t perm, uint64_t addr,
                                  unsigned count);
    typedef int (*TriggerVeventFn)(int iommufd, uint32_t dev_id);
    TriggerFaultFn trigger_fault =
        (TriggerFaultFn)dlsym(RTLD_DEFAULT, "iommufd_mock_trigger_fault");
    TriggerVeventFn trigger_vevent =
        (TriggerVeventFn)dlsym(RTLD_DEFAULT, "iommufd_mock_trigger_vevent");
    int fd = iommufd_backend_get_fd(v->be);

    if (!trigger_fault || !trigger_vevent) {
        return false;
    }
    if (v->faultq) {
        /* a group of two faults (read) at the start of guest RAM, group 7 */
        int r = trigger_fault(fd, v->dev_id, 0, 7, IOMMUFD_FAULT_PERM_READ, v->ram_iova, 2);
        if (r < 0) {
            fprintf(stderr, "vmm-walk: mock fault: %s\n", strerror(-r));
            v->queue_error = true;
        } else {
            v->faults_wanted++;
        }
    }
    if (v->veventq) {
        int r = trigger_vevent(fd, v->dev_id);
        if (r < 0) {
            fprintf(stderr, "vmm-walk: mock vEVENT: %s\n", strerror(-r));
            v->queue_error = true;
        } else {
            v->vevents_wanted++;
        }
    }
    return true;
}
