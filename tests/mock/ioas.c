/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiommufd-mock: IO address spaces.  IOMMU_IOAS_ALLOC, MAP, MAP_FILE,
 * COPY, UNMAP, IOVA_RANGES, ALLOW_IOVAS, IOMMU_OPTION, IOMMU_VFIO_IOAS,
 * IOAS_CHANGE_PROCESS, the VFIO type1 commands that /dev/iommu answers, and
 * what the other files need of an IOAS (reserved ranges, the aperture check
 * before a domain attaches, the IOVA alignment, area lookup).
 *
 * The rules, their order and their errnos are those of the kernel's
 * drivers/iommu/iommufd/ioas.c, io_pagetable.c, pages.c, vfio_compat.c and
 * main.c (6.12 and newest; the few differences are marked).  What the kernel
 * keeps in interval trees lives here in a GTree of areas keyed by IOVA
 * (O(log n) lookup, insert, remove) and two short sorted arrays (allowed and
 * reserved ranges).
 *
 * A domain (paging HWPT, counted by MockIoas.n_hwpts, maintained by hwpt.c)
 * changes three things, as in the kernel: the IOVA alignment becomes at
 * least MOCK_IO_PAGE_SIZE, everything outside [MOCK_APERTURE_START,
 * MOCK_APERTURE_LAST] counts as reserved (the kernel reserves it when the
 * domain is added), and mapping pins the memory (EFAULT for memory that is
 * not mapped, or not writable for a writable map; EINVAL for a file that is
 * not shmem or too short).  Without a domain the kernel pins nothing, so a
 * map of unmapped memory succeeds until a domain is attached.
 *
 * Everything here runs under mock_lock.
 */
#include "mock-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>


/* The kernel being imitated is x86_64 with THP: PAGE_SIZE and HPAGE_SIZE. */
#define MOCK_PAGE_SIZE 4096ull
#define MOCK_HPAGE_SIZE (2ull << 20)

#define MAP_FLAGS_ALL \
    (IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)

#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#endif
#ifndef F_SEAL_WRITE
#define F_SEAL_WRITE 0x0008
#endif
#define MOCK_TMPFS_MAGIC 0x01021994u
#define MOCK_HUGETLBFS_MAGIC 0x958458f6u

typedef struct {
    uint64_t start, last;
} Range;

/*
 * Kernel-chosen IOVAs are first fit, like the kernel's iopt_alloc_iova: the
 * lowest candidate of the lowest hole that fits.  To find it without walking
 * every area, two lower bounds are kept, both exact:
 *  - no_hole_below: there is no hole at all (in areas + reserved) between
 *    PAGE_SIZE (nothing is allocated below) and it;
 *  - per request shape (length, alignment, page offset) seen recently, a
 *    cursor below which no candidate of that shape fits.
 * Mapping only removes holes, so both stay valid; unmapping an area lowers
 * them to where the hole it leaves could start (the end of the area before
 * it); a change of the allowed ranges or the loss of the aperture's reserved
 * ranges drops the cursors.  The search starts at the higher bound, so
 * repeated maps of one shape cost O(log n).  The worst case is O(n + r) (n
 * areas, r reserved ranges) per map, as the kernel's: a request that only
 * fits above many holes too small for it, after an unmap lowered its cursor.
 */
typedef struct {
    bool valid;
    uint64_t length, align, offset;
    uint64_t cursor;
    uint64_t gen;
} AllocHint;

#define N_HINTS 8

typedef struct {
    MockIoas pub;                /* first: a MockIoas * is an IoasPriv * */
    AllocHint hints[N_HINTS];
    unsigned next_hint;
    uint64_t gen;                /* bumped when the cursors become invalid */
    uint64_t no_hole_below;
    bool aperture;               /* n_hwpts > 0 when the bounds were last checked */
} IoasPriv;

/* ---- helpers ------------------------------------------------------------- */

static inline IoasPriv *priv_of(MockIoas *ioas)
{
    return (IoasPriv *)ioas;
}

static gint cmp_iova(gconstpointer a, gconstpointer b, gpointer data)
{
    (void)data;
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static void area_free(gpointer data)
{
    MockArea *a = data;

    if (a->file_fd >= 0) {
        syscall(SYS_close, a->file_fd);
    }
    free(a);
}

/* Where the area's memory starts: user VA, or the file offset for MAP_FILE.
 * Its offset in a page is the kernel's area->page_offset. */
static inline uint64_t area_addr(const MockArea *a)
{
    return a->file_fd >= 0 ? a->file_start : a->user_va;
}

/* The area with the highest IOVA <= x. */
static MockArea *area_floor(MockIoas *ioas, uint64_t x)
{
    GTreeNode *n = g_tree_upper_bound(ioas->areas, &x);

    n = n ? g_tree_node_previous(n) : g_tree_node_last(ioas->areas);
    return n ? g_tree_node_value(n) : NULL;
}

/* The area with the lowest IOVA >= x. */
static MockArea *area_ceil(MockIoas *ioas, uint64_t x)
{
    GTreeNode *n = g_tree_lower_bound(ioas->areas, &x);

    return n ? g_tree_node_value(n) : NULL;
}

/* The lowest area that intersects [start, last]. */
static MockArea *area_first_in(MockIoas *ioas, uint64_t start, uint64_t last)
{
    MockArea *a = area_floor(ioas, start);

    if (a && a->last >= start) {
        return a;
    }
    a = area_ceil(ioas, start);
    return a && a->iova <= last ? a : NULL;
}

MockIoas *mock_ioas_find(MockCtx *ctx, uint32_t id)
{
    return (MockIoas *)mock_obj_find(ctx, id, MOCK_OBJ_IOAS);
}

MockArea *mock_ioas_area_at(MockIoas *ioas, uint64_t iova)
{
    MockArea *a = area_floor(ioas, iova);

    return a && a->last >= iova ? a : NULL;
}

uint64_t mock_ioas_iova_alignment(MockIoas *ioas)
{
    /* iopt_calculate_iova_alignment: PAGE_SIZE without huge pages (small
     * batches map whole pages), the domains' smallest page size, and the
     * accesses' alignment. */
    uint64_t align = ioas->huge_pages ? 1 : MOCK_PAGE_SIZE;

    if (ioas->n_hwpts && align < MOCK_IO_PAGE_SIZE) {
        align = MOCK_IO_PAGE_SIZE;
    }
    if (ioas->n_pin_accesses && align < MOCK_PAGE_SIZE) {
        align = MOCK_PAGE_SIZE;
    }
    return align;
}

typedef struct {
    uint64_t mask;
    bool bad;
} AlignCheck;

static gboolean check_align_one(gpointer key, gpointer value, gpointer data)
{
    (void)key;
    const MockArea *a = value;
    AlignCheck *c = data;

    if ((a->iova & c->mask) || ((a->last - a->iova + 1) & c->mask) ||
        ((area_addr(a) % MOCK_PAGE_SIZE) & c->mask)) {
        c->bad = true;
        return TRUE;
    }
    return FALSE;
}

int mock_ioas_check_alignment(MockIoas *ioas, uint64_t align)
{
    AlignCheck c = { .mask = align - 1, .bad = false };

    if (align <= 1) {
        return 0;
    }
    g_tree_foreach(ioas->areas, check_align_one, &c);
    return c.bad ? -EADDRINUSE : 0;
}

static int cmp_range(const void *a, const void *b)
{
    const Range *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

/* Sort and merge overlapping or adjacent ranges in place (the kernel's span
 * iterators see one span there); returns the new count. */
static size_t merge_ranges(Range *r, size_t n)
{
    size_t out = 0;

    if (!n) {
        return 0;
    }
    qsort(r, n, sizeof(*r), cmp_range);
    for (size_t i = 1; i < n; i++) {
        if (r[out].last == UINT64_MAX || r[i].start <= r[out].last + 1) {
            if (r[i].last > r[out].last) {
                r[out].last = r[i].last;
            }
        } else {
            r[++out] = r[i];
        }
    }
    return out + 1;
}

/*
 * What is reserved: ADD_RESERVED / device ranges, and with a domain
 * everything outside its aperture.  Sorted and merged.  *out is malloc'ed
 * (NULL when empty).
 */
static int effective_reserved(MockIoas *ioas, Range **out, size_t *n)
{
    size_t cap = ioas->reserved->len + 2, k = 0;
    Range *r = malloc(cap * sizeof(*r));

    if (!r) {
        return -ENOMEM;
    }
    for (guint i = 0; i < ioas->reserved->len; i++) {
        const struct iommu_iova_range *e =
            &g_array_index(ioas->reserved, struct iommu_iova_range, i);
        r[k++] = (Range){ e->start, e->last };
    }
    if (ioas->n_hwpts) {
        r[k++] = (Range){ 0, (uint64_t)MOCK_APERTURE_START - 1 };
        r[k++] = (Range){ (uint64_t)MOCK_APERTURE_LAST + 1, UINT64_MAX };
    }
    *n = merge_ranges(r, k);
    *out = r;
    return 0;
}

static bool ranges_intersect(const Range *r, size_t n, uint64_t start, uint64_t last)
{
    for (size_t i = 0; i < n; i++) {
        if (r[i].start <= last && r[i].last >= start) {
            return true;
        }
    }
    return false;
}

static bool allowed_intersects(MockIoas *ioas, uint64_t start, uint64_t last)
{
    for (guint i = 0; i < ioas->allowed->len; i++) {
        const struct iommu_iova_range *e =
            &g_array_index(ioas->allowed, struct iommu_iova_range, i);
        if (e->start <= last && e->last >= start) {
            return true;
        }
    }
    return false;
}

/* ---- kernel-chosen IOVA --------------------------------------------------- */

/* Validate the allocation bounds against what changed behind our back: the
 * aperture's reserved ranges come and go with n_hwpts (hwpt.c). */
static void hints_check(IoasPriv *p)
{
    bool ap = p->pub.n_hwpts > 0;

    if (ap != p->aperture) {
        p->aperture = ap;
        p->gen++;
        if (!ap) {
            p->no_hole_below = MOCK_PAGE_SIZE;
        }
    }
}

/* An area [iova, ...] is going: a hole may now start at the end of the area
 * before it. */
static void hints_area_removed(IoasPriv *p, const MockArea *a)
{
    uint64_t low = MOCK_PAGE_SIZE;

    if (a->iova) {
        MockArea *prev = area_floor(&p->pub, a->iova - 1);

        if (prev && prev->last + 1 > low) {
            low = prev->last + 1;
        }
    }
    if (p->no_hole_below > low) {
        p->no_hole_below = low;
    }
    for (unsigned i = 0; i < N_HINTS; i++) {
        if (p->hints[i].cursor > low) {
            p->hints[i].cursor = low;
        }
    }
}

/* The kernel's hole test (newest form): the aligned candidate carrying the
 * address's page offset fits in [start, last]. */
static bool fit_at(uint64_t start, uint64_t last, uint64_t length, uint64_t align,
                   uint64_t offset, uint64_t *out)
{
    uint64_t a;

    if (__builtin_add_overflow(start, align - 1, &a)) {
        return false;
    }
    a &= ~(align - 1);
    a |= offset;
    if (a >= last || last - a < length - 1) {
        return false;
    }
    *out = a;
    return true;
}

static uint64_t roundup_pow2(uint64_t x)
{
    return x <= 1 ? 1 : 1ull << (64 - __builtin_clzll(x - 1));
}

/* The node of the first area that ends at or after pos (it contains pos or
 * lies above it), or NULL. */
static GTreeNode *node_from(MockIoas *ioas, uint64_t pos)
{
    GTreeNode *n = g_tree_upper_bound(ioas->areas, &pos);
    GTreeNode *prev = n ? g_tree_node_previous(n) : g_tree_node_last(ioas->areas);

    if (prev && ((MockArea *)g_tree_node_value(prev))->last >= pos) {
        return prev;
    }
    return n;
}

static inline MockArea *node_area(GTreeNode *n)
{
    return g_tree_node_value(n);
}

/* Raise no_hole_below to the first hole: amortised, as it only walks areas
 * that were filled in since it was last lowered. */
static void advance_no_hole(IoasPriv *p, const Range *res, size_t nres)
{
    uint64_t g = p->no_hole_below;
    GTreeNode *nd = node_from(&p->pub, g);

    for (;;) {
        uint64_t end;
        bool used = false;

        for (size_t i = 0; i < nres; i++) {
            if (res[i].start <= g && res[i].last >= g) {
                end = res[i].last;
                used = true;
                break;
            }
        }
        if (!used) {
            while (nd && node_area(nd)->last < g) {
                nd = g_tree_node_next(nd);
            }
            if (!nd || node_area(nd)->iova > g) {
                break;
            }
            end = node_area(nd)->last;
        }
        if (end == UINT64_MAX) {
            g = UINT64_MAX;
            break;
        }
        g = end + 1;
    }
    p->no_hole_below = g;
}

/*
 * Walk the holes of (reserved + areas) inside the allowed span [as, al] from
 * `from`, as the kernel's double span iterator over [aligned start, al].
 * Consecutive areas are stepped through in O(1) each.
 */
static bool search_span(MockIoas *ioas, const Range *res, size_t nres, uint64_t as, uint64_t al,
                        uint64_t from, uint64_t length, uint64_t align, uint64_t offset,
                        uint64_t *out)
{
    uint64_t pos, first;
    size_t ri = 0;
    GTreeNode *nd;

    if (!fit_at(as, al, length, align, offset, &first)) {
        return false;
    }
    pos = from > first ? from : first;
    nd = node_from(ioas, pos);
    while (pos <= al) {
        uint64_t hole_end = al, cand;

        while (ri < nres && res[ri].last < pos) {
            ri++;
        }
        if (ri < nres && res[ri].start <= pos) {
            if (res[ri].last >= al) {
                return false;
            }
            pos = res[ri].last + 1;
            continue;
        }
        while (nd && node_area(nd)->last < pos) {
            nd = g_tree_node_next(nd);
        }
        if (nd && node_area(nd)->iova <= pos) {
            if (node_area(nd)->last >= al) {
                return false;
            }
            pos = node_area(nd)->last + 1;
            nd = g_tree_node_next(nd);
            continue;
        }
        if (ri < nres && res[ri].start - 1 < hole_end) {
            hole_end = res[ri].start - 1;
        }
        if (nd && node_area(nd)->iova - 1 < hole_end) {
            hole_end = node_area(nd)->iova - 1;
        }
        if (fit_at(pos, hole_end, length, align, offset, &cand)) {
            *out = cand;
            return true;
        }
        if (hole_end >= al) {
            return false;
        }
        pos = hole_end + 1;
    }
    return false;
}

/* iopt_alloc_iova: `addr` is the user VA (or file offset) of the memory. */
static int alloc_iova(IoasPriv *p, uint64_t addr, uint64_t length, uint64_t *iova)
{
    MockIoas *ioas = &p->pub;
    uint64_t align, offset = addr % MOCK_PAGE_SIZE, from, found = 0;
    AllocHint *hint = NULL;
    Range *res = NULL, *spans = NULL;
    size_t nres = 0, nspans = 0;
    bool ok = false;
    int rc;

    if (length == 0 || length >= UINT64_MAX / 2) {
        return -EOVERFLOW;
    }
    /* Keep the alignment the address has (huge pages), up to HPAGE_SIZE. */
    align = roundup_pow2(length);
    if (addr && (addr & -addr) < align) {
        align = addr & -addr;
    }
    if (align >= MOCK_HPAGE_SIZE) {
        align = MOCK_HPAGE_SIZE;
    }
    if (align < mock_ioas_iova_alignment(ioas)) {
        return -EINVAL;
    }

    rc = effective_reserved(ioas, &res, &nres);
    if (rc) {
        return rc;
    }
    /* The allowed spans, clipped to [PAGE_SIZE, ULONG_MAX - PAGE_SIZE]:
     * IOVA 0 is never handed out. */
    nspans = ioas->allowed->len ? ioas->allowed->len : 1;
    spans = malloc(nspans * sizeof(*spans));
    if (!spans) {
        free(res);
        return -ENOMEM;
    }
    if (ioas->allowed->len) {
        for (guint i = 0; i < ioas->allowed->len; i++) {
            const struct iommu_iova_range *e =
                &g_array_index(ioas->allowed, struct iommu_iova_range, i);
            spans[i] = (Range){ e->start, e->last };
        }
        nspans = merge_ranges(spans, nspans);
    } else {
        spans[0] = (Range){ 0, UINT64_MAX };
    }

    hints_check(p);
    for (unsigned i = 0; i < N_HINTS; i++) {
        AllocHint *h = &p->hints[i];

        if (h->valid && h->gen == p->gen && h->length == length && h->align == align &&
            h->offset == offset) {
            hint = h;
            break;
        }
    }
    /* The cursor of this shape is usually the better bound; without one,
     * bring no_hole_below up to the first hole. */
    if (!hint || hint->cursor <= p->no_hole_below) {
        advance_no_hole(p, res, nres);
    }
    from = p->no_hole_below;
    if (hint && hint->cursor > from) {
        from = hint->cursor;
    }

    for (size_t i = 0; i < nspans && !ok; i++) {
        uint64_t as = spans[i].start < MOCK_PAGE_SIZE ? MOCK_PAGE_SIZE : spans[i].start;
        uint64_t al = spans[i].last > UINT64_MAX - MOCK_PAGE_SIZE ? UINT64_MAX - MOCK_PAGE_SIZE
                                                                  : spans[i].last;

        if (as > al || al < from) {
            continue;
        }
        ok = search_span(ioas, res, nres, as, al, from, length, align, offset, &found);
    }
    free(res);
    free(spans);

    if (!hint) {
        hint = &p->hints[p->next_hint];
        p->next_hint = (p->next_hint + 1) % N_HINTS;
        *hint = (AllocHint){ .valid = true, .length = length, .align = align,
                             .offset = offset, .gen = p->gen };
    }
    hint->cursor = ok ? found : UINT64_MAX;
    if (!ok) {
        return -ENOSPC;
    }
    *iova = found;
    return 0;
}

/* ---- mapping ---------------------------------------------------------------- */

/* One run of memory to become one area: user memory, or a file range. */
typedef struct {
    uint64_t user_va;
    int file_fd;                 /* borrowed; -1 for user memory */
    uint64_t file_start;
    uint64_t length;
    bool pages_writable;
} Piece;

static inline uint64_t piece_addr(const Piece *pc)
{
    return pc->file_fd >= 0 ? pc->file_start : pc->user_va;
}

/* Like memfd_pin_folios: only shmem / hugetlbfs files, and the pages of the
 * range must lie inside the file. */
static int file_pin_check(int fd, uint64_t start, uint64_t length)
{
    struct statfs sfs;
    struct stat st;
    uint64_t first = start & ~(MOCK_PAGE_SIZE - 1), end;

    if (mock_fd_lookup(fd)) {
        return -EINVAL;          /* a mock fd is no shmem file */
    }
    if (syscall(SYS_fstatfs, fd, &sfs) || syscall(SYS_fstat, fd, &st)) {
        return -EINVAL;
    }
    if ((uint32_t)sfs.f_type != MOCK_TMPFS_MAGIC && (uint32_t)sfs.f_type != MOCK_HUGETLBFS_MAGIC) {
        return -EINVAL;
    }
    /* last byte of the last page */
    end = first + (((start - first) + length + MOCK_PAGE_SIZE - 1) & ~(MOCK_PAGE_SIZE - 1)) - 1;
    if (st.st_size <= 0 || end >= (uint64_t)st.st_size) {
        return -EINVAL;
    }
    return 0;
}

/* Pinning, which the kernel does only when a domain is there to fill. */
static int pin_check(const MockIoas *ioas, const Piece *pc)
{
    if (!ioas->n_hwpts) {
        return 0;
    }
    if (pc->file_fd >= 0) {
        return file_pin_check(pc->file_fd, pc->file_start, pc->length);
    }
    return mock_check_user_range(pc->user_va, pc->length, pc->pages_writable);
}

/* iopt_check_iova: a fixed IOVA. */
static int check_fixed_iova(MockIoas *ioas, uint64_t iova, uint64_t length)
{
    Range *res;
    size_t nres;
    uint64_t last;
    bool hit;
    int rc;

    if (iova & (mock_ioas_iova_alignment(ioas) - 1)) {
        return -EINVAL;
    }
    if (__builtin_add_overflow(iova, length - 1, &last)) {
        return -EOVERFLOW;
    }
    rc = effective_reserved(ioas, &res, &nres);
    if (rc) {
        return rc;
    }
    hit = ranges_intersect(res, nres, iova, last);
    free(res);
    if (hit) {
        return -EINVAL;
    }
    if (area_first_in(ioas, iova, last)) {
        return -EEXIST;
    }
    return 0;
}

/*
 * iopt_map_pages: place `n` pieces (`length` bytes in all) at consecutive
 * IOVAs, fixed at *iova or chosen (written to *iova), in the kernel's order
 * of checks; on failure nothing changes.
 */
static int map_pieces(MockIoas *ioas, const Piece *pcs, size_t n, uint64_t length,
                      uint64_t *iova, uint32_t flags)
{
    IoasPriv *p = priv_of(ioas);
    uint32_t prot = flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE);
    uint64_t align, at;
    MockArea **areas;
    size_t made = 0;
    int rc;

    areas = calloc(n, sizeof(*areas));
    if (!areas) {
        return -ENOMEM;
    }
    for (; made < n; made++) {
        areas[made] = calloc(1, sizeof(MockArea));
        if (!areas[made]) {
            rc = -ENOMEM;
            goto out;
        }
        areas[made]->file_fd = -1;
    }

    align = mock_ioas_iova_alignment(ioas);
    if ((length & (align - 1)) || !length) {
        rc = -EINVAL;
        goto out;
    }
    if (flags & IOMMU_IOAS_MAP_FIXED_IOVA) {
        rc = check_fixed_iova(ioas, *iova, length);
    } else {
        rc = alloc_iova(p, piece_addr(&pcs[0]), length, iova);
    }
    if (rc) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if ((prot & IOMMU_IOAS_MAP_WRITEABLE) && !pcs[i].pages_writable) {
            rc = -EPERM;
            goto out;
        }
        if ((piece_addr(&pcs[i]) % MOCK_PAGE_SIZE) & (align - 1)) {
            rc = -EINVAL;
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        rc = pin_check(ioas, &pcs[i]);
        if (rc) {
            goto out;
        }
    }

    at = *iova;
    for (size_t i = 0; i < n; i++) {
        MockArea *a = areas[i];

        if (pcs[i].file_fd >= 0) {
            long fd = syscall(SYS_fcntl, pcs[i].file_fd, F_DUPFD_CLOEXEC, 0);

            if (fd < 0) {
                rc = -ENOMEM;    /* the kernel's file reference cannot fail */
                goto out;
            }
            a->file_fd = (int)fd;
            a->file_start = pcs[i].file_start;
        } else {
            a->user_va = pcs[i].user_va;
        }
        a->iova = at;
        a->last = at + pcs[i].length - 1;
        a->flags = prot;
        a->pages_writable = pcs[i].pages_writable;
        at += pcs[i].length;
    }
    for (size_t i = 0; i < n; i++) {
        g_tree_insert(ioas->areas, &areas[i]->iova, areas[i]);
        areas[i] = NULL;
    }
    rc = 0;
out:
    for (size_t i = 0; i < made; i++) {
        if (areas[i]) {
            area_free(areas[i]);
        }
    }
    free(areas);
    return rc;
}

static void remove_area(MockIoas *ioas, MockArea *a)
{
    hints_area_removed(priv_of(ioas), a);
    g_tree_remove(ioas->areas, &a->iova);   /* frees it */
}

/*
 * iopt_unmap_iova_range: whole areas inside [start, last], lowest first.  An
 * area that sticks out ends it with ENOENT (what was removed before stays
 * removed, as in the kernel).  Nothing there is success with 0 bytes: since
 * the fix that made VFIO's unmap of an empty range succeed (upstream
 * afb47765f923, in the 6.12 and 6.17 stable series) IOAS_UNMAP turns 0 bytes
 * into ENOENT itself.  Areas with access pins are first offered to the
 * accesses (the unmap notifier).
 */
static int unmap_range(MockIoas *ioas, uint64_t start, uint64_t last, uint64_t *unmapped)
{
    uint64_t done = 0;
    int rc = 0;
    MockArea *a;

    while ((a = area_first_in(ioas, start, last))) {
        if (a->iova < start || a->last > last) {
            rc = -ENOENT;
            goto out;
        }
        if (a->internal_pins > 0) {
            rc = -EBUSY;         /* the kernel's area->num_locks */
            goto out;
        }
        if (a->access_pins > 0) {
            uint64_t first = a->iova, end = a->last;

            start = first;
            mock_access_notify_unmap(ioas, first, end);
            a = mock_ioas_area_at(ioas, first);
            if (a && a->iova == first && a->access_pins > 0) {
                rc = -EDEADLK;   /* the kernel WARNs: an access did not let go */
                goto out;
            }
            continue;
        }
        done += a->last - a->iova + 1;
        /* the IOPTEs go, and their dirty bits with them */
        mock_hwpt_notify_unmap(ioas, a->iova, a->last);
        remove_area(ioas, a);
    }
out:
    *unmapped = done;
    return rc;
}

static int unmap_all(MockIoas *ioas, uint64_t *unmapped)
{
    return unmap_range(ioas, 0, UINT64_MAX, unmapped);
}

/* ---- the IOAS object ----------------------------------------------------------- */

static void ioas_destroy(MockObj *obj)
{
    MockIoas *ioas = (MockIoas *)obj;

    /* The kernel forgets the compat IOAS when it goes. */
    if (obj->ctx->vfio_ioas_id == obj->id) {
        obj->ctx->vfio_ioas_id = 0;
    }
    if (ioas->areas) {
        g_tree_destroy(ioas->areas);     /* closes the file dups */
    }
    if (ioas->allowed) {
        g_array_free(ioas->allowed, TRUE);
    }
    if (ioas->reserved) {
        g_array_free(ioas->reserved, TRUE);
    }
}

int mock_ioas_alloc(MockCtx *ctx, void *cmd)
{
    struct iommu_ioas_alloc *c = cmd;
    MockIoas *ioas;
    int err = 0;

    if (c->flags) {
        return -EOPNOTSUPP;
    }
    ioas = mock_obj_alloc(ctx, MOCK_OBJ_IOAS, sizeof(IoasPriv), ioas_destroy, &err);
    if (!ioas) {
        return err;
    }
    ioas->areas = g_tree_new_full(cmp_iova, NULL, NULL, area_free);
    ioas->allowed = g_array_new(FALSE, FALSE, sizeof(struct iommu_iova_range));
    ioas->reserved = g_array_new(FALSE, FALSE, sizeof(struct iommu_iova_range));
    ioas->huge_pages = 1;
    priv_of(ioas)->no_hole_below = MOCK_PAGE_SIZE;
    c->out_ioas_id = ioas->obj.id;
    return 0;
}

int mock_ioas_reserve(MockIoas *ioas, uint64_t start, uint64_t last)
{
    struct iommu_iova_range r = { .start = start, .last = last };

    if (last < start) {
        return 0;                /* an empty range (length 0) reserves nothing */
    }
    if (area_first_in(ioas, start, last) || allowed_intersects(ioas, start, last)) {
        return -EADDRINUSE;
    }
    g_array_append_val(ioas->reserved, r);
    return 0;
}

/* Pin every user area's memory, merged into runs so that a large IOAS over
 * one buffer costs one check. */
static int pin_check_all_user(MockIoas *ioas, bool writable)
{
    GTreeNode *n;
    Range *r;
    size_t k = 0, cap = g_tree_nnodes(ioas->areas);
    int rc = 0;

    if (!cap) {
        return 0;
    }
    r = malloc(cap * sizeof(*r));
    if (!r) {
        return -ENOMEM;
    }
    for (n = g_tree_node_first(ioas->areas); n; n = g_tree_node_next(n)) {
        const MockArea *a = g_tree_node_value(n);

        if (a->file_fd < 0 && a->pages_writable == writable) {
            r[k++] = (Range){ a->user_va, a->user_va + (a->last - a->iova) };
        }
    }
    k = merge_ranges(r, k);
    for (size_t i = 0; i < k && !rc; i++) {
        rc = mock_check_user_range(r[i].start, r[i].last - r[i].start + 1, writable);
    }
    free(r);
    return rc;
}

int mock_ioas_check_aperture(MockIoas *ioas)
{
    uint64_t cur = mock_ioas_iova_alignment(ioas);
    int rc;

    if (ioas->n_hwpts) {
        return 0;                /* the first domain already did all this */
    }
    /* iopt_table_add_domain: alignment, aperture, then filling (pinning). */
    if (cur < MOCK_IO_PAGE_SIZE) {
        rc = mock_ioas_check_alignment(ioas, MOCK_IO_PAGE_SIZE);
        if (rc) {
            return rc;
        }
    }
    if (area_first_in(ioas, 0, (uint64_t)MOCK_APERTURE_START - 1) ||
        allowed_intersects(ioas, 0, (uint64_t)MOCK_APERTURE_START - 1) ||
        area_first_in(ioas, (uint64_t)MOCK_APERTURE_LAST + 1, UINT64_MAX) ||
        allowed_intersects(ioas, (uint64_t)MOCK_APERTURE_LAST + 1, UINT64_MAX)) {
        return -EADDRINUSE;
    }
    for (GTreeNode *n = g_tree_node_first(ioas->areas); n; n = g_tree_node_next(n)) {
        const MockArea *a = g_tree_node_value(n);

        if (a->file_fd >= 0) {
            rc = file_pin_check(a->file_fd, a->file_start, a->last - a->iova + 1);
            if (rc) {
                return rc;
            }
        }
    }
    rc = pin_check_all_user(ioas, true);
    if (!rc) {
        rc = pin_check_all_user(ioas, false);
    }
    return rc;
}

/* ---- IOMMU_IOAS_* handlers ---------------------------------------------------- */

int mock_ioas_iova_ranges(MockCtx *ctx, void *cmd)
{
    struct iommu_ioas_iova_ranges *c = cmd;
    MockIoas *ioas;
    Range *res;
    size_t nres;
    uint32_t max, count = 0;
    uint64_t pos = 0;
    bool end = false;
    int rc;

    if (c->__reserved) {
        return -EOPNOTSUPP;
    }
    ioas = mock_ioas_find(ctx, c->ioas_id);
    if (!ioas) {
        return -ENOENT;
    }
    rc = effective_reserved(ioas, &res, &nres);
    if (rc) {
        return rc;
    }
    max = c->num_iovas;
    /* The holes between the reserved ranges: what IOVA_RANGES reports. */
    for (size_t i = 0; i <= nres && !end; i++) {
        struct iommu_iova_range r;

        if (i < nres) {
            if (res[i].start > pos) {
                r.start = pos;
                r.last = res[i].start - 1;
            } else {
                r.start = 1;
                r.last = 0;      /* no hole before this one */
            }
            if (res[i].last == UINT64_MAX) {
                end = true;
            } else {
                pos = res[i].last + 1;
            }
        } else {
            r.start = pos;
            r.last = UINT64_MAX;
        }
        if (r.start > r.last) {
            continue;
        }
        if (count < max &&
            mock_copy_to_user(c->allowed_iovas + (uint64_t)count * sizeof(r), &r, sizeof(r))) {
            free(res);
            return -EFAULT;
        }
        count++;
    }
    free(res);
    c->num_iovas = count;
    c->out_iova_alignment = mock_ioas_iova_alignment(ioas);
    return count > max ? -EMSGSIZE : 0;
}

static gint cmp_range_start(gconstpointer a, gconstpointer b)
{
    const struct iommu_iova_range *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

int mock_ioas_allow_iovas(MockCtx *ctx, void *cmd)
{
    struct iommu_ioas_allow_iovas *c = cmd;
    GArray *list;
    MockIoas *ioas;
    Range *res;
    size_t nres;
    int rc = 0;

    if (c->__reserved) {
        return -EOPNOTSUPP;
    }
    ioas = mock_ioas_find(ctx, c->ioas_id);
    if (!ioas) {
        return -ENOENT;
    }
    list = g_array_new(FALSE, FALSE, sizeof(struct iommu_iova_range));
    /* iommufd_ioas_load_iovas: in order, each read, checked and compared with
     * those before it. */
    for (uint32_t i = 0; i < c->num_iovas; i++) {
        struct iommu_iova_range r;

        if (mock_copy_from_user(&r, c->allowed_iovas + (uint64_t)i * sizeof(r), sizeof(r))) {
            rc = -EFAULT;
            goto out;
        }
        if (r.start >= r.last) {
            rc = -EINVAL;
            goto out;
        }
        for (guint j = 0; j < list->len; j++) {
            const struct iommu_iova_range *e = &g_array_index(list, struct iommu_iova_range, j);

            if (e->start <= r.last && e->last >= r.start) {
                rc = -EINVAL;
                goto out;
            }
        }
        g_array_append_val(list, r);
    }
    /* iopt_set_allow_iova: none may touch a reserved range. */
    rc = effective_reserved(ioas, &res, &nres);
    if (rc) {
        goto out;
    }
    for (guint j = 0; j < list->len && !rc; j++) {
        const struct iommu_iova_range *e = &g_array_index(list, struct iommu_iova_range, j);

        if (ranges_intersect(res, nres, e->start, e->last)) {
            rc = -EADDRINUSE;
        }
    }
    free(res);
    if (rc) {
        goto out;
    }
    g_array_sort(list, cmp_range_start);
    g_array_free(ioas->allowed, TRUE);
    ioas->allowed = list;
    list = NULL;
    priv_of(ioas)->gen++;        /* the spans changed: drop the cursors */
out:
    if (list) {
        g_array_free(list, TRUE);
    }
    return rc;
}

int mock_ioas_map(MockCtx *ctx, void *cmd)
{
    struct iommu_ioas_map *c = cmd;
    MockIoas *ioas;
    Piece pc;
    uint64_t end, iova;
    int rc;

    if ((c->flags & ~MAP_FLAGS_ALL) || c->__reserved) {
        return -EOPNOTSUPP;
    }
    if (c->iova == UINT64_MAX || c->length == UINT64_MAX) {
        return -EOVERFLOW;
    }
    if (!(c->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE))) {
        return -EINVAL;
    }
    ioas = mock_ioas_find(ctx, c->ioas_id);
    if (!ioas) {
        return -ENOENT;
    }
    /* iopt_alloc_user_pages: the newest kernel checks the end of the user
     * range first, 6.12 the length first. */
    if (ctx->model != MOCK_MODEL_6_12 && __builtin_add_overflow(c->user_va, c->length, &end)) {
        return -EOVERFLOW;
    }
    if (c->length == 0 || c->length > SIZE_MAX - MOCK_PAGE_SIZE) {
        return -EINVAL;
    }
    if (__builtin_add_overflow(c->user_va, c->length, &end)) {
        return -EOVERFLOW;
    }
    pc = (Piece){ .user_va = c->user_va, .file_fd = -1, .length = c->length,
                  .pages_writable = c->flags & IOMMU_IOAS_MAP_WRITEABLE };
    iova = c->iova;
    rc = map_pieces(ioas, &pc, 1, c->length, &iova, c->flags);
    if (!rc) {
        c->iova = iova;
    }
    return rc;
}

int mock_ioas_map_file(MockCtx *ctx, void *cmd)
{
    struct iommu_ioas_map_file *c = cmd;
    bool writable = c->flags & IOMMU_IOAS_MAP_WRITEABLE;
    MockIoas *ioas;
    Piece pc;
    uint64_t end, iova;
    long fl;
    int rc;

    if (c->flags & ~MAP_FLAGS_ALL) {
        return -EOPNOTSUPP;
    }
    if (c->iova == UINT64_MAX || c->length == UINT64_MAX) {
        return -EOVERFLOW;
    }
    if (!(c->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE))) {
        return -EINVAL;
    }
    ioas = mock_ioas_find(ctx, c->ioas_id);
    if (!ioas) {
        return -ENOENT;
    }
    fl = c->fd < 0 ? -1 : syscall(SYS_fcntl, c->fd, F_GETFL);
    if (fl < 0) {
        return -EBADF;
    }
    /* A writable map needs a file opened for writing whose mapping may be
     * written (no F_SEAL_WRITE): the newest kernel's mapping_map_writable. */
    if (writable) {
        long seals;

        if ((fl & O_ACCMODE) == O_RDONLY) {
            return -EPERM;
        }
        seals = syscall(SYS_fcntl, c->fd, F_GET_SEALS);
        if (seals > 0 && (seals & F_SEAL_WRITE)) {
            return -EPERM;
        }
    }
    if (c->length && __builtin_add_overflow(c->start, c->length - 1, &end)) {
        return -EOVERFLOW;
    }
    if (c->length == 0 || c->length > SIZE_MAX - MOCK_PAGE_SIZE) {
        return -EINVAL;
    }
    pc = (Piece){ .file_fd = c->fd, .file_start = c->start, .length = c->length,
                  .pages_writable = writable };
    iova = c->iova;
    rc = map_pieces(ioas, &pc, 1, c->length, &iova, c->flags);
    if (!rc) {
        c->iova = iova;
    }
    return rc;
}

int mock_ioas_copy(MockCtx *ctx, void *cmd)
{
    struct iommu_ioas_copy *c = cmd;
    MockIoas *src, *dst;
    Piece *pcs = NULL;
    size_t n = 0, cap = 0;
    uint64_t last, cur, iova;
    MockArea *a;
    int rc;

    if (c->flags & ~MAP_FLAGS_ALL) {
        return -EOPNOTSUPP;
    }
    if (c->length == UINT64_MAX || c->src_iova == UINT64_MAX || c->dst_iova == UINT64_MAX) {
        return -EOVERFLOW;
    }
    if (!(c->flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE))) {
        return -EINVAL;
    }
    src = mock_ioas_find(ctx, c->src_ioas_id);
    if (!src) {
        return -ENOENT;
    }
    /* iopt_get_pages: [src_iova, last] covered by areas that follow each
     * other without a gap; it may start and end inside an area. */
    if (!c->length) {
        return -EINVAL;
    }
    if (__builtin_add_overflow(c->src_iova, c->length - 1, &last)) {
        return -EOVERFLOW;
    }
    cur = c->src_iova;
    a = mock_ioas_area_at(src, cur);
    for (;;) {
        uint64_t piece_last, off;

        if (!a || a->iova > cur) {
            rc = -ENOENT;
            goto out;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            Piece *np = realloc(pcs, ncap * sizeof(*np));

            if (!np) {
                rc = -ENOMEM;
                goto out;
            }
            pcs = np;
            cap = ncap;
        }
        piece_last = last < a->last ? last : a->last;
        off = cur - a->iova;
        pcs[n++] = (Piece){
            .user_va = a->file_fd >= 0 ? 0 : a->user_va + off,
            .file_fd = a->file_fd,
            .file_start = a->file_fd >= 0 ? a->file_start + off : 0,
            .length = piece_last - cur + 1,
            .pages_writable = a->pages_writable,
        };
        if (piece_last == last) {
            break;
        }
        cur = a->last + 1;
        a = area_ceil(src, cur);
        if (a && a->iova != cur) {
            a = NULL;
        }
    }
    dst = mock_ioas_find(ctx, c->dst_ioas_id);
    if (!dst) {
        rc = -ENOENT;
        goto out;
    }
    iova = c->dst_iova;
    rc = map_pieces(dst, pcs, n, c->length, &iova, c->flags);
    if (!rc) {
        c->dst_iova = iova;
    }
out:
    free(pcs);
    return rc;
}

int mock_ioas_unmap(MockCtx *ctx, void *cmd)
{
    struct iommu_ioas_unmap *c = cmd;
    MockIoas *ioas = mock_ioas_find(ctx, c->ioas_id);
    uint64_t unmapped = 0, last;
    int rc;

    if (!ioas) {
        return -ENOENT;
    }
    if (c->iova == 0 && c->length == UINT64_MAX) {
        rc = unmap_all(ioas, &unmapped);
    } else {
        if (c->iova == UINT64_MAX || c->length == UINT64_MAX) {
            return -EOVERFLOW;
        }
        if (!c->length) {
            return -EINVAL;
        }
        if (__builtin_add_overflow(c->iova, c->length - 1, &last)) {
            return -EOVERFLOW;
        }
        rc = unmap_range(ioas, c->iova, last, &unmapped);
        if (!rc && !unmapped) {
            rc = -ENOENT;
        }
    }
    if (rc) {
        return rc;
    }
    c->length = unmapped;
    return 0;
}

/* ---- IOMMU_OPTION ----------------------------------------------------------------- */

static bool capable_sys_resource(void)
{
    struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &hdr, data)) {
        return false;
    }
    return data[CAP_TO_INDEX(CAP_SYS_RESOURCE)].effective & CAP_TO_MASK(CAP_SYS_RESOURCE);
}

/* iopt_disable_large_pages */
static int disable_huge_pages(MockIoas *ioas)
{
    uint64_t before = mock_ioas_iova_alignment(ioas);
    int rc;

    if (!ioas->huge_pages) {
        return 0;
    }
    /* Domains already holding pages might use huge IOPTEs. */
    if (ioas->n_hwpts && g_tree_nnodes(ioas->areas)) {
        return -EINVAL;
    }
    ioas->huge_pages = 0;
    if (mock_ioas_iova_alignment(ioas) > before) {
        rc = mock_ioas_check_alignment(ioas, mock_ioas_iova_alignment(ioas));
        if (rc) {
            ioas->huge_pages = 1;
            return rc;
        }
    }
    return 0;
}

int mock_option(MockCtx *ctx, void *cmd)
{
    struct iommu_option *c = cmd;
    MockIoas *ioas;

    if (c->__reserved) {
        return -EOPNOTSUPP;
    }
    switch (c->option_id) {
    case IOMMU_OPTION_RLIMIT_MODE:
        if (c->object_id) {
            return -EOPNOTSUPP;
        }
        if (c->op == IOMMU_OPTION_OP_GET) {
            c->val64 = ctx->rlimit_mode;
            return 0;
        }
        if (c->op == IOMMU_OPTION_OP_SET) {
            if (!capable_sys_resource()) {
                return -EPERM;
            }
            if (g_hash_table_size(ctx->objects)) {
                return -EBUSY;
            }
            if (c->val64 > 1) {
                return -EINVAL;
            }
            ctx->rlimit_mode = c->val64;
            return 0;
        }
        return -EOPNOTSUPP;
    case IOMMU_OPTION_HUGE_PAGES:
        ioas = mock_ioas_find(ctx, c->object_id);
        if (!ioas) {
            return -ENOENT;
        }
        if (c->op == IOMMU_OPTION_OP_GET) {
            c->val64 = ioas->huge_pages ? 1 : 0;
            return 0;
        }
        if (c->op == IOMMU_OPTION_OP_SET) {
            if (c->val64 == 0) {
                return disable_huge_pages(ioas);
            }
            if (c->val64 == 1) {
                ioas->huge_pages = 1;
                return 0;
            }
            return -EINVAL;
        }
        return -EOPNOTSUPP;
    default:
        return -EOPNOTSUPP;
    }
}

/* ---- IOMMU_VFIO_IOAS and IOAS_CHANGE_PROCESS ---------------------------------------- */

/* The IOAS the VFIO compatibility commands work on; the kernel never creates
 * one for /dev/iommu itself (only attaching a VFIO group does): ENODEV. */
static MockIoas *compat_ioas(MockCtx *ctx)
{
    return ctx->vfio_ioas_id ? mock_ioas_find(ctx, ctx->vfio_ioas_id) : NULL;
}

int mock_vfio_ioas(MockCtx *ctx, void *cmd)
{
    struct iommu_vfio_ioas *c = cmd;
    MockIoas *ioas;

    if (c->__reserved) {
        return -EOPNOTSUPP;
    }
    switch (c->op) {
    case IOMMU_VFIO_IOAS_GET:
        ioas = compat_ioas(ctx);
        if (!ioas) {
            return -ENODEV;
        }
        c->ioas_id = ioas->obj.id;
        return 0;
    case IOMMU_VFIO_IOAS_SET:
        ioas = mock_ioas_find(ctx, c->ioas_id);
        if (!ioas) {
            return -ENOENT;
        }
        ctx->vfio_ioas_id = ioas->obj.id;
        return 0;
    case IOMMU_VFIO_IOAS_CLEAR:
        ctx->vfio_ioas_id = 0;
        return 0;
    default:
        return -EOPNOTSUPP;
    }
}

static gboolean area_not_file(gpointer key, gpointer value, gpointer data)
{
    (void)key;
    if (((MockArea *)value)->file_fd < 0) {
        *(bool *)data = true;
        return TRUE;
    }
    return FALSE;
}

static void ioas_all_file(gpointer key, gpointer value, gpointer data)
{
    (void)key;
    MockObj *obj = value;

    if (obj->type == MOCK_OBJ_IOAS && !*(bool *)data) {
        g_tree_foreach(((MockIoas *)obj)->areas, area_not_file, data);
    }
}

int mock_ioas_change_process(MockCtx *ctx, void *cmd)
{
    struct iommu_ioas_change_process *c = cmd;
    bool user_memory = false;

    if (c->__reserved) {
        return -EOPNOTSUPP;
    }
    /* Only file-backed pages can move to another process's accounting. */
    g_hash_table_foreach(ctx->objects, ioas_all_file, &user_memory);
    return user_memory ? -EINVAL : 0;
}

/* ---- VFIO type1 compatibility ---------------------------------------------------- */

static int vfio_set_iommu(MockCtx *ctx, uint64_t type)
{
    MockIoas *ioas;
    int rc = 0;

    if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU) {
        return -EINVAL;
    }
    ioas = compat_ioas(ctx);
    if (!ioas) {
        return -ENODEV;
    }
    /* type1 (v1) may unmap inside a mapping: no huge IOPTEs then. */
    if (type == VFIO_TYPE1_IOMMU) {
        rc = disable_huge_pages(ioas);
    }
    if (!rc) {
        ctx->vfio_iommu_set = true;
        ctx->vfio_iommu_type = (uint32_t)type;
    }
    return rc;
}

static int vfio_check_extension(MockCtx *ctx, uint64_t ext)
{
    MockIoas *ioas;

    switch (ext) {
    case VFIO_TYPE1_IOMMU:
    case VFIO_TYPE1v2_IOMMU:
    case VFIO_UNMAP_ALL:
        return 1;
    case VFIO_DMA_CC_IOMMU:
        /* 1 unless a domain does not enforce coherency; the mock's never do
         * (no IOMMU_CAP_ENFORCE_CACHE_COHERENCY). */
        ioas = compat_ioas(ctx);
        if (!ioas) {
            return -ENODEV;
        }
        return ioas->n_hwpts ? 0 : 1;
    default:
        return 0;                /* NESTING, UPDATE_VADDR, NOIOMMU (not configured) */
    }
}

static uint64_t vfio_pgsizes(MockIoas *ioas)
{
    uint64_t bitmap = UINT64_MAX, align = mock_ioas_iova_alignment(ioas);

    if (ioas->n_hwpts) {
        bitmap &= MOCK_IO_PAGE_SIZE;
    }
    /* vfio reports nothing below PAGE_SIZE */
    if (bitmap & (MOCK_PAGE_SIZE - 1)) {
        bitmap &= ~(MOCK_PAGE_SIZE - 1);
        bitmap |= MOCK_PAGE_SIZE;
    }
    return bitmap > align ? bitmap : align;
}

/* The IOVA-range capability at user offset `at` with `avail` bytes there
 * (0: only measure).  Returns its size or -EFAULT. */
static int fill_cap_iova(MockIoas *ioas, uint64_t at, size_t avail)
{
    struct vfio_iommu_type1_info_cap_iova_range cap = {
        .header = { .id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, .version = 1 },
    };
    const size_t hsz = sizeof(cap), esz = sizeof(struct vfio_iova_range);
    Range *res;
    size_t nres;
    uint64_t pos = 0;
    bool end = false;
    int rc = effective_reserved(ioas, &res, &nres);

    if (rc) {
        return rc;
    }
    for (size_t i = 0; i <= nres && !end; i++) {
        struct vfio_iova_range r;

        if (i < nres) {
            bool hole = res[i].start > pos;

            r.start = pos;
            r.end = hole ? res[i].start - 1 : 0;
            if (res[i].last == UINT64_MAX) {
                end = true;
            } else {
                pos = res[i].last + 1;
            }
            if (!hole) {
                continue;
            }
        } else {
            r.start = pos;
            r.end = UINT64_MAX;
        }
        if (avail >= hsz + (cap.nr_iovas + 1) * esz &&
            mock_copy_to_user(at + hsz + cap.nr_iovas * esz, &r, esz)) {
            free(res);
            return -EFAULT;
        }
        cap.nr_iovas++;
    }
    free(res);
    if (avail >= hsz + cap.nr_iovas * esz && mock_copy_to_user(at, &cap, hsz)) {
        return -EFAULT;
    }
    return (int)(hsz + cap.nr_iovas * esz);
}

static int fill_cap_dma_avail(uint64_t at, size_t avail)
{
    struct vfio_iommu_type1_info_dma_avail cap = {
        .header = { .id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, .version = 1 },
        .avail = UINT32_MAX,
    };

    if (avail >= sizeof(cap) && mock_copy_to_user(at, &cap, sizeof(cap))) {
        return -EFAULT;
    }
    return (int)sizeof(cap);
}

static int vfio_get_info(MockCtx *ctx, uint64_t arg)
{
    const size_t minsz0 = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
    struct vfio_iommu_type1_info info;
    uint64_t last_cap = 0;
    size_t total, minsz;
    MockIoas *ioas;

    memset(&info, 0, sizeof(info));
    if (mock_copy_from_user(&info, arg, minsz0)) {
        return -EFAULT;
    }
    if (info.argsz < minsz0) {
        return -EINVAL;
    }
    minsz = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
    ioas = compat_ioas(ctx);
    if (!ioas) {
        return -ENODEV;
    }
    info.flags = VFIO_IOMMU_INFO_PGSIZES;
    info.iova_pgsizes = vfio_pgsizes(ioas);
    info.cap_offset = 0;

    /* The chain: DMA_AVAIL, then IOVA_RANGE, each 8-byte aligned; a cap that
     * does not fit is measured, not written, and argsz says what is needed. */
    total = sizeof(info);
    for (int i = 0; i < 2; i++) {
        size_t avail = info.argsz > total ? info.argsz - total : 0;
        uint64_t at = avail ? arg + total : 0;
        int size = i == 0 ? fill_cap_dma_avail(at, avail) : fill_cap_iova(ioas, at, avail);

        if (size < 0) {
            return size;
        }
        size = (size + 7) & ~7;
        if (last_cap && info.argsz >= total) {
            uint32_t next = (uint32_t)total;

            if (mock_copy_to_user(last_cap + offsetof(struct vfio_info_cap_header, next), &next,
                                  sizeof(next))) {
                return -EFAULT;
            }
        }
        last_cap = arg + total;
        total += (size_t)size;
    }
    if (info.argsz >= total) {
        info.cap_offset = sizeof(info);
    }
    info.argsz = (uint32_t)total;
    info.flags |= VFIO_IOMMU_INFO_CAPS;
    if (mock_copy_to_user(arg, &info, minsz)) {
        return -EFAULT;
    }
    return 0;
}

static int vfio_map_dma(MockCtx *ctx, uint64_t arg)
{
    const size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
    struct vfio_iommu_type1_dma_map map;
    uint32_t flags = IOMMU_IOAS_MAP_FIXED_IOVA;
    MockIoas *ioas;
    Piece pc;
    uint64_t iova, end;

    if (mock_copy_from_user(&map, arg, minsz)) {
        return -EFAULT;
    }
    if (map.argsz < minsz || (map.flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))) {
        return -EINVAL;
    }
    if (map.flags & VFIO_DMA_MAP_FLAG_READ) {
        flags |= IOMMU_IOAS_MAP_READABLE;
    }
    if (map.flags & VFIO_DMA_MAP_FLAG_WRITE) {
        flags |= IOMMU_IOAS_MAP_WRITEABLE;
    }
    ioas = compat_ioas(ctx);
    if (!ioas) {
        return -ENODEV;
    }
    /* iopt_map_user_pages, without IOAS_MAP's own argument checks */
    if (ctx->model != MOCK_MODEL_6_12 && __builtin_add_overflow(map.vaddr, map.size, &end)) {
        return -EOVERFLOW;
    }
    if (map.size == 0 || map.size > SIZE_MAX - MOCK_PAGE_SIZE) {
        return -EINVAL;
    }
    if (__builtin_add_overflow(map.vaddr, map.size, &end)) {
        return -EOVERFLOW;
    }
    pc = (Piece){ .user_va = map.vaddr, .file_fd = -1, .length = map.size,
                  .pages_writable = map.flags & VFIO_DMA_MAP_FLAG_WRITE };
    iova = map.iova;
    return map_pieces(ioas, &pc, 1, map.size, &iova, flags);
}

/*
 * iopt_area_split: cut an area so that `iova` is the last byte of the first
 * part (type1 v1 unmaps inside mappings).  Nothing to do when iova is an
 * edge of the area or outside every area.
 */
static int split_at(MockIoas *ioas, uint64_t iova)
{
    uint64_t align = mock_ioas_iova_alignment(ioas), new_start = iova + 1, off;
    MockArea *a = mock_ioas_area_at(ioas, iova), *rhs;

    if (!a || iova == a->iova || iova == a->last) {
        return 0;
    }
    off = new_start - a->iova;
    if ((new_start & (align - 1)) || ((area_addr(a) + off) & (align - 1))) {
        return -EINVAL;
    }
    rhs = calloc(1, sizeof(*rhs));
    if (!rhs) {
        return -ENOMEM;
    }
    if (a->access_pins > 0) {
        free(rhs);
        return -EINVAL;
    }
    *rhs = *a;
    rhs->iova = new_start;
    rhs->access_pins = 0;
    if (a->file_fd >= 0) {
        long fd = syscall(SYS_fcntl, a->file_fd, F_DUPFD_CLOEXEC, 0);

        if (fd < 0) {
            free(rhs);
            return -ENOMEM;
        }
        rhs->file_fd = (int)fd;
        rhs->file_start = a->file_start + off;
    } else {
        rhs->user_va = a->user_va + off;
    }
    a->last = iova;
    g_tree_insert(ioas->areas, &rhs->iova, rhs);
    return 0;
}

static int vfio_unmap_dma(MockCtx *ctx, uint64_t arg)
{
    const size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
    struct vfio_iommu_type1_dma_unmap unmap;
    uint64_t unmapped = 0, last;
    MockIoas *ioas;
    int rc;

    if (mock_copy_from_user(&unmap, arg, minsz)) {
        return -EFAULT;
    }
    if (unmap.argsz < minsz || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL)) {
        return -EINVAL;
    }
    ioas = compat_ioas(ctx);
    if (!ioas) {
        return -ENODEV;
    }
    if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
        if (unmap.iova || unmap.size) {
            return -EINVAL;
        }
        rc = unmap_all(ioas, &unmapped);
    } else {
        if (!ioas->huge_pages) {
            /* Cut at both ends of the range first (not below IOVA 0). */
            rc = split_at(ioas, unmap.iova + unmap.size - 1);
            if (!rc && unmap.iova) {
                rc = split_at(ioas, unmap.iova - 1);
            }
            if (rc) {
                return rc;
            }
        }
        if (!unmap.size) {
            rc = -EINVAL;
        } else if (__builtin_add_overflow(unmap.iova, unmap.size - 1, &last)) {
            rc = -EOVERFLOW;
        } else {
            rc = unmap_range(ioas, unmap.iova, last, &unmapped);
        }
    }
    /* The size unmapped goes back even when the unmap failed. */
    unmap.size = unmapped;
    if (mock_copy_to_user(arg, &unmap, minsz)) {
        rc = -EFAULT;
    }
    return rc;
}

int mock_vfio_compat_ioctl(MockCtx *ctx, unsigned long cmd, uint64_t arg)
{
    switch (cmd) {
    case VFIO_GET_API_VERSION:
        return VFIO_API_VERSION;
    case VFIO_CHECK_EXTENSION:
        return vfio_check_extension(ctx, arg);
    case VFIO_SET_IOMMU:
        return vfio_set_iommu(ctx, arg);
    case VFIO_IOMMU_GET_INFO:
        return vfio_get_info(ctx, arg);
    case VFIO_IOMMU_MAP_DMA:
        return vfio_map_dma(ctx, arg);
    case VFIO_IOMMU_UNMAP_DMA:
        return vfio_unmap_dma(ctx, arg);
    default:
        return -ENOTTY;          /* incl. VFIO_IOMMU_DIRTY_PAGES */
    }
}
