/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private helpers shared by the backend's files.  Not installed. */
#ifndef IOMMUFD_BACKEND_INTERNAL_H
#define IOMMUFD_BACKEND_INTERNAL_H

#include "iommufd/backend.h"

#define IOMMUFD_INTERNAL_FN __attribute__((visibility("hidden")))

/* Append the hint for an errno of a command to *errp (guarded errp). */
IOMMUFD_INTERNAL_FN void _iommufd_error_add_hint(IOMMUFDError **errp, unsigned int nr, int err);
/* The fd of a connected backend, or -1 with an EBADF error naming `what`. */
IOMMUFD_INTERNAL_FN int _iommufd_backend_fd(IOMMUFDBackend *be, const char *what,
                                            IOMMUFDError **errp);
/* One ioctl, retried on EINTR: 0 or the errno. */
IOMMUFD_INTERNAL_FN int _iommufd_ioctl(int fd, unsigned long cmd, void *arg);

#endif
