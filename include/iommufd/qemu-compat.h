/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file qemu-compat.h
 * @brief QEMU's names for libiommufd's error API, so that code ported from
 * QEMU's iommufd backend reads and compiles unchanged.
 *
 * Opt-in: include it only in code that does not also include QEMU's own
 * qapi/error.h (inside QEMU's executable, use the iommufd_error_* names).
 * See docs/porting-from-qemu.md.
 */
#ifndef IOMMUFD_QEMU_COMPAT_H
#define IOMMUFD_QEMU_COMPAT_H

#include <iommufd/error.h>

/** QEMU's Error is an IOMMUFDError. */
typedef IOMMUFDError Error;

/**
 * @name QEMU's error API
 * Each name stands for the libiommufd function, macro or variable it is
 * defined as (QEMU's argument order and semantics).
 * @{
 */
#define error_abort        iommufd_error_abort   /**< as iommufd_error_abort */
#define error_fatal        iommufd_error_fatal   /**< as iommufd_error_fatal */
#define error_setg         iommufd_error_setg    /**< as iommufd_error_setg() */
#define error_setg_errno   iommufd_error_setg_errno /**< as iommufd_error_setg_errno() */
#define error_prepend      iommufd_error_prepend /**< as iommufd_error_prepend() */
#define error_append_hint  iommufd_error_append_hint /**< as iommufd_error_append_hint() */
#define error_propagate    iommufd_error_propagate /**< as iommufd_error_propagate() */
#define error_free         iommufd_error_free    /**< as iommufd_error_free() */
#define error_free_or_null iommufd_error_free_or_null /**< as iommufd_error_free_or_null() */
#define error_get_pretty   iommufd_error_get_pretty /**< as iommufd_error_get_pretty() */
#define error_report_err   iommufd_error_report_err /**< as iommufd_error_report_err() */
#define error_copy         iommufd_error_copy    /**< as iommufd_error_copy() */
#define ERRP_GUARD         IOMMUFD_ERRP_GUARD    /**< as IOMMUFD_ERRP_GUARD() */
/** @} */

#endif /* IOMMUFD_QEMU_COMPAT_H */
