/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file error.h
 * @brief Errors: QEMU's Error semantics under libiommufd's own names.
 *
 * A function that can fail takes `IOMMUFDError **errp` as its last parameter
 * and returns false (or NULL, or a negative value) on failure.  On failure it
 * sets exactly one error; on success it leaves *errp untouched.  Callers pass
 * - NULL to ignore the error;
 * - the address of a NULL `IOMMUFDError *` to receive it (then free it with
 *   iommufd_error_free() or report it with iommufd_error_report_err());
 * - &iommufd_error_abort to abort with the message and its source location;
 * - &iommufd_error_fatal to print the message and exit(1).
 *
 * Unlike QEMU's Error, an IOMMUFDError keeps the errno of the failure
 * (iommufd_error_get_errno()) and a separate hint saying what to do
 * (iommufd_error_get_hint()).  QEMU's own names are available through
 * <iommufd/qemu-compat.h>.
 */
#ifndef IOMMUFD_ERROR_H
#define IOMMUFD_ERROR_H

#include <glib.h>
#include <stdarg.h>
#include <stdbool.h>

#ifndef IOMMUFD_API
/* marks the library's exported functions (the library builds with hidden visibility) */
#define IOMMUFD_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** An error: message, errno, hint, and where it was set.  Opaque. */
typedef struct IOMMUFDError IOMMUFDError;

/** Pass &iommufd_error_abort as errp to abort on error (with the source location). */
IOMMUFD_API extern IOMMUFDError *iommufd_error_abort;
/** Pass &iommufd_error_fatal as errp to print the error and exit(1). */
IOMMUFD_API extern IOMMUFDError *iommufd_error_fatal;

/**
 * Set an error (use the iommufd_error_setg* macros, which fill in the source
 * location).
 * @param errp   where to store the error (see the file's description)
 * @param src    source file
 * @param line   source line
 * @param func   function
 * @param errnum the errno to keep, 0 for none
 * @param append_strerror true to append ": strerror(errnum)" to the message
 * @param fmt    printf-style message: one phrase, no trailing punctuation
 * @param ...    its arguments
 */
IOMMUFD_API void iommufd_error_setg_internal(IOMMUFDError **errp, const char *src, int line,
                                             const char *func, int errnum, bool append_strerror,
                                             const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

/**
 * @brief Set an error whose errno is 0.  errno is preserved.
 * @param errp where to store the error
 * @param ...  printf-style message and its arguments
 */
#define iommufd_error_setg(errp, ...) \
    iommufd_error_setg_internal((errp), __FILE__, __LINE__, __func__, 0, false, __VA_ARGS__)

/**
 * @brief Set an error that keeps @p os_errno and whose message ends with
 *        ": strerror(os_errno)".
 * @param errp     where to store the error
 * @param os_errno the errno of the failure (positive)
 * @param ...      printf-style message and its arguments
 */
#define iommufd_error_setg_errno(errp, os_errno, ...) \
    iommufd_error_setg_internal((errp), __FILE__, __LINE__, __func__, (os_errno), true, \
                                __VA_ARGS__)

/**
 * @brief Set an error that keeps @p os_errno, with the message as given (no
 *        strerror).
 * @param errp     where to store the error
 * @param os_errno the errno of the failure (positive)
 * @param ...      printf-style message and its arguments
 */
#define iommufd_error_setg_code(errp, os_errno, ...) \
    iommufd_error_setg_internal((errp), __FILE__, __LINE__, __func__, (os_errno), false, \
                                __VA_ARGS__)

/**
 * Add a prefix to the message of *errp (nothing when errp or *errp is NULL).
 * The caller supplies the separator ("doing X: ").  Use IOMMUFD_ERRP_GUARD()
 * first when errp may be &iommufd_error_fatal.
 * @param errp the error
 * @param fmt  printf-style prefix
 * @param ...  its arguments
 */
IOMMUFD_API void iommufd_error_prepend(IOMMUFDError *const *errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * Append text to the hint of *errp: what to do about it.  Shown by
 * iommufd_error_report_err() and iommufd_error_get_hint(), not by
 * iommufd_error_get_pretty().  Nothing happens when errp or *errp is NULL:
 * use IOMMUFD_ERRP_GUARD() in functions that append hints.
 * @param errp the error
 * @param fmt  printf-style text (end sentences with a newline, as QEMU does)
 * @param ...  its arguments
 */
IOMMUFD_API void iommufd_error_append_hint(IOMMUFDError *const *errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * Move @p local_err to @p dst_errp: the first error wins, a second one is
 * freed.  Honours `&iommufd_error_abort` and `&iommufd_error_fatal`; a NULL
 * @p dst_errp frees it.
 * @param dst_errp  destination
 * @param local_err the error, or NULL (nothing happens)
 */
IOMMUFD_API void iommufd_error_propagate(IOMMUFDError **dst_errp, IOMMUFDError *local_err);

/**
 * Free an error.
 * @param err the error, or NULL
 */
IOMMUFD_API void iommufd_error_free(IOMMUFDError *err);

/**
 * Free *errp and set it to NULL.
 * @param errp the error's address, or NULL
 */
IOMMUFD_API void iommufd_error_free_or_null(IOMMUFDError **errp);

/**
 * @brief The message of an error.
 * @param err an error
 * @return its message (without the hint), owned by @p err
 */
IOMMUFD_API const char *iommufd_error_get_pretty(const IOMMUFDError *err);

/**
 * @brief The errno of an error.
 * @param err an error
 * @return the errno of the failure, or 0 when it has none
 */
IOMMUFD_API int iommufd_error_get_errno(const IOMMUFDError *err);

/**
 * @brief The hint of an error.
 * @param err an error
 * @return what to do about it, or NULL when there is no hint; owned by @p err
 */
IOMMUFD_API const char *iommufd_error_get_hint(const IOMMUFDError *err);

/**
 * Print the message and hint to stderr, then free the error.
 * @param err the error, or NULL (nothing happens)
 */
IOMMUFD_API void iommufd_error_report_err(IOMMUFDError *err);

/**
 * A copy of an error.
 * @param err the error
 * @return a new error with the same message, errno, hint and location
 */
IOMMUFD_API IOMMUFDError *iommufd_error_copy(const IOMMUFDError *err);

/** @cond INTERNAL */
typedef struct IOMMUFDErrorPropagator {
    IOMMUFDError *local_err;
    IOMMUFDError **errp;
} IOMMUFDErrorPropagator;

static inline void iommufd_error_propagator_cleanup(IOMMUFDErrorPropagator *prop)
{
    iommufd_error_propagate(prop->errp, prop->local_err);
}
/** @endcond */

/**
 * Make `errp` safe to dereference in the rest of the function, as QEMU's
 * ERRP_GUARD(): when the caller passed NULL or &iommufd_error_fatal, errp is
 * redirected to a local error that is propagated back when the function
 * returns.  Required before iommufd_error_prepend / _append_hint, and before
 * testing *errp.
 */
#define IOMMUFD_ERRP_GUARD()                                                         \
    IOMMUFDErrorPropagator _iommufd_errp_prop                                        \
        __attribute__((cleanup(iommufd_error_propagator_cleanup))) = { NULL, errp }; \
    do {                                                                             \
        if (!errp || errp == &iommufd_error_fatal) {                                 \
            errp = &_iommufd_errp_prop.local_err;                                    \
        }                                                                            \
    } while (0)

#ifdef __cplusplus
}
#endif

G_DEFINE_AUTOPTR_CLEANUP_FUNC(IOMMUFDError, iommufd_error_free)

#endif /* IOMMUFD_ERROR_H */
