/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private interface between the code tracetool generates and trace/control.c.
 * Not installed.
 */
#ifndef IOMMUFD_TRACE_CONTROL_INTERNAL_H
#define IOMMUFD_TRACE_CONTROL_INTERNAL_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IOMMUFD_INTERNAL __attribute__((visibility("hidden")))

/* One event of a generated group; a table ends with a NULL name. */
typedef struct IOMMUFDTraceEventDesc {
    const char *name;
    /* log backend state (read by the inline gate); NULL for 'disable' events */
    uint16_t *dstate;
} IOMMUFDTraceEventDesc;

/* Called from each group's constructor.  The table must outlive the program. */
IOMMUFD_INTERNAL void _iommufd_trace_register_events(const IOMMUFDTraceEventDesc *events);

/* The log backend's out-of-line path: "<event> <formatted arguments>". */
IOMMUFD_INTERNAL void _iommufd_trace_log_emit(const char *event, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
