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
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backends/iommufd-internal.h"
#include "trace/trace-backends.h"
#include "uapi/linux/iommufd.h"

struct _IOMMUFDBackend {
    GObject parent;
    pthread_mutex_t lock;       /* connect / disconnect */
    _Atomic int fd;             /* -1 while an owned backend is not connected */
    char *path;
    bool owned;
    _Atomic unsigned int users;
};

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

const char *_iommufd_command_name(unsigned int nr)
{
    unsigned int i = nr - IOMMUFD_CMD_BASE;
    return nr >= IOMMUFD_CMD_BASE && i < G_N_ELEMENTS(commands) ? commands[i].name : NULL;
}

const char *_iommufd_command_since(unsigned int nr)
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
    const char *name = _iommufd_command_name(nr);

    switch (err) {
    case ENOTTY:
        iommufd_error_append_hint(errp,
                                  "This kernel lacks %s (added in Linux %s); probe with "
                                  "iommufd_backend_probe() and fall back.\n",
                                  name ? name : "the command",
                                  _iommufd_command_since(nr) ? _iommufd_command_since(nr) : "?");
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

/* One ioctl, retried on EINTR; returns 0 or the errno, captured at once. */
int _iommufd_ioctl(int fd, unsigned long cmd, void *arg)
{
    int rc;
    do {
        rc = ioctl(fd, cmd, arg);
    } while (rc < 0 && errno == EINTR);
    return rc < 0 ? errno : 0;
}

/* ---- object ---------------------------------------------------------------- */

static void iommufd_backend_init(IOMMUFDBackend *be)
{
    pthread_mutex_init(&be->lock, NULL);
    atomic_init(&be->fd, -1);
    atomic_init(&be->users, 0);
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

/* common start of every helper: a backend, and its fd */
#define BACKEND_FD(be, what, errp)                                             \
    ({                                                                         \
        int _fd = -1;                                                          \
        if (!IOMMUFD_IS_BACKEND(be)) {                                         \
            iommufd_error_setg_code((errp), EINVAL, "%s: no backend", (what)); \
        } else {                                                               \
            _fd = _iommufd_backend_fd((be), (what), (errp));                   \
        }                                                                      \
        _fd;                                                                   \
    })

/* Report a failed ioctl: "CMD(args) failed: strerror", errno kept, hint. */
#define IOCTL_ERROR(errp, nr, err, fmt, ...)                                         \
    do {                                                                             \
        iommufd_error_setg_errno((errp), (err), "%s(" fmt ") failed",                \
                                 _iommufd_command_name(nr), __VA_ARGS__);            \
        _iommufd_error_add_hint((errp), (nr), (err));                                \
    } while (0)

bool iommufd_backend_alloc_ioas(IOMMUFDBackend *be, uint32_t *ioas_id, IOMMUFDError **errp)
{
    IOMMUFD_ERRP_GUARD();
    int fd = BACKEND_FD(be, "IOMMU_IOAS_ALLOC", errp);
    if (fd < 0) {
        return false;
    }
    if (!ioas_id) {
        return BAD_ARG(errp, "IOMMU_IOAS_ALLOC: ioas_id must not be NULL");
    }
    struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
    int err = _iommufd_ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);
    trace_iommufd_backend_alloc_ioas(fd, cmd.out_ioas_id, err);
    if (err) {
        IOCTL_ERROR(errp, IOMMUFD_CMD_IOAS_ALLOC, err, "flags 0x%x", cmd.flags);
        return false;
    }
    *ioas_id = cmd.out_ioas_id;
    return true;
}

bool iommufd_backend_free_id(IOMMUFDBackend *be, uint32_t id, IOMMUFDError **errp)
{
    IOMMUFD_ERRP_GUARD();
    int fd = BACKEND_FD(be, "IOMMU_DESTROY", errp);
    if (fd < 0) {
        return false;
    }
    struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
    int err = _iommufd_ioctl(fd, IOMMU_DESTROY, &cmd);
    trace_iommufd_backend_free_id(fd, cmd.id, err);
    if (err) {
        IOCTL_ERROR(errp, IOMMUFD_CMD_DESTROY, err, "id %u", cmd.id);
        return false;
    }
    return true;
}

static uint32_t map_flags(bool readonly)
{
    return IOMMU_IOAS_MAP_READABLE | (readonly ? 0 : IOMMU_IOAS_MAP_WRITEABLE);
}

static bool do_map(IOMMUFDBackend *be, uint32_t ioas_id, uint64_t *iova, bool fixed,
                   uint64_t size, void *vaddr, bool readonly, IOMMUFDError **errp)
{
    IOMMUFD_ERRP_GUARD();
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
    trace_iommufd_backend_map_dma(fd, cmd.ioas_id, cmd.flags, cmd.iova, cmd.length,
                                  (void *)(uintptr_t)cmd.user_va, err);
    if (err) {
        IOCTL_ERROR(errp, IOMMUFD_CMD_IOAS_MAP, err,
                    "ioas_id %u, iova 0x%" PRIx64 ", size 0x%" PRIx64 ", flags 0x%x",
                    cmd.ioas_id, (uint64_t)cmd.iova, (uint64_t)cmd.length, cmd.flags);
        return false;
    }
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

bool iommufd_backend_map_file_dma(IOMMUFDBackend *be, uint32_t ioas_id, uint64_t iova,
                                  uint64_t size, int mfd, uint64_t start, bool readonly,
                                  IOMMUFDError **errp)
{
    IOMMUFD_ERRP_GUARD();
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
    trace_iommufd_backend_map_file_dma(fd, cmd.ioas_id, cmd.flags, cmd.iova, cmd.length, cmd.fd,
                                       cmd.start, err);
    if (err) {
        IOCTL_ERROR(errp, IOMMUFD_CMD_IOAS_MAP_FILE, err,
                    "ioas_id %u, iova 0x%" PRIx64 ", size 0x%" PRIx64 ", fd %d, start 0x%" PRIx64
                    ", flags 0x%x",
                    cmd.ioas_id, (uint64_t)cmd.iova, (uint64_t)cmd.length, cmd.fd,
                    (uint64_t)cmd.start, cmd.flags);
        return false;
    }
    return true;
}

bool iommufd_backend_unmap_dma(IOMMUFDBackend *be, uint32_t ioas_id, uint64_t iova,
                               uint64_t size, uint64_t *unmapped, IOMMUFDError **errp)
{
    IOMMUFD_ERRP_GUARD();
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
    if (err == ENOENT) {
        /* nothing mapped there: vIOMMUs unmap redundantly, so not an error */
        trace_iommufd_backend_unmap_dma_non_exist(fd, cmd.ioas_id, cmd.iova, size);
        if (unmapped) {
            *unmapped = 0;
        }
        return true;
    }
    trace_iommufd_backend_unmap_dma(fd, cmd.ioas_id, cmd.iova, size, err ? 0 : cmd.length, err);
    if (err) {
        IOCTL_ERROR(errp, IOMMUFD_CMD_IOAS_UNMAP, err,
                    "ioas_id %u, iova 0x%" PRIx64 ", size 0x%" PRIx64, cmd.ioas_id,
                    (uint64_t)cmd.iova, size);
        return false;
    }
    if (unmapped) {
        *unmapped = cmd.length;
    }
    return true;
}

bool iommufd_backend_copy_dma(IOMMUFDBackend *be, uint32_t src_ioas_id, uint64_t src_iova,
                              uint32_t dst_ioas_id, uint64_t dst_iova, uint64_t size,
                              bool readonly, IOMMUFDError **errp)
{
    IOMMUFD_ERRP_GUARD();
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
    trace_iommufd_backend_copy_dma(fd, cmd.src_ioas_id, cmd.src_iova, cmd.dst_ioas_id,
                                   cmd.dst_iova, cmd.length, cmd.flags, err);
    if (err) {
        IOCTL_ERROR(errp, IOMMUFD_CMD_IOAS_COPY, err,
                    "src_ioas_id %u, src_iova 0x%" PRIx64 ", dst_ioas_id %u, dst_iova 0x%" PRIx64
                    ", size 0x%" PRIx64 ", flags 0x%x",
                    cmd.src_ioas_id, (uint64_t)cmd.src_iova, cmd.dst_ioas_id,
                    (uint64_t)cmd.dst_iova, (uint64_t)cmd.length, cmd.flags);
        return false;
    }
    return true;
}

bool iommufd_backend_get_iova_ranges(IOMMUFDBackend *be, uint32_t ioas_id,
                                     IOMMUFDIovaRange **ranges, uint32_t *n_ranges,
                                     uint64_t *alignment, IOMMUFDError **errp)
{
    IOMMUFD_ERRP_GUARD();
    int fd = BACKEND_FD(be, "IOMMU_IOAS_IOVA_RANGES", errp);
    if (fd < 0) {
        return false;
    }
    if (!ranges || !n_ranges) {
        return BAD_ARG(errp, "IOMMU_IOAS_IOVA_RANGES(ioas_id %u): ranges and n_ranges must not "
                       "be NULL", ioas_id);
    }
    /* The first call usually suffices; on EMSGSIZE the kernel wrote back
     * the count it needs.  Ranges can change between calls (another thread
     * attaching a device), so retry a few times. */
    uint32_t cap = 4;
    struct iommu_iova_range *buf = NULL;
    struct iommu_ioas_iova_ranges cmd;
    int err;
    for (int attempt = 0;; attempt++) {
        buf = g_renew(struct iommu_iova_range, buf, cap);
        cmd = (struct iommu_ioas_iova_ranges){
            .size = sizeof(cmd),
            .ioas_id = ioas_id,
            .num_iovas = cap,
            .allowed_iovas = (uintptr_t)buf,
        };
        err = _iommufd_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);
        trace_iommufd_backend_get_iova_ranges(fd, cmd.ioas_id, cap, cmd.num_iovas,
                                              cmd.out_iova_alignment, err);
        if (err != EMSGSIZE || attempt == 3 || cmd.num_iovas <= cap) {
            break;
        }
        cap = cmd.num_iovas;
    }
    if (err) {
        g_free(buf);
        IOCTL_ERROR(errp, IOMMUFD_CMD_IOAS_IOVA_RANGES, err, "ioas_id %u, num_iovas %u",
                    cmd.ioas_id, cmd.num_iovas);
        return false;
    }
    IOMMUFDIovaRange *out = g_new(IOMMUFDIovaRange, cmd.num_iovas ? cmd.num_iovas : 1);
    for (uint32_t i = 0; i < cmd.num_iovas; i++) {
        out[i].start = buf[i].start;
        out[i].last = buf[i].last;
    }
    g_free(buf);
    *ranges = out;
    *n_ranges = cmd.num_iovas;
    if (alignment) {
        *alignment = cmd.out_iova_alignment;
    }
    return true;
}
