/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IOMMUFDError: QEMU's Error semantics, plus the errno of the failure and a
 * separate hint.  Only &iommufd_error_abort, &iommufd_error_fatal and
 * iommufd_error_report_err() print, because the caller asked for it.
 */
#include "iommufd/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct IOMMUFDError {
    char *msg;
    GString *hint;
    int errnum;
    const char *src;
    int line;
    const char *func;
};

IOMMUFDError *iommufd_error_abort;
IOMMUFDError *iommufd_error_fatal;

static void print_error(const IOMMUFDError *err, bool with_location)
{
    GString *out = g_string_new(NULL);

    if (with_location) {
        g_string_append_printf(out, "Unexpected error in %s() at %s:%d:\n",
                               err->func ? err->func : "?", err->src ? err->src : "?",
                               err->line);
    }
    g_string_append(out, err->msg);
    g_string_append_c(out, '\n');
    if (err->hint && err->hint->len) {
        g_string_append(out, err->hint->str);
        if (out->str[out->len - 1] != '\n') {
            g_string_append_c(out, '\n');
        }
    }
    /* one write, so that it is not interleaved with other output */
    ssize_t n = write(STDERR_FILENO, out->str, out->len);
    (void)n;
    g_string_free(out, TRUE);
}

/* Deliver a new error to errp: the sentinels act now, NULL discards. */
static void error_deliver(IOMMUFDError **errp, IOMMUFDError *err)
{
    if (errp == &iommufd_error_abort) {
        print_error(err, true);
        abort();
    }
    if (errp == &iommufd_error_fatal) {
        print_error(err, false);
        exit(1);
    }
    if (!errp || *errp) {
        /* ignored, or a second error: the first one wins */
        iommufd_error_free(err);
        return;
    }
    *errp = err;
}

void iommufd_error_setg_internal(IOMMUFDError **errp, const char *src, int line,
                                 const char *func, int errnum, bool append_strerror,
                                 const char *fmt, ...)
{
    int saved_errno = errno;
    IOMMUFDError *err;
    va_list ap;

    if (!errp) {
        errno = saved_errno;
        return;
    }
    err = g_new0(IOMMUFDError, 1);
    va_start(ap, fmt);
    err->msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (append_strerror) {
        char *full = g_strdup_printf("%s: %s", err->msg, g_strerror(errnum));
        g_free(err->msg);
        err->msg = full;
    }
    err->errnum = errnum;
    err->src = src;
    err->line = line;
    err->func = func;
    error_deliver(errp, err);
    errno = saved_errno;
}

void iommufd_error_prepend(IOMMUFDError *const *errp, const char *fmt, ...)
{
    va_list ap;

    if (!errp || !*errp) {
        return;
    }
    IOMMUFDError *err = *errp;
    va_start(ap, fmt);
    char *prefix = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *msg = g_strconcat(prefix, err->msg, NULL);
    g_free(prefix);
    g_free(err->msg);
    err->msg = msg;
}

void iommufd_error_append_hint(IOMMUFDError *const *errp, const char *fmt, ...)
{
    va_list ap;

    if (!errp || !*errp) {
        return;
    }
    IOMMUFDError *err = *errp;
    if (!err->hint) {
        err->hint = g_string_new(NULL);
    }
    va_start(ap, fmt);
    g_string_append_vprintf(err->hint, fmt, ap);
    va_end(ap);
}

void iommufd_error_propagate(IOMMUFDError **dst_errp, IOMMUFDError *local_err)
{
    if (!local_err) {
        return;
    }
    error_deliver(dst_errp, local_err);
}

void iommufd_error_free(IOMMUFDError *err)
{
    if (!err) {
        return;
    }
    g_free(err->msg);
    if (err->hint) {
        g_string_free(err->hint, TRUE);
    }
    g_free(err);
}

void iommufd_error_free_or_null(IOMMUFDError **errp)
{
    if (errp && *errp) {
        iommufd_error_free(*errp);
        *errp = NULL;
    }
}

const char *iommufd_error_get_pretty(const IOMMUFDError *err)
{
    return err ? err->msg : NULL;
}

int iommufd_error_get_errno(const IOMMUFDError *err)
{
    return err ? err->errnum : 0;
}

const char *iommufd_error_get_hint(const IOMMUFDError *err)
{
    return err && err->hint && err->hint->len ? err->hint->str : NULL;
}

void iommufd_error_report_err(IOMMUFDError *err)
{
    if (!err) {
        return;
    }
    print_error(err, false);
    iommufd_error_free(err);
}

IOMMUFDError *iommufd_error_copy(const IOMMUFDError *err)
{
    IOMMUFDError *copy = g_new0(IOMMUFDError, 1);

    copy->msg = g_strdup(err->msg);
    if (err->hint) {
        copy->hint = g_string_new(err->hint->str);
    }
    copy->errnum = err->errnum;
    copy->src = err->src;
    copy->line = err->line;
    copy->func = err->func;
    return copy;
}
