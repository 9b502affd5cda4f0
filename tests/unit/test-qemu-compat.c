/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * QEMU-style code compiles unchanged with <iommufd/qemu-compat.h>.
 *
 * The code between the "example" markers is the call site shown in
 * docs/porting-from-qemu.md, character for character (the unit test
 * doc-example checks that the two agree); the tests below run it on the
 * mock, which the unit suite preloads for this binary.
 */
#include <dlfcn.h>
#include <errno.h>
#include <glib.h>
#include <string.h>
#include <sys/mman.h>
#include "../common/fd-check.h"

/* --- begin example (docs/porting-from-qemu.md) --- */
#include <inttypes.h>

#include <iommufd/backend.h>
#include <iommufd/qemu-compat.h>

typedef struct VMMRamRegion {
    void *host;     /* the VMM's mapping of guest RAM */
    uint64_t gpa;   /* where the guest sees it: the IOVA */
    uint64_t size;
} VMMRamRegion;

/* Map a region of guest RAM into a new IOAS, as a VFIO container would. */
static bool vmm_ioas_map_ram(IOMMUFDBackend *be, const VMMRamRegion *r,
                             uint32_t *ioas_id, Error **errp)
{
    ERRP_GUARD();

    if (!r->size) {
        error_setg(errp, "guest RAM region at 0x%" PRIx64 " is empty", r->gpa);
        return false;
    }
    if (!iommufd_backend_connect(be, errp)) {
        return false;
    }
    if (!iommufd_backend_alloc_ioas(be, ioas_id, errp)) {
        goto err_disconnect;
    }
    /* QEMU's map_dma returns 0 or -errno and takes no errp */
    if (!iommufd_backend_map_dma(be, *ioas_id, r->gpa, r->size, r->host, false,
                                 errp)) {
        error_prepend(errp, "guest RAM 0x%" PRIx64 "+0x%" PRIx64 ": ",
                      r->gpa, r->size);
        /* QEMU's free_id returns void and prints; this one takes an errp */
        iommufd_backend_free_id(be, *ioas_id, NULL);
        goto err_disconnect;
    }
    return true;

err_disconnect:
    iommufd_backend_disconnect(be);
    return false;
}

/* Undo it: cannot fail in a correct VMM, so any failure aborts. */
static void vmm_ioas_unmap_ram(IOMMUFDBackend *be, const VMMRamRegion *r,
                               uint32_t ioas_id)
{
    iommufd_backend_unmap_dma(be, ioas_id, r->gpa, r->size, NULL, &error_abort);
    iommufd_backend_free_id(be, ioas_id, &error_abort);
    iommufd_backend_disconnect(be);
}

/* A device's realize: add context to the error and hand it up. */
static bool vmm_device_realize(IOMMUFDBackend *be, const char *name,
                               const VMMRamRegion *r, uint32_t *ioas_id,
                               Error **errp)
{
    Error *local_err = NULL;

    if (!vmm_ioas_map_ram(be, r, ioas_id, &local_err)) {
        error_prepend(&local_err, "%s: ", name);
        error_propagate(errp, local_err);
        return false;
    }
    return true;
}
/* --- end example --- */

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

static void test_no_mock(void)
{
    g_test_skip("needs libiommufd-mock preloaded (LD_PRELOAD), as the unit suite does");
}

/* ---- the example, run on the mock -------------------------------------- */

typedef unsigned (*CountFdsFn)(void);
typedef void (*FailNthFn)(unsigned nth, int err);

static CountFdsFn mock_count_fds(void)
{
    return (CountFdsFn)dlsym(RTLD_DEFAULT, "iommufd_mock_count_fds");
}

#define RAM_SIZE (2u << 20)
#define RAM_GPA  0x1000000u

static void test_example_maps(void)
{
    CountFdsFn count_fds = mock_count_fds();
    g_assert_nonnull(count_fds);
    unsigned fds = count_fds();
    void *host = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    g_assert_true(host != MAP_FAILED);
    VMMRamRegion r = { .host = host, .gpa = RAM_GPA, .size = RAM_SIZE };
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new();
    uint32_t ioas_id = 0;
    Error *err = NULL;

    g_assert_true(vmm_device_realize(be, "vfio-pci 0000:00:03.0", &r, &ioas_id, &err));
    g_assert_null(err);
    g_assert_cmpuint(ioas_id, !=, 0);
    g_assert_cmpuint(iommufd_backend_get_users(be), ==, 1);
    g_assert_cmpuint(count_fds(), ==, fds + 1);
    /* the RAM is mapped where the guest sees it: a second map there clashes */
    g_assert_false(iommufd_backend_map_dma(be, ioas_id, RAM_GPA, 4096, host, false, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, EEXIST);
    error_free(err);
    err = NULL;

    vmm_ioas_unmap_ram(be, &r, ioas_id);
    g_assert_cmpuint(iommufd_backend_get_users(be), ==, 0);
    g_assert_cmpuint(count_fds(), ==, fds);
    munmap(host, RAM_SIZE);
}

static void test_example_errors(void)
{
    CountFdsFn count_fds = mock_count_fds();
    g_assert_nonnull(count_fds);
    unsigned fds = count_fds();
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new();
    uint32_t ioas_id = 0;
    Error *err = NULL;

    /* error_setg in the helper, prefixed by the caller; no errno */
    VMMRamRegion empty = { .host = NULL, .gpa = RAM_GPA, .size = 0 };
    g_assert_false(vmm_device_realize(be, "dev0", &empty, &ioas_id, &err));
    g_assert_cmpstr(error_get_pretty(err), ==, "dev0: guest RAM region at 0x1000000 is empty");
    g_assert_cmpint(iommufd_error_get_errno(err), ==, 0);
    g_assert_null(iommufd_error_get_hint(err));
    error_free(err);
    err = NULL;

    /* the library's error, prefixed twice, its errno and hint kept; the IOAS
     * is destroyed and the fd closed again.  The map fails as it does when
     * the locked-memory limit is reached: the mock fails the second ioctl
     * (IOAS_ALLOC is the first) with ENOMEM. */
    FailNthFn fail_nth = (FailNthFn)dlsym(RTLD_DEFAULT, "iommufd_mock_fail_nth");
    g_assert_nonnull(fail_nth);
    void *host = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    g_assert_true(host != MAP_FAILED);
    VMMRamRegion r = { .host = host, .gpa = RAM_GPA, .size = RAM_SIZE };
    fail_nth(2, ENOMEM);
    g_assert_false(vmm_device_realize(be, "dev0", &r, &ioas_id, &err));
    fail_nth(0, 0);
    g_assert_nonnull(err);
    g_assert_true(g_str_has_prefix(error_get_pretty(err),
                                   "dev0: guest RAM 0x1000000+0x200000: IOMMU_IOAS_MAP("));
    g_assert_true(g_str_has_suffix(error_get_pretty(err), "failed: Cannot allocate memory"));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOMEM);
    g_assert_nonnull(strstr(iommufd_error_get_hint(err), "RLIMIT_MEMLOCK"));
    error_free(err);
    err = NULL;
    g_assert_cmpuint(iommufd_backend_get_users(be), ==, 0);
    g_assert_cmpuint(count_fds(), ==, fds);

    /* errp NULL: ERRP_GUARD makes error_prepend safe; the result is the same */
    g_assert_false(vmm_device_realize(be, "dev0", &empty, &ioas_id, NULL));
    fail_nth(2, ENOMEM);
    g_assert_false(vmm_device_realize(be, "dev0", &r, &ioas_id, NULL));
    fail_nth(0, 0);
    g_assert_cmpuint(iommufd_backend_get_users(be), ==, 0);
    g_assert_cmpuint(count_fds(), ==, fds);
    munmap(host, RAM_SIZE);

    /* no /dev/iommu: connect's error and hint come through unchanged */
    g_autoptr(IOMMUFDBackend) nowhere = iommufd_backend_new_with_path("/nonexistent/iommu");
    VMMRamRegion page = { .host = &page, .gpa = RAM_GPA, .size = 4096 };
    g_assert_false(vmm_device_realize(nowhere, "dev1", &page, &ioas_id, &err));
    g_assert_cmpstr(error_get_pretty(err), ==,
                    "dev1: Could not open '/nonexistent/iommu': No such file or directory");
    g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOENT);
    g_assert_nonnull(iommufd_error_get_hint(err));
    error_free(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
    tu_add_func("/qemu-compat/error", test_compat);
    /* the unit suite preloads the mock for this binary (tests/unit/meson.build) */
    if (mock_count_fds()) {
        tu_add_func("/qemu-compat/example/maps", test_example_maps);
        tu_add_func("/qemu-compat/example/errors", test_example_errors);
    } else {
        tu_add_func("/qemu-compat/example/maps", test_no_mock);
        tu_add_func("/qemu-compat/example/errors", test_no_mock);
    }
    return g_test_run();
}
