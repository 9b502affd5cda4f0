/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the mock /dev/iommu's ioctl dispatcher
 * (tests/mock/ctx.c mock_ctx_ioctl, tests/mock/vfio.c mock_vfio_ioctl and
 * every handler behind them).  The mock is linked in (its own open, ioctl,
 * close, read and write are the program's), so an input is a small program
 * run on freshly opened mock fds:
 *
 *   byte 0   set-up: bit 0 the context's kernel model (6.12 / newest), bits
 *            1-2 the mock VFIO node to open (plain, PASID, no dirty tracking,
 *            none), bit 3 a second /dev/iommu
 *   byte 1   fail-Nth: 0 none, else the Nth mock operation fails (ENOMEM)
 *   then up to MAX_STEPS steps:
 *     op     bits 0-1: 0 ioctl on the context, 1 on the VFIO fd, 2 on the
 *            second context (the first when there is none), 3 another step:
 *            bits 2-4: 0 write scratch memory, 1 reopen the VFIO node,
 *            2 read(), 3 write() on a mock fd the input does not hold (a
 *            fault queue, a vEVENTQ, an access fd: the fd numbers are
 *            predictable), others: a no-op
 *     cmd    one byte: below N_KNOWN a command of the table below; below
 *            0xc0 _IO(';', next byte); below 0xe0 _IO('I', next byte); else
 *            the next 4 bytes are the raw request number
 *     len    2 bytes LE: the argument's length L (what the input still holds
 *            if less); 0xffff passes a NULL pointer
 *     bytes  the argument (L bytes)
 *
 * The argument is put at the END of a page followed by a PROT_NONE page, so
 * that a read or write past it fails: the mock reaches user memory with
 * process_vm_readv/writev, which answer EFAULT there.  Each u64 at an
 * 8-aligned offset whose high half is SCRATCH_MAGIC becomes a pointer into a
 * scratch area (low half modulo its size), so that the user pointers inside
 * the structs (user_va, data_uptr, allowed_iovas, uptr, ...) can be valid,
 * and each u32 at a 4-aligned offset that is FD_MAGIC + 0, 1 or 2 becomes
 * the fd of the first context, the second one or the VFIO node (BIND's
 * iommufd, MAP_FILE's fd).  A command whose argument is an integer
 * (VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU, ...) gets the argument's first 8
 * bytes (little-endian, fewer if shorter) as that integer.
 *
 * Checked, step by step (abort: libFuzzer keeps the input):
 *  - the answer is 0 or more, or -1 with an errno the kernel can return for
 *    that kind of command (ENOTTY only for commands the model does not have);
 *  - no EFAULT when the kernel reads and writes only inside the argument
 *    (its `size` / `argsz` and the command's fixed minimum are within L):
 *    the call is repeated with the argument followed by readable zeros, and
 *    must answer EFAULT again (the fault came from a user pointer inside the
 *    struct), else the mock read or wrote past the argument;
 *  - the bytes of the argument past that extent are unchanged.
 * After every input every mock fd is closed: no context, object or mock fd
 * may remain, and the process holds the same number of real fds as before
 * (LeakSanitizer sees the mock's memory).
 *
 * Built with -fsanitize=fuzzer,address,undefined under clang with the mock's
 * sources compiled in (tests/fuzz/meson.build); with FUZZ_REPLAY the same
 * file gets a main() that replays the files given (any compiler).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <iommufd/mock.h>

#include "mock-internal.h"

#define MAX_STEPS 24
#define MAX_ARG 4096u
#define SCRATCH_SIZE (16u * 4096u)
#define SCRATCH_MAGIC 0x5c5c5c5cu
#define FD_MAGIC 0x5cfd5c00u
#define FD_SCAN 1024

#define CHECK(cond, ...)                                                                \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "fuzz-mock-ioctl: %s:%d: check failed: %s: ", __FILE__,     \
                    __LINE__, #cond);                                                   \
            fprintf(stderr, __VA_ARGS__);                                               \
            fputc('\n', stderr);                                                        \
            abort();                                                                    \
        }                                                                               \
    } while (0)

/* How the kernel treats the argument of a command. */
typedef enum {
    ARG_NONE,        /* not read (an integer, or the command does not exist) */
    ARG_SIZED,       /* iommufd: `size` first, then size bytes */
    ARG_ARGSZ,       /* VFIO: `minsz` bytes, then up to argsz */
    ARG_INT,         /* an int read (FIONBIO, FIOASYNC) */
} ArgKind;

typedef struct {
    uint32_t cmd;
    ArgKind kind;
    uint32_t minsz;   /* bytes always read (ARG_ARGSZ), else 0 */
    const char *name;
} KnownCmd;

#define VFIO_DEVICE_GET_INFO_NR _IO(VFIO_TYPE, VFIO_BASE + 7)

static const KnownCmd known[] = {
    { IOMMU_DESTROY, ARG_SIZED, 0, "DESTROY" },
    { IOMMU_IOAS_ALLOC, ARG_SIZED, 0, "IOAS_ALLOC" },
    { IOMMU_IOAS_ALLOW_IOVAS, ARG_SIZED, 0, "IOAS_ALLOW_IOVAS" },
    { IOMMU_IOAS_COPY, ARG_SIZED, 0, "IOAS_COPY" },
    { IOMMU_IOAS_IOVA_RANGES, ARG_SIZED, 0, "IOAS_IOVA_RANGES" },
    { IOMMU_IOAS_MAP, ARG_SIZED, 0, "IOAS_MAP" },
    { IOMMU_IOAS_UNMAP, ARG_SIZED, 0, "IOAS_UNMAP" },
    { IOMMU_OPTION, ARG_SIZED, 0, "OPTION" },
    { IOMMU_VFIO_IOAS, ARG_SIZED, 0, "VFIO_IOAS" },
    { IOMMU_HWPT_ALLOC, ARG_SIZED, 0, "HWPT_ALLOC" },
    { IOMMU_GET_HW_INFO, ARG_SIZED, 0, "GET_HW_INFO" },
    { IOMMU_HWPT_SET_DIRTY_TRACKING, ARG_SIZED, 0, "HWPT_SET_DIRTY_TRACKING" },
    { IOMMU_HWPT_GET_DIRTY_BITMAP, ARG_SIZED, 0, "HWPT_GET_DIRTY_BITMAP" },
    { IOMMU_HWPT_INVALIDATE, ARG_SIZED, 0, "HWPT_INVALIDATE" },
    { IOMMU_FAULT_QUEUE_ALLOC, ARG_SIZED, 0, "FAULT_QUEUE_ALLOC" },
    { IOMMU_IOAS_MAP_FILE, ARG_SIZED, 0, "IOAS_MAP_FILE" },
    { IOMMU_VIOMMU_ALLOC, ARG_SIZED, 0, "VIOMMU_ALLOC" },
    { IOMMU_VDEVICE_ALLOC, ARG_SIZED, 0, "VDEVICE_ALLOC" },
    { IOMMU_IOAS_CHANGE_PROCESS, ARG_SIZED, 0, "IOAS_CHANGE_PROCESS" },
    { IOMMU_VEVENTQ_ALLOC, ARG_SIZED, 0, "VEVENTQ_ALLOC" },
    { IOMMU_HW_QUEUE_ALLOC, ARG_SIZED, 0, "HW_QUEUE_ALLOC" },
    { _IO(IOMMUFD_TYPE, 0x95), ARG_SIZED, 0, "0x95 (NOIOMMU_GET_PA)" },
    { IOMMU_TEST_CMD, ARG_SIZED, 0, "TEST_CMD" },
    { VFIO_GET_API_VERSION, ARG_NONE, 0, "VFIO_GET_API_VERSION" },
    { VFIO_CHECK_EXTENSION, ARG_NONE, 0, "VFIO_CHECK_EXTENSION" },
    { VFIO_SET_IOMMU, ARG_NONE, 0, "VFIO_SET_IOMMU" },
    { VFIO_IOMMU_GET_INFO, ARG_ARGSZ, 16, "VFIO_IOMMU_GET_INFO" },
    { VFIO_IOMMU_MAP_DMA, ARG_ARGSZ, 32, "VFIO_IOMMU_MAP_DMA" },
    { VFIO_IOMMU_UNMAP_DMA, ARG_ARGSZ, 24, "VFIO_IOMMU_UNMAP_DMA" },
    { VFIO_DEVICE_BIND_IOMMUFD, ARG_ARGSZ, 16, "VFIO_DEVICE_BIND_IOMMUFD" },
    { VFIO_DEVICE_ATTACH_IOMMUFD_PT, ARG_ARGSZ, 16, "VFIO_DEVICE_ATTACH_IOMMUFD_PT" },
    { VFIO_DEVICE_DETACH_IOMMUFD_PT, ARG_ARGSZ, 12, "VFIO_DEVICE_DETACH_IOMMUFD_PT" },
    { VFIO_DEVICE_GET_INFO_NR, ARG_ARGSZ, 16, "VFIO_DEVICE_GET_INFO" },
    { FIONBIO, ARG_INT, 4, "FIONBIO" },
    { FIOASYNC, ARG_INT, 4, "FIOASYNC" },
    { FIOCLEX, ARG_NONE, 0, "FIOCLEX" },
    { FIONCLEX, ARG_NONE, 0, "FIONCLEX" },
};
#define N_KNOWN (sizeof(known) / sizeof(known[0]))

/* Memory set up once: the argument page and its guard, a copy with readable
 * slack, the scratch area (and its guard). */
static uint8_t *arg_page, *slack_page, *scratch;
static char vfio_paths[3][64];
static int baseline_real_fds = -1;
/* FUZZ_VERBOSE=1: every step and its answer on stderr (to write seeds) */
static bool verbose;

static uint8_t *map_guarded(size_t len)
{
    uint8_t *p = mmap(NULL, len + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
    CHECK(mprotect(p + len, 4096, PROT_NONE) == 0, "mprotect: %s", strerror(errno));
    return p;
}

static int count_real_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    if (!d) {
        return -1;
    }
    while (readdir(d)) {
        n++;
    }
    closedir(d);
    return n;
}

static void setup_once(void)
{
    static const uint32_t node_flags[3] = { 0, MOCK_FLAGS_DEVICE_PASID,
                                            MOCK_FLAGS_DEVICE_NO_DIRTY };

    if (arg_page) {
        return;
    }
    CHECK(sysconf(_SC_PAGESIZE) == 4096, "page size %ld", sysconf(_SC_PAGESIZE));
    verbose = getenv("FUZZ_VERBOSE") != NULL;
    arg_page = map_guarded(MAX_ARG);
    slack_page = map_guarded(2 * MAX_ARG);
    scratch = map_guarded(SCRATCH_SIZE);
    for (int i = 0; i < 3; i++) {
        int rc = iommufd_mock_add_device(node_flags[i], vfio_paths[i], sizeof(vfio_paths[i]));
        CHECK(rc == 0, "iommufd_mock_add_device: %d", rc);
    }
}

static bool errno_in(int e, const int *set, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (set[i] == e) {
            return true;
        }
    }
    return false;
}

/* What the kernel can answer, by what the fd is. */
static const int ctx_errnos[] = {
    EINVAL, ENOENT, EOPNOTSUPP, E2BIG, EFAULT, EBUSY, ENOMEM, EOVERFLOW, ERANGE, ENOSPC,
    EEXIST, EPERM, EAGAIN, ENODEV, ENOTTY, EMSGSIZE, EADDRINUSE, EBADF, EMFILE, ENXIO,
};
/* the selftest ops add these (MD_CHECK_* mismatches, access fds) */
static const int test_cmd_errnos[] = { EIO, EBADE, EBADFD };
static const int vfio_errnos[] = {
    EINVAL, ENOENT, EOPNOTSUPP, E2BIG, EFAULT, EBUSY, ENOMEM, EOVERFLOW, ENOSPC, EEXIST,
    EPERM, ENODEV, ENOTTY, EADDRINUSE, EBADF, EBADFD, EMFILE, ENXIO,
};
static const int rw_errnos[] = { EAGAIN, EINVAL, ENOMEM, EOVERFLOW, ENOENT, ESPIPE, EFAULT };

static const KnownCmd *find_known(uint32_t cmd)
{
    for (size_t i = 0; i < N_KNOWN; i++) {
        if (known[i].cmd == cmd) {
            return &known[i];
        }
    }
    return NULL;
}

static uint32_t le32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/*
 * The bytes the kernel may read or write for this command on this kind of
 * fd: a larger L means a fault cannot come from the argument itself.
 */
static uint64_t kernel_extent(const KnownCmd *k, uint32_t cmd, bool on_ctx, const uint8_t *arg,
                              size_t len)
{
    uint32_t nr = _IOC_NR(cmd);
    uint64_t head = len >= 4 ? le32(arg) : 0;

    if (on_ctx && nr >= 0x80 && nr <= 0xa0) {
        /* the kernel reads `size` before it looks the command up, and
         * dispatches on the number alone (any type, any size bits) */
        return len >= 4 ? (head > 4 ? head : 4) : 4;
    }
    if (!k) {
        return 0;
    }
    switch (k->kind) {
    case ARG_SIZED:
        return head > 4 ? head : 4;
    case ARG_ARGSZ:
        /* the fixed part, then anything up to argsz (PASID tails, caps) */
        return head > k->minsz ? head : k->minsz;
    case ARG_INT:
        return 4;
    case ARG_NONE:
    default:
        return 0;
    }
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#endif

/* ASan's high shadow memory on x86_64 (mapped, readable, all zero; the low
 * shadow is 256 MiB at most, the gap between them is not readable). */
static bool in_asan_shadow(uint64_t v)
{
#ifdef FUZZ_ASAN
    return v >= 0x02008fff7000ull && v < 0x10007fff8000ull;   /* HighShadow */
#else
    (void)v;
    return false;
#endif
}

typedef struct {
    int ctx_a, ctx_b, vfio;
    int vfio_node;      /* 0..2, or -1 */
    bool model_6_12;
} Run;

/* Turn the magic words of the argument into scratch pointers and fd numbers. */
static void patch_magic(const Run *r, uint8_t *arg, size_t len)
{
    /* the offsets are the struct's, whatever the page alignment */
    for (size_t off = 0; off + 8 <= len; off += 8) {
        uint64_t v;
        memcpy(&v, arg + off, 8);
        if ((uint32_t)(v >> 32) == SCRATCH_MAGIC) {
            v = (uint64_t)(uintptr_t)scratch + (uint32_t)v % SCRATCH_SIZE;
            memcpy(arg + off, &v, 8);
        } else if (in_asan_shadow(v)) {
            /* a non-canonical address instead: EFAULT, as the value would
             * be on a process without ASan's terabytes of readable zeros
             * (the mock, like the kernel, reads a struct tail of up to 4 GiB
             * to check it is zero) */
            v |= 1ull << 63;
            memcpy(arg + off, &v, 8);
        }
    }
    for (size_t off = 0; off + 4 <= len; off += 4) {
        uint32_t v;
        memcpy(&v, arg + off, 4);
        if ((v & ~3u) == FD_MAGIC) {
            int fds[4] = { r->ctx_a, r->ctx_b, r->vfio, -1 };
            int32_t fd = fds[v & 3];
            memcpy(arg + off, &fd, 4);
        }
    }
}

static void check_ioctl_answer(const Run *r, int fd, uint32_t cmd, const KnownCmd *k, int rc,
                               int err)
{
    bool on_ctx = fd != r->vfio;
    uint32_t nr = _IOC_NR(cmd);

    if (rc >= 0) {
        /* only GET_API_VERSION and CHECK_EXTENSION answer a positive value */
        CHECK(rc == 0 || (on_ctx && (cmd == VFIO_GET_API_VERSION || cmd == VFIO_CHECK_EXTENSION)),
              "%s (0x%x) answered %d", k ? k->name : "?", cmd, rc);
        return;
    }
    CHECK(rc == -1, "cmd 0x%x answered %d", cmd, rc);
    if (on_ctx) {
        bool ok = errno_in(err, ctx_errnos, sizeof(ctx_errnos) / sizeof(ctx_errnos[0])) ||
                  (cmd == IOMMU_TEST_CMD &&
                   errno_in(err, test_cmd_errnos,
                            sizeof(test_cmd_errnos) / sizeof(test_cmd_errnos[0])));
        CHECK(ok, "/dev/iommu %s (0x%x): errno %d (%s) is no answer of the kernel",
              k ? k->name : "?", cmd, err, strerror(err));
        if (err == ENOTTY && k && k->kind == ARG_SIZED) {
            /* a known command is ENOTTY only where the model lacks it */
            bool lacks = nr == 0x95 || (r->model_6_12 && nr >= 0x8f && nr <= 0x94);
            CHECK(lacks, "%s answered ENOTTY on the %s model", k->name,
                  r->model_6_12 ? "6.12" : "newest");
        }
    } else {
        CHECK(errno_in(err, vfio_errnos, sizeof(vfio_errnos) / sizeof(vfio_errnos[0])),
              "VFIO %s (0x%x): errno %d (%s) is no answer of the kernel", k ? k->name : "?",
              cmd, err, strerror(err));
    }
}

/* One ioctl step, with the argument at the end of the guarded page. */
static void do_ioctl(const Run *r, int fd, uint32_t cmd, const uint8_t *bytes, size_t len,
                     bool null_arg)
{
    const KnownCmd *k = find_known(cmd);
    bool on_ctx = fd != r->vfio;
    uint8_t *arg = arg_page + MAX_ARG - len;
    uint8_t before[MAX_ARG];
    int rc, err;

    memcpy(arg, bytes, len);
    patch_magic(r, arg, len);
    memcpy(before, arg, len);
    if (k && k->kind == ARG_NONE && k->cmd != FIOCLEX && k->cmd != FIONCLEX) {
        uint64_t v = 0;
        memcpy(&v, bytes, len < 8 ? len : 8);
        errno = 0;
        rc = ioctl(fd, (unsigned long)cmd, (unsigned long)v);
        check_ioctl_answer(r, fd, cmd, k, rc, errno);
        return;
    }
    errno = 0;
    rc = ioctl(fd, (unsigned long)cmd, null_arg ? NULL : (void *)arg);
    err = errno;
    if (verbose) {
        fprintf(stderr, "  %s %s (0x%x) len %zu size %u -> %d %s\n",
                fd == r->vfio ? "vfio" : fd == r->ctx_b ? "ctx-b" : "ctx",
                k ? k->name : "?", cmd, len, len >= 4 ? le32(before) : 0, rc,
                rc < 0 ? strerror(err) : "");
        for (size_t i = 0; i + 4 <= len && i < 48 && !null_arg; i += 4) {
            fprintf(stderr, "%s%08x", i ? " " : "    ", le32(arg + i));
        }
        fputc('\n', stderr);
    }
    check_ioctl_answer(r, fd, cmd, k, rc, err);
    if (null_arg) {
        return;
    }

    uint64_t extent = kernel_extent(k, cmd, on_ctx, before, len);
    /* FIOASYNC and FIONBIO are the kernel's own, on the real fd underneath */
    if (extent <= len) {
        if (rc == -1 && err == EFAULT) {
            /* the same call with readable memory after the argument */
            memset(slack_page, 0, 2 * MAX_ARG);
            memcpy(slack_page, before, len);
            bool armed_reached = iommufd_mock_fail_nth_reached();
            errno = 0;
            int rc2 = ioctl(fd, (unsigned long)cmd, (void *)slack_page);
            int err2 = errno;
            /* the repeat is a mock operation too: fail-Nth may take it */
            bool injected = !armed_reached && iommufd_mock_fail_nth_reached();
            CHECK(injected || (rc2 == -1 && err2 == EFAULT),
                  "%s (0x%x), %zu-byte argument, size/argsz %u: EFAULT, but %d (%s) with "
                  "memory after it: the mock reached past the argument",
                  k ? k->name : "?", cmd, len, len >= 4 ? le32(before) : 0, rc2,
                  rc2 == -1 ? strerror(err2) : "success");
        }
        for (size_t i = extent; i < len; i++) {
            CHECK(arg[i] == before[i], "%s (0x%x): byte %zu of a %zu-byte argument written, "
                  "past the %llu bytes the kernel writes", k ? k->name : "?", cmd, i, len,
                  (unsigned long long)extent);
        }
    }
}

/* read() or write() on a mock fd the input did not open itself. */
static void do_rw(const Run *r, bool write_op, unsigned k, const uint8_t *bytes, size_t len)
{
    int base = r->ctx_a;
    int fd = -1;
    unsigned seen = 0;

    /* the k-th mock fd above the context's that is not one of ours */
    for (int i = base + 1; i < FD_SCAN && fd < 0; i++) {
        if (i == r->ctx_b || i == r->vfio || !iommufd_mock_is_mock_fd(i)) {
            continue;
        }
        if (seen++ == k % 4) {
            fd = i;
        }
    }
    if (fd < 0) {
        return;
    }
    int fl = fcntl(fd, F_GETFL);
    CHECK(fl >= 0, "F_GETFL of mock fd %d: %s", fd, strerror(errno));
    CHECK(fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0, "F_SETFL: %s", strerror(errno));

    uint8_t *buf = arg_page + MAX_ARG - len;
    ssize_t n;
    memcpy(buf, bytes, len);
    errno = 0;
    n = write_op ? write(fd, buf, len) : read(fd, buf, len);
    int err = errno;
    if (verbose) {
        fprintf(stderr, "  %s fd %d, %zu bytes -> %zd %s\n", write_op ? "write" : "read", fd, len,
                n, n < 0 ? strerror(err) : "");
    }
    if (n >= 0) {
        CHECK((size_t)n <= len, "%s of %zu bytes answered %zd", write_op ? "write" : "read",
              len, n);
        return;
    }
    CHECK(n == -1 && errno_in(err, rw_errnos, sizeof(rw_errnos) / sizeof(rw_errnos[0])),
          "%s on mock fd %d: errno %d (%s)", write_op ? "write" : "read", fd, err,
          strerror(err));
    /* the buffer is exactly len bytes: a fault is the mock's */
    CHECK(err != EFAULT, "%s of %zu bytes on mock fd %d: EFAULT on a valid buffer",
          write_op ? "write" : "read", len, fd);
}

static int open_vfio(int node)
{
    if (node < 0) {
        return -1;
    }
    int fd = open(vfio_paths[node], O_RDWR | O_CLOEXEC);
    CHECK(fd >= 0, "open %s: %s", vfio_paths[node], strerror(errno));
    return fd;
}

static void close_all(Run *r)
{
    for (int fd = 0; fd < FD_SCAN; fd++) {
        if (iommufd_mock_is_mock_fd(fd)) {
            CHECK(close(fd) == 0, "close of mock fd %d: %s", fd, strerror(errno));
        }
    }
    r->ctx_a = r->ctx_b = r->vfio = -1;
    CHECK(iommufd_mock_count_fds() == 0, "%u mock fds left", iommufd_mock_count_fds());
    CHECK(mock_live_ctxs() == 0, "%u contexts left after every fd was closed",
          mock_live_ctxs());
    CHECK(mock_live_objects() == 0, "%u objects left after every fd was closed",
          mock_live_objects());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Run r = { -1, -1, -1, -1, false };
    size_t pos = 2;

    setup_once();
    if (size < 2) {
        return 0;
    }
    /* libFuzzer itself opens files between inputs: count per input */
    baseline_real_fds = count_real_fds();
    r.model_6_12 = data[0] & 1;
    r.vfio_node = (data[0] >> 1) & 3;
    if (r.vfio_node == 3) {
        r.vfio_node = -1;
    }
    iommufd_mock_set_kernel(r.model_6_12 ? IOMMUFD_MOCK_KERNEL_6_12 : IOMMUFD_MOCK_KERNEL_NEWEST);
    r.ctx_a = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    CHECK(r.ctx_a >= 0, "open /dev/iommu: %s", strerror(errno));
    if (data[0] & 8) {
        r.ctx_b = open("/dev/iommu", O_RDWR | O_CLOEXEC);
        CHECK(r.ctx_b >= 0, "open /dev/iommu: %s", strerror(errno));
    }
    r.vfio = open_vfio(r.vfio_node);
    memset(scratch, 0, SCRATCH_SIZE);
    if (data[1]) {
        iommufd_mock_fail_nth(data[1], ENOMEM);
    }

    for (unsigned step = 0; step < MAX_STEPS && pos < size; step++) {
        uint8_t op = data[pos++];
        uint32_t cmd = 0;

        if ((op & 3) == 3) {
            unsigned what = (op >> 2) & 7;
            if (what == 0) {
                /* scratch write: offset (2 bytes, in 8-byte units), count, bytes */
                if (size - pos < 3) {
                    break;
                }
                size_t off = (size_t)(data[pos] | data[pos + 1] << 8) * 8 % SCRATCH_SIZE;
                size_t n = data[pos + 2];
                pos += 3;
                n = n < size - pos ? n : size - pos;
                n = n < SCRATCH_SIZE - off ? n : SCRATCH_SIZE - off;
                memcpy(scratch + off, data + pos, n);
                pos += n;
            } else if (what == 1) {
                if (r.vfio >= 0) {
                    CHECK(close(r.vfio) == 0, "close vfio: %s", strerror(errno));
                    r.vfio = open_vfio(r.vfio_node);
                }
            } else if (what == 2 || what == 3) {
                if (size - pos < 2) {
                    break;
                }
                unsigned k = data[pos];
                size_t n = data[pos + 1] * 8u;
                pos += 2;
                n = n < size - pos ? n : size - pos;
                do_rw(&r, what == 3, k, data + pos, n);
                pos += n;
            }
            continue;
        }
        if (pos >= size) {
            break;
        }
        uint8_t sel = data[pos++];
        if (sel < N_KNOWN) {
            cmd = known[sel].cmd;
        } else if (sel < 0xe0) {
            if (pos >= size) {
                break;
            }
            cmd = _IO(sel < 0xc0 ? IOMMUFD_TYPE : 'I', data[pos++]);
        } else {
            if (size - pos < 4) {
                break;
            }
            cmd = le32(data + pos);
            pos += 4;
        }
        if (size - pos < 2) {
            break;
        }
        uint16_t want = (uint16_t)(data[pos] | data[pos + 1] << 8);
        pos += 2;
        bool null_arg = want == 0xffff;
        size_t len = null_arg ? 0 : want;
        len = len < size - pos ? len : size - pos;
        len = len < MAX_ARG ? len : MAX_ARG;

        int fd = (op & 3) == 1 ? r.vfio : (op & 3) == 2 && r.ctx_b >= 0 ? r.ctx_b : r.ctx_a;
        if (fd >= 0) {
            do_ioctl(&r, fd, cmd, data + pos, len, null_arg);
        }
        pos += len;
    }

    iommufd_mock_fail_nth(0, 0);
    close_all(&r);
    iommufd_mock_set_kernel(IOMMUFD_MOCK_KERNEL_NEWEST);
    int now = count_real_fds();
    CHECK(now == baseline_real_fds, "%d real fds open, %d before: the mock leaked %d", now,
          baseline_real_fds, now - baseline_real_fds);
    return 0;
}

#ifdef FUZZ_REPLAY
#define FUZZ_REPLAY_WHAT "every answer one of the kernel's, nothing read past the argument, nothing left open"
#include "fuzz-replay.h"
#endif
