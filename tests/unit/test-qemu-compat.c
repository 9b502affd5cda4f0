/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QEMU-style code compiles unchanged with <iommufd/qemu-compat.h>. */
#include <errno.h>
#include <glib.h>

#include "iommufd/qemu-compat.h"

/* written as in QEMU's backends/iommufd.c */
static bool qemu_style_helper(int fd, Error **errp)
{
    ERRP_GUARD();
    if (fd < 0) {
        error_setg_errno(errp, EBADF, "Could not open '/dev/iommu'");
        error_append_hint(errp, "is your kernel config missing CONFIG_IOMMUFD?\n");
        return false;
    }
    return true;
}

static bool caller(Error **errp)
{
    Error *local_err = NULL;
    if (!qemu_style_helper(-1, &local_err)) {
        error_prepend(&local_err, "iommufd backend: ");
        error_propagate(errp, local_err);
        return false;
    }
    return true;
}

static void test_compat(void)
{
    Error *err = NULL;
    g_assert_true(qemu_style_helper(3, &error_abort));
    g_assert_false(caller(&err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "iommufd backend: Could not open '/dev/iommu': Bad file descriptor");
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EBADF);
    g_assert_cmpstr(iommufd_error_get_hint(err), ==,
                    "is your kernel config missing CONFIG_IOMMUFD?\n");
    error_free(err);
    g_assert_false(caller(NULL));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qemu-compat/error", test_compat);
    return g_test_run();
}
