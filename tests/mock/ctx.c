/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiommufd-mock: contexts, the object table, IOMMU_DESTROY, the ioctl
 * dispatcher with the kernel's size contract, kernel models, fail-Nth, access
 * to the caller's memory, and the fixtures API of <iommufd/mock.h> (but for
 * the device, fault and vEVENT fixtures, which live in vfio.c / events.c).
 *
 * Everything here runs under mock_lock unless it says otherwise.
 */
#include "mock-internal.h"

#include <iommufd/mock.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_DEFINED
#define VALGRIND_MAKE_MEM_DEFINED(addr, len) ((void)(addr), (void)(len))
#endif


/*
 * Recursive, so that a thread already inside the mock (a handler, or a
 * fixture function holding the lock) which calls an interposed libc function
 * that looks at mock state (open() checking for a mock VFIO path) does not
 * deadlock on itself.
 */
pthread_mutex_t mock_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

/* The model new contexts get (iommufd_mock_set_kernel); written under
 * mock_lock, read without it by iommufd_mock_get_kernel(). */
static _Atomic int default_model = MOCK_MODEL_NEWEST;

static _Atomic unsigned live_ctxs;
static _Atomic unsigned live_objects;

unsigned mock_live_ctxs(void)
{
    return atomic_load(&live_ctxs);
}

unsigned mock_live_objects(void)
{
    return atomic_load(&live_objects);
}

/* ---- fail-Nth ------------------------------------------------------------ */

/*
 * Per thread, like the kernel's /proc/self/task/<tid>/fail-nth: the count of
 * mock operations left before the one that fails, its errno, and whether the
 * failure was injected since the last arming.
 */
static _Thread_local unsigned fail_nth_left;
static _Thread_local int fail_nth_err;
static _Thread_local bool fail_nth_hit;

int mock_fail_nth_check(void)
{
    if (!fail_nth_left) {
        return 0;
    }
    if (--fail_nth_left) {
        return 0;
    }
    fail_nth_hit = true;
    return -fail_nth_err;
}

IOMMUFD_MOCK_API void iommufd_mock_fail_nth(unsigned nth, int err)
{
    fail_nth_left = nth;
    fail_nth_err = err > 0 ? err : ENOMEM;
    fail_nth_hit = false;
}

IOMMUFD_MOCK_API bool iommufd_mock_fail_nth_reached(void)
{
    return fail_nth_hit;
}

/* ---- kernel models ------------------------------------------------------- */

IOMMUFD_MOCK_API void iommufd_mock_set_kernel(IOMMUFDMockKernel kernel)
{
    int model;

    switch (kernel) {
    case IOMMUFD_MOCK_KERNEL_NEWEST:
        model = MOCK_MODEL_NEWEST;
        break;
    case IOMMUFD_MOCK_KERNEL_6_12:
        model = MOCK_MODEL_6_12;
        break;
    default:
        return;
    }
    mock_ensure_init();
    pthread_mutex_lock(&mock_lock);
    atomic_store(&default_model, model);
    pthread_mutex_unlock(&mock_lock);
}

IOMMUFD_MOCK_API IOMMUFDMockKernel iommufd_mock_get_kernel(void)
{
    mock_ensure_init();
    return atomic_load(&default_model) == MOCK_MODEL_6_12 ? IOMMUFD_MOCK_KERNEL_6_12
                                                          : IOMMUFD_MOCK_KERNEL_NEWEST;
}

IOMMUFD_MOCK_API const char *iommufd_mock_kernel_name(IOMMUFDMockKernel kernel)
{
    switch (kernel) {
    case IOMMUFD_MOCK_KERNEL_NEWEST:
        return "newest";
    case IOMMUFD_MOCK_KERNEL_6_12:
        return "6.12";
    }
    return NULL;
}

/* ---- user memory --------------------------------------------------------- */

/*
 * The caller's memory is read and written with process_vm_readv/writev on the
 * own pid: a bad pointer gives EFAULT instead of SIGSEGV, and a read-only page
 * refuses a write, as copy_to_user would.  Where those system calls are not
 * allowed (a seccomp profile without CAP_SYS_PTRACE answers EPERM), a pipe
 * does the same job: write(2) from a bad source and read(2) into a bad
 * destination fail with EFAULT.
 */
static bool use_pipe;             /* process_vm_* refused; under mock_lock */
static int copy_pipe[2] = { -1, -1 };
static bool copy_pipe_atfork;

static void copy_pipe_reset_child(void)
{
    /* The child got the parent's pipe: never share it. */
    if (copy_pipe[0] >= 0) {
        syscall(SYS_close, copy_pipe[0]);
        syscall(SYS_close, copy_pipe[1]);
        copy_pipe[0] = copy_pipe[1] = -1;
    }
}

static int pipe_copy(void *local, uint64_t remote, size_t len, bool to_user)
{
    char scratch[4096];

    if (copy_pipe[0] < 0) {
        if (syscall(SYS_pipe2, copy_pipe, O_CLOEXEC) < 0) {
            return -ENOMEM;
        }
        if (!copy_pipe_atfork) {
            pthread_atfork(NULL, NULL, copy_pipe_reset_child);
            copy_pipe_atfork = true;
        }
    }
    while (len) {
        size_t chunk = len < sizeof(scratch) ? len : sizeof(scratch);
        const void *src = to_user ? local : (const void *)(uintptr_t)remote;
        void *dst = to_user ? (void *)(uintptr_t)remote : local;
        long w = syscall(SYS_write, copy_pipe[1], src, chunk);

        if (w < 0) {
            return -EFAULT;
        }
        size_t done = 0;
        int rc = 0;
        while (done < (size_t)w) {
            long r = syscall(SYS_read, copy_pipe[0], (char *)dst + done, (size_t)w - done);
            if (r <= 0) {
                rc = -EFAULT;
                break;
            }
            done += (size_t)r;
        }
        if (rc) {
            /* drain what the faulting read left behind */
            while (done < (size_t)w) {
                size_t n = (size_t)w - done < sizeof(scratch) ? (size_t)w - done : sizeof(scratch);
                long r = syscall(SYS_read, copy_pipe[0], scratch, n);
                if (r <= 0) {
                    break;
                }
                done += (size_t)r;
            }
            return rc;
        }
        len -= (size_t)w;
        local = (char *)local + w;
        remote += (uint64_t)w;
    }
    return 0;
}

static int vm_copy(void *local, uint64_t remote, size_t len, bool to_user)
{
    if (!len) {
        return 0;
    }
    if (remote + len < remote) {
        return -EFAULT;
    }
    if (!use_pipe) {
        struct iovec l = { .iov_base = local, .iov_len = len };
        struct iovec r = { .iov_base = (void *)(uintptr_t)remote, .iov_len = len };
        ssize_t n = to_user ? process_vm_writev(getpid(), &l, 1, &r, 1, 0)
                            : process_vm_readv(getpid(), &l, 1, &r, 1, 0);

        if (n == (ssize_t)len) {
            /* memcheck cannot see what process_vm_writev wrote into this
             * very process, and would take every reply for uninitialised */
            if (to_user) {
                VALGRIND_MAKE_MEM_DEFINED((void *)(uintptr_t)remote, len);
            }
            return 0;
        }
        if (n >= 0 || errno == EFAULT) {
            return -EFAULT;
        }
        if (errno != EPERM && errno != ENOSYS) {
            return -EFAULT;
        }
        use_pipe = true;
    }
    return pipe_copy(local, remote, len, to_user);
}

int mock_copy_from_user(void *dst, uint64_t uptr, size_t len)
{
    return vm_copy(dst, uptr, len, false);
}

int mock_copy_to_user(uint64_t uptr, const void *src, size_t len)
{
    return vm_copy((void *)src, uptr, len, true);
}

/*
 * Fallback of mock_check_user_range when /proc/self/maps cannot be read:
 * read one byte of every page, and for `write` write it back.  The write-back
 * races with another thread writing the same byte in between (its store would
 * be lost), a window of two system calls; the /proc path has no such race.
 */
static int probe_pages(uint64_t start, uint64_t end, bool write)
{
    uint64_t page = mock_page_size();

    for (uint64_t p = start & ~(page - 1); p < end; p += page) {
        uint64_t at = p < start ? start : p;
        uint8_t b;

        if (mock_copy_from_user(&b, at, 1) || (write && mock_copy_to_user(at, &b, 1))) {
            return -EFAULT;
        }
        if (p + page < p) {
            break;
        }
    }
    return 0;
}

/*
 * Like pinning (get_user_pages): every page of [uptr, uptr + len) must lie in
 * a mapping that is readable, and writable for `write`.  Read from
 * /proc/self/maps (sorted by address) with raw system calls so that nothing
 * here goes through the interposed entry points; it neither touches nor
 * populates the memory.
 */
int mock_check_user_range(uint64_t uptr, uint64_t len, bool write)
{
    char buf[4096 + 256];
    size_t have = 0;
    uint64_t cursor = uptr, end;
    bool eof = false;
    long fd;

    if (!len) {
        return 0;
    }
    if (uptr + len < uptr) {
        return -EFAULT;
    }
    end = uptr + len;
    fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return probe_pages(uptr, end, write);
    }
    for (;;) {
        char *nl;

        while (!eof && !(nl = memchr(buf, '\n', have))) {
            if (have == sizeof(buf)) {
                have = 0;      /* an absurd line: drop it */
            }
            long r = syscall(SYS_read, fd, buf + have, sizeof(buf) - have);
            if (r <= 0) {
                eof = true;
                break;
            }
            have += (size_t)r;
        }
        nl = have ? memchr(buf, '\n', have) : NULL;
        if (!nl) {
            break;
        }
        *nl = '\0';

        unsigned long long vs, ve;
        char perms[8] = "";
        if (sscanf(buf, "%llx-%llx %7s", &vs, &ve, perms) == 3 && ve > cursor) {
            if (vs > cursor || perms[0] != 'r' || (write && perms[1] != 'w')) {
                break;
            }
            cursor = ve;
            if (cursor >= end) {
                syscall(SYS_close, fd);
                return 0;
            }
        }
        size_t used = (size_t)(nl - buf) + 1;
        memmove(buf, nl + 1, have - used);
        have -= used;
    }
    syscall(SYS_close, fd);
    return -EFAULT;
}

/* ---- contexts and objects ------------------------------------------------ */

static gint cmp_id(gconstpointer a, gconstpointer b)
{
    uint32_t x = GPOINTER_TO_UINT(a), y = GPOINTER_TO_UINT(b);

    return x < y ? -1 : x > y;
}

/* Every live context, for mock_ctx_foreach (under mock_lock). */
static GList *all_ctxs;

void mock_ctx_foreach(void (*fn)(MockCtx *ctx, void *data), void *data)
{
    for (GList *l = all_ctxs; l; l = l->next) {
        fn(l->data, data);
    }
}

MockCtx *mock_ctx_new(void)
{
    MockCtx *ctx = calloc(1, sizeof(*ctx));

    if (!ctx) {
        return NULL;
    }
    all_ctxs = g_list_prepend(all_ctxs, ctx);
    ctx->refs = 1;
    ctx->objects = g_hash_table_new(NULL, NULL);
    ctx->free_ids = g_tree_new(cmp_id);
    ctx->next_id = 1;
    ctx->model = atomic_load(&default_model);
    atomic_fetch_add(&live_ctxs, 1);
    return ctx;
}

void mock_ctx_get(MockCtx *ctx)
{
    ctx->refs++;
}

/* The ids of the objects to destroy in this round: those nobody uses. */
static void collect_unused(gpointer key, gpointer value, gpointer data)
{
    (void)key;
    MockObj *obj = value;

    if (obj->users <= 0) {
        g_array_append_val((GArray *)data, obj->id);
    }
}

static void find_highest(gpointer key, gpointer value, gpointer data)
{
    (void)value;
    uint32_t *max = data;

    if (GPOINTER_TO_UINT(key) > *max) {
        *max = GPOINTER_TO_UINT(key);
    }
}

/*
 * Destroy everything leaf-first, as closing the kernel's iommufd does: in
 * rounds, every object no other object uses; destroying one drops the
 * references it holds, which frees the next round.  A round that finds
 * nothing while objects remain means a reference was never dropped (a bug):
 * then the newest object goes regardless, so that teardown always ends.
 */
static void ctx_destroy_objects(MockCtx *ctx)
{
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(uint32_t));

    while (g_hash_table_size(ctx->objects)) {
        g_array_set_size(ids, 0);
        g_hash_table_foreach(ctx->objects, collect_unused, ids);
        if (!ids->len) {
            uint32_t max = 0;

            g_hash_table_foreach(ctx->objects, find_highest, &max);
            MockObj *obj = g_hash_table_lookup(ctx->objects, GUINT_TO_POINTER(max));
            obj->users = 0;
            g_array_append_val(ids, max);
        }
        for (guint i = 0; i < ids->len; i++) {
            /* an earlier destroy may have removed it (or freed its users) */
            MockObj *obj = g_hash_table_lookup(ctx->objects,
                                               GUINT_TO_POINTER(g_array_index(ids, uint32_t, i)));
            if (obj && obj->users <= 0) {
                mock_obj_remove(obj);
            }
        }
    }
    g_array_free(ids, TRUE);
}

void mock_ctx_put(MockCtx *ctx)
{
    if (!ctx || --ctx->refs > 0) {
        return;
    }
    ctx_destroy_objects(ctx);
    all_ctxs = g_list_remove(all_ctxs, ctx);
    g_hash_table_destroy(ctx->objects);
    g_tree_destroy(ctx->free_ids);
    if (ctx->mmap_regions) {
        g_hash_table_destroy(ctx->mmap_regions);
    }
    free(ctx);
    atomic_fetch_sub(&live_ctxs, 1);
}

/*
 * Ids as the kernel's xarray (XA_FLAGS_ALLOC1, xa_limit_31b) hands them out:
 * the lowest free id in 1..INT32_MAX, so an id is never shared by two live
 * objects but is reused after a destroy.  free_ids holds the free ids below
 * next_id.
 */
static int id_alloc(MockCtx *ctx, uint32_t *id)
{
    GTreeNode *first = g_tree_node_first(ctx->free_ids);

    if (first) {
        *id = GPOINTER_TO_UINT(g_tree_node_key(first));
        g_tree_remove(ctx->free_ids, GUINT_TO_POINTER(*id));
        return 0;
    }
    if (ctx->next_id > INT32_MAX) {
        return -ENOSPC;
    }
    *id = ctx->next_id++;
    return 0;
}

static void id_free(MockCtx *ctx, uint32_t id)
{
    if (id + 1 == ctx->next_id) {
        ctx->next_id--;
        /* fold free ids at the top back into next_id */
        for (;;) {
            GTreeNode *last = g_tree_node_last(ctx->free_ids);
            uint32_t top;

            if (!last) {
                break;
            }
            top = GPOINTER_TO_UINT(g_tree_node_key(last));
            if (top + 1 != ctx->next_id) {
                break;
            }
            g_tree_remove(ctx->free_ids, GUINT_TO_POINTER(top));
            ctx->next_id--;
        }
    } else {
        g_tree_insert(ctx->free_ids, GUINT_TO_POINTER(id), GUINT_TO_POINTER(id));
    }
}

void *mock_obj_alloc(MockCtx *ctx, MockObjType type, size_t size, MockObjDestroyFn destroy,
                     int *err)
{
    MockObj *obj;
    uint32_t id;
    int rc;

    if (size < sizeof(MockObj)) {
        size = sizeof(MockObj);
    }
    rc = id_alloc(ctx, &id);
    if (rc) {
        *err = rc;
        return NULL;
    }
    obj = calloc(1, size);
    if (!obj) {
        id_free(ctx, id);
        *err = -ENOMEM;
        return NULL;
    }
    obj->type = type;
    obj->id = id;
    obj->ctx = ctx;
    obj->destroy = destroy;
    g_hash_table_insert(ctx->objects, GUINT_TO_POINTER(id), obj);
    atomic_fetch_add(&live_objects, 1);
    return obj;
}

MockObj *mock_obj_find(MockCtx *ctx, uint32_t id, MockObjType type)
{
    MockObj *obj;

    if (!ctx || !id) {
        return NULL;
    }
    obj = g_hash_table_lookup(ctx->objects, GUINT_TO_POINTER(id));
    if (!obj || (type && obj->type != type)) {
        return NULL;
    }
    return obj;
}

MockObj *mock_obj_find_hwpt(MockCtx *ctx, uint32_t id)
{
    MockObj *obj = mock_obj_find(ctx, id, 0);

    if (obj && (obj->type == MOCK_OBJ_HWPT_PAGING || obj->type == MOCK_OBJ_HWPT_NESTED)) {
        return obj;
    }
    return NULL;
}

/* Out of the table first (as xa_erase), so that destroy never finds it. */
void mock_obj_remove(MockObj *obj)
{
    MockCtx *ctx = obj->ctx;

    g_hash_table_remove(ctx->objects, GUINT_TO_POINTER(obj->id));
    id_free(ctx, obj->id);
    if (obj->destroy) {
        obj->destroy(obj);
    }
    free(obj);
    atomic_fetch_sub(&live_objects, 1);
}

unsigned mock_ctx_count_objects(MockCtx *ctx, MockObjType type)
{
    GHashTableIter it;
    gpointer value;
    unsigned n = 0;

    if (!type) {
        return g_hash_table_size(ctx->objects);
    }
    g_hash_table_iter_init(&it, ctx->objects);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        n += ((MockObj *)value)->type == type;
    }
    return n;
}

/* IOMMU_DESTROY: any object by id; users (other objects, fds) make it EBUSY. */
static int mock_destroy(MockCtx *ctx, void *cmd)
{
    struct iommu_destroy *c = cmd;
    MockObj *obj = mock_obj_find(ctx, c->id, 0);

    if (!obj) {
        return -ENOENT;
    }
    if (obj->users > 0) {
        return -EBUSY;
    }
    mock_obj_remove(obj);
    return 0;
}

/* ---- the dispatcher ------------------------------------------------------- */

enum {
    OP_NEWEST = 1 << 0,          /* absent from 6.12: ENOTTY there */
    OP_RESPOND = 1 << 1,         /* copy the struct back on success */
    OP_RESPOND_EMSGSIZE = 1 << 2, /* ... and on -EMSGSIZE (IOVA_RANGES) */
    OP_RESPOND_ALWAYS = 1 << 3,  /* ... and on any failure (INVALIDATE's entry_num) */
    OP_RESPOND_VAL64 = 1 << 4,   /* only val64, on success (OPTION) */
    OP_RESPOND_GET = 1 << 5,     /* on success when op is GET (VFIO_IOAS) */
};

typedef struct MockOp {
    uint32_t cmd;                /* the full ioctl number */
    uint32_t size;               /* the kernel's struct size */
    uint32_t min_size;           /* offsetofend of the oldest layout's last member */
    MockIoctlFn fn;
    unsigned flags;
} MockOp;

#define OP(nr, num, type, last, handler, fl) \
    [(nr) - IOMMUFD_CMD_BASE] = { (num), sizeof(struct type), offsetofend(struct type, last), \
                                  (handler), (fl) }

/* Indexed by nr - 0x80 up to IOMMU_TEST_CMD (0xa0): the kernel's table with
 * CONFIG_IOMMUFD_TEST; the holes answer ENOTTY after reading `size`. */
static const MockOp mock_ops[0xa0 - IOMMUFD_CMD_BASE + 1] = {
    OP(0x80, IOMMU_DESTROY, iommu_destroy, id, mock_destroy, 0),
    OP(0x81, IOMMU_IOAS_ALLOC, iommu_ioas_alloc, out_ioas_id, mock_ioas_alloc, OP_RESPOND),
    OP(0x82, IOMMU_IOAS_ALLOW_IOVAS, iommu_ioas_allow_iovas, allowed_iovas,
       mock_ioas_allow_iovas, 0),
    OP(0x83, IOMMU_IOAS_COPY, iommu_ioas_copy, src_iova, mock_ioas_copy, OP_RESPOND),
    OP(0x84, IOMMU_IOAS_IOVA_RANGES, iommu_ioas_iova_ranges, out_iova_alignment,
       mock_ioas_iova_ranges, OP_RESPOND | OP_RESPOND_EMSGSIZE),
    OP(0x85, IOMMU_IOAS_MAP, iommu_ioas_map, iova, mock_ioas_map, OP_RESPOND),
    OP(0x86, IOMMU_IOAS_UNMAP, iommu_ioas_unmap, length, mock_ioas_unmap, OP_RESPOND),
    OP(0x87, IOMMU_OPTION, iommu_option, val64, mock_option, OP_RESPOND_VAL64),
    OP(0x88, IOMMU_VFIO_IOAS, iommu_vfio_ioas, __reserved, mock_vfio_ioas, OP_RESPOND_GET),
    OP(0x89, IOMMU_HWPT_ALLOC, iommu_hwpt_alloc, __reserved, mock_hwpt_alloc, OP_RESPOND),
    OP(0x8a, IOMMU_GET_HW_INFO, iommu_hw_info, __reserved, mock_get_hw_info, OP_RESPOND),
    OP(0x8b, IOMMU_HWPT_SET_DIRTY_TRACKING, iommu_hwpt_set_dirty_tracking, __reserved,
       mock_hwpt_set_dirty_tracking, 0),
    OP(0x8c, IOMMU_HWPT_GET_DIRTY_BITMAP, iommu_hwpt_get_dirty_bitmap, data,
       mock_hwpt_get_dirty_bitmap, 0),
    OP(0x8d, IOMMU_HWPT_INVALIDATE, iommu_hwpt_invalidate, __reserved, mock_hwpt_invalidate,
       OP_RESPOND | OP_RESPOND_ALWAYS),
    OP(0x8e, IOMMU_FAULT_QUEUE_ALLOC, iommu_fault_alloc, out_fault_fd, mock_fault_alloc,
       OP_RESPOND),
    OP(0x8f, IOMMU_IOAS_MAP_FILE, iommu_ioas_map_file, iova, mock_ioas_map_file,
       OP_NEWEST | OP_RESPOND),
    OP(0x90, IOMMU_VIOMMU_ALLOC, iommu_viommu_alloc, out_viommu_id, mock_viommu_alloc,
       OP_NEWEST | OP_RESPOND),
    OP(0x91, IOMMU_VDEVICE_ALLOC, iommu_vdevice_alloc, virt_id, mock_vdevice_alloc,
       OP_NEWEST | OP_RESPOND),
    OP(0x92, IOMMU_IOAS_CHANGE_PROCESS, iommu_ioas_change_process, __reserved,
       mock_ioas_change_process, OP_NEWEST),
    OP(0x93, IOMMU_VEVENTQ_ALLOC, iommu_veventq_alloc, out_veventq_fd, mock_veventq_alloc,
       OP_NEWEST | OP_RESPOND),
    OP(0x94, IOMMU_HW_QUEUE_ALLOC, iommu_hw_queue_alloc, length, mock_hw_queue_alloc,
       OP_NEWEST | OP_RESPOND),
    OP(0xa0, IOMMU_TEST_CMD, iommu_test_cmd, last, mock_test_cmd, OP_RESPOND),
};

int mock_copy_struct_from_user(void *dst, size_t ksize, uint64_t src, size_t usize)
{
    memset(dst, 0, ksize);
    if (usize > ksize) {
        uint8_t chunk[256];

        for (uint64_t off = ksize; off < usize;) {
            size_t n = usize - off < sizeof(chunk) ? usize - off : sizeof(chunk);

            if (mock_copy_from_user(chunk, src + off, n)) {
                return -EFAULT;
            }
            for (size_t i = 0; i < n; i++) {
                if (chunk[i]) {
                    return -E2BIG;
                }
            }
            off += n;
        }
    }
    return mock_copy_from_user(dst, src, usize < ksize ? usize : ksize) ? -EFAULT : 0;
}

uint64_t mock_page_size(void)
{
    static _Atomic uint64_t ps;
    uint64_t v = atomic_load_explicit(&ps, memory_order_relaxed);

    if (!v) {
        long s = sysconf(_SC_PAGESIZE);

        v = s > 0 ? (uint64_t)s : 4096;
        atomic_store_explicit(&ps, v, memory_order_relaxed);
    }
    return v;
}

/*
 * An ioctl on a /dev/iommu fd, in the kernel's order: numbers outside the
 * table go to the VFIO type1 compatibility layer (which answers ENOTTY for
 * anything else) without reading the argument; then `size` is read (EFAULT),
 * then the command looked up (ENOTTY for a hole, another encoding of the
 * number, or a command the model lacks), then size < min_size (EINVAL), then
 * the struct copied (E2BIG / EFAULT).  The reply is min(user size, kernel
 * size) bytes.  Returns >= 0 (what ioctl() returns) or -errno.
 */
int mock_ctx_ioctl(MockCtx *ctx, uint32_t cmd, uint64_t arg)
{
    union {
        uint8_t bytes[256];
        uint64_t align;
    } buf;
    unsigned nr = _IOC_NR(cmd);
    const MockOp *op;
    uint32_t usize;
    size_t reply;
    int rc;

    if (nr < IOMMUFD_CMD_BASE || nr - IOMMUFD_CMD_BASE >= G_N_ELEMENTS(mock_ops)) {
        return mock_vfio_compat_ioctl(ctx, cmd, arg);
    }
    if (mock_copy_from_user(&usize, arg, sizeof(usize))) {
        return -EFAULT;
    }
    op = &mock_ops[nr - IOMMUFD_CMD_BASE];
    if (!op->fn || op->cmd != cmd || ((op->flags & OP_NEWEST) && ctx->model == MOCK_MODEL_6_12)) {
        return -ENOTTY;
    }
    if (usize < op->min_size) {
        return -EINVAL;
    }
    memset(&buf, 0, sizeof(buf));
    rc = mock_copy_struct_from_user(buf.bytes, op->size, arg, usize);
    if (rc) {
        return rc;
    }
    reply = usize < op->size ? usize : op->size;
    /*
     * The kernel undoes a command whose reply cannot be written (the object
     * is destroyed, the fd never installed).  Writing the caller's own bytes
     * back first proves the reply will fit, so that nothing is done when it
     * would not.
     */
    bool responds = (op->flags & OP_RESPOND) ||
                    ((op->flags & OP_RESPOND_GET) &&
                     ((struct iommu_vfio_ioas *)buf.bytes)->op == IOMMU_VFIO_IOAS_GET);
    if (responds && mock_copy_to_user(arg, buf.bytes, reply)) {
        return -EFAULT;
    }
    rc = op->fn(ctx, buf.bytes);
    if (op->flags & OP_RESPOND_VAL64) {
        if (!rc && mock_copy_to_user(arg + offsetof(struct iommu_option, val64),
                                     buf.bytes + offsetof(struct iommu_option, val64),
                                     sizeof(uint64_t))) {
            rc = -EFAULT;
        }
        return rc;
    }
    if (op->flags & OP_RESPOND_GET) {
        struct iommu_vfio_ioas *v = (struct iommu_vfio_ioas *)buf.bytes;

        if (!rc && v->op == IOMMU_VFIO_IOAS_GET && mock_copy_to_user(arg, buf.bytes, reply)) {
            rc = -EFAULT;
        }
        return rc;
    }
    if ((op->flags & OP_RESPOND) &&
        (rc >= 0 || (op->flags & OP_RESPOND_ALWAYS) ||
         (rc == -EMSGSIZE && (op->flags & OP_RESPOND_EMSGSIZE)))) {
        if (mock_copy_to_user(arg, buf.bytes, reply) && rc >= 0) {
            rc = -EFAULT;
        }
    }
    return rc;
}

/* ---- fixtures API ----------------------------------------------------------- */

IOMMUFD_MOCK_API int iommufd_mock_count_objects(int iommufd)
{
    MockFile *f;
    int rc;

    mock_ensure_init();
    pthread_mutex_lock(&mock_lock);
    f = mock_fd_lookup(iommufd);
    if (!f) {
        rc = -EBADF;
    } else if (f->kind != MOCK_FILE_CTX || !f->ctx) {
        rc = -EINVAL;
    } else {
        rc = (int)mock_ctx_count_objects(f->ctx, 0);
    }
    pthread_mutex_unlock(&mock_lock);
    return rc;
}

IOMMUFD_MOCK_API unsigned iommufd_mock_count_fds(void)
{
    return mock_live_fds();
}

IOMMUFD_MOCK_API bool iommufd_mock_is_mock_fd(int fd)
{
    return mock_fd_lookup(fd) != NULL;
}
