/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bad input at every public entry point of backend.h, vfio.h and events.h:
 * a NULL backend (or queue), ids that do not exist, ids of the wrong type,
 * lengths that overflow or are 0, unaligned IOVAs, and new_from_fd with a
 * closed fd, -1 or a foreign fd.  Each call must return failure with exactly
 * one error whose message names what was wrong (checked by substring, never
 * a bare "errno N"), and must not crash with errp NULL either.  Only
 * &iommufd_error_abort aborts (checked in a subprocess).
 *
 * The cases are tables: one row per entry point and kind of bad input, a
 * small function making the call, the errno expected and the words its
 * message must contain.
 *
 * Class: runs everywhere (the mock or a kernel with CONFIG_IOMMUFD_TEST for
 * the selftest device); a row whose command the kernel lacks expects ENOTTY
 * instead (and the hint naming the command).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd/backend.h"
#include "iommufd/events.h"
#include "iommufd/vfio.h"
#include "tests/common/test-backend-info.h"
#include "uapi/linux/iommufd.h"
#include "../common/fd-check.h"
#include "../common/selftest-ctx.h"

#define A ((uint64_t)MOCK_APERTURE_START)
#define NOID 0xdead0u          /* an id no context hands out in a test */
#define NOID_STR "912080"      /* ... as the messages print it (%u) */
#define BUF_SIZE 0x10000

/* A connected backend with a selftest device (MOCK_DOMAIN) on an IOAS, a buffer */
typedef TuSelftestCtx Ctx;

static void ctx_open(Ctx *c)
{
    tu_selftest_open(c, BUF_SIZE, 0x3c, false);
}

/* the bad calls mapped nothing: tu_selftest_close() asserts it */
static void ctx_close(Ctx *c)
{
    tu_selftest_close(c);
}

/*
 * The error of a failed call: there, the errno expected (0: any but 0), the
 * message naming each of the words, and more than "errno N" or a bare
 * strerror.  Frees it.
 */
static void check_error(const char *row, IOMMUFDError **err, int errnum, const char *word1,
                        const char *word2)
{
    if (!*err) {
        g_error("%s: failed without an error", row);
    }
    const char *msg = iommufd_error_get_pretty(*err);
    int got = iommufd_error_get_errno(*err);
    g_test_message("%s: errno %d: %s", row, got, msg);
    /* a mismatch fails the test but goes on, so that one run lists them all */
    if (errnum ? got != errnum : got == 0) {
        g_test_fail_printf("%s: errno %d (%s), expected %d (%s): %s", row, got, g_strerror(got),
                           errnum, g_strerror(errnum), msg);
    }
    if ((word1 && !strstr(msg, word1)) || (word2 && !strstr(msg, word2))) {
        g_test_fail_printf("%s: the message does not name '%s'%s%s%s: %s", row, word1,
                           word2 ? " and '" : "", word2 ? word2 : "", word2 ? "'" : "", msg);
    }
    /* never only a number or a strerror */
    g_assert_false(g_str_has_prefix(msg, "errno"));
    g_assert_cmpstr(msg, !=, g_strerror(got));
    g_assert_false(g_str_has_prefix(msg, g_strerror(got)));
    iommufd_error_free(*err);
    *err = NULL;
}

static bool has(Ctx *c, unsigned nr)
{
    return iommufd_features_has(&c->features, nr);
}

/* ==== NULL backend ========================================================= */

static bool chunk_ok(uint64_t iova, uint64_t size, uint64_t page_size, const uint64_t *bitmap,
                     void *opaque, IOMMUFDError **errp)
{
    (void)iova;
    (void)size;
    (void)page_size;
    (void)bitmap;
    (void)opaque;
    (void)errp;
    return true;
}

typedef bool (*NullCall)(uint8_t *buf, IOMMUFDError **errp);

typedef struct {
    const char *name;
    NullCall call;
    const char *word;       /* the message names the operation */
} NullRow;

static uint32_t u32;
static uint64_t u64;
static int i32;

#define NULLCASE(fn, expr) \
    static bool null_##fn(uint8_t *buf, IOMMUFDError **errp) { (void)buf; return (expr); }

NULLCASE(connect, iommufd_backend_connect(NULL, errp))
NULLCASE(alloc_ioas, iommufd_backend_alloc_ioas(NULL, &u32, errp))
NULLCASE(free_id, iommufd_backend_free_id(NULL, 1, errp))
NULLCASE(map_dma, iommufd_backend_map_dma(NULL, 1, A, 4096, buf, false, errp))
NULLCASE(map_dma_auto, iommufd_backend_map_dma_auto(NULL, 1, 4096, buf, false, &u64, errp))
NULLCASE(map_file_dma, iommufd_backend_map_file_dma(NULL, 1, A, 4096, 0, 0, false, errp))
NULLCASE(unmap_dma, iommufd_backend_unmap_dma(NULL, 1, A, 4096, &u64, errp))
NULLCASE(copy_dma, iommufd_backend_copy_dma(NULL, 1, A, 2, A, 4096, false, errp))
NULLCASE(get_iova_ranges, ({
    IOMMUFDIovaRange *r = NULL;
    bool ok_ = iommufd_backend_get_iova_ranges(NULL, 1, &r, &u32, &u64, errp);
    g_assert_null(r);
    ok_;
}))
NULLCASE(get_iova_ranges_into, ({
    IOMMUFDIovaRange r[2];
    iommufd_backend_get_iova_ranges_into(NULL, 1, r, 2, &u32, &u64, errp);
}))
NULLCASE(allow_iovas, ({
    IOMMUFDIovaRange r = { A, A + 0xffff };
    iommufd_backend_allow_iovas(NULL, 1, &r, 1, errp);
}))
NULLCASE(get_option, iommufd_backend_get_option(NULL, IOMMUFD_OPTION_RLIMIT_MODE, 0, &u64, errp))
NULLCASE(set_option, iommufd_backend_set_option(NULL, IOMMUFD_OPTION_RLIMIT_MODE, 0, 0, errp))
NULLCASE(get_vfio_ioas, iommufd_backend_get_vfio_ioas(NULL, &u32, errp))
NULLCASE(set_vfio_ioas, iommufd_backend_set_vfio_ioas(NULL, 1, errp))
NULLCASE(clear_vfio_ioas, iommufd_backend_clear_vfio_ioas(NULL, errp))
NULLCASE(change_process, iommufd_backend_change_process(NULL, errp))
NULLCASE(alloc_hwpt, iommufd_backend_alloc_hwpt(NULL, 1, 2, 0, 0, 0, NULL, 0, &u32, errp))
NULLCASE(get_device_info, iommufd_backend_get_device_info(NULL, 1, &u32, NULL, 0, NULL, NULL,
                                                          NULL, errp))
NULLCASE(set_dirty_tracking, iommufd_backend_set_dirty_tracking(NULL, 1, true, errp))
NULLCASE(get_dirty_bitmap, iommufd_backend_get_dirty_bitmap(NULL, 1, A, 4096, 4096, &u64, 0,
                                                            errp))
NULLCASE(walk_dirty_bitmap, iommufd_backend_walk_dirty_bitmap(NULL, 1, A, 4096, 4096, 0, 0, &u64,
                                                              8, chunk_ok, NULL, errp))
NULLCASE(invalidate_cache, ({
    uint32_t n_ = 0;
    iommufd_backend_invalidate_cache(NULL, 1, 0, 8, &n_, buf, errp);
}))
NULLCASE(alloc_faultq, iommufd_backend_alloc_faultq(NULL, &u32, &i32, errp))
NULLCASE(alloc_viommu, iommufd_backend_alloc_viommu(NULL, 1, IOMMU_VIOMMU_TYPE_SELFTEST, 2, NULL,
                                                    0, &u32, errp))
NULLCASE(alloc_vdev, iommufd_backend_alloc_vdev(NULL, 1, 2, 0x42, &u32, errp))
NULLCASE(alloc_veventq, iommufd_backend_alloc_veventq(NULL, 1, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 4,
                                                      &u32, &i32, errp))
NULLCASE(alloc_hw_queue, iommufd_backend_alloc_hw_queue(NULL, 1, IOMMU_HW_QUEUE_TYPE_SELFTEST, 0,
                                                        A, 4096, &u32, errp))
NULLCASE(viommu_mmap, ({
    void *p_ = NULL;
    bool ok_ = iommufd_backend_viommu_mmap(NULL, 1, 4096, 0, &p_, errp);
    g_assert_null(p_);
    ok_;
}))
NULLCASE(viommu_munmap, iommufd_backend_viommu_munmap(NULL, buf, 4096, errp))
NULLCASE(probe, ({
    IOMMUFDFeatures f_;
    iommufd_backend_probe(NULL, &f_, errp);
}))
NULLCASE(bind_device, iommufd_backend_bind_device(NULL, 0, NULL, &u32, errp))
NULLCASE(veventq_new, iommufd_veventq_new(NULL, 1, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 4, 0, 0,
                                          errp) != NULL)
NULLCASE(faultq_new, iommufd_faultq_new(NULL, 0, errp) != NULL)
NULLCASE(veventq_drain, ({
    IOMMUFDVeventBatch b_ = { 0 };
    bool ok_ = iommufd_veventq_drain(NULL, &b_, errp);
    iommufd_vevent_batch_clear(&b_);
    ok_;
}))
NULLCASE(faultq_drain, ({
    IOMMUFDFaultBatch b_ = { 0 };
    bool ok_ = iommufd_faultq_drain(NULL, &b_, errp);
    iommufd_fault_batch_clear(&b_);
    ok_;
}))
NULLCASE(faultq_respond_many, ({
    IOMMUFDPageResponse r_ = { 1, IOMMUFD_PAGE_RESPONSE_SUCCESS };
    size_t done_ = 7;
    bool ok_ = iommufd_faultq_respond_many(NULL, &r_, 1, &done_, errp);
    g_assert_cmpuint(done_, ==, 0);
    ok_;
}))
NULLCASE(faultq_respond, ({
    IOMMUFDFault f_ = { 0 };
    IOMMUFDFaultGroup g_ = { .faults = &f_, .n_faults = 1 };
    iommufd_faultq_respond(NULL, &g_, IOMMUFD_PAGE_RESPONSE_SUCCESS, errp);
}))

#define NROW(fn, word) { #fn, null_##fn, word }

static const NullRow null_rows[] = {
    NROW(connect, "iommufd_backend_connect"),
    NROW(alloc_ioas, "IOMMU_IOAS_ALLOC"),
    NROW(free_id, "IOMMU_DESTROY"),
    NROW(map_dma, "IOMMU_IOAS_MAP"),
    NROW(map_dma_auto, "IOMMU_IOAS_MAP"),
    NROW(map_file_dma, "IOMMU_IOAS_MAP_FILE"),
    NROW(unmap_dma, "IOMMU_IOAS_UNMAP"),
    NROW(copy_dma, "IOMMU_IOAS_COPY"),
    NROW(get_iova_ranges, "IOMMU_IOAS_IOVA_RANGES"),
    NROW(get_iova_ranges_into, "IOMMU_IOAS_IOVA_RANGES"),
    NROW(allow_iovas, "IOMMU_IOAS_ALLOW_IOVAS"),
    NROW(get_option, "IOMMU_OPTION"),
    NROW(set_option, "IOMMU_OPTION"),
    NROW(get_vfio_ioas, "IOMMU_VFIO_IOAS"),
    NROW(set_vfio_ioas, "IOMMU_VFIO_IOAS"),
    NROW(clear_vfio_ioas, "IOMMU_VFIO_IOAS"),
    NROW(change_process, "IOMMU_IOAS_CHANGE_PROCESS"),
    NROW(alloc_hwpt, "IOMMU_HWPT_ALLOC"),
    NROW(get_device_info, "IOMMU_GET_HW_INFO"),
    NROW(set_dirty_tracking, "IOMMU_HWPT_SET_DIRTY_TRACKING"),
    NROW(get_dirty_bitmap, "IOMMU_HWPT_GET_DIRTY_BITMAP"),
    NROW(walk_dirty_bitmap, "dirty bitmap walk"),
    NROW(invalidate_cache, "IOMMU_HWPT_INVALIDATE"),
    NROW(alloc_faultq, "IOMMU_FAULT_QUEUE_ALLOC"),
    NROW(alloc_viommu, "IOMMU_VIOMMU_ALLOC"),
    NROW(alloc_vdev, "IOMMU_VDEVICE_ALLOC"),
    NROW(alloc_veventq, "IOMMU_VEVENTQ_ALLOC"),
    NROW(alloc_hw_queue, "IOMMU_HW_QUEUE_ALLOC"),
    NROW(viommu_mmap, "mmap of vIOMMU 1"),
    NROW(viommu_munmap, "vIOMMU"),
    NROW(probe, "iommufd_backend_probe"),
    NROW(bind_device, "VFIO_DEVICE_BIND_IOMMUFD"),
    NROW(veventq_new, "vEVENTQ"),
    NROW(faultq_new, "fault queue"),
    NROW(veventq_drain, "vEVENTQ"),
    NROW(faultq_drain, "fault queue"),
    NROW(faultq_respond_many, "fault response"),
    NROW(faultq_respond, "fault response"),
};

static void test_null_backend(void)
{
    uint8_t *buf = g_malloc0(4096);

    for (size_t i = 0; i < G_N_ELEMENTS(null_rows); i++) {
        const NullRow *r = &null_rows[i];
        IOMMUFDError *err = NULL;

        g_assert_false(r->call(buf, &err));
        /* "no backend" / "no queue": names the missing argument */
        if (!err || (!strstr(iommufd_error_get_pretty(err), "no backend") &&
                     !strstr(iommufd_error_get_pretty(err), "no queue"))) {
            g_error("%s(NULL): %s", r->name, err ? iommufd_error_get_pretty(err) : "no error");
        }
        check_error(r->name, &err, EINVAL, r->word, NULL);
        /* errp NULL: the same failure, no crash */
        g_assert_false(r->call(buf, NULL));
    }
    g_free(buf);
}

/* The entry points that return a value instead of an error. */
static void test_null_getters(void)
{
    iommufd_backend_disconnect(NULL);
    g_assert_cmpint(iommufd_backend_get_fd(NULL), ==, -1);
    g_assert_false(iommufd_backend_is_owned(NULL));
    g_assert_cmpuint(iommufd_backend_get_users(NULL), ==, 0);
    g_assert_false(iommufd_backend_change_process_capable(NULL));
    g_assert_false(iommufd_features_has(NULL, IOMMUFD_CMD_IOAS_MAP));
    g_assert_null(iommufd_command_name(0));
    g_assert_null(iommufd_command_name(UINT32_MAX));
    g_assert_null(iommufd_command_since(0x7fffffff));
    g_assert_cmpuint(iommufd_dirty_bitmap_size(4096, 0), ==, 0);
    g_assert_cmpuint(iommufd_dirty_bitmap_size(UINT64_MAX, 1), >, 0);
    g_assert_cmpuint(iommufd_vevent_payload_size(0xdead), ==, 0);

    iommufd_veventq_free(NULL);
    g_assert_true(iommufd_veventq_close(NULL, NULL));
    g_assert_cmpint(iommufd_veventq_get_fd(NULL), ==, -1);
    g_assert_cmpuint(iommufd_veventq_get_id(NULL), ==, 0);
    g_assert_cmpuint(iommufd_veventq_get_type(NULL), ==, 0);
    g_assert_cmpuint(iommufd_veventq_get_lost(NULL), ==, 0);
    g_assert_cmpuint(iommufd_veventq_get_reads(NULL), ==, 0);
    g_assert_cmpuint(iommufd_veventq_attach(NULL, NULL, NULL, NULL), ==, 0);
    iommufd_veventq_detach(NULL);
    iommufd_vevent_batch_clear(NULL);

    iommufd_faultq_free(NULL);
    g_assert_true(iommufd_faultq_close(NULL, NULL));
    g_assert_cmpint(iommufd_faultq_get_fd(NULL), ==, -1);
    g_assert_cmpuint(iommufd_faultq_get_id(NULL), ==, 0);
    g_assert_cmpuint(iommufd_faultq_get_reads(NULL), ==, 0);
    g_assert_cmpuint(iommufd_faultq_get_responses(NULL), ==, 0);
    g_assert_cmpuint(iommufd_faultq_attach(NULL, NULL, NULL, NULL), ==, 0);
    iommufd_faultq_detach(NULL);
    iommufd_fault_batch_clear(NULL);

    /* decoders: NULL bytes with a length */
    IOMMUFDError *err = NULL;
    IOMMUFDVeventBatch vb = { 0 };
    g_assert_false(iommufd_vevent_decode(NULL, 16, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 0, NULL, &vb,
                                         &err));
    g_assert_nonnull(err);
    iommufd_error_free(err);
    err = NULL;
    g_assert_false(iommufd_vevent_decode(NULL, 16, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 0, NULL, &vb,
                                         NULL));
    iommufd_vevent_batch_clear(&vb);
    IOMMUFDFaultBatch fb = { 0 };
    g_assert_false(iommufd_fault_decode(NULL, 16, &fb, &err));
    g_assert_nonnull(err);
    iommufd_error_free(err);
    g_assert_false(iommufd_fault_decode(NULL, 16, &fb, NULL));
    iommufd_fault_batch_clear(&fb);
}

/* ==== a context: ids that do not exist, of the wrong type, bad ranges ====== */

typedef bool (*CtxCall)(Ctx *c, IOMMUFDError **errp);

typedef struct {
    const char *name;
    CtxCall call;
    unsigned cmd;           /* the command: ENOTTY when the kernel lacks it */
    int errnum;             /* expected errno (0: any) */
    const char *word1;      /* the message names these */
    const char *word2;
} CtxRow;

#define CTXCASE(fn, expr) \
    static bool ctx_##fn(Ctx *c, IOMMUFDError **errp) { (void)c; return (expr); }

/* ---- ids that do not exist ---- */
CTXCASE(noid_free, iommufd_backend_free_id(c->be, NOID, errp))
CTXCASE(noid_map, iommufd_backend_map_dma(c->be, NOID, A, 4096, c->buf, false, errp))
CTXCASE(noid_map_auto, iommufd_backend_map_dma_auto(c->be, NOID, 4096, c->buf, false, &u64,
                                                    errp))
CTXCASE(noid_copy_src, iommufd_backend_copy_dma(c->be, NOID, A, c->ioas, A, 4096, false, errp))
CTXCASE(noid_copy_dst, ({
    /* a source that has the range, so only the destination is wrong */
    bool ok_ = iommufd_backend_map_dma(c->be, c->ioas, A, 4096, c->buf, false,
                                       &iommufd_error_abort);
    ok_ = iommufd_backend_copy_dma(c->be, c->ioas, A, NOID, A, 4096, false, errp);
    iommufd_backend_unmap_dma(c->be, c->ioas, A, 4096, NULL, &iommufd_error_abort);
    ok_;
}))
CTXCASE(noid_ranges, ({
    IOMMUFDIovaRange *r_ = NULL;
    uint32_t n_ = 0;
    bool ok_ = iommufd_backend_get_iova_ranges(c->be, NOID, &r_, &n_, NULL, errp);
    g_free(r_);
    ok_;
}))
CTXCASE(noid_ranges_into, ({
    IOMMUFDIovaRange r_[2];
    uint32_t n_ = 0;
    iommufd_backend_get_iova_ranges_into(c->be, NOID, r_, 2, &n_, NULL, errp);
}))
CTXCASE(null_ranges_into_count, ({
    IOMMUFDIovaRange r_[2];
    iommufd_backend_get_iova_ranges_into(c->be, c->ioas, r_, 2, NULL, NULL, errp);
}))
CTXCASE(null_ranges_into_array, iommufd_backend_get_iova_ranges_into(c->be, c->ioas, NULL, 2,
                                                                     &u32, NULL, errp))
CTXCASE(noid_allow, ({
    IOMMUFDIovaRange r_ = { A, A + 0xffff };
    iommufd_backend_allow_iovas(c->be, NOID, &r_, 1, errp);
}))
CTXCASE(noid_get_option, iommufd_backend_get_option(c->be, IOMMUFD_OPTION_HUGE_PAGES, NOID,
                                                    &u64, errp))
CTXCASE(noid_set_option, iommufd_backend_set_option(c->be, IOMMUFD_OPTION_HUGE_PAGES, NOID, 1,
                                                    errp))
CTXCASE(noid_set_vfio_ioas, iommufd_backend_set_vfio_ioas(c->be, NOID, errp))
CTXCASE(noid_hwpt_dev, iommufd_backend_alloc_hwpt(c->be, NOID, c->ioas, 0, 0, 0, NULL, 0, &u32,
                                                  errp))
CTXCASE(noid_hwpt_pt, iommufd_backend_alloc_hwpt(c->be, c->dev, NOID, 0, 0, 0, NULL, 0, &u32,
                                                 errp))
CTXCASE(noid_dev_info, iommufd_backend_get_device_info(c->be, NOID, &u32, NULL, 0, NULL, NULL,
                                                       NULL, errp))
CTXCASE(noid_dirty_tracking, iommufd_backend_set_dirty_tracking(c->be, NOID, true, errp))
CTXCASE(noid_dirty_bitmap, iommufd_backend_get_dirty_bitmap(c->be, NOID, A, 4096, 4096, &u64, 0,
                                                            errp))
CTXCASE(noid_dirty_walk, iommufd_backend_walk_dirty_bitmap(c->be, NOID, A, 4096, 4096, 0, 0, &u64,
                                                           8, chunk_ok, NULL, errp))
CTXCASE(noid_invalidate, ({
    struct iommu_hwpt_invalidate_selftest inv_ = { .flags = 0, .iotlb_id = 0 };
    uint32_t n_ = 1;
    iommufd_backend_invalidate_cache(c->be, NOID, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                                     sizeof(inv_), &n_, &inv_, errp);
}))
CTXCASE(noid_viommu_dev, iommufd_backend_alloc_viommu(c->be, NOID, IOMMU_VIOMMU_TYPE_SELFTEST,
                                                      c->hwpt, NULL, 0, &u32, errp))
CTXCASE(noid_vdev_viommu, iommufd_backend_alloc_vdev(c->be, c->dev, NOID, 0x42, &u32, errp))
CTXCASE(noid_veventq_viommu, iommufd_backend_alloc_veventq(c->be, NOID,
                                                           IOMMUFD_VEVENTQ_TYPE_SELFTEST, 4,
                                                           &u32, &i32, errp))
CTXCASE(noid_hw_queue_viommu, iommufd_backend_alloc_hw_queue(c->be, NOID,
                                                             IOMMU_HW_QUEUE_TYPE_SELFTEST, 0,
                                                             A, 4096, &u32, errp))
CTXCASE(noid_veventq_new, iommufd_veventq_new(c->be, NOID, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 4, 0,
                                              0, errp) != NULL)

/* ---- ids of the wrong type ---- */
CTXCASE(type_map_on_hwpt, iommufd_backend_map_dma(c->be, c->hwpt, A, 4096, c->buf, false, errp))
CTXCASE(type_map_on_dev, iommufd_backend_map_dma(c->be, c->dev, A, 4096, c->buf, false, errp))
CTXCASE(type_ranges_on_hwpt, ({
    IOMMUFDIovaRange *r_ = NULL;
    uint32_t n_ = 0;
    bool ok_ = iommufd_backend_get_iova_ranges(c->be, c->hwpt, &r_, &n_, NULL, errp);
    g_free(r_);
    ok_;
}))
CTXCASE(type_ranges_into_on_hwpt, ({
    IOMMUFDIovaRange r_[2];
    uint32_t n_ = 0;
    iommufd_backend_get_iova_ranges_into(c->be, c->hwpt, r_, 2, &n_, NULL, errp);
}))
CTXCASE(type_copy_from_hwpt, iommufd_backend_copy_dma(c->be, c->hwpt, A, c->ioas, A, 4096, false,
                                                      errp))
CTXCASE(type_dirty_on_ioas, iommufd_backend_set_dirty_tracking(c->be, c->ioas, true, errp))
CTXCASE(type_bitmap_on_ioas, iommufd_backend_get_dirty_bitmap(c->be, c->ioas, A, 4096, 4096, &u64,
                                                              0, errp))
CTXCASE(type_info_on_ioas, iommufd_backend_get_device_info(c->be, c->ioas, &u32, NULL, 0, NULL,
                                                           NULL, NULL, errp))
CTXCASE(type_hwpt_on_dev, iommufd_backend_alloc_hwpt(c->be, c->dev, c->dev, 0, 0, 0, NULL, 0,
                                                     &u32, errp))
CTXCASE(type_hwpt_dev_is_ioas, iommufd_backend_alloc_hwpt(c->be, c->ioas, c->ioas, 0, 0, 0, NULL,
                                                          0, &u32, errp))
CTXCASE(type_vdev_on_ioas, iommufd_backend_alloc_vdev(c->be, c->dev, c->ioas, 0x42, &u32, errp))
CTXCASE(type_veventq_on_ioas, iommufd_backend_alloc_veventq(c->be, c->ioas,
                                                            IOMMUFD_VEVENTQ_TYPE_SELFTEST, 4,
                                                            &u32, &i32, errp))

/* ---- lengths that overflow or are 0, unaligned IOVAs ---- */
CTXCASE(len_map_wraps, iommufd_backend_map_dma(c->be, c->ioas, UINT64_MAX - 0xfff, 0x2000,
                                               c->buf, false, errp))
CTXCASE(len_map_zero, iommufd_backend_map_dma(c->be, c->ioas, A, 0, c->buf, false, errp))
CTXCASE(len_map_auto_zero, iommufd_backend_map_dma_auto(c->be, c->ioas, 0, c->buf, false, &u64,
                                                        errp))
CTXCASE(len_unmap_wraps, iommufd_backend_unmap_dma(c->be, c->ioas, A, UINT64_MAX - 0x10, &u64,
                                                   errp))
CTXCASE(len_unmap_zero, iommufd_backend_unmap_dma(c->be, c->ioas, A, 0, &u64, errp))
CTXCASE(len_copy_wraps, iommufd_backend_copy_dma(c->be, c->ioas, UINT64_MAX - 0xfff, c->ioas, A,
                                                 0x2000, false, errp))
CTXCASE(len_copy_zero, iommufd_backend_copy_dma(c->be, c->ioas, A, c->ioas, A + 0x1000, 0, false,
                                                errp))
CTXCASE(len_bitmap_wraps, iommufd_backend_get_dirty_bitmap(c->be, c->hwpt, UINT64_MAX - 0xfff,
                                                           0x2000, 4096, &u64, 0, errp))
CTXCASE(len_bitmap_zero, iommufd_backend_get_dirty_bitmap(c->be, c->hwpt, A, 0, 4096, &u64, 0,
                                                          errp))
CTXCASE(len_walk_wraps, iommufd_backend_walk_dirty_bitmap(c->be, c->hwpt, UINT64_MAX - 0xfff,
                                                          0x2000, 4096, 0, 0, &u64, 8, chunk_ok,
                                                          NULL, errp))
CTXCASE(len_range_check_wraps, iommufd_dirty_range_check(UINT64_MAX - 0xfff, 0x2000, 4096, 0,
                                                         errp))
CTXCASE(len_allow_inverted, ({
    IOMMUFDIovaRange r_ = { A + 0x10000, A };
    iommufd_backend_allow_iovas(c->be, c->ioas, &r_, 1, errp);
}))
CTXCASE(len_hw_queue_zero, iommufd_backend_alloc_hw_queue(c->be, 1, IOMMU_HW_QUEUE_TYPE_SELFTEST,
                                                          0, A, 0, &u32, errp))
CTXCASE(len_mmap_zero, ({
    void *p_ = NULL;
    iommufd_backend_viommu_mmap(c->be, 1, 0, 0, &p_, errp);
}))
CTXCASE(align_map_iova, iommufd_backend_map_dma(c->be, c->ioas, A + 1, 4096, c->buf, false,
                                                errp))
CTXCASE(align_map_len, iommufd_backend_map_dma(c->be, c->ioas, A, 4095, c->buf, false, errp))
CTXCASE(align_copy_iova, ({
    bool ok_ = iommufd_backend_map_dma(c->be, c->ioas, A, 0x4000, c->buf, false,
                                       &iommufd_error_abort);
    ok_ = iommufd_backend_copy_dma(c->be, c->ioas, A + 1, c->ioas, A + 0x10000, 0x1000, false,
                                   errp);
    iommufd_backend_unmap_dma(c->be, c->ioas, A, 0x4000, NULL, &iommufd_error_abort);
    ok_;
}))
CTXCASE(align_bitmap_iova, iommufd_backend_get_dirty_bitmap(c->be, c->hwpt, A + 1, 4096, 4096,
                                                            &u64, 0, errp))
CTXCASE(align_range_check, iommufd_dirty_range_check(A + 0x800, 0x1000, 4096, 0, errp))
CTXCASE(align_page_size, iommufd_dirty_range_check(A, 0x1000, 3000, 0, errp))

#define ROW(fn, cmd, errnum, w1, w2) { #fn, ctx_##fn, cmd, errnum, w1, w2 }
#define C(x) IOMMUFD_CMD_##x

static const CtxRow ctx_rows[] = {
    ROW(noid_free, C(DESTROY), ENOENT, "IOMMU_DESTROY", "id " NOID_STR),
    ROW(noid_map, C(IOAS_MAP), ENOENT, "IOMMU_IOAS_MAP", "ioas_id " NOID_STR),
    ROW(noid_map_auto, C(IOAS_MAP), ENOENT, "IOMMU_IOAS_MAP", "ioas_id " NOID_STR),
    ROW(noid_copy_src, C(IOAS_COPY), ENOENT, "IOMMU_IOAS_COPY", "src_ioas_id " NOID_STR),
    ROW(noid_copy_dst, C(IOAS_COPY), ENOENT, "IOMMU_IOAS_COPY", "dst_ioas_id " NOID_STR),
    ROW(noid_ranges, C(IOAS_IOVA_RANGES), ENOENT, "IOMMU_IOAS_IOVA_RANGES", "ioas_id " NOID_STR),
    ROW(noid_ranges_into, C(IOAS_IOVA_RANGES), ENOENT, "IOMMU_IOAS_IOVA_RANGES",
        "ioas_id " NOID_STR),
    ROW(null_ranges_into_count, 0, EINVAL, "IOMMU_IOAS_IOVA_RANGES", "n_ranges must not be NULL"),
    ROW(null_ranges_into_array, 0, EINVAL, "IOMMU_IOAS_IOVA_RANGES",
        "ranges is NULL with a capacity of 2"),
    ROW(noid_allow, C(IOAS_ALLOW_IOVAS), ENOENT, "IOMMU_IOAS_ALLOW_IOVAS", "ioas_id " NOID_STR),
    ROW(noid_get_option, C(OPTION), ENOENT, "IOMMU_OPTION", NOID_STR),
    ROW(noid_set_option, C(OPTION), ENOENT, "IOMMU_OPTION", NOID_STR),
    ROW(noid_set_vfio_ioas, C(VFIO_IOAS), ENOENT, "IOMMU_VFIO_IOAS", NOID_STR),
    ROW(noid_hwpt_dev, C(HWPT_ALLOC), ENOENT, "IOMMU_HWPT_ALLOC", "dev_id " NOID_STR),
    /* the kernel's answer for a pt_id that does not exist is EINVAL */
    ROW(noid_hwpt_pt, C(HWPT_ALLOC), EINVAL, "IOMMU_HWPT_ALLOC", "pt_id " NOID_STR),
    ROW(noid_dev_info, C(GET_HW_INFO), ENOENT, "IOMMU_GET_HW_INFO", "dev_id " NOID_STR),
    ROW(noid_dirty_tracking, C(HWPT_SET_DIRTY_TRACKING), ENOENT, "IOMMU_HWPT_SET_DIRTY_TRACKING",
        NOID_STR),
    ROW(noid_dirty_bitmap, C(HWPT_GET_DIRTY_BITMAP), ENOENT, "IOMMU_HWPT_GET_DIRTY_BITMAP",
        NOID_STR),
    ROW(noid_dirty_walk, C(HWPT_GET_DIRTY_BITMAP), ENOENT, "IOMMU_HWPT_GET_DIRTY_BITMAP",
        NOID_STR),
    ROW(noid_invalidate, C(HWPT_INVALIDATE), ENOENT, "IOMMU_HWPT_INVALIDATE", NOID_STR),
    ROW(noid_viommu_dev, C(VIOMMU_ALLOC), ENOENT, "IOMMU_VIOMMU_ALLOC", "dev_id " NOID_STR),
    ROW(noid_vdev_viommu, C(VDEVICE_ALLOC), ENOENT, "IOMMU_VDEVICE_ALLOC", NOID_STR),
    ROW(noid_veventq_viommu, C(VEVENTQ_ALLOC), ENOENT, "IOMMU_VEVENTQ_ALLOC",
        "viommu_id " NOID_STR),
    ROW(noid_hw_queue_viommu, C(HW_QUEUE_ALLOC), ENOENT, "IOMMU_HW_QUEUE_ALLOC",
        "viommu_id " NOID_STR),
    ROW(noid_veventq_new, C(VEVENTQ_ALLOC), ENOENT, "IOMMU_VEVENTQ_ALLOC", "viommu_id " NOID_STR),

    ROW(type_map_on_hwpt, C(IOAS_MAP), ENOENT, "IOMMU_IOAS_MAP", "ioas_id "),
    ROW(type_map_on_dev, C(IOAS_MAP), ENOENT, "IOMMU_IOAS_MAP", "ioas_id "),
    ROW(type_ranges_on_hwpt, C(IOAS_IOVA_RANGES), ENOENT, "IOMMU_IOAS_IOVA_RANGES", "ioas_id "),
    ROW(type_ranges_into_on_hwpt, C(IOAS_IOVA_RANGES), ENOENT, "IOMMU_IOAS_IOVA_RANGES",
        "ioas_id "),
    ROW(type_copy_from_hwpt, C(IOAS_COPY), ENOENT, "IOMMU_IOAS_COPY", "src_ioas_id "),
    ROW(type_dirty_on_ioas, C(HWPT_SET_DIRTY_TRACKING), ENOENT, "IOMMU_HWPT_SET_DIRTY_TRACKING",
        "hwpt_id "),
    ROW(type_bitmap_on_ioas, C(HWPT_GET_DIRTY_BITMAP), ENOENT, "IOMMU_HWPT_GET_DIRTY_BITMAP",
        "hwpt_id "),
    ROW(type_info_on_ioas, C(GET_HW_INFO), ENOENT, "IOMMU_GET_HW_INFO", "dev_id "),
    ROW(type_hwpt_on_dev, C(HWPT_ALLOC), EINVAL, "IOMMU_HWPT_ALLOC", "pt_id "),
    ROW(type_hwpt_dev_is_ioas, C(HWPT_ALLOC), ENOENT, "IOMMU_HWPT_ALLOC", "dev_id "),
    ROW(type_vdev_on_ioas, C(VDEVICE_ALLOC), ENOENT, "IOMMU_VDEVICE_ALLOC", "viommu_id "),
    ROW(type_veventq_on_ioas, C(VEVENTQ_ALLOC), ENOENT, "IOMMU_VEVENTQ_ALLOC", "viommu_id "),

    ROW(len_map_wraps, C(IOAS_MAP), EOVERFLOW, "IOMMU_IOAS_MAP", "size 0x2000"),
    ROW(len_map_zero, C(IOAS_MAP), EINVAL, "IOMMU_IOAS_MAP", "size must not be 0"),
    ROW(len_map_auto_zero, C(IOAS_MAP), EINVAL, "IOMMU_IOAS_MAP", "size must not be 0"),
    ROW(len_unmap_wraps, C(IOAS_UNMAP), EOVERFLOW, "IOMMU_IOAS_UNMAP", "size 0x"),
    ROW(len_unmap_zero, C(IOAS_UNMAP), EINVAL, "IOMMU_IOAS_UNMAP", "size must not be 0"),
    ROW(len_copy_wraps, C(IOAS_COPY), EOVERFLOW, "IOMMU_IOAS_COPY", "size 0x2000"),
    ROW(len_copy_zero, C(IOAS_COPY), EINVAL, "IOMMU_IOAS_COPY", "size must not be 0"),
    ROW(len_bitmap_wraps, C(HWPT_GET_DIRTY_BITMAP), EOVERFLOW, "IOMMU_HWPT_GET_DIRTY_BITMAP",
        "size 0x2000"),
    ROW(len_bitmap_zero, C(HWPT_GET_DIRTY_BITMAP), EINVAL, "IOMMU_HWPT_GET_DIRTY_BITMAP",
        "must not be 0"),
    ROW(len_walk_wraps, C(HWPT_GET_DIRTY_BITMAP), EINVAL, "dirty bitmap walk", "overflows"),
    ROW(len_range_check_wraps, 0, EINVAL, "dirty range", "overflows"),
    ROW(len_allow_inverted, C(IOAS_ALLOW_IOVAS), EINVAL, "IOMMU_IOAS_ALLOW_IOVAS", "ioas_id "),
    ROW(len_hw_queue_zero, C(HW_QUEUE_ALLOC), EINVAL, "IOMMU_HW_QUEUE_ALLOC", "viommu_id 1"),
    ROW(len_mmap_zero, 0, EINVAL, "mmap of vIOMMU 1", "size"),
    ROW(align_map_iova, C(IOAS_MAP), EINVAL, "IOMMU_IOAS_MAP", "iova 0x1000001"),
    ROW(align_map_len, C(IOAS_MAP), EINVAL, "IOMMU_IOAS_MAP", "size 0xfff"),
    ROW(align_copy_iova, C(IOAS_COPY), EINVAL, "IOMMU_IOAS_COPY", "src_iova 0x1000001"),
    ROW(align_bitmap_iova, C(HWPT_GET_DIRTY_BITMAP), EINVAL, "IOMMU_HWPT_GET_DIRTY_BITMAP",
        "iova 0x1000001"),
    ROW(align_range_check, 0, EINVAL, "dirty range", "not aligned"),
    ROW(align_page_size, 0, EINVAL, "dirty range", "power of two"),
};

static void run_ctx_row(gconstpointer data)
{
    const CtxRow *r = data;
    Ctx c;
    IOMMUFDError *err = NULL;

    ctx_open(&c);
    bool ok = r->call(&c, &err);
    if (ok) {
        g_error("%s: succeeded", r->name);
    }
    if (r->cmd && !has(&c, r->cmd) && err && iommufd_error_get_errno(err) == ENOTTY) {
        /* the kernel lacks the command: that is the error, naming it */
        check_error(r->name, &err, ENOTTY, iommufd_command_name(r->cmd), NULL);
    } else {
        check_error(r->name, &err, r->errnum, r->word1, r->word2);
    }
    /* errp NULL: the same failure, no crash */
    g_assert_false(r->call(&c, NULL));
    ctx_close(&c);
}

/*
 * The one entry point where the kernel's ENOENT is not an error: unmap
 * (documented in backend.h: vIOMMUs unmap redundantly).  The kernel answers
 * ENOENT for a part of a mapping, for an unaligned range over nothing and for
 * an IOAS that does not exist alike; the helper reports success with 0 bytes
 * unmapped, and the mapping is untouched.
 */
static void test_unmap_enoent(void)
{
    Ctx c;
    uint64_t unmapped = 1;

    ctx_open(&c);
    g_assert_true(iommufd_backend_map_dma(c.be, c.ioas, A, 0x4000, c.buf, false,
                                          &iommufd_error_abort));
    /* a part of one mapping */
    g_assert_true(iommufd_backend_unmap_dma(c.be, c.ioas, A + 0x1000, 0x1000, &unmapped,
                                            &iommufd_error_abort));
    g_assert_cmpuint(unmapped, ==, 0);
    /* unaligned, over nothing */
    unmapped = 1;
    g_assert_true(iommufd_backend_unmap_dma(c.be, c.ioas, A + 0x10001, 0x1000, &unmapped,
                                            &iommufd_error_abort));
    g_assert_cmpuint(unmapped, ==, 0);
    /* an IOAS that does not exist, or an id that is not an IOAS: errors */
    IOMMUFDError *err = NULL;
    unmapped = 1;
    g_assert_false(iommufd_backend_unmap_dma(c.be, NOID, A, 0x4000, &unmapped, &err));
    g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOENT);
    g_assert_nonnull(strstr(iommufd_error_get_pretty(err), "no IOAS has that id"));
    g_assert_nonnull(strstr(iommufd_error_get_pretty(err), "IOMMU_IOAS_UNMAP"));
    g_clear_pointer(&err, iommufd_error_free);
    g_assert_cmpuint(unmapped, ==, 1);      /* untouched on failure */
    if (c.hwpt) {           /* a HWPT's id where an IOAS is needed */
        g_assert_false(iommufd_backend_unmap_dma(c.be, c.hwpt, A, 0x4000, &unmapped, &err));
        g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOENT);
        g_assert_nonnull(strstr(iommufd_error_get_pretty(err), "no IOAS has that id"));
        g_clear_pointer(&err, iommufd_error_free);
    }
    /* the mapping is whole */
    g_assert_true(iommufd_backend_unmap_dma(c.be, c.ioas, A, 0x4000, &unmapped,
                                            &iommufd_error_abort));
    g_assert_cmpuint(unmapped, ==, 0x4000);
    ctx_close(&c);
}

/* ==== new_from_fd with what is not an iommufd ============================== */

/* an fd number that is not open, and that no open() of this test reuses */
static int closed_fd(void)
{
    int fd = 1000;
    while (tu_fd_is_open(fd)) {
        fd++;
    }
    return fd;
}

typedef enum { FD_MINUS_ONE, FD_CLOSED, FD_PIPE, FD_DEVNULL, FD_REGULAR } BadFdKind;

static const struct {
    const char *name;
    BadFdKind kind;
    int errnum;
    const char *word;
} badfd_rows[] = {
    { "minus-one", FD_MINUS_ONE, EBADF, "not open" },
    { "closed", FD_CLOSED, EBADF, "not open" },
    { "pipe", FD_PIPE, ENOTTY, "not an iommufd" },
    { "dev-null", FD_DEVNULL, ENOTTY, "not an iommufd" },
    { "regular-file", FD_REGULAR, ENOTTY, "not an iommufd" },
};

static void test_new_from_bad_fd(gconstpointer data)
{
    size_t i = GPOINTER_TO_SIZE(data);
    int fd = -1, other = -1;
    int p[2];

    switch (badfd_rows[i].kind) {
    case FD_MINUS_ONE:
        break;
    case FD_CLOSED:
        fd = closed_fd();
        break;
    case FD_PIPE:
        g_assert_cmpint(pipe2(p, O_CLOEXEC), ==, 0);
        fd = p[0];
        other = p[1];
        break;
    case FD_DEVNULL:
        fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        break;
    case FD_REGULAR:
        fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        break;
    }
    g_test_message("fd %d (%s)", fd, badfd_rows[i].name);

    IOMMUFDBackend *be = iommufd_backend_new_from_fd(fd);
    IOMMUFDError *err = NULL;
    g_assert_false(iommufd_backend_connect(be, &err));
    char fdword[32];
    snprintf(fdword, sizeof(fdword), "fd %d", fd);
    check_error("connect", &err, badfd_rows[i].errnum, fdword, badfd_rows[i].word);
    g_assert_false(iommufd_backend_connect(be, NULL));
    g_assert_cmpuint(iommufd_backend_get_users(be), ==, 0);

    /* the first helper: not connected, says so */
    uint32_t ioas = 0;
    g_assert_false(iommufd_backend_alloc_ioas(be, &ioas, &err));
    check_error("alloc_ioas", &err, EBADF, "IOMMU_IOAS_ALLOC", "not connected");
    g_assert_true(iommufd_error_get_hint(NULL) == NULL);
    g_assert_false(iommufd_backend_map_dma(be, 1, A, 4096, &ioas, false, NULL));
    g_object_unref(be);

    /* a handed fd, even a foreign one, stays open */
    if (fd >= 0 && badfd_rows[i].kind != FD_CLOSED) {
        g_assert_true(tu_fd_is_open(fd));
        close(fd);
    }
    if (other >= 0) {
        close(other);
    }
}

/* An owned backend whose node does not exist, or is not an iommufd. */
static void test_bad_path(void)
{
    IOMMUFDError *err = NULL;
    IOMMUFDBackend *be = iommufd_backend_new_with_path("/nonexistent/iommu");

    g_assert_false(iommufd_backend_connect(be, &err));
    check_error("connect (no node)", &err, ENOENT, "/nonexistent/iommu", NULL);
    g_object_unref(be);

    /* /dev/null opens, but speaks no iommufd: the first helper says so */
    be = iommufd_backend_new_with_path("/dev/null");
    if (iommufd_backend_connect(be, &err)) {
        uint32_t ioas = 0;
        g_assert_false(iommufd_backend_alloc_ioas(be, &ioas, &err));
        check_error("alloc_ioas on /dev/null", &err, ENOTTY, "IOMMU_IOAS_ALLOC", NULL);
        iommufd_backend_disconnect(be);
    } else {
        check_error("connect (/dev/null)", &err, 0, "/dev/null", NULL);
    }
    g_object_unref(be);
}

/* ==== VFIO entry points with what is not a VFIO device ===================== */

static void test_vfio_bad_fds(void)
{
    IOMMUFDError *err = NULL;
    Ctx c;
    uint32_t id = 0;

    ctx_open(&c);
    int fd = iommufd_vfio_device_open("/nonexistent/vfio0", &err);
    g_assert_cmpint(fd, ==, -1);
    check_error("vfio_device_open", &err, ENOENT, "/nonexistent/vfio0", NULL);
    fd = iommufd_vfio_device_open_sysfs("/nonexistent/sysfs", NULL, &err);
    g_assert_cmpint(fd, ==, -1);
    check_error("vfio_device_open_sysfs", &err, ENOENT, "/nonexistent/sysfs", NULL);

    int closed = closed_fd();
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(devnull, >=, 0);
    const int fds[] = { closed, devnull };
    const int errs[] = { EBADF, ENOTTY };
    for (size_t i = 0; i < G_N_ELEMENTS(fds); i++) {
        char w[32];
        snprintf(w, sizeof(w), "vfio fd %d", fds[i]);
        g_assert_false(iommufd_backend_bind_device(c.be, fds[i], NULL, &id, &err));
        check_error("bind_device", &err, errs[i], "VFIO_DEVICE_BIND_IOMMUFD", w);
        g_assert_false(iommufd_vfio_device_attach(fds[i], c.ioas, &id, &err));
        check_error("attach", &err, errs[i], "VFIO_DEVICE_ATTACH_IOMMUFD_PT", NULL);
        g_assert_false(iommufd_vfio_device_attach_pasid(fds[i], 1, c.ioas, &id, &err));
        check_error("attach_pasid", &err, errs[i], "VFIO_DEVICE_ATTACH_IOMMUFD_PT", NULL);
        g_assert_false(iommufd_vfio_device_detach(fds[i], &err));
        check_error("detach", &err, errs[i], "VFIO_DEVICE_DETACH_IOMMUFD_PT", NULL);
        g_assert_false(iommufd_vfio_device_detach_pasid(fds[i], 1, &err));
        check_error("detach_pasid", &err, errs[i], "VFIO_DEVICE_DETACH_IOMMUFD_PT", NULL);
        g_assert_false(iommufd_vfio_device_attach(fds[i], c.ioas, NULL, NULL));
    }
    /* the caller's fd is the caller's: still open */
    g_assert_true(tu_fd_is_open(devnull));
    close(devnull);
    ctx_close(&c);
}

/* ==== queues adopting what they cannot use ================================= */

static void test_adopt_bad(void)
{
    IOMMUFDError *err = NULL;
    Ctx c;
    int p[2];

    ctx_open(&c);
    /* no backend: the fd is taken over (closed) all the same, as documented */
    g_assert_cmpint(pipe2(p, O_CLOEXEC), ==, 0);
    g_assert_null(iommufd_veventq_adopt(NULL, NOID, p[0], IOMMUFD_VEVENTQ_TYPE_SELFTEST, 0, 0,
                                        &err));
    check_error("veventq_adopt(NULL)", &err, EINVAL, "vEVENTQ " NOID_STR, "no backend");
    g_assert_false(tu_fd_is_open(p[0]));
    g_assert_null(iommufd_faultq_adopt(NULL, NOID, p[1], 0, &err));
    check_error("faultq_adopt(NULL)", &err, EINVAL, "fault queue " NOID_STR, "no backend");
    g_assert_false(tu_fd_is_open(p[1]));
    /* no fd */
    g_assert_null(iommufd_veventq_adopt(c.be, NOID, -1, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 0, 0,
                                        &err));
    check_error("veventq_adopt(-1)", &err, EBADF, "vEVENTQ " NOID_STR, "fd -1");
    g_assert_null(iommufd_faultq_adopt(c.be, NOID, -1, 0, &err));
    check_error("faultq_adopt(-1)", &err, EBADF, "fault queue " NOID_STR, "fd -1");
    /* responses without a group */
    g_assert_false(iommufd_faultq_respond(NULL, NULL, IOMMUFD_PAGE_RESPONSE_SUCCESS, &err));
    check_error("faultq_respond(no group)", &err, EINVAL, "fault response", "no group");
    ctx_close(&c);
}

/* ==== only &iommufd_error_abort aborts ===================================== */

static void test_error_abort(void)
{
    if (g_test_subprocess()) {
        uint32_t id;
        /* errp NULL and a local error first: no abort */
        g_assert_false(iommufd_backend_alloc_ioas(NULL, &id, NULL));
        iommufd_backend_alloc_ioas(NULL, &id, &iommufd_error_abort);
        return;                 /* not reached */
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*IOMMU_IOAS_ALLOC: no backend*");
}

int main(int argc, char **argv)
{
    test_backend_print();
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
    tu_add_func("/badinput/null-backend", test_null_backend);
    tu_add_func("/badinput/null-getters", test_null_getters);
    for (size_t i = 0; i < G_N_ELEMENTS(ctx_rows); i++) {
        char *path = g_strdup_printf("/badinput/ctx/%s", ctx_rows[i].name);
        tu_add_data_func(path, &ctx_rows[i], run_ctx_row);
        g_free(path);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(badfd_rows); i++) {
        char *path = g_strdup_printf("/badinput/new-from-fd/%s", badfd_rows[i].name);
        tu_add_data_func(path, GSIZE_TO_POINTER(i), test_new_from_bad_fd);
        g_free(path);
    }
    tu_add_func("/badinput/unmap-enoent", test_unmap_enoent);
    tu_add_func("/badinput/bad-path", test_bad_path);
    tu_add_func("/badinput/vfio-bad-fds", test_vfio_bad_fds);
    tu_add_func("/badinput/adopt-bad", test_adopt_bad);
    tu_add_func("/badinput/error-abort", test_error_abort);
    return g_test_run();
}
