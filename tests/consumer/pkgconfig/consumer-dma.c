/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An outside program using libiommufd as a VMM would: connect, allocate an
 * IOAS, map a buffer, unmap it, free the IOAS.  Built against the installed
 * library (tests/consumer/pkgconfig, through pkg-config) and against the
 * project as a meson subproject (tests/consumer/subproject, the same file).
 * Run with libiommufd-mock preloaded (tests/consumer/run-consumers.py); it
 * refuses to touch a real /dev/iommu.  Output: TAP.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, RTLD_DEFAULT under -std=c11 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <iommufd/backend.h>

static int n_test;
static int n_failed;

static void check(bool ok, const char *what, IOMMUFDError *err)
{
    printf("%s %d - %s\n", ok ? "ok" : "not ok", ++n_test, what);
    if (!ok) {
        n_failed++;
        if (err) {
            printf("# %s\n", iommufd_error_get_pretty(err));
        }
    }
    fflush(stdout);
}

int main(void)
{
    IOMMUFDError *err = NULL;
    uint32_t ioas_id = 0;
    const size_t size = 2 * 4096;
    const uint64_t iova = 0x100000;

    if (!dlsym(RTLD_DEFAULT, "iommufd_mock_get_kernel")) {
        printf("1..0 # SKIP libiommufd-mock is not loaded (LD_PRELOAD=libiommufd-mock.so)\n");
        return 0;
    }
    printf("1..7\n");

    IOMMUFDBackend *be = iommufd_backend_new();
    check(IOMMUFD_IS_BACKEND(be), "iommufd_backend_new() gives an IOMMUFDBackend", NULL);

    bool ok = iommufd_backend_connect(be, &err);
    check(ok && iommufd_backend_get_fd(be) >= 0, "connect to /dev/iommu", err);
    g_clear_pointer(&err, iommufd_error_free);

    ok = iommufd_backend_alloc_ioas(be, &ioas_id, &err);
    check(ok && ioas_id != 0, "IOMMU_IOAS_ALLOC gives an IOAS id", err);
    g_clear_pointer(&err, iommufd_error_free);

    void *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) {
        printf("Bail out! mmap of %zu bytes failed\n", size);
        return 1;
    }
    memset(buf, 0x5a, size);
    ok = iommufd_backend_map_dma(be, ioas_id, iova, size, buf, false, &err);
    check(ok, "IOMMU_IOAS_MAP of two pages at IOVA 0x100000", err);
    g_clear_pointer(&err, iommufd_error_free);

    /* the same range again: the IOVA is taken (EEXIST), one error set */
    ok = iommufd_backend_map_dma(be, ioas_id, iova, size, buf, false, &err);
    check(!ok && err && iommufd_error_get_errno(err) == EEXIST,
          "mapping the same IOVA again fails with EEXIST", NULL);
    g_clear_pointer(&err, iommufd_error_free);

    uint64_t unmapped = 0;
    ok = iommufd_backend_unmap_dma(be, ioas_id, iova, size, &unmapped, &err);
    check(ok && unmapped == size, "IOMMU_IOAS_UNMAP of the range: 2 pages unmapped", err);
    g_clear_pointer(&err, iommufd_error_free);

    ok = iommufd_backend_free_id(be, ioas_id, &err);
    check(ok, "IOMMU_DESTROY of the IOAS", err);
    g_clear_pointer(&err, iommufd_error_free);

    munmap(buf, size);
    iommufd_backend_disconnect(be);
    g_object_unref(be);
    return n_failed ? 1 : 0;
}
