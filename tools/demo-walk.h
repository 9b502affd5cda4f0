/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The walk of `iommufd-probe demo`: a VMM's path through iommufd, as a
 * function that a fail-Nth sweep can run over and over.
 */
#ifndef IOMMUFD_TOOLS_DEMO_WALK_H
#define IOMMUFD_TOOLS_DEMO_WALK_H

#include <stdbool.h>
#include <stdio.h>

#include <iommufd/backend.h>
#include <iommufd/error.h>

/**
 * Walk a VMM's path on @p be: bind a VFIO device, allocate an IOAS and
 * attach the device, map guest RAM, allocate a nesting parent HWPT with
 * dirty tracking, a fault queue, (when the kernel has them) a vIOMMU, a
 * vDEVICE and a vEVENTQ, a nested HWPT with the fault queue (on the vIOMMU,
 * or on the parent HWPT on a 6.12 kernel), trigger a fault and an event
 * (through the mock's fixtures, found with dlsym, when the mock is
 * present), read a dirty bitmap, then tear everything down leaves first.
 *
 * The walk takes a user of @p be (iommufd_backend_connect) and drops it at
 * the end.  On failure at any step it tears down what it built, in the same
 * order, closes every fd it opened and returns false with exactly one error;
 * on success *errp is untouched.
 *
 * @param be        the backend (connected or not)
 * @param vfio_node a VFIO cdev node, or NULL to create a mock device (needs
 *                  the mock)
 * @param out       where the steps are printed ("demo: ..." lines), or NULL
 * @param errp      error
 * @return true on success
 */
bool iommufd_demo_walk(IOMMUFDBackend *be, const char *vfio_node, FILE *out,
                       IOMMUFDError **errp);

#endif /* IOMMUFD_TOOLS_DEMO_WALK_H */
