/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file trace.h
 * @brief Run-time control of libiommufd's trace events.
 *
 * Every ioctl the library issues fires a trace event.  Each event can be
 * recorded by the backends compiled in at build time:
 *  - log: a formatted line "<event> <arguments>" to the trace sink (stderr by
 *    default), switched on per event by the functions below or by the
 *    environment (IOMMUFD_TRACE, IOMMUFD_TRACE_FILE, IOMMUFD_TRACE_TIMESTAMP);
 *  - ust: LTTng-UST tracepoints of provider "iommufd", switched on by
 *    `lttng enable-event -u 'iommufd:*'` once the provider object
 *    (libiommufd-ust.so) is loaded;
 *  - dtrace: SystemTap SDT probes of provider "iommufd", armed by perf,
 *    bpftrace or systemtap.
 * The functions here control the log backend.  All are thread-safe.
 *
 * Environment, read once, when the library starts:
 *  - IOMMUFD_TRACE: comma-separated patterns as for iommufd_trace_enable();
 *    the word "help" writes the list of events to the trace log.
 *  - IOMMUFD_TRACE_FILE: file the log lines are appended to (default stderr).
 *  - IOMMUFD_TRACE_TIMESTAMP=1: prefix each line with a monotonic timestamp
 *    (seconds.microseconds) and the thread id in brackets.
 */
#ifndef IOMMUFD_TRACE_H
#define IOMMUFD_TRACE_H

#include <stdbool.h>
#include <stddef.h>

#ifndef IOMMUFD_API
/* marks the library's exported functions (the library builds with hidden visibility) */
#define IOMMUFD_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/**
 * A log sink: receives each log line.
 * @param event  the event's name, or NULL for lines that are not an event
 *               (the list written for IOMMUFD_TRACE=help)
 * @param line   the whole line without a trailing newline
 *               ("[timestamp [tid] ]<event> <arguments>")
 * @param opaque the pointer given to iommufd_trace_set_sink()
 * Calls are serialised.  Events fired from inside the sink are dropped.
 */
typedef void (*IOMMUFDTraceSink)(const char *event, const char *line, void *opaque);

/**
 * Called once per event by iommufd_trace_list().
 * @param name       the event's name
 * @param enabled    whether the log backend records it now
 * @param compiled   false for events marked `disable` in trace-events,
 *                   which no backend can record
 * @param opaque     the pointer given to iommufd_trace_list()
 */
typedef void (*IOMMUFDTraceEventFunc)(const char *name, bool enabled, bool compiled,
                                      void *opaque);

/**
 * Enable or disable events of the log backend by glob pattern.
 * @param patterns comma-separated fnmatch(3) patterns, applied in order;
 *                 a pattern with a leading '-' disables what it matches
 *                 ("iommufd_*,-iommufd_backend_unmap*").
 * @return how many events the patterns matched, counted once per pattern;
 *         0 when nothing matched (a misspelt pattern, for instance).
 */
IOMMUFD_API unsigned int iommufd_trace_enable(const char *patterns);

/**
 * The log state of one event.
 * @param name the event's exact name
 * @return 1 when enabled, 0 when disabled or compiled out, -1 when no event
 *         has that name
 */
IOMMUFD_API int iommufd_trace_event_get_state(const char *name);

/**
 * Call @p fn for each event known to the library, in registration order.
 * @param fn     called once per event; may be NULL to count only
 * @param opaque passed to @p fn
 * @return the number of events
 */
IOMMUFD_API size_t iommufd_trace_list(IOMMUFDTraceEventFunc fn, void *opaque);

/**
 * Send log lines to @p fn instead of the default output (stderr, or the file
 * named by IOMMUFD_TRACE_FILE).
 * @param fn     the sink; NULL restores the default output
 * @param opaque passed to @p fn with each line
 */
IOMMUFD_API void iommufd_trace_set_sink(IOMMUFDTraceSink fn, void *opaque);

/**
 * Prefix each log line with a monotonic timestamp and the thread id.
 * @param on true to add the prefix, false to remove it
 */
IOMMUFD_API void iommufd_trace_set_timestamps(bool on);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUFD_TRACE_H */
