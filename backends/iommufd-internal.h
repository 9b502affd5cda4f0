/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private helpers shared by the backend's files.  Not installed. */
#ifndef IOMMUFD_BACKEND_INTERNAL_H
#define IOMMUFD_BACKEND_INTERNAL_H

#include "iommufd/backend.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>

#define IOMMUFD_INTERNAL_FN __attribute__((visibility("hidden")))
/* an error path: out of line, in .text.unlikely */
#define IOMMUFD_COLD_FN __attribute__((visibility("hidden"), cold, noinline))

struct _IOMMUFDBackend {
    GObject parent;
    pthread_mutex_t lock;       /* connect / disconnect */
    _Atomic int fd;             /* -1 while an owned backend is not connected */
    char *path;
    bool owned;
    _Atomic unsigned int users;
    _Atomic int live_fd;        /* fd while users > 0, else -1: the helpers' one check */
};

/*
 * The class of every IOMMUFDBackend instance (a final type: no subclass),
 * set by class_init; until then it points at itself, which no instance's
 * g_class can equal.
 */
IOMMUFD_INTERNAL_FN extern const void *_iommufd_backend_class;

/* Append the hint for an errno of a command to *errp (guarded errp). */
IOMMUFD_INTERNAL_FN void _iommufd_error_add_hint(IOMMUFDError **errp, unsigned int nr, int err);
/* The fd of a connected backend, or -1 with an EBADF error naming `what`. */
IOMMUFD_INTERNAL_FN int _iommufd_backend_fd(IOMMUFDBackend *be, const char *what,
                                            IOMMUFDError **errp);
/*
 * The error when _iommufd_backend_fd_fast() found no fd: "no backend"
 * (EINVAL) when `be` is not a backend, else "not connected" (EBADF, with
 * its hint), naming `what`, as raised in function `func`.
 */
IOMMUFD_COLD_FN void _iommufd_backend_fd_fail(IOMMUFDBackend *be, const char *what,
                                              const char *func, IOMMUFDError **errp);

/*
 * The fd of a connected backend, or -1 when `be` is not a backend or is
 * not connected (then call _iommufd_backend_fd_check() for the error).
 * Inline, a few instructions: a class-pointer compare instead of the GType
 * check (exact for a final type), one load.
 */
static inline int _iommufd_backend_fd_fast(IOMMUFDBackend *be)
{
    if (G_LIKELY(be && ((GTypeInstance *)be)->g_class == _iommufd_backend_class)) {
        return atomic_load(&be->live_fd);
    }
    return -1;
}

/*
 * The fd of a backend for a helper, or -1 with an error naming `what`.
 * The failure path only reports (it does not return to the helper's work),
 * so that nothing of the helper has to survive a call before its ioctl.
 */
#define BACKEND_FD(be, what, errp)                                                 \
    ({                                                                             \
        int _fd = _iommufd_backend_fd_fast(be);                                    \
        if (G_UNLIKELY(_fd < 0)) {                                                 \
            _iommufd_backend_fd_fail((be), (what), __func__, (errp));              \
        }                                                                          \
        _fd;                                                                       \
    })

/*
 * The address `p` of a local (the command struct), taken again from its
 * memory operand, relative to the stack pointer, for a cold path after a
 * call: otherwise gcc 12 keeps the address in a callee-saved register
 * across the ioctl, a push, a move and a pop on every helper's fast path.
 */
#if defined(__x86_64__)
#define IOMMUFD_ADDR_AGAIN(p)                                                      \
    ({                                                                             \
        __typeof__(p) _again;                                                      \
        __asm__("lea %1, %0" : "=r"(_again) : "m"(*(p)));                          \
        _again;                                                                    \
    })
#else
#define IOMMUFD_ADDR_AGAIN(p) (p)
#endif

/* The retry of an ioctl that failed: its errno, after retrying on EINTR. */
IOMMUFD_COLD_FN int _iommufd_ioctl_failed(int fd, unsigned long cmd, void *arg);

/* One ioctl, retried on EINTR: 0 or the errno, captured at once. */
static inline int _iommufd_ioctl(int fd, unsigned long cmd, void *arg)
{
    if (G_LIKELY(ioctl(fd, cmd, arg) >= 0)) {
        return 0;
    }
    return _iommufd_ioctl_failed(fd, cmd, IOMMUFD_ADDR_AGAIN((char *)arg));
}

/*
 * A helper's command struct and the values that only its cold paths (the
 * EINTR retry, the failure, an enabled trace event) read after the ioctl,
 * in one object on the stack.  The ioctl is handed the struct's address, so
 * the whole object is in memory across the call, and gcc reads those values
 * back from it where they are used, on the cold paths: each costs one store
 * before the call instead of a callee-saved register (a push, a move and a
 * pop) on every call.  Declare with IOMMUFD_FRAME, issue with
 * _iommufd_ioctl_frame.
 */
#define IOMMUFD_FRAME(cmd_type, ...)                                               \
    struct {                                                                       \
        cmd_type cmd;                                                              \
        int fd;                                                                    \
        __VA_ARGS__                                                                \
    }

/* _iommufd_ioctl() on frame->cmd, on frame->fd, which is read again after the call */
#define _iommufd_ioctl_frame(frame, nr)                                            \
    __extension__({                                                                \
        int _err = 0;                                                              \
        if (G_UNLIKELY(ioctl((frame)->fd, (nr), &(frame)->cmd) < 0)) {             \
            _err = _iommufd_ioctl_failed((frame)->fd, (nr),                        \
                                         IOMMUFD_ADDR_AGAIN(&(frame)->cmd));       \
        }                                                                          \
        _err;                                                                      \
    })

#endif
