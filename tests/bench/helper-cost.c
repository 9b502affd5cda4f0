/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What each helper costs in user space over a hand-written ioctl(2) of the
 * same command (tests/bench/helper-cost.py runs it; docs/performance.md,
 * "Helpers against raw ioctls").
 *
 * usage: helper-cost list
 *        helper-cost count N [CASE]
 *        helper-cost wrap N [CASE]
 *        helper-cost time ROUNDS N
 *
 *   list      one "case NAME HELPER RAW" line per case: the library function
 *             and this program's hand-written function, the names that
 *             helper-cost.py gives callgrind's --toggle-collect
 *   count N   for each case: set up its objects (the mock's, or the real
 *             kernel's selftest device), run the helper and the raw function
 *             twice each (warm-up: lazy binding, first allocations), then
 *             N helper calls and N raw calls, each call followed by an undo
 *             that restores the state (issued by other functions, so not
 *             collected).  Between the phases the program asks callgrind to
 *             dump its counters (CALLGRIND_DUMP_STATS_AT "NAME lib N" and
 *             "NAME raw N"; "setup" / "teardown" dumps are to be ignored):
 *             outside valgrind those requests do nothing.  Prints
 *             "ran NAME" or "fail NAME reason" per case.  With CASE, only
 *             that case (its set-up and teardown still run in a context
 *             where the common objects exist).
 *   wrap N [CASE]
 *             the same, but the program toggles callgrind's collection
 *             around each call of an op (CALLGRIND_TOGGLE_COLLECT; run with
 *             --collect-atstart=no): the caller's side of the call is
 *             counted too, the same in every build, so that one run measures
 *             every case; for comparing one library build with another
 *             (trace backends compiled in or out: helper-cost.py --variant)
 *   time ROUNDS N
 *             wall time (CLOCK_MONOTONIC) of N helper loops against N raw
 *             loops, ROUNDS rounds each after one untimed round, on whatever
 *             /dev/iommu is (the real kernel in the VM): IOAS alloc + destroy,
 *             and map + unmap of one 4 KiB page.  Prints "key value" lines:
 *             each loop's median ns per op and the ratio helper / raw.
 *
 * The raw functions are what a careful hand-written caller does: a zeroed
 * struct with .size = sizeof, the ioctl, -errno on failure, the outputs
 * copied.  They take the same arguments as the helper (the fd instead of
 * the backend), so that the caller's argument set-up is the same, and are
 * noinline/noipa so that callgrind sees them as functions.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <dlfcn.h>

#include <iommufd/backend.h>
#include <iommufd/vfio.h>

#include "bench-helper.h"
#include "uapi/linux/iommufd.h"
#include "uapi/linux/vfio.h"

#ifdef HAVE_CALLGRIND_H
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#define CALLGRIND_TOGGLE_COLLECT
#endif

/* "wrap" mode: collection toggled by the program around each op */
static bool wrap;

#define RAW BENCH_OPAQUE_FN
#define PAGE 4096u
#define IOVA ((uint64_t)MOCK_APERTURE_START)
#define IOVA2 ((uint64_t)MOCK_APERTURE_START + 0x100000)

typedef struct Bench {
    IOMMUFDBackend *be;
    int fd;
    uint32_t ioas, ioas2;
    uint32_t stdev, dev, dom;       /* the selftest's mock device on ioas */
    uint32_t dirty_hwpt;            /* a HWPT with dirty tracking */
    uint32_t parent, nested;        /* a nesting parent, a selftest nested HWPT */
    uint32_t viommu;
    int memfd;
    int vfio_fd;                    /* a mock VFIO cdev, bound */
    uint32_t vfio_dev;
    void *buf;
    uint32_t out;                   /* an id the last op made, for its undo */
    int out_fd;
    uint64_t bitmap[4];
    const char *why;                /* why a setup failed */
} Bench;

static IOMMUFDError *err;

static bool lib_ok(bool ok, Bench *b)
{
    if (!ok) {
        b->why = err ? iommufd_error_get_pretty(err) : "failed";
        fprintf(stderr, "helper-cost: %s\n", b->why);
        b->why = "a helper failed (see stderr)";
        iommufd_error_free(err);
        err = NULL;
    }
    return ok;
}

/* ---- raw: the hand-written equivalents (collected) ------------------------- */

RAW int raw_ioas_alloc(int fd, uint32_t *ioas_id)
{
    struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
    if (ioctl(fd, IOMMU_IOAS_ALLOC, &cmd)) {
        return -errno;
    }
    *ioas_id = cmd.out_ioas_id;
    return 0;
}

RAW int raw_destroy(int fd, uint32_t id)
{
    struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
    return ioctl(fd, IOMMU_DESTROY, &cmd) ? -errno : 0;
}

RAW int raw_ioas_map(int fd, uint32_t ioas_id, uint64_t iova, uint64_t size, void *vaddr,
                     bool readonly)
{
    struct iommu_ioas_map cmd = {
        .size = sizeof(cmd),
        .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                 (readonly ? 0 : IOMMU_IOAS_MAP_WRITEABLE),
        .ioas_id = ioas_id,
        .user_va = (uintptr_t)vaddr,
        .length = size,
        .iova = iova,
    };
    return ioctl(fd, IOMMU_IOAS_MAP, &cmd) ? -errno : 0;
}

RAW int raw_ioas_map_auto(int fd, uint32_t ioas_id, uint64_t size, void *vaddr, bool readonly,
                          uint64_t *iova)
{
    struct iommu_ioas_map cmd = {
        .size = sizeof(cmd),
        .flags = IOMMU_IOAS_MAP_READABLE | (readonly ? 0 : IOMMU_IOAS_MAP_WRITEABLE),
        .ioas_id = ioas_id,
        .user_va = (uintptr_t)vaddr,
        .length = size,
    };
    if (ioctl(fd, IOMMU_IOAS_MAP, &cmd)) {
        return -errno;
    }
    *iova = cmd.iova;
    return 0;
}

RAW int raw_ioas_map_file(int fd, uint32_t ioas_id, uint64_t iova, uint64_t size, int mfd,
                          uint64_t start, bool readonly)
{
    struct iommu_ioas_map_file cmd = {
        .size = sizeof(cmd),
        .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                 (readonly ? 0 : IOMMU_IOAS_MAP_WRITEABLE),
        .ioas_id = ioas_id,
        .fd = mfd,
        .start = start,
        .length = size,
        .iova = iova,
    };
    return ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd) ? -errno : 0;
}

RAW int raw_ioas_unmap(int fd, uint32_t ioas_id, uint64_t iova, uint64_t size,
                       uint64_t *unmapped)
{
    struct iommu_ioas_unmap cmd = {
        .size = sizeof(cmd), .ioas_id = ioas_id, .iova = iova, .length = size,
    };
    if (ioctl(fd, IOMMU_IOAS_UNMAP, &cmd)) {
        return -errno;
    }
    if (unmapped) {
        *unmapped = cmd.length;
    }
    return 0;
}

RAW int raw_ioas_copy(int fd, uint32_t src_ioas_id, uint64_t src_iova, uint32_t dst_ioas_id,
                      uint64_t dst_iova, uint64_t size, bool readonly)
{
    struct iommu_ioas_copy cmd = {
        .size = sizeof(cmd),
        .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
                 (readonly ? 0 : IOMMU_IOAS_MAP_WRITEABLE),
        .dst_ioas_id = dst_ioas_id,
        .src_ioas_id = src_ioas_id,
        .length = size,
        .dst_iova = dst_iova,
        .src_iova = src_iova,
    };
    return ioctl(fd, IOMMU_IOAS_COPY, &cmd) ? -errno : 0;
}

/* the caller's buffer, as a hand-written caller would pass one */
RAW int raw_ioas_iova_ranges(int fd, uint32_t ioas_id, struct iommu_iova_range *ranges,
                             uint32_t *n_ranges, uint64_t *alignment)
{
    struct iommu_ioas_iova_ranges cmd = {
        .size = sizeof(cmd),
        .ioas_id = ioas_id,
        .num_iovas = *n_ranges,
        .allowed_iovas = (uintptr_t)ranges,
    };
    if (ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd)) {
        return -errno;
    }
    *n_ranges = cmd.num_iovas;
    *alignment = cmd.out_iova_alignment;
    return 0;
}

/*
 * The contract of iommufd_backend_get_iova_ranges(): a new array (g_free()
 * by the caller) with room for 4 ranges first, larger on EMSGSIZE
 */
RAW int raw_ioas_iova_ranges_alloc(int fd, uint32_t ioas_id, struct iommu_iova_range **ranges,
                                   uint32_t *n_ranges, uint64_t *alignment)
{
    uint32_t cap = 4;
    struct iommu_iova_range *out = g_new(struct iommu_iova_range, cap);
    for (;;) {
        struct iommu_ioas_iova_ranges cmd = {
            .size = sizeof(cmd),
            .ioas_id = ioas_id,
            .num_iovas = cap,
            .allowed_iovas = (uintptr_t)out,
        };
        if (!ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd)) {
            *ranges = out;
            *n_ranges = cmd.num_iovas;
            *alignment = cmd.out_iova_alignment;
            return 0;
        }
        int err = errno;
        if (err != EMSGSIZE || cmd.num_iovas <= cap) {
            g_free(out);
            return -err;
        }
        cap = cmd.num_iovas;
        out = g_renew(struct iommu_iova_range, out, cap);
    }
}

RAW int raw_ioas_allow_iovas(int fd, uint32_t ioas_id, const struct iommu_iova_range *ranges,
                             uint32_t n_ranges)
{
    struct iommu_ioas_allow_iovas cmd = {
        .size = sizeof(cmd),
        .ioas_id = ioas_id,
        .num_iovas = n_ranges,
        .allowed_iovas = (uintptr_t)ranges,
    };
    return ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd) ? -errno : 0;
}

RAW int raw_option(int fd, uint16_t op, uint32_t option_id, uint32_t object_id, uint64_t *val)
{
    struct iommu_option cmd = {
        .size = sizeof(cmd),
        .option_id = option_id,
        .op = op,
        .object_id = object_id,
        .val64 = *val,
    };
    if (ioctl(fd, IOMMU_OPTION, &cmd)) {
        return -errno;
    }
    *val = cmd.val64;
    return 0;
}

RAW int raw_option_get(int fd, uint32_t option_id, uint32_t object_id, uint64_t *val)
{
    struct iommu_option cmd = {
        .size = sizeof(cmd), .option_id = option_id, .op = IOMMU_OPTION_OP_GET,
        .object_id = object_id,
    };
    if (ioctl(fd, IOMMU_OPTION, &cmd)) {
        return -errno;
    }
    *val = cmd.val64;
    return 0;
}

RAW int raw_option_set(int fd, uint32_t option_id, uint32_t object_id, uint64_t val)
{
    struct iommu_option cmd = {
        .size = sizeof(cmd), .option_id = option_id, .op = IOMMU_OPTION_OP_SET,
        .object_id = object_id, .val64 = val,
    };
    return ioctl(fd, IOMMU_OPTION, &cmd) ? -errno : 0;
}

RAW int raw_vfio_ioas_get(int fd, uint32_t *ioas_id)
{
    struct iommu_vfio_ioas cmd = { .size = sizeof(cmd), .op = IOMMU_VFIO_IOAS_GET };
    if (ioctl(fd, IOMMU_VFIO_IOAS, &cmd)) {
        return -errno;
    }
    *ioas_id = cmd.ioas_id;
    return 0;
}

RAW int raw_vfio_ioas_set(int fd, uint32_t ioas_id)
{
    struct iommu_vfio_ioas cmd = {
        .size = sizeof(cmd), .ioas_id = ioas_id, .op = IOMMU_VFIO_IOAS_SET,
    };
    return ioctl(fd, IOMMU_VFIO_IOAS, &cmd) ? -errno : 0;
}

RAW int raw_vfio_ioas_clear(int fd)
{
    struct iommu_vfio_ioas cmd = { .size = sizeof(cmd), .op = IOMMU_VFIO_IOAS_CLEAR };
    return ioctl(fd, IOMMU_VFIO_IOAS, &cmd) ? -errno : 0;
}

RAW int raw_change_process(int fd)
{
    struct iommu_ioas_change_process cmd = { .size = sizeof(cmd) };
    return ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd) ? -errno : 0;
}

/* a size-0 probe: true when the command exists (EINVAL) */
RAW bool raw_probe_change_process(int fd)
{
    uint32_t size0[2] = { 0, 0 };
    return ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, size0) < 0 && errno == EINVAL;
}

RAW int raw_hwpt_alloc(int fd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
                       uint32_t data_type, uint32_t data_len, void *data_ptr, uint32_t fault_id,
                       uint32_t *out_hwpt)
{
    struct iommu_hwpt_alloc cmd = {
        .size = sizeof(cmd),
        .flags = flags,
        .dev_id = dev_id,
        .pt_id = pt_id,
        .data_type = data_type,
        .data_len = data_len,
        .data_uptr = (uintptr_t)data_ptr,
        .fault_id = fault_id,
    };
    if (ioctl(fd, IOMMU_HWPT_ALLOC, &cmd)) {
        return -errno;
    }
    *out_hwpt = cmd.out_hwpt_id;
    return 0;
}

RAW int raw_get_hw_info(int fd, uint32_t dev_id, uint32_t *type, void *data, uint32_t len,
                        uint64_t *caps, uint8_t *max_pasid_log2, uint32_t *out_len)
{
    /* *type is in and out, as in the helper's contract: 0 or the type asked for */
    struct iommu_hw_info cmd = {
        .size = sizeof(cmd), .flags = *type ? IOMMU_HW_INFO_FLAG_INPUT_TYPE : 0,
        .dev_id = dev_id, .data_len = len, .data_uptr = (uintptr_t)data, .in_data_type = *type,
    };
    if (ioctl(fd, IOMMU_GET_HW_INFO, &cmd)) {
        return -errno;
    }
    *type = cmd.out_data_type;
    *caps = cmd.out_capabilities;
    *max_pasid_log2 = cmd.out_max_pasid_log2;
    *out_len = cmd.data_len;
    return 0;
}

RAW int raw_set_dirty_tracking(int fd, uint32_t hwpt_id, bool start)
{
    struct iommu_hwpt_set_dirty_tracking cmd = {
        .size = sizeof(cmd),
        .flags = start ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
        .hwpt_id = hwpt_id,
    };
    return ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd) ? -errno : 0;
}

RAW int raw_get_dirty_bitmap(int fd, uint32_t hwpt_id, uint64_t iova, uint64_t size,
                             uint64_t page_size, uint64_t *data, uint64_t flags)
{
    struct iommu_hwpt_get_dirty_bitmap cmd = {
        .size = sizeof(cmd),
        .hwpt_id = hwpt_id,
        .flags = (uint32_t)flags,
        .iova = iova,
        .length = size,
        .page_size = page_size,
        .data = (uintptr_t)data,
    };
    return ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd) ? -errno : 0;
}

RAW int raw_hwpt_invalidate(int fd, uint32_t id, uint32_t data_type, uint32_t entry_len,
                            uint32_t *entry_num, void *data)
{
    struct iommu_hwpt_invalidate cmd = {
        .size = sizeof(cmd),
        .hwpt_id = id,
        .data_uptr = (uintptr_t)data,
        .data_type = data_type,
        .entry_len = entry_len,
        .entry_num = *entry_num,
    };
    int rc = ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd) ? -errno : 0;
    *entry_num = cmd.entry_num;
    return rc;
}

RAW int raw_fault_alloc(int fd, uint32_t *fault_id, int *fault_fd)
{
    struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
    if (ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd)) {
        return -errno;
    }
    *fault_id = cmd.out_fault_id;
    *fault_fd = (int)cmd.out_fault_fd;
    return 0;
}

RAW int raw_viommu_alloc(int fd, uint32_t dev_id, uint32_t type, uint32_t hwpt_id, void *data,
                         uint32_t data_len, uint32_t *out_viommu_id)
{
    struct iommu_viommu_alloc cmd = {
        .size = sizeof(cmd),
        .type = type,
        .dev_id = dev_id,
        .hwpt_id = hwpt_id,
        .data_len = data_len,
        .data_uptr = (uintptr_t)data,
    };
    if (ioctl(fd, IOMMU_VIOMMU_ALLOC, &cmd)) {
        return -errno;
    }
    *out_viommu_id = cmd.out_viommu_id;
    return 0;
}

RAW int raw_vdevice_alloc(int fd, uint32_t dev_id, uint32_t viommu_id, uint64_t virt_id,
                          uint32_t *out_vdev_id)
{
    struct iommu_vdevice_alloc cmd = {
        .size = sizeof(cmd), .viommu_id = viommu_id, .dev_id = dev_id, .virt_id = virt_id,
    };
    if (ioctl(fd, IOMMU_VDEVICE_ALLOC, &cmd)) {
        return -errno;
    }
    *out_vdev_id = cmd.out_vdevice_id;
    return 0;
}

RAW int raw_veventq_alloc(int fd, uint32_t viommu_id, uint32_t type, uint32_t depth,
                          uint32_t *out_id, int *out_fd)
{
    struct iommu_veventq_alloc cmd = {
        .size = sizeof(cmd), .viommu_id = viommu_id, .type = type, .veventq_depth = depth,
    };
    if (ioctl(fd, IOMMU_VEVENTQ_ALLOC, &cmd)) {
        return -errno;
    }
    *out_id = cmd.out_veventq_id;
    *out_fd = (int)cmd.out_veventq_fd;
    return 0;
}

RAW int raw_hw_queue_alloc(int fd, uint32_t viommu_id, uint32_t queue_type, uint32_t index,
                           uint64_t addr, uint64_t length, uint32_t *out_id)
{
    struct iommu_hw_queue_alloc cmd = {
        .size = sizeof(cmd),
        .viommu_id = viommu_id,
        .type = queue_type,
        .index = index,
        .nesting_parent_iova = addr,
        .length = length,
    };
    if (ioctl(fd, IOMMU_HW_QUEUE_ALLOC, &cmd)) {
        return -errno;
    }
    *out_id = cmd.out_hw_queue_id;
    return 0;
}

RAW int raw_vfio_bind(int vfio_fd, int iommufd, uint32_t *dev_id)
{
    struct vfio_device_bind_iommufd cmd = { .argsz = sizeof(cmd), .iommufd = iommufd };
    if (ioctl(vfio_fd, VFIO_DEVICE_BIND_IOMMUFD, &cmd)) {
        return -errno;
    }
    *dev_id = cmd.out_devid;
    return 0;
}

RAW int raw_vfio_attach(int vfio_fd, uint32_t pt_id, uint32_t *out_hwpt_id)
{
    struct vfio_device_attach_iommufd_pt cmd = { .argsz = sizeof(cmd), .pt_id = pt_id };
    if (ioctl(vfio_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &cmd)) {
        return -errno;
    }
    if (out_hwpt_id) {
        *out_hwpt_id = cmd.pt_id;
    }
    return 0;
}

RAW int raw_vfio_detach(int vfio_fd)
{
    struct vfio_device_detach_iommufd_pt cmd = { .argsz = sizeof(cmd) };
    return ioctl(vfio_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &cmd) ? -errno : 0;
}

/* ---- set-up and undo (never collected: other function names) ---------------- */

static int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
    cmd->size = sizeof(*cmd);
    return ioctl(fd, IOMMU_TEST_CMD, cmd) ? -errno : 0;
}

static int undo_destroy(int fd, uint32_t id)
{
    struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
    return ioctl(fd, IOMMU_DESTROY, &cmd) ? -errno : 0;
}

static int undo_unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
    struct iommu_ioas_unmap cmd = {
        .size = sizeof(cmd), .ioas_id = ioas, .iova = iova, .length = len,
    };
    return ioctl(fd, IOMMU_IOAS_UNMAP, &cmd) ? -errno : 0;
}

static int undo_map(int fd, uint32_t ioas, uint64_t iova, uint64_t len, void *va)
{
    struct iommu_ioas_map cmd = {
        .size = sizeof(cmd),
        .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
        .ioas_id = ioas, .user_va = (uintptr_t)va, .length = len, .iova = iova,
    };
    return ioctl(fd, IOMMU_IOAS_MAP, &cmd) ? -errno : 0;
}

static int undo_alloc_ioas(int fd, uint32_t *id)
{
    struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
    if (ioctl(fd, IOMMU_IOAS_ALLOC, &cmd)) {
        return -errno;
    }
    *id = cmd.out_ioas_id;
    return 0;
}

static int setup_hwpt(int fd, uint32_t dev, uint32_t pt, uint32_t flags, uint32_t type,
                      uint32_t len, void *data, uint32_t *out)
{
    struct iommu_hwpt_alloc cmd = {
        .size = sizeof(cmd), .flags = flags, .dev_id = dev, .pt_id = pt, .data_type = type,
        .data_len = len, .data_uptr = (uintptr_t)data,
    };
    if (ioctl(fd, IOMMU_HWPT_ALLOC, &cmd)) {
        return -errno;
    }
    *out = cmd.out_hwpt_id;
    return 0;
}

/* the objects every case may use */
static bool bench_setup(Bench *b)
{
    memset(b, 0, sizeof(*b));
    b->memfd = -1;
    b->vfio_fd = -1;
    b->out_fd = -1;
    b->be = iommufd_backend_new();
    if (!iommufd_backend_connect(b->be, &err)) {
        fprintf(stderr, "helper-cost: %s\n", iommufd_error_get_pretty(err));
        return false;
    }
    b->fd = iommufd_backend_get_fd(b->be);
    if (undo_alloc_ioas(b->fd, &b->ioas) || undo_alloc_ioas(b->fd, &b->ioas2)) {
        perror("helper-cost: IOMMU_IOAS_ALLOC");
        return false;
    }
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = b->ioas };
    if (test_cmd(b->fd, &c) == 0) {
        b->stdev = c.mock_domain.out_stdev_id;
        b->dom = c.mock_domain.out_hwpt_id;
        b->dev = c.mock_domain.out_idev_id;
    }
    b->buf = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b->buf == MAP_FAILED) {
        perror("helper-cost: mmap");
        return false;
    }
    memset(b->buf, 0x5a, 16 * PAGE);
    return true;
}

static void bench_teardown(Bench *b)
{
    if (b->buf && b->buf != MAP_FAILED) {
        munmap(b->buf, 16 * PAGE);
    }
    iommufd_backend_disconnect(b->be);
    g_object_unref(b->be);
}

/* ---- the cases -------------------------------------------------------------- */

typedef struct Case {
    const char *name;
    const char *helper;     /* the library function collected */
    const char *raw;        /* this program's function collected */
    bool (*setup)(Bench *b);            /* NULL: nothing; false: b->why */
    bool (*lib)(Bench *b);
    bool (*raw_op)(Bench *b);
    bool (*undo)(Bench *b);             /* after each lib and raw op; NULL: none */
    void (*teardown)(Bench *b);
} Case;

static bool need_dev(Bench *b)
{
    if (!b->dev) {
        b->why = "no selftest device (IOMMU_TEST_OP_MOCK_DOMAIN failed)";
        return false;
    }
    return true;
}

/* IOAS */
static bool lib_alloc_ioas(Bench *b)
{
    return lib_ok(iommufd_backend_alloc_ioas(b->be, &b->out, &err), b);
}
static bool raw_alloc_ioas(Bench *b) { return raw_ioas_alloc(b->fd, &b->out) == 0; }
static bool undo_out(Bench *b) { return undo_destroy(b->fd, b->out) == 0; }

static bool pre_alloc_ioas(Bench *b) { return undo_alloc_ioas(b->fd, &b->out) == 0; }
static bool lib_free_id(Bench *b) { return lib_ok(iommufd_backend_free_id(b->be, b->out, &err), b); }
static bool raw_free_id(Bench *b) { return raw_destroy(b->fd, b->out) == 0; }

static bool lib_map(Bench *b)
{
    return lib_ok(iommufd_backend_map_dma(b->be, b->ioas, IOVA, PAGE, b->buf, false, &err), b);
}
static bool raw_map(Bench *b) { return raw_ioas_map(b->fd, b->ioas, IOVA, PAGE, b->buf, false) == 0; }
static bool undo_unmap_page(Bench *b) { return undo_unmap(b->fd, b->ioas, IOVA, PAGE) == 0; }

static uint64_t auto_iova;
static bool lib_map_auto(Bench *b)
{
    return lib_ok(iommufd_backend_map_dma_auto(b->be, b->ioas, PAGE, b->buf, false, &auto_iova,
                                               &err), b);
}
static bool raw_map_auto(Bench *b)
{
    return raw_ioas_map_auto(b->fd, b->ioas, PAGE, b->buf, false, &auto_iova) == 0;
}
static bool undo_unmap_auto(Bench *b) { return undo_unmap(b->fd, b->ioas, auto_iova, PAGE) == 0; }

static bool setup_memfd(Bench *b)
{
    b->memfd = memfd_create("helper-cost", MFD_CLOEXEC);
    if (b->memfd < 0 || ftruncate(b->memfd, 16 * PAGE)) {
        b->why = "memfd_create failed";
        return false;
    }
    return true;
}
static void teardown_memfd(Bench *b)
{
    if (b->memfd >= 0) {
        close(b->memfd);
        b->memfd = -1;
    }
}
static bool lib_map_file(Bench *b)
{
    return lib_ok(iommufd_backend_map_file_dma(b->be, b->ioas2, IOVA, PAGE, b->memfd, 0, false,
                                               &err), b);
}
static bool raw_map_file(Bench *b)
{
    return raw_ioas_map_file(b->fd, b->ioas2, IOVA, PAGE, b->memfd, 0, false) == 0;
}
static bool undo_unmap_file(Bench *b) { return undo_unmap(b->fd, b->ioas2, IOVA, PAGE) == 0; }

static uint64_t unmapped;
static bool pre_map(Bench *b) { return undo_map(b->fd, b->ioas, IOVA, PAGE, b->buf) == 0; }
static bool lib_unmap(Bench *b)
{
    return lib_ok(iommufd_backend_unmap_dma(b->be, b->ioas, IOVA, PAGE, &unmapped, &err), b) &&
           unmapped == PAGE;
}
static bool raw_unmap(Bench *b)
{
    return raw_ioas_unmap(b->fd, b->ioas, IOVA, PAGE, &unmapped) == 0 && unmapped == PAGE;
}

static bool setup_copy(Bench *b) { return pre_map(b); }
static void teardown_copy(Bench *b) { undo_unmap_page(b); }
static bool lib_copy(Bench *b)
{
    return lib_ok(iommufd_backend_copy_dma(b->be, b->ioas, IOVA, b->ioas2, IOVA2, PAGE, false,
                                           &err), b);
}
static bool raw_copy(Bench *b)
{
    return raw_ioas_copy(b->fd, b->ioas, IOVA, b->ioas2, IOVA2, PAGE, false) == 0;
}
static bool undo_copy(Bench *b) { return undo_unmap(b->fd, b->ioas2, IOVA2, PAGE) == 0; }

static IOMMUFDIovaRange *ranges;
static struct iommu_iova_range raw_ranges[4];
static uint32_t n_ranges;
static uint64_t alignment;
static bool lib_iova_ranges(Bench *b)
{
    return lib_ok(iommufd_backend_get_iova_ranges(b->be, b->ioas2, &ranges, &n_ranges, &alignment,
                                                  &err), b) && n_ranges >= 1;
}
static struct iommu_iova_range *raw_alloc_ranges;
static bool raw_iova_ranges_alloc(Bench *b)
{
    return raw_ioas_iova_ranges_alloc(b->fd, b->ioas2, &raw_alloc_ranges, &n_ranges,
                                      &alignment) == 0 && n_ranges >= 1;
}
static bool undo_iova_ranges(Bench *b)
{
    (void)b;
    g_free(ranges);
    ranges = NULL;
    g_free(raw_alloc_ranges);
    raw_alloc_ranges = NULL;
    return true;
}
/* into the caller's array: the helper's and the hand-written call's */
static IOMMUFDIovaRange into_ranges[4];
static bool lib_iova_ranges_into(Bench *b)
{
    return lib_ok(iommufd_backend_get_iova_ranges_into(b->be, b->ioas2, into_ranges, 4,
                                                       &n_ranges, &alignment, &err), b) &&
           n_ranges >= 1;
}
static bool raw_iova_ranges(Bench *b)
{
    n_ranges = 4;
    return raw_ioas_iova_ranges(b->fd, b->ioas2, raw_ranges, &n_ranges, &alignment) == 0 &&
           n_ranges >= 1;
}

static const IOMMUFDIovaRange allow_lib[1] = { { IOVA, IOVA + 0xfffffff } };
static const struct iommu_iova_range allow_raw[1] = { { IOVA, IOVA + 0xfffffff } };
static bool lib_allow(Bench *b)
{
    return lib_ok(iommufd_backend_allow_iovas(b->be, b->ioas2, allow_lib, 1, &err), b);
}
static bool raw_allow(Bench *b) { return raw_ioas_allow_iovas(b->fd, b->ioas2, allow_raw, 1) == 0; }

static uint64_t opt_val;
static bool lib_get_option(Bench *b)
{
    return lib_ok(iommufd_backend_get_option(b->be, IOMMUFD_OPTION_HUGE_PAGES, b->ioas2, &opt_val,
                                             &err), b);
}
static bool raw_get_option(Bench *b)
{
    return raw_option_get(b->fd, IOMMU_OPTION_HUGE_PAGES, b->ioas2, &opt_val) == 0;
}
static bool lib_set_option(Bench *b)
{
    return lib_ok(iommufd_backend_set_option(b->be, IOMMUFD_OPTION_HUGE_PAGES, b->ioas2, 1, &err),
                  b);
}
static bool raw_set_option(Bench *b)
{
    return raw_option_set(b->fd, IOMMU_OPTION_HUGE_PAGES, b->ioas2, 1) == 0;
}

static uint32_t vfio_ioas;
static bool set_vfio_ioas(Bench *b) { return raw_vfio_ioas_set(b->fd, b->ioas2) == 0; }
static bool clear_vfio_ioas(Bench *b) { (void)b; return true; }
static void teardown_vfio_ioas(Bench *b) { raw_vfio_ioas_clear(b->fd); }
static bool lib_get_vfio_ioas(Bench *b)
{
    return lib_ok(iommufd_backend_get_vfio_ioas(b->be, &vfio_ioas, &err), b) &&
           vfio_ioas == b->ioas2;
}
static bool raw_get_vfio_ioas(Bench *b)
{
    return raw_vfio_ioas_get(b->fd, &vfio_ioas) == 0 && vfio_ioas == b->ioas2;
}
static bool lib_set_vfio_ioas(Bench *b)
{
    return lib_ok(iommufd_backend_set_vfio_ioas(b->be, b->ioas2, &err), b);
}
static bool lib_clear_vfio_ioas(Bench *b)
{
    return lib_ok(iommufd_backend_clear_vfio_ioas(b->be, &err), b);
}
static bool raw_clear(Bench *b) { return raw_vfio_ioas_clear(b->fd) == 0; }

/* CHANGE_PROCESS: every case before it has undone its mappings, so the
 * context has no pinned pages and the hand-over succeeds */
static bool lib_change_process(Bench *b)
{
    return lib_ok(iommufd_backend_change_process(b->be, &err), b);
}
static bool raw_change(Bench *b) { return raw_change_process(b->fd) == 0; }
static bool lib_change_capable(Bench *b)
{
    return iommufd_backend_change_process_capable(b->be) || (b->why = "not capable", false);
}
static bool raw_change_capable(Bench *b) { return raw_probe_change_process(b->fd); }

/* HWPT */
static bool lib_alloc_hwpt(Bench *b)
{
    return lib_ok(iommufd_backend_alloc_hwpt(b->be, b->dev, b->ioas, 0, 0, 0, NULL, 0, &b->out,
                                             &err), b);
}
static bool raw_alloc_hwpt(Bench *b)
{
    return raw_hwpt_alloc(b->fd, b->dev, b->ioas, 0, 0, 0, NULL, 0, &b->out) == 0;
}

static uint32_t info_type, info_len;
static uint64_t info_caps;
static uint8_t info_pasid;
static uint8_t info_data[64];
/* both ask for the default type (info_type 0: no IOMMU_HW_INFO_FLAG_INPUT_TYPE) */
static bool lib_hw_info(Bench *b)
{
    info_type = 0;
    return lib_ok(iommufd_backend_get_device_info(b->be, b->dev, &info_type, info_data,
                                                  sizeof(info_data), &info_caps, &info_pasid,
                                                  &info_len, &err), b);
}
static bool raw_hw_info(Bench *b)
{
    info_type = 0;
    return raw_get_hw_info(b->fd, b->dev, &info_type, info_data, sizeof(info_data), &info_caps,
                           &info_pasid, &info_len) == 0;
}

static bool setup_dirty(Bench *b)
{
    if (!need_dev(b)) {
        return false;
    }
    if (setup_hwpt(b->fd, b->dev, b->ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 0, 0, NULL,
                   &b->dirty_hwpt)) {
        b->why = "IOMMU_HWPT_ALLOC with DIRTY_TRACKING failed";
        return false;
    }
    return true;
}
static void teardown_dirty(Bench *b) { undo_destroy(b->fd, b->dirty_hwpt); }
static bool lib_dirty_tracking(Bench *b)
{
    return lib_ok(iommufd_backend_set_dirty_tracking(b->be, b->dirty_hwpt, true, &err), b);
}
static bool raw_dirty_tracking(Bench *b) { return raw_set_dirty_tracking(b->fd, b->dirty_hwpt, true) == 0; }

static bool setup_dirty_map(Bench *b)
{
    if (!setup_dirty(b)) {
        return false;
    }
    if (undo_map(b->fd, b->ioas, IOVA, 16 * PAGE, b->buf) ||
        raw_set_dirty_tracking(b->fd, b->dirty_hwpt, true)) {
        b->why = "map or SET_DIRTY_TRACKING failed";
        return false;
    }
    return true;
}
static void teardown_dirty_map(Bench *b)
{
    undo_unmap(b->fd, b->ioas, IOVA, 16 * PAGE);
    teardown_dirty(b);
}
static bool lib_dirty_bitmap(Bench *b)
{
    return lib_ok(iommufd_backend_get_dirty_bitmap(b->be, b->dirty_hwpt, IOVA, 16 * PAGE, PAGE,
                                                   b->bitmap, 0, &err), b);
}
static bool raw_dirty_bitmap(Bench *b)
{
    return raw_get_dirty_bitmap(b->fd, b->dirty_hwpt, IOVA, 16 * PAGE, PAGE, b->bitmap, 0) == 0;
}

static bool setup_nested(Bench *b)
{
    struct iommu_hwpt_selftest sd = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    if (!need_dev(b)) {
        return false;
    }
    if (setup_hwpt(b->fd, b->dev, b->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, 0, NULL,
                   &b->parent) ||
        setup_hwpt(b->fd, b->dev, b->parent, 0, IOMMU_HWPT_DATA_SELFTEST, sizeof(sd.iotlb), &sd,
                   &b->nested)) {
        b->why = "a nesting parent or a selftest nested HWPT could not be allocated";
        return false;
    }
    return true;
}
static void teardown_nested(Bench *b)
{
    undo_destroy(b->fd, b->nested);
    undo_destroy(b->fd, b->parent);
}
static struct iommu_hwpt_invalidate_selftest inv[2] = { { .iotlb_id = 0 }, { .iotlb_id = 1 } };
static bool lib_invalidate(Bench *b)
{
    uint32_t num = 2;
    return lib_ok(iommufd_backend_invalidate_cache(b->be, b->nested,
                                                   IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                                                   sizeof(inv[0]), &num, inv, &err), b) &&
           num == 2;
}
static bool raw_invalidate(Bench *b)
{
    uint32_t num = 2;
    return raw_hwpt_invalidate(b->fd, b->nested, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                               sizeof(inv[0]), &num, inv) == 0 && num == 2;
}

/* virtualisation */
static bool lib_faultq(Bench *b)
{
    return lib_ok(iommufd_backend_alloc_faultq(b->be, &b->out, &b->out_fd, &err), b);
}
static bool raw_faultq(Bench *b) { return raw_fault_alloc(b->fd, &b->out, &b->out_fd) == 0; }
static bool undo_out_fd(Bench *b)
{
    close(b->out_fd);
    b->out_fd = -1;
    return undo_destroy(b->fd, b->out) == 0;
}

static struct iommu_viommu_selftest vdata = { .in_data = 0xabcd };
static bool setup_parent(Bench *b)
{
    if (!need_dev(b)) {
        return false;
    }
    if (setup_hwpt(b->fd, b->dev, b->ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, 0, 0, NULL,
                   &b->parent)) {
        b->why = "a nesting parent could not be allocated";
        return false;
    }
    return true;
}
static void teardown_parent(Bench *b) { undo_destroy(b->fd, b->parent); }
static bool lib_viommu(Bench *b)
{
    return lib_ok(iommufd_backend_alloc_viommu(b->be, b->dev, IOMMU_VIOMMU_TYPE_SELFTEST,
                                               b->parent, &vdata, sizeof(vdata), &b->out, &err),
                  b);
}
static bool raw_viommu(Bench *b)
{
    return raw_viommu_alloc(b->fd, b->dev, IOMMU_VIOMMU_TYPE_SELFTEST, b->parent, &vdata,
                            sizeof(vdata), &b->out) == 0;
}

static bool setup_viommu(Bench *b)
{
    if (!setup_parent(b)) {
        return false;
    }
    if (raw_viommu_alloc(b->fd, b->dev, IOMMU_VIOMMU_TYPE_SELFTEST, b->parent, &vdata,
                         sizeof(vdata), &b->viommu)) {
        b->why = "IOMMU_VIOMMU_ALLOC failed";
        return false;
    }
    return true;
}
static void teardown_viommu(Bench *b)
{
    undo_destroy(b->fd, b->viommu);
    teardown_parent(b);
}
static bool lib_vdev(Bench *b)
{
    return lib_ok(iommufd_backend_alloc_vdev(b->be, b->dev, b->viommu, 0x42, &b->out, &err), b);
}
static bool raw_vdev(Bench *b) { return raw_vdevice_alloc(b->fd, b->dev, b->viommu, 0x42, &b->out) == 0; }
static bool lib_veventq(Bench *b)
{
    return lib_ok(iommufd_backend_alloc_veventq(b->be, b->viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 16,
                                                &b->out, &b->out_fd, &err), b);
}
static bool raw_veventq(Bench *b)
{
    return raw_veventq_alloc(b->fd, b->viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 16, &b->out,
                             &b->out_fd) == 0;
}

static bool setup_hw_queue(Bench *b)
{
    if (!setup_viommu(b)) {
        return false;
    }
    if (undo_map(b->fd, b->ioas, IOVA, PAGE, b->buf)) {
        b->why = "IOMMU_IOAS_MAP failed";
        return false;
    }
    return true;
}
static void teardown_hw_queue(Bench *b)
{
    teardown_viommu(b);
    undo_unmap(b->fd, b->ioas, IOVA, PAGE);
}
static bool lib_hw_queue(Bench *b)
{
    return lib_ok(iommufd_backend_alloc_hw_queue(b->be, b->viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0,
                                                 IOVA, PAGE, &b->out, &err), b);
}
static bool raw_hw_queue(Bench *b)
{
    return raw_hw_queue_alloc(b->fd, b->viommu, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0, IOVA, PAGE,
                              &b->out) == 0;
}

/* VFIO: a mock cdev node (iommufd_mock_add_device, found with dlsym: the
 * mock is preloaded, never linked) */
typedef int (*AddDeviceFn)(uint32_t flags, char *path, size_t len);
static char vfio_path[256];

static bool setup_vfio_node(Bench *b)
{
    AddDeviceFn add = (AddDeviceFn)dlsym(RTLD_DEFAULT, "iommufd_mock_add_device");
    if (!add) {
        b->why = "needs the mock's iommufd_mock_add_device (a VFIO cdev node)";
        return false;
    }
    if (!vfio_path[0] && add(0, vfio_path, sizeof(vfio_path)) != 0) {
        b->why = "iommufd_mock_add_device failed";
        return false;
    }
    return true;
}
static bool open_vfio(Bench *b)
{
    b->vfio_fd = open(vfio_path, O_RDWR | O_CLOEXEC);
    return b->vfio_fd >= 0;
}
static bool setup_bind(Bench *b) { return setup_vfio_node(b) && open_vfio(b); }
static void teardown_vfio(Bench *b)
{
    if (b->vfio_fd >= 0) {
        close(b->vfio_fd);
        b->vfio_fd = -1;
    }
}
/* a bind is undone by closing the device fd: open it again */
static bool undo_bind(Bench *b)
{
    teardown_vfio(b);
    return open_vfio(b);
}
static bool lib_bind(Bench *b)
{
    return lib_ok(iommufd_backend_bind_device(b->be, b->vfio_fd, NULL, &b->vfio_dev, &err), b);
}
static bool raw_bind(Bench *b) { return raw_vfio_bind(b->vfio_fd, b->fd, &b->vfio_dev) == 0; }

static bool setup_bound(Bench *b)
{
    if (!setup_bind(b) || raw_vfio_bind(b->vfio_fd, b->fd, &b->vfio_dev)) {
        b->why = b->why ? b->why : "VFIO_DEVICE_BIND_IOMMUFD failed";
        return false;
    }
    return true;
}
static uint32_t attached_hwpt;
static bool lib_attach(Bench *b)
{
    return lib_ok(iommufd_vfio_device_attach(b->vfio_fd, b->ioas2, &attached_hwpt, &err), b);
}
static bool raw_attach(Bench *b) { return raw_vfio_attach(b->vfio_fd, b->ioas2, &attached_hwpt) == 0; }
static bool undo_attach(Bench *b)
{
    struct vfio_device_detach_iommufd_pt cmd = { .argsz = sizeof(cmd) };
    return ioctl(b->vfio_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &cmd) == 0;
}
static bool pre_attach(Bench *b)
{
    struct vfio_device_attach_iommufd_pt cmd = { .argsz = sizeof(cmd), .pt_id = b->ioas2 };
    return ioctl(b->vfio_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &cmd) == 0;
}
static bool lib_detach(Bench *b) { return lib_ok(iommufd_vfio_device_detach(b->vfio_fd, &err), b); }
static bool raw_detach(Bench *b) { return raw_vfio_detach(b->vfio_fd) == 0; }

/*
 * A case whose undo is "pre_X" runs pre_X before the op instead of an undo
 * after it: `before` below.
 */
typedef struct CaseEx {
    Case c;
    bool (*before)(Bench *b);
} CaseEx;

#define C(name, helper, raw, setup, lib, rawop, before, undo, teardown) \
    { { name, helper, raw, setup, lib, rawop, undo, teardown }, before }

static const CaseEx cases[] = {
    C("alloc_ioas", "iommufd_backend_alloc_ioas", "raw_ioas_alloc", NULL,
      lib_alloc_ioas, raw_alloc_ioas, NULL, undo_out, NULL),
    C("free_id", "iommufd_backend_free_id", "raw_destroy", NULL,
      lib_free_id, raw_free_id, pre_alloc_ioas, NULL, NULL),
    C("map_dma", "iommufd_backend_map_dma", "raw_ioas_map", NULL,
      lib_map, raw_map, NULL, undo_unmap_page, NULL),
    C("map_dma_auto", "iommufd_backend_map_dma_auto", "raw_ioas_map_auto", NULL,
      lib_map_auto, raw_map_auto, NULL, undo_unmap_auto, NULL),
    C("map_file_dma", "iommufd_backend_map_file_dma", "raw_ioas_map_file", setup_memfd,
      lib_map_file, raw_map_file, NULL, undo_unmap_file, teardown_memfd),
    C("unmap_dma", "iommufd_backend_unmap_dma", "raw_ioas_unmap", NULL,
      lib_unmap, raw_unmap, pre_map, NULL, NULL),
    C("copy_dma", "iommufd_backend_copy_dma", "raw_ioas_copy", setup_copy,
      lib_copy, raw_copy, NULL, undo_copy, teardown_copy),
    C("get_iova_ranges", "iommufd_backend_get_iova_ranges", "raw_ioas_iova_ranges_alloc", NULL,
      lib_iova_ranges, raw_iova_ranges_alloc, NULL, undo_iova_ranges, NULL),
    C("get_iova_ranges_into", "iommufd_backend_get_iova_ranges_into", "raw_ioas_iova_ranges",
      NULL, lib_iova_ranges_into, raw_iova_ranges, NULL, NULL, NULL),
    C("allow_iovas", "iommufd_backend_allow_iovas", "raw_ioas_allow_iovas", NULL,
      lib_allow, raw_allow, NULL, NULL, NULL),
    C("get_option", "iommufd_backend_get_option", "raw_option_get", NULL,
      lib_get_option, raw_get_option, NULL, NULL, NULL),
    C("set_option", "iommufd_backend_set_option", "raw_option_set", NULL,
      lib_set_option, raw_set_option, NULL, NULL, NULL),
    C("get_vfio_ioas", "iommufd_backend_get_vfio_ioas", "raw_vfio_ioas_get", set_vfio_ioas,
      lib_get_vfio_ioas, raw_get_vfio_ioas, NULL, NULL, teardown_vfio_ioas),
    C("set_vfio_ioas", "iommufd_backend_set_vfio_ioas", "raw_vfio_ioas_set", NULL,
      lib_set_vfio_ioas, set_vfio_ioas, NULL, NULL, teardown_vfio_ioas),
    C("clear_vfio_ioas", "iommufd_backend_clear_vfio_ioas", "raw_vfio_ioas_clear", NULL,
      lib_clear_vfio_ioas, raw_clear, NULL, clear_vfio_ioas, NULL),
    C("change_process_capable", "iommufd_backend_change_process_capable",
      "raw_probe_change_process", NULL,
      lib_change_capable, raw_change_capable, NULL, NULL, NULL),
    C("alloc_hwpt", "iommufd_backend_alloc_hwpt", "raw_hwpt_alloc", need_dev,
      lib_alloc_hwpt, raw_alloc_hwpt, NULL, undo_out, NULL),
    C("get_device_info", "iommufd_backend_get_device_info", "raw_get_hw_info", need_dev,
      lib_hw_info, raw_hw_info, NULL, NULL, NULL),
    C("set_dirty_tracking", "iommufd_backend_set_dirty_tracking", "raw_set_dirty_tracking",
      setup_dirty, lib_dirty_tracking, raw_dirty_tracking, NULL, NULL, teardown_dirty),
    C("get_dirty_bitmap", "iommufd_backend_get_dirty_bitmap", "raw_get_dirty_bitmap",
      setup_dirty_map, lib_dirty_bitmap, raw_dirty_bitmap, NULL, NULL, teardown_dirty_map),
    C("invalidate_cache", "iommufd_backend_invalidate_cache", "raw_hwpt_invalidate",
      setup_nested, lib_invalidate, raw_invalidate, NULL, NULL, teardown_nested),
    C("alloc_faultq", "iommufd_backend_alloc_faultq", "raw_fault_alloc", NULL,
      lib_faultq, raw_faultq, NULL, undo_out_fd, NULL),
    C("alloc_viommu", "iommufd_backend_alloc_viommu", "raw_viommu_alloc", setup_parent,
      lib_viommu, raw_viommu, NULL, undo_out, teardown_parent),
    C("alloc_vdev", "iommufd_backend_alloc_vdev", "raw_vdevice_alloc", setup_viommu,
      lib_vdev, raw_vdev, NULL, undo_out, teardown_viommu),
    C("alloc_veventq", "iommufd_backend_alloc_veventq", "raw_veventq_alloc", setup_viommu,
      lib_veventq, raw_veventq, NULL, undo_out_fd, teardown_viommu),
    C("alloc_hw_queue", "iommufd_backend_alloc_hw_queue", "raw_hw_queue_alloc", setup_hw_queue,
      lib_hw_queue, raw_hw_queue, NULL, undo_out, teardown_hw_queue),
    C("bind_device", "iommufd_backend_bind_device", "raw_vfio_bind", setup_bind,
      lib_bind, raw_bind, NULL, undo_bind, teardown_vfio),
    C("vfio_device_attach", "iommufd_vfio_device_attach", "raw_vfio_attach", setup_bound,
      lib_attach, raw_attach, NULL, undo_attach, teardown_vfio),
    C("vfio_device_detach", "iommufd_vfio_device_detach", "raw_vfio_detach", setup_bound,
      lib_detach, raw_detach, pre_attach, NULL, teardown_vfio),
    /* last: after it, the context has been handed over (nothing else may run) */
    C("change_process", "iommufd_backend_change_process", "raw_change_process", NULL,
      lib_change_process, raw_change, NULL, NULL, NULL),
};

static bool run_phase(Bench *b, const CaseEx *ce, bool lib, long n)
{
    for (long i = 0; i < n; i++) {
        if (ce->before && !ce->before(b)) {
            b->why = "the state before the op could not be made";
            return false;
        }
        if (wrap) {
            CALLGRIND_TOGGLE_COLLECT;
        }
        bool ok = lib ? ce->c.lib(b) : ce->c.raw_op(b);
        if (wrap) {
            CALLGRIND_TOGGLE_COLLECT;
        }
        if (!ok) {
            if (!b->why) {
                b->why = lib ? "the helper failed" : "the raw ioctl failed";
            }
            return false;
        }
        if (ce->c.undo && !ce->c.undo(b)) {
            b->why = "the undo failed";
            return false;
        }
    }
    return true;
}

static int cmd_count(long n, const char *only)
{
    Bench b;
    char tag[128];
    int failures = 0;

    if (!bench_setup(&b)) {
        return 1;
    }
    printf("selftest_device %d\n", b.dev != 0);
    Dl_info info;
    if (dladdr((void *)iommufd_backend_new, &info) && info.dli_fname) {
        printf("library %s\n", info.dli_fname);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const CaseEx *ce = &cases[i];
        if (only && strcmp(only, ce->c.name) != 0) {
            continue;
        }
        b.why = NULL;
        CALLGRIND_DUMP_STATS_AT("setup");
        bool ok = !ce->c.setup || ce->c.setup(&b);
        /* warm-up: lazy binding, the first allocations of each path */
        ok = ok && run_phase(&b, ce, true, 2) && run_phase(&b, ce, false, 2);
        CALLGRIND_DUMP_STATS_AT("setup");
        if (ok) {
            ok = run_phase(&b, ce, true, n);
            snprintf(tag, sizeof(tag), "%s lib %ld", ce->c.name, n);
            CALLGRIND_DUMP_STATS_AT(tag);
        }
        if (ok) {
            ok = run_phase(&b, ce, false, n);
            snprintf(tag, sizeof(tag), "%s raw %ld", ce->c.name, n);
            CALLGRIND_DUMP_STATS_AT(tag);
        }
        if (ce->c.teardown) {
            ce->c.teardown(&b);
        }
        CALLGRIND_DUMP_STATS_AT("teardown");
        if (ok) {
            printf("ran %s\n", ce->c.name);
        } else {
            printf("fail %s %s\n", ce->c.name, b.why ? b.why : "?");
            failures++;
        }
        fflush(stdout);
    }
    bench_teardown(&b);
    return failures ? 1 : 0;
}

/* ---- time: helper loops against raw loops ----------------------------------- */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* one loop of n ops; returns ns per op, or -1 */
static double loop_ioas(Bench *b, bool lib, long n)
{
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        uint32_t id;
        if (lib) {
            if (!iommufd_backend_alloc_ioas(b->be, &id, &err) ||
                !iommufd_backend_free_id(b->be, id, &err)) {
                return -1;
            }
        } else if (raw_ioas_alloc(b->fd, &id) || raw_destroy(b->fd, id)) {
            return -1;
        }
    }
    return (now_ns() - t0) / n;
}

static double loop_map(Bench *b, bool lib, long n)
{
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
        if (lib) {
            if (!iommufd_backend_map_dma(b->be, b->ioas2, IOVA, PAGE, b->buf, false, &err) ||
                !iommufd_backend_unmap_dma(b->be, b->ioas2, IOVA, PAGE, NULL, &err)) {
                return -1;
            }
        } else if (raw_ioas_map(b->fd, b->ioas2, IOVA, PAGE, b->buf, false) ||
                   raw_ioas_unmap(b->fd, b->ioas2, IOVA, PAGE, NULL)) {
            return -1;
        }
    }
    return (now_ns() - t0) / n;
}

static int cmd_time(int rounds, long n)
{
    static const struct {
        const char *name;
        double (*loop)(Bench *b, bool lib, long n);
    } loops[] = {
        { "ioas_alloc_destroy", loop_ioas },
        { "map_unmap_4k", loop_map },
    };
    Bench b;

    if (!bench_setup(&b)) {
        return 1;
    }
    double *lib = g_new(double, rounds);
    double *raw = g_new(double, rounds);
    int rc = 0;
    for (size_t l = 0; l < G_N_ELEMENTS(loops); l++) {
        /* one untimed round of each; then the two alternate, so that a
         * slow moment of the machine hits both */
        if (loops[l].loop(&b, true, n) < 0 || loops[l].loop(&b, false, n) < 0) {
            fprintf(stderr, "helper-cost: %s failed: %s\n", loops[l].name,
                    err ? iommufd_error_get_pretty(err) : strerror(errno));
            rc = 1;
            break;
        }
        for (int r = 0; r < rounds; r++) {
            lib[r] = loops[l].loop(&b, true, n);
            raw[r] = loops[l].loop(&b, false, n);
        }
        printf("%s_runs_lib", loops[l].name);
        for (int r = 0; r < rounds; r++) {
            printf(" %.0f", lib[r]);
        }
        printf("\n%s_runs_raw", loops[l].name);
        for (int r = 0; r < rounds; r++) {
            printf(" %.0f", raw[r]);
        }
        double ml = median(lib, rounds), mr = median(raw, rounds);
        printf("\n%s_lib_ns %.1f\n%s_raw_ns %.1f\n%s_ratio %.4f\n", loops[l].name, ml,
               loops[l].name, mr, loops[l].name, ml / mr);
    }
    g_free(lib);
    g_free(raw);
    bench_teardown(&b);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "list") == 0) {
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
            printf("case %s %s %s\n", cases[i].c.name, cases[i].c.helper, cases[i].c.raw);
        }
        return 0;
    }
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "wrap") == 0 && atol(argv[2]) > 0) {
        wrap = true;
        return cmd_count(atol(argv[2]), argc == 4 ? argv[3] : NULL);
    }
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "count") == 0 && atol(argv[2]) > 0) {
        return cmd_count(atol(argv[2]), argc == 4 ? argv[3] : NULL);
    }
    if (argc == 4 && strcmp(argv[1], "time") == 0 && atoi(argv[2]) > 0 && atol(argv[3]) > 0) {
        return cmd_time(atoi(argv[2]), atol(argv[3]));
    }
    fprintf(stderr, "usage: helper-cost list | count|wrap N [CASE] | time ROUNDS N\n");
    return 2;
}
