/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiommufd-mock: the interposed libc entry points, the fd table and the
 * lazy start-up.
 *
 * Every interposed function first asks the fd table whether its fd is one of
 * the mock's.  That question costs one atomic load while the process has no
 * mock fd (and two otherwise), takes no lock and allocates nothing, because it
 * is asked for every read() and write() of the process, signal handlers
 * included.  Only a mock fd takes the slow path: mock_lock, a second lookup
 * under the lock (the fd may have been closed meanwhile), then the handler of
 * the file's kind.
 *
 * The real libc functions are found with dlsym(RTLD_NEXT) in our constructor
 * and again at start-up.  Until then (other libraries' constructors run before
 * ours and may already open and read files) the raw system calls stand in.
 *
 * The entry points are defined under C names of their own with asm labels
 * carrying the libc names: the build's -D_FILE_OFFSET_BITS=64 (meson's
 * default) renames open to open64, mmap to mmap64 and fcntl to fcntl64 in the
 * headers, which would otherwise make two definitions of one symbol.
 *
 * fork(): pthread_atfork takes mock_lock around fork so that the child gets
 * consistent state.  The child then has its own copy of every context, object
 * and fd entry, and the real fds underneath are shared with the parent: the
 * mock fds keep working in the child, but what the child does to a context
 * (map, destroy, read a fault, close the last fd) is not seen by the parent
 * and vice versa, where the kernel shares one context between both processes.
 */
#include "mock-internal.h"

#include <iommufd/mock.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define EXPORT __attribute__((visibility("default")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* O_CREAT or O_TMPFILE: the only flags with which open reads a mode. */
#define OPEN_NEEDS_MODE(fl) (((fl) & O_CREAT) || ((fl) & O_TMPFILE) == O_TMPFILE)

/* glibc's fortify failure: prints "buffer overflow detected" and aborts. */
extern void __chk_fail(void) __attribute__((noreturn));

/* ---- the real functions -------------------------------------------------- */

typedef int (*open_fn)(const char *, int, ...);
typedef int (*open2_fn)(const char *, int);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*openat2_fn)(int, const char *, int);
typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef ssize_t (*read_fn)(int, void *, size_t);
typedef ssize_t (*pread_fn)(int, void *, size_t, __off64_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef int (*close_fn)(int);
typedef int (*close_range_fn)(unsigned, unsigned, int);
typedef void (*closefrom_fn)(int);
typedef int (*dup_fn)(int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);
typedef int (*fcntl_fn)(int, int, ...);
typedef void *(*mmap_fn)(void *, size_t, int, int, int, __off_t);
typedef void *(*mmap64_fn)(void *, size_t, int, int, int, __off64_t);
typedef int (*munmap_fn)(void *, size_t);

/* Written once each (always the same value), read without the lock. */
static struct {
    open_fn open, open64;
    open2_fn open_2, open64_2;
    openat_fn openat, openat64;
    openat2_fn openat_2, openat64_2;
    ioctl_fn ioctl;
    read_fn read;
    pread_fn pread64;
    write_fn write;
    close_fn close;
    close_range_fn close_range;
    closefrom_fn closefrom;
    dup_fn dup;
    dup2_fn dup2;
    dup3_fn dup3;
    fcntl_fn fcntl, fcntl64;
    mmap_fn mmap;
    mmap64_fn mmap64;
    munmap_fn munmap;
} real;

#define REAL(name) __atomic_load_n(&real.name, __ATOMIC_ACQUIRE)
#define RESOLVE(field, sym) \
    __atomic_store_n(&real.field, (__typeof__(real.field))dlsym(RTLD_NEXT, sym), __ATOMIC_RELEASE)

/*
 * Once per process; a thread that arrives while another resolves (or dlsym
 * calling back into us) keeps using the system calls meanwhile.
 */
static void resolve_real(void)
{
    static _Atomic int state;   /* 0 not yet, 1 resolving, 2 done */
    int expected = 0;

    if (!atomic_compare_exchange_strong(&state, &expected, 1)) {
        return;
    }
    RESOLVE(open, "open");
    RESOLVE(open64, "open64");
    RESOLVE(open_2, "__open_2");
    RESOLVE(open64_2, "__open64_2");
    RESOLVE(openat, "openat");
    RESOLVE(openat64, "openat64");
    RESOLVE(openat_2, "__openat_2");
    RESOLVE(openat64_2, "__openat64_2");
    RESOLVE(ioctl, "ioctl");
    RESOLVE(read, "read");
    RESOLVE(pread64, "pread64");
    RESOLVE(write, "write");
    RESOLVE(close, "close");
    RESOLVE(close_range, "close_range");
    RESOLVE(closefrom, "closefrom");
    RESOLVE(dup, "dup");
    RESOLVE(dup2, "dup2");
    RESOLVE(dup3, "dup3");
    RESOLVE(fcntl, "fcntl");
    RESOLVE(fcntl64, "fcntl64");
    RESOLVE(mmap, "mmap");
    RESOLVE(mmap64, "mmap64");
    RESOLVE(munmap, "munmap");
    atomic_store(&state, 2);
}

static ssize_t real_read(int fd, void *buf, size_t n)
{
    read_fn fn = REAL(read);

    return fn ? fn(fd, buf, n) : syscall(SYS_read, fd, buf, n);
}

static ssize_t real_pread64(int fd, void *buf, size_t n, __off64_t off)
{
    pread_fn fn = REAL(pread64);

    return fn ? fn(fd, buf, n, off) : syscall(SYS_pread64, fd, buf, n, off);
}

static ssize_t real_write(int fd, const void *buf, size_t n)
{
    write_fn fn = REAL(write);

    return fn ? fn(fd, buf, n) : syscall(SYS_write, fd, buf, n);
}

static int real_close(int fd)
{
    close_fn fn = REAL(close);

    return fn ? fn(fd) : (int)syscall(SYS_close, fd);
}

static int real_ioctl(int fd, unsigned long req, void *arg)
{
    ioctl_fn fn = REAL(ioctl);

    return fn ? fn(fd, req, arg) : (int)syscall(SYS_ioctl, fd, req, arg);
}

static int real_fcntl(int fd, int cmd, void *arg, bool is64)
{
    fcntl_fn fn = is64 ? REAL(fcntl64) : REAL(fcntl);

    if (!fn && is64) {
        fn = REAL(fcntl);
    }
#ifdef SYS_fcntl64
    return fn ? fn(fd, cmd, arg) : (int)syscall(SYS_fcntl64, fd, cmd, arg);
#else
    return fn ? fn(fd, cmd, arg) : (int)syscall(SYS_fcntl, fd, cmd, arg);
#endif
}

static int real_dup(int fd)
{
    dup_fn fn = REAL(dup);

    return fn ? fn(fd) : (int)syscall(SYS_dup, fd);
}

static int real_dup2(int oldfd, int newfd)
{
    dup2_fn fn = REAL(dup2);

    if (fn) {
        return fn(oldfd, newfd);
    }
#ifdef SYS_dup2
    return (int)syscall(SYS_dup2, oldfd, newfd);
#else
    if (oldfd == newfd) {
        return (int)syscall(SYS_fcntl, oldfd, F_GETFD) < 0 ? -1 : newfd;
    }
    return (int)syscall(SYS_dup3, oldfd, newfd, 0);
#endif
}

static int real_dup3(int oldfd, int newfd, int flags)
{
    dup3_fn fn = REAL(dup3);

    return fn ? fn(oldfd, newfd, flags) : (int)syscall(SYS_dup3, oldfd, newfd, flags);
}

static int real_close_range(unsigned first, unsigned last, int flags)
{
    close_range_fn fn = REAL(close_range);

    return fn ? fn(first, last, flags) : (int)syscall(SYS_close_range, first, last, flags);
}

static void *real_mmap(void *addr, size_t len, int prot, int flags, int fd, __off64_t off,
                       bool is64)
{
    if (is64) {
        mmap64_fn fn = REAL(mmap64);
        if (fn) {
            return fn(addr, len, prot, flags, fd, off);
        }
    } else {
        mmap_fn fn = REAL(mmap);
        if (fn) {
            return fn(addr, len, prot, flags, fd, (__off_t)off);
        }
    }
#ifdef SYS_mmap2
    if (off & 4095) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    return (void *)syscall(SYS_mmap2, addr, len, prot, flags, fd, (unsigned long)(off >> 12));
#else
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
#endif
}

int mock_real_close(int fd)
{
    return real_close(fd);
}

ssize_t mock_real_read(int fd, void *buf, size_t n)
{
    return real_read(fd, buf, n);
}

ssize_t mock_real_write(int fd, const void *buf, size_t n)
{
    return real_write(fd, buf, n);
}

/* ---- the fd table -------------------------------------------------------- */

static _Atomic(MockFile *) fd_table[MOCK_MAX_FDS];
/* Entries in fd_table: while 0, a lookup is this one load. */
static _Atomic unsigned live_fds;
/* The highest fd ever installed: bounds the scans of the table. */
static _Atomic int fd_high = -1;

MockFile *mock_fd_lookup(int fd)
{
    if (likely(atomic_load_explicit(&live_fds, memory_order_acquire) == 0)) {
        return NULL;
    }
    if ((unsigned)fd >= MOCK_MAX_FDS) {
        return NULL;
    }
    return atomic_load_explicit(&fd_table[fd], memory_order_acquire);
}

unsigned mock_live_fds(void)
{
    return atomic_load(&live_fds);
}

/* Under mock_lock.  The caller counted the reference (refs) this fd holds.
 * An entry already there is stale (its fd was closed behind the mock's back,
 * by a raw system call) and loses its reference. */
void mock_fd_install(int fd, MockFile *f)
{
    MockFile *old;

    if ((unsigned)fd >= MOCK_MAX_FDS) {
        return;
    }
    if (fd > atomic_load(&fd_high)) {
        atomic_store(&fd_high, fd);
    }
    /* count first, so that a reader who finds the entry also passes the count */
    atomic_fetch_add(&live_fds, 1);
    old = atomic_exchange(&fd_table[fd], f);
    if (old) {
        atomic_fetch_sub(&live_fds, 1);
        if (old != f) {
            mock_file_put(old);
        }
    }
}

/*
 * Under mock_lock.  Takes the fd out of the table (the reference it held is
 * the caller's to drop).  A FAULT file's notify_fd is the caller's eventfd
 * itself: when that fd number goes while dups of it remain, one of the dups
 * becomes notify_fd, so that the mock keeps signalling a live fd.
 */
void mock_fd_remove(int fd)
{
    MockFile *f;

    if ((unsigned)fd >= MOCK_MAX_FDS) {
        return;
    }
    f = atomic_exchange(&fd_table[fd], NULL);
    if (!f) {
        return;
    }
    atomic_fetch_sub(&live_fds, 1);
    if (f->kind == MOCK_FILE_FAULT && f->notify_fd == fd) {
        int high = atomic_load(&fd_high);

        for (int i = 0; i <= high; i++) {
            if (atomic_load_explicit(&fd_table[i], memory_order_relaxed) == f) {
                f->notify_fd = i;
                break;
            }
        }
    }
}

MockFile *mock_file_new(MockFileKind kind, int realfd)
{
    MockFile *f;

    if (realfd < 0 || realfd >= MOCK_MAX_FDS) {
        return NULL;
    }
    f = calloc(1, sizeof(*f));
    if (!f) {
        return NULL;
    }
    f->kind = kind;
    f->refs = 1;
    f->notify_fd = -1;
    f->flags = O_RDWR;          /* the kernel's anon-inode fds are O_RDWR */
    struct stat st;
    if (syscall(SYS_fstat, realfd, &st) == 0) {
        f->real_dev = (uint64_t)st.st_dev;
        f->real_ino = (uint64_t)st.st_ino;
    }
    mock_fd_install(realfd, f);
    return f;
}

/*
 * The slow paths' lookup, under mock_lock: the entry of `fd`, unless it is
 * stale.  An fd the mock handed out can be closed where the mock does not
 * see it (a raw close syscall, an fd closed on exec in a child), and its
 * number reused by a creator the mock does not interpose (eventfd(2),
 * socket(2), pipe2(2), ...): serving that fd would hijack another library's
 * file, e.g. GLib's wake-up eventfd.  One fstat per mock operation proves
 * the fd still names the object the entry was made for.
 */
static MockFile *lookup_valid(int fd)
{
    MockFile *f = mock_fd_lookup(fd);
    struct stat st;

    if (!f) {
        return NULL;
    }
    if (syscall(SYS_fstat, fd, &st) == 0 && (uint64_t)st.st_dev == f->real_dev &&
        (uint64_t)st.st_ino == f->real_ino) {
        return f;
    }
    mock_fd_remove(fd);
    mock_file_put(f);
    return NULL;
}

void mock_file_put(MockFile *f)
{
    if (!f || --f->refs > 0) {
        return;
    }
    if (f->release) {
        f->release(f);
    }
    if (f->obj) {
        f->obj->users--;
    }
    if (f->kind == MOCK_FILE_VEVENTQ && f->notify_fd >= 0) {
        real_close(f->notify_fd);
    }
    if (f->ctx) {
        mock_ctx_put(f->ctx);
    }
    free(f);
}

/* ---- start-up and the lock ---------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static atomic_bool init_done;
/* The thread running do_init: the fixture functions it calls call
 * mock_ensure_init() again, which must not wait for itself. */
static _Thread_local bool in_init;

static void do_init(void)
{
    const char *s;

    in_init = true;
    resolve_real();
    s = getenv("IOMMUFD_MOCK_KERNEL");
    /* An unknown value keeps the default (newest): nothing to report it to. */
    if (s && !strcmp(s, "6.12")) {
        iommufd_mock_set_kernel(IOMMUFD_MOCK_KERNEL_6_12);
    } else if (s && !strcmp(s, "newest")) {
        iommufd_mock_set_kernel(IOMMUFD_MOCK_KERNEL_NEWEST);
    }
    s = getenv("IOMMUFD_MOCK_DEVICES");
    if (s && *s) {
        char *end;
        unsigned long n;

        errno = 0;
        n = strtoul(s, &end, 10);
        if (!errno && !*end && n <= 4096) {
            for (unsigned long i = 0; i < n; i++) {
                char path[PATH_MAX];

                if (iommufd_mock_add_device(0, path, sizeof(path)) < 0) {
                    break;
                }
            }
        }
    }
    atomic_store_explicit(&init_done, true, memory_order_release);
    in_init = false;
}

void mock_ensure_init(void)
{
    int saved;

    if (likely(atomic_load_explicit(&init_done, memory_order_acquire)) || in_init) {
        return;
    }
    saved = errno;
    pthread_once(&init_once, do_init);
    errno = saved;
}

static void fork_prepare(void)
{
    pthread_mutex_lock(&mock_lock);
}

static void fork_parent(void)
{
    pthread_mutex_unlock(&mock_lock);
}

/*
 * The forking thread is the child's only thread and holds the lock, but under
 * the parent's thread id, so that a recursive mutex refuses its unlock
 * (EPERM): the child starts with a fresh, unlocked one instead.
 */
static void fork_child(void)
{
    static const pthread_mutex_t fresh = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

    memcpy(&mock_lock, &fresh, sizeof(fresh));
}

__attribute__((constructor)) static void mock_interpose_ctor(void)
{
    resolve_real();
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/*
 * The slow path of every entry point: no cancellation while mock_lock is held
 * (real close/read/write inside handlers are cancellation points).
 */
typedef struct {
    int cancel_state;
} MockSection;

static void mock_enter(MockSection *s)
{
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &s->cancel_state);
    pthread_mutex_lock(&mock_lock);
}

static void mock_leave(MockSection *s)
{
    pthread_mutex_unlock(&mock_lock);
    pthread_setcancelstate(s->cancel_state, NULL);
}

/* A return value of the kernel's kind (>= 0 or -errno) as libc returns it. */
static long set_errno(long rc)
{
    if (rc < 0) {
        errno = (int)-rc;
        return -1;
    }
    return rc;
}

/* ---- open ---------------------------------------------------------------- */

enum {
    OPEN_PLAIN,
    OPEN_64,
    OPEN_2,
    OPEN64_2,
    OPENAT,
    OPENAT_64,
    OPENAT_2,
    OPENAT64_2,
};

static int real_open(int which, int dirfd, const char *path, int flags, mode_t mode)
{
    switch (which) {
    case OPEN_PLAIN:
        if (REAL(open)) {
            return REAL(open)(path, flags, mode);
        }
        break;
    case OPEN_64:
        if (REAL(open64)) {
            return REAL(open64)(path, flags, mode);
        }
        break;
    case OPEN_2:
        if (REAL(open_2)) {
            return REAL(open_2)(path, flags);
        }
        break;
    case OPEN64_2:
        if (REAL(open64_2)) {
            return REAL(open64_2)(path, flags);
        }
        break;
    case OPENAT:
        if (REAL(openat)) {
            return REAL(openat)(dirfd, path, flags, mode);
        }
        break;
    case OPENAT_64:
        if (REAL(openat64)) {
            return REAL(openat64)(dirfd, path, flags, mode);
        }
        break;
    case OPENAT_2:
        if (REAL(openat_2)) {
            return REAL(openat_2)(dirfd, path, flags);
        }
        break;
    case OPENAT64_2:
        if (REAL(openat64_2)) {
            return REAL(openat64_2)(dirfd, path, flags);
        }
        break;
    }
    if (which < OPENAT) {
        dirfd = AT_FDCWD;
    }
#ifdef O_LARGEFILE
    if (which != OPEN_PLAIN && which != OPEN_2 && which != OPENAT && which != OPENAT_2) {
        flags |= O_LARGEFILE;
    }
#endif
    return (int)syscall(SYS_openat, dirfd, path, flags, mode);
}

/* A new real fd that still has a table entry: its old fd was closed behind
 * the mock's back.  Forget the entry. */
static void drop_stale(int fd)
{
    MockSection s;
    MockFile *f;
    int saved = errno;

    mock_enter(&s);
    f = mock_fd_lookup(fd);
    if (f) {
        mock_fd_remove(fd);
        mock_file_put(f);
    }
    mock_leave(&s);
    errno = saved;
}

static int open_ctx(int flags)
{
    MockSection s;
    MockCtx *ctx;
    MockFile *f;
    int fd, err;

    /* the node exists and is a character device */
    if (flags & O_DIRECTORY) {
        errno = ENOTDIR;
        return -1;
    }
    if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
        errno = EEXIST;
        return -1;
    }
    mock_enter(&s);
    /* A memfd: a real, mmap-able object with the lowest free fd number. */
    fd = memfd_create("iommufd-mock", (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
    if (fd < 0) {
        err = errno;
        mock_leave(&s);
        errno = err;
        return -1;
    }
    if (flags & O_NONBLOCK) {
        real_fcntl(fd, F_SETFL, (void *)(intptr_t)O_NONBLOCK, false);
    }
    ctx = mock_ctx_new();
    f = ctx ? mock_file_new(MOCK_FILE_CTX, fd) : NULL;
    if (!f) {
        err = fd >= MOCK_MAX_FDS ? EMFILE : ENOMEM;
        mock_ctx_put(ctx);
        real_close(fd);
        mock_leave(&s);
        errno = err;
        return -1;
    }
    f->ctx = ctx;
    f->flags = flags & (O_ACCMODE | O_NONBLOCK);
    mock_leave(&s);
    return fd;
}

static int open_vfio(const char *path, int flags)
{
    MockSection s;
    int realfd = -1, rc;

    mock_enter(&s);
    rc = mock_vfio_open(path, flags, &realfd);
    mock_leave(&s);
    if (rc < 0) {
        errno = -rc;
        return -1;
    }
    return realfd >= 0 ? realfd : rc;
}

static int do_open(int which, int dirfd, const char *path, int flags, mode_t mode)
{
    const char *p = path;
    int fd;

    /* open(NULL) is EFAULT from the kernel, not a crash here (the headers
     * declare path nonnull: hide the test from the optimiser) */
    __asm__("" : "+r"(p));
    if ((uintptr_t)p >= 4096 && p[0] == '/' && !(flags & O_PATH)) {
        if (!strcmp(p, "/dev/iommu")) {
            mock_ensure_init();
            return open_ctx(flags);
        }
        mock_ensure_init();
        if (mock_vfio_is_mock_path(p)) {
            return open_vfio(p, flags);
        }
    }
    fd = real_open(which, dirfd, path, flags, mode);
    if (unlikely(fd >= 0 && mock_fd_lookup(fd))) {
        drop_stale(fd);
    }
    return fd;
}

EXPORT int mif_open(const char *path, int flags, ...) __asm__("open");
EXPORT int mif_open64(const char *path, int flags, ...) __asm__("open64");
EXPORT int mif_open_2(const char *path, int flags) __asm__("__open_2");
EXPORT int mif_open64_2(const char *path, int flags) __asm__("__open64_2");
EXPORT int mif_openat(int dirfd, const char *path, int flags, ...) __asm__("openat");
EXPORT int mif_openat64(int dirfd, const char *path, int flags, ...) __asm__("openat64");
EXPORT int mif_openat_2(int dirfd, const char *path, int flags) __asm__("__openat_2");
EXPORT int mif_openat64_2(int dirfd, const char *path, int flags) __asm__("__openat64_2");

#define OPEN_MODE(flags, last) \
    mode_t mode = 0; \
    if (OPEN_NEEDS_MODE(flags)) { \
        va_list ap; \
        va_start(ap, last); \
        mode = (mode_t)va_arg(ap, int); \
        va_end(ap); \
    }

int mif_open(const char *path, int flags, ...)
{
    OPEN_MODE(flags, flags);
    return do_open(OPEN_PLAIN, AT_FDCWD, path, flags, mode);
}

int mif_open64(const char *path, int flags, ...)
{
    OPEN_MODE(flags, flags);
    return do_open(OPEN_64, AT_FDCWD, path, flags, mode);
}

int mif_openat(int dirfd, const char *path, int flags, ...)
{
    OPEN_MODE(flags, flags);
    return do_open(OPENAT, dirfd, path, flags, mode);
}

int mif_openat64(int dirfd, const char *path, int flags, ...)
{
    OPEN_MODE(flags, flags);
    return do_open(OPENAT_64, dirfd, path, flags, mode);
}

/*
 * The fortified variants, called without a mode: O_CREAT / O_TMPFILE there is
 * glibc's "invalid open call" abort, which the real function gives (it aborts
 * before the system call).
 */
static __attribute__((noreturn)) void open_missing_mode(int which, int dirfd, const char *path,
                                                        int flags)
{
    switch (which) {
    case OPEN_2:
        if (REAL(open_2)) {
            REAL(open_2)(path, flags);
        }
        break;
    case OPEN64_2:
        if (REAL(open64_2)) {
            REAL(open64_2)(path, flags);
        }
        break;
    case OPENAT_2:
        if (REAL(openat_2)) {
            REAL(openat_2)(dirfd, path, flags);
        }
        break;
    default:
        if (REAL(openat64_2)) {
            REAL(openat64_2)(dirfd, path, flags);
        }
        break;
    }
    abort();
}

int mif_open_2(const char *path, int flags)
{
    if (OPEN_NEEDS_MODE(flags)) {
        open_missing_mode(OPEN_2, AT_FDCWD, path, flags);
    }
    return do_open(OPEN_2, AT_FDCWD, path, flags, 0);
}

int mif_open64_2(const char *path, int flags)
{
    if (OPEN_NEEDS_MODE(flags)) {
        open_missing_mode(OPEN64_2, AT_FDCWD, path, flags);
    }
    return do_open(OPEN64_2, AT_FDCWD, path, flags, 0);
}

int mif_openat_2(int dirfd, const char *path, int flags)
{
    if (OPEN_NEEDS_MODE(flags)) {
        open_missing_mode(OPENAT_2, dirfd, path, flags);
    }
    return do_open(OPENAT_2, dirfd, path, flags, 0);
}

int mif_openat64_2(int dirfd, const char *path, int flags)
{
    if (OPEN_NEEDS_MODE(flags)) {
        open_missing_mode(OPENAT64_2, dirfd, path, flags);
    }
    return do_open(OPENAT64_2, dirfd, path, flags, 0);
}

/* ---- ioctl --------------------------------------------------------------- */

EXPORT int mif_ioctl(int fd, unsigned long req, ...) __asm__("ioctl");

static int ioctl_slow(int fd, unsigned long req, void *arg)
{
    /* the kernel's ioctl(2) takes an unsigned int command */
    unsigned int cmd = (unsigned int)req;
    MockSection s;
    MockFile *f;
    long rc;
    int err = 0;

    mock_enter(&s);
    f = lookup_valid(fd);
    if (!f) {
        mock_leave(&s);
        return real_ioctl(fd, req, arg);
    }
    switch (cmd) {
    /* do_vfs_ioctl answers these for every file before the driver's ioctl */
    case FIOCLEX:
    case FIONCLEX:
    case FIOASYNC:
    case FIONBIO:
        rc = real_ioctl(fd, req, arg);
        err = errno;
        if (rc == 0 && cmd == FIONBIO) {
            int fl = real_fcntl(fd, F_GETFL, NULL, false);
            if (fl >= 0) {
                f->flags = (f->flags & ~O_NONBLOCK) | (fl & O_NONBLOCK);
            }
        }
        mock_leave(&s);
        errno = err;
        return (int)rc;
    default:
        break;
    }
    switch (f->kind) {
    case MOCK_FILE_CTX:
        rc = mock_fail_nth_check();
        if (!rc) {
            rc = mock_ctx_ioctl(f->ctx, cmd, (uint64_t)(uintptr_t)arg);
        }
        break;
    case MOCK_FILE_VFIO:
        rc = mock_fail_nth_check();
        if (!rc) {
            rc = mock_vfio_ioctl(f, cmd, (uint64_t)(uintptr_t)arg);
        }
        break;
    default:
        /* the fault, vEVENTQ and selftest access fds have no ioctl */
        rc = -ENOTTY;
        break;
    }
    mock_leave(&s);
    return (int)set_errno(rc);
}

int mif_ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    void *arg;

    va_start(ap, req);
    arg = va_arg(ap, void *);
    va_end(ap);
    if (likely(!mock_fd_lookup(fd))) {
        return real_ioctl(fd, req, arg);
    }
    return ioctl_slow(fd, req, arg);
}

/* ---- read and write ------------------------------------------------------ */

static bool readable(const MockFile *f)
{
    int acc = f->kind == MOCK_FILE_CTX ? (f->flags & O_ACCMODE) : O_RDWR;

    return acc == O_RDONLY || acc == O_RDWR;
}

static bool writable(const MockFile *f)
{
    int acc = f->kind == MOCK_FILE_CTX ? (f->flags & O_ACCMODE) : O_RDWR;

    return acc == O_WRONLY || acc == O_RDWR;
}

/*
 * read(2) and pread(2) of a mock fd.  pread: a negative offset is EINVAL
 * before anything else; the fault and vEVENTQ fds are anon-inode files
 * without FMODE_PREAD, so pread on them is ESPIPE at any offset (as on an
 * eventfd).  /dev/iommu and the VFIO cdev have no read op before bind:
 * EINVAL (EBADF when not opened for reading).
 */
static ssize_t read_slow(int fd, void *buf, size_t n, bool positional, __off64_t off)
{
    MockSection s;
    MockFile *f;
    long rc;

    if (positional && off < 0) {
        errno = EINVAL;
        return -1;
    }
    mock_enter(&s);
    f = lookup_valid(fd);
    if (!f) {
        mock_leave(&s);
        return positional ? real_pread64(fd, buf, n, off) : real_read(fd, buf, n);
    }
    switch (f->kind) {
    case MOCK_FILE_FAULT:
    case MOCK_FILE_VEVENTQ:
        if (positional) {
            rc = -ESPIPE;
            break;
        }
        rc = mock_fail_nth_check();
        if (!rc) {
            rc = f->kind == MOCK_FILE_FAULT ? mock_fault_read(f, buf, n)
                                            : mock_veventq_read(f, buf, n);
        }
        break;
    case MOCK_FILE_ACCESS:
        rc = positional ? -ESPIPE : -EINVAL;
        break;
    case MOCK_FILE_CTX:
        rc = readable(f) ? -EINVAL : -EBADF;
        break;
    default:
        rc = -EINVAL;
        break;
    }
    mock_leave(&s);
    return set_errno(rc);
}

EXPORT ssize_t mif_read(int fd, void *buf, size_t n) __asm__("read");
EXPORT ssize_t mif_read_chk(int fd, void *buf, size_t n, size_t buflen) __asm__("__read_chk");
EXPORT ssize_t mif_pread64(int fd, void *buf, size_t n, __off64_t off) __asm__("pread64");
EXPORT ssize_t mif_write(int fd, const void *buf, size_t n) __asm__("write");

ssize_t mif_read(int fd, void *buf, size_t n)
{
    if (likely(!mock_fd_lookup(fd))) {
        return real_read(fd, buf, n);
    }
    return read_slow(fd, buf, n, false, 0);
}

/* _FORTIFY_SOURCE's read: the buffer-size check stays, as in glibc. */
ssize_t mif_read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    if (n > buflen) {
        __chk_fail();
    }
    if (likely(!mock_fd_lookup(fd))) {
        return real_read(fd, buf, n);
    }
    return read_slow(fd, buf, n, false, 0);
}

ssize_t mif_pread64(int fd, void *buf, size_t n, __off64_t off)
{
    if (likely(!mock_fd_lookup(fd))) {
        return real_pread64(fd, buf, n, off);
    }
    return read_slow(fd, buf, n, true, off);
}

static ssize_t write_slow(int fd, const void *buf, size_t n)
{
    MockSection s;
    MockFile *f;
    long rc;

    mock_enter(&s);
    f = lookup_valid(fd);
    if (!f) {
        mock_leave(&s);
        return real_write(fd, buf, n);
    }
    switch (f->kind) {
    case MOCK_FILE_FAULT:
        rc = mock_fail_nth_check();
        if (!rc) {
            rc = mock_fault_write(f, buf, n);
        }
        break;
    case MOCK_FILE_CTX:
        rc = writable(f) ? -EINVAL : -EBADF;
        break;
    default:
        /* vEVENTQ, access and VFIO (before bind): no write op */
        rc = -EINVAL;
        break;
    }
    mock_leave(&s);
    return set_errno(rc);
}

ssize_t mif_write(int fd, const void *buf, size_t n)
{
    if (likely(!mock_fd_lookup(fd))) {
        return real_write(fd, buf, n);
    }
    return write_slow(fd, buf, n);
}

/* ---- close --------------------------------------------------------------- */

EXPORT int mif_close(int fd) __asm__("close");
EXPORT int mif_close_range(unsigned first, unsigned last, int flags) __asm__("close_range");
EXPORT void mif_closefrom(int lowfd) __asm__("closefrom");

int mif_close(int fd)
{
    MockSection s;
    MockFile *f;
    int rc, err;

    if (likely(!mock_fd_lookup(fd))) {
        return real_close(fd);
    }
    mock_enter(&s);
    f = lookup_valid(fd);
    if (f) {
        /* out of the table before the number is free for others */
        mock_fd_remove(fd);
    }
    rc = real_close(fd);
    err = errno;
    mock_file_put(f);
    mock_leave(&s);
    errno = err;
    return rc;
}

/*
 * The lowest fd in [lo, hi] that the mock uses internally (a vEVENTQ's pipe
 * write end), or -1.  Closing a range must not close those behind the mock's
 * back: the last put of their file closes them.
 */
static long next_internal_fd(unsigned lo, unsigned hi)
{
    int high = atomic_load(&fd_high);
    long best = -1;

    for (int i = 0; i <= high; i++) {
        MockFile *f = atomic_load_explicit(&fd_table[i], memory_order_relaxed);

        if (f && f->kind == MOCK_FILE_VEVENTQ && f->notify_fd >= 0 &&
            (unsigned)f->notify_fd >= lo && (unsigned)f->notify_fd <= hi &&
            (best < 0 || f->notify_fd < best)) {
            best = f->notify_fd;
        }
    }
    return best;
}

/* Close [lo, hi] (hi UINT_MAX: everything from lo, closefrom's way). */
static int close_span(unsigned lo, unsigned hi, int flags, bool from)
{
    if (from && hi == UINT_MAX) {
        closefrom_fn fn = REAL(closefrom);
        if (fn) {
            fn((int)lo);
            return 0;
        }
    }
    return real_close_range(lo, hi, flags);
}

/*
 * close_range / closefrom over a range holding mock fds (mock_lock held):
 * the real call for every part of the range but the mock's internal fds,
 * then the mock fds of the range are released.  CLOSE_RANGE_UNSHARE is
 * treated as a plain close: the mock has one fd table per process, where the
 * kernel gives the calling thread a private copy.
 */
static int close_range_locked(unsigned first, unsigned last, int flags, bool from)
{
    unsigned cur = first;
    int rc = 0, high;

    for (;;) {
        long internal = next_internal_fd(cur, last);

        if (internal < 0) {
            rc = close_span(cur, last, flags, from);
            break;
        }
        if ((unsigned)internal > cur) {
            rc = close_span(cur, (unsigned)internal - 1, flags, false);
            if (rc) {
                break;
            }
        }
        if ((unsigned)internal >= last) {
            break;
        }
        cur = (unsigned)internal + 1;
    }
    high = atomic_load(&fd_high);
    for (unsigned fd = first; (long)fd <= high && fd <= last; fd++) {
        MockFile *f = atomic_load_explicit(&fd_table[fd], memory_order_relaxed);

        /* on a failure part of the range may be closed: keep what is open */
        if (f && (rc == 0 || real_fcntl((int)fd, F_GETFD, NULL, false) < 0)) {
            mock_fd_remove((int)fd);
            mock_file_put(f);
        }
    }
    return rc;
}

int mif_close_range(unsigned first, unsigned last, int flags)
{
    MockSection s;
    int rc, err;

    if (likely(atomic_load_explicit(&live_fds, memory_order_acquire) == 0) ||
        (flags & CLOSE_RANGE_CLOEXEC) ||
        (flags & ~(int)(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) || first > last) {
        /* nothing of ours to close (CLOEXEC only marks the fds) */
        return real_close_range(first, last, flags);
    }
    mock_enter(&s);
    rc = close_range_locked(first, last, flags, false);
    err = errno;
    mock_leave(&s);
    errno = err;
    return rc;
}

void mif_closefrom(int lowfd)
{
    unsigned lo = lowfd < 0 ? 0 : (unsigned)lowfd;
    MockSection s;
    int err;

    if (likely(atomic_load_explicit(&live_fds, memory_order_acquire) == 0)) {
        close_span(lo, UINT_MAX, 0, true);
        return;
    }
    mock_enter(&s);
    close_range_locked(lo, UINT_MAX, 0, true);
    err = errno;
    mock_leave(&s);
    errno = err;
}

/* ---- dup ----------------------------------------------------------------- */

EXPORT int mif_dup(int fd) __asm__("dup");
EXPORT int mif_dup2(int oldfd, int newfd) __asm__("dup2");
EXPORT int mif_dup3(int oldfd, int newfd, int flags) __asm__("dup3");

/* The new fd refers to the same file (mock_lock held).  An fd beyond the
 * table cannot be tracked: it is closed again and the call fails EMFILE. */
static int dup_install(int newfd, MockFile *f)
{
    if (newfd < 0) {
        return newfd;
    }
    if (newfd >= MOCK_MAX_FDS) {
        real_close(newfd);
        errno = EMFILE;
        return -1;
    }
    f->refs++;
    mock_fd_install(newfd, f);
    return newfd;
}

int mif_dup(int fd)
{
    MockSection s;
    MockFile *f;
    int nfd, err;

    if (likely(!mock_fd_lookup(fd))) {
        return real_dup(fd);
    }
    mock_enter(&s);
    f = lookup_valid(fd);
    nfd = real_dup(fd);
    if (f) {
        nfd = dup_install(nfd, f);
    }
    err = errno;
    mock_leave(&s);
    errno = err;
    return nfd;
}

/* dup2 / dup3 where either fd is a mock fd.  A mock fd at newfd is released
 * (the kernel closes it); its entry goes first so that nobody meets it while
 * the number already names the other file. */
static int dup23_slow(int oldfd, int newfd, int flags, bool is3)
{
    MockSection s;
    MockFile *fo, *fn;
    int rc, err;

    mock_enter(&s);
    fo = lookup_valid(oldfd);
    fn = lookup_valid(newfd);
    if (oldfd == newfd) {
        rc = is3 ? real_dup3(oldfd, newfd, flags) : real_dup2(oldfd, newfd);
        err = errno;
        mock_leave(&s);
        errno = err;
        return rc;
    }
    if (fn) {
        mock_fd_remove(newfd);
    }
    rc = is3 ? real_dup3(oldfd, newfd, flags) : real_dup2(oldfd, newfd);
    err = errno;
    if (rc < 0) {
        if (fn) {
            mock_fd_install(newfd, fn);
        }
    } else {
        mock_file_put(fn);
        if (fo) {
            rc = dup_install(rc, fo);
            err = errno;
        }
    }
    mock_leave(&s);
    errno = err;
    return rc;
}

int mif_dup2(int oldfd, int newfd)
{
    if (likely(!mock_fd_lookup(oldfd) && !mock_fd_lookup(newfd))) {
        return real_dup2(oldfd, newfd);
    }
    return dup23_slow(oldfd, newfd, 0, false);
}

int mif_dup3(int oldfd, int newfd, int flags)
{
    if (likely(!mock_fd_lookup(oldfd) && !mock_fd_lookup(newfd))) {
        return real_dup3(oldfd, newfd, flags);
    }
    return dup23_slow(oldfd, newfd, flags, true);
}

/* ---- fcntl --------------------------------------------------------------- */

EXPORT int mif_fcntl(int fd, int cmd, ...) __asm__("fcntl");
EXPORT int mif_fcntl64(int fd, int cmd, ...) __asm__("fcntl64");

static int fcntl_slow(int fd, int cmd, void *arg, bool is64)
{
    MockSection s;
    MockFile *f;
    int rc, err;

    mock_enter(&s);
    f = lookup_valid(fd);
    rc = real_fcntl(fd, cmd, arg, is64);
    err = errno;
    if (f) {
        switch (cmd) {
        case F_DUPFD:
        case F_DUPFD_CLOEXEC:
            rc = dup_install(rc, f);
            err = errno;
            break;
        case F_SETFL:
            if (rc == 0) {
                f->flags = (f->flags & ~O_NONBLOCK) | ((int)(intptr_t)arg & O_NONBLOCK);
            }
            break;
        case F_GETFL:
            /* the access mode of the kernel's file, not of the object
             * underneath (a vEVENTQ's pipe read end is O_RDONLY) */
            if (rc >= 0 && f->kind != MOCK_FILE_VFIO) {
                int acc = f->kind == MOCK_FILE_CTX ? (f->flags & O_ACCMODE) : O_RDWR;
                rc = (rc & ~O_ACCMODE) | acc;
            }
            break;
        default:
            break;
        }
    }
    mock_leave(&s);
    errno = err;
    return rc;
}

static int do_fcntl(int fd, int cmd, void *arg, bool is64)
{
    if (likely(!mock_fd_lookup(fd))) {
        return real_fcntl(fd, cmd, arg, is64);
    }
    return fcntl_slow(fd, cmd, arg, is64);
}

/* The argument is an int or a pointer: read as a pointer, as glibc does. */
int mif_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    void *arg;

    va_start(ap, cmd);
    arg = va_arg(ap, void *);
    va_end(ap);
    return do_fcntl(fd, cmd, arg, false);
}

int mif_fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    void *arg;

    va_start(ap, cmd);
    arg = va_arg(ap, void *);
    va_end(ap);
    return do_fcntl(fd, cmd, arg, true);
}

/* ---- mappings the mock handed out ---------------------------------------- */

/*
 * A mapping of a /dev/iommu fd holds what it maps (the kernel's VMA holds the
 * file and, through vm_ops, the region's owner) until every page of it is
 * unmapped -- by munmap, or by a MAP_FIXED mmap on top of it.
 */
typedef struct {
    uintptr_t start, end;        /* page-aligned */
    uint8_t *gone;               /* bitmap of the pages unmapped so far */
    size_t left;                 /* pages still mapped */
    MockUnmapFn unmapped;
    void *data;
    uint64_t serial;             /* order of creation */
} MockMapping;

static GPtrArray *mappings;      /* MockMapping *; under mock_lock */
/* While 0, munmap and mmap(MAP_FIXED) cost one load before libc. */
static _Atomic unsigned live_mappings;
static uint64_t mapping_serial;  /* under mock_lock */

static uintptr_t page_mask(void)
{
    return ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
}

int mock_mapping_add(void *addr, size_t len, MockUnmapFn unmapped, void *data)
{
    uintptr_t mask = page_mask(), ps = ~mask + 1;
    MockMapping *m;

    if (!len) {
        return -EINVAL;
    }
    m = calloc(1, sizeof(*m));
    if (!m) {
        return -ENOMEM;
    }
    m->start = (uintptr_t)addr & mask;
    m->end = ((uintptr_t)addr + len + ps - 1) & mask;
    m->left = (m->end - m->start) / ps;
    m->gone = calloc(m->left / 8 + 1, 1);
    if (!m->gone) {
        free(m);
        return -ENOMEM;
    }
    m->unmapped = unmapped;
    m->data = data;
    m->serial = mapping_serial++;
    if (!mappings) {
        mappings = g_ptr_array_new();
    }
    g_ptr_array_add(mappings, m);
    atomic_fetch_add(&live_mappings, 1);
    return 0;
}

/* [addr, addr + len) is no longer mapped (mock_lock held): for the
 * mappings made before serial `before`. */
static void mappings_unmapped(void *addr, size_t len, uint64_t before)
{
    uintptr_t mask = page_mask(), ps = ~mask + 1;
    uintptr_t lo = (uintptr_t)addr & mask, hi = ((uintptr_t)addr + len + ps - 1) & mask;

    for (guint i = 0; mappings && i < mappings->len;) {
        MockMapping *m = g_ptr_array_index(mappings, i);

        if (m->serial >= before) {
            i++;
            continue;
        }
        for (uintptr_t p = lo > m->start ? lo : m->start; p < hi && p < m->end; p += ps) {
            size_t bit = (p - m->start) / ps;

            if (!(m->gone[bit / 8] & (1u << (bit % 8)))) {
                m->gone[bit / 8] |= (uint8_t)(1u << (bit % 8));
                m->left--;
            }
        }
        if (m->left) {
            i++;
            continue;
        }
        g_ptr_array_remove_index_fast(mappings, i);
        atomic_fetch_sub(&live_mappings, 1);
        if (m->unmapped) {
            m->unmapped(m->data);
        }
        free(m->gone);
        free(m);
    }
}

/* Declared (with their asm names and visibility) before the first
 * definition: clang ignores, and -Werror refuses, attributes that come after
 * it, so munmap would not be interposed in a clang build. */
EXPORT void *mif_mmap(void *addr, size_t len, int prot, int flags, int fd, __off_t off)
    __asm__("mmap");
EXPORT void *mif_mmap64(void *addr, size_t len, int prot, int flags, int fd, __off64_t off)
    __asm__("mmap64");
EXPORT int mif_munmap(void *addr, size_t len) __asm__("munmap");

static int real_munmap(void *addr, size_t len)
{
    munmap_fn fn = REAL(munmap);

    return fn ? fn(addr, len) : (int)syscall(SYS_munmap, addr, len);
}

int mif_munmap(void *addr, size_t len)
{
    MockSection s;
    int rc, err;

    if (likely(atomic_load_explicit(&live_mappings, memory_order_acquire) == 0)) {
        return real_munmap(addr, len);
    }
    mock_enter(&s);
    rc = real_munmap(addr, len);
    err = errno;
    if (rc == 0) {
        mappings_unmapped(addr, len, UINT64_MAX);
    }
    mock_leave(&s);
    errno = err;
    return rc;
}

/* An mmap that is no mock operation: MAP_FIXED replaces what was there. */
static void *passthrough_mmap(void *addr, size_t len, int prot, int flags, int fd, __off64_t off,
                              bool is64)
{
    MockSection s;
    void *p;
    int err;

    if (likely(!(flags & MAP_FIXED) ||
               atomic_load_explicit(&live_mappings, memory_order_acquire) == 0)) {
        return real_mmap(addr, len, prot, flags, fd, off, is64);
    }
    mock_enter(&s);
    p = real_mmap(addr, len, prot, flags, fd, off, is64);
    err = errno;
    if (p != MAP_FAILED) {
        mappings_unmapped(p, len, UINT64_MAX);
    }
    mock_leave(&s);
    errno = err;
    return p;
}

/* ---- mmap ---------------------------------------------------------------- */


static void *mmap_slow(void *addr, size_t len, int prot, int flags, int fd, __off64_t off,
                       bool is64)
{
    MockSection s;
    MockFile *f;
    void *p;
    int err = 0;

    mock_enter(&s);
    f = lookup_valid(fd);
    if (!f) {
        mock_leave(&s);
        return passthrough_mmap(addr, len, prot, flags, fd, off, is64);
    }
    if (f->kind == MOCK_FILE_CTX) {
        uint64_t before = mapping_serial;

        p = mock_ctx_mmap(f, addr, len, prot, flags, (off_t)off, &err);
        /* a MAP_FIXED mapping replaced what was there (not itself) */
        if (p != MAP_FAILED && (flags & MAP_FIXED)) {
            mappings_unmapped(p, len, before);
        }
    } else {
        /* do_mmap's checks, then the file's mmap op: none on the
         * anon-inode fds (ENODEV); the VFIO cdev before bind: EINVAL */
        int type = flags & MAP_TYPE;

        p = MAP_FAILED;
        if ((off & (sysconf(_SC_PAGESIZE) - 1)) || !len ||
            (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)) {
            err = EINVAL;
        } else {
            err = f->kind == MOCK_FILE_VFIO ? EINVAL : ENODEV;
        }
    }
    mock_leave(&s);
    if (p == MAP_FAILED) {
        errno = err;
    }
    return p;
}

void *mif_mmap(void *addr, size_t len, int prot, int flags, int fd, __off_t off)
{
    /* MAP_ANONYMOUS ignores the fd */
    if (likely((flags & MAP_ANONYMOUS) || !mock_fd_lookup(fd))) {
        return passthrough_mmap(addr, len, prot, flags, fd, off, false);
    }
    return mmap_slow(addr, len, prot, flags, fd, off, false);
}

void *mif_mmap64(void *addr, size_t len, int prot, int flags, int fd, __off64_t off)
{
    if (likely((flags & MAP_ANONYMOUS) || !mock_fd_lookup(fd))) {
        return passthrough_mmap(addr, len, prot, flags, fd, off, true);
    }
    return mmap_slow(addr, len, prot, flags, fd, off, true);
}
