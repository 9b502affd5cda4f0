/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiommufd-mock: the selftest's emulated in-kernel accesses and page pin
 * counts.
 *
 * IOMMU_TEST_OP_CREATE_ACCESS makes what an mdev-like driver would hold: an
 * iommufd access attached to an IOAS, handed to the caller as an fd (the
 * other access ops name it by that fd number, not by an object id).  Through
 * it ACCESS_PAGES pins IOVA ranges (items, undone by DESTROY_ACCESS_PAGES),
 * ACCESS_RW reads and writes bytes through IOVA, and ACCESS_REPLACE_IOAS
 * moves it to another IOAS.  When an area with pins is unmapped, ioas.c
 * calls mock_access_notify_unmap() and every access on the IOAS drops the
 * items that intersect, which is what the selftest access's unmap callback
 * does.  MD_CHECK_REFS compares the pin count of user pages with what the
 * caller expects; SET_TEMP_MEMORY_LIMIT is accepted and remembered.
 *
 * The checks and their order follow the kernel's selftest.c
 * (iommufd_test_*access*) and device.c (iommufd_access_*), 6.12 and newest
 * being the same here.  Everything runs under mock_lock.
 */
#include "mock-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef EFD_CLOEXEC
#define EFD_CLOEXEC O_CLOEXEC
#endif

/* ACCESS_PAGES / ACCESS_RW refuse more than this with ENOMEM (the kernel
 * keeps syzkaller off a kvzalloc() warning this way). */
#define ACCESS_MAX_LENGTH (16u * 1024 * 1024)

/* One ACCESS_PAGES pin: what DESTROY_ACCESS_PAGES undoes. */
typedef struct AccessItem {
    uint32_t id;
    uint64_t iova;
    uint64_t last;               /* inclusive */
} AccessItem;

typedef struct MockAccess {
    MockObj obj;                 /* MOCK_OBJ_ACCESS; users = 1 while the fd lives */
    MockIoas *ioas;              /* attached IOAS (its users++) */
    MockFile *file;              /* the access fd's file; NULL once it is gone */
    bool pin_pages;              /* created with NEEDS_PIN_PAGES */
    GArray *items;               /* AccessItem */
    uint32_t next_item_id;       /* ids from 0, as the selftest's */
} MockAccess;

/* Every live access of the process, for the unmap notifier. */
static GList *all_accesses;

/* SET_TEMP_MEMORY_LIMIT: global in the kernel too.  It only sizes the
 * kernel's internal batches, which the mock does not have. */
static uint32_t temp_memory_limit = 65536;

static inline uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static inline bool area_is_file(const MockArea *a)
{
    return a->file_fd >= 0;
}

/* Offset of `iova` in what backs the area: a user VA, or a file offset. */
static inline uint64_t area_backing(const MockArea *a, uint64_t iova)
{
    return (area_is_file(a) ? a->file_start : a->user_va) + (iova - a->iova);
}

/* ---- /proc/self/maps ------------------------------------------------------ */

typedef struct Vma {
    uint64_t start, end;         /* [start, end) */
    uint64_t offset;             /* file offset of `start` */
    uint64_t ino;
    unsigned major, minor;
    bool readable;
} Vma;

/*
 * The mappings that intersect [start, end), in address order, read with raw
 * system calls (nothing here may go through the interposed entry points).
 * False when /proc/self/maps cannot be read.
 */
static bool read_vmas(uint64_t start, uint64_t end, GArray *out)
{
    char buf[4096 + 512];
    size_t have = 0;
    bool eof = false;
    long fd;

    g_array_set_size(out, 0);
    fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    for (;;) {
        char *nl = have ? memchr(buf, '\n', have) : NULL;

        while (!eof && !nl) {
            if (have == sizeof(buf) - 1) {
                have = 0;          /* an absurd line: drop it */
            }
            long r = syscall(SYS_read, fd, buf + have, sizeof(buf) - 1 - have);
            if (r <= 0) {
                eof = true;
                break;
            }
            have += (size_t)r;
            nl = memchr(buf, '\n', have);
        }
        if (!nl) {
            break;
        }
        *nl = '\0';

        uint64_t vs, ve, off, ino;
        unsigned maj, min;
        char perms[8] = "";
        if (sscanf(buf, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64, &vs, &ve,
                   perms, &off, &maj, &min, &ino) == 7) {
            if (vs >= end) {
                break;             /* sorted: nothing further intersects */
            }
            if (ve > start) {
                Vma v = { vs, ve, off, ino, maj, min, perms[0] == 'r' };
                g_array_append_val(out, v);
            }
        }
        size_t used = (size_t)(nl - buf) + 1;
        memmove(buf, nl + 1, have - used);
        have -= used;
    }
    syscall(SYS_close, fd);
    return true;
}

static const Vma *vma_at(GArray *vmas, uint64_t addr)
{
    for (guint i = 0; i < vmas->len; i++) {
        const Vma *v = &g_array_index(vmas, Vma, i);

        if (addr >= v->start && addr < v->end) {
            return v;
        }
    }
    return NULL;
}

static bool vma_is_file(const Vma *v, dev_t dev, ino_t ino)
{
    return v->ino && v->ino == (uint64_t)ino && v->major == major(dev) &&
           v->minor == minor(dev);
}

static bool file_id(const MockArea *a, dev_t *dev, ino_t *ino)
{
    struct stat st;

    if (syscall(SYS_fstat, a->file_fd, &st) < 0) {
        return false;
    }
    *dev = st.st_dev;
    *ino = st.st_ino;
    return true;
}

/* ---- accesses and their pins ---------------------------------------------- */

static MockAccess *access_from_fd(uint32_t fd)
{
    MockFile *f;

    if (fd >= MOCK_MAX_FDS) {
        return NULL;
    }
    f = mock_fd_lookup((int)fd);
    if (!f || f->kind != MOCK_FILE_ACCESS) {
        return NULL;
    }
    return f->priv;
}

/* Every area an item's range runs through (contiguous by construction). */
static void item_unpin(MockAccess *acc, const AccessItem *it)
{
    uint64_t cur = it->iova;

    for (;;) {
        MockArea *a = mock_ioas_area_at(acc->ioas, cur);

        if (!a) {
            break;
        }
        if (a->access_pins > 0) {
            a->access_pins--;
        }
        if (a->last >= it->last) {
            break;
        }
        cur = a->last + 1;
    }
}

/* The selftest access's unmap callback: drop every item that intersects
 * [iova, last]. */
static void drop_items(MockAccess *acc, uint64_t iova, uint64_t last)
{
    for (guint i = acc->items->len; i-- > 0;) {
        AccessItem *it = &g_array_index(acc->items, AccessItem, i);

        if (iova > it->last || last < it->iova) {
            continue;
        }
        item_unpin(acc, it);
        g_array_remove_index(acc->items, i);
    }
}

void mock_access_notify_unmap(MockIoas *ioas, uint64_t iova, uint64_t last)
{
    for (GList *l = all_accesses; l; l = l->next) {
        MockAccess *acc = l->data;

        if (acc->ioas == ioas) {
            drop_items(acc, iova, last);
        }
    }
}

/*
 * iopt_add_access: an access that pins pages needs an IOVA alignment of
 * PAGE_SIZE; raising the IOAS's alignment to it fails with EADDRINUSE when an
 * existing area does not meet it (ioas.c checks the areas).
 */
static int check_pin_alignment(MockIoas *ioas)
{
    if (mock_ioas_iova_alignment(ioas) >= mock_page_size()) {
        return 0;
    }
    return mock_ioas_check_alignment(ioas, mock_page_size());
}

static void attach_ioas(MockAccess *acc, MockIoas *ioas)
{
    acc->ioas = ioas;
    ioas->obj.users++;
    if (acc->pin_pages) {
        ioas->n_pin_accesses++;
    }
}

static void detach_ioas(MockAccess *acc)
{
    MockIoas *ioas = acc->ioas;

    if (!ioas) {
        return;
    }
    ioas->obj.users--;
    if (acc->pin_pages && ioas->n_pin_accesses > 0) {
        ioas->n_pin_accesses--;
    }
    acc->ioas = NULL;
}

/* As the kernel's release of the access file and iommufd_access_destroy:
 * unpin everything, then let go of the IOAS. */
static void access_destroy(MockObj *obj)
{
    MockAccess *acc = (MockAccess *)obj;

    if (acc->ioas) {
        drop_items(acc, 0, UINT64_MAX);
    }
    detach_ioas(acc);
    all_accesses = g_list_remove(all_accesses, acc);
    if (acc->file) {
        acc->file->priv = NULL;
    }
    g_array_free(acc->items, TRUE);
}

/* The last fd of the access went: the access goes with it. */
static void access_release(MockFile *f)
{
    MockAccess *acc = f->priv;

    if (!acc) {
        return;
    }
    f->priv = NULL;
    acc->file = NULL;
    acc->obj.users = 0;
    mock_obj_remove(&acc->obj);
}

/* ---- the selftest ops -------------------------------------------------------- */

static int create_access(MockCtx *ctx, struct iommu_test_cmd *cmd)
{
    uint32_t flags = cmd->create_access.flags;
    MockAccess *acc;
    MockIoas *ioas;
    MockFile *f;
    long fd;
    int rc = 0;

    if (flags & ~(uint32_t)MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) {
        return -EOPNOTSUPP;
    }
    /* A real fd underneath, so that the number is the kernel's and poll
     * works.  Counter 1: readable and writable, like the kernel's access
     * file, which has no poll method (DEFAULT_POLLMASK). */
    fd = syscall(SYS_eventfd2, 1, EFD_CLOEXEC);
    if (fd < 0) {
        return -ENOMEM;     /* the kernel answers ENOMEM when no fd is free */
    }
    acc = mock_obj_alloc(ctx, MOCK_OBJ_ACCESS, sizeof(*acc), access_destroy, &rc);
    if (!acc) {
        mock_real_close((int)fd);
        return rc;
    }
    acc->items = g_array_new(FALSE, FALSE, sizeof(AccessItem));
    acc->pin_pages = flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;

    ioas = mock_ioas_find(ctx, cmd->id);
    if (!ioas) {
        rc = -ENOENT;
        goto fail;
    }
    if (acc->pin_pages) {
        rc = check_pin_alignment(ioas);
        if (rc) {
            goto fail;
        }
    }
    f = mock_file_new(MOCK_FILE_ACCESS, (int)fd);
    if (!f) {
        rc = -ENOMEM;
        goto fail;
    }
    attach_ioas(acc, ioas);
    acc->obj.users = 1;          /* the driver (the fd) until it goes */
    acc->file = f;
    mock_ctx_get(ctx);
    f->ctx = ctx;
    f->priv = acc;
    f->release = access_release;
    all_accesses = g_list_prepend(all_accesses, acc);
    cmd->create_access.out_access_fd = (uint32_t)fd;
    return 0;

fail:
    mock_obj_remove(&acc->obj);
    mock_real_close((int)fd);
    return rc;
}

/*
 * MOCK_FLAGS_ACCESS_SYZ: the iova is (nth area, offset) packed in 64 bits,
 * low half first; 0 when there is no nth area.
 */
static uint64_t syz_conv_iova(MockIoas *ioas, uint64_t iova)
{
    uint32_t nth = (uint32_t)iova;
    uint32_t offset = (uint32_t)(iova >> 32);

    if (!ioas) {
        return 0;
    }
    for (GTreeNode *n = g_tree_node_first(ioas->areas); n; n = g_tree_node_next(n)) {
        if (nth-- == 0) {
            return ((MockArea *)g_tree_node_value(n))->iova + offset;
        }
    }
    return 0;
}

/* What a pinned page is: a page of user memory (by address) or of a file. */
typedef struct PinnedPage {
    bool file;
    dev_t dev;
    ino_t ino;
    uint64_t addr;               /* user VA or file offset, page aligned */
} PinnedPage;

/* A stretch of one area that a pin or a read/write runs through. */
typedef struct Segment {
    MockArea *area;
    uint64_t first, last;        /* IOVA, inclusive */
} Segment;

/*
 * iopt_for_each_contig_area: the areas that cover [iova, last] without a
 * hole, in order.  Returns 0 when they cover all of it, -ENOENT when a hole
 * stops the walk (segs then holds the covered prefix), or what `check`
 * answers for a segment (the walk stops there; segs excludes it).
 */
typedef int (*SegmentCheck)(const Segment *s, bool more, void *data);

static int walk_areas(MockIoas *ioas, uint64_t iova, uint64_t last, GArray *segs,
                      SegmentCheck check, void *data)
{
    uint64_t cur = iova;

    g_array_set_size(segs, 0);
    for (;;) {
        MockArea *a = mock_ioas_area_at(ioas, cur);
        Segment s;
        int rc;

        if (!a) {
            return -ENOENT;
        }
        s.area = a;
        s.first = cur;
        s.last = min_u64(last, a->last);
        rc = check ? check(&s, a->last < last, data) : 0;
        if (rc) {
            return rc;
        }
        g_array_append_val(segs, s);
        if (a->last >= last) {
            return 0;
        }
        cur = a->last + 1;
    }
}

/* check_area_prot: a write needs a WRITEABLE area, a read a READABLE one;
 * and a write needs memory that was mapped writable in the first place
 * (an IOAS_COPY can make a WRITEABLE area of read-only pages): the kernel
 * answers EPERM for both. */
static bool area_prot_ok(const MockArea *a, bool write)
{
    if (write) {
        return (a->flags & IOMMU_IOAS_MAP_WRITEABLE) && a->pages_writable;
    }
    return a->flags & IOMMU_IOAS_MAP_READABLE;
}

typedef struct PinCheck {
    MockIoas *ioas;
    bool write;
} PinCheck;

/* iommufd_access_pin_pages, per area: whole pages only (the range starts on
 * a page boundary of the backing memory and, where another area follows,
 * ends on one), the area's permission, and -- where nothing holds the pages
 * yet -- pinning the user memory (EFAULT when it is gone). */
static int pin_check(const Segment *s, bool more, void *data)
{
    const PinCheck *pc = data;
    const MockArea *a = s->area;
    uint64_t ps = mock_page_size();

    if (area_backing(a, s->first) % ps ||
        (more && area_backing(a, a->last) % ps != ps - 1)) {
        return -EINVAL;
    }
    if (!area_prot_ok(a, pc->write)) {
        return -EPERM;
    }
    if (!area_is_file(a) && !pc->ioas->n_hwpts) {
        uint64_t start = area_backing(a, s->first) & ~(ps - 1);
        uint64_t end = (area_backing(a, s->last) | (ps - 1)) + 1;

        if (mock_check_user_range(start, end - start, a->pages_writable)) {
            return -EFAULT;
        }
    }
    return 0;
}

/* The pages a pin holds, in order, for the uptr check. */
static void pinned_pages(GArray *segs, GArray *out)
{
    uint64_t ps = mock_page_size();

    g_array_set_size(out, 0);
    for (guint i = 0; i < segs->len; i++) {
        const Segment *s = &g_array_index(segs, Segment, i);
        PinnedPage p = { .file = area_is_file(s->area) };

        if (p.file && !file_id(s->area, &p.dev, &p.ino)) {
            p.ino = 0;
        }
        for (uint64_t at = area_backing(s->area, s->first) & ~(ps - 1);
             at <= area_backing(s->area, s->last); at += ps) {
            p.addr = at;
            g_array_append_val(out, p);
            if (at + ps < at) {
                break;
            }
        }
    }
}

/*
 * iommufd_test_check_pages: the npages user pages from `uptr` (moved back by
 * the iova's offset in its page) must be the pinned pages.  A user page
 * that cannot be pinned fails with EFAULT, a different page with EBADE.
 * The mock tells pages apart by address (anonymous memory: two addresses
 * that share a page compare different) and, for MAP_FILE areas, by file and
 * offset as /proc/self/maps shows the user's mapping.
 */
static int check_pages(uint64_t uptr, uint64_t iova, uint64_t npages, GArray *pinned)
{
    uint64_t ps = mock_page_size();
    uint64_t base = (uptr - (iova & (ps - 1))) & ~(ps - 1);
    GArray *vmas = g_array_new(FALSE, FALSE, sizeof(Vma));
    bool have_maps = read_vmas(base, base + npages * ps, vmas);
    int rc = 0;

    for (uint64_t i = 0; i < npages && !rc; i++) {
        uint64_t page = base + i * ps;
        const Vma *v = have_maps ? vma_at(vmas, page) : NULL;
        const PinnedPage *p;

        if (have_maps ? !v || !v->readable : mock_check_user_range(page, ps, false) != 0) {
            rc = -EFAULT;
            break;
        }
        if (i >= pinned->len) {
            rc = -EBADE;
            break;
        }
        p = &g_array_index(pinned, PinnedPage, i);
        if (!p->file) {
            rc = p->addr == page ? 0 : -EBADE;
        } else if (!have_maps || !p->ino) {
            rc = 0;              /* cannot tell: accept any mapped page */
        } else {
            uint64_t off = v->offset + (page - v->start);

            rc = vma_is_file(v, p->dev, p->ino) && off == p->addr ? 0 : -EBADE;
        }
    }
    g_array_free(vmas, TRUE);
    return rc;
}

static int access_pages(struct iommu_test_cmd *cmd)
{
    uint32_t flags = cmd->access_pages.flags;
    uint64_t iova = cmd->access_pages.iova;
    uint64_t length = cmd->access_pages.length;
    uint64_t uptr = cmd->access_pages.uptr;
    uint64_t ps = mock_page_size();
    PinCheck pc;
    MockAccess *acc;
    GArray *segs, *pinned;
    uint64_t last;
    int rc;

    if (length > ACCESS_MAX_LENGTH) {
        return -ENOMEM;
    }
    if (flags & ~(uint32_t)(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ)) {
        return -EOPNOTSUPP;
    }
    acc = access_from_fd(cmd->id);
    if (!acc) {
        return -EBADFD;
    }
    if (!acc->pin_pages) {
        return -EOPNOTSUPP;
    }
    if (flags & MOCK_FLAGS_ACCESS_SYZ) {
        iova = syz_conv_iova(acc->ioas, iova);
    }
    if (!length) {
        return -EINVAL;
    }
    if (iova + (length - 1) < iova) {
        return -EOVERFLOW;
    }
    if (!acc->ioas) {
        return -ENOENT;
    }
    last = iova + (length - 1);

    pc.ioas = acc->ioas;
    pc.write = flags & MOCK_FLAGS_ACCESS_WRITE;
    segs = g_array_new(FALSE, FALSE, sizeof(Segment));
    pinned = g_array_new(FALSE, FALSE, sizeof(PinnedPage));
    rc = walk_areas(acc->ioas, iova, last, segs, pin_check, &pc);
    /* For syzkaller the selftest skips the page check when uptr is 0. */
    if (!rc && uptr) {
        uint64_t npages = (((iova + length + ps - 1) & ~(ps - 1)) - (iova & ~(ps - 1))) / ps;

        pinned_pages(segs, pinned);
        rc = check_pages(uptr, iova, npages, pinned);
    }
    if (!rc) {
        AccessItem it = { .id = acc->next_item_id++, .iova = iova, .last = last };

        for (guint i = 0; i < segs->len; i++) {
            g_array_index(segs, Segment, i).area->access_pins++;
        }
        g_array_append_val(acc->items, it);
        cmd->access_pages.out_access_pages_id = it.id;
    }
    g_array_free(segs, TRUE);
    g_array_free(pinned, TRUE);
    return rc;
}

static int destroy_access_pages(struct iommu_test_cmd *cmd)
{
    MockAccess *acc = access_from_fd(cmd->id);

    if (!acc) {
        return -EBADFD;
    }
    for (guint i = 0; i < acc->items->len; i++) {
        AccessItem *it = &g_array_index(acc->items, AccessItem, i);

        if (it->id == cmd->destroy_access_pages.access_pages_id) {
            item_unpin(acc, it);
            g_array_remove_index(acc->items, i);
            return 0;
        }
    }
    return -ENOENT;
}

static int rw_check(const Segment *s, bool more, void *data)
{
    (void)more;
    return area_prot_ok(s->area, *(const bool *)data) ? 0 : -EPERM;
}

/* Bytes between an area's backing memory and `buf`. */
static int area_copy(const Segment *s, uint8_t *buf, bool write)
{
    const MockArea *a = s->area;
    uint64_t at = area_backing(a, s->first);
    size_t n = (size_t)(s->last - s->first + 1);

    if (!area_is_file(a)) {
        return write ? mock_copy_to_user(at, buf, n) : mock_copy_from_user(buf, at, n);
    }
    while (n) {
        long r = write ? syscall(SYS_pwrite64, a->file_fd, buf, n, (off_t)at)
                       : syscall(SYS_pread64, a->file_fd, buf, n, (off_t)at);
        if (r <= 0) {
            return -EFAULT;      /* beyond the end of the file, or I/O error */
        }
        buf += r;
        at += (uint64_t)r;
        n -= (size_t)r;
    }
    return 0;
}

/*
 * ACCESS_RW (iommufd_access_rw): bytes through IOVA.  Like the kernel, areas
 * are processed in order as the walk reaches them, so a write that meets a
 * hole or a read-only area has already written what came before it.
 */
static int access_rw(struct iommu_test_cmd *cmd)
{
    uint32_t flags = cmd->access_rw.flags;
    uint64_t iova = cmd->access_rw.iova;
    uint64_t length = cmd->access_rw.length;
    uint64_t ubuf = cmd->access_rw.uptr;
    bool write = flags & MOCK_ACCESS_RW_WRITE;
    MockAccess *acc;
    uint8_t *tmp = NULL;
    GArray *segs;
    int rc, walk;

    if (length > ACCESS_MAX_LENGTH) {
        return -ENOMEM;
    }
    if (flags & ~(uint32_t)(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH |
                            MOCK_FLAGS_ACCESS_SYZ)) {
        return -EOPNOTSUPP;
    }
    acc = access_from_fd(cmd->id);
    if (!acc) {
        return -EBADFD;
    }
    if (length) {
        tmp = malloc((size_t)length);
        if (!tmp) {
            return -ENOMEM;
        }
    }
    if (write && mock_copy_from_user(tmp, ubuf, (size_t)length)) {
        free(tmp);
        return -EFAULT;
    }
    if (flags & MOCK_FLAGS_ACCESS_SYZ) {
        iova = syz_conv_iova(acc->ioas, iova);
    }
    if (!length) {
        return -EINVAL;
    }
    if (iova + (length - 1) < iova) {
        free(tmp);
        return -EOVERFLOW;
    }
    if (!acc->ioas) {
        free(tmp);
        return -ENOENT;
    }

    segs = g_array_new(FALSE, FALSE, sizeof(Segment));
    walk = walk_areas(acc->ioas, iova, iova + (length - 1), segs, rw_check, &write);
    rc = 0;
    for (guint i = 0; i < segs->len && !rc; i++) {
        const Segment *s = &g_array_index(segs, Segment, i);

        rc = area_copy(s, tmp + (s->first - iova), write);
    }
    if (!rc) {
        rc = walk;
    }
    if (!rc && !write && mock_copy_to_user(ubuf, tmp, (size_t)length)) {
        rc = -EFAULT;
    }
    g_array_free(segs, TRUE);
    free(tmp);
    return rc;
}

/*
 * iommufd_access_replace: moving to the IOAS it is on is a no-op; otherwise
 * the access joins the new IOAS (EADDRINUSE when a pinning access cannot
 * meet its alignment), then its unmap callback runs over all of the old one
 * -- every pin is dropped, nothing refuses -- and it leaves the old IOAS.
 */
static int access_replace_ioas(struct iommu_test_cmd *cmd)
{
    MockAccess *acc = access_from_fd(cmd->id);
    MockIoas *ioas;
    int rc;

    if (!acc) {
        return -EBADFD;
    }
    if (!acc->ioas) {
        return -ENOENT;
    }
    /* The IOAS id is looked up in the access's own context. */
    ioas = mock_ioas_find(acc->obj.ctx, cmd->access_replace_ioas.ioas_id);
    if (!ioas) {
        return -ENOENT;
    }
    if (ioas == acc->ioas) {
        return 0;
    }
    if (acc->pin_pages) {
        rc = check_pin_alignment(ioas);
        if (rc) {
            return rc;
        }
    }
    drop_items(acc, 0, UINT64_MAX);
    detach_ioas(acc);
    attach_ioas(acc, ioas);
    return 0;
}

/* ---- MD_CHECK_REFS ----------------------------------------------------------- */

/*
 * The kernel reads the refcount of each page (pins count GUP_PIN_COUNTING_BIAS
 * each).  The mock has no page refcounts, so it approximates them from its
 * own state: iommufd pins a page once per area that holds it (the area's
 * pages object pins each user page once, however many domains and accesses
 * use it), and an area holds a page while a domain is attached to its IOAS
 * (n_hwpts > 0) or an access pin of that IOAS covers the page.  Contexts of
 * the whole process count, as pins in the kernel are global.  Known
 * differences: the areas IOAS_COPY makes share the source's pages in the
 * kernel (one pin) but count again here; huge (compound) pages, which the
 * kernel does not check, are counted here; aliases (one page at two
 * addresses) are not recognised.
 */
typedef struct RefEvent {
    uint64_t page;               /* index from uptr */
    int delta;
} RefEvent;

typedef struct PageSpan {
    uint64_t first, last;        /* page indices, inclusive */
} PageSpan;

typedef struct RefsScan {
    uint64_t start, end;         /* the user range [start, end) */
    GArray *vmas;                /* Vma: the mappings of the range */
    bool have_maps;
    GHashTable *items;           /* MockIoas * -> GArray of AccessItem * */
    GArray *spans;               /* PageSpan: one area's pinned pages */
    GArray *events;              /* RefEvent */
} RefsScan;

static void add_va_span(RefsScan *s, uint64_t va_first, uint64_t va_last)
{
    uint64_t ps = mock_page_size();
    PageSpan sp;

    if (va_last < s->start || va_first >= s->end) {
        return;
    }
    va_first = max_u64(va_first, s->start);
    va_last = min_u64(va_last, s->end - 1);
    sp.first = (va_first - s->start) / ps;
    sp.last = (va_last - s->start) / ps;
    g_array_append_val(s->spans, sp);
}

/* The user pages that IOVA [first, last] of area `a` holds. */
static void add_pinned(RefsScan *s, const MockArea *a, uint64_t first, uint64_t last,
                       bool file_ok, dev_t dev, ino_t ino)
{
    uint64_t b0 = area_backing(a, first), b1 = area_backing(a, last);

    if (!area_is_file(a)) {
        add_va_span(s, b0, b1);
        return;
    }
    if (!file_ok) {
        return;
    }
    /* File pages: where the caller's mappings of that file show them. */
    for (guint i = 0; i < s->vmas->len; i++) {
        const Vma *v = &g_array_index(s->vmas, Vma, i);
        uint64_t vlast = v->offset + (v->end - v->start - 1);
        uint64_t f0, f1;

        if (!vma_is_file(v, dev, ino)) {
            continue;
        }
        f0 = max_u64(b0, v->offset);
        f1 = min_u64(b1, vlast);
        if (f0 <= f1) {
            add_va_span(s, v->start + (f0 - v->offset), v->start + (f1 - v->offset));
        }
    }
}

static gint cmp_span(gconstpointer x, gconstpointer y)
{
    const PageSpan *a = x, *b = y;

    return a->first < b->first ? -1 : a->first > b->first;
}

static gint cmp_event(gconstpointer x, gconstpointer y)
{
    const RefEvent *a = x, *b = y;

    return a->page < b->page ? -1 : a->page > b->page;
}

static void scan_area(RefsScan *s, MockIoas *ioas, const MockArea *a)
{
    bool file_ok = false;
    dev_t dev = 0;
    ino_t ino = 0;

    if (!area_is_file(a)) {
        uint64_t va_last = a->user_va + (a->last - a->iova);

        if (va_last < s->start || a->user_va >= s->end) {
            return;
        }
    } else {
        if (!s->have_maps || !s->vmas->len || !file_id(a, &dev, &ino)) {
            return;
        }
        file_ok = true;
    }

    g_array_set_size(s->spans, 0);
    if (ioas->n_hwpts) {
        add_pinned(s, a, a->iova, a->last, file_ok, dev, ino);
    } else {
        GArray *its = g_hash_table_lookup(s->items, ioas);

        for (guint i = 0; its && i < its->len; i++) {
            const AccessItem *it = g_array_index(its, const AccessItem *, i);
            uint64_t f = max_u64(it->iova, a->iova), l = min_u64(it->last, a->last);

            if (f <= l) {
                add_pinned(s, a, f, l, file_ok, dev, ino);
            }
        }
    }
    if (!s->spans->len) {
        return;
    }
    /* One pin per page of the area, however many spans cover it. */
    g_array_sort(s->spans, cmp_span);
    PageSpan cur = g_array_index(s->spans, PageSpan, 0);
    for (guint i = 1; i <= s->spans->len; i++) {
        const PageSpan *n = i < s->spans->len ? &g_array_index(s->spans, PageSpan, i) : NULL;

        if (n && n->first <= cur.last + 1) {
            cur.last = max_u64(cur.last, n->last);
            continue;
        }
        RefEvent up = { cur.first, +1 }, down = { cur.last + 1, -1 };
        g_array_append_val(s->events, up);
        g_array_append_val(s->events, down);
        if (n) {
            cur = *n;
        }
    }
}

static void scan_ctx(MockCtx *ctx, void *data)
{
    RefsScan *s = data;
    GHashTableIter it;
    gpointer value;

    g_hash_table_iter_init(&it, ctx->objects);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        MockObj *obj = value;
        MockIoas *ioas;

        if (obj->type != MOCK_OBJ_IOAS) {
            continue;
        }
        ioas = (MockIoas *)obj;
        for (GTreeNode *n = g_tree_node_first(ioas->areas); n; n = g_tree_node_next(n)) {
            scan_area(s, ioas, g_tree_node_value(n));
        }
    }
}

static void free_item_array(gpointer p)
{
    g_array_free(p, TRUE);
}

static int check_refs(struct iommu_test_cmd *cmd)
{
    uint64_t uptr = cmd->check_refs.uptr;
    uint64_t length = cmd->check_refs.length;
    uint32_t refs = cmd->check_refs.refs;
    uint64_t ps = mock_page_size();
    uint64_t npages, mapped, mismatch;
    RefsScan s;

    if (length % ps || uptr % ps || uptr + length < uptr) {
        return -EINVAL;
    }
    if (!length) {
        return 0;
    }
    npages = length / ps;
    s.start = uptr;
    s.end = uptr + length;
    s.vmas = g_array_new(FALSE, FALSE, sizeof(Vma));
    s.have_maps = read_vmas(s.start, s.end, s.vmas);

    /* Pages are checked in order; the first that GUP cannot reach is EFAULT
     * unless an earlier one already mismatched (EIO). */
    if (s.have_maps) {
        uint64_t cursor = s.start;

        for (guint i = 0; i < s.vmas->len; i++) {
            const Vma *v = &g_array_index(s.vmas, Vma, i);

            if (v->start > cursor || !v->readable) {
                break;
            }
            cursor = v->end;
            if (cursor >= s.end) {
                break;
            }
        }
        mapped = (min_u64(cursor, s.end) - s.start) / ps;
    } else {
        for (mapped = 0; mapped < npages; mapped++) {
            if (mock_check_user_range(s.start + mapped * ps, ps, false)) {
                break;
            }
        }
    }

    s.items = g_hash_table_new_full(NULL, NULL, NULL, free_item_array);
    for (GList *l = all_accesses; l; l = l->next) {
        MockAccess *acc = l->data;

        for (guint i = 0; acc->ioas && i < acc->items->len; i++) {
            GArray *its = g_hash_table_lookup(s.items, acc->ioas);
            const AccessItem *it = &g_array_index(acc->items, AccessItem, i);

            if (!its) {
                its = g_array_new(FALSE, FALSE, sizeof(const AccessItem *));
                g_hash_table_insert(s.items, acc->ioas, its);
            }
            g_array_append_val(its, it);
        }
    }
    s.spans = g_array_new(FALSE, FALSE, sizeof(PageSpan));
    s.events = g_array_new(FALSE, FALSE, sizeof(RefEvent));
    mock_ctx_foreach(scan_ctx, &s);

    /* Sweep: the pin count is constant between events. */
    g_array_sort(s.events, cmp_event);
    mismatch = npages;
    {
        uint64_t at = 0;
        long count = 0;
        guint i = 0;

        while (at < npages) {
            uint64_t next = npages;

            while (i < s.events->len && g_array_index(s.events, RefEvent, i).page <= at) {
                count += g_array_index(s.events, RefEvent, i).delta;
                i++;
            }
            if (i < s.events->len) {
                next = min_u64(next, g_array_index(s.events, RefEvent, i).page);
            }
            if (count != (long)refs) {
                mismatch = at;
                break;
            }
            at = next;
        }
    }

    g_array_free(s.vmas, TRUE);
    g_hash_table_destroy(s.items);
    g_array_free(s.spans, TRUE);
    g_array_free(s.events, TRUE);

    if (mismatch < mapped) {
        return -EIO;
    }
    return mapped < npages ? -EFAULT : 0;
}

/* ---- dispatch --------------------------------------------------------------- */

int mock_test_access_cmd(MockCtx *ctx, struct iommu_test_cmd *cmd)
{
    switch (cmd->op) {
    case IOMMU_TEST_OP_CREATE_ACCESS:
        return create_access(ctx, cmd);
    case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
        return destroy_access_pages(cmd);
    case IOMMU_TEST_OP_ACCESS_PAGES:
        return access_pages(cmd);
    case IOMMU_TEST_OP_ACCESS_RW:
        return access_rw(cmd);
    case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
        return access_replace_ioas(cmd);
    case IOMMU_TEST_OP_MD_CHECK_REFS:
        return check_refs(cmd);
    case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
        /* It sizes the kernel's batches, which hold at least one element
         * (an unsigned long and a u32). */
        if (cmd->memory_limit.limit < sizeof(unsigned long) + sizeof(uint32_t)) {
            return -EINVAL;
        }
        temp_memory_limit = cmd->memory_limit.limit;
        return 0;
    default:
        return -EOPNOTSUPP;
    }
}
