/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The set-up several conformance tests share: a connected, probed backend
 * with the kernel selftest's MOCK_DOMAIN device attached to an IOAS, and an
 * anonymous buffer to map.  It works alike on libiommufd-mock and on a
 * kernel built with CONFIG_IOMMUFD_TEST.
 *
 * Header-only (static inline), like fd-check.h: a test needs only the
 * project root on its include path.
 */
#ifndef IOMMUFD_TEST_SELFTEST_CTX_H
#define IOMMUFD_TEST_SELFTEST_CTX_H

#include <errno.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "iommufd/backend.h"
#include "uapi/linux/iommufd.h"

typedef struct {
    IOMMUFDBackend *be;
    int fd;                             /* the backend's */
    IOMMUFDFeatures features;           /* what the kernel (or model) has */
    uint32_t ioas, stdev, hwpt, dev;    /* the IOAS; MOCK_DOMAIN's device, HWPT, idev */
    uint8_t *buf;                       /* buf_size bytes, or NULL */
    size_t buf_size;
} TuSelftestCtx;

/*
 * Open the context, with a buffer of buf_size bytes (0: none) filled with
 * `fill`.  Without the selftest device (a q35 machine with an emulated VT-d
 * answers MOCK_DOMAIN with EINVAL): when skip_if_absent, the test is marked
 * skipped saying so, everything is released and the result is false;
 * otherwise the test fails.
 */
static inline bool tu_selftest_open(TuSelftestCtx *c, size_t buf_size, int fill,
                                    bool skip_if_absent)
{
    memset(c, 0, sizeof(*c));
    c->be = iommufd_backend_new();
    g_assert_true(iommufd_backend_connect(c->be, &iommufd_error_abort));
    c->fd = iommufd_backend_get_fd(c->be);
    g_assert_true(iommufd_backend_probe(c->be, &c->features, &iommufd_error_abort));
    g_assert_true(iommufd_backend_alloc_ioas(c->be, &c->ioas, &iommufd_error_abort));
    struct iommu_test_cmd md = {
        .size = sizeof(md),
        .op = IOMMU_TEST_OP_MOCK_DOMAIN,
        .id = c->ioas,
    };
    if (ioctl(c->fd, IOMMU_TEST_CMD, &md) != 0) {
        int e = errno;
        if (!skip_if_absent) {
            g_error("IOMMU_TEST_CMD MOCK_DOMAIN: %s", g_strerror(e));
        }
        g_assert_true(iommufd_backend_free_id(c->be, c->ioas, &iommufd_error_abort));
        iommufd_backend_disconnect(c->be);
        g_object_unref(c->be);
        c->be = NULL;
        g_autofree char *msg = g_strdup_printf("needs the selftest device (IOMMU_TEST_CMD "
                                               "MOCK_DOMAIN: %s)", g_strerror(e));
        g_test_skip(msg);
        return false;
    }
    c->stdev = md.mock_domain.out_stdev_id;
    c->hwpt = md.mock_domain.out_hwpt_id;
    c->dev = md.mock_domain.out_idev_id;
    if (buf_size) {
        c->buf = mmap(NULL, buf_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        g_assert_true(c->buf != MAP_FAILED);
        c->buf_size = buf_size;
        memset(c->buf, fill, buf_size);
    }
    return true;
}

/*
 * Release what the context made: asserts that nothing is left mapped on
 * its IOAS, then destroys the device and the IOAS.  The backend stays
 * connected (for checks of the object count).
 */
static inline void tu_selftest_release(TuSelftestCtx *c)
{
    uint64_t unmapped = 1;
    g_assert_true(iommufd_backend_unmap_dma(c->be, c->ioas, 0, UINT64_MAX, &unmapped,
                                            &iommufd_error_abort));
    g_assert_cmpuint(unmapped, ==, 0);
    g_assert_true(iommufd_backend_free_id(c->be, c->stdev, &iommufd_error_abort));
    g_assert_true(iommufd_backend_free_id(c->be, c->ioas, &iommufd_error_abort));
}

/* Disconnect (no user may be left), free the backend and the buffer. */
static inline void tu_selftest_disconnect(TuSelftestCtx *c)
{
    iommufd_backend_disconnect(c->be);
    g_assert_cmpuint(iommufd_backend_get_users(c->be), ==, 0);
    g_object_unref(c->be);
    c->be = NULL;
    if (c->buf) {
        munmap(c->buf, c->buf_size);
        c->buf = NULL;
    }
}

/* Both: the usual end of a test. */
static inline void tu_selftest_close(TuSelftestCtx *c)
{
    tu_selftest_release(c);
    tu_selftest_disconnect(c);
}

#endif
