/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mock suite: every libc entry point libiommufd-mock interposes, reached the
 * way a hardened program reaches it.  Built with -O2 -D_FORTIFY_SOURCE=2
 * -D_FILE_OFFSET_BITS=64, ordinary calls land on open64, __open64_2,
 * openat64, __openat64_2, __read_chk, fcntl64 and mmap64; the other names
 * (open, __open_2, openat, __openat_2, plain read, pread64, fcntl, mmap) are
 * reached through asm-labelled declarations below.  /mock/interpose/symbols
 * proves with nm that the binary references all 24 names; every other test
 * asserts what the mock answers through one entry point.
 *
 * The mock is preloaded (LD_PRELOAD=libiommufd-mock.so, as a user would),
 * never linked: the binary's references stay undefined for nm to see and the
 * preloaded library's exported set is what is tested.  The fixtures API is
 * bound weakly and resolved from the preloaded library at run time.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "uapi/linux/iommufd.h"
#include "uapi/linux/vfio.h"
#include <iommufd/mock.h>
#include "../common/fd-check.h"

#pragma weak iommufd_mock_is_mock_fd
#pragma weak iommufd_mock_count_fds
#pragma weak iommufd_mock_count_objects
#pragma weak iommufd_mock_get_kernel
#pragma weak iommufd_mock_add_device
#pragma weak iommufd_mock_fail_nth
#pragma weak iommufd_mock_fail_nth_reached

/* The names the fortified, large-file headers steer calls away from. */
extern int plain_open(const char *path, int flags, ...) __asm__("open");
extern int plain_open_2(const char *path, int flags) __asm__("__open_2");
extern int plain_openat(int dirfd, const char *path, int flags, ...) __asm__("openat");
extern int plain_openat_2(int dirfd, const char *path, int flags) __asm__("__openat_2");
extern ssize_t plain_read(int fd, void *buf, size_t n) __asm__("read");
extern ssize_t plain_read_chk(int fd, void *buf, size_t n, size_t buflen) __asm__("__read_chk");
extern ssize_t plain_pread64(int fd, void *buf, size_t n, off_t off) __asm__("pread64");
extern int plain_fcntl(int fd, int cmd, ...) __asm__("fcntl");
extern void *plain_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
    __asm__("mmap");

static const char *const entry_points[] = {
    "open", "open64", "__open_2", "__open64_2",
    "openat", "openat64", "__openat_2", "__openat64_2",
    "ioctl", "read", "__read_chk", "pread64", "write",
    "close", "close_range", "closefrom",
    "dup", "dup2", "dup3", "fcntl", "fcntl64",
    "mmap", "mmap64", "munmap",
};

/*
 * The names only glibc's fortify wrappers call.  gcc builds them (the test is
 * built with _FORTIFY_SOURCE=2), and they must be referenced and bound to
 * the mock; clang 14 does not (glibc's open wrappers need
 * __builtin_va_arg_pack, which clang lacks, and its read wrapper differs),
 * so a clang build calls open64 / read instead and need not reference them.
 */
static bool fortify_only(const char *name)
{
#if defined(__clang__)
    static const char *const names[] = {
        "__open64_2", "__openat64_2", "__read_chk",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (!strcmp(names[i], name)) {
            return true;
        }
    }
#else
    (void)name;
#endif
    return false;
}

/* A value the compiler cannot see through: keeps flags and sizes from being
 * constants, which is what makes fortify pick __open64_2 and __read_chk. */
static int opaque(int v)
{
    __asm__("" : "+r"(v));
    return v;
}

static size_t opaque_size(size_t v)
{
    __asm__("" : "+r"(v));
    return v;
}

static bool model_6_12(void)
{
    return iommufd_mock_get_kernel() == IOMMUFD_MOCK_KERNEL_6_12;
}

/* ---- helpers --------------------------------------------------------------- */

static uint32_t ioas_alloc(int fd)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a) };

    g_assert_cmpint(ioctl(fd, IOMMU_IOAS_ALLOC, &a), ==, 0);
    g_assert_cmpuint(a.out_ioas_id, >=, 1);
    return a.out_ioas_id;
}

static void assert_errno(long rc, int err)
{
    int saved = errno;

    g_assert_cmpint(rc, ==, -1);
    g_assert_cmpstr(strerror(saved), ==, strerror(err));
}

static bool cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFD);

    g_assert_cmpint(fl, >=, 0);
    return fl & FD_CLOEXEC;
}

/* An fd an open of /dev/iommu returned: a mock context that works. */
static void check_ctx_fd(int fd, unsigned fds_before, bool want_cloexec)
{
    g_assert_cmpint(fd, >=, 0);
    g_assert_true(iommufd_mock_is_mock_fd(fd));
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, fds_before + 1);
    g_assert_cmpint(iommufd_mock_count_objects(fd), ==, 0);
    ioas_alloc(fd);
    g_assert_cmpint(iommufd_mock_count_objects(fd), ==, 1);
    g_assert_cmpint(cloexec(fd), ==, want_cloexec);
    g_assert_cmpint(close(fd), ==, 0);
    g_assert_false(iommufd_mock_is_mock_fd(fd));
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, fds_before);
}

static int ctx_open(void)
{
    int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_true(iommufd_mock_is_mock_fd(fd));
    return fd;
}

static int fault_alloc(int ctx, uint32_t *id)
{
    struct iommu_fault_alloc fa = { .size = sizeof(fa) };

    g_assert_cmpint(ioctl(ctx, IOMMU_FAULT_QUEUE_ALLOC, &fa), ==, 0);
    g_assert_true(iommufd_mock_is_mock_fd((int)fa.out_fault_fd));
    if (id) {
        *id = fa.out_fault_id;
    }
    return (int)fa.out_fault_fd;
}

static void test_cmd(int ctx, struct iommu_test_cmd *cmd)
{
    cmd->size = sizeof(*cmd);
    if (ioctl(ctx, IOMMU_TEST_CMD, cmd)) {
        g_error("IOMMU_TEST_CMD op %u: %s", cmd->op, g_strerror(errno));
    }
}

/* ---- the binary references every entry point, and they bind to the mock ---- */

/* name -> version ("" when unversioned) of the binary's undefined dynamic
 * symbols, as nm lists them; NULL (test skipped) without nm. */
static GHashTable *undefined_symbols(void)
{
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *nm = g_find_program_in_path("nm");
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) lines = NULL;
    GHashTable *undef;
    int status;

    g_assert_nonnull(exe);
    if (!nm) {
        g_test_skip("nm (binutils) is not installed");
        return NULL;
    }
    const char *argv[] = { nm, "-D", "--undefined-only", exe, NULL };
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               NULL, &status, &error));
    g_assert_no_error(error);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    undef = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_auto(GStrv) words = g_strsplit_set(g_strstrip(*l), " \t", -1);
        guint n = g_strv_length(words);

        if (n >= 2) {
            char *name = g_strdup(words[n - 1]);
            char *at = strchr(name, '@');
            const char *version = "";

            if (at) {
                *at = '\0';
                version = at + 1 + (at[1] == '@');
            }
            g_hash_table_insert(undef, name, g_strdup(version));
        }
    }
    return undef;
}

static void test_symbols(void)
{
    g_autoptr(GHashTable) undef = undefined_symbols();

    if (!undef) {
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(entry_points); i++) {
        if (g_hash_table_contains(undef, entry_points[i])) {
            continue;
        }
        if (fortify_only(entry_points[i])) {
            g_test_message("%s is not referenced by this binary (clang does not call the "
                           "fortify wrapper)", entry_points[i]);
            continue;
        }
        g_test_message("%s is not referenced by this binary", entry_points[i]);
        g_test_fail();
    }
}

/*
 * The addresses the dynamic linker bound this program's references to: the
 * slots its relocations (DT_JMPREL and DT_RELA) fill, read back from memory.
 * The binary is linked with -z now, so every slot is bound at start-up.
 * Binding is by name and by the version the binary asks for
 * (open64@GLIBC_2.2.5): dlsym/dlvsym answer other rules, so only the slots
 * tell the truth.
 */
typedef struct {
    ElfW(Addr) base;
    const ElfW(Dyn) *dyn;
} MainMap;

static int find_main(struct dl_phdr_info *info, size_t size, void *data)
{
    MainMap *m = data;

    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC) {
            m->base = info->dlpi_addr;
            m->dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
        }
    }
    return 1;                   /* the first object is the program */
}

static void bound_slots(GHashTable *bound)
{
    MainMap m = { 0 };
    ElfW(Addr) jmprel = 0, rela = 0, symtab = 0, strtab = 0;
    size_t jmprelsz = 0, relasz = 0;
    bool is_rela = true;

    dl_iterate_phdr(find_main, &m);
    g_assert_nonnull(m.dyn);
    for (const ElfW(Dyn) *d = m.dyn; d->d_tag != DT_NULL; d++) {
        /* glibc may have relocated these pointers in place, or not */
        ElfW(Addr) ptr = d->d_un.d_ptr < m.base ? m.base + d->d_un.d_ptr : d->d_un.d_ptr;

        switch (d->d_tag) {
        case DT_JMPREL: jmprel = ptr; break;
        case DT_PLTRELSZ: jmprelsz = d->d_un.d_val; break;
        case DT_RELA: rela = ptr; break;
        case DT_RELASZ: relasz = d->d_un.d_val; break;
        case DT_SYMTAB: symtab = ptr; break;
        case DT_STRTAB: strtab = ptr; break;
        case DT_PLTREL: is_rela = d->d_un.d_val == DT_RELA; break;
        default: break;
        }
    }
    g_assert_true(is_rela);     /* every 64-bit Linux target */
    g_assert_true(symtab && strtab);
    const ElfW(Addr) tables[2][2] = { { jmprel, jmprelsz }, { rela, relasz } };
    for (int t = 0; t < 2; t++) {
        const ElfW(Rela) *r = (const ElfW(Rela) *)tables[t][0];

        for (size_t i = 0; r && i < tables[t][1] / sizeof(*r); i++) {
            size_t sym = ELF64_R_SYM(r[i].r_info);
            const char *name;

            if (!sym) {
                continue;
            }
            name = (const char *)strtab + ((const ElfW(Sym) *)symtab)[sym].st_name;
            g_hash_table_insert(bound, g_strdup(name),
                                *(void **)(m.base + r[i].r_offset));
        }
    }
}

/* Position of each loaded object in the search order (the link-map list:
 * the program, the preloaded libraries, then the others). */
static int collect_order(struct dl_phdr_info *info, size_t size, void *data)
{
    GPtrArray *order = data;

    (void)size;
    g_ptr_array_add(order, g_strdup(info->dlpi_name ? info->dlpi_name : ""));
    return 0;
}

static int order_of(GPtrArray *order, const char *name)
{
    for (guint i = 1; i < order->len; i++) {
        if (!strcmp(g_ptr_array_index(order, i), name)) {
            return (int)i;
        }
    }
    return -1;
}

/*
 * A reference binds to the mock, or to an interceptor searched before it (a
 * sanitizer runtime preloaded ahead, which passes the call on to the next
 * definition: the mock).  Bound to anything searched after the mock -- libc
 * -- means the mock's definition did not qualify.
 */
static void test_binding(void)
{
    g_autoptr(GHashTable) bound = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func(g_free);
    Dl_info mock_info, info;
    int mock_pos;

    g_assert_true(dladdr((void *)iommufd_mock_is_mock_fd, &mock_info));
    dl_iterate_phdr(collect_order, order);
    mock_pos = order_of(order, mock_info.dli_fname);
    g_assert_cmpint(mock_pos, >, 0);
    bound_slots(bound);
    for (size_t i = 0; i < G_N_ELEMENTS(entry_points); i++) {
        void *addr = g_hash_table_lookup(bound, entry_points[i]);
        int pos = addr && dladdr(addr, &info) ? order_of(order, info.dli_fname) : -1;

        if (pos == mock_pos) {
            continue;
        }
        if (!addr && fortify_only(entry_points[i])) {
            g_test_message("%s: not referenced by this build (clang does not call the fortify "
                           "wrapper)", entry_points[i]);
            continue;
        }
        if (pos > 0 && pos < mock_pos) {
            g_test_message("%s binds to %s, ahead of the mock", entry_points[i], info.dli_fname);
            continue;
        }
        g_test_message("%s binds to %s, not to the mock %s (is it versioned there?)",
                       entry_points[i], pos >= 0 ? info.dli_fname : "nothing",
                       mock_info.dli_fname);
        g_test_fail();
    }
}

/* ---- start-up from the environment ------------------------------------------- */

/* Runs first: IOMMUFD_MOCK_KERNEL picked the model (an unknown value keeps
 * newest) and IOMMUFD_MOCK_DEVICES=N made vfio0 .. vfio<N-1>. */
static void test_environment(void)
{
    const char *k = g_getenv("IOMMUFD_MOCK_KERNEL");
    const char *d = g_getenv("IOMMUFD_MOCK_DEVICES");
    unsigned n = d ? (unsigned)strtoul(d, NULL, 10) : 0;
    char path[64];
    int fd;

    g_assert_cmpint(iommufd_mock_get_kernel(), ==,
                    k && !strcmp(k, "6.12") ? IOMMUFD_MOCK_KERNEL_6_12
                                            : IOMMUFD_MOCK_KERNEL_NEWEST);
    for (unsigned i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "/dev/null/iommufd-mock/vfio%u", i);
        fd = open(path, O_RDWR | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        g_assert_true(iommufd_mock_is_mock_fd(fd));
        g_assert_cmpint(close(fd), ==, 0);
    }
    snprintf(path, sizeof(path), "/dev/null/iommufd-mock/vfio%u", n);
    assert_errno(open(path, O_RDWR | O_CLOEXEC), ENOENT);
}

/* ---- open ---------------------------------------------------------------------- */

static void test_open64(void)
{
    unsigned before = iommufd_mock_count_fds();

    /* constant flags: fortify calls open64 */
    check_ctx_fd(open("/dev/iommu", O_RDWR | O_CLOEXEC), before, true);
    /* the node exists and is no directory */
    assert_errno(open("/dev/iommu", O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
    assert_errno(open("/dev/iommu", O_RDONLY | O_DIRECTORY), ENOTDIR);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before);
}

static void test_open64_2(void)
{
    /* flags the compiler cannot see and no mode: __open64_2 */
    /* counted before the open: a call's arguments are evaluated in no set order */
    unsigned before = iommufd_mock_count_fds();
    check_ctx_fd(open("/dev/iommu", opaque(O_RDWR)), before, false);
}

static void test_open(void)
{
    unsigned before = iommufd_mock_count_fds();
    int fd = plain_open("/dev/iommu", O_RDWR | O_NONBLOCK);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK), ==, O_RDWR | O_NONBLOCK);
    check_ctx_fd(fd, before, false);
}

static void test_open_2(void)
{
    unsigned before = iommufd_mock_count_fds();
    check_ctx_fd(plain_open_2("/dev/iommu", opaque(O_RDWR | O_CLOEXEC)), before, true);
}

/* __open_2 keeps glibc's check: O_CREAT without a mode aborts. */
static void test_open_2_missing_mode(void)
{
    if (g_test_subprocess()) {
        plain_open_2("/dev/iommu", opaque(O_RDWR | O_CREAT));
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*invalid open call*");
}

static void test_openat64(void)
{
    unsigned before = iommufd_mock_count_fds();
    check_ctx_fd(openat(AT_FDCWD, "/dev/iommu", O_RDWR), before, false);
}

static void test_openat64_2(void)
{
    /* an absolute path ignores dirfd, even a bad one */
    unsigned before = iommufd_mock_count_fds();
    check_ctx_fd(openat(-1, "/dev/iommu", opaque(O_RDWR | O_CLOEXEC)), before, true);
}

static void test_openat(void)
{
    unsigned before = iommufd_mock_count_fds();
    check_ctx_fd(plain_openat(AT_FDCWD, "/dev/iommu", O_RDWR | O_CLOEXEC),
                 before, true);
}

static void test_openat_2(void)
{
    unsigned before = iommufd_mock_count_fds();
    check_ctx_fd(plain_openat_2(AT_FDCWD, "/dev/iommu", opaque(O_RDWR)), before, false);
}

/* A mock VFIO cdev node: open reaches vfio.c; before bind its ioctls are
 * EINVAL, then bind works; it has no read. */
static void test_open_vfio(void)
{
    struct vfio_device_attach_iommufd_pt at = { .argsz = sizeof(at) };
    struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
    char path[PATH_MAX];
    char buf[16];
    int ctx = ctx_open(), dev;

    g_assert_cmpint(iommufd_mock_add_device(0, path, sizeof(path)), ==, 0);
    dev = openat(AT_FDCWD, path, O_RDWR | O_CLOEXEC);
    g_assert_cmpint(dev, >=, 0);
    g_assert_true(iommufd_mock_is_mock_fd(dev));
    assert_errno(ioctl(dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at), EINVAL);
    bind.iommufd = ctx;
    g_assert_cmpint(ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind), ==, 0);
    g_assert_cmpuint(bind.out_devid, >=, 1);
    assert_errno(read(dev, buf, opaque_size(sizeof(buf))), EINVAL);
    assert_errno(write(dev, buf, sizeof(buf)), EINVAL);
    g_assert_cmpint(close(dev), ==, 0);
    g_assert_cmpint(close(ctx), ==, 0);
}

/* ---- ordinary fds go straight through ------------------------------------------- */

/*
 * A mock fd closed where the mock cannot see it (a raw close syscall) and
 * its number reused by a creator the mock does not interpose (eventfd(2)):
 * the new fd is the kernel's, and the mock must not serve it (it once
 * answered GLib's wake-up eventfd, hanging the program).
 */
static void test_stale_entry(void)
{
    int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    uint64_t v = 0;

    g_assert_cmpint(fd, >=, 0);
    g_assert_true(iommufd_mock_is_mock_fd(fd));
    g_assert_cmpint(syscall(SYS_close, fd), ==, 0);
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    g_assert_cmpint(efd, ==, fd);          /* the lowest free number again */
    /* served by the kernel's eventfd, not by the mock's /dev/iommu */
    uint64_t one = 1;
    g_assert_cmpint(write(efd, &one, sizeof(one)), ==, sizeof(one));
    g_assert_cmpint(read(efd, &v, sizeof(v)), ==, sizeof(v));
    g_assert_cmpuint(v, ==, 1);
    g_assert_false(iommufd_mock_is_mock_fd(efd));
    g_assert_cmpint(close(efd), ==, 0);
}

static void test_passthrough(void)
{
    unsigned before = iommufd_mock_count_fds();
    g_autofree char *tmp = NULL;
    char buf[8] = "", rd[8];
    int p[2], fd, d;
    void *m;

    fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_false(iommufd_mock_is_mock_fd(fd));
    g_assert_cmpint(write(fd, "x", 1), ==, 1);
    g_assert_cmpint(plain_read(fd, buf, 1), ==, 0);
    g_assert_cmpint(read(fd, buf, opaque_size(1)), ==, 0);
    g_assert_cmpint(ioctl(fd, FIONCLEX), ==, 0);
    g_assert_false(cloexec(fd));
    g_assert_cmpint(close(fd), ==, 0);
    assert_errno(close(fd), EBADF);
    assert_errno(ioctl(fd, FIOCLEX), EBADF);

    g_assert_cmpint(pipe2(p, O_CLOEXEC), ==, 0);
    g_assert_cmpint(write(p[1], "abc", 3), ==, 3);
    g_assert_cmpint(read(p[0], rd, opaque_size(2)), ==, 2);
    g_assert_cmpint(plain_read(p[0], rd + 2, 1), ==, 1);
    g_assert_cmpmem(rd, 3, "abc", 3);
    assert_errno(plain_pread64(p[0], rd, 1, 0), ESPIPE);
    d = dup(p[0]);
    g_assert_false(iommufd_mock_is_mock_fd(d));
    g_assert_cmpint(dup2(p[0], d), ==, d);
    g_assert_cmpint(dup3(p[0], d, O_CLOEXEC), ==, d);
    g_assert_cmpint(plain_fcntl(d, F_SETFL, O_NONBLOCK), ==, 0);
    assert_errno(read(d, rd, opaque_size(1)), EAGAIN);
    g_assert_cmpint(close_range((unsigned)d, (unsigned)d, 0), ==, 0);
    assert_errno(fcntl(d, F_GETFD), EBADF);
    close(p[0]);
    close(p[1]);

    /* a regular file: pread64, mmap and mmap64, munmap */
    fd = g_file_open_tmp("mock-interpose-XXXXXX", &tmp, NULL);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, "0123456789", 10), ==, 10);
    g_assert_cmpint(plain_pread64(fd, rd, 4, 3), ==, 4);
    g_assert_cmpmem(rd, 4, "3456", 4);
    m = mmap(NULL, 10, PROT_READ, MAP_SHARED, fd, 0);
    g_assert_true(m != MAP_FAILED);
    g_assert_cmpmem(m, 4, "0123", 4);
    g_assert_cmpint(munmap(m, 10), ==, 0);
    m = plain_mmap(NULL, 10, PROT_READ, MAP_PRIVATE, fd, 0);
    g_assert_true(m != MAP_FAILED);
    g_assert_cmpmem(m, 4, "0123", 4);
    g_assert_cmpint(munmap(m, 10), ==, 0);
    g_assert_cmpint(close(fd), ==, 0);
    g_unlink(tmp);

    /* relative paths are never the mock's */
    fd = openat(AT_FDCWD, "dev/iommu-not-there", O_RDONLY);
    assert_errno(fd, ENOENT);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before);
}

/* Ordinary I/O on other threads while contexts come and go. */
static void *pipe_worker(void *arg)
{
    int *p = arg;
    char c = 0;

    for (int i = 0; i < 2000; i++) {
        if (write(p[1], "y", 1) != 1 || read(p[0], &c, opaque_size(1)) != 1 || c != 'y') {
            return (void *)1;
        }
    }
    return NULL;
}

static void test_threads(void)
{
    int pipes[4][2];
    pthread_t t[4];

    for (int i = 0; i < 4; i++) {
        g_assert_cmpint(pipe2(pipes[i], O_CLOEXEC), ==, 0);
        g_assert_cmpint(pthread_create(&t[i], NULL, pipe_worker, pipes[i]), ==, 0);
    }
    for (int i = 0; i < 200; i++) {
        int fd = ctx_open();
        int d = dup(fd);

        ioas_alloc(d);
        g_assert_cmpint(close(fd), ==, 0);
        g_assert_cmpint(close(d), ==, 0);
    }
    for (int i = 0; i < 4; i++) {
        void *rc;

        g_assert_cmpint(pthread_join(t[i], &rc), ==, 0);
        g_assert_null(rc);
        close(pipes[i][0]);
        close(pipes[i][1]);
    }
}

/* ---- ioctl ----------------------------------------------------------------------- */

static void test_ioctl(void)
{
    struct iommu_ioas_alloc a = { .size = 0 };
    int ctx = ctx_open(), fault;

    ioas_alloc(ctx);
    /* the dispatcher's order: size 0 probes EINVAL, an absent command
     * ENOTTY, a bad pointer EFAULT */
    assert_errno(ioctl(ctx, IOMMU_IOAS_ALLOC, &a), EINVAL);
    assert_errno(ioctl(ctx, _IO(IOMMUFD_TYPE, 0x9f), &a), ENOTTY);
    assert_errno(ioctl(ctx, IOMMU_IOAS_ALLOC, (void *)8), EFAULT);
    /* the generic fd ioctls work on mock fds */
    g_assert_cmpint(ioctl(ctx, FIONCLEX), ==, 0);
    g_assert_false(cloexec(ctx));
    g_assert_cmpint(ioctl(ctx, FIOCLEX), ==, 0);
    g_assert_true(cloexec(ctx));
    /* fail-Nth counts ioctls */
    iommufd_mock_fail_nth(1, EIO);
    a.size = sizeof(a);
    assert_errno(ioctl(ctx, IOMMU_IOAS_ALLOC, &a), EIO);
    g_assert_true(iommufd_mock_fail_nth_reached());
    g_assert_cmpint(iommufd_mock_count_objects(ctx), ==, 1);

    /* the fault fd has no ioctl but the generic ones */
    fault = fault_alloc(ctx, NULL);
    assert_errno(ioctl(fault, IOMMU_IOAS_ALLOC, &a), ENOTTY);
    int on = 1;
    g_assert_cmpint(ioctl(fault, FIONBIO, &on), ==, 0);
    g_assert_cmpint(fcntl(fault, F_GETFL) & O_NONBLOCK, ==, O_NONBLOCK);
    g_assert_cmpint(close(fault), ==, 0);
    g_assert_cmpint(close(ctx), ==, 0);
}

/* ---- read, __read_chk, pread64, write -------------------------------------------- */

static void test_read(void)
{
    struct iommu_hwpt_pgfault rec[2];
    char small[8];
    int ctx = ctx_open(), fault;

    /* /dev/iommu has no read op */
    assert_errno(plain_read(ctx, small, sizeof(small)), EINVAL);
    fault = fault_alloc(ctx, NULL);
    /* empty queue: 0; a length that is no multiple of the record: ESPIPE */
    g_assert_cmpint(plain_read(fault, rec, sizeof(rec)), ==, 0);
    assert_errno(plain_read(fault, rec, sizeof(rec[0]) - 1), ESPIPE);
    iommufd_mock_fail_nth(1, ENOMEM);
    assert_errno(plain_read(fault, rec, sizeof(rec)), ENOMEM);
    g_assert_true(iommufd_mock_fail_nth_reached());
    g_assert_cmpint(close(fault), ==, 0);
    g_assert_cmpint(close(ctx), ==, 0);
}

static void test_read_chk(void)
{
    struct iommu_hwpt_pgfault rec[2];
    char small[8];
    int ctx = ctx_open(), fault;

    assert_errno(read(ctx, small, opaque_size(sizeof(small))), EINVAL);
    fault = fault_alloc(ctx, NULL);
    g_assert_cmpint(read(fault, rec, opaque_size(sizeof(rec))), ==, 0);
    assert_errno(read(fault, rec, opaque_size(sizeof(rec[0]) + 1)), ESPIPE);
    g_assert_cmpint(close(fault), ==, 0);
    g_assert_cmpint(close(ctx), ==, 0);

    /* opened write-only: not readable */
    ctx = open("/dev/iommu", O_WRONLY | O_CLOEXEC);
    g_assert_true(iommufd_mock_is_mock_fd(ctx));
    assert_errno(read(ctx, small, opaque_size(sizeof(small))), EBADF);
    g_assert_cmpint(fcntl(ctx, F_GETFL) & O_ACCMODE, ==, O_WRONLY);
    g_assert_cmpint(close(ctx), ==, 0);
}

/* __read_chk keeps fortify's check: more than the buffer aborts. */
static void test_read_chk_overflow(void)
{
    if (g_test_subprocess()) {
        char small[8];
        int ctx = ctx_open();

#if defined(__clang__)
        /* clang does not call the fortify wrapper: call __read_chk as it would */
        ssize_t r = plain_read_chk(ctx, small, opaque_size(sizeof(small) * 2), sizeof(small));
#else
        ssize_t r = read(ctx, small, opaque_size(sizeof(small) * 2));
#endif
        if (r < 0) {
            printf("returned\n");
        }
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*buffer overflow detected*");
}

static void test_pread64(void)
{
    struct iommu_hwpt_pgfault rec;
    int ctx = ctx_open(), fault;

    /* /dev/iommu: no read op; a negative offset is EINVAL first */
    assert_errno(plain_pread64(ctx, &rec, sizeof(rec), 0), EINVAL);
    assert_errno(plain_pread64(ctx, &rec, sizeof(rec), -1), EINVAL);
    /* the fault fd is an anon-inode file without pread: ESPIPE at any offset */
    fault = fault_alloc(ctx, NULL);
    assert_errno(plain_pread64(fault, &rec, sizeof(rec), 0), ESPIPE);
    assert_errno(plain_pread64(fault, &rec, sizeof(rec), 40), ESPIPE);
    g_assert_cmpint(close(fault), ==, 0);
    g_assert_cmpint(close(ctx), ==, 0);
}

static void test_write(void)
{
    struct iommu_hwpt_page_response resp = { .cookie = 12345, .code = 0 };
    int ctx = ctx_open(), fault;

    assert_errno(write(ctx, &resp, sizeof(resp)), EINVAL);
    fault = fault_alloc(ctx, NULL);
    /* an unknown cookie is EINVAL; a partial response ESPIPE */
    assert_errno(write(fault, &resp, sizeof(resp)), EINVAL);
    assert_errno(write(fault, &resp, sizeof(resp) - 1), ESPIPE);
    iommufd_mock_fail_nth(1, EIO);
    assert_errno(write(fault, &resp, sizeof(resp)), EIO);
    g_assert_true(iommufd_mock_fail_nth_reached());
    g_assert_cmpint(close(fault), ==, 0);
    g_assert_cmpint(close(ctx), ==, 0);

    ctx = open("/dev/iommu", O_RDONLY | O_CLOEXEC);
    assert_errno(write(ctx, &resp, sizeof(resp)), EBADF);
    g_assert_cmpint(close(ctx), ==, 0);
}

/* ---- dup, dup2, dup3, fcntl ------------------------------------------------------- */

/* Every fd in `fds` refers to the one context; closing all but the last
 * keeps it alive, the last close releases it. */
static void check_shared(int *fds, int n, unsigned before)
{
    uint32_t ioas;

    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before + (unsigned)n);
    ioas = ioas_alloc(fds[0]);
    for (int i = 0; i < n; i++) {
        g_assert_true(iommufd_mock_is_mock_fd(fds[i]));
        g_assert_cmpint(iommufd_mock_count_objects(fds[i]), ==, 1);
    }
    for (int i = 0; i < n - 1; i++) {
        g_assert_cmpint(close(fds[i]), ==, 0);
    }
    struct iommu_destroy d = { .size = sizeof(d), .id = ioas };
    g_assert_cmpint(ioctl(fds[n - 1], IOMMU_DESTROY, &d), ==, 0);
    g_assert_cmpint(iommufd_mock_count_objects(fds[n - 1]), ==, 0);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before + 1);
    g_assert_cmpint(close(fds[n - 1]), ==, 0);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before);
}

static void test_dup(void)
{
    unsigned before = iommufd_mock_count_fds();
    int fds[2];

    fds[0] = ctx_open();
    fds[1] = dup(fds[0]);
    g_assert_false(cloexec(fds[1]));
    check_shared(fds, 2, before);
}

static void test_dup2(void)
{
    unsigned before = iommufd_mock_count_fds();
    int fds[2], a, b, null;

    fds[0] = ctx_open();
    fds[1] = 700;
    g_assert_cmpint(dup2(fds[0], fds[1]), ==, fds[1]);
    g_assert_cmpint(dup2(fds[1], fds[1]), ==, fds[1]);
    check_shared(fds, 2, before);

    /* onto a mock fd: that one is released, the fd now names the other */
    a = ctx_open();
    b = ctx_open();
    ioas_alloc(b);
    ioas_alloc(b);
    g_assert_cmpint(dup2(b, a), ==, a);
    g_assert_cmpint(iommufd_mock_count_objects(a), ==, 2);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before + 2);
    /* a plain fd onto a mock fd */
    null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(dup2(null, a), ==, a);
    g_assert_false(iommufd_mock_is_mock_fd(a));
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before + 1);
    g_assert_cmpint(iommufd_mock_count_objects(b), ==, 2);
    close(null);
    close(a);
    close(b);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before);
}

static void test_dup3(void)
{
    unsigned before = iommufd_mock_count_fds();
    int fds[2];

    fds[0] = ctx_open();
    fds[1] = 701;
    g_assert_cmpint(dup3(fds[0], fds[1], O_CLOEXEC), ==, fds[1]);
    g_assert_true(cloexec(fds[1]));
    assert_errno(dup3(fds[0], fds[0], 0), EINVAL);
    check_shared(fds, 2, before);
}

static void test_fcntl(void)
{
    unsigned before = iommufd_mock_count_fds();
    int fds[3];

    fds[0] = ctx_open();
    fds[1] = plain_fcntl(fds[0], F_DUPFD, 600);
    g_assert_cmpint(fds[1], >=, 600);
    g_assert_false(cloexec(fds[1]));
    /* fortify with large files: fcntl64 */
    fds[2] = fcntl(fds[0], F_DUPFD_CLOEXEC, 610);
    g_assert_cmpint(fds[2], >=, 610);
    g_assert_true(cloexec(fds[2]));
    /* F_SETFL through one, F_GETFL through the other: one open file */
    g_assert_cmpint(plain_fcntl(fds[1], F_SETFL, O_NONBLOCK), ==, 0);
    g_assert_cmpint(fcntl(fds[2], F_GETFL) & (O_ACCMODE | O_NONBLOCK), ==, O_RDWR | O_NONBLOCK);
    g_assert_cmpint(fcntl(fds[2], F_SETFL, 0), ==, 0);
    g_assert_cmpint(plain_fcntl(fds[0], F_GETFL) & O_NONBLOCK, ==, 0);
    check_shared(fds, 3, before);
}

/* ---- close, close_range, closefrom ------------------------------------------------ */

static void test_close(void)
{
    unsigned before = iommufd_mock_count_fds();
    int fd = ctx_open();

    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before + 1);
    g_assert_cmpint(close(fd), ==, 0);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before);
    g_assert_cmpint(iommufd_mock_count_objects(fd), <, 0);
    assert_errno(close(fd), EBADF);
}

static void test_close_range(void)
{
    unsigned before = iommufd_mock_count_fds();
    int fd = ctx_open();

    ioas_alloc(fd);
    for (int i = 0; i < 3; i++) {
        g_assert_cmpint(dup2(fd, 900 + i), ==, 900 + i);
    }
    g_assert_cmpint(dup2(fd, 910), ==, 910);
    g_assert_cmpint(dup2(fd, 911), ==, 911);
    g_assert_cmpint(dup2(fd, 920), ==, 920);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before + 7);

    g_assert_cmpint(close_range(900, 902, 0), ==, 0);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before + 4);
    g_assert_false(iommufd_mock_is_mock_fd(901));
    assert_errno(fcntl(901, F_GETFD), EBADF);
    /* CLOEXEC only marks them */
    g_assert_cmpint(close_range(910, 911, CLOSE_RANGE_CLOEXEC), ==, 0);
    g_assert_true(iommufd_mock_is_mock_fd(910));
    g_assert_true(cloexec(910) && cloexec(911));
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before + 4);
    /* UNSHARE closes (the mock has one table per process) */
    g_assert_cmpint(close_range(920, 920, CLOSE_RANGE_UNSHARE), ==, 0);
    g_assert_false(iommufd_mock_is_mock_fd(920));
    /* invalid arguments touch nothing */
    assert_errno(close_range(911, 910, 0), EINVAL);
    g_assert_true(iommufd_mock_is_mock_fd(911));
    g_assert_cmpint(close_range(910, 911, 0), ==, 0);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before + 1);
    g_assert_cmpint(iommufd_mock_count_objects(fd), ==, 1);
    g_assert_cmpint(close(fd), ==, 0);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before);
}

static void test_closefrom(void)
{
    unsigned before = iommufd_mock_count_fds();
    int fd = ctx_open();

    g_assert_cmpint(dup2(fd, 950), ==, 950);
    g_assert_cmpint(dup2(fd, 970), ==, 970);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before + 3);
    closefrom(950);
    g_assert_false(iommufd_mock_is_mock_fd(950));
    g_assert_false(iommufd_mock_is_mock_fd(970));
    assert_errno(fcntl(970, F_GETFD), EBADF);
    g_assert_true(iommufd_mock_is_mock_fd(fd));
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before + 1);
    ioas_alloc(fd);
    g_assert_cmpint(close(fd), ==, 0);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, before);
}

/* The fd behind `fd` that is not `fd`: the other end of a vEVENTQ's pipe. */
static int find_pipe_peer(int fd)
{
    g_autofree char *self = g_strdup_printf("/proc/self/fd/%d", fd);
    g_autofree char *target = g_file_read_link(self, NULL);
    g_autoptr(GDir) dir = g_dir_open("/proc/self/fd", 0, NULL);
    const char *name;

    g_assert_nonnull(target);
    g_assert_nonnull(dir);
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *p = g_build_filename("/proc/self/fd", name, NULL);
        g_autofree char *t = g_file_read_link(p, NULL);
        int n = atoi(name);

        if (n != fd && t && !strcmp(t, target)) {
            return n;
        }
    }
    return -1;
}

/* A nested-capable mock device on a NEST_PARENT HWPT of a new IOAS. */
static void mock_device(int ctx, uint32_t *stdev, uint32_t *idev, uint32_t *parent)
{
    struct iommu_test_cmd md = { .op = IOMMU_TEST_OP_MOCK_DOMAIN };
    struct iommu_hwpt_alloc ha = { .size = sizeof(ha) };

    md.id = ioas_alloc(ctx);
    test_cmd(ctx, &md);
    *stdev = md.mock_domain.out_stdev_id;
    *idev = md.mock_domain.out_idev_id;
    ha.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
    ha.dev_id = *idev;
    ha.pt_id = md.id;
    g_assert_cmpint(ioctl(ctx, IOMMU_HWPT_ALLOC, &ha), ==, 0);
    *parent = ha.out_hwpt_id;
}

/* A range close must not close the mock's own fds (a vEVENTQ's pipe write
 * end) behind its back: events still arrive afterwards. */
static void test_close_range_internal(void)
{
    struct iommu_viommu_alloc va = { .size = sizeof(va), .type = IOMMU_VIOMMU_TYPE_SELFTEST };
    struct iommu_veventq_alloc qa = { .size = sizeof(qa), .type = IOMMU_VEVENTQ_TYPE_SELFTEST,
                                      .veventq_depth = 4 };
    struct iommu_vdevice_alloc vd = { .size = sizeof(vd), .virt_id = 7 };
    struct iommu_test_cmd tv = { .op = IOMMU_TEST_OP_TRIGGER_VEVENT };
    struct iommu_test_cmd rep = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
    struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    struct iommu_hwpt_alloc nested = { .size = sizeof(nested) };
    uint32_t stdev, idev, parent;
    int ctx, q, peer;
    uint8_t buf[64];

    ctx = ctx_open();
    mock_device(ctx, &stdev, &idev, &parent);
    va.dev_id = idev;
    va.hwpt_id = parent;
    g_assert_cmpint(ioctl(ctx, IOMMU_VIOMMU_ALLOC, &va), ==, 0);
    qa.viommu_id = va.out_viommu_id;
    g_assert_cmpint(ioctl(ctx, IOMMU_VEVENTQ_ALLOC, &qa), ==, 0);
    q = (int)qa.out_veventq_fd;
    g_assert_true(iommufd_mock_is_mock_fd(q));
    peer = find_pipe_peer(q);
    g_assert_cmpint(peer, >=, 0);
    g_assert_false(iommufd_mock_is_mock_fd(peer));

    g_assert_cmpint(close_range((unsigned)peer, (unsigned)peer, 0), ==, 0);
    g_assert_cmpint(fcntl(peer, F_GETFD), >=, 0);
    g_assert_cmpint(fcntl(q, F_GETFL) & O_ACCMODE, ==, O_RDWR);

    /* events go to the vIOMMU of the nested HWPT the device is attached to,
     * which needs the device's vDEVICE there */
    vd.viommu_id = va.out_viommu_id;
    vd.dev_id = idev;
    g_assert_cmpint(ioctl(ctx, IOMMU_VDEVICE_ALLOC, &vd), ==, 0);
    nested.dev_id = idev;
    nested.pt_id = va.out_viommu_id;
    nested.data_type = IOMMU_HWPT_DATA_SELFTEST;
    nested.data_len = sizeof(data.iotlb);
    nested.data_uptr = (uintptr_t)&data;
    g_assert_cmpint(ioctl(ctx, IOMMU_HWPT_ALLOC, &nested), ==, 0);
    rep.id = stdev;
    rep.mock_domain_replace.pt_id = nested.out_hwpt_id;
    test_cmd(ctx, &rep);
    tv.trigger_vevent.dev_id = idev;
    test_cmd(ctx, &tv);
    struct pollfd pfd = { .fd = q, .events = POLLIN };
    g_assert_cmpint(poll(&pfd, 1, 1000), ==, 1);
    g_assert_cmpint(read(q, buf, opaque_size(sizeof(buf))), >, 0);
    /* no write op, no pread */
    assert_errno(write(q, buf, 8), EINVAL);
    assert_errno(plain_pread64(q, buf, 8, 0), ESPIPE);

    /* the vEVENTQ fd itself inside a range: released, its pipe closed too */
    g_assert_cmpint(close_range((unsigned)q, (unsigned)q, 0), ==, 0);
    g_assert_false(iommufd_mock_is_mock_fd(q));
    assert_errno(fcntl(peer, F_GETFD), EBADF);
    g_assert_cmpint(close(ctx), ==, 0);
}

/* Closing the fault fd the mock signals, while a dup remains: the dup
 * becomes the one signalled. */
static void test_fault_notify_rebind(void)
{
    struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    struct iommu_hwpt_alloc ha = { .size = sizeof(ha) };
    struct iommu_test_cmd rep = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
    struct iommu_test_cmd iopf = { .op = IOMMU_TEST_OP_TRIGGER_IOPF };
    struct iommu_hwpt_pgfault rec[4];
    uint32_t stdev, idev, parent, fault_id;
    int ctx = ctx_open(), fault, fault2, filler;

    mock_device(ctx, &stdev, &idev, &parent);
    fault = fault_alloc(ctx, &fault_id);
    ha.flags = IOMMU_HWPT_FAULT_ID_VALID;
    ha.dev_id = idev;
    ha.pt_id = parent;
    ha.data_type = IOMMU_HWPT_DATA_SELFTEST;
    ha.data_len = sizeof(data.iotlb);   /* 6.12's struct has iotlb only */
    ha.data_uptr = (uintptr_t)&data;
    ha.fault_id = fault_id;
    g_assert_cmpint(ioctl(ctx, IOMMU_HWPT_ALLOC, &ha), ==, 0);
    rep.id = stdev;
    rep.mock_domain_replace.pt_id = ha.out_hwpt_id;
    test_cmd(ctx, &rep);

    fault2 = dup(fault);
    g_assert_cmpint(close(fault), ==, 0);
    /* something else takes the number the fault fd had */
    filler = open("/dev/null", O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(filler, ==, fault);
    iopf.trigger_iopf.dev_id = idev;
    iopf.trigger_iopf.grpid = 3;
    iopf.trigger_iopf.perm = IOMMU_PGFAULT_PERM_READ;
    iopf.trigger_iopf.addr = 0x100000;
    test_cmd(ctx, &iopf);
    struct pollfd pfd = { .fd = fault2, .events = POLLIN };
    g_assert_cmpint(poll(&pfd, 1, 1000), ==, 1);
    g_assert_true(pfd.revents & POLLIN);
    g_assert_cmpint(read(fault2, rec, opaque_size(sizeof(rec))), ==, sizeof(rec[0]));
    g_assert_cmpuint(rec[0].grpid, ==, 3);
    g_assert_cmpuint(rec[0].dev_id, ==, idev);
    close(filler);
    g_assert_cmpint(close(fault2), ==, 0);
    g_assert_cmpint(close(ctx), ==, 0);
}

/* ---- mmap, mmap64, munmap ---------------------------------------------------------- */

static void test_mmap(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    int ctx = ctx_open(), fault;
    void *m;

    /* nothing at offset 0: ENXIO (6.12 has no mmap at all: ENODEV) */
    m = mmap(NULL, (size_t)ps, PROT_READ, MAP_SHARED, ctx, 0);
    g_assert_true(m == MAP_FAILED);
    g_assert_cmpint(errno, ==, model_6_12() ? ENODEV : ENXIO);
    m = plain_mmap(NULL, (size_t)ps, PROT_READ, MAP_SHARED, ctx, 0);
    g_assert_true(m == MAP_FAILED);
    g_assert_cmpint(errno, ==, model_6_12() ? ENODEV : ENXIO);
    /* the mm layer's checks */
    m = mmap(NULL, 0, PROT_READ, MAP_SHARED, ctx, 0);
    g_assert_true(m == MAP_FAILED);
    g_assert_cmpint(errno, ==, EINVAL);
    /* anonymous: the fd is ignored */
    m = mmap(NULL, (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, ctx, 0);
    g_assert_true(m != MAP_FAILED);
    g_assert_cmpint(munmap(m, (size_t)ps), ==, 0);
    /* the fault fd has no mmap */
    fault = fault_alloc(ctx, NULL);
    m = mmap(NULL, (size_t)ps, PROT_READ, MAP_SHARED, fault, 0);
    g_assert_true(m == MAP_FAILED);
    g_assert_cmpint(errno, ==, ENODEV);
    g_assert_cmpint(close(fault), ==, 0);

    if (!model_6_12()) {
        /* a selftest vIOMMU's region maps */
        struct iommu_viommu_selftest data = { .in_data = 0xbeef };
        struct iommu_viommu_alloc va = { .size = sizeof(va), .type = IOMMU_VIOMMU_TYPE_SELFTEST,
                                         .data_len = sizeof(data), .data_uptr = (uintptr_t)&data };
        uint32_t stdev, idev, parent;

        mock_device(ctx, &stdev, &idev, &parent);
        va.dev_id = idev;
        va.hwpt_id = parent;
        g_assert_cmpint(ioctl(ctx, IOMMU_VIOMMU_ALLOC, &va), ==, 0);
        g_assert_cmpuint(data.out_mmap_length, >, 0);
        m = mmap(NULL, data.out_mmap_length, PROT_READ | PROT_WRITE, MAP_SHARED, ctx,
                 (off_t)data.out_mmap_offset);
        g_assert_true(m != MAP_FAILED);
        g_assert_cmpint(munmap(m, data.out_mmap_length), ==, 0);
        m = plain_mmap(NULL, data.out_mmap_length, PROT_READ, MAP_SHARED, ctx,
                       (long)data.out_mmap_offset);
        g_assert_true(m != MAP_FAILED);
        g_assert_cmpint(munmap(m, data.out_mmap_length), ==, 0);
    }
    g_assert_cmpint(close(ctx), ==, 0);
}

/* ---- fork --------------------------------------------------------------------------- */

/* The child works on its own copy of the context: what it creates is not
 * seen by the parent (where the kernel would share the context). */
static void test_fork(void)
{
    int ctx = ctx_open(), status;
    pid_t pid;

    ioas_alloc(ctx);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        struct iommu_ioas_alloc a = { .size = sizeof(a) };
        int ok = iommufd_mock_is_mock_fd(ctx) && ioctl(ctx, IOMMU_IOAS_ALLOC, &a) == 0 &&
                 iommufd_mock_count_objects(ctx) == 2 && close(ctx) == 0;
        _exit(ok ? 0 : 1);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_assert_cmpint(iommufd_mock_count_objects(ctx), ==, 1);
    ioas_alloc(ctx);
    g_assert_cmpint(close(ctx), ==, 0);
}

/*
 * Under valgrind (its vgpreload in LD_PRELOAD) the two tests that abort on
 * purpose in a child process (g_test_trap_subprocess) are left out: the
 * child runs outside valgrind (--trace-children=no), so valgrind checks
 * nothing of theirs, and GLib's wait for the child under valgrind (which
 * lacks pidfd_open) has now and then hung the whole run in CI.  They run in
 * every other set-up.
 */
static bool running_under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");

    return p && strstr(p, "vgpreload");
}

int main(int argc, char **argv)
{
    bool under_valgrind = running_under_valgrind();
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
    if (!iommufd_mock_is_mock_fd) {
        printf("1..0 # SKIP libiommufd-mock is not preloaded (LD_PRELOAD)\n");
        return 0;
    }
    tu_add_func("/mock/interpose/binding", test_binding);
    tu_add_func("/mock/interpose/environment", test_environment);
    tu_add_func("/mock/interpose/symbols", test_symbols);
    tu_add_func("/mock/interpose/open/open64", test_open64);
    tu_add_func("/mock/interpose/open/__open64_2", test_open64_2);
    tu_add_func("/mock/interpose/open/open", test_open);
    tu_add_func("/mock/interpose/open/__open_2", test_open_2);
    if (!under_valgrind) {
        tu_add_func("/mock/interpose/open/__open_2-missing-mode", test_open_2_missing_mode);
    }
    tu_add_func("/mock/interpose/open/openat64", test_openat64);
    tu_add_func("/mock/interpose/open/__openat64_2", test_openat64_2);
    tu_add_func("/mock/interpose/open/openat", test_openat);
    tu_add_func("/mock/interpose/open/__openat_2", test_openat_2);
    tu_add_func("/mock/interpose/open/vfio", test_open_vfio);
    tu_add_func("/mock/interpose/stale-entry", test_stale_entry);
    tu_add_func("/mock/interpose/passthrough", test_passthrough);
    tu_add_func("/mock/interpose/passthrough-threads", test_threads);
    tu_add_func("/mock/interpose/ioctl", test_ioctl);
    tu_add_func("/mock/interpose/read", test_read);
    tu_add_func("/mock/interpose/__read_chk", test_read_chk);
    if (!under_valgrind) {
        tu_add_func("/mock/interpose/__read_chk-overflow", test_read_chk_overflow);
    }
    tu_add_func("/mock/interpose/pread64", test_pread64);
    tu_add_func("/mock/interpose/write", test_write);
    tu_add_func("/mock/interpose/dup", test_dup);
    tu_add_func("/mock/interpose/dup2", test_dup2);
    tu_add_func("/mock/interpose/dup3", test_dup3);
    tu_add_func("/mock/interpose/fcntl", test_fcntl);
    tu_add_func("/mock/interpose/close", test_close);
    tu_add_func("/mock/interpose/close_range", test_close_range);
    tu_add_func("/mock/interpose/closefrom", test_closefrom);
    if (!model_6_12()) {
        /* 6.12 has no vEVENTQ, the only kind with an fd of the mock's own */
        tu_add_func("/mock/interpose/close_range-internal-fds", test_close_range_internal);
    }
    tu_add_func("/mock/interpose/fault-notify-rebind", test_fault_notify_rebind);
    tu_add_func("/mock/interpose/mmap", test_mmap);
    tu_add_func("/mock/interpose/fork", test_fork);
    return g_test_run();
}
