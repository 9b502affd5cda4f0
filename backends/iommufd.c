/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IOMMUFDBackend: owns (or borrows) the /dev/iommu fd and wraps each iommufd
 * ioctl in a helper.  The helpers follow the order of the uapi header.  Each
 * builds a zeroed struct with .size = sizeof, issues one ioctl (retried on
 * EINTR, errno captured at once), fires one trace event whose values are
 * read from the struct after the call, and reports failure as one error.
 */
#include "iommufd/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends/iommufd-internal.h"
#include "trace/trace-backends.h"
#include "uapi/linux/iommufd.h"

/* struct _IOMMUFDBackend: in backends/iommufd-internal.h (the helpers' inline fd check) */

const void *_iommufd_backend_class = &_iommufd_backend_class;

G_DEFINE_FINAL_TYPE(IOMMUFDBackend, iommufd_backend, G_TYPE_OBJECT)

enum {
    PROP_0,
    PROP_FD,
    PROP_PATH,
    PROP_OWNED,
    PROP_USERS,
    N_PROPS,
};
static GParamSpec *props[N_PROPS];

#define DEFAULT_PATH "/dev/iommu"

/* ---- commands: names and the release that added each ---------------------- */

static const struct {
    const char *name;
    const char *since;
} commands[] = {
    [IOMMUFD_CMD_DESTROY - IOMMUFD_CMD_BASE] = { "IOMMU_DESTROY", "6.2" },
    [IOMMUFD_CMD_IOAS_ALLOC - IOMMUFD_CMD_BASE] = { "IOMMU_IOAS_ALLOC", "6.2" },
    [IOMMUFD_CMD_IOAS_ALLOW_IOVAS - IOMMUFD_CMD_BASE] = { "IOMMU_IOAS_ALLOW_IOVAS", "6.2" },
    [IOMMUFD_CMD_IOAS_COPY - IOMMUFD_CMD_BASE] = { "IOMMU_IOAS_COPY", "6.2" },
    [IOMMUFD_CMD_IOAS_IOVA_RANGES - IOMMUFD_CMD_BASE] = { "IOMMU_IOAS_IOVA_RANGES", "6.2" },
    [IOMMUFD_CMD_IOAS_MAP - IOMMUFD_CMD_BASE] = { "IOMMU_IOAS_MAP", "6.2" },
    [IOMMUFD_CMD_IOAS_UNMAP - IOMMUFD_CMD_BASE] = { "IOMMU_IOAS_UNMAP", "6.2" },
    [IOMMUFD_CMD_OPTION - IOMMUFD_CMD_BASE] = { "IOMMU_OPTION", "6.2" },
    [IOMMUFD_CMD_VFIO_IOAS - IOMMUFD_CMD_BASE] = { "IOMMU_VFIO_IOAS", "6.2" },
    [IOMMUFD_CMD_HWPT_ALLOC - IOMMUFD_CMD_BASE] = { "IOMMU_HWPT_ALLOC", "6.6" },
    [IOMMUFD_CMD_GET_HW_INFO - IOMMUFD_CMD_BASE] = { "IOMMU_GET_HW_INFO", "6.6" },
    [IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING - IOMMUFD_CMD_BASE] = {
        "IOMMU_HWPT_SET_DIRTY_TRACKING", "6.7" },
    [IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP - IOMMUFD_CMD_BASE] = {
        "IOMMU_HWPT_GET_DIRTY_BITMAP", "6.7" },
    [IOMMUFD_CMD_HWPT_INVALIDATE - IOMMUFD_CMD_BASE] = { "IOMMU_HWPT_INVALIDATE", "6.8" },
    [IOMMUFD_CMD_FAULT_QUEUE_ALLOC - IOMMUFD_CMD_BASE] = { "IOMMU_FAULT_QUEUE_ALLOC", "6.11" },
    [IOMMUFD_CMD_IOAS_MAP_FILE - IOMMUFD_CMD_BASE] = { "IOMMU_IOAS_MAP_FILE", "6.13" },
    [IOMMUFD_CMD_VIOMMU_ALLOC - IOMMUFD_CMD_BASE] = { "IOMMU_VIOMMU_ALLOC", "6.13" },
    [IOMMUFD_CMD_VDEVICE_ALLOC - IOMMUFD_CMD_BASE] = { "IOMMU_VDEVICE_ALLOC", "6.13" },
    [IOMMUFD_CMD_IOAS_CHANGE_PROCESS - IOMMUFD_CMD_BASE] = {
        "IOMMU_IOAS_CHANGE_PROCESS", "6.13" },
    [IOMMUFD_CMD_VEVENTQ_ALLOC - IOMMUFD_CMD_BASE] = { "IOMMU_VEVENTQ_ALLOC", "6.15" },
    [IOMMUFD_CMD_HW_QUEUE_ALLOC - IOMMUFD_CMD_BASE] = { "IOMMU_HW_QUEUE_ALLOC", "6.17" },
    [IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA - IOMMUFD_CMD_BASE] = {
        "IOMMU_IOAS_NOIOMMU_GET_PA", "a release after 6.19" },
};

const char *iommufd_command_name(unsigned int nr)
{
    unsigned int i = nr - IOMMUFD_CMD_BASE;
    return nr >= IOMMUFD_CMD_BASE && i < G_N_ELEMENTS(commands) ? commands[i].name : NULL;
}

const char *iommufd_command_since(unsigned int nr)
{
    unsigned int i = nr - IOMMUFD_CMD_BASE;
    return nr >= IOMMUFD_CMD_BASE && i < G_N_ELEMENTS(commands) ? commands[i].since : NULL;
}

/* ---- errors ---------------------------------------------------------------- */

/*
 * The hint for an errno people hit, by command.  Each hint says what to do.
 */
void _iommufd_error_add_hint(IOMMUFDError **errp, unsigned int nr, int err)
{
    const char *name = iommufd_command_name(nr);

    switch (err) {
    case ENOTTY:
        iommufd_error_append_hint(errp,
                                  "This kernel lacks %s (added in Linux %s); probe with "
                                  "iommufd_backend_probe() and fall back.\n",
                                  name ? name : "the command",
                                  iommufd_command_since(nr) ? iommufd_command_since(nr) : "?");
        break;
    case EOPNOTSUPP:
        iommufd_error_append_hint(errp,
                                  "The kernel or the device does not support a flag or type of "
                                  "this request: retry without it, or check the device's "
                                  "capabilities with iommufd_backend_get_device_info().\n");
        break;
    case EBUSY:
        if (nr == IOMMUFD_CMD_DESTROY) {
            iommufd_error_append_hint(errp,
                                      "Something still references the object (an attached "
                                      "device, a HWPT on an IOAS, a nested HWPT on its parent, "
                                      "an open queue fd): destroy or detach those first.\n");
        }
        break;
    case ENOMEM:
        if (nr == IOMMUFD_CMD_IOAS_MAP || nr == IOMMUFD_CMD_IOAS_MAP_FILE ||
            nr == IOMMUFD_CMD_IOAS_COPY) {
            iommufd_error_append_hint(errp,
                                      "Pinned memory counts against RLIMIT_MEMLOCK: raise it "
                                      "(ulimit -l), grant CAP_IPC_LOCK, or switch accounting "
                                      "with IOMMU_OPTION_RLIMIT_MODE.\n");
        }
        break;
    case EFAULT:
        if (nr == IOMMUFD_CMD_IOAS_MAP) {
            iommufd_error_append_hint(errp,
                                      "The memory is not mapped, or not writable for a "
                                      "writable mapping.  A device BAR cannot be pinned: map a "
                                      "dma-buf of it with iommufd_backend_map_file_dma().\n");
        }
        break;
    case EBADF:
        iommufd_error_append_hint(errp,
                                  "The backend's fd is not open: call "
                                  "iommufd_backend_connect() first.\n");
        break;
    default:
        break;
    }
}

/* An argument that is wrong before any ioctl: EINVAL, nothing issued. */
#define BAD_ARG(errp, ...) (iommufd_error_setg_code((errp), EINVAL, __VA_ARGS__), false)
/* the same from a helper's cold checker, the error naming the helper `func` */
#define BAD_ARG_IN(func, errp, ...)                                                \
    (iommufd_error_setg_internal((errp), __FILE__, __LINE__, (func), EINVAL, false, __VA_ARGS__), \
     false)

/* ---- the ioctl ------------------------------------------------------------- */

/* fd of a connected backend, or -1 with an error */
int _iommufd_backend_fd(IOMMUFDBackend *be, const char *what, IOMMUFDError **errp)
{
    int fd = atomic_load(&be->fd);
    if (fd < 0 || atomic_load(&be->users) == 0) {
        iommufd_error_setg_code(errp, EBADF, "%s: the backend is not connected", what);
        _iommufd_error_add_hint(errp, 0, EBADF);
        return -1;
    }
    return fd;
}

void _iommufd_backend_fd_fail(IOMMUFDBackend *be, const char *what, const char *func,
                              IOMMUFDError **errp)
{
    IOMMUFD_ERRP_GUARD();
    if (!IOMMUFD_IS_BACKEND(be)) {
        iommufd_error_setg_internal(errp, __FILE__, __LINE__, func, EINVAL, false,
                                    "%s: no backend", what);
        return;
    }
    /* the helper read no fd: not connected at that moment, whatever the
     * backend's state now */
    iommufd_error_setg_internal(errp, __FILE__, __LINE__, func, EBADF, false,
                                "%s: the backend is not connected", what);
    _iommufd_error_add_hint(errp, 0, EBADF);
}

/* An ioctl that returned < 0: its errno, captured at once, or 0 if a retry
 * after EINTR succeeded (_iommufd_ioctl() is the inline first attempt). */
int _iommufd_ioctl_failed(int fd, unsigned long cmd, void *arg)
{
    int err;
    while ((err = errno) == EINTR) {
        if (ioctl(fd, cmd, arg) >= 0) {
            return 0;
        }
    }
    return err;
}

/* ---- object ---------------------------------------------------------------- */

static void iommufd_backend_init(IOMMUFDBackend *be)
{
    pthread_mutex_init(&be->lock, NULL);
    atomic_init(&be->fd, -1);
    atomic_init(&be->users, 0);
    atomic_init(&be->live_fd, -1);
    be->owned = true;
}

static void iommufd_backend_finalize(GObject *obj)
{
    IOMMUFDBackend *be = IOMMUFD_BACKEND(obj);

    /* an owned fd still open (users forgot to disconnect) is closed; a
     * handed fd never is */
    if (be->owned && atomic_load(&be->fd) >= 0) {
        close(atomic_load(&be->fd));
    }
    g_free(be->path);
    pthread_mutex_destroy(&be->lock);
    G_OBJECT_CLASS(iommufd_backend_parent_class)->finalize(obj);
}

static void iommufd_backend_set_property(GObject *obj, guint id, const GValue *value,
                                         GParamSpec *pspec)
{
    IOMMUFDBackend *be = IOMMUFD_BACKEND(obj);

    switch (id) {
    case PROP_FD: {
        int fd = g_value_get_int(value);
        atomic_store(&be->fd, fd);
        be->owned = fd < 0;
        break;
    }
    case PROP_PATH:
        g_free(be->path);
        be->path = g_value_dup_string(value);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
    }
}

static void iommufd_backend_get_property(GObject *obj, guint id, GValue *value,
                                         GParamSpec *pspec)
{
    IOMMUFDBackend *be = IOMMUFD_BACKEND(obj);

    switch (id) {
    case PROP_FD:
        g_value_set_int(value, atomic_load(&be->fd));
        break;
    case PROP_PATH:
        g_value_set_string(value, be->path ? be->path : DEFAULT_PATH);
        break;
    case PROP_OWNED:
        g_value_set_boolean(value, be->owned);
        break;
    case PROP_USERS:
        g_value_set_uint(value, atomic_load(&be->users));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(obj, id, pspec);
    }
}

static void iommufd_backend_class_init(IOMMUFDBackendClass *klass)
{
    GObjectClass *oc = G_OBJECT_CLASS(klass);

    _iommufd_backend_class = klass;
    oc->finalize = iommufd_backend_finalize;
    oc->set_property = iommufd_backend_set_property;
    oc->get_property = iommufd_backend_get_property;
    props[PROP_FD] = g_param_spec_int("fd", "fd",
                                      "An open /dev/iommu fd handed by the caller (never "
                                      "closed by the backend); -1: open path on first connect",
                                      -1, G_MAXINT, -1,
                                      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                      G_PARAM_STATIC_STRINGS);
    props[PROP_PATH] = g_param_spec_string("path", "path",
                                           "The device node an owned backend opens",
                                           DEFAULT_PATH,
                                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                           G_PARAM_STATIC_STRINGS);
    props[PROP_OWNED] = g_param_spec_boolean("owned", "owned",
                                             "Whether the backend opens and closes its fd",
                                             TRUE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    props[PROP_USERS] = g_param_spec_uint("users", "users", "Connected users", 0, G_MAXUINT,
                                          0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(oc, N_PROPS, props);
}

IOMMUFDBackend *iommufd_backend_new(void)
{
    return g_object_new(IOMMUFD_TYPE_BACKEND, NULL);
}

IOMMUFDBackend *iommufd_backend_new_with_path(const char *path)
{
    return g_object_new(IOMMUFD_TYPE_BACKEND, "path", path ? path : DEFAULT_PATH, NULL);
}

IOMMUFDBackend *iommufd_backend_new_from_fd(int fd)
{
    /* a negative fd would make an owned backend: keep it not owned and
     * let connect report it */
    IOMMUFDBackend *be = g_object_new(IOMMUFD_TYPE_BACKEND, "fd", fd < 0 ? -1 : fd, NULL);
    if (fd < 0) {
        be->owned = false;
    }
    return be;
}

static const char *be_path(IOMMUFDBackend *be)
{
    return be->path ? be->path : DEFAULT_PATH;
}

bool iommufd_backend_connect(IOMMUFDBackend *be, IOMMUFDError **errp)
{
    int err = 0;

    if (!IOMMUFD_IS_BACKEND(be)) {
        return BAD_ARG(errp, "iommufd_backend_connect: no backend");
    }
    pthread_mutex_lock(&be->lock);
    unsigned int users = atomic_load(&be->users);
    if (users == 0) {
        if (be->owned) {
            int fd;
            do {
                fd = open(be_path(be), O_RDWR | O_CLOEXEC);
            } while (fd < 0 && errno == EINTR);
            if (fd < 0) {
                err = errno;
                iommufd_error_setg_errno(errp, err, "Could not open '%s'", be_path(be));
                if (err == ENOENT) {
                    iommufd_error_append_hint(errp,
                                              "The kernel has no iommufd: build it with "
                                              "CONFIG_IOMMUFD=y (or load the iommufd module).\n");
                } else if (err == EACCES || err == EPERM) {
                    iommufd_error_append_hint(errp,
                                              "Only root or the owner/group of %s may open it: "
                                              "run as root, or have udev grant the VMM's user "
                                              "access to the node.\n", be_path(be));
                }
            } else {
                atomic_store(&be->fd, fd);
            }
        } else {
            /* a handed fd: check that it is an iommufd with a probe that
             * changes nothing (size 0: EINVAL on an iommufd) */
            int fd = atomic_load(&be->fd);
            struct iommu_destroy probe = { .size = 0 };
            int rc = fd < 0 ? EBADF : _iommufd_ioctl(fd, IOMMU_DESTROY, &probe);
            if (rc != EINVAL) {
                err = rc ? rc : EINVAL;
                iommufd_error_setg_code(errp, err == EBADF ? EBADF : ENOTTY,
                                        "fd %d is not an iommufd (%s)", fd,
                                        err == EBADF ? "not open" : "it rejects iommufd ioctls");
                iommufd_error_append_hint(errp, "Hand the backend an fd of /dev/iommu.\n");
            }
        }
    }
    if (!err) {
        atomic_store(&be->users, users + 1);
        atomic_store(&be->live_fd, atomic_load(&be->fd));
    }
    trace_iommufd_backend_connect(atomic_load(&be->fd), be->owned, atomic_load(&be->users), err);
    pthread_mutex_unlock(&be->lock);
    return err == 0;
}

void iommufd_backend_disconnect(IOMMUFDBackend *be)
{
    if (!IOMMUFD_IS_BACKEND(be)) {
        return;
    }
    pthread_mutex_lock(&be->lock);
    unsigned int users = atomic_load(&be->users);
    int fd = atomic_load(&be->fd);
    if (users > 0) {
        users--;
        if (users == 0) {
            atomic_store(&be->live_fd, -1);
        }
        atomic_store(&be->users, users);
        if (users == 0 && be->owned && fd >= 0) {
            atomic_store(&be->fd, -1);
            close(fd);
        }
    }
    trace_iommufd_backend_disconnect(fd, be->owned, users);
    pthread_mutex_unlock(&be->lock);
}

int iommufd_backend_get_fd(IOMMUFDBackend *be)
{
    return IOMMUFD_IS_BACKEND(be) ? atomic_load(&be->fd) : -1;
}

bool iommufd_backend_is_owned(IOMMUFDBackend *be)
{
    return IOMMUFD_IS_BACKEND(be) && be->owned;
}

unsigned int iommufd_backend_get_users(IOMMUFDBackend *be)
{
    return IOMMUFD_IS_BACKEND(be) ? atomic_load(&be->users) : 0;
}

/* ---- IOAS ------------------------------------------------------------------ */

/* common start of every helper: BACKEND_FD(be, what, errp), a backend and
 * its fd (backends/iommufd-internal.h); the error guard only on failure
 * paths, where a hint is appended */

/*
 * Report a failed ioctl: "CMD(args) failed: strerror", errno kept, the hint
 * of the errno, then `hint` (NULL: none).  Out of line, with the error
 * guard, so that the helpers' success path does not pay for either; the
 * error records the helper's function and line.  Returns false.
 */
static bool __attribute__((cold, noinline)) G_GNUC_PRINTF(7, 8)
ioctl_failed(IOMMUFDError **errp, const char *func, int line, unsigned int nr, int err,
             const char *hint, const char *fmt, ...)
{
    int saved_errno = errno;
    IOMMUFD_ERRP_GUARD();
    va_list ap;

    va_start(ap, fmt);
    char *args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    iommufd_error_setg_internal(errp, __FILE__, line, func, err, true, "%s(%s) failed",
                                iommufd_command_name(nr), args);
    g_free(args);
    _iommufd_error_add_hint(errp, nr, err);
    if (hint) {
        iommufd_error_append_hint(errp, "%s", hint);
    }
    errno = saved_errno;
    return false;
}

#define IOCTL_FAILED(errp, nr, err, hint, ...) \
    ioctl_failed((errp), __func__, __LINE__, (nr), (err), (hint), __VA_ARGS__)

/* the failure branch of iommufd_backend_alloc_ioas(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
alloc_ioas_failed(int fd, const struct iommu_ioas_alloc *cmd, int err, IOMMUFDError **errp,
                  const char *func, int line)
{
    trace_iommufd_backend_alloc_ioas(fd, cmd->out_ioas_id, err);
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_IOAS_ALLOC, err, NULL, "flags 0x%x",
                        cmd->flags);
}

bool iommufd_backend_alloc_ioas(IOMMUFDBackend *be, uint32_t *ioas_id, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_IOAS_ALLOC", errp);
    if (fd < 0) {
        return false;
    }
    if (!ioas_id) {
        return BAD_ARG(errp, "IOMMU_IOAS_ALLOC: ioas_id must not be NULL");
    }
    struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
    int err = _iommufd_ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);
    if (G_UNLIKELY(err)) {
        return alloc_ioas_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), err, errp, __func__, __LINE__);
    }
    trace_iommufd_backend_alloc_ioas(fd, cmd.out_ioas_id, 0);
    *ioas_id = cmd.out_ioas_id;
    return true;
}

/* the failure branch of iommufd_backend_free_id(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
free_id_failed(int fd, const struct iommu_destroy *cmd, int err, IOMMUFDError **errp,
               const char *func, int line)
{
    trace_iommufd_backend_free_id(fd, cmd->id, err);
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_DESTROY, err, NULL, "id %u", cmd->id);
}

bool iommufd_backend_free_id(IOMMUFDBackend *be, uint32_t id, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_DESTROY", errp);
    if (fd < 0) {
        return false;
    }
    struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
    int err = _iommufd_ioctl(fd, IOMMU_DESTROY, &cmd);
    if (G_UNLIKELY(err)) {
        return free_id_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), err, errp, __func__, __LINE__);
    }
    trace_iommufd_backend_free_id(fd, cmd.id, 0);
    return true;
}

static uint32_t map_flags(bool readonly)
{
    return IOMMU_IOAS_MAP_READABLE | (readonly ? 0 : IOMMU_IOAS_MAP_WRITEABLE);
}

/* inlined into both callers: a call of its own would cost more than the ioctl's setup */
/* the failure branch of do_map(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
do_map_failed(int fd, const struct iommu_ioas_map *cmd, int err, IOMMUFDError **errp,
              const char *func, int line)
{
    trace_iommufd_backend_map_dma(fd, cmd->ioas_id, cmd->flags, cmd->iova, cmd->length,
                                  (void *)(uintptr_t)cmd->user_va, err);
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_IOAS_MAP, err, NULL,
                        "ioas_id %u, iova 0x%" PRIx64 ", size 0x%" PRIx64 ", flags 0x%x",
                        cmd->ioas_id, (uint64_t)cmd->iova, (uint64_t)cmd->length, cmd->flags);
}

static inline __attribute__((always_inline)) bool
do_map(IOMMUFDBackend *be, uint32_t ioas_id, uint64_t *iova, bool fixed, uint64_t size,
       void *vaddr, bool readonly, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_IOAS_MAP", errp);
    if (fd < 0) {
        return false;
    }
    if (size == 0) {
        return BAD_ARG(errp, "IOMMU_IOAS_MAP(ioas_id %u): size must not be 0", ioas_id);
    }
    if (!vaddr) {
        return BAD_ARG(errp, "IOMMU_IOAS_MAP(ioas_id %u): vaddr must not be NULL", ioas_id);
    }
    if (!iova) {
        return BAD_ARG(errp, "IOMMU_IOAS_MAP(ioas_id %u): iova must not be NULL", ioas_id);
    }
    struct iommu_ioas_map cmd = {
        .size = sizeof(cmd),
        .flags = map_flags(readonly) | (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
        .ioas_id = ioas_id,
        .user_va = (uintptr_t)vaddr,
        .length = size,
        .iova = fixed ? *iova : 0,
    };
    int err = _iommufd_ioctl(fd, IOMMU_IOAS_MAP, &cmd);
    if (G_UNLIKELY(err)) {
        return do_map_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), err, errp, __func__, __LINE__);
    }
    trace_iommufd_backend_map_dma(fd, cmd.ioas_id, cmd.flags, cmd.iova, cmd.length,
                                  (void *)(uintptr_t)cmd.user_va, 0);
    *iova = cmd.iova;
    return true;
}

bool iommufd_backend_map_dma(IOMMUFDBackend *be, uint32_t ioas_id, uint64_t iova, uint64_t size,
                             void *vaddr, bool readonly, IOMMUFDError **errp)
{
    return do_map(be, ioas_id, &iova, true, size, vaddr, readonly, errp);
}

bool iommufd_backend_map_dma_auto(IOMMUFDBackend *be, uint32_t ioas_id, uint64_t size,
                                  void *vaddr, bool readonly, uint64_t *iova,
                                  IOMMUFDError **errp)
{
    return do_map(be, ioas_id, iova, false, size, vaddr, readonly, errp);
}

/* the failure branch of iommufd_backend_map_file_dma(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
map_file_dma_failed(int fd, const struct iommu_ioas_map_file *cmd, int err, IOMMUFDError **errp,
                    const char *func, int line)
{
    trace_iommufd_backend_map_file_dma(fd, cmd->ioas_id, cmd->flags, cmd->iova, cmd->length,
                                       cmd->fd, cmd->start, err);
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_IOAS_MAP_FILE, err, NULL,
                        "ioas_id %u, iova 0x%" PRIx64 ", size 0x%" PRIx64 ", fd %d, start 0x%"
                        PRIx64 ", flags 0x%x",
                        cmd->ioas_id, (uint64_t)cmd->iova, (uint64_t)cmd->length, cmd->fd,
                        (uint64_t)cmd->start, cmd->flags);
}

bool iommufd_backend_map_file_dma(IOMMUFDBackend *be, uint32_t ioas_id, uint64_t iova,
                                  uint64_t size, int mfd, uint64_t start, bool readonly,
                                  IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_IOAS_MAP_FILE", errp);
    if (fd < 0) {
        return false;
    }
    if (size == 0) {
        return BAD_ARG(errp, "IOMMU_IOAS_MAP_FILE(ioas_id %u): size must not be 0", ioas_id);
    }
    if (mfd < 0) {
        return BAD_ARG(errp, "IOMMU_IOAS_MAP_FILE(ioas_id %u): fd %d is not a file", ioas_id,
                       mfd);
    }
    struct iommu_ioas_map_file cmd = {
        .size = sizeof(cmd),
        .flags = map_flags(readonly) | IOMMU_IOAS_MAP_FIXED_IOVA,
        .ioas_id = ioas_id,
        .fd = mfd,
        .start = start,
        .length = size,
        .iova = iova,
    };
    int err = _iommufd_ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd);
    if (G_UNLIKELY(err)) {
        return map_file_dma_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), err, errp, __func__, __LINE__);
    }
    trace_iommufd_backend_map_file_dma(fd, cmd.ioas_id, cmd.flags, cmd.iova, cmd.length, cmd.fd,
                                       cmd.start, 0);
    return true;
}

/*
 * The failure of unmap_dma (its events and error), out of line so that the
 * errno need not survive the events' calls in a saved register.  `size` is
 * the length asked (the kernel may have written cmd->length).
 */
static bool __attribute__((cold, noinline))
unmap_dma_failed(int fd, const struct iommu_ioas_unmap *cmd, uint64_t size, int err,
                 uint64_t *unmapped, IOMMUFDError **errp)
{
    static const char func[] = "iommufd_backend_unmap_dma";
    if (err == ENOENT) {
        /*
         * The kernel's ENOENT means "nothing mapped there" (vIOMMUs unmap
         * redundantly: QEMU's rule makes that a success) but also "no IOAS
         * of that id".  Only the first is a success: on this path alone, ask
         * IOVA_RANGES (num_iovas 0, no side effect), which fails with ENOENT
         * only when the IOAS is not there.
         */
        struct iommu_ioas_iova_ranges probe = {
            .size = sizeof(probe),
            .ioas_id = cmd->ioas_id,
        };
        int perr = _iommufd_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &probe);
        trace_iommufd_backend_unmap_dma_check_ioas(fd, probe.ioas_id, perr);
        if (perr == ENOENT) {
            trace_iommufd_backend_unmap_dma(fd, cmd->ioas_id, cmd->iova, size, 0, err);
            return ioctl_failed(errp, func, __LINE__, IOMMUFD_CMD_IOAS_UNMAP, err, NULL,
                                "ioas_id %u, iova 0x%" PRIx64 ", size 0x%" PRIx64 "; no IOAS "
                                "has that id", cmd->ioas_id, (uint64_t)cmd->iova, size);
        }
        if (perr != 0 && perr != EMSGSIZE) {
            /* cannot tell whether the IOAS is there: not a success either */
            trace_iommufd_backend_unmap_dma(fd, cmd->ioas_id, cmd->iova, size, 0, err);
            return ioctl_failed(errp, func, __LINE__, IOMMUFD_CMD_IOAS_IOVA_RANGES, perr, NULL,
                                "ioas_id %u, after IOMMU_IOAS_UNMAP answered ENOENT",
                                cmd->ioas_id);
        }
        /* nothing mapped there: not an error */
        trace_iommufd_backend_unmap_dma_non_exist(fd, cmd->ioas_id, cmd->iova, size);
        if (unmapped) {
            *unmapped = 0;
        }
        return true;
    }
    trace_iommufd_backend_unmap_dma(fd, cmd->ioas_id, cmd->iova, size, 0, err);
    return ioctl_failed(errp, func, __LINE__, IOMMUFD_CMD_IOAS_UNMAP, err, NULL,
                        "ioas_id %u, iova 0x%" PRIx64 ", size 0x%" PRIx64, cmd->ioas_id,
                        (uint64_t)cmd->iova, size);
}

bool iommufd_backend_unmap_dma(IOMMUFDBackend *be, uint32_t ioas_id, uint64_t iova,
                               uint64_t size, uint64_t *unmapped, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_IOAS_UNMAP", errp);
    if (fd < 0) {
        return false;
    }
    if (size == 0) {
        return BAD_ARG(errp, "IOMMU_IOAS_UNMAP(ioas_id %u): size must not be 0", ioas_id);
    }
    struct iommu_ioas_unmap cmd = {
        .size = sizeof(cmd),
        .ioas_id = ioas_id,
        .iova = iova,
        .length = size,
    };
    int err = _iommufd_ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);
    if (G_UNLIKELY(err)) {
        return unmap_dma_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), size, err, unmapped, errp);
    }
    trace_iommufd_backend_unmap_dma(fd, cmd.ioas_id, cmd.iova, size, cmd.length, 0);
    if (unmapped) {
        *unmapped = cmd.length;
    }
    return true;
}

/* the failure branch of iommufd_backend_copy_dma(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
copy_dma_failed(int fd, const struct iommu_ioas_copy *cmd, int err, IOMMUFDError **errp,
                const char *func, int line)
{
    trace_iommufd_backend_copy_dma(fd, cmd->src_ioas_id, cmd->src_iova, cmd->dst_ioas_id,
                                   cmd->dst_iova, cmd->length, cmd->flags, err);
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_IOAS_COPY, err, NULL,
                        "src_ioas_id %u, src_iova 0x%" PRIx64 ", dst_ioas_id %u, dst_iova 0x%"
                        PRIx64 ", size 0x%" PRIx64 ", flags 0x%x",
                        cmd->src_ioas_id, (uint64_t)cmd->src_iova, cmd->dst_ioas_id,
                        (uint64_t)cmd->dst_iova, (uint64_t)cmd->length, cmd->flags);
}

bool iommufd_backend_copy_dma(IOMMUFDBackend *be, uint32_t src_ioas_id, uint64_t src_iova,
                              uint32_t dst_ioas_id, uint64_t dst_iova, uint64_t size,
                              bool readonly, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_IOAS_COPY", errp);
    if (fd < 0) {
        return false;
    }
    if (size == 0) {
        return BAD_ARG(errp, "IOMMU_IOAS_COPY(src_ioas_id %u, dst_ioas_id %u): size must not "
                       "be 0", src_ioas_id, dst_ioas_id);
    }
    struct iommu_ioas_copy cmd = {
        .size = sizeof(cmd),
        .flags = map_flags(readonly) | IOMMU_IOAS_MAP_FIXED_IOVA,
        .dst_ioas_id = dst_ioas_id,
        .src_ioas_id = src_ioas_id,
        .length = size,
        .dst_iova = dst_iova,
        .src_iova = src_iova,
    };
    int err = _iommufd_ioctl(fd, IOMMU_IOAS_COPY, &cmd);
    if (G_UNLIKELY(err)) {
        return copy_dma_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), err, errp, __func__, __LINE__);
    }
    trace_iommufd_backend_copy_dma(fd, cmd.src_ioas_id, cmd.src_iova, cmd.dst_ioas_id,
                                   cmd.dst_iova, cmd.length, cmd.flags, 0);
    return true;
}

/* IOMMUFDIovaRange is the kernel's struct iommu_iova_range: arrays pass as they are */
G_STATIC_ASSERT(sizeof(IOMMUFDIovaRange) == sizeof(struct iommu_iova_range));
G_STATIC_ASSERT(offsetof(IOMMUFDIovaRange, start) == offsetof(struct iommu_iova_range, start));
G_STATIC_ASSERT(offsetof(IOMMUFDIovaRange, last) == offsetof(struct iommu_iova_range, last));

/* get_iova_ranges's first array: room for this many ranges */
#define GET_IOVA_RANGES_FIRST 4

/*
 * The failure of an IOVA_RANGES ioctl into an array of `capacity` (event; an
 * EMSGSIZE that wrote back a larger count is not one), out of line
 */
static bool __attribute__((cold, noinline))
iova_ranges_failed(int fd, const struct iommu_ioas_iova_ranges *cmd, uint32_t capacity, int err,
                   uint32_t *n_ranges, uint64_t *alignment, IOMMUFDError **errp,
                   const char *func)
{
    trace_iommufd_backend_get_iova_ranges(fd, cmd->ioas_id, capacity, cmd->num_iovas,
                                          cmd->out_iova_alignment, err);
    if (err == EMSGSIZE && cmd->num_iovas > capacity) {
        /* the kernel filled the array and wrote back how many there are */
        *n_ranges = cmd->num_iovas;
        if (alignment) {
            *alignment = cmd->out_iova_alignment;
        }
        return true;
    }
    return ioctl_failed(errp, func, __LINE__, IOMMUFD_CMD_IOAS_IOVA_RANGES, err, NULL,
                        "ioas_id %u, num_iovas %u", cmd->ioas_id, capacity);
}

/*
 * One IOVA_RANGES ioctl into `ranges` (room for `capacity`): *n_ranges
 * receives how many the IOAS has, which may be more (then the first
 * `capacity` are filled).  The helpers' shared body, inline.
 */
static inline __attribute__((always_inline)) bool
iova_ranges_into(int fd, uint32_t ioas_id, IOMMUFDIovaRange *ranges, uint32_t capacity,
                 uint32_t *n_ranges, uint64_t *alignment, IOMMUFDError **errp, const char *func)
{
    IOMMUFD_FRAME(struct iommu_ioas_iova_ranges, uint32_t capacity; uint32_t *n_ranges;
                  uint64_t *alignment;) f;
    f.cmd = (struct iommu_ioas_iova_ranges){
        .size = sizeof(f.cmd),
        .ioas_id = ioas_id,
        .num_iovas = capacity,
        .allowed_iovas = (uintptr_t)ranges,
    };
    f.fd = fd;
    f.capacity = capacity;
    f.n_ranges = n_ranges;
    f.alignment = alignment;
    int err = _iommufd_ioctl_frame(&f, IOMMU_IOAS_IOVA_RANGES);
    if (G_UNLIKELY(err)) {
        return iova_ranges_failed(f.fd, IOMMUFD_ADDR_AGAIN(&f.cmd), f.capacity, err, f.n_ranges,
                                  f.alignment, errp, func);
    }
    trace_iommufd_backend_get_iova_ranges(f.fd, f.cmd.ioas_id, f.capacity, f.cmd.num_iovas,
                                          f.cmd.out_iova_alignment, 0);
    *f.n_ranges = f.cmd.num_iovas;
    if (f.alignment) {
        *f.alignment = f.cmd.out_iova_alignment;
    }
    return true;
}

/*
 * get_iova_ranges when the first array was too small, out of line: call
 * again with an array as large as the count the kernel gave; ranges can
 * change between calls (another thread attaching a device), so up to 3 more
 * times.  *ranges is set only on success (the first call wrote *n_ranges
 * and *alignment already).
 */
static bool __attribute__((cold, noinline))
get_iova_ranges_grow(int fd, uint32_t ioas_id, IOMMUFDIovaRange *out, uint32_t n,
                     IOMMUFDIovaRange **ranges, uint32_t *n_ranges, uint64_t *alignment,
                     IOMMUFDError **errp)
{
    static const char func[] = "iommufd_backend_get_iova_ranges";
    uint32_t cap = GET_IOVA_RANGES_FIRST;
    uint64_t align = 0;
    for (int attempt = 1; n > cap; attempt++) {
        if (attempt == 4) {
            g_free(out);
            return ioctl_failed(errp, func, __LINE__, IOMMUFD_CMD_IOAS_IOVA_RANGES, EMSGSIZE,
                                NULL, "ioas_id %u, num_iovas %u", ioas_id, n);
        }
        cap = n;
        out = g_renew(IOMMUFDIovaRange, out, cap);
        if (!iova_ranges_into(fd, ioas_id, out, cap, &n, &align, errp, func)) {
            g_free(out);
            return false;
        }
    }
    *ranges = out;
    *n_ranges = n;
    if (alignment) {
        *alignment = align;
    }
    return true;
}

bool iommufd_backend_get_iova_ranges(IOMMUFDBackend *be, uint32_t ioas_id,
                                     IOMMUFDIovaRange **ranges, uint32_t *n_ranges,
                                     uint64_t *alignment, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_IOAS_IOVA_RANGES", errp);
    if (fd < 0) {
        return false;
    }
    if (!ranges || !n_ranges) {
        return BAD_ARG(errp, "IOMMU_IOAS_IOVA_RANGES(ioas_id %u): ranges and n_ranges must not "
                       "be NULL", ioas_id);
    }
    /* The kernel writes straight into the array returned (the same layout),
     * room for a few ranges first; a larger one, out of line, if needed. */
    IOMMUFDIovaRange *out = g_new(IOMMUFDIovaRange, GET_IOVA_RANGES_FIRST);
    if (!iova_ranges_into(fd, ioas_id, out, GET_IOVA_RANGES_FIRST, n_ranges, alignment, errp,
                          __func__)) {
        g_free(out);
        return false;
    }
    if (G_UNLIKELY(*n_ranges > GET_IOVA_RANGES_FIRST)) {
        return get_iova_ranges_grow(fd, ioas_id, out, *n_ranges, ranges, n_ranges, alignment,
                                    errp);
    }
    *ranges = out;
    return true;
}

bool iommufd_backend_get_iova_ranges_into(IOMMUFDBackend *be, uint32_t ioas_id,
                                          IOMMUFDIovaRange *ranges, uint32_t capacity,
                                          uint32_t *n_ranges, uint64_t *alignment,
                                          IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_IOAS_IOVA_RANGES", errp);
    if (fd < 0) {
        return false;
    }
    if (G_UNLIKELY(!n_ranges)) {
        return BAD_ARG(errp, "IOMMU_IOAS_IOVA_RANGES(ioas_id %u): n_ranges must not be NULL",
                       ioas_id);
    }
    if (G_UNLIKELY(capacity && !ranges)) {
        return BAD_ARG(errp, "IOMMU_IOAS_IOVA_RANGES(ioas_id %u): ranges is NULL with a "
                       "capacity of %u (NULL goes with capacity 0)", ioas_id, capacity);
    }
    return iova_ranges_into(fd, ioas_id, ranges, capacity, n_ranges, alignment, errp, __func__);
}

/* the failure of allow_iovas: its event and error, out of line so that
 * the errno need not survive the event's call in a saved register */
static bool __attribute__((cold, noinline))
allow_iovas_failed(int fd, const struct iommu_ioas_allow_iovas *cmd, int err,
                   IOMMUFDError **errp)
{
    trace_iommufd_backend_allow_iovas(fd, cmd->ioas_id, cmd->num_iovas, err);
    return ioctl_failed(errp, "iommufd_backend_allow_iovas", __LINE__,
                        IOMMUFD_CMD_IOAS_ALLOW_IOVAS, err, NULL, "ioas_id %u, num_iovas %u",
                        cmd->ioas_id, cmd->num_iovas);
}

bool iommufd_backend_allow_iovas(IOMMUFDBackend *be, uint32_t ioas_id,
                                 const IOMMUFDIovaRange *ranges, uint32_t n_ranges,
                                 IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_IOAS_ALLOW_IOVAS", errp);
    if (fd < 0) {
        return false;
    }
    if (n_ranges && !ranges) {
        return BAD_ARG(errp, "IOMMU_IOAS_ALLOW_IOVAS(ioas_id %u): %u ranges but no array",
                       ioas_id, n_ranges);
    }
    /* the caller's array, read by the kernel as it is (the same layout) */
    struct iommu_ioas_allow_iovas cmd = {
        .size = sizeof(cmd),
        .ioas_id = ioas_id,
        .num_iovas = n_ranges,
        .allowed_iovas = (uintptr_t)ranges,
    };
    int err = _iommufd_ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
    if (G_UNLIKELY(err)) {
        return allow_iovas_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), err, errp);
    }
    trace_iommufd_backend_allow_iovas(fd, cmd.ioas_id, cmd.num_iovas, 0);
    return true;
}

/* the failure branch of do_option(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
option_failed(int fd, const struct iommu_option *cmd, uint16_t op, int err, IOMMUFDError **errp,
              const char *func, int line)
{
    trace_iommufd_backend_option(fd, cmd->option_id, cmd->op, cmd->object_id, cmd->val64, err);
    const char *hint = NULL;
    if (err == EPERM && cmd->option_id == IOMMU_OPTION_RLIMIT_MODE) {
        hint = "Setting the accounting mode needs CAP_SYS_RESOURCE.\n";
    } else if (err == EBUSY && cmd->option_id == IOMMU_OPTION_RLIMIT_MODE) {
        hint = "Set the accounting mode before mapping anything.\n";
    }
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_OPTION, err, hint,
                        "option_id %u, op %s, object_id %u", cmd->option_id,
                        op == IOMMU_OPTION_OP_SET ? "set" : "get", cmd->object_id);
}

static inline __attribute__((always_inline)) bool
do_option(IOMMUFDBackend *be, uint16_t op, uint32_t option_id, uint32_t object_id, uint64_t *val,
          IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_OPTION", errp);
    if (fd < 0) {
        return false;
    }
    if (!val) {
        return BAD_ARG(errp, "IOMMU_OPTION(option_id %u): val must not be NULL", option_id);
    }
    struct iommu_option cmd = {
        .size = sizeof(cmd),
        .option_id = option_id,
        .op = op,
        .object_id = object_id,
        .val64 = op == IOMMU_OPTION_OP_SET ? *val : 0,
    };
    int err = _iommufd_ioctl(fd, IOMMU_OPTION, &cmd);
    if (G_UNLIKELY(err)) {
        return option_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), op, err, errp, __func__, __LINE__);
    }
    trace_iommufd_backend_option(fd, cmd.option_id, cmd.op, cmd.object_id, cmd.val64, 0);
    *val = cmd.val64;
    return true;
}

bool iommufd_backend_get_option(IOMMUFDBackend *be, uint32_t option_id, uint32_t object_id,
                                uint64_t *val, IOMMUFDError **errp)
{
    return do_option(be, IOMMU_OPTION_OP_GET, option_id, object_id, val, errp);
}

bool iommufd_backend_set_option(IOMMUFDBackend *be, uint32_t option_id, uint32_t object_id,
                                uint64_t val, IOMMUFDError **errp)
{
    return do_option(be, IOMMU_OPTION_OP_SET, option_id, object_id, &val, errp);
}

/* the failure branch of do_vfio_ioas(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
vfio_ioas_failed(int fd, const struct iommu_vfio_ioas *cmd, uint16_t op, int err,
                 IOMMUFDError **errp, const char *func, int line)
{
    static const char *const names[] = { "get", "set", "clear" };
    trace_iommufd_backend_vfio_ioas(fd, cmd->op, cmd->ioas_id, err);
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_VFIO_IOAS, err,
                        err == ENODEV && op == IOMMU_VFIO_IOAS_GET ?
                        "No IOAS serves the VFIO compatibility ioctls yet: set one with "
                        "iommufd_backend_set_vfio_ioas().\n" : NULL,
                        "op %s, ioas_id %u", names[op], cmd->ioas_id);
}

static inline __attribute__((always_inline)) bool
do_vfio_ioas(IOMMUFDBackend *be, uint16_t op, uint32_t ioas_id, uint32_t *out_ioas_id,
             IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_VFIO_IOAS", errp);
    if (fd < 0) {
        return false;
    }
    struct iommu_vfio_ioas cmd = {
        .size = sizeof(cmd),
        .ioas_id = op == IOMMU_VFIO_IOAS_SET ? ioas_id : 0,
        .op = op,
    };
    int err = _iommufd_ioctl(fd, IOMMU_VFIO_IOAS, &cmd);
    /* success first: with the failure block first, gcc 12 moves the success
     * path of set and clear to .text.unlikely behind a jump (+1 per trace
     * backend compiled in) */
    if (G_LIKELY(!err)) {
        trace_iommufd_backend_vfio_ioas(fd, cmd.op, cmd.ioas_id, 0);
        if (op == IOMMU_VFIO_IOAS_GET) {
            *out_ioas_id = cmd.ioas_id;
        }
        return true;
    }
    return vfio_ioas_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), op, err, errp, __func__, __LINE__);
}

bool iommufd_backend_get_vfio_ioas(IOMMUFDBackend *be, uint32_t *ioas_id, IOMMUFDError **errp)
{
    if (!ioas_id) {
        return BAD_ARG(errp, "IOMMU_VFIO_IOAS(op get): ioas_id must not be NULL");
    }
    return do_vfio_ioas(be, IOMMU_VFIO_IOAS_GET, 0, ioas_id, errp);
}

bool iommufd_backend_set_vfio_ioas(IOMMUFDBackend *be, uint32_t ioas_id, IOMMUFDError **errp)
{
    return do_vfio_ioas(be, IOMMU_VFIO_IOAS_SET, ioas_id, NULL, errp);
}

bool iommufd_backend_clear_vfio_ioas(IOMMUFDBackend *be, IOMMUFDError **errp)
{
    return do_vfio_ioas(be, IOMMU_VFIO_IOAS_CLEAR, 0, NULL, errp);
}

/* the failure branch of iommufd_backend_change_process(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
change_process_failed(int fd, int err, IOMMUFDError **errp, const char *func, int line)
{
    trace_iommufd_backend_change_process(fd, err);
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_IOAS_CHANGE_PROCESS, err,
                        err == EINVAL ? "Every mapping must be made with "
                        "iommufd_backend_map_file_dma() for a hand-over.\n" : NULL,
                        "%s", "");
}

bool iommufd_backend_change_process(IOMMUFDBackend *be, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_IOAS_CHANGE_PROCESS", errp);
    if (fd < 0) {
        return false;
    }
    struct iommu_ioas_change_process cmd = { .size = sizeof(cmd) };
    int err = _iommufd_ioctl(fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd);
    if (G_UNLIKELY(err)) {
        return change_process_failed(fd, err, errp, __func__, __LINE__);
    }
    trace_iommufd_backend_change_process(fd, 0);
    return true;
}

/*
 * Size-0 probe: EINVAL means the command exists; nothing is created.  The
 * ioctl is expected to fail, so its errno is read inline (retried on EINTR
 * like every ioctl), not on _iommufd_ioctl()'s cold path.
 */
static inline __attribute__((always_inline)) int probe_command(int fd, unsigned int nr)
{
    uint32_t size0[2] = { 0, 0 };
    int err;
    do {
        err = ioctl(fd, _IO(IOMMUFD_TYPE, nr), size0) < 0 ? errno : 0;
    } while (G_UNLIKELY(err == EINTR));
    trace_iommufd_backend_probe(fd, nr, err);
    return err;
}

bool iommufd_backend_change_process_capable(IOMMUFDBackend *be)
{
    int fd = BACKEND_FD(be, "IOMMU_IOAS_CHANGE_PROCESS", NULL);
    return fd >= 0 && probe_command(fd, IOMMUFD_CMD_IOAS_CHANGE_PROCESS) == EINVAL;
}

bool iommufd_backend_probe(IOMMUFDBackend *be, IOMMUFDFeatures *features, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "iommufd_backend_probe", errp);
    if (fd < 0) {
        return false;
    }
    if (!features) {
        return BAD_ARG(errp, "iommufd_backend_probe: features must not be NULL");
    }
    IOMMUFDFeatures f = { 0 };
    for (unsigned int nr = IOMMUFD_CMD_BASE; nr < IOMMUFD_CMD_BASE + 32; nr++) {
        int err = probe_command(fd, nr);
        if (err == EINVAL) {
            f.commands |= 1u << (nr - IOMMUFD_CMD_BASE);
        } else if (err != ENOTTY) {
            /* a size-0 probe answers EINVAL or ENOTTY: anything else (an
             * fd that is no iommufd, ENOMEM, ...) is a failed probe, never
             * an absent command */
            iommufd_error_setg_errno(errp, err, "probe of %s (0x%x) failed",
                                     iommufd_command_name(nr) ? iommufd_command_name(nr)
                                                              : "a command", nr);
            return false;
        }
    }
    int err = probe_command(fd, IOMMUFD_CMD_BASE + 0x20);
    if (err != EINVAL && err != ENOTTY) {
        iommufd_error_setg_errno(errp, err, "probe of IOMMU_TEST_CMD (0x%x) failed",
                                 IOMMUFD_CMD_BASE + 0x20);
        return false;
    }
    f.selftest = err == EINVAL;
    *features = f;
    return true;
}

bool iommufd_features_has(const IOMMUFDFeatures *features, unsigned int nr)
{
    return features && nr >= IOMMUFD_CMD_BASE && nr < IOMMUFD_CMD_BASE + 32 &&
           (features->commands & (1u << (nr - IOMMUFD_CMD_BASE)));
}

/* ---- HWPT ------------------------------------------------------------------ */

/* the failure branch of iommufd_backend_alloc_hwpt(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
alloc_hwpt_failed(int fd, const struct iommu_hwpt_alloc *cmd, int err, IOMMUFDError **errp,
                  const char *func, int line)
{
    trace_iommufd_backend_alloc_hwpt(fd, cmd->dev_id, cmd->pt_id, cmd->flags, cmd->data_type,
                                     cmd->data_len, cmd->fault_id, cmd->out_hwpt_id, err);
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_HWPT_ALLOC, err, NULL,
                        "dev_id %u, pt_id %u, flags 0x%x, data_type %u, data_len %u, "
                        "fault_id %u",
                        cmd->dev_id, cmd->pt_id, cmd->flags, cmd->data_type, cmd->data_len,
                        cmd->fault_id);
}

bool iommufd_backend_alloc_hwpt(IOMMUFDBackend *be, uint32_t dev_id, uint32_t pt_id,
                                uint32_t flags, uint32_t data_type, uint32_t data_len,
                                void *data_ptr, uint32_t fault_id, uint32_t *out_hwpt,
                                IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_HWPT_ALLOC", errp);
    if (fd < 0) {
        return false;
    }
    if (!out_hwpt) {
        return BAD_ARG(errp, "IOMMU_HWPT_ALLOC(dev_id %u, pt_id %u): out_hwpt must not be NULL",
                       dev_id, pt_id);
    }
    if (data_len && !data_ptr) {
        return BAD_ARG(errp, "IOMMU_HWPT_ALLOC(dev_id %u, pt_id %u): data_len %u without data",
                       dev_id, pt_id, data_len);
    }
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
    int err = _iommufd_ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);
    if (G_UNLIKELY(err)) {
        return alloc_hwpt_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), err, errp, __func__, __LINE__);
    }
    trace_iommufd_backend_alloc_hwpt(fd, cmd.dev_id, cmd.pt_id, cmd.flags, cmd.data_type,
                                     cmd.data_len, cmd.fault_id, cmd.out_hwpt_id, 0);
    *out_hwpt = cmd.out_hwpt_id;
    return true;
}

/* the failure of get_device_info (event, error), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
get_device_info_failed(int fd, const struct iommu_hw_info *cmd, uint32_t len, int err,
                       IOMMUFDError **errp)
{
    trace_iommufd_backend_get_device_info(fd, cmd->dev_id, cmd->flags, len, cmd->data_len,
                                          cmd->out_data_type, cmd->out_capabilities,
                                          cmd->out_max_pasid_log2, err);
    return ioctl_failed(errp, "iommufd_backend_get_device_info", __LINE__,
                        IOMMUFD_CMD_GET_HW_INFO, err, NULL, "dev_id %u, flags 0x%x, data_len %u",
                        cmd->dev_id, cmd->flags, len);
}

bool iommufd_backend_get_device_info(IOMMUFDBackend *be, uint32_t devid, uint32_t *type,
                                     void *data, uint32_t len, uint64_t *caps,
                                     uint8_t *max_pasid_log2, uint32_t *out_len,
                                     IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_GET_HW_INFO", errp);
    if (fd < 0) {
        return false;
    }
    if (!type) {
        return BAD_ARG(errp, "IOMMU_GET_HW_INFO(dev_id %u): type must not be NULL", devid);
    }
    if (len && !data) {
        return BAD_ARG(errp, "IOMMU_GET_HW_INFO(dev_id %u): len %u without data", devid, len);
    }
    IOMMUFD_FRAME(struct iommu_hw_info, uint32_t len; uint32_t *type; uint64_t *caps;) f;
    f.cmd = (struct iommu_hw_info){
        .size = sizeof(f.cmd),
        .flags = *type ? IOMMU_HW_INFO_FLAG_INPUT_TYPE : 0,
        .dev_id = devid,
        .data_len = len,
        .data_uptr = (uintptr_t)data,
        .in_data_type = *type,
    };
    f.fd = fd;
    f.len = len;
    f.type = type;
    f.caps = caps;
    int err = _iommufd_ioctl_frame(&f, IOMMU_GET_HW_INFO);
    if (G_UNLIKELY(err)) {
        return get_device_info_failed(f.fd, IOMMUFD_ADDR_AGAIN(&f.cmd), f.len, err, errp);
    }
    trace_iommufd_backend_get_device_info(f.fd, f.cmd.dev_id, f.cmd.flags, f.len,
                                          f.cmd.data_len, f.cmd.out_data_type,
                                          f.cmd.out_capabilities, f.cmd.out_max_pasid_log2, 0);
    *f.type = f.cmd.out_data_type;
    if (f.caps) {
        *f.caps = f.cmd.out_capabilities;
    }
    if (max_pasid_log2) {
        *max_pasid_log2 = f.cmd.out_max_pasid_log2;
    }
    if (out_len) {
        *out_len = f.cmd.data_len;
    }
    return true;
}

/* the failure branch of set_dirty_tracking(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
set_dirty_tracking_failed(int fd, const struct iommu_hwpt_set_dirty_tracking *cmd, bool start,
                          int err, IOMMUFDError **errp, const char *func, int line)
{
    trace_iommufd_backend_set_dirty_tracking(fd, cmd->hwpt_id, cmd->flags, err);
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING, err, NULL,
                        "hwpt_id %u, %s", cmd->hwpt_id, start ? "start" : "stop");
}

bool iommufd_backend_set_dirty_tracking(IOMMUFDBackend *be, uint32_t hwpt_id, bool start,
                                        IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_HWPT_SET_DIRTY_TRACKING", errp);
    if (fd < 0) {
        return false;
    }
    struct iommu_hwpt_set_dirty_tracking cmd = {
        .size = sizeof(cmd),
        .flags = start ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
        .hwpt_id = hwpt_id,
    };
    int err = _iommufd_ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
    if (G_UNLIKELY(err)) {
        return set_dirty_tracking_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), start, err, errp, __func__,
                                         __LINE__);
    }
    trace_iommufd_backend_set_dirty_tracking(fd, cmd.hwpt_id, cmd.flags, 0);
    return true;
}

uint64_t iommufd_dirty_bitmap_size(uint64_t size, uint64_t page_size)
{
    if (!page_size) {
        return 0;
    }
    uint64_t pages = size / page_size + (size % page_size ? 1 : 0);
    return (pages / 64 + (pages % 64 ? 1 : 0)) * sizeof(uint64_t);
}

/* the failure of get_dirty_bitmap (event, error), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
get_dirty_bitmap_failed(int fd, const struct iommu_hwpt_get_dirty_bitmap *cmd, int err,
                        IOMMUFDError **errp)
{
    trace_iommufd_backend_get_dirty_bitmap(fd, cmd->hwpt_id, cmd->iova, cmd->length,
                                           cmd->page_size, cmd->flags, err);
    return ioctl_failed(errp, "iommufd_backend_get_dirty_bitmap", __LINE__,
                        IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP, err,
                        err == EINVAL ? "iova and size must be aligned to page_size and "
                        "to the IOAS alignment, and tracking must be on.\n" : NULL,
                        "hwpt_id %u, iova 0x%" PRIx64 ", size 0x%" PRIx64 ", page_size 0x%"
                        PRIx64 ", flags 0x%x",
                        cmd->hwpt_id, (uint64_t)cmd->iova, (uint64_t)cmd->length,
                        (uint64_t)cmd->page_size, cmd->flags);
}

bool iommufd_backend_get_dirty_bitmap(IOMMUFDBackend *be, uint32_t hwpt_id, uint64_t iova,
                                      uint64_t size, uint64_t page_size, uint64_t *data,
                                      uint64_t flags, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_HWPT_GET_DIRTY_BITMAP", errp);
    if (fd < 0) {
        return false;
    }
    if (G_UNLIKELY(flags > UINT32_MAX)) {
        return BAD_ARG(errp, "IOMMU_HWPT_GET_DIRTY_BITMAP(hwpt_id %u): flags 0x%" PRIx64
                       " do not fit the command", hwpt_id, flags);
    }
    IOMMUFD_FRAME(struct iommu_hwpt_get_dirty_bitmap) f;
    f.cmd = (struct iommu_hwpt_get_dirty_bitmap){
        .size = sizeof(f.cmd),
        .hwpt_id = hwpt_id,
        .flags = (uint32_t)flags,
        .iova = iova,
        .length = size,
        .page_size = page_size,
        .data = (uintptr_t)data,
    };
    f.fd = fd;
    if (G_UNLIKELY(!f.cmd.length || !f.cmd.page_size || !f.cmd.data)) {
        return BAD_ARG(errp, "IOMMU_HWPT_GET_DIRTY_BITMAP(hwpt_id %u): size, page_size and "
                       "data must not be 0", f.cmd.hwpt_id);
    }
    int err = _iommufd_ioctl_frame(&f, IOMMU_HWPT_GET_DIRTY_BITMAP);
    if (G_UNLIKELY(err)) {
        return get_dirty_bitmap_failed(f.fd, IOMMUFD_ADDR_AGAIN(&f.cmd), err, errp);
    }
    trace_iommufd_backend_get_dirty_bitmap(f.fd, f.cmd.hwpt_id, f.cmd.iova, f.cmd.length,
                                           f.cmd.page_size, f.cmd.flags, 0);
    return true;
}

bool iommufd_dirty_range_check(uint64_t iova, uint64_t size, uint64_t page_size,
                               uint64_t iova_alignment, IOMMUFDError **errp)
{
    uint64_t end;

    if (page_size == 0 || (page_size & (page_size - 1))) {
        return BAD_ARG(errp, "dirty range (iova 0x%" PRIx64 ", size 0x%" PRIx64 "): page_size "
                       "0x%" PRIx64 " is not a power of two", iova, size, page_size);
    }
    if (size == 0) {
        return BAD_ARG(errp, "dirty range (iova 0x%" PRIx64 "): size must not be 0", iova);
    }
    if (__builtin_add_overflow(iova, size, &end)) {
        return BAD_ARG(errp, "dirty range (iova 0x%" PRIx64 ", size 0x%" PRIx64 "): overflows "
                       "the IOVA space", iova, size);
    }
    if ((iova | size) & (page_size - 1)) {
        return BAD_ARG(errp, "dirty range (iova 0x%" PRIx64 ", size 0x%" PRIx64 "): not aligned "
                       "to page_size 0x%" PRIx64, iova, size, page_size);
    }
    if (iova_alignment > 1) {
        if (iova_alignment & (iova_alignment - 1)) {
            return BAD_ARG(errp, "dirty range: IOVA alignment 0x%" PRIx64 " is not a power of "
                           "two", iova_alignment);
        }
        if ((iova | size) & (iova_alignment - 1)) {
            return BAD_ARG(errp, "dirty range (iova 0x%" PRIx64 ", size 0x%" PRIx64 "): not "
                           "aligned to the IOAS alignment 0x%" PRIx64, iova, size,
                           iova_alignment);
        }
    }
    return true;
}

bool iommufd_backend_walk_dirty_bitmap(IOMMUFDBackend *be, uint32_t hwpt_id, uint64_t iova,
                                       uint64_t size, uint64_t page_size,
                                       uint64_t iova_alignment, uint64_t flags, uint64_t *buf,
                                       size_t buf_size, IOMMUFDDirtyChunkFunc fn, void *opaque,
                                       IOMMUFDError **errp)
{
    IOMMUFD_ERRP_GUARD();
    if (!IOMMUFD_IS_BACKEND(be)) {
        return BAD_ARG(errp, "dirty bitmap walk (hwpt_id %u): no backend", hwpt_id);
    }
    if (!buf || !fn || buf_size < sizeof(uint64_t) || buf_size % sizeof(uint64_t) ||
        ((uintptr_t)buf & (sizeof(uint64_t) - 1))) {
        return BAD_ARG(errp, "dirty bitmap walk (hwpt_id %u): needs a callback and an 8-byte "
                       "aligned buffer of a multiple of 8 bytes (buf_size %zu)", hwpt_id,
                       buf_size);
    }
    if (!iommufd_dirty_range_check(iova, size, page_size, iova_alignment, errp)) {
        iommufd_error_prepend(errp, "dirty bitmap walk (hwpt_id %u): ", hwpt_id);
        return false;
    }
    /* the IOVA one buffer covers, capped so that it cannot overflow */
    uint64_t bits = (uint64_t)buf_size * 8;
    uint64_t chunk = bits > UINT64_MAX / page_size ? size : bits * page_size;
    if (iova_alignment > 1) {
        chunk &= ~(iova_alignment - 1);
        if (chunk == 0) {
            return BAD_ARG(errp, "dirty bitmap walk (hwpt_id %u): a buffer of %zu bytes covers "
                           "less than the IOAS alignment 0x%" PRIx64, hwpt_id, buf_size,
                           iova_alignment);
        }
    }
    uint64_t done = 0;
    while (done < size) {
        uint64_t left = size - done;
        uint64_t len = left < chunk ? left : chunk;
        uint64_t at = iova + done;
        memset(buf, 0, iommufd_dirty_bitmap_size(len, page_size));
        if (!iommufd_backend_get_dirty_bitmap(be, hwpt_id, at, len, page_size, buf, flags,
                                              errp)) {
            return false;
        }
        if (!fn(at, len, page_size, buf, opaque, errp)) {
            if (!*errp) {
                iommufd_error_setg_code(errp, ECANCELED, "dirty bitmap walk (hwpt_id %u): "
                                        "stopped by the callback at iova 0x%" PRIx64, hwpt_id,
                                        at);
            }
            return false;
        }
        done += len;
    }
    return true;
}

/* the argument errors of invalidate_cache, out of line (one test on the fast path) */
static bool __attribute__((cold, noinline))
invalidate_cache_bad_arg(uint32_t id, const uint32_t *entry_num, IOMMUFDError **errp)
{
    static const char func[] = "iommufd_backend_invalidate_cache";
    if (!entry_num) {
        return BAD_ARG_IN(func, errp, "IOMMU_HWPT_INVALIDATE(id %u): entry_num must not be NULL",
                          id);
    }
    return BAD_ARG_IN(func, errp, "IOMMU_HWPT_INVALIDATE(id %u): %u entries without data", id,
                      *entry_num);
}

/*
 * The failure of invalidate_cache, out of line: its event, the count the
 * kernel writes back even on failure, the error.
 */
static bool __attribute__((cold, noinline))
invalidate_cache_failed(int fd, const struct iommu_hwpt_invalidate *cmd, uint32_t asked, int err,
                        uint32_t *entry_num, IOMMUFDError **errp)
{
    trace_iommufd_backend_invalidate_cache(fd, cmd->hwpt_id, cmd->data_type, cmd->entry_len,
                                           asked, cmd->entry_num, err);
    *entry_num = cmd->entry_num;
    return ioctl_failed(errp, "iommufd_backend_invalidate_cache", __LINE__,
                        IOMMUFD_CMD_HWPT_INVALIDATE, err, NULL,
                        "id %u, data_type 0x%x, entry_len %u, entry_num %u, handled %u",
                        cmd->hwpt_id, cmd->data_type, cmd->entry_len, asked, cmd->entry_num);
}

/* the kernel handled fewer entries than asked, without an error */
static bool __attribute__((cold, noinline))
invalidate_cache_short(const struct iommu_hwpt_invalidate *cmd, uint32_t asked,
                       IOMMUFDError **errp)
{
    iommufd_error_setg_internal(errp, __FILE__, __LINE__, "iommufd_backend_invalidate_cache",
                                EIO, false,
                                "IOMMU_HWPT_INVALIDATE(id %u, data_type 0x%x): handled %u of "
                                "%u entries", cmd->hwpt_id, cmd->data_type, cmd->entry_num, asked);
    return false;
}

bool iommufd_backend_invalidate_cache(IOMMUFDBackend *be, uint32_t id, uint32_t data_type,
                                      uint32_t entry_len, uint32_t *entry_num, void *data,
                                      IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_HWPT_INVALIDATE", errp);
    if (fd < 0) {
        return false;
    }
    if (G_UNLIKELY(!entry_num || (!data && *entry_num))) {
        return invalidate_cache_bad_arg(id, entry_num, errp);
    }
    IOMMUFD_FRAME(struct iommu_hwpt_invalidate, uint32_t asked; uint32_t *entry_num;) f;
    f.cmd = (struct iommu_hwpt_invalidate){
        .size = sizeof(f.cmd),
        .hwpt_id = id,
        .data_uptr = (uintptr_t)data,
        .data_type = data_type,
        .entry_len = entry_len,
        .entry_num = *entry_num,
    };
    f.fd = fd;
    f.asked = f.cmd.entry_num;
    f.entry_num = entry_num;
    int err = _iommufd_ioctl_frame(&f, IOMMU_HWPT_INVALIDATE);
    if (G_UNLIKELY(err)) {
        return invalidate_cache_failed(f.fd, IOMMUFD_ADDR_AGAIN(&f.cmd), f.asked, err,
                                       f.entry_num, errp);
    }
    trace_iommufd_backend_invalidate_cache(f.fd, f.cmd.hwpt_id, f.cmd.data_type,
                                           f.cmd.entry_len, f.asked, f.cmd.entry_num, 0);
    *f.entry_num = f.cmd.entry_num;
    if (G_UNLIKELY(f.cmd.entry_num != f.asked)) {
        return invalidate_cache_short(IOMMUFD_ADDR_AGAIN(&f.cmd), f.asked, errp);
    }
    return true;
}

/* ---- virtualisation -------------------------------------------------------- */

/* the failure branch of iommufd_backend_alloc_faultq(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
alloc_faultq_failed(int fd, const struct iommu_fault_alloc *cmd, int err, IOMMUFDError **errp,
                    const char *func, int line)
{
    trace_iommufd_backend_alloc_faultq(fd, cmd->out_fault_id, -1, err);
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_FAULT_QUEUE_ALLOC, err, NULL, "flags 0x%x",
                        cmd->flags);
}

bool iommufd_backend_alloc_faultq(IOMMUFDBackend *be, uint32_t *fault_id, int *fault_fd,
                                  IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_FAULT_QUEUE_ALLOC", errp);
    if (fd < 0) {
        return false;
    }
    if (!fault_id || !fault_fd) {
        return BAD_ARG(errp, "IOMMU_FAULT_QUEUE_ALLOC: fault_id and fault_fd must not be NULL");
    }
    struct iommu_fault_alloc cmd = { .size = sizeof(cmd) };
    int err = _iommufd_ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);
    if (G_UNLIKELY(err)) {
        return alloc_faultq_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), err, errp, __func__, __LINE__);
    }
    trace_iommufd_backend_alloc_faultq(fd, cmd.out_fault_id, (int)cmd.out_fault_fd, 0);
    *fault_id = cmd.out_fault_id;
    *fault_fd = (int)cmd.out_fault_fd;
    return true;
}

/* the failure of alloc_viommu (event, error), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
alloc_viommu_failed(int fd, const struct iommu_viommu_alloc *cmd, int err, IOMMUFDError **errp)
{
    trace_iommufd_backend_alloc_viommu(fd, cmd->dev_id, cmd->type, cmd->hwpt_id, cmd->data_len,
                                       cmd->out_viommu_id, err);
    return ioctl_failed(errp, "iommufd_backend_alloc_viommu", __LINE__,
                        IOMMUFD_CMD_VIOMMU_ALLOC, err, NULL,
                        "dev_id %u, type 0x%x, hwpt_id %u, data_len %u", cmd->dev_id, cmd->type,
                        cmd->hwpt_id, cmd->data_len);
}

bool iommufd_backend_alloc_viommu(IOMMUFDBackend *be, uint32_t dev_id, uint32_t type,
                                  uint32_t hwpt_id, void *data, uint32_t data_len,
                                  uint32_t *out_viommu_id, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_VIOMMU_ALLOC", errp);
    if (fd < 0) {
        return false;
    }
    if (!out_viommu_id) {
        return BAD_ARG(errp, "IOMMU_VIOMMU_ALLOC(dev_id %u): out_viommu_id must not be NULL",
                       dev_id);
    }
    if (data_len && !data) {
        return BAD_ARG(errp, "IOMMU_VIOMMU_ALLOC(dev_id %u): data_len %u without data", dev_id,
                       data_len);
    }
    struct iommu_viommu_alloc cmd = {
        .size = sizeof(cmd),
        .type = type,
        .dev_id = dev_id,
        .hwpt_id = hwpt_id,
        .data_len = data_len,
        .data_uptr = (uintptr_t)data,
    };
    int err = _iommufd_ioctl(fd, IOMMU_VIOMMU_ALLOC, &cmd);
    if (G_UNLIKELY(err)) {
        return alloc_viommu_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), err, errp);
    }
    trace_iommufd_backend_alloc_viommu(fd, cmd.dev_id, cmd.type, cmd.hwpt_id, cmd.data_len,
                                       cmd.out_viommu_id, 0);
    *out_viommu_id = cmd.out_viommu_id;
    return true;
}

/* the failure branch of iommufd_backend_alloc_vdev(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
alloc_vdev_failed(int fd, const struct iommu_vdevice_alloc *cmd, int err, IOMMUFDError **errp,
                  const char *func, int line)
{
    trace_iommufd_backend_alloc_vdev(fd, cmd->dev_id, cmd->viommu_id, cmd->virt_id,
                                     cmd->out_vdevice_id, err);
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_VDEVICE_ALLOC, err, NULL,
                        "dev_id %u, viommu_id %u, virt_id 0x%" PRIx64, cmd->dev_id,
                        cmd->viommu_id, (uint64_t)cmd->virt_id);
}

bool iommufd_backend_alloc_vdev(IOMMUFDBackend *be, uint32_t dev_id, uint32_t viommu_id,
                                uint64_t virt_id, uint32_t *out_vdev_id, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_VDEVICE_ALLOC", errp);
    if (fd < 0) {
        return false;
    }
    if (!out_vdev_id) {
        return BAD_ARG(errp, "IOMMU_VDEVICE_ALLOC(dev_id %u): out_vdev_id must not be NULL",
                       dev_id);
    }
    struct iommu_vdevice_alloc cmd = {
        .size = sizeof(cmd),
        .viommu_id = viommu_id,
        .dev_id = dev_id,
        .virt_id = virt_id,
    };
    int err = _iommufd_ioctl(fd, IOMMU_VDEVICE_ALLOC, &cmd);
    if (G_UNLIKELY(err)) {
        return alloc_vdev_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), err, errp, __func__, __LINE__);
    }
    trace_iommufd_backend_alloc_vdev(fd, cmd.dev_id, cmd.viommu_id, cmd.virt_id,
                                     cmd.out_vdevice_id, 0);
    *out_vdev_id = cmd.out_vdevice_id;
    return true;
}

/* the failure branch of iommufd_backend_alloc_veventq(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
alloc_veventq_failed(int fd, const struct iommu_veventq_alloc *cmd, int err, IOMMUFDError **errp,
                     const char *func, int line)
{
    trace_iommufd_backend_alloc_veventq(fd, cmd->viommu_id, cmd->type, cmd->veventq_depth,
                                        cmd->out_veventq_id,
                                        -1, err);
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_VEVENTQ_ALLOC, err,
                        err == EEXIST ? "A vIOMMU has one event queue per type.\n" : NULL,
                        "viommu_id %u, type 0x%x, depth %u", cmd->viommu_id, cmd->type,
                        cmd->veventq_depth);
}

bool iommufd_backend_alloc_veventq(IOMMUFDBackend *be, uint32_t viommu_id, uint32_t type,
                                   uint32_t depth, uint32_t *out_veventq_id,
                                   int *out_veventq_fd, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_VEVENTQ_ALLOC", errp);
    if (fd < 0) {
        return false;
    }
    if (!out_veventq_id || !out_veventq_fd) {
        return BAD_ARG(errp, "IOMMU_VEVENTQ_ALLOC(viommu_id %u): out_veventq_id and "
                       "out_veventq_fd must not be NULL", viommu_id);
    }
    if (depth == 0) {
        return BAD_ARG(errp, "IOMMU_VEVENTQ_ALLOC(viommu_id %u, type 0x%x): depth must not be "
                       "0", viommu_id, type);
    }
    struct iommu_veventq_alloc cmd = {
        .size = sizeof(cmd),
        .viommu_id = viommu_id,
        .type = type,
        .veventq_depth = depth,
    };
    int err = _iommufd_ioctl(fd, IOMMU_VEVENTQ_ALLOC, &cmd);
    if (G_UNLIKELY(err)) {
        return alloc_veventq_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), err, errp, __func__, __LINE__);
    }
    trace_iommufd_backend_alloc_veventq(fd, cmd.viommu_id, cmd.type, cmd.veventq_depth,
                                        cmd.out_veventq_id,
                                        (int)cmd.out_veventq_fd, 0);
    *out_veventq_id = cmd.out_veventq_id;
    *out_veventq_fd = (int)cmd.out_veventq_fd;
    return true;
}

/* the failure branch of iommufd_backend_alloc_hw_queue(), out of line: see allow_iovas_failed() */
static bool __attribute__((cold, noinline))
alloc_hw_queue_failed(int fd, const struct iommu_hw_queue_alloc *cmd, int err, IOMMUFDError **errp,
                      const char *func, int line)
{
    trace_iommufd_backend_alloc_hw_queue(fd, cmd->viommu_id, cmd->type, cmd->index,
                                         cmd->nesting_parent_iova, cmd->length,
                                         cmd->out_hw_queue_id, err);
    return ioctl_failed(errp, func, line, IOMMUFD_CMD_HW_QUEUE_ALLOC, err, NULL,
                        "viommu_id %u, type 0x%x, index %u, addr 0x%" PRIx64 ", length 0x%"
                        PRIx64,
                        cmd->viommu_id, cmd->type, cmd->index, (uint64_t)cmd->nesting_parent_iova,
                        (uint64_t)cmd->length);
}

bool iommufd_backend_alloc_hw_queue(IOMMUFDBackend *be, uint32_t viommu_id, uint32_t queue_type,
                                    uint32_t index, uint64_t addr, uint64_t length,
                                    uint32_t *out_id, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "IOMMU_HW_QUEUE_ALLOC", errp);
    if (fd < 0) {
        return false;
    }
    if (!out_id) {
        return BAD_ARG(errp, "IOMMU_HW_QUEUE_ALLOC(viommu_id %u): out_id must not be NULL",
                       viommu_id);
    }
    if (length == 0) {
        return BAD_ARG(errp, "IOMMU_HW_QUEUE_ALLOC(viommu_id %u): length must not be 0",
                       viommu_id);
    }
    struct iommu_hw_queue_alloc cmd = {
        .size = sizeof(cmd),
        .viommu_id = viommu_id,
        .type = queue_type,
        .index = index,
        .nesting_parent_iova = addr,
        .length = length,
    };
    int err = _iommufd_ioctl(fd, IOMMU_HW_QUEUE_ALLOC, &cmd);
    if (G_UNLIKELY(err)) {
        return alloc_hw_queue_failed(fd, IOMMUFD_ADDR_AGAIN(&cmd), err, errp, __func__, __LINE__);
    }
    trace_iommufd_backend_alloc_hw_queue(fd, cmd.viommu_id, cmd.type, cmd.index,
                                         cmd.nesting_parent_iova, cmd.length,
                                         cmd.out_hw_queue_id, 0);
    *out_id = cmd.out_hw_queue_id;
    return true;
}

bool iommufd_backend_viommu_mmap(IOMMUFDBackend *be, uint32_t viommu_id, uint64_t size,
                                 uint64_t offset, void **out_ptr, IOMMUFDError **errp)
{
    IOMMUFD_ERRP_GUARD();
    if (!IOMMUFD_IS_BACKEND(be)) {
        return BAD_ARG(errp, "mmap of vIOMMU %u: no backend", viommu_id);
    }
    int fd = _iommufd_backend_fd(be, "mmap of a vIOMMU region", errp);
    if (fd < 0) {
        return false;
    }
    if (!out_ptr || size == 0) {
        return BAD_ARG(errp, "mmap of vIOMMU %u: out_ptr and size must not be 0", viommu_id);
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);
    int err = p == MAP_FAILED ? errno : 0;
    trace_iommufd_backend_viommu_mmap(fd, viommu_id, size, offset, err ? NULL : p, err);
    if (err) {
        iommufd_error_setg_errno(errp, err,
                                 "mmap of vIOMMU %u (size 0x%" PRIx64 ", offset 0x%" PRIx64
                                 ") failed", viommu_id, size, offset);
        return false;
    }
    *out_ptr = p;
    return true;
}

bool iommufd_backend_viommu_munmap(IOMMUFDBackend *be, void *ptr, uint64_t size,
                                   IOMMUFDError **errp)
{
    if (!IOMMUFD_IS_BACKEND(be)) {
        return BAD_ARG(errp, "munmap of a vIOMMU region: no backend");
    }
    if (!ptr || size == 0) {
        return BAD_ARG(errp, "munmap of a vIOMMU region: ptr and size must not be 0");
    }
    int err = munmap(ptr, size) < 0 ? errno : 0;
    trace_iommufd_backend_viommu_munmap(ptr, size, err);
    if (err) {
        iommufd_error_setg_errno(errp, err, "munmap of a vIOMMU region (%p, size 0x%" PRIx64
                                 ") failed", ptr, size);
        return false;
    }
    return true;
}
