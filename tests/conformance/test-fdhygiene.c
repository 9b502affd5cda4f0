/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fd hygiene of the library: every fd it creates (connect, new_with_path,
 * the fault queue and vEVENTQ helpers and their adopt, a VFIO device node it
 * opens) has FD_CLOEXEC; an fd handed to iommufd_backend_new_from_fd() is
 * still open after the backend's last unref, one the backend opened itself
 * is closed.  Every test also runs inside the fd-table check of
 * tests/common/fd-check.h (nothing left open, nothing closed that was open).
 *
 * Class: runs everywhere (the mock or a kernel with CONFIG_IOMMUFD_TEST);
 * the vEVENTQ tests skip on ENOTTY (6.12), the VFIO test needs the mock's
 * device nodes or IOMMUFD_TEST_VFIO_NODE.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "iommufd/backend.h"
#include "iommufd/events.h"
#include "iommufd/vfio.h"
#include "tests/common/test-backend-info.h"
#include "uapi/linux/iommufd.h"
#include "../common/fd-check.h"
#include "../common/selftest-ctx.h"

typedef int (*add_device_fn)(uint32_t flags, char *path, size_t len);

/* the fd is gone: fcntl says EBADF */
static void assert_closed(int fd)
{
    errno = 0;
    g_assert_cmpint(fcntl(fd, F_GETFD), ==, -1);
    g_assert_cmpint(errno, ==, EBADF);
}

static void assert_cloexec(int fd, const char *what)
{
    if (!tu_fd_is_cloexec(fd)) {
        g_error("%s: fd %d has no FD_CLOEXEC (flags %d)", what, fd, fcntl(fd, F_GETFD));
    }
}

/* a connected backend with a selftest device on an IOAS */
typedef TuSelftestCtx Ctx;

/* false (the test skipped) without the selftest device */
static bool ctx_open(Ctx *c)
{
    return tu_selftest_open(c, 0, 0, true);
}

/* everything released; the backend's fd is closed */
static void ctx_close(Ctx *c)
{
    int fd = c->fd;
    tu_selftest_close(c);
    assert_closed(fd);
}

/* ---- the backend's own fd ------------------------------------------------ */

static void test_connect_owned(void)
{
    IOMMUFDBackend *be = iommufd_backend_new();

    g_assert_true(iommufd_backend_connect(be, &iommufd_error_abort));
    int fd = iommufd_backend_get_fd(be);
    g_assert_cmpint(fd, >=, 0);
    assert_cloexec(fd, "iommufd_backend_connect");
    g_assert_true(iommufd_backend_is_owned(be));
    /* the last disconnect closes it */
    iommufd_backend_disconnect(be);
    assert_closed(fd);
    g_assert_cmpint(iommufd_backend_get_fd(be), ==, -1);
    /* and a second connect opens a new one, close-on-exec again */
    g_assert_true(iommufd_backend_connect(be, &iommufd_error_abort));
    fd = iommufd_backend_get_fd(be);
    assert_cloexec(fd, "iommufd_backend_connect (again)");
    iommufd_backend_disconnect(be);
    g_object_unref(be);
    assert_closed(fd);
}

static void test_new_with_path_unref(void)
{
    IOMMUFDBackend *be = iommufd_backend_new_with_path("/dev/iommu");

    g_assert_true(iommufd_backend_connect(be, &iommufd_error_abort));
    int fd = iommufd_backend_get_fd(be);
    assert_cloexec(fd, "iommufd_backend_new_with_path + connect");
    /* the last unref of a still-connected owned backend closes its fd */
    g_object_unref(be);
    assert_closed(fd);
}

static void test_handed_fd_survives(void)
{
    int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);

    /* never connected */
    IOMMUFDBackend *be = iommufd_backend_new_from_fd(fd);
    g_assert_false(iommufd_backend_is_owned(be));
    g_object_unref(be);
    g_assert_true(tu_fd_is_open(fd));

    /* connected, used, disconnected */
    be = iommufd_backend_new_from_fd(fd);
    g_assert_true(iommufd_backend_connect(be, &iommufd_error_abort));
    uint32_t ioas = 0;
    g_assert_true(iommufd_backend_alloc_ioas(be, &ioas, &iommufd_error_abort));
    g_assert_true(iommufd_backend_free_id(be, ioas, &iommufd_error_abort));
    iommufd_backend_disconnect(be);
    g_assert_cmpint(iommufd_backend_get_fd(be), ==, fd);
    g_assert_true(tu_fd_is_open(fd));

    /* connected and unreffed without a disconnect */
    g_assert_true(iommufd_backend_connect(be, &iommufd_error_abort));
    g_object_unref(be);
    g_assert_true(tu_fd_is_open(fd));
    /* the library did not touch its flags either */
    assert_cloexec(fd, "handed fd");
    /* and it still is an iommufd */
    struct iommu_ioas_alloc a = { .size = sizeof(a) };
    g_assert_cmpint(ioctl(fd, IOMMU_IOAS_ALLOC, &a), ==, 0);
    close(fd);
}

/* ---- queues ---------------------------------------------------------------- */

static bool need_cmd(Ctx *c, unsigned nr)
{
    if (!iommufd_features_has(&c->features, nr)) {
        g_autofree char *msg = g_strdup_printf("needs %s (ENOTTY here)", iommufd_command_name(nr));
        g_test_skip(msg);
        return false;
    }
    return true;
}

static void test_faultq(void)
{
    Ctx c;
    uint32_t id = 0;
    int qfd = -1;

    if (!ctx_open(&c)) {
        return;
    }
    if (!need_cmd(&c, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)) {
        ctx_close(&c);
        return;
    }
    /* the raw helper */
    g_assert_true(iommufd_backend_alloc_faultq(c.be, &id, &qfd, &iommufd_error_abort));
    assert_cloexec(qfd, "iommufd_backend_alloc_faultq");
    close(qfd);
    g_assert_true(iommufd_backend_free_id(c.be, id, &iommufd_error_abort));

    /* the queue object: free closes its fd */
    IOMMUFDFaultq *q = iommufd_faultq_new(c.be, 0, &iommufd_error_abort);
    qfd = iommufd_faultq_get_fd(q);
    assert_cloexec(qfd, "iommufd_faultq_new");
    iommufd_faultq_free(q);
    assert_closed(qfd);

    /* adopt: an fd handed without FD_CLOEXEC gets it */
    g_assert_true(iommufd_backend_alloc_faultq(c.be, &id, &qfd, &iommufd_error_abort));
    g_assert_cmpint(fcntl(qfd, F_SETFD, 0), ==, 0);
    q = iommufd_faultq_adopt(c.be, id, qfd, 0, &iommufd_error_abort);
    g_assert_cmpint(iommufd_faultq_get_fd(q), ==, qfd);
    assert_cloexec(qfd, "iommufd_faultq_adopt");
    iommufd_faultq_free(q);
    assert_closed(qfd);
    ctx_close(&c);
}

static void test_veventq(void)
{
    Ctx c;
    uint32_t parent = 0, viommu = 0, id = 0;
    int qfd = -1;

    if (!ctx_open(&c)) {
        return;
    }
    if (!iommufd_features_has(&c.features, IOMMUFD_CMD_VEVENTQ_ALLOC)) {
        /* a kernel without vEVENTQs (6.12): the queue's constructor fails
         * with ENOTTY and leaves no fd behind (the fd check after the test) */
        IOMMUFDError *err = NULL;
        g_assert_null(iommufd_veventq_new(c.be, 1, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 8, 0, 0, &err));
        g_assert_nonnull(err);
        g_assert_cmpint(iommufd_error_get_errno(err), ==, ENOTTY);
        iommufd_error_free(err);
        ctx_close(&c);
        return;
    }
    g_assert_true(iommufd_backend_alloc_hwpt(c.be, c.dev, c.ioas, IOMMUFD_HWPT_ALLOC_NEST_PARENT,
                                             0, 0, NULL, 0, &parent, &iommufd_error_abort));
    g_assert_true(iommufd_backend_alloc_viommu(c.be, c.dev, IOMMU_VIOMMU_TYPE_SELFTEST, parent,
                                               NULL, 0, &viommu, &iommufd_error_abort));
    /* the raw helper */
    g_assert_true(iommufd_backend_alloc_veventq(c.be, viommu, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 4,
                                                &id, &qfd, &iommufd_error_abort));
    assert_cloexec(qfd, "iommufd_backend_alloc_veventq");
    close(qfd);
    g_assert_true(iommufd_backend_free_id(c.be, id, &iommufd_error_abort));

    IOMMUFDVeventq *q = iommufd_veventq_new(c.be, viommu, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 4, 0, 0,
                                            &iommufd_error_abort);
    qfd = iommufd_veventq_get_fd(q);
    assert_cloexec(qfd, "iommufd_veventq_new");
    iommufd_veventq_free(q);
    assert_closed(qfd);

    g_assert_true(iommufd_backend_alloc_veventq(c.be, viommu, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 4,
                                                &id, &qfd, &iommufd_error_abort));
    g_assert_cmpint(fcntl(qfd, F_SETFD, 0), ==, 0);
    q = iommufd_veventq_adopt(c.be, id, qfd, IOMMUFD_VEVENTQ_TYPE_SELFTEST, 0, 0,
                              &iommufd_error_abort);
    assert_cloexec(qfd, "iommufd_veventq_adopt");
    iommufd_veventq_free(q);
    assert_closed(qfd);

    g_assert_true(iommufd_backend_free_id(c.be, viommu, &iommufd_error_abort));
    g_assert_true(iommufd_backend_free_id(c.be, parent, &iommufd_error_abort));
    ctx_close(&c);
}

/* ---- VFIO ------------------------------------------------------------------ */

static void test_vfio_bind(void)
{
    add_device_fn add = (add_device_fn)dlsym(RTLD_DEFAULT, "iommufd_mock_add_device");
    char node[256];

    if (add) {
        g_assert_cmpint(add(0, node, sizeof(node)), ==, 0);
    } else {
        const char *env = g_getenv("IOMMUFD_TEST_VFIO_NODE");
        if (!env || !*env) {
            g_test_skip("needs a VFIO device (the mock's iommufd_mock_add_device, or "
                        "IOMMUFD_TEST_VFIO_NODE)");
            return;
        }
        g_strlcpy(node, env, sizeof(node));
    }
    IOMMUFDBackend *be = iommufd_backend_new();
    g_assert_true(iommufd_backend_connect(be, &iommufd_error_abort));
    int vfd = iommufd_vfio_device_open(node, &iommufd_error_abort);
    assert_cloexec(vfd, "iommufd_vfio_device_open");
    uint32_t dev_id = 0, ioas = 0, hwpt = 0;
    g_assert_true(iommufd_backend_bind_device(be, vfd, NULL, &dev_id, &iommufd_error_abort));
    g_assert_true(iommufd_backend_alloc_ioas(be, &ioas, &iommufd_error_abort));
    g_assert_true(iommufd_vfio_device_attach(vfd, ioas, &hwpt, &iommufd_error_abort));
    /* binding and attaching made no fd and closed none */
    assert_cloexec(vfd, "bound VFIO fd");
    assert_cloexec(iommufd_backend_get_fd(be), "backend fd after bind");
    g_assert_true(iommufd_vfio_device_detach(vfd, &iommufd_error_abort));
    close(vfd);
    int fd = iommufd_backend_get_fd(be);
    iommufd_backend_disconnect(be);
    g_object_unref(be);
    assert_closed(fd);
}

int main(int argc, char **argv)
{
    test_backend_print();
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
    tu_add_func("/fd/connect-owned", test_connect_owned);
    tu_add_func("/fd/new-with-path-unref", test_new_with_path_unref);
    tu_add_func("/fd/handed-fd-survives", test_handed_fd_survives);
    tu_add_func("/fd/faultq", test_faultq);
    tu_add_func("/fd/veventq", test_veventq);
    tu_add_func("/fd/vfio-bind", test_vfio_bind);
    return g_test_run();
}
