/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw-ioctl conformance of the iommufd core: the dispatcher's size contract
 * for every command (in the spirit of the kernel selftests' cmd_length and
 * cmd_ex_fail), object ids and lifetimes, the IOAS commands (map, map_file,
 * unmap, copy, iova_ranges, allow_iovas, option, vfio_ioas, change_process),
 * the selftest commands that inspect them (ADD_RESERVED, MD_CHECK_MAP,
 * MD_CHECK_REFS, the access ops) and the VFIO type1 compatibility ioctls that
 * /dev/iommu answers.  Every expectation comes from the kernel's behaviour
 * (reference/kernel-abi.md, drivers/iommu/iommufd, the kernel selftests), so
 * the same binary runs against the preloaded mock and against a real kernel.
 * HWPT, HW info, dirty tracking, fault and event queues are in test-hwpt.c.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "tests/abi/abi-util.h"
#include "../common/fd-check.h"

#ifndef VFIO_IOMMU_DIRTY_PAGES
#define VFIO_IOMMU_DIRTY_PAGES _IO(VFIO_TYPE, VFIO_BASE + 17)
#endif
#define VFIO_DEVICE_GET_INFO_NR _IO(VFIO_TYPE, VFIO_BASE + 7)

#define U64_MAX UINT64_MAX
#define CAP_IPC_LOCK_BIT 14
#define CAP_SYS_RESOURCE_BIT 24

static size_t PAGE;
static size_t MOCK_PAGE; /* the selftest mock domain's IO page: PAGE_SIZE / 2 */
static size_t BUFFER_SIZE;
static uint8_t *buffer; /* shared by all tests, checked for leaked pins at teardown */
static int probe_fd = -1; /* for size-0 probes only */
static bool have_selftest;

/* ---- small helpers ------------------------------------------------------- */

static bool has_cap(int bit)
{
    g_autofree char *status = NULL;
    const char *p;

    if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL)) {
        return false;
    }
    p = strstr(status, "CapEff:");
    if (!p) {
        return false;
    }
    return (g_ascii_strtoull(p + 7, NULL, 16) >> bit) & 1;
}

static int tcmd(int fd, struct iommu_test_cmd *cmd)
{
    cmd->size = sizeof(*cmd);
    return abi_ioctl(fd, IOMMU_TEST_CMD, cmd);
}

static int map_flags(int fd, uint32_t ioas, void *p, uint64_t len, uint64_t *iova, uint32_t flags)
{
    struct iommu_ioas_map cmd = {
        .size = sizeof(cmd),
        .flags = flags,
        .ioas_id = ioas,
        .user_va = (uintptr_t)p,
        .length = len,
        .iova = *iova,
    };
    int rc = abi_ioctl(fd, IOMMU_IOAS_MAP, &cmd);

    if (rc == 0) {
        *iova = cmd.iova;
    }
    return rc;
}

#define RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

static int map_fixed(int fd, uint32_t ioas, void *p, uint64_t len, uint64_t iova)
{
    return map_flags(fd, ioas, p, len, &iova, RW | IOMMU_IOAS_MAP_FIXED_IOVA);
}

static int map_auto(int fd, uint32_t ioas, void *p, uint64_t len, uint64_t *iova)
{
    *iova = 0;
    return map_flags(fd, ioas, p, len, iova, RW);
}

static int unmap(int fd, uint32_t ioas, uint64_t iova, uint64_t len, uint64_t *out_len)
{
    struct iommu_ioas_unmap cmd = {
        .size = sizeof(cmd), .ioas_id = ioas, .iova = iova, .length = len,
    };
    int rc = abi_ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);

    if (rc == 0 && out_len) {
        *out_len = cmd.length;
    }
    return rc;
}

/* unmap that must succeed and report exactly len */
static void unmap_ok(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
    uint64_t out = 0;

    g_assert_cmpint(unmap(fd, ioas, iova, len, &out), ==, 0);
    g_assert_cmpuint(out, ==, len);
}

static int add_reserved(int fd, uint32_t ioas, uint64_t start, uint64_t len)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ADD_RESERVED, .id = ioas };

    cmd.add_reserved.start = start;
    cmd.add_reserved.length = len;
    return tcmd(fd, &cmd);
}

static int check_map(int fd, uint32_t hwpt, uint64_t iova, uint64_t len, const void *p)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_MAP, .id = hwpt };

    cmd.check_map.iova = iova;
    cmd.check_map.length = len;
    cmd.check_map.uptr = (uintptr_t)p;
    return tcmd(fd, &cmd);
}

static int check_refs(int fd, const void *p, uint64_t len, uint32_t refs)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_REFS };

    cmd.check_refs.length = len;
    cmd.check_refs.uptr = (uintptr_t)p;
    cmd.check_refs.refs = refs;
    return tcmd(fd, &cmd);
}

static int create_access(int fd, uint32_t ioas, uint32_t flags, int *access_fd)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_CREATE_ACCESS, .id = ioas };
    int rc;

    cmd.create_access.flags = flags;
    rc = tcmd(fd, &cmd);
    if (rc == 0) {
        *access_fd = (int)cmd.create_access.out_access_fd;
    }
    return rc;
}

static int access_pages(int fd, int access_fd, uint64_t iova, uint64_t len, const void *p,
                        uint32_t flags, uint32_t *id)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_PAGES, .id = (uint32_t)access_fd };
    int rc;

    cmd.access_pages.flags = flags;
    cmd.access_pages.iova = iova;
    cmd.access_pages.length = len;
    cmd.access_pages.uptr = (uintptr_t)p;
    rc = tcmd(fd, &cmd);
    if (rc == 0 && id) {
        *id = cmd.access_pages.out_access_pages_id;
    }
    return rc;
}

static int destroy_access_pages(int fd, int access_fd, uint32_t id)
{
    struct iommu_test_cmd cmd = {
        .op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, .id = (uint32_t)access_fd,
    };

    cmd.destroy_access_pages.access_pages_id = id;
    return tcmd(fd, &cmd);
}

static int access_rw(int fd, int access_fd, uint64_t iova, void *p, uint64_t len, uint32_t flags)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_RW, .id = (uint32_t)access_fd };

    cmd.access_rw.iova = iova;
    cmd.access_rw.length = len;
    cmd.access_rw.uptr = (uintptr_t)p;
    cmd.access_rw.flags = flags;
    return tcmd(fd, &cmd);
}

/* IOMMU_IOAS_IOVA_RANGES into r[cap]; 0 / -errno; *num and *align written back */
static int iova_ranges(int fd, uint32_t ioas, struct iommu_iova_range *r, uint32_t cap,
                       uint32_t *num, uint64_t *align)
{
    struct iommu_ioas_iova_ranges cmd = {
        .size = sizeof(cmd), .ioas_id = ioas, .num_iovas = cap, .allowed_iovas = (uintptr_t)r,
    };
    int rc = abi_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);

    if (rc == 0 || rc == -EMSGSIZE) {
        *num = cmd.num_iovas;
        if (align) {
            *align = cmd.out_iova_alignment;
        }
    }
    return rc;
}

/* [iova, iova + len) lies in one usable range and is aligned as reported */
static void assert_iova_usable(int fd, uint32_t ioas, uint64_t iova, uint64_t len)
{
    struct iommu_iova_range r[16];
    uint32_t num = 0;
    uint64_t align = 0;
    bool inside = false;

    g_assert_cmpint(iova_ranges(fd, ioas, r, G_N_ELEMENTS(r), &num, &align), ==, 0);
    g_assert_cmpuint(num, <=, G_N_ELEMENTS(r));
    g_assert_cmpuint(align, !=, 0);
    if (align) {
        g_assert_cmpuint(iova % align, ==, 0);
    }
    for (uint32_t i = 0; i < num && i < G_N_ELEMENTS(r); i++) {
        if (iova >= r[i].start && iova + len - 1 <= r[i].last) {
            inside = true;
        }
    }
    g_assert_true(inside);
}

/*
 * n pages the caller cannot pin: a PROT_NONE mapping, kept until the test
 * unmaps it.  (An unmapped hole would do for the kernel too, but another
 * thread or a sanitizer's allocator may map something there before the test
 * uses it; PROT_NONE fails pinning, EFAULT, just the same.)
 */
static void *inaccessible_va(size_t n)
{
    void *p = mmap(NULL, n * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    g_assert_true(p != MAP_FAILED);
    return p;
}

/* Skip a test, closing nothing: callers skip before opening anything. */
#define NEED_SELFTEST() ABI_NEED_SELFTEST(probe_fd)

static void skip_printf(const char *fmt, const char *name)
{
    g_autofree char *msg = g_strdup_printf(fmt, name);

    g_test_skip(msg);
}

/* ==== 1. the size contract ================================================= */

typedef struct CmdDesc {
    const char *name;
    unsigned nr;
    unsigned long ioctl;
    size_t size; /* the current struct */
    size_t min;  /* the kernel's min_size (offsetofend of the oldest last member) */
    bool in_6_12;
} CmdDesc;

#define CMD(n, st, mn, in612) \
    { #n, _IOC_NR(n), n, sizeof(struct st), mn, in612 }

static const CmdDesc cmds[] = {
    CMD(IOMMU_DESTROY, iommu_destroy, 8, true),
    CMD(IOMMU_IOAS_ALLOC, iommu_ioas_alloc, 12, true),
    CMD(IOMMU_IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, 24, true),
    CMD(IOMMU_IOAS_COPY, iommu_ioas_copy, 40, true),
    CMD(IOMMU_IOAS_IOVA_RANGES, iommu_ioas_iova_ranges, 32, true),
    CMD(IOMMU_IOAS_MAP, iommu_ioas_map, 40, true),
    CMD(IOMMU_IOAS_UNMAP, iommu_ioas_unmap, 24, true),
    CMD(IOMMU_OPTION, iommu_option, 24, true),
    CMD(IOMMU_VFIO_IOAS, iommu_vfio_ioas, 12, true),
    CMD(IOMMU_HWPT_ALLOC, iommu_hwpt_alloc, 24, true),
    CMD(IOMMU_GET_HW_INFO, iommu_hw_info, 32, true),
    CMD(IOMMU_HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking, 16, true),
    CMD(IOMMU_HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap, 48, true),
    CMD(IOMMU_HWPT_INVALIDATE, iommu_hwpt_invalidate, 32, true),
    CMD(IOMMU_FAULT_QUEUE_ALLOC, iommu_fault_alloc, 16, true),
    CMD(IOMMU_IOAS_MAP_FILE, iommu_ioas_map_file, 40, false),
    CMD(IOMMU_VIOMMU_ALLOC, iommu_viommu_alloc, 24, false),
    CMD(IOMMU_VDEVICE_ALLOC, iommu_vdevice_alloc, 24, false),
    CMD(IOMMU_IOAS_CHANGE_PROCESS, iommu_ioas_change_process, 8, false),
    CMD(IOMMU_VEVENTQ_ALLOC, iommu_veventq_alloc, 28, false),
    CMD(IOMMU_HW_QUEUE_ALLOC, iommu_hw_queue_alloc, 40, false),
    CMD(IOMMU_TEST_CMD, iommu_test_cmd, 68, true),
};

/*
 * Issue a command from buf with the given size field; a successful
 * FAULT_QUEUE_ALLOC hands out an fd, which is closed here.
 */
static int issue(int fd, const CmdDesc *c, uint8_t *buf, uint32_t size)
{
    int rc;

    memcpy(buf, &size, sizeof(size));
    rc = abi_ioctl(fd, c->ioctl, buf);
    if (rc >= 0 && c->ioctl == IOMMU_FAULT_QUEUE_ALLOC) {
        struct iommu_fault_alloc *f = (void *)buf;

        close((int)f->out_fault_fd);
    }
    return rc;
}

/*
 * A valid instance of a command, built in a fresh context (prerequisites
 * created there): the zero-tail rule is then checked on a success, not only on
 * matching failures.  Returns false when the command's prerequisites need the
 * selftest and it is absent.  *skip_off, *skip_len: an output not expected to
 * repeat between two contexts (an fd number), or 0.
 */
typedef bool (*ValidFn)(int fd, uint8_t *buf, size_t *skip_off, size_t *skip_len);

static const struct iommu_iova_range valid_range[1] = { { .start = 0x100000, .last = 0x1fffff } };
static struct iommu_iova_range valid_out_ranges[4];
static struct iommu_test_hw_info valid_hw_data;

static bool valid_destroy(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    struct iommu_destroy *c = (void *)buf;

    (void)so, (void)sl;
    c->id = abi_ioas_alloc(fd);
    return true;
}

static bool valid_ioas_alloc(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    (void)fd, (void)buf, (void)so, (void)sl;
    return true;
}

static bool valid_allow_iovas(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    struct iommu_ioas_allow_iovas *c = (void *)buf;

    (void)so, (void)sl;
    c->ioas_id = abi_ioas_alloc(fd);
    c->num_iovas = 1;
    c->allowed_iovas = (uintptr_t)valid_range;
    return true;
}

static bool valid_copy(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    struct iommu_ioas_copy *c = (void *)buf;

    (void)so, (void)sl;
    c->src_ioas_id = abi_ioas_alloc(fd);
    c->dst_ioas_id = abi_ioas_alloc(fd);
    g_assert_cmpint(map_fixed(fd, c->src_ioas_id, buffer, PAGE, 0x100000), ==, 0);
    c->flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA;
    c->length = PAGE;
    c->src_iova = 0x100000;
    c->dst_iova = 0x200000;
    return true;
}

static bool valid_iova_ranges(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    struct iommu_ioas_iova_ranges *c = (void *)buf;

    (void)so, (void)sl;
    c->ioas_id = abi_ioas_alloc(fd);
    c->num_iovas = G_N_ELEMENTS(valid_out_ranges);
    c->allowed_iovas = (uintptr_t)valid_out_ranges;
    return true;
}

static bool valid_map(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    struct iommu_ioas_map *c = (void *)buf;

    (void)so, (void)sl;
    c->ioas_id = abi_ioas_alloc(fd);
    c->flags = RW;   /* the kernel chooses the IOVA: an output */
    c->user_va = (uintptr_t)buffer;
    c->length = 2 * PAGE;
    return true;
}

static bool valid_unmap(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    struct iommu_ioas_unmap *c = (void *)buf;

    (void)so, (void)sl;
    c->ioas_id = abi_ioas_alloc(fd);
    g_assert_cmpint(map_fixed(fd, c->ioas_id, buffer, 3 * PAGE, 0x100000), ==, 0);
    c->iova = 0;
    c->length = U64_MAX;   /* unmap-all: the length unmapped is the output */
    return true;
}

static bool valid_option(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    struct iommu_option *c = (void *)buf;

    (void)so, (void)sl;
    c->option_id = IOMMU_OPTION_HUGE_PAGES;
    c->op = IOMMU_OPTION_OP_GET;
    c->object_id = abi_ioas_alloc(fd);
    return true;
}

static bool valid_vfio_ioas(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    struct iommu_vfio_ioas *c = (void *)buf;
    struct iommu_vfio_ioas set = { .size = sizeof(set), .op = IOMMU_VFIO_IOAS_SET };

    (void)so, (void)sl;
    abi_ioas_alloc(fd);
    set.ioas_id = abi_ioas_alloc(fd);
    g_assert_cmpint(abi_ioctl(fd, IOMMU_VFIO_IOAS, &set), ==, 0);
    c->op = IOMMU_VFIO_IOAS_GET;
    return true;
}

static bool valid_hwpt_alloc(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    struct iommu_hwpt_alloc *c = (void *)buf;

    (void)so, (void)sl;
    if (!have_selftest) {
        return false;
    }
    c->pt_id = abi_ioas_alloc(fd);
    g_assert_cmpint(abi_mock_domain(fd, c->pt_id, 0, NULL, NULL, &c->dev_id), ==, 0);
    c->flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
    return true;
}

static bool valid_hw_info(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    struct iommu_hw_info *c = (void *)buf;
    uint32_t ioas;

    (void)so, (void)sl;
    if (!have_selftest) {
        return false;
    }
    ioas = abi_ioas_alloc(fd);
    g_assert_cmpint(abi_mock_domain(fd, ioas, 0, NULL, NULL, &c->dev_id), ==, 0);
    memset(&valid_hw_data, 0, sizeof(valid_hw_data));
    c->data_len = sizeof(valid_hw_data);
    c->data_uptr = (uintptr_t)&valid_hw_data;
    return true;
}

static bool valid_set_dirty(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    struct iommu_hwpt_set_dirty_tracking *c = (void *)buf;
    struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING };

    (void)so, (void)sl;
    if (!have_selftest) {
        return false;
    }
    a.pt_id = abi_ioas_alloc(fd);
    g_assert_cmpint(abi_mock_domain(fd, a.pt_id, 0, NULL, NULL, &a.dev_id), ==, 0);
    g_assert_cmpint(abi_ioctl(fd, IOMMU_HWPT_ALLOC, &a), ==, 0);
    c->hwpt_id = a.out_hwpt_id;
    c->flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
    return true;
}

static bool valid_invalidate(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    static const struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    static struct iommu_hwpt_invalidate_selftest req = { .iotlb_id = 1 };
    struct iommu_hwpt_invalidate *c = (void *)buf;
    struct iommu_hwpt_alloc a = { .size = sizeof(a), .flags = IOMMU_HWPT_ALLOC_NEST_PARENT };
    uint32_t parent;

    (void)so, (void)sl;
    if (!have_selftest) {
        return false;
    }
    a.pt_id = abi_ioas_alloc(fd);
    g_assert_cmpint(abi_mock_domain(fd, a.pt_id, 0, NULL, NULL, &a.dev_id), ==, 0);
    g_assert_cmpint(abi_ioctl(fd, IOMMU_HWPT_ALLOC, &a), ==, 0);
    parent = a.out_hwpt_id;
    a.flags = 0;
    a.pt_id = parent;
    a.data_type = IOMMU_HWPT_DATA_SELFTEST;
    a.data_len = 4;   /* offsetofend(iotlb): what every kernel takes */
    a.data_uptr = (uintptr_t)&data;
    g_assert_cmpint(abi_ioctl(fd, IOMMU_HWPT_ALLOC, &a), ==, 0);
    c->hwpt_id = a.out_hwpt_id;
    c->data_uptr = (uintptr_t)&req;
    c->data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
    c->entry_len = sizeof(req);
    c->entry_num = 1;   /* entry_num out: the entries handled */
    return true;
}

static bool valid_fault_alloc(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    (void)fd, (void)buf;
    *so = offsetof(struct iommu_fault_alloc, out_fault_fd);
    *sl = sizeof(((struct iommu_fault_alloc *)0)->out_fault_fd);
    return true;
}

static bool valid_test_cmd(int fd, uint8_t *buf, size_t *so, size_t *sl)
{
    struct iommu_test_cmd *c = (void *)buf;

    (void)so, (void)sl;
    if (!have_selftest) {
        return false;
    }
    c->op = IOMMU_TEST_OP_MOCK_DOMAIN;   /* three ids out */
    c->id = abi_ioas_alloc(fd);
    return true;
}

static const struct {
    unsigned long ioctl;
    ValidFn build;
} valid_cmds[] = {
    { IOMMU_DESTROY, valid_destroy },
    { IOMMU_IOAS_ALLOC, valid_ioas_alloc },
    { IOMMU_IOAS_ALLOW_IOVAS, valid_allow_iovas },
    { IOMMU_IOAS_COPY, valid_copy },
    { IOMMU_IOAS_IOVA_RANGES, valid_iova_ranges },
    { IOMMU_IOAS_MAP, valid_map },
    { IOMMU_IOAS_UNMAP, valid_unmap },
    { IOMMU_OPTION, valid_option },
    { IOMMU_VFIO_IOAS, valid_vfio_ioas },
    { IOMMU_HWPT_ALLOC, valid_hwpt_alloc },
    { IOMMU_GET_HW_INFO, valid_hw_info },
    { IOMMU_HWPT_SET_DIRTY_TRACKING, valid_set_dirty },
    { IOMMU_HWPT_INVALIDATE, valid_invalidate },
    { IOMMU_FAULT_QUEUE_ALLOC, valid_fault_alloc },
    { IOMMU_TEST_CMD, valid_test_cmd },
};

/* Issue the valid instance with `size`, in its own context; the reply (the
 * kernel's struct) into out.  False if it cannot be built here. */
static bool run_valid(const CmdDesc *c, ValidFn build, uint32_t size, uint8_t *out,
                      size_t *skip_off, size_t *skip_len)
{
    uint8_t *buf = g_malloc0(c->size + 16);
    int fd = abi_open();
    bool built = build(fd, buf, skip_off, skip_len);

    if (built) {
        g_assert_cmpint(issue(fd, c, buf, size), ==, 0);
        for (size_t i = c->size; i < c->size + 16; i++) {
            g_assert_cmpuint(buf[i], ==, 0);
        }
        memcpy(out, buf, c->size);
    }
    close(fd);
    g_free(buf);
    return built;
}

/* size = sizeof + 8 with a zero tail: success, and the same outputs as with
 * size = sizeof (copy_struct_from_user accepts it; the reply is min(size,
 * sizeof) bytes).  The size word itself is the caller's and differs. */
static void check_zero_tail_valid(const CmdDesc *c)
{
    g_autofree uint8_t *exact = g_malloc0(c->size);
    g_autofree uint8_t *longer = g_malloc0(c->size);
    size_t so = 0, sl = 0, so2 = 0, sl2 = 0;

    for (size_t i = 0; i < G_N_ELEMENTS(valid_cmds); i++) {
        if (valid_cmds[i].ioctl != c->ioctl) {
            continue;
        }
        if (!run_valid(c, valid_cmds[i].build, c->size, exact, &so, &sl)) {
            g_test_message("no valid %s without the selftest", c->name);
            return;
        }
        g_assert_true(run_valid(c, valid_cmds[i].build, c->size + 8, longer, &so2, &sl2));
        if (sl) {
            memset(exact + so, 0, sl);
            memset(longer + so, 0, sl);
        }
        g_assert_cmpmem(exact + 4, c->size - 4, longer + 4, c->size - 4);
        return;
    }
}

static void test_size_contract(gconstpointer data)
{
    const CmdDesc *c = data;
    const size_t len = c->size + 16;
    uint8_t *buf;
    int fd, rc1, rc2;

    if (c->ioctl == IOMMU_TEST_CMD) {
        NEED_SELFTEST();
    } else if (!c->in_6_12 && abi_kernel_is_6_12()) {
        /* kernel-version behaviour: 6.12 answers ENOTTY whatever the size */
        g_assert_false(abi_has_cmd(probe_fd, c->nr));
        g_test_message("%s answers ENOTTY, as in Linux 6.12", c->name);
        return;
    } else if (!c->in_6_12 && !abi_has_cmd(probe_fd, c->nr)) {
        skip_printf("needs %s (ENOTTY: this kernel lacks the command)", c->name);
        return;
    }

    fd = abi_open();
    buf = g_malloc0(len);

    /* the size word is read before the command is looked up */
    g_assert_cmpint(abi_ioctl(fd, c->ioctl, NULL), ==, -EFAULT);

    /* size 0: the probe (EINVAL = present) */
    g_assert_cmpint(issue(fd, c, buf, 0), ==, -EINVAL);

    /* one byte short of the oldest struct, whatever follows */
    memset(buf, 0xff, len);
    g_assert_cmpint(issue(fd, c, buf, c->min - 1), ==, -EINVAL);

    /* longer than the kernel's struct with a non-zero tail: E2BIG */
    memset(buf, 0, len);
    buf[c->size] = 1;
    g_assert_cmpint(issue(fd, c, buf, c->size + 8), ==, -E2BIG);
    memset(buf, 0, len);
    buf[c->size + 7] = 0x80;
    g_assert_cmpint(issue(fd, c, buf, c->size + 8), ==, -E2BIG);

    /* a zero tail: exactly as size = sizeof; the reply never reaches the tail */
    memset(buf, 0, len);
    rc1 = issue(fd, c, buf, c->size);
    memset(buf, 0, len);
    rc2 = issue(fd, c, buf, c->size + 8);
    g_assert_cmpint(rc2, ==, rc1);
    for (size_t i = c->size; i < c->size + 8; i++) {
        g_assert_cmpuint(buf[i], ==, 0);
    }

    /* the same with a valid command: success and the same outputs */
    check_zero_tail_valid(c);

    /* the oldest size accepted, zero-extended: same answer as the full size */
    if (c->min < c->size) {
        memset(buf, 0, len);
        rc2 = issue(fd, c, buf, c->min);
        g_assert_cmpint(rc2, ==, rc1);
    }

    close(fd);
    g_free(buf);
}

/* Which commands the modelled kernel has (kernel-version behaviour). */
static void test_size_presence(void)
{
    bool is612 = abi_kernel_is_6_12();
    bool mock = test_backend_is_mock();

    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        const CmdDesc *c = &cmds[i];
        bool present = abi_has_cmd(probe_fd, c->nr);

        if (c->ioctl == IOMMU_TEST_CMD) {
            /* the mock always answers the selftest commands */
            if (mock) {
                g_assert_true(present);
            }
            continue;
        }
        if (c->in_6_12 || (mock && !is612)) {
            if (!present) {
                g_test_message("%s is absent", c->name);
            }
            g_assert_true(present);
        } else if (is612) {
            uint8_t buf[64] = { 0 };

            if (present) {
                g_test_message("%s is present on 6.12", c->name);
            }
            g_assert_false(present);
            /* absent: ENOTTY whatever the size, once the size word was read */
            g_assert_cmpint(issue(probe_fd, c, buf, c->size), ==, -ENOTTY);
            g_assert_cmpint(issue(probe_fd, c, buf, c->min - 1), ==, -ENOTTY);
            if (have_selftest) {
                /* the table reaches 0xa0: still inside it, size read first */
                g_assert_cmpint(abi_ioctl(probe_fd, c->ioctl, NULL), ==, -EFAULT);
            }
        }
    }
}

/* Numbers in the table's holes, other encodings, other NRs. */
static void test_dispatch_numbers(void)
{
    uint8_t buf[128] = { 0 };
    struct iommu_destroy d = { .size = sizeof(d), .id = 0 };
    int fd = abi_open();
    uint32_t size16 = 16;

    memcpy(buf, &size16, sizeof(size16));
    for (unsigned nr = 0x96; nr <= 0x9f; nr++) {
        uint32_t zero = 0;

        g_assert_cmpint(abi_ioctl(fd, _IO(IOMMUFD_TYPE, nr), buf), ==, -ENOTTY);
        /* the size-0 probe of a hole: ENOTTY (lookup before the size check) */
        g_assert_cmpint(abi_ioctl(fd, _IO(IOMMUFD_TYPE, nr), &zero), ==, -ENOTTY);
        if (have_selftest) {
            /* inside the table (it ends at IOMMU_TEST_CMD): size read first */
            g_assert_cmpint(abi_ioctl(fd, _IO(IOMMUFD_TYPE, nr), NULL), ==, -EFAULT);
        }
    }

    /* beyond the table: handed to the VFIO compat code, which knows nothing */
    g_assert_cmpint(abi_ioctl(fd, _IO(IOMMUFD_TYPE, 0xa1), buf), ==, -ENOTTY);
    g_assert_cmpint(abi_ioctl(fd, _IO(IOMMUFD_TYPE, 0xa1), NULL), ==, -ENOTTY);
    g_assert_cmpint(abi_ioctl(fd, _IO(IOMMUFD_TYPE, 0xff), NULL), ==, -ENOTTY);

    /* the same NR with another encoding: ENOTTY */
    g_assert_cmpint(abi_ioctl(fd, _IOW(IOMMUFD_TYPE, 0x80, struct iommu_destroy), &d), ==,
                    -ENOTTY);
    g_assert_cmpint(abi_ioctl(fd, _IOR(IOMMUFD_TYPE, 0x80, struct iommu_destroy), &d), ==,
                    -ENOTTY);
    g_assert_cmpint(abi_ioctl(fd, _IOWR(IOMMUFD_TYPE, 0x81, struct iommu_ioas_alloc), buf), ==,
                    -ENOTTY);
    /* another type byte with an NR in range: size read first, then ENOTTY */
    g_assert_cmpint(abi_ioctl(fd, _IO('x', 0x80), &d), ==, -ENOTTY);
    g_assert_cmpint(abi_ioctl(fd, _IO('x', 0x80), NULL), ==, -EFAULT);
    /* the real command still works after all that */
    g_assert_cmpint(abi_ioctl(fd, IOMMU_DESTROY, &d), ==, -ENOENT);

    /* NRs below 0x80 that are not VFIO type1 container commands */
    g_assert_cmpint(abi_ioctl(fd, _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE - 1), &d), ==, -ENOTTY);
    g_assert_cmpint(abi_ioctl(fd, _IO(IOMMUFD_TYPE, 0x7f), NULL), ==, -ENOTTY);
    g_assert_cmpint(abi_ioctl(fd, _IO(IOMMUFD_TYPE, 0), buf), ==, -ENOTTY);
    g_assert_cmpint(abi_ioctl(fd, VFIO_DEVICE_GET_INFO_NR, buf), ==, -ENOTTY);
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, buf), ==, -ENOTTY);
    g_assert_cmpint(abi_ioctl(fd, VFIO_DEVICE_BIND_IOMMUFD, buf), ==, -ENOTTY);
    /* the VFIO commands are matched on the whole number */
    g_assert_cmpint(abi_ioctl(fd, _IOW(VFIO_TYPE, VFIO_BASE + 0, uint32_t), buf), ==, -ENOTTY);
    close(fd);
}

/* cmd_ex_fail: a command with a trailing u64 the kernel does not know */
static void test_dispatch_ex(void)
{
    struct {
        struct iommu_destroy cmd;
        uint64_t future;
    } cmd = { .cmd = { .size = sizeof(cmd), .id = 0 } };
    int fd = abi_open();

    g_assert_cmpint(abi_ioctl(fd, IOMMU_DESTROY, &cmd), ==, -ENOENT);
    cmd.future = 1;
    g_assert_cmpint(abi_ioctl(fd, IOMMU_DESTROY, &cmd), ==, -E2BIG);
    cmd.cmd.size = sizeof(cmd.cmd);
    g_assert_cmpint(abi_ioctl(fd, IOMMU_DESTROY, &cmd), ==, -ENOENT);
    cmd.cmd.size = sizeof(cmd.cmd) - 1;
    g_assert_cmpint(abi_ioctl(fd, IOMMU_DESTROY, &cmd), ==, -EINVAL);
    /* a page-sized command: only its last byte set makes it E2BIG */
    {
        uint8_t *big = g_malloc0(4096);
        struct iommu_destroy *b = (void *)big;

        b->size = 4096;
        g_assert_cmpint(abi_ioctl(fd, IOMMU_DESTROY, big), ==, -ENOENT);
        big[4095] = 1;
        g_assert_cmpint(abi_ioctl(fd, IOMMU_DESTROY, big), ==, -E2BIG);
        g_free(big);
    }
    close(fd);
}

/* A struct that runs into an unmapped page: EFAULT, not a partial read. */
static void test_dispatch_fault(void)
{
    uint8_t *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct iommu_ioas_alloc *tail;
    uint32_t *last;
    int fd = abi_open();

    g_assert_true(p != MAP_FAILED);
    g_assert_cmpint(mprotect(p + PAGE, PAGE, PROT_NONE), ==, 0);

    /* the whole struct fits, the claimed tail crosses into the hole */
    tail = (void *)(p + PAGE - sizeof(*tail));
    memset(tail, 0, sizeof(*tail));
    tail->size = sizeof(*tail) + 64;
    g_assert_cmpint(abi_ioctl(fd, IOMMU_IOAS_ALLOC, tail), ==, -EFAULT);

    /* only the size word is readable */
    last = (void *)(p + PAGE - sizeof(uint32_t));
    *last = sizeof(struct iommu_destroy);
    g_assert_cmpint(abi_ioctl(fd, IOMMU_DESTROY, last), ==, -EFAULT);

    /* a pointer into the hole */
    g_assert_cmpint(abi_ioctl(fd, IOMMU_IOAS_ALLOC, p + PAGE), ==, -EFAULT);

    close(fd);
    munmap(p, 2 * PAGE);
}

/* Older, shorter structs are accepted and zero-extended; replies are cut at
 * the caller's size. */
static void test_dispatch_short_structs(void)
{
    uint32_t ioas, stdev = 0, hwpt = 0, dev = 0;
    uint8_t raw[128];
    struct iommu_hwpt_alloc *ha = (void *)raw;
    struct iommu_hw_info *hi = (void *)raw;
    struct iommu_test_hw_info data;
    struct iommu_test_cmd tc = { .op = IOMMU_TEST_OP_ADD_RESERVED };
    int fd;

    NEED_SELFTEST();
    fd = abi_open();
    ioas = abi_ioas_alloc(fd);
    g_assert_cmpint(abi_mock_domain(fd, ioas, 0, &stdev, &hwpt, &dev), ==, 0);

    /* HWPT_ALLOC in its 6.6 form (24 bytes); junk after the size is ignored */
    memset(raw, 0xa5, sizeof(raw));
    memset(ha, 0, 24);
    ha->size = 24;
    ha->dev_id = dev;
    ha->pt_id = ioas;
    g_assert_cmpint(abi_ioctl(fd, IOMMU_HWPT_ALLOC, ha), ==, 0);
    g_assert_cmpuint(ha->out_hwpt_id, !=, 0);
    g_assert_cmpuint(raw[24], ==, 0xa5); /* nothing written past size */
    g_assert_cmpuint(raw[47], ==, 0xa5);
    g_assert_cmpint(abi_destroy(fd, ha->out_hwpt_id), ==, 0);

    /* and in its 6.7-6.10 form (40 bytes) */
    memset(raw, 0xa5, sizeof(raw));
    memset(ha, 0, 40);
    ha->size = 40;
    ha->dev_id = dev;
    ha->pt_id = ioas;
    g_assert_cmpint(abi_ioctl(fd, IOMMU_HWPT_ALLOC, ha), ==, 0);
    g_assert_cmpuint(ha->out_hwpt_id, !=, 0);
    g_assert_cmpuint(raw[40], ==, 0xa5);
    g_assert_cmpint(abi_destroy(fd, ha->out_hwpt_id), ==, 0);

    /* GET_HW_INFO in its 6.6 form (32 bytes): out_capabilities not written */
    memset(raw, 0xa5, sizeof(raw));
    memset(hi, 0, 32);
    hi->size = 32;
    hi->dev_id = dev;
    hi->data_len = sizeof(data);
    hi->data_uptr = (uintptr_t)&data;
    g_assert_cmpint(abi_ioctl(fd, IOMMU_GET_HW_INFO, hi), ==, 0);
    g_assert_cmpuint(hi->out_data_type, ==, IOMMU_HW_INFO_TYPE_SELFTEST);
    for (size_t i = 32; i < 40; i++) {
        g_assert_cmpuint(raw[i], ==, 0xa5);
    }

    /* IOMMU_TEST_CMD at its minimum (68 bytes, without the padding) */
    tc.size = 68;
    tc.id = ioas;
    tc.add_reserved.start = MOCK_APERTURE_START;
    tc.add_reserved.length = PAGE;
    g_assert_cmpint(abi_ioctl(fd, IOMMU_TEST_CMD, &tc), ==, 0);

    g_assert_cmpint(abi_destroy(fd, stdev), ==, 0);
    close(fd);
}

/* ==== 2. objects ============================================================ */

static void test_objects_ids(void)
{
    uint32_t ids[8];
    int fd = abi_open();

    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
        ids[i] = abi_ioas_alloc(fd);
        /* the context's xarray allocates with XA_FLAGS_ALLOC1: a fresh
         * context's first object is 1 */
        if (i == 0) {
            g_assert_cmpuint(ids[i], ==, 1);
        }
        g_assert_cmpuint(ids[i], !=, 0);
        g_assert_cmpuint(ids[i], <=, INT32_MAX);
        for (size_t j = 0; j < i; j++) {
            g_assert_cmpuint(ids[i], !=, ids[j]);
        }
    }
    g_assert_cmpint(abi_destroy(fd, 0), ==, -ENOENT);
    g_assert_cmpint(abi_destroy(fd, UINT32_MAX), ==, -ENOENT);
    g_assert_cmpint(abi_destroy(fd, ids[3]), ==, 0);
    g_assert_cmpint(abi_destroy(fd, ids[3]), ==, -ENOENT);
    /* a new object gets an id unique among the live ones */
    {
        uint32_t n = abi_ioas_alloc(fd);

        for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
            if (i != 3) {
                g_assert_cmpuint(n, !=, ids[i]);
            }
        }
    }
    /* ids are per context */
    {
        int fd2 = abi_open();

        g_assert_cmpint(abi_destroy(fd2, ids[0]), ==, -ENOENT);
        close(fd2);
    }
    close(fd);
}

/* An id of the wrong type is ENOENT wherever an id of one type is expected. */
static void test_objects_types(void)
{
    uint32_t ioas, stdev = 0, hwpt = 0, dev = 0;
    uint64_t iova = MOCK_APERTURE_START;
    int fd, afd;

    NEED_SELFTEST();
    fd = abi_open();
    ioas = abi_ioas_alloc(fd);
    g_assert_cmpint(abi_mock_domain(fd, ioas, 0, &stdev, &hwpt, &dev), ==, 0);

    /* not an IOAS */
    g_assert_cmpint(map_fixed(fd, hwpt, buffer, PAGE, iova), ==, -ENOENT);
    g_assert_cmpint(map_fixed(fd, stdev, buffer, PAGE, iova), ==, -ENOENT);
    g_assert_cmpint(map_fixed(fd, dev, buffer, PAGE, iova), ==, -ENOENT);
    g_assert_cmpint(unmap(fd, hwpt, 0, U64_MAX, NULL), ==, -ENOENT);
    {
        struct iommu_iova_range r[4];
        uint32_t num;

        g_assert_cmpint(iova_ranges(fd, hwpt, r, 4, &num, NULL), ==, -ENOENT);
    }
    {
        struct iommu_option o = {
            .size = sizeof(o), .option_id = IOMMU_OPTION_HUGE_PAGES,
            .op = IOMMU_OPTION_OP_GET, .object_id = hwpt,
        };

        g_assert_cmpint(abi_ioctl(fd, IOMMU_OPTION, &o), ==, -ENOENT);
    }
    {
        struct iommu_vfio_ioas v = { .size = sizeof(v), .op = IOMMU_VFIO_IOAS_SET, .ioas_id = dev };

        g_assert_cmpint(abi_ioctl(fd, IOMMU_VFIO_IOAS, &v), ==, -ENOENT);
    }
    g_assert_cmpint(add_reserved(fd, hwpt, 0, PAGE), ==, -ENOENT);
    g_assert_cmpint(create_access(fd, hwpt, 0, &afd), ==, -ENOENT);
    /* an IOAS where a (paging) HWPT is expected */
    {
        struct iommu_hwpt_set_dirty_tracking s = { .size = sizeof(s), .hwpt_id = ioas };

        g_assert_cmpint(abi_ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &s), ==, -ENOENT);
    }
    g_assert_cmpint(check_map(fd, ioas, MOCK_APERTURE_START, MOCK_PAGE, buffer), ==, -ENOENT);
    g_assert_cmpint(check_map(fd, dev, MOCK_APERTURE_START, MOCK_PAGE, buffer), ==, -ENOENT);

    g_assert_cmpint(abi_destroy(fd, stdev), ==, 0);
    close(fd);
}

static void test_objects_busy(void)
{
    uint32_t ioas, ioas2, stdev = 0, hwpt = 0, dev = 0;
    int fd;

    NEED_SELFTEST();
    fd = abi_open();
    ioas = abi_ioas_alloc(fd);
    g_assert_cmpint(abi_mock_domain(fd, ioas, 0, &stdev, &hwpt, &dev), ==, 0);
    g_assert_cmpuint(stdev, !=, 0);
    g_assert_cmpuint(hwpt, !=, 0);
    g_assert_cmpuint(dev, !=, 0);
    g_assert_cmpuint(stdev, !=, hwpt);
    g_assert_cmpuint(stdev, !=, dev);
    g_assert_cmpuint(hwpt, !=, dev);
    g_assert_cmpuint(ioas, !=, hwpt);

    /* the IOAS is in use by the device's HWPT, areas or not */
    g_assert_cmpint(abi_destroy(fd, ioas), ==, -EBUSY);
    g_assert_cmpint(map_fixed(fd, ioas, buffer, PAGE, MOCK_APERTURE_START), ==, 0);
    g_assert_cmpint(abi_destroy(fd, ioas), ==, -EBUSY);

    /* destroying the mock device detaches it; the automatic HWPT goes with it */
    g_assert_cmpint(abi_destroy(fd, stdev), ==, 0);
    g_assert_cmpint(abi_destroy(fd, stdev), ==, -ENOENT);
    g_assert_cmpint(abi_destroy(fd, hwpt), ==, -ENOENT);
    /* an IOAS with areas and no users can be destroyed */
    g_assert_cmpint(abi_destroy(fd, ioas), ==, 0);

    /* a plain IOAS with areas, never attached */
    ioas2 = abi_ioas_alloc(fd);
    g_assert_cmpint(map_fixed(fd, ioas2, buffer, PAGE, 0), ==, 0);
    g_assert_cmpint(abi_destroy(fd, ioas2), ==, 0);
    close(fd);
}

/* close() destroys everything: nothing stays pinned (the selftests' teardown) */
static void test_objects_close(void)
{
    uint32_t ioas, ioas2, stdev = 0, hwpt = 0, dev = 0;
    int fd, fd2;

    NEED_SELFTEST();
    fd = abi_open();
    ioas = abi_ioas_alloc(fd);
    ioas2 = abi_ioas_alloc(fd);
    g_assert_cmpint(abi_mock_domain(fd, ioas, 0, &stdev, &hwpt, &dev), ==, 0);
    g_assert_cmpint(map_fixed(fd, ioas, buffer, BUFFER_SIZE, MOCK_APERTURE_START), ==, 0);
    g_assert_cmpint(map_fixed(fd, ioas2, buffer, BUFFER_SIZE, 0), ==, 0);
    g_assert_cmpint(check_refs(fd, buffer, BUFFER_SIZE, 1), ==, 0);
    close(fd);

    fd2 = abi_open();
    g_assert_cmpint(check_refs(fd2, buffer, BUFFER_SIZE, 0), ==, 0);
    /* the old ids mean nothing in a new context */
    g_assert_cmpint(abi_destroy(fd2, ioas), ==, -ENOENT);
    g_assert_cmpint(abi_destroy(fd2, stdev), ==, -ENOENT);
    close(fd2);
}

/* The mock's fixtures API agrees (mock-only). */
typedef int (*count_objects_fn)(int);
typedef unsigned (*count_fds_fn)(void);

static void test_objects_mock_counters(void)
{
    count_objects_fn count_objects;
    count_fds_fn count_fds;
    unsigned fds0;
    uint32_t ioas;
    int fd;

    ABI_NEED_MOCK();
    count_objects = (count_objects_fn)dlsym(RTLD_DEFAULT, "iommufd_mock_count_objects");
    count_fds = (count_fds_fn)dlsym(RTLD_DEFAULT, "iommufd_mock_count_fds");
    if (!count_objects || !count_fds) {
        g_test_skip("mock-only: iommufd_mock_count_objects/count_fds not found");
        return;
    }
    fds0 = count_fds();
    fd = abi_open();
    g_assert_cmpuint(count_fds(), ==, fds0 + 1);
    g_assert_cmpint(count_objects(fd), ==, 0);
    ioas = abi_ioas_alloc(fd);
    g_assert_cmpint(map_fixed(fd, ioas, buffer, PAGE, 0), ==, 0);
    g_assert_cmpint(count_objects(fd), ==, 1);
    g_assert_cmpint(abi_destroy(fd, ioas), ==, 0);
    g_assert_cmpint(count_objects(fd), ==, 0);
    abi_ioas_alloc(fd);
    abi_ioas_alloc(fd);
    g_assert_cmpint(count_objects(fd), ==, 2);
    close(fd);
    g_assert_cmpuint(count_fds(), ==, fds0);
}

/* ==== 3. IOAS =============================================================== */

static void test_ioas_alloc(void)
{
    struct iommu_ioas_alloc cmd = { .size = sizeof(cmd), .flags = 1 };
    int fd = abi_open();

    g_assert_cmpint(abi_ioctl(fd, IOMMU_IOAS_ALLOC, &cmd), ==, -EOPNOTSUPP);
    cmd.flags = 0x80000000u;
    g_assert_cmpint(abi_ioctl(fd, IOMMU_IOAS_ALLOC, &cmd), ==, -EOPNOTSUPP);
    cmd.flags = 0;
    cmd.out_ioas_id = 0xdead;
    g_assert_cmpint(abi_ioctl(fd, IOMMU_IOAS_ALLOC, &cmd), ==, 0);
    g_assert_cmpuint(cmd.out_ioas_id, !=, 0xdead);
    g_assert_cmpuint(cmd.out_ioas_id, !=, 0);
    close(fd);
}

/* The IOAS fixture: an IOAS, with or without a selftest mock domain. */
typedef struct Variant {
    const char *name;
    bool domain;
} Variant;

static const Variant variants[] = {
    { "no_domain", false },
    { "mock_domain", true },
};

typedef struct Fx {
    int fd;
    uint32_t ioas;
    uint32_t stdev, hwpt, dev;
    uint64_t base; /* an IOVA usable in both variants */
    bool domain;
    bool skip;
} Fx;

static void fx_setup(Fx *fx, gconstpointer data)
{
    const Variant *v = data;

    memset(fx, 0, sizeof(*fx));
    fx->domain = v->domain;
    if (v->domain && !have_selftest) {
        fx->skip = true;
        fx->fd = -1;
        return;
    }
    fx->fd = abi_open();
    fx->ioas = abi_ioas_alloc(fx->fd);
    fx->base = MOCK_APERTURE_START;
    if (v->domain) {
        g_assert_cmpint(abi_mock_domain(fx->fd, fx->ioas, 0, &fx->stdev, &fx->hwpt, &fx->dev),
                        ==, 0);
    }
}

static void fx_teardown(Fx *fx, gconstpointer data)
{
    (void)data;
    if (fx->fd < 0) {
        return;
    }
    close(fx->fd);
    if (have_selftest) {
        int fd = abi_open();

        g_assert_cmpint(check_refs(fd, buffer, BUFFER_SIZE, 0), ==, 0);
        close(fd);
    }
}

#define FX_SKIP()                                                                      \
    do {                                                                               \
        if (fx->skip) {                                                                \
            g_test_skip("needs IOMMU_TEST_CMD (a kernel with CONFIG_IOMMUFD_TEST)");   \
            return;                                                                    \
        }                                                                              \
    } while (0)

static void test_map_basic(Fx *fx, gconstpointer data)
{
    uint64_t iovas[10];

    (void)data;
    FX_SKIP();
    /* fixed */
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, fx->base), ==, 0);
    if (fx->domain) {
        g_assert_cmpint(check_map(fx->fd, fx->hwpt, fx->base, PAGE, buffer), ==, 0);
    }

    /* kernel-chosen: non-zero, usable, aligned, not over the fixed one */
    for (unsigned i = 0; i < G_N_ELEMENTS(iovas); i++) {
        uint64_t len = PAGE * (i + 1);

        g_assert_cmpint(map_auto(fx->fd, fx->ioas, buffer, len, &iovas[i]), ==, 0);
        g_assert_cmpuint(iovas[i], !=, 0);
        g_assert_cmpuint(iovas[i] % PAGE, ==, 0);
        assert_iova_usable(fx->fd, fx->ioas, iovas[i], len);
        g_assert_true(iovas[i] + len <= fx->base || iovas[i] >= fx->base + PAGE);
        for (unsigned j = 0; j < i; j++) {
            g_assert_true(iovas[i] + len <= iovas[j] || iovas[i] >= iovas[j] + PAGE * (j + 1));
        }
        if (fx->domain) {
            g_assert_cmpint(check_map(fx->fd, fx->hwpt, iovas[i], len, buffer), ==, 0);
        }
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(iovas); i++) {
        unmap_ok(fx->fd, fx->ioas, iovas[i], PAGE * (i + 1));
    }
    unmap_ok(fx->fd, fx->ioas, fx->base, PAGE);

    /* read-only maps */
    {
        uint64_t iova = 0;

        g_assert_cmpint(map_flags(fx->fd, fx->ioas, buffer, PAGE, &iova,
                                  IOMMU_IOAS_MAP_READABLE), ==, 0);
        unmap_ok(fx->fd, fx->ioas, iova, PAGE);
        g_assert_cmpint(map_flags(fx->fd, fx->ioas, buffer, PAGE, &iova,
                                  IOMMU_IOAS_MAP_WRITEABLE), ==, 0);
        unmap_ok(fx->fd, fx->ioas, iova, PAGE);
    }
}

/* Flag and argument rules, in the kernel's order (before the IOAS lookup). */
static void test_map_args(Fx *fx, gconstpointer data)
{
    struct iommu_ioas_map cmd;
    uint64_t iova;

    (void)data;
    FX_SKIP();
#define RESET()                                                                \
    do {                                                                       \
        memset(&cmd, 0, sizeof(cmd));                                          \
        cmd.size = sizeof(cmd);                                                \
        cmd.flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA;                            \
        cmd.ioas_id = fx->ioas;                                                \
        cmd.user_va = (uintptr_t)buffer;                                       \
        cmd.length = PAGE;                                                     \
        cmd.iova = fx->base;                                                   \
    } while (0)

    RESET();
    cmd.flags |= 1u << 3;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -EOPNOTSUPP);
    cmd.ioas_id = 0; /* unknown flags come before the lookup */
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -EOPNOTSUPP);
    RESET();
    cmd.flags = 0x80000000u | RW;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -EOPNOTSUPP);
    RESET();
    cmd.__reserved = 1;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -EOPNOTSUPP);

    RESET();
    cmd.length = U64_MAX;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -EOVERFLOW);
    RESET();
    cmd.iova = U64_MAX;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -EOVERFLOW);

    /* neither readable nor writeable */
    RESET();
    cmd.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -EINVAL);
    cmd.flags = 0;
    cmd.ioas_id = 0; /* also before the lookup */
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -EINVAL);

    /* unknown IOAS */
    RESET();
    cmd.ioas_id = 0;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -ENOENT);
    cmd.ioas_id = fx->ioas + 1000;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -ENOENT);

    /* zero length */
    RESET();
    cmd.length = 0;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -EINVAL);
    cmd.flags = RW;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -EINVAL);

    /* user_va + length wraps */
    RESET();
    cmd.user_va = U64_MAX - PAGE + 1;
    cmd.length = 2 * PAGE;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -EOVERFLOW);

    /* iova + length wraps */
    RESET();
    cmd.iova = U64_MAX - PAGE + 1;
    cmd.length = 2 * PAGE;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_MAP, &cmd), ==, -EOVERFLOW);

    /* nothing was mapped by any of that */
    iova = 0;
    g_assert_cmpint(unmap(fx->fd, fx->ioas, 0, U64_MAX, &iova), ==, 0);
    g_assert_cmpuint(iova, ==, 0);
#undef RESET
}

/* User memory is checked like pinning does: at map time with a domain,
 * lazily (when something pins) without one. */
static void test_map_user_memory(Fx *fx, gconstpointer data)
{
    uint8_t *half, *ro;
    void *hole;
    uint64_t iova;

    (void)data;
    FX_SKIP();
    half = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    g_assert_true(half != MAP_FAILED);
    memset(half, 1, 4 * PAGE);
    g_assert_cmpint(mprotect(half + 2 * PAGE, 2 * PAGE, PROT_NONE), ==, 0);
    hole = inaccessible_va(4);

    ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_true(ro != MAP_FAILED);
    memset(ro, 0x5a, PAGE); /* a real page, not the shared zero page */
    g_assert_cmpint(mprotect(ro, PAGE, PROT_READ), ==, 0);

    if (fx->domain) {
        /* EFAULT half way through, and on the first page */
        g_assert_cmpint(map_auto(fx->fd, fx->ioas, half, 4 * PAGE, &iova), ==, -EFAULT);
        g_assert_cmpint(map_auto(fx->fd, fx->ioas, hole, 4 * PAGE, &iova), ==, -EFAULT);
        g_assert_cmpint(map_fixed(fx->fd, fx->ioas, hole, PAGE, fx->base), ==, -EFAULT);
        /* writeable map of read-only memory */
        g_assert_cmpint(map_fixed(fx->fd, fx->ioas, ro, PAGE, fx->base), ==, -EFAULT);
        iova = fx->base;
        g_assert_cmpint(map_flags(fx->fd, fx->ioas, ro, PAGE, &iova,
                                  IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_FIXED_IOVA),
                        ==, -EFAULT);
        /* a failed map leaves nothing behind */
        g_assert_cmpint(unmap(fx->fd, fx->ioas, 0, U64_MAX, &iova), ==, 0);
        g_assert_cmpuint(iova, ==, 0);
        g_assert_cmpint(check_refs(fx->fd, half, 2 * PAGE, 0), ==, 0);
    } else {
        /* nothing is pinned without a domain or an access */
        g_assert_cmpint(map_auto(fx->fd, fx->ioas, half, 4 * PAGE, &iova), ==, 0);
        unmap_ok(fx->fd, fx->ioas, iova, 4 * PAGE);
        g_assert_cmpint(map_fixed(fx->fd, fx->ioas, hole, 4 * PAGE, fx->base), ==, 0);
        if (have_selftest) {
            /* until a domain needs the pages */
            g_assert_cmpint(abi_mock_domain(fx->fd, fx->ioas, 0, NULL, NULL, NULL), ==,
                            -EFAULT);
        }
        unmap_ok(fx->fd, fx->ioas, fx->base, 4 * PAGE);
        g_assert_cmpint(map_fixed(fx->fd, fx->ioas, ro, PAGE, fx->base), ==, 0);
        unmap_ok(fx->fd, fx->ioas, fx->base, PAGE);
    }

    /* a read-only map of read-only memory is fine */
    iova = fx->base;
    g_assert_cmpint(map_flags(fx->fd, fx->ioas, ro, PAGE, &iova,
                              IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA), ==, 0);
    if (fx->domain) {
        g_assert_cmpint(check_map(fx->fd, fx->hwpt, fx->base, PAGE, ro), ==, 0);
        g_assert_cmpint(check_refs(fx->fd, ro, PAGE, 1), ==, 0);
    }
    unmap_ok(fx->fd, fx->ioas, fx->base, PAGE);
    if (fx->domain) {
        g_assert_cmpint(check_refs(fx->fd, ro, PAGE, 0), ==, 0);
    }

    munmap(half, 4 * PAGE);
    munmap(hole, 4 * PAGE);
    munmap(ro, PAGE);
}

/* The selftests' "area": unmap of nothing, split, over-map, unmap-all. */
static void test_map_area(Fx *fx, gconstpointer data)
{
    uint64_t b;

    (void)data;
    FX_SKIP();
    b = fx->base;
    for (unsigned i = 0; i < 10; i++) {
        g_assert_cmpint(unmap(fx->fd, fx->ioas, b + i * PAGE, PAGE, NULL), ==, -ENOENT);
    }
    for (unsigned i = 0; i < 10; i++) {
        g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, b + i * PAGE), ==, 0);
    }
    for (unsigned i = 0; i < 10; i++) {
        unmap_ok(fx->fd, fx->ioas, b + i * PAGE, PAGE);
    }

    /* an area is never split */
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, 2 * PAGE, b + 16 * PAGE), ==, 0);
    g_assert_cmpint(unmap(fx->fd, fx->ioas, b + 16 * PAGE, PAGE, NULL), ==, -ENOENT);
    g_assert_cmpint(unmap(fx->fd, fx->ioas, b + 17 * PAGE, PAGE, NULL), ==, -ENOENT);

    /* nor mapped over */
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, 2 * PAGE, b + 16 * PAGE), ==, -EEXIST);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, b + 16 * PAGE), ==, -EEXIST);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, b + 17 * PAGE), ==, -EEXIST);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, 2 * PAGE, b + 15 * PAGE), ==, -EEXIST);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, 3 * PAGE, b + 15 * PAGE), ==, -EEXIST);
    /* right next to it is fine */
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, b + 15 * PAGE), ==, 0);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, b + 18 * PAGE), ==, 0);

    /* unmap all reports the total, and succeeds on an empty IOAS */
    {
        uint64_t out = 0;

        g_assert_cmpint(unmap(fx->fd, fx->ioas, 0, U64_MAX, &out), ==, 0);
        g_assert_cmpuint(out, ==, 4 * PAGE);
        out = 1;
        g_assert_cmpint(unmap(fx->fd, fx->ioas, 0, U64_MAX, &out), ==, 0);
        g_assert_cmpuint(out, ==, 0);
    }
}

/* Unmap takes whole areas only, holes in between allowed; length written back. */
static void test_unmap(Fx *fx, gconstpointer data)
{
    uint64_t b, out = 0;

    (void)data;
    FX_SKIP();
    b = fx->base + 4 * PAGE;

    g_assert_cmpint(unmap(fx->fd, 0, 0, U64_MAX, NULL), ==, -ENOENT);
    g_assert_cmpint(unmap(fx->fd, fx->ioas, b, 0, NULL), ==, -EINVAL);
    g_assert_cmpint(unmap(fx->fd, fx->ioas, U64_MAX, PAGE, NULL), ==, -EOVERFLOW);
    g_assert_cmpint(unmap(fx->fd, fx->ioas, PAGE, U64_MAX, NULL), ==, -EOVERFLOW);
    g_assert_cmpint(unmap(fx->fd, fx->ioas, U64_MAX - PAGE + 1, 2 * PAGE, NULL), ==, -EOVERFLOW);

    for (unsigned i = 0; i < 4; i++) {
        g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, 8 * PAGE, b + i * 16 * PAGE), ==, 0);
    }
    /* a range that cuts the first or the last area */
    g_assert_cmpint(unmap(fx->fd, fx->ioas, b - 4 * PAGE, 8 * PAGE, NULL), ==, -ENOENT);
    g_assert_cmpint(unmap(fx->fd, fx->ioas, b + 3 * 16 * PAGE + 4 * PAGE, 8 * PAGE, NULL), ==,
                    -ENOENT);
    /* a range over holes and whole areas */
    g_assert_cmpint(unmap(fx->fd, fx->ioas, b - 4 * PAGE, 3 * 16 * PAGE + 8 * PAGE + 4 * PAGE,
                          &out), ==, 0);
    g_assert_cmpuint(out, ==, 32 * PAGE);
    /* now nothing is there */
    g_assert_cmpint(unmap(fx->fd, fx->ioas, b, 8 * PAGE, NULL), ==, -ENOENT);

    /* unmap-all returns the total of areas of different sizes */
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, b), ==, 0);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, 2 * PAGE, b + 4 * PAGE), ==, 0);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, 3 * PAGE, b + 8 * PAGE), ==, 0);
    out = 0;
    g_assert_cmpint(unmap(fx->fd, fx->ioas, 0, U64_MAX, &out), ==, 0);
    g_assert_cmpuint(out, ==, 6 * PAGE);
    g_assert_cmpint(unmap(fx->fd, fx->ioas, b, PAGE, NULL), ==, -ENOENT);
}

/* Alignment: 1 byte without a domain, the mock's 2 KiB IO page with one. */
static void test_map_alignment(Fx *fx, gconstpointer data)
{
    uint64_t iova, align = 0;
    uint32_t num = 0;
    struct iommu_iova_range r[4];

    (void)data;
    FX_SKIP();
    g_assert_cmpint(iova_ranges(fx->fd, fx->ioas, r, 4, &num, &align), ==, 0);
    if (!fx->domain) {
        g_assert_cmpuint(align, ==, 1);
        /* any byte, any length */
        g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer + 3, 5, fx->base + 7), ==, 0);
        unmap_ok(fx->fd, fx->ioas, fx->base + 7, 5);
        g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, 0), ==, 0); /* IOVA 0 too */
        unmap_ok(fx->fd, fx->ioas, 0, PAGE);
        /* a chosen IOVA keeps the offset of the user address in its page */
        g_assert_cmpint(map_auto(fx->fd, fx->ioas, buffer + 100, 1000, &iova), ==, 0);
        g_assert_cmpuint(iova % PAGE, ==, 100);
        g_assert_cmpuint(iova, !=, 0);
        unmap_ok(fx->fd, fx->ioas, iova, 1000);
        for (uint64_t len = 1; len < 2 * MOCK_PAGE + 3; len += 511) {
            g_assert_cmpint(map_auto(fx->fd, fx->ioas, buffer, len, &iova), ==, 0);
            unmap_ok(fx->fd, fx->ioas, iova, len);
        }
        return;
    }

    g_assert_cmpuint(align, ==, MOCK_PAGE);
    /* chosen IOVA: the length must be a multiple of the IO page */
    for (uint64_t len = 1; len < 2 * PAGE; len += 97) {
        int rc = map_auto(fx->fd, fx->ioas, buffer, len, &iova);

        if (len % MOCK_PAGE) {
            g_assert_cmpint(rc, ==, -EINVAL);
        } else {
            g_assert_cmpint(rc, ==, 0);
            unmap_ok(fx->fd, fx->ioas, iova, len);
        }
    }
    g_assert_cmpint(map_auto(fx->fd, fx->ioas, buffer, MOCK_PAGE, &iova), ==, 0);
    g_assert_cmpuint(iova % MOCK_PAGE, ==, 0);
    unmap_ok(fx->fd, fx->ioas, iova, MOCK_PAGE);
    /* a user address whose offset is not IO-page aligned */
    g_assert_cmpint(map_auto(fx->fd, fx->ioas, buffer + 100, MOCK_PAGE, &iova), ==, -EINVAL);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer + MOCK_PAGE / 2, MOCK_PAGE, fx->base), ==,
                    -EINVAL);
    /* fixed IOVA and length */
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, MOCK_PAGE, fx->base + MOCK_PAGE / 2), ==,
                    -EINVAL);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, MOCK_PAGE / 2, fx->base), ==, -EINVAL);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, MOCK_PAGE + 1, fx->base), ==, -EINVAL);
    /* a half page in the middle of a page: aligned enough */
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer + MOCK_PAGE, MOCK_PAGE,
                              fx->base + MOCK_PAGE), ==, 0);
    g_assert_cmpint(check_map(fx->fd, fx->hwpt, fx->base + MOCK_PAGE, MOCK_PAGE,
                              buffer + MOCK_PAGE), ==, 0);
    unmap_ok(fx->fd, fx->ioas, fx->base + MOCK_PAGE, MOCK_PAGE);
    g_assert_cmpint(map_auto(fx->fd, fx->ioas, buffer + MOCK_PAGE, MOCK_PAGE, &iova), ==, 0);
    g_assert_cmpuint(iova % PAGE, ==, MOCK_PAGE);
    unmap_ok(fx->fd, fx->ioas, iova, MOCK_PAGE);

    /* the domain's aperture is all that is usable */
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, MOCK_APERTURE_START - PAGE), ==,
                    -EINVAL);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, 2 * PAGE,
                              (uint64_t)MOCK_APERTURE_START - PAGE), ==, -EINVAL);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, (uint64_t)MOCK_APERTURE_LAST + 1),
                    ==, -EINVAL);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, 0), ==, -EINVAL);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE,
                              (uint64_t)MOCK_APERTURE_LAST + 1 - PAGE), ==, 0);
    unmap_ok(fx->fd, fx->ioas, (uint64_t)MOCK_APERTURE_LAST + 1 - PAGE, PAGE);
}

/* ADD_RESERVED: a fixed map there fails, a chosen IOVA avoids it. */
static void test_reserved(Fx *fx, gconstpointer data)
{
    uint64_t rs, rl, iovas[10];

    (void)data;
    FX_SKIP();
    if (!have_selftest) {
        g_test_skip("needs IOMMU_TEST_CMD (a kernel with CONFIG_IOMMUFD_TEST)");
        return;
    }
    rs = fx->base + 4 * PAGE;
    rl = 100 * PAGE;
    g_assert_cmpint(add_reserved(fx->fd, 0, rs, rl), ==, -ENOENT);
    g_assert_cmpint(add_reserved(fx->fd, fx->ioas, rs, rl), ==, 0);

    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, rs), ==, -EINVAL);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, rs + rl - PAGE), ==, -EINVAL);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, 2 * PAGE, rs - PAGE), ==, -EINVAL);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, rs - PAGE), ==, 0);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, rs + rl), ==, 0);

    for (unsigned i = 0; i < G_N_ELEMENTS(iovas); i++) {
        uint64_t len = PAGE * (i + 1);

        g_assert_cmpint(map_auto(fx->fd, fx->ioas, buffer, len, &iovas[i]), ==, 0);
        g_assert_true(iovas[i] + len <= rs || iovas[i] >= rs + rl);
        assert_iova_usable(fx->fd, fx->ioas, iovas[i], len);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(iovas); i++) {
        unmap_ok(fx->fd, fx->ioas, iovas[i], PAGE * (i + 1));
    }

    /* a reservation over a mapped area */
    g_assert_cmpint(add_reserved(fx->fd, fx->ioas, rs - PAGE, PAGE), ==, -EADDRINUSE);
    g_assert_cmpint(add_reserved(fx->fd, fx->ioas, rs - 2 * PAGE, 2 * PAGE), ==, -EADDRINUSE);
    unmap_ok(fx->fd, fx->ioas, rs - PAGE, PAGE);
    g_assert_cmpint(add_reserved(fx->fd, fx->ioas, rs - PAGE, PAGE), ==, 0);
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, rs - PAGE), ==, -EINVAL);
    unmap_ok(fx->fd, fx->ioas, rs + rl, PAGE);
}

static int allow(int fd, uint32_t ioas, const struct iommu_iova_range *r, uint32_t n)
{
    struct iommu_ioas_allow_iovas cmd = {
        .size = sizeof(cmd), .ioas_id = ioas, .num_iovas = n, .allowed_iovas = (uintptr_t)r,
    };

    return abi_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

static void test_allow_iovas(Fx *fx, gconstpointer data)
{
    struct iommu_iova_range r[2];
    uint64_t b, iova;

    (void)data;
    FX_SKIP();
    b = fx->base;
    {
        struct iommu_ioas_allow_iovas cmd = {
            .size = sizeof(cmd), .ioas_id = fx->ioas, .__reserved = 1,
        };

        g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd), ==, -EOPNOTSUPP);
    }
    g_assert_cmpint(allow(fx->fd, 0, NULL, 0), ==, -ENOENT);
    g_assert_cmpint(allow(fx->fd, fx->ioas, NULL, 1), ==, -EFAULT);

    r[0].start = b + PAGE;
    r[0].last = b + PAGE;
    g_assert_cmpint(allow(fx->fd, fx->ioas, r, 1), ==, -EINVAL);
    r[0].last = b;
    g_assert_cmpint(allow(fx->fd, fx->ioas, r, 1), ==, -EINVAL);
    r[0].start = b + PAGE;
    r[0].last = b + 10 * PAGE - 1;
    r[1].start = b + 5 * PAGE;
    r[1].last = b + 20 * PAGE - 1;
    g_assert_cmpint(allow(fx->fd, fx->ioas, r, 2), ==, -EINVAL);

    /* chosen IOVAs stay inside the allowed range */
    r[0].start = b + 200 * PAGE;
    r[0].last = b + 600 * PAGE - 1;
    g_assert_cmpint(allow(fx->fd, fx->ioas, r, 1), ==, 0);
    for (unsigned i = 0; i < 10; i++) {
        uint64_t len = PAGE * (i + 1);

        g_assert_cmpint(map_auto(fx->fd, fx->ioas, buffer, len, &iova), ==, 0);
        g_assert_cmpuint(iova, >=, r[0].start);
        g_assert_cmpuint(iova + len - 1, <=, r[0].last);
        unmap_ok(fx->fd, fx->ioas, iova, len);
    }
    /* no room */
    r[0].last = b + 201 * PAGE - 1;
    g_assert_cmpint(allow(fx->fd, fx->ioas, r, 1), ==, 0);
    g_assert_cmpint(map_auto(fx->fd, fx->ioas, buffer, 2 * PAGE, &iova), ==, -ENOSPC);
    g_assert_cmpint(map_auto(fx->fd, fx->ioas, buffer, PAGE, &iova), ==, 0);
    g_assert_cmpuint(iova, ==, r[0].start);
    unmap_ok(fx->fd, fx->ioas, iova, PAGE);
    /* an empty list allows everything again */
    g_assert_cmpint(allow(fx->fd, fx->ioas, NULL, 0), ==, 0);
    g_assert_cmpint(map_auto(fx->fd, fx->ioas, buffer, 2 * PAGE, &iova), ==, 0);
    unmap_ok(fx->fd, fx->ioas, iova, 2 * PAGE);

    if (!have_selftest) {
        return;
    }
    /* allowed and reserved ranges may not intersect, either way round */
    r[0].start = b;
    r[0].last = b + 600 * PAGE;
    g_assert_cmpint(allow(fx->fd, fx->ioas, r, 1), ==, 0);
    g_assert_cmpint(add_reserved(fx->fd, fx->ioas, b + PAGE, PAGE), ==, -EADDRINUSE);
    g_assert_cmpint(allow(fx->fd, fx->ioas, NULL, 0), ==, 0);
    g_assert_cmpint(add_reserved(fx->fd, fx->ioas, b + PAGE, PAGE), ==, 0);
    g_assert_cmpint(allow(fx->fd, fx->ioas, r, 1), ==, -EADDRINUSE);
    /* the failed update left no list behind: chosen IOVAs are unrestricted */
    g_assert_cmpint(map_auto(fx->fd, fx->ioas, buffer, PAGE, &iova), ==, 0);
    unmap_ok(fx->fd, fx->ioas, iova, PAGE);
}

static void test_copy(Fx *fx, gconstpointer data)
{
    struct iommu_ioas_copy cmd;
    uint32_t dst, src2;
    uint64_t b, iova;

    (void)data;
    FX_SKIP();
    b = fx->base;
    dst = abi_ioas_alloc(fx->fd);
#define RESET()                                                                \
    do {                                                                       \
        memset(&cmd, 0, sizeof(cmd));                                          \
        cmd.size = sizeof(cmd);                                                \
        cmd.flags = RW | IOMMU_IOAS_MAP_FIXED_IOVA;                            \
        cmd.dst_ioas_id = dst;                                                 \
        cmd.src_ioas_id = fx->ioas;                                            \
        cmd.length = 4 * PAGE;                                                 \
        cmd.dst_iova = b;                                                      \
        cmd.src_iova = b;                                                      \
    } while (0)

    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, 4 * PAGE, b), ==, 0);

    /* argument rules */
    RESET();
    cmd.flags |= 1u << 3;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, -EOPNOTSUPP);
    RESET();
    cmd.flags = IOMMU_IOAS_MAP_FIXED_IOVA;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, -EINVAL);
    RESET();
    cmd.src_iova = U64_MAX;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, -EOVERFLOW);
    RESET();
    cmd.length = 0;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, -EINVAL);
    RESET();
    cmd.src_ioas_id = 0;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, -ENOENT);
    RESET();
    cmd.dst_ioas_id = 0;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, -ENOENT);

    /* the source must be mapped over the whole range */
    RESET();
    cmd.src_iova = b + 2 * PAGE;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, -ENOENT);
    RESET();
    cmd.src_iova = b - PAGE;
    cmd.length = 2 * PAGE;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, -ENOENT);
    RESET();
    cmd.src_iova = b + 64 * PAGE;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, -ENOENT);

    /* the whole area, then part of it */
    RESET();
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, 0);
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, -EEXIST);
    unmap_ok(fx->fd, dst, b, 4 * PAGE);
    RESET();
    cmd.src_iova = b + PAGE;
    cmd.length = 2 * PAGE;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, 0);
    unmap_ok(fx->fd, dst, b, 2 * PAGE);

    /* a chosen destination IOVA is written back */
    RESET();
    cmd.flags = RW;
    cmd.dst_iova = 0;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, 0);
    g_assert_cmpuint(cmd.dst_iova, !=, 0);
    assert_iova_usable(fx->fd, dst, cmd.dst_iova, 4 * PAGE);
    unmap_ok(fx->fd, dst, cmd.dst_iova, 4 * PAGE);

    /* inside one IOAS */
    RESET();
    cmd.dst_ioas_id = fx->ioas;
    cmd.dst_iova = b + 8 * PAGE;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, 0);
    if (fx->domain) {
        g_assert_cmpint(check_map(fx->fd, fx->hwpt, b + 8 * PAGE, 4 * PAGE, buffer), ==, 0);
    }
    unmap_ok(fx->fd, fx->ioas, b + 8 * PAGE, 4 * PAGE);
    /* the source is untouched by all this */
    unmap_ok(fx->fd, fx->ioas, b, 4 * PAGE);

    /* a read-only source cannot be copied writeable */
    iova = b;
    g_assert_cmpint(map_flags(fx->fd, fx->ioas, buffer, 4 * PAGE, &iova,
                              IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA), ==, 0);
    RESET();
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, -EPERM);
    cmd.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, 0);
    unmap_ok(fx->fd, dst, b, 4 * PAGE);
    unmap_ok(fx->fd, fx->ioas, b, 4 * PAGE);

    /* into the IOAS with the domain from one without: the pages land there */
    src2 = abi_ioas_alloc(fx->fd);
    g_assert_cmpint(map_auto(fx->fd, src2, buffer, BUFFER_SIZE, &iova), ==, 0);
    RESET();
    cmd.src_ioas_id = src2;
    cmd.src_iova = iova;
    cmd.dst_ioas_id = fx->ioas;
    cmd.length = BUFFER_SIZE;
    g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_COPY, &cmd), ==, 0);
    if (fx->domain) {
        g_assert_cmpint(check_map(fx->fd, fx->hwpt, b, BUFFER_SIZE, buffer), ==, 0);
        g_assert_cmpint(check_refs(fx->fd, buffer, BUFFER_SIZE, 1), ==, 0);
    }
    /* the copy holds the pages on its own */
    g_assert_cmpint(abi_destroy(fx->fd, src2), ==, 0);
    if (fx->domain) {
        g_assert_cmpint(check_map(fx->fd, fx->hwpt, b, BUFFER_SIZE, buffer), ==, 0);
    }
    unmap_ok(fx->fd, fx->ioas, b, BUFFER_SIZE);
    g_assert_cmpint(abi_destroy(fx->fd, dst), ==, 0);
#undef RESET
}

static void test_iova_ranges(Fx *fx, gconstpointer data)
{
    struct iommu_iova_range r[8];
    uint32_t num = 0;
    uint64_t align = 0;

    (void)data;
    FX_SKIP();
    {
        struct iommu_ioas_iova_ranges cmd = {
            .size = sizeof(cmd), .ioas_id = fx->ioas, .num_iovas = 8,
            .allowed_iovas = (uintptr_t)r, .__reserved = 1,
        };

        g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_IOVA_RANGES, &cmd), ==, -EOPNOTSUPP);
    }
    g_assert_cmpint(iova_ranges(fx->fd, 0, r, 8, &num, &align), ==, -ENOENT);

    /* the alignment is output only */
    {
        struct iommu_ioas_iova_ranges cmd = {
            .size = sizeof(cmd), .ioas_id = fx->ioas, .num_iovas = 8,
            .allowed_iovas = (uintptr_t)r, .out_iova_alignment = 12345,
        };

        g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_IOAS_IOVA_RANGES, &cmd), ==, 0);
        g_assert_cmpuint(cmd.num_iovas, ==, 1);
        g_assert_cmpuint(cmd.out_iova_alignment, ==, fx->domain ? MOCK_PAGE : 1);
        if (fx->domain) {
            g_assert_cmpuint(r[0].start, ==, MOCK_APERTURE_START);
            g_assert_cmpuint(r[0].last, ==, MOCK_APERTURE_LAST);
        } else {
            g_assert_cmpuint(r[0].start, ==, 0);
            g_assert_cmpuint(r[0].last, ==, U64_MAX);
        }
    }

    /* too small: EMSGSIZE with the count written back, the array untouched */
    memset(r, 0xab, sizeof(r));
    num = 0;
    g_assert_cmpint(iova_ranges(fx->fd, fx->ioas, r, 0, &num, &align), ==, -EMSGSIZE);
    g_assert_cmpuint(num, ==, 1);
    g_assert_cmpuint(r[0].start, ==, 0xababababababababull);
    g_assert_cmpint(iova_ranges(fx->fd, fx->ioas, NULL, 0, &num, &align), ==, -EMSGSIZE);
    g_assert_cmpuint(num, ==, 1);
    /* a bad array */
    g_assert_cmpint(iova_ranges(fx->fd, fx->ioas, NULL, 1, &num, &align), ==, -EFAULT);

    if (!have_selftest) {
        return;
    }
    /* a reserved hole splits the range (outside an aperture it changes nothing) */
    g_assert_cmpint(add_reserved(fx->fd, fx->ioas, PAGE, PAGE), ==, 0);
    memset(r, 0, sizeof(r));
    g_assert_cmpint(iova_ranges(fx->fd, fx->ioas, r, 8, &num, &align), ==, 0);
    if (!fx->domain) {
        g_assert_cmpuint(num, ==, 2);
        g_assert_cmpuint(r[0].start, ==, 0);
        g_assert_cmpuint(r[0].last, ==, PAGE - 1);
        g_assert_cmpuint(r[1].start, ==, 2 * PAGE);
        g_assert_cmpuint(r[1].last, ==, U64_MAX);
    } else {
        g_assert_cmpuint(num, ==, 1);
        g_assert_cmpuint(r[0].start, ==, MOCK_APERTURE_START);
        g_assert_cmpuint(r[0].last, ==, MOCK_APERTURE_LAST);
    }
    /* retry with room for one: the first is filled, the rest left alone */
    memset(r, 0, sizeof(r));
    num = 0;
    if (!fx->domain) {
        g_assert_cmpint(iova_ranges(fx->fd, fx->ioas, r, 1, &num, &align), ==, -EMSGSIZE);
        g_assert_cmpuint(num, ==, 2);
        g_assert_cmpuint(r[0].start, ==, 0);
        g_assert_cmpuint(r[0].last, ==, PAGE - 1);
        g_assert_cmpuint(r[1].start, ==, 0);
        g_assert_cmpuint(r[1].last, ==, 0);
        /* the retry with the count the kernel gave back */
        g_assert_cmpint(iova_ranges(fx->fd, fx->ioas, r, num, &num, &align), ==, 0);
        g_assert_cmpuint(num, ==, 2);
        g_assert_cmpuint(r[1].start, ==, 2 * PAGE);
        g_assert_cmpuint(r[1].last, ==, U64_MAX);
        memset(r, 0, sizeof(r));
    } else {
        g_assert_cmpint(iova_ranges(fx->fd, fx->ioas, r, 1, &num, &align), ==, 0);
        g_assert_cmpuint(num, ==, 1);
        g_assert_cmpuint(r[0].start, ==, MOCK_APERTURE_START);
    }
    g_assert_cmpuint(r[1].start, ==, 0);
    g_assert_cmpuint(r[1].last, ==, 0);
}

/* MD_CHECK_MAP and MD_CHECK_REFS around map and unmap. */
static void test_md_checks(Fx *fx, gconstpointer data)
{
    (void)data;
    FX_SKIP();
    if (!have_selftest) {
        g_test_skip("needs IOMMU_TEST_CMD (a kernel with CONFIG_IOMMUFD_TEST)");
        return;
    }
    g_assert_cmpint(check_refs(fx->fd, buffer, BUFFER_SIZE, 0), ==, 0);
    g_assert_cmpint(check_refs(fx->fd, buffer, BUFFER_SIZE, 1), ==, -EIO);
    g_assert_cmpint(check_refs(fx->fd, buffer + 1, PAGE, 0), ==, -EINVAL);
    g_assert_cmpint(check_refs(fx->fd, buffer, PAGE + 1, 0), ==, -EINVAL);

    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, 4 * PAGE, fx->base), ==, 0);
    /* pinned once with a domain, not at all without */
    g_assert_cmpint(check_refs(fx->fd, buffer, 4 * PAGE, fx->domain ? 1 : 0), ==, 0);
    g_assert_cmpint(check_refs(fx->fd, buffer + 4 * PAGE, BUFFER_SIZE - 4 * PAGE, 0), ==, 0);
    if (fx->domain) {
        g_assert_cmpint(check_refs(fx->fd, buffer, 4 * PAGE, 0), ==, -EIO);
        g_assert_cmpint(check_map(fx->fd, fx->hwpt, fx->base, 4 * PAGE, buffer), ==, 0);
        g_assert_cmpint(check_map(fx->fd, fx->hwpt, fx->base + PAGE, PAGE, buffer + PAGE), ==, 0);
        g_assert_cmpint(check_map(fx->fd, fx->hwpt, fx->base, PAGE, buffer + PAGE), ==, -EINVAL);
        g_assert_cmpint(check_map(fx->fd, fx->hwpt, fx->base + 4 * PAGE, PAGE, buffer + 4 * PAGE),
                        ==, -EINVAL);
        g_assert_cmpint(check_map(fx->fd, fx->hwpt, fx->base + 1, MOCK_PAGE, buffer), ==,
                        -EINVAL);
        g_assert_cmpint(check_map(fx->fd, fx->hwpt, fx->base, MOCK_PAGE + 1, buffer), ==,
                        -EINVAL);
        g_assert_cmpint(check_map(fx->fd, fx->ioas, fx->base, PAGE, buffer), ==, -ENOENT);
        g_assert_cmpint(check_map(fx->fd, 0, fx->base, PAGE, buffer), ==, -ENOENT);
    }
    unmap_ok(fx->fd, fx->ioas, fx->base, 4 * PAGE);
    g_assert_cmpint(check_refs(fx->fd, buffer, BUFFER_SIZE, 0), ==, 0);

    /* two domains on one IOAS still pin each page once */
    if (fx->domain) {
        uint32_t stdev2 = 0, hwpt2 = 0;

        g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, BUFFER_SIZE, fx->base), ==, 0);
        /* (the kernel may give it the existing automatic HWPT) */
        g_assert_cmpint(abi_mock_domain(fx->fd, fx->ioas, 0, &stdev2, &hwpt2, NULL), ==, 0);
        g_assert_cmpint(check_map(fx->fd, hwpt2, fx->base, BUFFER_SIZE, buffer), ==, 0);
        g_assert_cmpint(check_refs(fx->fd, buffer, BUFFER_SIZE, 1), ==, 0);
        g_assert_cmpint(abi_destroy(fx->fd, stdev2), ==, 0);
        g_assert_cmpint(check_refs(fx->fd, buffer, BUFFER_SIZE, 1), ==, 0);
        unmap_ok(fx->fd, fx->ioas, fx->base, BUFFER_SIZE);
        g_assert_cmpint(check_refs(fx->fd, buffer, BUFFER_SIZE, 0), ==, 0);
    } else {
        /* attaching a domain pins what is mapped, detaching releases it */
        uint32_t stdev2 = 0, hwpt2 = 0;

        g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, BUFFER_SIZE, fx->base), ==, 0);
        g_assert_cmpint(abi_mock_domain(fx->fd, fx->ioas, 0, &stdev2, &hwpt2, NULL), ==, 0);
        g_assert_cmpint(check_map(fx->fd, hwpt2, fx->base, BUFFER_SIZE, buffer), ==, 0);
        g_assert_cmpint(check_refs(fx->fd, buffer, BUFFER_SIZE, 1), ==, 0);
        g_assert_cmpint(abi_destroy(fx->fd, stdev2), ==, 0);
        g_assert_cmpint(check_refs(fx->fd, buffer, BUFFER_SIZE, 0), ==, 0);
        unmap_ok(fx->fd, fx->ioas, fx->base, BUFFER_SIZE);
    }
}

static int option(int fd, uint32_t id, uint16_t op, uint32_t obj, uint64_t *val)
{
    struct iommu_option cmd = {
        .size = sizeof(cmd), .option_id = id, .op = op, .object_id = obj, .val64 = *val,
    };
    int rc = abi_ioctl(fd, IOMMU_OPTION, &cmd);

    if (rc == 0) {
        *val = cmd.val64;
    }
    return rc;
}

static void test_option_huge_pages(Fx *fx, gconstpointer data)
{
    uint64_t v;

    (void)data;
    FX_SKIP();
    v = 3;
    g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, fx->ioas, &v),
                    ==, 0);
    g_assert_cmpuint(v, ==, 1);
    v = 0;
    g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, fx->ioas, &v),
                    ==, 0);
    v = 3;
    g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, fx->ioas, &v),
                    ==, 0);
    g_assert_cmpuint(v, ==, 0);
    v = 2;
    g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, fx->ioas, &v),
                    ==, -EINVAL);
    v = 1;
    g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, fx->ioas, &v),
                    ==, 0);
    v = 0;
    g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, fx->ioas, &v),
                    ==, 0);
    g_assert_cmpuint(v, ==, 1);

    /* per IOAS: unknown, or not an IOAS */
    g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 0, &v), ==,
                    -ENOENT);
    g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, &v), ==,
                    -ENOENT);
    if (fx->domain) {
        g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, fx->hwpt,
                               &v), ==, -ENOENT);
    }
    /* unknown op, unknown option, reserved bits */
    g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, 2, fx->ioas, &v), ==, -EOPNOTSUPP);
    g_assert_cmpint(option(fx->fd, 2, IOMMU_OPTION_OP_GET, fx->ioas, &v), ==, -EOPNOTSUPP);
    g_assert_cmpint(option(fx->fd, 0x1000, IOMMU_OPTION_OP_GET, 0, &v), ==, -EOPNOTSUPP);
    {
        struct iommu_option cmd = {
            .size = sizeof(cmd), .option_id = IOMMU_OPTION_HUGE_PAGES,
            .op = IOMMU_OPTION_OP_GET, .object_id = fx->ioas, .__reserved = 1,
        };

        g_assert_cmpint(abi_ioctl(fx->fd, IOMMU_OPTION, &cmd), ==, -EOPNOTSUPP);
    }

    if (fx->domain) {
        return;
    }
    /* without huge pages everything is PAGE_SIZE aligned (selftest ioas_align_change) */
    {
        struct iommu_iova_range r[4];
        uint32_t num;
        uint64_t align = 0;

        g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, PAGE, fx->base), ==, 0);
        v = 0;
        g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, fx->ioas,
                               &v), ==, 0);
        g_assert_cmpint(iova_ranges(fx->fd, fx->ioas, r, 4, &num, &align), ==, 0);
        g_assert_cmpuint(align, ==, PAGE);
        g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer + PAGE / 2, PAGE, fx->base + PAGE), ==,
                        -EINVAL);
        v = 0;
        g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, fx->ioas,
                               &v), ==, 0);
        v = 1;
        g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, fx->ioas,
                               &v), ==, 0);
        /* a misaligned area blocks the upgrade */
        g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer + PAGE / 2, PAGE, fx->base + PAGE), ==,
                        0);
        v = 0;
        g_assert_cmpint(option(fx->fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, fx->ioas,
                               &v), ==, -EADDRINUSE);
        unmap_ok(fx->fd, fx->ioas, fx->base + PAGE, PAGE);
        unmap_ok(fx->fd, fx->ioas, fx->base, PAGE);
    }
}

static void test_option_rlimit(void)
{
    uint64_t v = 99;
    int fd = abi_open();

    /* /dev/iommu starts in per-user accounting; only val64 comes back */
    g_assert_cmpint(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v), ==, 0);
    g_assert_cmpuint(v, ==, 0);
    /* global: no object */
    g_assert_cmpint(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 1, &v), ==,
                    -EOPNOTSUPP);
    g_assert_cmpint(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 1, &v), ==,
                    -EOPNOTSUPP);
    g_assert_cmpint(option(fd, IOMMU_OPTION_RLIMIT_MODE, 2, 0, &v), ==, -EOPNOTSUPP);
    {
        struct iommu_option cmd = {
            .size = sizeof(cmd), .option_id = IOMMU_OPTION_RLIMIT_MODE,
            .op = IOMMU_OPTION_OP_GET, .__reserved = 0x8000,
        };

        g_assert_cmpint(abi_ioctl(fd, IOMMU_OPTION, &cmd), ==, -EOPNOTSUPP);
    }

    if (!has_cap(CAP_SYS_RESOURCE_BIT)) {
        v = 1;
        g_assert_cmpint(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v), ==,
                        -EPERM);
        close(fd);
        return;
    }
    v = 1;
    g_assert_cmpint(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v), ==, 0);
    v = 0;
    g_assert_cmpint(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v), ==, 0);
    g_assert_cmpuint(v, ==, 1);
    v = 2;
    g_assert_cmpint(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v), ==,
                    -EINVAL);
    v = 0;
    g_assert_cmpint(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v), ==, 0);
    /* only while the context holds no object */
    {
        uint32_t ioas = abi_ioas_alloc(fd);

        v = 1;
        g_assert_cmpint(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v), ==,
                        -EBUSY);
        v = 1;
        g_assert_cmpint(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 0, &v), ==, 0);
        g_assert_cmpuint(v, ==, 0);
        g_assert_cmpint(abi_destroy(fd, ioas), ==, 0);
        v = 1;
        g_assert_cmpint(option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, &v), ==, 0);
    }
    close(fd);
}

static int vfio_ioas(int fd, uint16_t op, uint32_t *ioas)
{
    struct iommu_vfio_ioas cmd = { .size = sizeof(cmd), .op = op, .ioas_id = *ioas };
    int rc = abi_ioctl(fd, IOMMU_VFIO_IOAS, &cmd);

    if (rc == 0) {
        *ioas = cmd.ioas_id;
    }
    return rc;
}

static void test_vfio_ioas(void)
{
    uint32_t id = 0, ioas, got;
    int fd = abi_open();

    /* no compat IOAS yet: ENODEV (as the kernel selftest's vfio_ioas) */
    g_assert_cmpint(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), ==, -ENODEV);
    id = 0;
    g_assert_cmpint(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), ==, -ENOENT);
    id = 12345;
    g_assert_cmpint(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), ==, -ENOENT);
    g_assert_cmpint(vfio_ioas(fd, 3, &id), ==, -EOPNOTSUPP);
    {
        struct iommu_vfio_ioas cmd = { .size = sizeof(cmd), .op = 0, .__reserved = 1 };

        g_assert_cmpint(abi_ioctl(fd, IOMMU_VFIO_IOAS, &cmd), ==, -EOPNOTSUPP);
    }

    ioas = abi_ioas_alloc(fd);
    id = ioas;
    g_assert_cmpint(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), ==, 0);
    got = 0xdead;
    g_assert_cmpint(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &got), ==, 0);
    g_assert_cmpuint(got, ==, ioas);
    g_assert_cmpint(vfio_ioas(fd, IOMMU_VFIO_IOAS_CLEAR, &id), ==, 0);
    g_assert_cmpint(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &got), ==, -ENODEV);
    g_assert_cmpint(vfio_ioas(fd, IOMMU_VFIO_IOAS_CLEAR, &id), ==, 0);

    /* it holds no reference: destroying the IOAS forgets it */
    id = ioas;
    g_assert_cmpint(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), ==, 0);
    g_assert_cmpint(abi_destroy(fd, ioas), ==, 0);
    g_assert_cmpint(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &got), ==, -ENODEV);
    close(fd);
}

static int map_file(int fd, uint32_t ioas, int mfd, uint64_t start, uint64_t len, uint64_t *iova,
                    uint32_t flags)
{
    struct iommu_ioas_map_file cmd = {
        .size = sizeof(cmd), .flags = flags, .ioas_id = ioas, .fd = mfd,
        .start = start, .length = len, .iova = *iova,
    };
    int rc = abi_ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd);

    if (rc == 0) {
        *iova = cmd.iova;
    }
    return rc;
}

static void test_map_file(Fx *fx, gconstpointer data)
{
    uint8_t *m;
    uint64_t iova;
    int mfd;

    (void)data;
    ABI_NEED_CMD(probe_fd, IOMMUFD_CMD_IOAS_MAP_FILE);
    FX_SKIP();
    mfd = memfd_create("abi-core", MFD_CLOEXEC);
    g_assert_cmpint(mfd, >=, 0);
    g_assert_cmpint(ftruncate(mfd, 4 * PAGE), ==, 0);
    m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    g_assert_true(m != MAP_FAILED);
    memset(m, 0x3c, 4 * PAGE);

    iova = fx->base;
    g_assert_cmpint(map_file(fx->fd, fx->ioas, mfd, 0, PAGE, &iova, RW | (1u << 3)), ==,
                    -EOPNOTSUPP);
    g_assert_cmpint(map_file(fx->fd, fx->ioas, mfd, 0, PAGE, &iova, IOMMU_IOAS_MAP_FIXED_IOVA),
                    ==, -EINVAL);
    iova = U64_MAX;
    g_assert_cmpint(map_file(fx->fd, fx->ioas, mfd, 0, PAGE, &iova,
                             RW | IOMMU_IOAS_MAP_FIXED_IOVA), ==, -EOVERFLOW);
    iova = fx->base;
    g_assert_cmpint(map_file(fx->fd, fx->ioas, mfd, 0, U64_MAX, &iova, RW), ==, -EOVERFLOW);
    g_assert_cmpint(map_file(fx->fd, 0, mfd, 0, PAGE, &iova, RW), ==, -ENOENT);
    g_assert_cmpint(map_file(fx->fd, fx->ioas, -1, 0, PAGE, &iova, RW), ==, -EBADF);

    /* chosen IOVA */
    iova = 0;
    g_assert_cmpint(map_file(fx->fd, fx->ioas, mfd, 0, 4 * PAGE, &iova, RW), ==, 0);
    g_assert_cmpuint(iova, !=, 0);
    assert_iova_usable(fx->fd, fx->ioas, iova, 4 * PAGE);
    if (fx->domain) {
        /* the file's pages are what the domain maps */
        g_assert_cmpint(check_map(fx->fd, fx->hwpt, iova, 4 * PAGE, m), ==, 0);
    }
    unmap_ok(fx->fd, fx->ioas, iova, 4 * PAGE);

    /* fixed IOVA, from an offset into the file */
    iova = fx->base;
    g_assert_cmpint(map_file(fx->fd, fx->ioas, mfd, PAGE, 2 * PAGE, &iova,
                             RW | IOMMU_IOAS_MAP_FIXED_IOVA), ==, 0);
    g_assert_cmpuint(iova, ==, fx->base);
    if (fx->domain) {
        g_assert_cmpint(check_map(fx->fd, fx->hwpt, fx->base, 2 * PAGE, m + PAGE), ==, 0);
    }
    iova = fx->base;
    g_assert_cmpint(map_file(fx->fd, fx->ioas, mfd, 0, PAGE, &iova,
                             RW | IOMMU_IOAS_MAP_FIXED_IOVA), ==, -EEXIST);
    unmap_ok(fx->fd, fx->ioas, fx->base, 2 * PAGE);

    munmap(m, 4 * PAGE);
    close(mfd);
}

static int change_process(int fd, uint32_t reserved)
{
    struct iommu_ioas_change_process cmd = { .size = sizeof(cmd), .__reserved = reserved };

    return abi_ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd);
}

static void test_change_process(void)
{
    uint32_t ioas, ioas2;
    uint64_t iova;
    int fd, mfd;

    ABI_NEED_CMD(probe_fd, IOMMUFD_CMD_IOAS_CHANGE_PROCESS);
    ABI_NEED_CMD(probe_fd, IOMMUFD_CMD_IOAS_MAP_FILE);
    fd = abi_open();
    g_assert_cmpint(change_process(fd, 1), ==, -EOPNOTSUPP);
    g_assert_cmpint(change_process(fd, 0), ==, 0); /* nothing to move */

    ioas = abi_ioas_alloc(fd);
    ioas2 = abi_ioas_alloc(fd);
    g_assert_cmpint(change_process(fd, 0), ==, 0);
    mfd = memfd_create("abi-core", MFD_CLOEXEC);
    g_assert_cmpint(mfd, >=, 0);
    g_assert_cmpint(ftruncate(mfd, 4 * PAGE), ==, 0);
    iova = 0;
    g_assert_cmpint(map_file(fd, ioas, mfd, 0, 4 * PAGE, &iova, RW), ==, 0);
    g_assert_cmpint(change_process(fd, 0), ==, 0);

    /* one map of user memory anywhere in the context: EINVAL */
    g_assert_cmpint(map_auto(fd, ioas2, buffer, PAGE, &iova), ==, 0);
    g_assert_cmpint(change_process(fd, 0), ==, -EINVAL);
    unmap_ok(fd, ioas2, iova, PAGE);
    g_assert_cmpint(change_process(fd, 0), ==, 0);

    close(mfd);
    close(fd);
}

/* The selftest's emulated in-kernel access (an mdev-like user of an IOAS). */
static void test_access_pages(Fx *fx, gconstpointer data)
{
    uint32_t id = 0, id2 = 0;
    int afd = -1, afd2 = -1, flags;

    (void)data;
    FX_SKIP();
    if (!have_selftest) {
        g_test_skip("needs IOMMU_TEST_CMD (a kernel with CONFIG_IOMMUFD_TEST)");
        return;
    }
    g_assert_cmpint(create_access(fx->fd, fx->ioas, 1u << 5, &afd), ==, -EOPNOTSUPP);
    g_assert_cmpint(create_access(fx->fd, 0, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd), ==,
                    -ENOENT);
    g_assert_cmpint(create_access(fx->fd, fx->ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
                                  &afd), ==, 0);
    g_assert_cmpint(afd, >=, 0);
    flags = fcntl(afd, F_GETFD);
    g_assert_cmpint(flags & FD_CLOEXEC, ==, FD_CLOEXEC);
    g_assert_cmpint(create_access(fx->fd, fx->ioas, 0, &afd2), ==, 0);

    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, BUFFER_SIZE, fx->base), ==, 0);

    /* argument rules */
    g_assert_cmpint(access_pages(fx->fd, afd, fx->base, PAGE, buffer, 1u << 3, &id), ==,
                    -EOPNOTSUPP);
    g_assert_cmpint(access_pages(fx->fd, afd2, fx->base, PAGE, buffer, 0, &id), ==, -EOPNOTSUPP);
    g_assert_cmpint(access_pages(fx->fd, fx->fd, fx->base, PAGE, buffer, 0, &id), ==, -EBADFD);
    g_assert_cmpint(access_pages(fx->fd, afd, fx->base + BUFFER_SIZE, PAGE, buffer, 0, &id), ==,
                    -ENOENT);
    g_assert_cmpint(access_pages(fx->fd, afd, fx->base + BUFFER_SIZE - PAGE, 2 * PAGE, buffer, 0,
                                 &id), ==, -ENOENT);
    g_assert_cmpint(destroy_access_pages(fx->fd, afd, 12345), ==, -ENOENT);

    /* pin, twice; each pin is its own item */
    g_assert_cmpint(access_pages(fx->fd, afd, fx->base, 4 * PAGE, buffer, 0, &id), ==, 0);
    if (!fx->domain) {
        /* pinned by the access alone */
        g_assert_cmpint(check_refs(fx->fd, buffer, 4 * PAGE, 1), ==, 0);
        g_assert_cmpint(check_refs(fx->fd, buffer + 4 * PAGE, PAGE, 0), ==, 0);
    }
    g_assert_cmpint(access_pages(fx->fd, afd, fx->base + PAGE, PAGE, buffer + PAGE,
                                 MOCK_FLAGS_ACCESS_WRITE, &id2), ==, 0);
    g_assert_cmpuint(id, !=, id2);
    g_assert_cmpint(destroy_access_pages(fx->fd, afd, id2), ==, 0);
    g_assert_cmpint(destroy_access_pages(fx->fd, afd, id2), ==, -ENOENT);

    /* an unmap under a pin: the access is told, unpins, and the item is gone */
    unmap_ok(fx->fd, fx->ioas, fx->base, BUFFER_SIZE);
    g_assert_cmpint(destroy_access_pages(fx->fd, afd, id), ==, -ENOENT);
    g_assert_cmpint(check_refs(fx->fd, buffer, BUFFER_SIZE, 0), ==, 0);

    /* closing the access fd releases its pins */
    g_assert_cmpint(map_fixed(fx->fd, fx->ioas, buffer, BUFFER_SIZE, fx->base), ==, 0);
    g_assert_cmpint(access_pages(fx->fd, afd, fx->base, BUFFER_SIZE, buffer, 0, &id), ==, 0);
    close(afd);
    close(afd2);
    unmap_ok(fx->fd, fx->ioas, fx->base, BUFFER_SIZE);
    g_assert_cmpint(check_refs(fx->fd, buffer, BUFFER_SIZE, 0), ==, 0);
}

static void test_access_rw(Fx *fx, gconstpointer data)
{
    uint8_t tmp[200], *big;
    uint64_t iova;
    int afd = -1;

    (void)data;
    FX_SKIP();
    if (!have_selftest) {
        g_test_skip("needs IOMMU_TEST_CMD (a kernel with CONFIG_IOMMUFD_TEST)");
        return;
    }
    g_assert_cmpint(create_access(fx->fd, fx->ioas, 0, &afd), ==, 0);
    for (size_t i = 0; i < BUFFER_SIZE; i++) {
        buffer[i] = (uint8_t)(i * 7 + 3);
    }
    g_assert_cmpint(map_auto(fx->fd, fx->ioas, buffer, BUFFER_SIZE, &iova), ==, 0);

    /* reads across a page boundary, fast and slow path */
    for (uint64_t off = PAGE - 50; off < PAGE + 50; off += 7) {
        for (uint64_t len = 1; len < sizeof(tmp); len += 37) {
            memset(tmp, 0, sizeof(tmp));
            g_assert_cmpint(access_rw(fx->fd, afd, iova + off, tmp, len, 0), ==, 0);
            g_assert_cmpmem(tmp, len, buffer + off, len);
            memset(tmp, 0, sizeof(tmp));
            g_assert_cmpint(access_rw(fx->fd, afd, iova + off, tmp, len,
                                      MOCK_ACCESS_RW_SLOW_PATH), ==, 0);
            g_assert_cmpmem(tmp, len, buffer + off, len);
        }
    }
    /* writes land in the user memory */
    for (size_t i = 0; i < sizeof(tmp); i++) {
        tmp[i] = (uint8_t)(0xc0 ^ i);
    }
    g_assert_cmpint(access_rw(fx->fd, afd, iova + PAGE - 7, tmp, 100, MOCK_ACCESS_RW_WRITE), ==,
                    0);
    g_assert_cmpmem(buffer + PAGE - 7, 100, tmp, 100);
    /* all of it at once */
    big = g_malloc0(BUFFER_SIZE);
    g_assert_cmpint(access_rw(fx->fd, afd, iova, big, BUFFER_SIZE, 0), ==, 0);
    g_assert_cmpmem(big, BUFFER_SIZE, buffer, BUFFER_SIZE);
    g_free(big);

    /* errors */
    g_assert_cmpint(access_rw(fx->fd, afd, iova, tmp, 8, 1u << 1), ==, -EOPNOTSUPP);
    g_assert_cmpint(access_rw(fx->fd, afd, iova + BUFFER_SIZE, tmp, 8, 0), ==, -ENOENT);
    g_assert_cmpint(access_rw(fx->fd, afd, iova + BUFFER_SIZE - 4, tmp, 8, 0), ==, -ENOENT);
    g_assert_cmpint(access_rw(fx->fd, fx->fd, iova, tmp, 8, 0), ==, -EBADFD);
    unmap_ok(fx->fd, fx->ioas, iova, BUFFER_SIZE);
    g_assert_cmpint(access_rw(fx->fd, afd, iova, tmp, 8, 0), ==, -ENOENT);

    /* a read-only area can be read, not written */
    iova = 0;
    g_assert_cmpint(map_flags(fx->fd, fx->ioas, buffer, PAGE, &iova, IOMMU_IOAS_MAP_READABLE),
                    ==, 0);
    g_assert_cmpint(access_rw(fx->fd, afd, iova, tmp, 8, 0), ==, 0);
    g_assert_cmpint(access_rw(fx->fd, afd, iova, tmp, 8, MOCK_ACCESS_RW_WRITE), ==, -EPERM);
    unmap_ok(fx->fd, fx->ioas, iova, PAGE);
    close(afd);
}

static int access_replace_ioas(int fd, int access_fd, uint32_t ioas)
{
    struct iommu_test_cmd cmd = {
        .op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, .id = (uint32_t)access_fd,
    };

    cmd.access_replace_ioas.ioas_id = ioas;
    return tcmd(fd, &cmd);
}

/*
 * ACCESS_REPLACE_IOAS (iommufd_access_replace): the new id must be an IOAS
 * (ENOENT), the access fd a selftest access (EBADFD); the same IOAS is a
 * no-op; moving first tells the access to unmap everything (the selftest's
 * unmap callback drops every pinned item), then the access holds the new
 * IOAS instead of the old one.
 */
static void test_access_replace_ioas(void)
{
    const uint64_t iova_b = 4 * (uint64_t)BUFFER_SIZE;
    uint32_t a, b, c, d, stdev = 0, hwpt = 0, dev = 0, id = 0, id2 = 0;
    int fd, afd = -1;

    NEED_SELFTEST();
    fd = abi_open();
    a = abi_ioas_alloc(fd);
    b = abi_ioas_alloc(fd);
    c = abi_ioas_alloc(fd);
    g_assert_cmpint(map_fixed(fd, a, buffer, BUFFER_SIZE, MOCK_APERTURE_START), ==, 0);
    g_assert_cmpint(map_fixed(fd, b, buffer, BUFFER_SIZE, iova_b), ==, 0);
    g_assert_cmpint(abi_mock_domain(fd, c, 0, &stdev, &hwpt, &dev), ==, 0);
    g_assert_cmpint(create_access(fd, a, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd), ==, 0);

    /* not an IOAS, not an access */
    g_assert_cmpint(access_replace_ioas(fd, afd, 0x7fffffff), ==, -ENOENT);
    g_assert_cmpint(access_replace_ioas(fd, afd, hwpt), ==, -ENOENT);
    g_assert_cmpint(access_replace_ioas(fd, afd, dev), ==, -ENOENT);
    g_assert_cmpint(access_replace_ioas(fd, afd, stdev), ==, -ENOENT);
    g_assert_cmpint(access_replace_ioas(fd, fd, b), ==, -EBADFD);
    g_assert_cmpint(access_replace_ioas(fd, STDIN_FILENO, b), ==, -EBADFD);

    /* the access still works on its IOAS; a has no domain: the access pins */
    g_assert_cmpint(access_pages(fd, afd, MOCK_APERTURE_START, 4 * PAGE, buffer, 0, &id), ==, 0);
    g_assert_cmpint(check_refs(fd, buffer, 4 * PAGE, 1), ==, 0);
    /* the same IOAS: nothing happens, the pin stays */
    g_assert_cmpint(access_replace_ioas(fd, afd, a), ==, 0);
    g_assert_cmpint(check_refs(fd, buffer, 4 * PAGE, 1), ==, 0);
    g_assert_cmpint(abi_destroy(fd, a), ==, -EBUSY);

    /* with pinned pages: unpinned on the way, the item is gone */
    g_assert_cmpint(access_replace_ioas(fd, afd, b), ==, 0);
    g_assert_cmpint(destroy_access_pages(fd, afd, id), ==, -ENOENT);
    g_assert_cmpint(check_refs(fd, buffer, 4 * PAGE, 0), ==, 0);
    /* the old IOAS is free, the new one held */
    g_assert_cmpint(abi_destroy(fd, b), ==, -EBUSY);
    g_assert_cmpint(access_pages(fd, afd, MOCK_APERTURE_START, PAGE, buffer, 0, &id2), ==,
                    -ENOENT);
    g_assert_cmpint(access_pages(fd, afd, iova_b + PAGE, PAGE, buffer + PAGE, 0, &id2), ==, 0);
    g_assert_cmpint(check_refs(fd, buffer + PAGE, PAGE, 1), ==, 0);
    unmap_ok(fd, a, MOCK_APERTURE_START, BUFFER_SIZE);
    g_assert_cmpint(destroy_access_pages(fd, afd, id2), ==, 0);
    g_assert_cmpint(check_refs(fd, buffer, BUFFER_SIZE, 0), ==, 0);
    g_assert_cmpint(abi_destroy(fd, a), ==, 0);

    /* without pinned pages, into an empty IOAS */
    d = abi_ioas_alloc(fd);
    g_assert_cmpint(access_replace_ioas(fd, afd, d), ==, 0);
    g_assert_cmpint(abi_destroy(fd, b), ==, 0);
    g_assert_cmpint(abi_destroy(fd, d), ==, -EBUSY);
    {
        uint8_t tmp[8];

        g_assert_cmpint(access_rw(fd, afd, iova_b, tmp, sizeof(tmp), 0), ==, -ENOENT);
    }
    /* closing the access fd lets its IOAS go */
    close(afd);
    g_assert_cmpint(abi_destroy(fd, d), ==, 0);
    g_assert_cmpint(abi_destroy(fd, stdev), ==, 0);
    close(fd);

    fd = abi_open();
    g_assert_cmpint(check_refs(fd, buffer, BUFFER_SIZE, 0), ==, 0);
    close(fd);
}

static int set_temp_memory_limit(int fd, uint32_t limit)
{
    struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT };

    cmd.memory_limit.limit = limit;
    return tcmd(fd, &cmd);
}

/* The selftest's iommufd_test_memory_limit (default 65536) bounds the
 * kernel's temporary batch memory; below sizeof(unsigned long) + sizeof(u32)
 * the batch could not hold one element: EINVAL.  The smallest value works:
 * mapping into a domain and pinning through an access still succeed. */
#define TEMP_MEMORY_LIMIT_DEFAULT 65536u

static void test_temp_memory_limit(void)
{
    const uint32_t min = sizeof(unsigned long) + sizeof(uint32_t);
    uint32_t ioas, stdev = 0, hwpt = 0, id = 0;
    int fd, afd = -1;

    NEED_SELFTEST();
    fd = abi_open();
    g_assert_cmpint(set_temp_memory_limit(fd, 0), ==, -EINVAL);
    g_assert_cmpint(set_temp_memory_limit(fd, min - 1), ==, -EINVAL);
    g_assert_cmpint(set_temp_memory_limit(fd, min), ==, 0);

    ioas = abi_ioas_alloc(fd);
    g_assert_cmpint(abi_mock_domain(fd, ioas, 0, &stdev, &hwpt, NULL), ==, 0);
    g_assert_cmpint(map_fixed(fd, ioas, buffer, BUFFER_SIZE, MOCK_APERTURE_START), ==, 0);
    g_assert_cmpint(check_map(fd, hwpt, MOCK_APERTURE_START, BUFFER_SIZE, buffer), ==, 0);
    g_assert_cmpint(check_refs(fd, buffer, BUFFER_SIZE, 1), ==, 0);
    g_assert_cmpint(create_access(fd, ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, &afd), ==,
                    0);
    g_assert_cmpint(access_pages(fd, afd, MOCK_APERTURE_START, BUFFER_SIZE, buffer, 0, &id), ==,
                    0);
    g_assert_cmpint(destroy_access_pages(fd, afd, id), ==, 0);
    close(afd);
    unmap_ok(fd, ioas, MOCK_APERTURE_START, BUFFER_SIZE);
    g_assert_cmpint(check_refs(fd, buffer, BUFFER_SIZE, 0), ==, 0);

    g_assert_cmpint(set_temp_memory_limit(fd, TEMP_MEMORY_LIMIT_DEFAULT), ==, 0);
    close(fd);
}

/* ==== 4. VFIO type1 compatibility on /dev/iommu ============================= */

static int vfio_call(int fd, unsigned long cmd, unsigned long arg)
{
    return abi_ioctl(fd, cmd, (void *)(uintptr_t)arg);
}

static void test_vfio_simple(void)
{
    int fd = abi_open();

    g_assert_cmpint(vfio_call(fd, VFIO_GET_API_VERSION, 0), ==, VFIO_API_VERSION);
    g_assert_cmpint(vfio_call(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU), ==, 1);
    g_assert_cmpint(vfio_call(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), ==, 1);
    g_assert_cmpint(vfio_call(fd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL), ==, 1);
    g_assert_cmpint(vfio_call(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_NESTING_IOMMU), ==, 0);
    g_assert_cmpint(vfio_call(fd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), ==, 0);
    g_assert_cmpint(vfio_call(fd, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU), ==, 0);
    g_assert_cmpint(vfio_call(fd, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_v2_IOMMU), ==, 0);
    g_assert_cmpint(vfio_call(fd, VFIO_CHECK_EXTENSION, VFIO_EEH), ==, 0);
    g_assert_cmpint(vfio_call(fd, VFIO_CHECK_EXTENSION, 12345), ==, 0);
    /* cache coherency is a property of the compat IOAS's domains */
    g_assert_cmpint(vfio_call(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), ==, -ENODEV);
    /* other container ioctls are not there */
    g_assert_cmpint(vfio_call(fd, VFIO_IOMMU_DIRTY_PAGES, 0), ==, -ENOTTY);
    close(fd);
}

/* Without a compat IOAS (the kernel selftest's unmap_cmd, map_cmd, info_cmd,
 * set_iommu_cmd): argument checks first, then ENODEV. */
static void test_vfio_no_ioas(void)
{
    struct vfio_iommu_type1_dma_map map = {
        .argsz = sizeof(map), .iova = MOCK_APERTURE_START, .size = 4096,
        .vaddr = 0,
    };
    struct vfio_iommu_type1_dma_unmap um = {
        .argsz = sizeof(um), .iova = MOCK_APERTURE_START, .size = 4096,
    };
    struct vfio_iommu_type1_info info = { .argsz = 1 };
    int fd = abi_open();

    map.vaddr = (uintptr_t)buffer;
    map.argsz = 1;
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_MAP_DMA, &map), ==, -EINVAL);
    map.argsz = sizeof(map) - 1;
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_MAP_DMA, &map), ==, -EINVAL);
    map.argsz = sizeof(map);
    map.flags = 1u << 31;
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_MAP_DMA, &map), ==, -EINVAL);
    map.flags = VFIO_DMA_MAP_FLAG_VADDR | VFIO_DMA_MAP_FLAG_READ;
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_MAP_DMA, &map), ==, -EINVAL);
    map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_MAP_DMA, &map), ==, -ENODEV);
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_MAP_DMA, NULL), ==, -EFAULT);

    um.argsz = 1;
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &um), ==, -EINVAL);
    um.argsz = sizeof(um);
    um.flags = 1u << 31;
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &um), ==, -EINVAL);
    um.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &um), ==, -EINVAL);
    um.flags = VFIO_DMA_UNMAP_FLAG_VADDR;
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &um), ==, -EINVAL);
    um.flags = 0;
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &um), ==, -ENODEV);
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, NULL), ==, -EFAULT);

    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_GET_INFO, &info), ==, -EINVAL);
    info.argsz = sizeof(info);
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_GET_INFO, &info), ==, -ENODEV);
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_GET_INFO, NULL), ==, -EFAULT);

    g_assert_cmpint(vfio_call(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), ==, -ENODEV);
    g_assert_cmpint(vfio_call(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU), ==, -ENODEV);
    g_assert_cmpint(vfio_call(fd, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU), ==, -EINVAL);
    g_assert_cmpint(vfio_call(fd, VFIO_SET_IOMMU, 0), ==, -EINVAL);

    /* nothing was created by any of it */
    {
        uint32_t id = 0;

        g_assert_cmpint(vfio_ioas(fd, IOMMU_VFIO_IOAS_GET, &id), ==, -ENODEV);
    }
    close(fd);
}

static int dma_map(int fd, void *p, uint64_t iova, uint64_t size)
{
    struct vfio_iommu_type1_dma_map map = {
        .argsz = sizeof(map), .flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
        .vaddr = (uintptr_t)p, .iova = iova, .size = size,
    };

    return abi_ioctl(fd, VFIO_IOMMU_MAP_DMA, &map);
}

static int dma_unmap(int fd, uint32_t flags, uint64_t iova, uint64_t size, uint64_t *out)
{
    struct vfio_iommu_type1_dma_unmap um = {
        .argsz = sizeof(um), .flags = flags, .iova = iova, .size = size,
    };
    int rc = abi_ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &um);

    if (rc == 0 && out) {
        *out = um.size;
    }
    return rc;
}

/* A context set up like a VFIO container: a compat IOAS, a type. */
static int compat_open(unsigned long type, bool domain, uint32_t *ioas_out)
{
    uint32_t ioas;
    int fd = abi_open();

    ioas = abi_ioas_alloc(fd);
    if (domain) {
        g_assert_cmpint(abi_mock_domain(fd, ioas, 0, NULL, NULL, NULL), ==, 0);
    }
    {
        uint32_t id = ioas;

        g_assert_cmpint(vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &id), ==, 0);
    }
    g_assert_cmpint(vfio_call(fd, VFIO_SET_IOMMU, type), ==, 0);
    if (ioas_out) {
        *ioas_out = ioas;
    }
    return fd;
}

static void test_vfio_map(gconstpointer data)
{
    bool domain = GPOINTER_TO_INT(data);
    const uint64_t base = MOCK_APERTURE_START;
    uint64_t out = 0, v = 3;
    uint32_t ioas;
    int fd;

    if (domain) {
        NEED_SELFTEST();
    }
    fd = compat_open(VFIO_TYPE1v2_IOMMU, domain, &ioas);
    g_assert_cmpint(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, ioas, &v), ==, 0);
    g_assert_cmpuint(v, ==, 1);
    if (!domain) {
        /* no domain in the compat IOAS: coherent */
        g_assert_cmpint(vfio_call(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU), ==, 1);
    }

    /* map, unmap: size written back */
    g_assert_cmpint(dma_map(fd, buffer, base, BUFFER_SIZE), ==, 0);
    g_assert_cmpint(dma_map(fd, buffer, base, PAGE), ==, -EEXIST);
    g_assert_cmpint(dma_unmap(fd, 0, base, BUFFER_SIZE, &out), ==, 0);
    g_assert_cmpuint(out, ==, BUFFER_SIZE);
    /* unmapping what is not there succeeds with 0 (as VFIO type1 does) */
    out = 1;
    g_assert_cmpint(dma_unmap(fd, 0, base, BUFFER_SIZE, &out), ==, 0);
    g_assert_cmpuint(out, ==, 0);

    /* UNMAP_ALL wants iova and size 0 */
    g_assert_cmpint(dma_map(fd, buffer, base, BUFFER_SIZE), ==, 0);
    g_assert_cmpint(dma_unmap(fd, VFIO_DMA_UNMAP_FLAG_ALL, base, BUFFER_SIZE, &out), ==,
                    -EINVAL);
    g_assert_cmpint(dma_unmap(fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, 1, &out), ==, -EINVAL);
    g_assert_cmpint(dma_unmap(fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, &out), ==, 0);
    g_assert_cmpuint(out, ==, BUFFER_SIZE);

    /* page by page, unmapped in another order */
    for (size_t i = 0; i < BUFFER_SIZE / PAGE; i++) {
        g_assert_cmpint(dma_map(fd, buffer + i * PAGE, base + i * PAGE, PAGE), ==, 0);
    }
    for (size_t i = 0; i < BUFFER_SIZE / PAGE; i++) {
        size_t j = (i * 5) % (BUFFER_SIZE / PAGE);

        g_assert_cmpint(dma_unmap(fd, 0, base + j * PAGE, PAGE, &out), ==, 0);
        g_assert_cmpuint(out, ==, PAGE);
    }

    /* type1v2 never cuts a mapping */
    g_assert_cmpint(dma_map(fd, buffer, base, 4 * PAGE), ==, 0);
    g_assert_cmpint(dma_unmap(fd, 0, base + PAGE, PAGE, &out), ==, -ENOENT);
    g_assert_cmpint(dma_unmap(fd, 0, base, 4 * PAGE, &out), ==, 0);
    g_assert_cmpuint(out, ==, 4 * PAGE);
    if (domain) {
        g_assert_cmpint(check_refs(fd, buffer, BUFFER_SIZE, 0), ==, 0);
    }
    close(fd);
}

/* Type1 (not v2) disables huge pages so that mappings can be cut. */
static void test_vfio_type1(void)
{
    const uint64_t base = MOCK_APERTURE_START;
    uint64_t out = 0, v = 3;
    uint32_t ioas;
    int fd = compat_open(VFIO_TYPE1_IOMMU, false, &ioas);

    g_assert_cmpint(option(fd, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, ioas, &v), ==, 0);
    g_assert_cmpuint(v, ==, 0);
    g_assert_cmpint(dma_map(fd, buffer, base, 4 * PAGE), ==, 0);
    g_assert_cmpint(dma_unmap(fd, 0, base + PAGE, PAGE, &out), ==, 0);
    g_assert_cmpuint(out, ==, PAGE);
    g_assert_cmpint(dma_unmap(fd, 0, base + 2 * PAGE, 2 * PAGE, &out), ==, 0);
    g_assert_cmpuint(out, ==, 2 * PAGE);
    g_assert_cmpint(dma_unmap(fd, 0, base, PAGE, &out), ==, 0);
    g_assert_cmpuint(out, ==, PAGE);
    close(fd);
}

static void test_vfio_info(gconstpointer data)
{
    bool domain = GPOINTER_TO_INT(data);
    const size_t bufsz = 4096;
    uint8_t *b;
    struct vfio_iommu_type1_info *info;
    bool seen_range = false, seen_avail = false;
    uint32_t total;
    int fd;

    if (domain) {
        NEED_SELFTEST();
    }
    fd = compat_open(VFIO_TYPE1v2_IOMMU, domain, NULL);
    b = g_malloc(bufsz);
    info = (void *)b;

    /* the pre-capability ABI: 16 bytes, nothing written past them */
    memset(b, 0xaa, bufsz);
    memset(info, 0, 16);
    info->argsz = 16;
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_GET_INFO, info), ==, 0);
    g_assert_cmpuint(info->flags, ==, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
    g_assert_cmpuint(info->iova_pgsizes & PAGE, ==, PAGE);
    g_assert_cmpuint(info->iova_pgsizes & (PAGE - 1), ==, 0);
    for (size_t i = 16; i < bufsz; i++) {
        g_assert_cmpuint(b[i], ==, 0xaa);
    }

    /* the header alone: the size needed comes back, no capability offset */
    memset(b, 0xaa, bufsz);
    memset(info, 0, sizeof(*info));
    info->argsz = sizeof(*info);
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_GET_INFO, info), ==, 0);
    g_assert_cmpuint(info->flags, ==, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
    g_assert_cmpuint(info->cap_offset, ==, 0);
    g_assert_cmpuint(info->argsz, >, sizeof(*info));
    total = info->argsz;
    g_assert_cmpuint(total, <=, bufsz);
    for (size_t i = sizeof(*info); i < bufsz; i++) {
        g_assert_cmpuint(b[i], ==, 0xaa);
    }

    /* everything */
    memset(b, 0xaa, bufsz);
    memset(info, 0, sizeof(*info));
    info->argsz = bufsz;
    g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_GET_INFO, info), ==, 0);
    g_assert_cmpuint(info->argsz, ==, total);
    g_assert_cmpuint(info->cap_offset, ==, sizeof(*info));
    for (size_t i = total; i < bufsz; i++) {
        g_assert_cmpuint(b[i], ==, 0xaa);
    }
    for (uint32_t off = info->cap_offset, n = 0; off && n < 8; n++) {
        struct vfio_info_cap_header *h = (void *)(b + off);

        g_assert_cmpuint(off + sizeof(*h), <=, total);
        if (off + sizeof(*h) > total) {
            break;
        }
        g_assert_cmpuint(h->version, ==, 1);
        if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
            struct vfio_iommu_type1_info_cap_iova_range *r = (void *)h;

            seen_range = true;
            g_assert_cmpuint(r->nr_iovas, ==, 1);
            g_assert_cmpuint(off + sizeof(*r) + sizeof(r->iova_ranges[0]), <=, total);
            if (domain) {
                g_assert_cmpuint(r->iova_ranges[0].start, ==, MOCK_APERTURE_START);
                g_assert_cmpuint(r->iova_ranges[0].end, ==, MOCK_APERTURE_LAST);
            } else {
                g_assert_cmpuint(r->iova_ranges[0].start, ==, 0);
                g_assert_cmpuint(r->iova_ranges[0].end, ==, U64_MAX);
            }
        } else if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
            struct vfio_iommu_type1_info_dma_avail *a = (void *)h;

            seen_avail = true;
            g_assert_cmpuint(a->avail, ==, UINT32_MAX);
        } else {
            g_test_message("unexpected capability %u", h->id);
            g_assert_not_reached();
        }
        g_assert_true(h->next == 0 || h->next > off);
        off = h->next;
    }
    g_assert_true(seen_range);
    g_assert_true(seen_avail);

    /* any size in between: never a corrupt chain, never past argsz */
    for (uint32_t sz = sizeof(*info); sz < total; sz++) {
        memset(b, 0xaa, bufsz);
        memset(info, 0, sizeof(*info));
        info->argsz = sz;
        g_assert_cmpint(abi_ioctl(fd, VFIO_IOMMU_GET_INFO, info), ==, 0);
        g_assert_cmpuint(info->argsz, ==, total);
        for (size_t i = sz; i < bufsz; i++) {
            if (b[i] != 0xaa) {
                g_test_message("argsz %u: byte %zu written", sz, i);
                g_assert_cmpuint(b[i], ==, 0xaa);
                break;
            }
        }
        if (info->cap_offset) {
            struct vfio_info_cap_header *h = (void *)(b + info->cap_offset);

            g_assert_cmpuint(info->cap_offset + sizeof(*h), <=, sz);
            g_assert_true(h->next == 0 || h->next + sizeof(*h) <= sz);
        }
    }
    g_free(b);
    close(fd);
}

/* Destroying the compat IOAS takes the container's IOAS away. */
static void test_vfio_ioas_gone(void)
{
    uint32_t ioas;
    int fd = compat_open(VFIO_TYPE1v2_IOMMU, false, &ioas);

    g_assert_cmpint(dma_map(fd, buffer, MOCK_APERTURE_START, PAGE), ==, 0);
    g_assert_cmpint(abi_destroy(fd, ioas), ==, 0);
    g_assert_cmpint(dma_map(fd, buffer, MOCK_APERTURE_START, PAGE), ==, -ENODEV);
    g_assert_cmpint(dma_unmap(fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, NULL), ==, -ENODEV);
    g_assert_cmpint(vfio_call(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), ==, -ENODEV);
    close(fd);
}

/* ==== main ================================================================== */

static void add_fx(const char *name, void (*fn)(Fx *, gconstpointer))
{
    for (size_t i = 0; i < G_N_ELEMENTS(variants); i++) {
        g_autofree char *path = g_strdup_printf("/core/ioas/%s/%s", variants[i].name, name);

        tu_add(path, Fx, &variants[i], fx_setup, fn, fx_teardown);
    }
}

int main(int argc, char **argv)
{
    size_t align = 2u << 20;
    uint8_t *region;

    test_backend_print();
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
    g_test_set_nonfatal_assertions();

    PAGE = (size_t)sysconf(_SC_PAGESIZE);
    MOCK_PAGE = PAGE / 2;
    BUFFER_SIZE = 16 * PAGE;
    /* a shared, 2 MiB aligned buffer like the kernel selftests' */
    region = mmap(NULL, BUFFER_SIZE + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_true(region != MAP_FAILED);
    buffer = (uint8_t *)(((uintptr_t)region + align - 1) & ~(uintptr_t)(align - 1));
    if (mmap(buffer, BUFFER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
             -1, 0) != buffer) {
        g_error("mmap: %s", g_strerror(errno));
    }
    memset(buffer, 0, BUFFER_SIZE);

    probe_fd = abi_open();
    have_selftest = abi_has_cmd(probe_fd, 0xa0);

    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        g_autofree char *path = g_strdup_printf("/core/size/%s", cmds[i].name);

        tu_add_data_func(path, &cmds[i], test_size_contract);
    }
    tu_add_func("/core/size/presence", test_size_presence);
    tu_add_func("/core/dispatch/numbers", test_dispatch_numbers);
    tu_add_func("/core/dispatch/trailing-u64", test_dispatch_ex);
    tu_add_func("/core/dispatch/fault", test_dispatch_fault);
    tu_add_func("/core/dispatch/short-structs", test_dispatch_short_structs);

    tu_add_func("/core/objects/ids", test_objects_ids);
    tu_add_func("/core/objects/types", test_objects_types);
    tu_add_func("/core/objects/busy", test_objects_busy);
    tu_add_func("/core/objects/close", test_objects_close);
    tu_add_func("/core/objects/mock-counters", test_objects_mock_counters);

    tu_add_func("/core/ioas/alloc", test_ioas_alloc);
    add_fx("map-basic", test_map_basic);
    add_fx("map-args", test_map_args);
    add_fx("map-user-memory", test_map_user_memory);
    add_fx("map-area", test_map_area);
    add_fx("map-alignment", test_map_alignment);
    add_fx("unmap", test_unmap);
    add_fx("reserved", test_reserved);
    add_fx("allow-iovas", test_allow_iovas);
    add_fx("copy", test_copy);
    add_fx("iova-ranges", test_iova_ranges);
    add_fx("md-checks", test_md_checks);
    add_fx("option-huge-pages", test_option_huge_pages);
    add_fx("map-file", test_map_file);
    add_fx("access-pages", test_access_pages);
    add_fx("access-rw", test_access_rw);
    tu_add_func("/core/ioas/option-rlimit", test_option_rlimit);
    tu_add_func("/core/ioas/vfio-ioas", test_vfio_ioas);
    tu_add_func("/core/ioas/change-process", test_change_process);
    tu_add_func("/core/ioas/access-replace-ioas", test_access_replace_ioas);
    tu_add_func("/core/ioas/temp-memory-limit", test_temp_memory_limit);

    tu_add_func("/core/vfio/simple", test_vfio_simple);
    tu_add_func("/core/vfio/no-ioas", test_vfio_no_ioas);
    tu_add_data_func("/core/vfio/map/no_domain", GINT_TO_POINTER(0), test_vfio_map);
    tu_add_data_func("/core/vfio/map/mock_domain", GINT_TO_POINTER(1), test_vfio_map);
    tu_add_func("/core/vfio/type1", test_vfio_type1);
    tu_add_data_func("/core/vfio/info/no_domain", GINT_TO_POINTER(0), test_vfio_info);
    tu_add_data_func("/core/vfio/info/mock_domain", GINT_TO_POINTER(1), test_vfio_info);
    tu_add_func("/core/vfio/ioas-gone", test_vfio_ioas_gone);

    {
        int rc = g_test_run();

        close(probe_fd);
        munmap(region, BUFFER_SIZE + align);
        return rc;
    }
}
