/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IOMMUFDBackend without any iommufd: connecting to what is not there,
 * handed fds that are not iommufds, helpers on a backend that is not
 * connected, and arguments rejected before any ioctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "iommufd/backend.h"
#include "../common/fd-check.h"

static void test_properties(void)
{
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new();
    char *path = NULL;
    int fd;
    gboolean owned;
    guint users;

    g_object_get(be, "path", &path, "fd", &fd, "owned", &owned, "users", &users, NULL);
    g_assert_cmpstr(path, ==, "/dev/iommu");
    g_assert_cmpint(fd, ==, -1);
    g_assert_true(owned);
    g_assert_cmpuint(users, ==, 0);
    g_free(path);
    g_assert_true(iommufd_backend_is_owned(be));
    g_assert_cmpint(iommufd_backend_get_fd(be), ==, -1);

    g_autoptr(IOMMUFDBackend) be2 = iommufd_backend_new_from_fd(0);
    g_assert_false(iommufd_backend_is_owned(be2));
    g_assert_cmpint(iommufd_backend_get_fd(be2), ==, 0);
}

static void test_connect_missing(void)
{
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new_with_path("/nonexistent/iommu");
    IOMMUFDError *err = NULL;

    g_assert_false(iommufd_backend_connect(be, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOENT);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==,
                    "Could not open '/nonexistent/iommu': No such file or directory");
    g_assert_nonnull(strstr(iommufd_error_get_hint(err), "CONFIG_IOMMUFD"));
    g_assert_cmpuint(iommufd_backend_get_users(be), ==, 0);
    g_assert_cmpint(iommufd_backend_get_fd(be), ==, -1);
    iommufd_error_free(err);
}

static void test_connect_not_iommufd(void)
{
    IOMMUFDError *err = NULL;
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);

    IOMMUFDBackend *be = iommufd_backend_new_from_fd(fd);
    g_assert_false(iommufd_backend_connect(be, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOTTY);
    g_assert_nonnull(strstr(iommufd_error_get_pretty(err), "is not an iommufd"));
    iommufd_error_free_or_null(&err);
    g_object_unref(be);
    /* a handed fd is never closed */
    g_assert_cmpint(fcntl(fd, F_GETFD), >=, 0);
    close(fd);

    /* a closed fd */
    be = iommufd_backend_new_from_fd(fd);
    g_assert_false(iommufd_backend_connect(be, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EBADF);
    iommufd_error_free(err);
    g_object_unref(be);
}

static void test_not_connected(void)
{
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new();
    IOMMUFDError *err = NULL;
    uint32_t id = 0;

    g_assert_false(iommufd_backend_alloc_ioas(be, &id, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EBADF);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==,
                    "IOMMU_IOAS_ALLOC: the backend is not connected");
    g_assert_nonnull(strstr(iommufd_error_get_hint(err), "iommufd_backend_connect"));
    iommufd_error_free(err);
    /* disconnect without connect changes nothing */
    iommufd_backend_disconnect(be);
    g_assert_cmpuint(iommufd_backend_get_users(be), ==, 0);
}

static void test_null_backend(void)
{
    IOMMUFDError *err = NULL;
    uint32_t id;
    char buf[64];

    g_assert_false(iommufd_backend_connect(NULL, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EINVAL);
    iommufd_error_free_or_null(&err);
    g_assert_false(iommufd_backend_alloc_ioas(NULL, &id, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EINVAL);
    g_assert_cmpstr(iommufd_error_get_pretty(err), ==, "IOMMU_IOAS_ALLOC: no backend");
    iommufd_error_free_or_null(&err);
    g_assert_false(iommufd_backend_map_dma(NULL, 1, 0, 4096, buf, false, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EINVAL);
    iommufd_error_free_or_null(&err);
    iommufd_backend_disconnect(NULL);
    g_assert_cmpint(iommufd_backend_get_fd(NULL), ==, -1);
    g_assert_cmpuint(iommufd_backend_get_users(NULL), ==, 0);
    /* a NULL errp is fine */
    g_assert_false(iommufd_backend_free_id(NULL, 1, NULL));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
    tu_add_func("/backend/properties", test_properties);
    tu_add_func("/backend/connect-missing", test_connect_missing);
    tu_add_func("/backend/connect-not-iommufd", test_connect_not_iommufd);
    tu_add_func("/backend/not-connected", test_not_connected);
    tu_add_func("/backend/null-backend", test_null_backend);
    return g_test_run();
}
