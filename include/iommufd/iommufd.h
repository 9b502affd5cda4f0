/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file iommufd.h
 * @brief The whole libiommufd API in one include.
 *
 * Includes backend.h (IOMMUFDBackend and its ioctl helpers), vfio.h (VFIO
 * cdev devices), events.h (event and fault queues), error.h (IOMMUFDError)
 * and trace.h (run-time trace control).  Two headers are opt-in and not
 * included here: qemu-compat.h (QEMU's names for the error API, which clash
 * with QEMU's own) and mock.h (the fixtures of libiommufd-mock, a separate
 * library for tests).
 *
 * Build flags: `pkg-config --cflags --libs libiommufd`.
 */
#ifndef IOMMUFD_IOMMUFD_H
#define IOMMUFD_IOMMUFD_H

#include <iommufd/error.h>
#include <iommufd/trace.h>
#include <iommufd/backend.h>
#include <iommufd/vfio.h>
#include <iommufd/events.h>

#endif /* IOMMUFD_IOMMUFD_H */
