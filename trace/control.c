/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run-time control of trace events and the log backend's output.
 *
 * Each generated group registers its event table from a constructor.  The
 * per-event log state (uint16_t, read by the inline gate with one relaxed
 * load) is written here with atomic stores under `lock`; the gate never
 * takes a lock.  The environment is read once, at the first registration
 * or the first call, whichever comes first.
 */
#include "trace/control-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iommufd/trace.h"
#include "trace/trace-root.h"

#define LINE_MAX_STACK 512

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;   /* registry, env */
static const IOMMUFDTraceEventDesc **groups;
static size_t n_groups;
static bool env_read;
static char *env_patterns;      /* IOMMUFD_TRACE, applied to each new group */
static bool env_help;

/* output */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static IOMMUFDTraceSink sink_fn;
static void *sink_opaque;
static int out_fd = -1;         /* default output, opened at the first line */
static char *out_path;          /* IOMMUFD_TRACE_FILE */
static _Atomic bool timestamps;
static _Thread_local bool in_sink;

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

/* Called with out_lock held. */
static int default_fd(void)
{
    if (out_fd < 0) {
        if (out_path) {
            out_fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        }
        if (out_fd < 0) {
            out_fd = STDERR_FILENO;
        }
    }
    return out_fd;
}

/* Deliver one line (without newline) to the sink or the default output. */
static void deliver(const char *event, const char *line, size_t len)
{
    pthread_mutex_lock(&out_lock);
    if (sink_fn) {
        in_sink = true;
        sink_fn(event, line, sink_opaque);
        in_sink = false;
    } else {
        /* one write per line, newline included, so that lines from
         * several processes appending to one file do not interleave */
        char *buf = malloc(len + 1);
        if (buf) {
            memcpy(buf, line, len);
            buf[len] = '\n';
            write_all(default_fd(), buf, len + 1);
            free(buf);
        }
    }
    pthread_mutex_unlock(&out_lock);
}

void _iommufd_trace_log_emit(const char *event, const char *fmt, ...)
{
    char stack[LINE_MAX_STACK];
    char *heap = NULL;
    char *line = stack;
    int pre = 0;
    va_list ap;

    if (in_sink) {
        return;     /* the sink itself fired an event */
    }
    if (atomic_load_explicit(&timestamps, memory_order_relaxed)) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        pre = snprintf(stack, sizeof(stack), "%lld.%06ld [%d] ", (long long)ts.tv_sec,
                       ts.tv_nsec / 1000, (int)gettid());
    }
    pre += snprintf(stack + pre, sizeof(stack) - (size_t)pre, "%s ", event);
    if (pre < 0 || (size_t)pre >= sizeof(stack)) {
        return;     /* cannot happen: tracetool limits names to 100 characters */
    }

    va_start(ap, fmt);
    int n = vsnprintf(stack + pre, sizeof(stack) - (size_t)pre, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)pre + (size_t)n >= sizeof(stack)) {
        heap = malloc((size_t)pre + (size_t)n + 1);
        if (!heap) {
            return;
        }
        memcpy(heap, stack, (size_t)pre);
        va_start(ap, fmt);
        vsnprintf(heap + pre, (size_t)n + 1, fmt, ap);
        va_end(ap);
        line = heap;
    }
    deliver(event, line, (size_t)pre + (size_t)n);
    free(heap);
}

static void set_state(const IOMMUFDTraceEventDesc *ev, bool on)
{
    if (ev->dstate) {
        __atomic_store_n(ev->dstate, on ? 1 : 0, __ATOMIC_RELAXED);
    }
}

/* Apply one pattern to one group; lock held.  Returns the events matched. */
static unsigned int apply_one(const IOMMUFDTraceEventDesc *group, const char *pat)
{
    bool on = true;
    unsigned int matched = 0;

    if (pat[0] == '-') {
        on = false;
        pat++;
    }
    for (const IOMMUFDTraceEventDesc *ev = group; ev->name; ev++) {
        if (fnmatch(pat, ev->name, 0) == 0) {
            set_state(ev, on);
            matched++;
        }
    }
    return matched;
}

/* Apply a comma-separated list to groups [first, n_groups); lock held. */
static unsigned int apply_list(const char *patterns, size_t first)
{
    unsigned int matched = 0;
    char *copy = strdup(patterns);
    char *save = NULL;

    if (!copy) {
        return 0;
    }
    for (char *pat = strtok_r(copy, ",", &save); pat; pat = strtok_r(NULL, ",", &save)) {
        while (*pat == ' ') {
            pat++;
        }
        if (!*pat || strcmp(pat, "help") == 0) {
            continue;
        }
        for (size_t g = first; g < n_groups; g++) {
            matched += apply_one(groups[g], pat);
        }
    }
    free(copy);
    return matched;
}

/* Write the events of groups [first, n_groups) to the log; lock held. */
static void write_help(size_t first)
{
    for (size_t g = first; g < n_groups; g++) {
        for (const IOMMUFDTraceEventDesc *ev = groups[g]; ev->name; ev++) {
            char line[256];
            int n = snprintf(line, sizeof(line), "%s", ev->name);
            if (n > 0 && (size_t)n < sizeof(line)) {
                deliver(NULL, line, (size_t)n);
            }
        }
    }
}

static bool env_true(const char *v)
{
    return v && *v && strcmp(v, "0") != 0 && strcmp(v, "no") != 0;
}

/* Read the environment once; lock held. */
static void read_env(void)
{
    if (env_read) {
        return;
    }
    env_read = true;
    const char *file = getenv("IOMMUFD_TRACE_FILE");
    if (file && *file) {
        out_path = strdup(file);
    }
    atomic_store(&timestamps, env_true(getenv("IOMMUFD_TRACE_TIMESTAMP")));
    const char *pats = getenv("IOMMUFD_TRACE");
    if (pats && *pats) {
        env_patterns = strdup(pats);
        char *copy = strdup(pats);
        char *save = NULL;
        for (char *p = copy ? strtok_r(copy, ",", &save) : NULL; p;
             p = strtok_r(NULL, ",", &save)) {
            while (*p == ' ') {
                p++;
            }
            if (strcmp(p, "help") == 0) {
                env_help = true;
            }
        }
        free(copy);
        if (env_patterns) {
            apply_list(env_patterns, 0);
        }
        if (env_help) {
            write_help(0);
        }
    }
}

static void ensure_init(void)
{
    pthread_mutex_lock(&lock);
    read_env();
    pthread_mutex_unlock(&lock);
}

void _iommufd_trace_register_events(const IOMMUFDTraceEventDesc *events)
{
    pthread_mutex_lock(&lock);
    const IOMMUFDTraceEventDesc **grown = realloc(groups, (n_groups + 1) * sizeof(*groups));
    if (grown) {
        groups = grown;
        groups[n_groups++] = events;
        if (env_read) {
            /* a group registered after the environment was read */
            if (env_patterns) {
                apply_list(env_patterns, n_groups - 1);
            }
            if (env_help) {
                write_help(n_groups - 1);
            }
        }
    }
    read_env();
    pthread_mutex_unlock(&lock);
}

unsigned int iommufd_trace_enable(const char *patterns)
{
    unsigned int matched;

    if (!patterns) {
        return 0;
    }
    pthread_mutex_lock(&lock);
    read_env();
    matched = apply_list(patterns, 0);
    pthread_mutex_unlock(&lock);
    trace_iommufd_trace_enable(patterns, matched);
    return matched;
}

int iommufd_trace_event_get_state(const char *name)
{
    int state = -1;

    if (!name) {
        return -1;
    }
    pthread_mutex_lock(&lock);
    read_env();
    for (size_t g = 0; g < n_groups && state < 0; g++) {
        for (const IOMMUFDTraceEventDesc *ev = groups[g]; ev->name; ev++) {
            if (strcmp(ev->name, name) == 0) {
                state = ev->dstate && __atomic_load_n(ev->dstate, __ATOMIC_RELAXED) ? 1 : 0;
                break;
            }
        }
    }
    pthread_mutex_unlock(&lock);
    return state;
}

size_t iommufd_trace_list(IOMMUFDTraceEventFunc fn, void *opaque)
{
    const IOMMUFDTraceEventDesc **snap;
    size_t n, count = 0;

    /* The tables are immutable: walk a copy of the list of groups without
     * the lock, so that fn may call back into this file. */
    pthread_mutex_lock(&lock);
    read_env();
    n = n_groups;
    snap = n ? malloc(n * sizeof(*snap)) : NULL;
    if (snap) {
        memcpy(snap, groups, n * sizeof(*snap));
    } else {
        n = 0;
    }
    pthread_mutex_unlock(&lock);

    for (size_t g = 0; g < n; g++) {
        for (const IOMMUFDTraceEventDesc *ev = snap[g]; ev->name; ev++) {
            if (fn) {
                fn(ev->name, ev->dstate && __atomic_load_n(ev->dstate, __ATOMIC_RELAXED),
                   ev->dstate != NULL, opaque);
            }
            count++;
        }
    }
    free(snap);
    return count;
}

void iommufd_trace_set_sink(IOMMUFDTraceSink fn, void *opaque)
{
    ensure_init();
    pthread_mutex_lock(&out_lock);
    sink_fn = fn;
    sink_opaque = opaque;
    pthread_mutex_unlock(&out_lock);
}

void iommufd_trace_set_timestamps(bool on)
{
    ensure_init();
    atomic_store(&timestamps, on);
}
