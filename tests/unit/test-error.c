/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The error API: QEMU's Error semantics, plus errno and hint. */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "iommufd/error.h"
#include "../common/fd-check.h"

static bool fail_with(IOMMUFDError **errp, int code)
{
    iommufd_error_setg_errno(errp, code, "IOMMU_IOAS_MAP(ioas_id %u) failed", 7u);
    return false;
}

static void test_setg(void)
{
    IOMMUFDError *err = NULL;

    errno = 1234;
    iommufd_error_setg(&err, "bad %s %d", "thing", 3);
    g_assert_cmpint(errno, ==, 1234);
    g_assert_nonnull(err);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==, "bad thing 3");
    g_assert_cmpint(iommufd_error_get_errno(err), ==, 0);
    g_assert_null(iommufd_error_get_hint(err));
    iommufd_error_free(err);
}

static void test_setg_errno(void)
{
    IOMMUFDError *err = NULL;

    errno = 42;
    g_assert_false(fail_with(&err, ENOMEM));
    g_assert_cmpint(errno, ==, 42);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==,
                    "IOMMU_IOAS_MAP(ioas_id 7) failed: Cannot allocate memory");
    g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOMEM);
    iommufd_error_free_or_null(&err);

    iommufd_error_setg_code(&err, EINVAL, "length must not be 0");
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==, "length must not be 0");
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EINVAL);
    iommufd_error_free(err);
}

static void test_null_errp(void)
{
    errno = 7;
    g_assert_false(fail_with(NULL, EBUSY));
    g_assert_cmpint(errno, ==, 7);
    iommufd_error_prepend(NULL, "x: ");
    iommufd_error_append_hint(NULL, "y\n");
    iommufd_error_free(NULL);
    iommufd_error_free_or_null(NULL);
    iommufd_error_report_err(NULL);
    iommufd_error_propagate(NULL, NULL);
    g_assert_cmpint(iommufd_error_get_errno(NULL), ==, 0);
}

static void test_first_wins(void)
{
    IOMMUFDError *err = NULL;

    fail_with(&err, EBUSY);
    fail_with(&err, ENOENT);    /* a second error is dropped */
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EBUSY);

    IOMMUFDError *local = NULL;
    fail_with(&local, EFAULT);
    iommufd_error_propagate(&err, local);   /* freed: err already set */
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EBUSY);
    iommufd_error_free_or_null(&err);
    g_assert_null(err);

    local = NULL;
    fail_with(&local, EFAULT);
    iommufd_error_propagate(&err, local);
    g_assert_true(err == local);
    iommufd_error_propagate(&err, NULL);    /* nothing */
    g_assert_true(err == local);
    iommufd_error_free(err);

    /* propagate to NULL frees */
    local = NULL;
    fail_with(&local, EFAULT);
    iommufd_error_propagate(NULL, local);
}

static void test_prepend_hint(void)
{
    IOMMUFDError *err = NULL;

    fail_with(&err, ENOMEM);
    iommufd_error_prepend(&err, "mapping guest RAM %s: ", "pc.ram");
    iommufd_error_append_hint(&err, "Raise RLIMIT_MEMLOCK (ulimit -l)\n");
    iommufd_error_append_hint(&err, "or grant CAP_IPC_LOCK\n");
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==,
                    "mapping guest RAM pc.ram: IOMMU_IOAS_MAP(ioas_id 7) failed: "
                    "Cannot allocate memory");
    g_assert_cmpstr(iommufd_error_get_hint(err), ==,
                    "Raise RLIMIT_MEMLOCK (ulimit -l)\nor grant CAP_IPC_LOCK\n");

    IOMMUFDError *copy = iommufd_error_copy(err);
    g_assert_cmpstr(iommufd_error_get_pretty(copy), ==, iommufd_error_get_pretty(err));
    g_assert_cmpstr(iommufd_error_get_hint(copy), ==, iommufd_error_get_hint(err));
    g_assert_cmpint(iommufd_error_get_errno(copy), ==, ENOMEM);
    iommufd_error_free(copy);
    iommufd_error_free(err);
}

/* a function in QEMU's style that needs ERRP_GUARD to add a hint */
static bool guarded(IOMMUFDError **errp)
{
    IOMMUFD_ERRP_GUARD();
    fail_with(errp, ENOTTY);
    if (*errp) {        /* safe: errp is never NULL here */
        iommufd_error_append_hint(errp, "this kernel lacks the command\n");
        iommufd_error_prepend(errp, "probing: ");
    }
    return false;
}

static void test_errp_guard(void)
{
    IOMMUFDError *err = NULL;

    g_assert_false(guarded(&err));
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==,
                    "probing: IOMMU_IOAS_MAP(ioas_id 7) failed: "
                    "Inappropriate ioctl for device");
    g_assert_cmpstr(iommufd_error_get_hint(err), ==, "this kernel lacks the command\n");
    iommufd_error_free(err);
    /* NULL: the guard's local error is freed on return (valgrind checks) */
    g_assert_false(guarded(NULL));
}

static void test_autoptr(void)
{
    g_autoptr(IOMMUFDError) err = NULL;
    fail_with(&err, EIO);
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EIO);
}

static void test_abort(void)
{
    if (g_test_subprocess()) {
        fail_with(&iommufd_error_abort, EBUSY);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    /* the message and the location where the error was set */
    g_test_trap_assert_stderr("Unexpected error in fail_with() at *test-error.c:*:\n"
                              "IOMMU_IOAS_MAP(ioas_id 7) failed: Device or resource busy\n");
}

static void test_fatal(void)
{
    if (g_test_subprocess()) {
        IOMMUFDError *local = NULL;
        fail_with(&local, EPERM);
        iommufd_error_append_hint(&local, "run as root\n");
        iommufd_error_propagate(&iommufd_error_fatal, local);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("IOMMU_IOAS_MAP(ioas_id 7) failed: Operation not permitted\n"
                              "run as root\n");
}

static void test_fatal_guarded(void)
{
    if (g_test_subprocess()) {
        guarded(&iommufd_error_fatal);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    /* the guard kept the hint that a bare &error_fatal would lose */
    g_test_trap_assert_stderr("probing: *\nthis kernel lacks the command\n");
}

static void test_report(void)
{
    if (g_test_subprocess()) {
        IOMMUFDError *err = NULL;
        fail_with(&err, EACCES);
        iommufd_error_append_hint(&err, "add yourself to the group of /dev/iommu");
        iommufd_error_report_err(err);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("IOMMU_IOAS_MAP(ioas_id 7) failed: Permission denied\n"
                              "add yourself to the group of /dev/iommu\n");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
    tu_add_func("/error/setg", test_setg);
    tu_add_func("/error/setg-errno", test_setg_errno);
    tu_add_func("/error/null-errp", test_null_errp);
    tu_add_func("/error/first-wins", test_first_wins);
    tu_add_func("/error/prepend-hint", test_prepend_hint);
    tu_add_func("/error/errp-guard", test_errp_guard);
    tu_add_func("/error/autoptr", test_autoptr);
    tu_add_func("/error/abort", test_abort);
    tu_add_func("/error/fatal", test_fatal);
    tu_add_func("/error/fatal-guarded", test_fatal_guarded);
    tu_add_func("/error/report", test_report);
    return g_test_run();
}
