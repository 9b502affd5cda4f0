/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mock suite: what only the mock's fixtures API (<iommufd/mock.h>) can show.
 *
 * Unlike test-interpose and the abi suite, this program LINKS the mock's
 * static archive (mock_static_dep): its open/ioctl/read/write/close are the
 * mock's, with no LD_PRELOAD (/mock/fixtures/linked proves it).  It covers
 * the kernel models chosen per context (iommufd_mock_set_kernel), a VFIO bind
 * following the model of the context it binds to, fail-Nth being per thread,
 * and the VFIO cdev rules of mock nodes (PASID attach/detach, VF token,
 * E2BIG, one bound open per node, GET_INFO, iommufd_mock_add_device's
 * errors).  Every test runs in a fixture whose teardown asserts that the
 * mock's object and fd counts are back at their baseline: closing a bound
 * VFIO fd must unbind, and nothing may leak.
 *
 * Tests whose answer depends on the model are registered once per model
 * (the fixture sets it); meson runs the binary with IOMMUFD_MOCK_KERNEL=newest
 * and =6.12 so that the start-up model is covered too.
 */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <glib.h>

#include "uapi/linux/iommufd.h"
#include "uapi/linux/vfio.h"
#include <iommufd/mock.h>
#include "../common/fd-check.h"

/* VFIO_DEVICE_GET_INFO is not in the project's uapi header (the library does
 * not use it); the kernel's layout. */
#define T_VFIO_DEVICE_GET_INFO _IO(VFIO_TYPE, VFIO_BASE + 7)
struct t_vfio_device_info {
    uint32_t argsz;
    uint32_t flags;
    uint32_t num_regions;
    uint32_t num_irqs;
    uint32_t cap_offset;
    uint32_t pad;
};
#define T_VFIO_DEVICE_FLAGS_RESET (1u << 0)
#define T_VFIO_DEVICE_FLAGS_PCI (1u << 1)

/* An address no test maps: copy_from_user there is EFAULT. */
#define BAD_UPTR ((uint64_t)8)

static IOMMUFDMockKernel start_model;  /* the model at start-up (environment) */

/* ---- helpers ------------------------------------------------------------- */

/* ioctl() as the kernel answers it: the result, or -errno. */
static int xioctl(int fd, unsigned long req, void *arg)
{
    int rc = ioctl(fd, req, arg);

    return rc < 0 ? -errno : rc;
}

static int open_iommufd(void)
{
    int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_true(iommufd_mock_is_mock_fd(fd));
    return fd;
}

static int ioas_alloc(int ctx, uint32_t *id)
{
    struct iommu_ioas_alloc a = { .size = sizeof(a) };
    int rc = xioctl(ctx, IOMMU_IOAS_ALLOC, &a);

    if (!rc) {
        *id = a.out_ioas_id;
    }
    return rc;
}

static uint32_t ioas_new(int ctx)
{
    uint32_t id = 0;

    g_assert_cmpint(ioas_alloc(ctx, &id), ==, 0);
    g_assert_cmpuint(id, >=, 1);
    return id;
}

static int destroy(int ctx, uint32_t id)
{
    struct iommu_destroy d = { .size = sizeof(d), .id = id };

    return xioctl(ctx, IOMMU_DESTROY, &d);
}

static int hwpt_alloc(int ctx, uint32_t dev_id, uint32_t pt_id, uint32_t flags, uint32_t *out)
{
    struct iommu_hwpt_alloc a = {
        .size = sizeof(a), .flags = flags, .dev_id = dev_id, .pt_id = pt_id,
    };
    int rc = xioctl(ctx, IOMMU_HWPT_ALLOC, &a);

    if (!rc) {
        *out = a.out_hwpt_id;
    }
    return rc;
}

/* IOMMU_VIOMMU_ALLOC with type DEFAULT: ENOTTY on 6.12 (no such command),
 * EOPNOTSUPP on the newest (the type is refused first). */
static int viommu_alloc_default(int ctx)
{
    struct iommu_viommu_alloc a = { .size = sizeof(a) };

    return xioctl(ctx, IOMMU_VIOMMU_ALLOC, &a);
}

/* A new mock VFIO node; the caller frees the path. */
static char *node_new(uint32_t flags)
{
    char path[128];

    g_assert_cmpint(iommufd_mock_add_device(flags, path, sizeof(path)), ==, 0);
    return g_strdup(path);
}

static int node_open(const char *path)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);

    g_assert_cmpint(fd, >=, 0);
    g_assert_true(iommufd_mock_is_mock_fd(fd));
    return fd;
}

/* The newest bind struct with room for a tail past it. */
struct bind_buf {
    struct vfio_device_bind_iommufd b;
    uint64_t tail;
};

static int vfio_bind_buf(int dfd, struct bind_buf *bb, uint32_t *dev_id)
{
    int rc = xioctl(dfd, VFIO_DEVICE_BIND_IOMMUFD, bb);

    if (!rc && dev_id) {
        *dev_id = bb->b.out_devid;
    }
    return rc;
}

static int vfio_bind(int dfd, int iommufd, uint32_t *dev_id)
{
    struct bind_buf bb = { .b = { .argsz = sizeof(bb.b), .iommufd = iommufd } };

    return vfio_bind_buf(dfd, &bb, dev_id);
}

static int vfio_bind_token(int dfd, int iommufd, uint64_t token_uptr)
{
    struct bind_buf bb = {
        .b = { .argsz = sizeof(bb.b), .flags = VFIO_DEVICE_BIND_FLAG_TOKEN,
               .iommufd = iommufd, .token_uuid_ptr = token_uptr },
    };

    return vfio_bind_buf(dfd, &bb, NULL);
}

static int vfio_attach(int dfd, uint32_t argsz, uint32_t flags, uint32_t pasid, uint32_t *pt_id)
{
    struct vfio_device_attach_iommufd_pt a = {
        .argsz = argsz, .flags = flags, .pt_id = *pt_id, .pasid = pasid,
    };
    int rc = xioctl(dfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &a);

    if (!rc) {
        *pt_id = a.pt_id;
    }
    return rc;
}

static int vfio_detach(int dfd, uint32_t argsz, uint32_t flags, uint32_t pasid)
{
    struct vfio_device_detach_iommufd_pt d = { .argsz = argsz, .flags = flags, .pasid = pasid };

    return xioctl(dfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &d);
}

static const uint8_t vf_token[16] = {
    0x2a, 0xb1, 0x5e, 0x10, 0x7c, 0x43, 0x4d, 0x6e, 0x9f, 0x01, 0x88, 0x3c, 0xd4, 0x17, 0x62, 0xe5,
};

/* ---- fixture ------------------------------------------------------------- */

typedef struct {
    IOMMUFDMockKernel model;   /* of this test's context */
    unsigned fds_base;         /* mock fds before the test */
    int ctx;                   /* a /dev/iommu of `model` */
} Fx;

#define MODEL_DATA(m) GINT_TO_POINTER((int)(m) + 1)

static void fx_setup(Fx *fx, gconstpointer data)
{
    fx->model = data ? (IOMMUFDMockKernel)(GPOINTER_TO_INT(data) - 1) : start_model;
    iommufd_mock_set_kernel(fx->model);
    g_assert_cmpint(iommufd_mock_get_kernel(), ==, fx->model);
    fx->fds_base = iommufd_mock_count_fds();
    fx->ctx = open_iommufd();
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, fx->fds_base + 1);
    g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 0);
}

/* Everything a test made is gone again: its objects, its fds (a bound VFIO
 * fd's close unbinds, which removes the device object). */
static void fx_teardown(Fx *fx, gconstpointer data)
{
    (void)data;
    g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 0);
    g_assert_cmpint(close(fx->ctx), ==, 0);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, fx->fds_base);
    iommufd_mock_fail_nth(0, 0);
    iommufd_mock_set_kernel(start_model);
}

static bool is_6_12(const Fx *fx)
{
    return fx->model == IOMMUFD_MOCK_KERNEL_6_12;
}

/* ---- linking ------------------------------------------------------------- */

static int find_mock_so(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    if (info->dlpi_name && strstr(info->dlpi_name, "libiommufd-mock")) {
        *(bool *)data = true;
    }
    return 0;
}

/* The archive interposes by itself: no libiommufd-mock.so is loaded, yet
 * open("/dev/iommu") gives a mock fd and other paths reach libc. */
static void test_linked(Fx *fx, gconstpointer data)
{
    bool loaded = false;
    int fd;

    (void)data;
    dl_iterate_phdr(find_mock_so, &loaded);
    g_assert_false(loaded);
    g_assert_true(iommufd_mock_is_mock_fd(fx->ctx));
    fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_false(iommufd_mock_is_mock_fd(fd));
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, fx->fds_base + 1);
    g_assert_cmpint(close(fd), ==, 0);
    g_assert_false(iommufd_mock_is_mock_fd(-1));
    /* a counter question on something that is not a context */
    g_assert_cmpint(iommufd_mock_count_objects(-1), ==, -EBADF);
}

/* ---- kernel models ------------------------------------------------------- */

static void test_kernel_names(Fx *fx, gconstpointer data)
{
    const char *env = getenv("IOMMUFD_MOCK_KERNEL");

    (void)fx;
    (void)data;
    /* the environment chose the start-up model */
    g_assert_cmpint(start_model, ==,
                    env && !strcmp(env, "6.12") ? IOMMUFD_MOCK_KERNEL_6_12
                                                : IOMMUFD_MOCK_KERNEL_NEWEST);
    g_assert_cmpstr(iommufd_mock_kernel_name(IOMMUFD_MOCK_KERNEL_NEWEST), ==, "newest");
    g_assert_cmpstr(iommufd_mock_kernel_name(IOMMUFD_MOCK_KERNEL_6_12), ==, "6.12");
    g_assert_null(iommufd_mock_kernel_name((IOMMUFDMockKernel)42));

    iommufd_mock_set_kernel(IOMMUFD_MOCK_KERNEL_6_12);
    g_assert_cmpint(iommufd_mock_get_kernel(), ==, IOMMUFD_MOCK_KERNEL_6_12);
    /* an unknown model is ignored */
    iommufd_mock_set_kernel((IOMMUFDMockKernel)42);
    g_assert_cmpint(iommufd_mock_get_kernel(), ==, IOMMUFD_MOCK_KERNEL_6_12);
    iommufd_mock_set_kernel(IOMMUFD_MOCK_KERNEL_NEWEST);
    g_assert_cmpint(iommufd_mock_get_kernel(), ==, IOMMUFD_MOCK_KERNEL_NEWEST);
}

/*
 * A context keeps the model it was opened with; set_kernel changes only what
 * later contexts get.  A VFIO bind follows the model of the context it binds
 * to, whatever the current default is.
 */
static void test_kernel_per_context(Fx *fx, gconstpointer data)
{
    g_autofree char *path = node_new(MOCK_FLAGS_DEVICE_PASID);
    struct bind_buf bb;
    int newest, old, dfd;
    uint32_t dev_id = 0, ioas, pt;

    (void)data;
    iommufd_mock_set_kernel(IOMMUFD_MOCK_KERNEL_NEWEST);
    newest = open_iommufd();
    iommufd_mock_set_kernel(IOMMUFD_MOCK_KERNEL_6_12);
    old = open_iommufd();
    g_assert_cmpint(viommu_alloc_default(old), ==, -ENOTTY);
    g_assert_cmpint(viommu_alloc_default(newest), ==, -EOPNOTSUPP);
    /* the fixture's context, opened before, has its own model still */
    g_assert_cmpint(viommu_alloc_default(fx->ctx), ==, is_6_12(fx) ? -ENOTTY : -EOPNOTSUPP);

    /* default 6.12, bind to the newest context: newest rules (token taken) */
    dfd = node_open(path);
    g_assert_cmpint(vfio_bind_token(dfd, newest, (uint64_t)(uintptr_t)vf_token), ==, 0);
    g_assert_cmpint(close(dfd), ==, 0);
    /* ... and a longer struct with a non-zero tail is E2BIG */
    dfd = node_open(path);
    memset(&bb, 0, sizeof(bb));
    bb.b.argsz = sizeof(bb);
    bb.b.iommufd = newest;
    bb.tail = 1;
    g_assert_cmpint(vfio_bind_buf(dfd, &bb, NULL), ==, -E2BIG);

    /* default newest, bind to the 6.12 context: 6.12 rules */
    iommufd_mock_set_kernel(IOMMUFD_MOCK_KERNEL_NEWEST);
    g_assert_cmpint(viommu_alloc_default(old), ==, -ENOTTY);
    g_assert_cmpint(vfio_bind_token(dfd, old, (uint64_t)(uintptr_t)vf_token), ==, -EINVAL);
    /* 6.12 reads 16 bytes only: the tail is never looked at */
    bb.b.iommufd = old;
    g_assert_cmpint(vfio_bind_buf(dfd, &bb, &dev_id), ==, 0);
    g_assert_cmpuint(dev_id, >=, 1);
    /* and its device has no PASID through VFIO */
    ioas = ioas_new(old);
    pt = ioas;
    g_assert_cmpint(vfio_attach(dfd, sizeof(struct vfio_device_attach_iommufd_pt),
                                VFIO_DEVICE_ATTACH_PASID, 1, &pt), ==, -EINVAL);
    g_assert_cmpint(vfio_attach(dfd, sizeof(struct vfio_device_attach_iommufd_pt), 0, 0, &pt),
                    ==, 0);
    g_assert_cmpuint(pt, !=, ioas);
    g_assert_cmpint(iommufd_mock_count_objects(old), ==, 3);  /* ioas, device, auto hwpt */
    g_assert_cmpint(close(dfd), ==, 0);
    g_assert_cmpint(iommufd_mock_count_objects(old), ==, 1);
    g_assert_cmpint(destroy(old, ioas), ==, 0);

    g_assert_cmpint(close(old), ==, 0);
    g_assert_cmpint(close(newest), ==, 0);
}

/* ---- fail-Nth ------------------------------------------------------------ */

typedef struct {
    int ctx;
    GAsyncQueue *to_main, *to_worker;
} FailNthShare;

/* Unaffected by the main thread's arming; then arms its own. */
static gpointer fail_nth_worker(gpointer data)
{
    FailNthShare *s = data;
    uint32_t id = 0;

    g_assert_false(iommufd_mock_fail_nth_reached());
    for (int i = 0; i < 8; i++) {
        g_assert_cmpint(ioas_alloc(s->ctx, &id), ==, 0);
        g_assert_cmpint(destroy(s->ctx, id), ==, 0);
    }
    g_assert_false(iommufd_mock_fail_nth_reached());

    iommufd_mock_fail_nth(1, ENOSPC);
    g_async_queue_push(s->to_main, GINT_TO_POINTER(1));
    g_async_queue_pop(s->to_worker);       /* the main thread worked meanwhile */
    g_assert_false(iommufd_mock_fail_nth_reached());
    g_assert_cmpint(ioas_alloc(s->ctx, &id), ==, -ENOSPC);
    g_assert_true(iommufd_mock_fail_nth_reached());
    /* once only */
    g_assert_cmpint(ioas_alloc(s->ctx, &id), ==, 0);
    g_assert_cmpint(destroy(s->ctx, id), ==, 0);
    return NULL;
}

static void test_fail_nth_threads(Fx *fx, gconstpointer data)
{
    FailNthShare s = { fx->ctx, g_async_queue_new(), g_async_queue_new() };
    uint32_t a = 0, b = 0, c = 0;
    GThread *t;

    (void)data;
    iommufd_mock_fail_nth(3, EXDEV);
    g_assert_false(iommufd_mock_fail_nth_reached());

    /* the worker's operations are not counted for this thread */
    t = g_thread_new("fail-nth", fail_nth_worker, &s);
    g_async_queue_pop(s.to_main);
    g_assert_false(iommufd_mock_fail_nth_reached());
    g_assert_cmpint(ioas_alloc(fx->ctx, &a), ==, 0);          /* 1st */
    g_assert_cmpint(ioas_alloc(fx->ctx, &b), ==, 0);          /* 2nd */
    g_assert_false(iommufd_mock_fail_nth_reached());
    /* the worker armed its own count: it does not touch this thread */
    g_async_queue_push(s.to_worker, GINT_TO_POINTER(1));
    g_thread_join(t);

    g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 2);
    g_assert_cmpint(ioas_alloc(fx->ctx, &c), ==, -EXDEV);     /* 3rd */
    g_assert_true(iommufd_mock_fail_nth_reached());
    g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 2);  /* no side effect */
    g_assert_cmpint(ioas_alloc(fx->ctx, &c), ==, 0);
    g_assert_cmpuint(c, >, b);
    g_assert_true(iommufd_mock_fail_nth_reached());           /* until re-armed */

    /* re-arming resets "reached"; 0 disarms */
    iommufd_mock_fail_nth(100, ENOMEM);
    g_assert_false(iommufd_mock_fail_nth_reached());
    iommufd_mock_fail_nth(0, 0);
    g_assert_cmpint(destroy(fx->ctx, a), ==, 0);
    g_assert_cmpint(destroy(fx->ctx, b), ==, 0);
    g_assert_cmpint(destroy(fx->ctx, c), ==, 0);
    g_assert_false(iommufd_mock_fail_nth_reached());

    g_async_queue_unref(s.to_main);
    g_async_queue_unref(s.to_worker);
}

/* fail-Nth counts VFIO ioctls too, and a failed bind leaves nothing bound. */
static void test_fail_nth_vfio(Fx *fx, gconstpointer data)
{
    g_autofree char *path = node_new(0);
    int dfd = node_open(path);
    uint32_t dev_id = 0;

    (void)data;
    iommufd_mock_fail_nth(1, EIO);
    g_assert_cmpint(vfio_bind(dfd, fx->ctx, &dev_id), ==, -EIO);
    g_assert_true(iommufd_mock_fail_nth_reached());
    g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 0);
    /* still unbound: another device ioctl is EINVAL, a bind works */
    g_assert_cmpint(vfio_detach(dfd, sizeof(struct vfio_device_detach_iommufd_pt), 0, 0), ==,
                    -EINVAL);
    g_assert_cmpint(vfio_bind(dfd, fx->ctx, &dev_id), ==, 0);
    g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 1);

    /* the Nth VFIO ioctl after bind: a failed attach attaches nothing */
    {
        uint32_t ioas = ioas_new(fx->ctx), pt = ioas;

        iommufd_mock_fail_nth(1, ENOMEM);
        g_assert_cmpint(vfio_attach(dfd, sizeof(struct vfio_device_attach_iommufd_pt), 0, 0,
                                    &pt), ==, -ENOMEM);
        g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 2);
        g_assert_cmpint(destroy(fx->ctx, ioas), ==, 0);
    }
    g_assert_cmpint(close(dfd), ==, 0);
}

/* ---- VFIO cdev rules ----------------------------------------------------- */

/* PASID attach / replace / detach through the cdev ioctls. */
static void test_vfio_pasid(Fx *fx, gconstpointer data)
{
    const uint32_t asz = sizeof(struct vfio_device_attach_iommufd_pt);
    const uint32_t dsz = sizeof(struct vfio_device_detach_iommufd_pt);
    g_autofree char *path = node_new(MOCK_FLAGS_DEVICE_PASID);
    int dfd = node_open(path);
    uint32_t dev_id = 0, ioas, h1 = 0, h2 = 0, pt;

    (void)data;
    g_assert_cmpint(vfio_bind(dfd, fx->ctx, &dev_id), ==, 0);
    ioas = ioas_new(fx->ctx);

    if (is_6_12(fx)) {
        /* 6.12 knows no flag on either command, nor PASID HWPTs */
        pt = ioas;
        g_assert_cmpint(vfio_attach(dfd, asz, VFIO_DEVICE_ATTACH_PASID, 1, &pt), ==, -EINVAL);
        g_assert_cmpint(vfio_detach(dfd, dsz, VFIO_DEVICE_DETACH_PASID, 1), ==, -EINVAL);
        g_assert_cmpint(hwpt_alloc(fx->ctx, dev_id, ioas, IOMMU_HWPT_ALLOC_PASID, &h1), ==,
                        -EOPNOTSUPP);
        g_assert_cmpint(vfio_attach(dfd, offsetof(struct vfio_device_attach_iommufd_pt, pasid),
                                    0, 0, &pt), ==, 0);
        g_assert_cmpint(vfio_detach(dfd, offsetof(struct vfio_device_detach_iommufd_pt, pasid),
                                    0, 0), ==, 0);
        /* the auto domain went with the detach */
        g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 2);
        g_assert_cmpint(destroy(fx->ctx, ioas), ==, 0);
        g_assert_cmpint(close(dfd), ==, 0);
        return;
    }

    g_assert_cmpint(hwpt_alloc(fx->ctx, dev_id, ioas, IOMMU_HWPT_ALLOC_PASID, &h1), ==, 0);
    g_assert_cmpint(hwpt_alloc(fx->ctx, dev_id, ioas, IOMMU_HWPT_ALLOC_PASID, &h2), ==, 0);

    /* argument checks: an unknown flag, argsz without room for pasid */
    pt = h1;
    g_assert_cmpint(vfio_attach(dfd, asz, 1u << 1, 5, &pt), ==, -EINVAL);
    g_assert_cmpint(vfio_attach(dfd, offsetof(struct vfio_device_attach_iommufd_pt, pasid),
                                VFIO_DEVICE_ATTACH_PASID, 5, &pt), ==, -EINVAL);
    g_assert_cmpint(vfio_detach(dfd, dsz, 1u << 1, 5), ==, -EINVAL);
    g_assert_cmpint(vfio_detach(dfd, offsetof(struct vfio_device_detach_iommufd_pt, pasid),
                                VFIO_DEVICE_DETACH_PASID, 5), ==, -EINVAL);

    /* attach PASID 5 to h1: the HWPT is in use */
    g_assert_cmpint(vfio_attach(dfd, asz, VFIO_DEVICE_ATTACH_PASID, 5, &pt), ==, 0);
    g_assert_cmpuint(pt, ==, h1);
    g_assert_cmpint(destroy(fx->ctx, h1), ==, -EBUSY);
    /* the RID too, on the same PASID-capable HWPT */
    pt = h1;
    g_assert_cmpint(vfio_attach(dfd, asz, 0, 0, &pt), ==, 0);
    g_assert_cmpuint(pt, ==, h1);

    /* attaching again replaces: PASID 5 moves to h2, h1 keeps the RID */
    pt = h2;
    g_assert_cmpint(vfio_attach(dfd, asz, VFIO_DEVICE_ATTACH_PASID, 5, &pt), ==, 0);
    g_assert_cmpuint(pt, ==, h2);
    g_assert_cmpint(destroy(fx->ctx, h2), ==, -EBUSY);
    g_assert_cmpint(vfio_detach(dfd, dsz, 0, 0), ==, 0);     /* the RID */
    g_assert_cmpint(destroy(fx->ctx, h1), ==, 0);

    /* detach PASID 5; detaching a PASID not attached is no error */
    g_assert_cmpint(vfio_detach(dfd, dsz, VFIO_DEVICE_DETACH_PASID, 5), ==, 0);
    g_assert_cmpint(vfio_detach(dfd, dsz, VFIO_DEVICE_DETACH_PASID, 6), ==, 0);
    g_assert_cmpint(destroy(fx->ctx, h2), ==, 0);

    /* a PASID attached at close is detached by the unbind */
    g_assert_cmpint(hwpt_alloc(fx->ctx, dev_id, ioas, IOMMU_HWPT_ALLOC_PASID, &h1), ==, 0);
    pt = h1;
    g_assert_cmpint(vfio_attach(dfd, asz, VFIO_DEVICE_ATTACH_PASID, 7, &pt), ==, 0);
    g_assert_cmpint(close(dfd), ==, 0);
    g_assert_cmpint(destroy(fx->ctx, h1), ==, 0);
    g_assert_cmpint(destroy(fx->ctx, ioas), ==, 0);
}

/* A node without MOCK_FLAGS_DEVICE_PASID plays a driver without PASID ops. */
static void test_vfio_pasid_unsupported(Fx *fx, gconstpointer data)
{
    const uint32_t asz = sizeof(struct vfio_device_attach_iommufd_pt);
    const uint32_t dsz = sizeof(struct vfio_device_detach_iommufd_pt);
    g_autofree char *path = node_new(0);
    int dfd = node_open(path);
    uint32_t dev_id = 0, ioas, pt;
    int want = is_6_12(fx) ? -EINVAL : -EOPNOTSUPP;

    (void)data;
    g_assert_cmpint(vfio_bind(dfd, fx->ctx, &dev_id), ==, 0);
    ioas = ioas_new(fx->ctx);
    pt = ioas;
    g_assert_cmpint(vfio_attach(dfd, asz, VFIO_DEVICE_ATTACH_PASID, 1, &pt), ==, want);
    g_assert_cmpint(vfio_detach(dfd, dsz, VFIO_DEVICE_DETACH_PASID, 1), ==, want);
    g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 2);
    g_assert_cmpint(destroy(fx->ctx, ioas), ==, 0);
    g_assert_cmpint(close(dfd), ==, 0);
}

/* VFIO_DEVICE_BIND_FLAG_TOKEN: the newest kernel reads the UUID, 6.12 has
 * no such flag. */
static void test_vfio_token(Fx *fx, gconstpointer data)
{
    g_autofree char *path = node_new(0);
    int dfd = node_open(path);
    struct bind_buf bb = {
        .b = { .argsz = offsetof(struct vfio_device_bind_iommufd, token_uuid_ptr), .flags = VFIO_DEVICE_BIND_FLAG_TOKEN,
               .iommufd = fx->ctx },
    };

    (void)data;
    if (is_6_12(fx)) {
        g_assert_cmpint(vfio_bind_token(dfd, fx->ctx, (uint64_t)(uintptr_t)vf_token), ==,
                        -EINVAL);
        g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 0);
    } else {
        /* a token that cannot be read */
        g_assert_cmpint(vfio_bind_token(dfd, fx->ctx, BAD_UPTR), ==, -EFAULT);
        /* argsz without token_uuid_ptr: a NULL pointer, EFAULT */
        g_assert_cmpint(vfio_bind_buf(dfd, &bb, NULL), ==, -EFAULT);
        /* an unknown flag */
        bb.b.argsz = sizeof(bb.b);
        bb.b.flags = 1u << 1;
        g_assert_cmpint(vfio_bind_buf(dfd, &bb, NULL), ==, -EINVAL);
        g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 0);
        g_assert_cmpint(vfio_bind_token(dfd, fx->ctx, (uint64_t)(uintptr_t)vf_token), ==, 0);
        g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 1);
    }
    g_assert_cmpint(close(dfd), ==, 0);
}

/* A longer argsz: the newest kernel wants the tail zero (E2BIG), 6.12 reads
 * the first 16 bytes only. */
static void test_vfio_bind_size(Fx *fx, gconstpointer data)
{
    g_autofree char *path = node_new(0);
    int dfd = node_open(path);
    struct bind_buf bb;
    uint32_t dev_id = 0;

    (void)data;
    memset(&bb, 0, sizeof(bb));
    bb.b.iommufd = fx->ctx;
    bb.b.argsz = 15;
    g_assert_cmpint(vfio_bind_buf(dfd, &bb, NULL), ==, -EINVAL);
    bb.b.argsz = sizeof(bb);
    bb.tail = 0xff00;
    if (!is_6_12(fx)) {
        g_assert_cmpint(vfio_bind_buf(dfd, &bb, NULL), ==, -E2BIG);
        g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 0);
        /* a zero tail is as the exact size */
        bb.tail = 0;
    }
    g_assert_cmpint(vfio_bind_buf(dfd, &bb, &dev_id), ==, 0);
    g_assert_cmpuint(dev_id, >=, 1);
    /* the exact 16 bytes of 6.12's struct are enough for both */
    g_assert_cmpint(close(dfd), ==, 0);
    dfd = node_open(path);
    memset(&bb, 0, sizeof(bb));
    bb.b.argsz = 16;
    bb.b.iommufd = fx->ctx;
    g_assert_cmpint(vfio_bind_buf(dfd, &bb, &dev_id), ==, 0);
    g_assert_cmpint(close(dfd), ==, 0);
}

/* One open of a node can be bound at a time; closing it unbinds. */
static void test_vfio_single_bind(Fx *fx, gconstpointer data)
{
    g_autofree char *path = node_new(0);
    int d1 = node_open(path), d2 = node_open(path), other = open_iommufd();
    uint32_t id1 = 0, id2 = 0;

    (void)data;
    g_assert_cmpint(vfio_bind(d1, fx->ctx, &id1), ==, 0);
    /* this fd again: "one device cannot be bound twice" */
    g_assert_cmpint(vfio_bind(d1, fx->ctx, NULL), ==, -EINVAL);
    g_assert_cmpint(vfio_bind(d1, other, NULL), ==, -EINVAL);
    /* another open of the node, to any context */
    g_assert_cmpint(vfio_bind(d2, fx->ctx, NULL), ==, -EINVAL);
    g_assert_cmpint(vfio_bind(d2, other, NULL), ==, -EINVAL);
    g_assert_cmpint(iommufd_mock_count_objects(other), ==, 0);
    /* the bound device cannot be destroyed through iommufd */
    g_assert_cmpint(destroy(fx->ctx, id1), ==, -EBUSY);
    g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 1);

    g_assert_cmpint(close(d1), ==, 0);
    g_assert_cmpint(iommufd_mock_count_objects(fx->ctx), ==, 0);
    g_assert_cmpint(vfio_bind(d2, other, &id2), ==, 0);
    g_assert_cmpint(iommufd_mock_count_objects(other), ==, 1);
    /* the bound fd holds its context: closing the iommufd fd first is fine */
    g_assert_cmpint(close(other), ==, 0);
    g_assert_cmpuint(iommufd_mock_count_fds(), ==, fx->fds_base + 2);
    g_assert_cmpint(close(d2), ==, 0);
}

/* VFIO_DEVICE_GET_INFO: EINVAL before bind, vfio-pci's answer after. */
static void test_vfio_get_info(Fx *fx, gconstpointer data)
{
    g_autofree char *path = node_new(0);
    int dfd = node_open(path);
    struct t_vfio_device_info info;

    (void)data;
    memset(&info, 0, sizeof(info));
    info.argsz = 20;
    g_assert_cmpint(xioctl(dfd, T_VFIO_DEVICE_GET_INFO, &info), ==, -EINVAL);
    g_assert_cmpint(vfio_bind(dfd, fx->ctx, NULL), ==, 0);

    info.argsz = 12;
    g_assert_cmpint(xioctl(dfd, T_VFIO_DEVICE_GET_INFO, &info), ==, -EINVAL);
    memset(&info, 0xa5, sizeof(info));
    info.argsz = 16;
    g_assert_cmpint(xioctl(dfd, T_VFIO_DEVICE_GET_INFO, &info), ==, 0);
    g_assert_cmpuint(info.flags, ==, T_VFIO_DEVICE_FLAGS_PCI | T_VFIO_DEVICE_FLAGS_RESET);
    g_assert_cmpuint(info.num_regions, ==, 9);
    g_assert_cmpuint(info.num_irqs, ==, 5);
    g_assert_cmphex(info.cap_offset, ==, 0xa5a5a5a5u);   /* beyond argsz: untouched */
    info.argsz = 20;
    g_assert_cmpint(xioctl(dfd, T_VFIO_DEVICE_GET_INFO, &info), ==, 0);
    g_assert_cmpuint(info.cap_offset, ==, 0);
    g_assert_cmpint(xioctl(dfd, T_VFIO_DEVICE_GET_INFO, (void *)(uintptr_t)BAD_UPTR), ==,
                    -EFAULT);
    /* a command vfio-pci does not know */
    g_assert_cmpint(xioctl(dfd, _IO(VFIO_TYPE, VFIO_BASE + 99), &info), ==, -ENOTTY);
    g_assert_cmpint(close(dfd), ==, 0);
}

/* iommufd_mock_add_device's own errors create nothing. */
static void test_add_device(Fx *fx, gconstpointer data)
{
    char small[8], path[128];
    g_autofree char *first = node_new(0);
    g_autofree char *second = NULL;
    unsigned n1, n2;
    int fd;

    (void)fx;
    (void)data;
    memset(small, 'x', sizeof(small));
    g_assert_cmpint(iommufd_mock_add_device(0, small, sizeof(small)), ==, -ENAMETOOLONG);
    g_assert_cmpint(small[0], ==, 'x');
    g_assert_cmpint(iommufd_mock_add_device(0, NULL, 0), ==, -ENAMETOOLONG);
    /* room for the name but not its NUL */
    g_assert_cmpint(iommufd_mock_add_device(0, path, strlen(first)), ==, -ENAMETOOLONG);
    g_assert_cmpint(iommufd_mock_add_device(1u << 31, path, sizeof(path)), ==, -EINVAL);
    g_assert_cmpint(iommufd_mock_add_device(1u << 3, path, sizeof(path)), ==, -EINVAL);
    g_assert_cmpint(iommufd_mock_add_device(0, NULL, sizeof(path)), ==, -EINVAL);

    /* none of those made a node: the next one follows the first */
    second = node_new(MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA);
    g_assert_cmpint(sscanf(strrchr(first, '/'), "/vfio%u", &n1), ==, 1);
    g_assert_cmpint(sscanf(strrchr(second, '/'), "/vfio%u", &n2), ==, 1);
    g_assert_cmpuint(n2, ==, n1 + 1);
    g_assert_cmpint(access(second, F_OK), ==, -1);     /* access() is not interposed */
    fd = node_open(second);
    g_assert_cmpint(close(fd), ==, 0);
    /* the next number does not exist yet */
    g_snprintf(path, sizeof(path), "%.*svfio%u", (int)(strrchr(first, '/') - first + 1), first,
               n2 + 1);
    g_assert_cmpint(open(path, O_RDWR), ==, -1);
    g_assert_cmpint(errno, ==, ENOENT);
}

/* ---- main ---------------------------------------------------------------- */

static void add(const char *name, void (*fn)(Fx *, gconstpointer), bool per_model)
{
    if (!per_model) {
        tu_add(name, Fx, NULL, fx_setup, fn, fx_teardown);
        return;
    }
    for (int m = 0; m < 2; m++) {
        IOMMUFDMockKernel model = m ? IOMMUFD_MOCK_KERNEL_6_12 : IOMMUFD_MOCK_KERNEL_NEWEST;
        g_autofree char *path = g_strdup_printf("%s/%s", name, iommufd_mock_kernel_name(model));

        tu_add(path, Fx, MODEL_DATA(model), fx_setup, fn, fx_teardown);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
    start_model = iommufd_mock_get_kernel();
    g_test_message("mock linked from its static archive; start-up kernel model %s",
                   iommufd_mock_kernel_name(start_model));

    add("/mock/fixtures/linked", test_linked, false);
    add("/mock/fixtures/kernel/names", test_kernel_names, false);
    add("/mock/fixtures/kernel/per-context", test_kernel_per_context, true);
    add("/mock/fixtures/fail-nth/threads", test_fail_nth_threads, false);
    add("/mock/fixtures/fail-nth/vfio", test_fail_nth_vfio, true);
    add("/mock/fixtures/vfio/pasid", test_vfio_pasid, true);
    add("/mock/fixtures/vfio/pasid-unsupported", test_vfio_pasid_unsupported, true);
    add("/mock/fixtures/vfio/token", test_vfio_token, true);
    add("/mock/fixtures/vfio/bind-size", test_vfio_bind_size, true);
    add("/mock/fixtures/vfio/single-bind", test_vfio_single_bind, true);
    add("/mock/fixtures/vfio/get-info", test_vfio_get_info, true);
    add("/mock/fixtures/add-device", test_add_device, false);
    return g_test_run();
}
