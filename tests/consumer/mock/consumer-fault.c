/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An outside test program that LINKS the installed libiommufd-mock (no
 * preload: a linked mock interposes on libc as a preloaded one does) and
 * libiommufd, and drives a page fault through the fixtures API of
 * <iommufd/mock.h>: a mock VFIO device, bound and attached to a nested HWPT
 * that reports to a fault queue; a fault group triggered through the mock,
 * read from the IOMMUFDFaultq, answered.  Then everything is freed and the
 * mock's counters are back at zero.  Output: TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <iommufd/iommufd.h> /* the umbrella: backend.h, vfio.h, events.h, ... */
#include <iommufd/mock.h>

/*
 * The selftest driver's nested HWPT data (the kernel's IOMMU_HWPT_DATA_SELFTEST
 * and struct iommu_hwpt_selftest, which the mock implements): an outside
 * program declares them itself (<iommufd/uapi/iommufd.h> is installed only
 * with -Dinstall_uapi=true).
 */
#define SELFTEST_HWPT_DATA 0xdeadu
#define SELFTEST_IOTLB_DEFAULT 0xbadbeefu

static int n_test;
static int n_failed;

static bool check(bool ok, const char *what, IOMMUFDError **errp)
{
    printf("%s %d - %s\n", ok ? "ok" : "not ok", ++n_test, what);
    if (!ok) {
        n_failed++;
        if (errp && *errp) {
            printf("# %s\n", iommufd_error_get_pretty(*errp));
        }
    }
    if (errp && *errp) {
        iommufd_error_free(*errp);
        *errp = NULL;
    }
    fflush(stdout);
    return ok;
}

int main(void)
{
    IOMMUFDError *err = NULL;
    IOMMUFDFaultBatch batch = IOMMUFD_FAULT_BATCH_INIT;
    uint32_t dev_id = 0, ioas_id = 0, parent = 0, nested = 0, hwpt = 0;
    const uint32_t sdata = SELFTEST_IOTLB_DEFAULT;
    char node[256];

    printf("1..15\n");
    printf("# mock kernel model: %s\n", iommufd_mock_kernel_name(iommufd_mock_get_kernel()));

    int rc = iommufd_mock_add_device(0, node, sizeof(node));
    if (!check(rc == 0, "iommufd_mock_add_device() creates a mock VFIO node", NULL)) {
        printf("Bail out! iommufd_mock_add_device: %s\n", strerror(-rc));
        return 1;
    }
    IOMMUFDBackend *be = iommufd_backend_new();
    bool ok = iommufd_backend_connect(be, &err);
    int iommufd = iommufd_backend_get_fd(be);
    check(ok && iommufd_mock_is_mock_fd(iommufd), "connected to the mock's /dev/iommu", &err);
    int vfio_fd = iommufd_vfio_device_open(node, &err);
    check(vfio_fd >= 0 && iommufd_mock_is_mock_fd(vfio_fd), "mock VFIO node opened", &err);
    ok = iommufd_backend_bind_device(be, vfio_fd, NULL, &dev_id, &err) &&
         iommufd_backend_alloc_ioas(be, &ioas_id, &err) &&
         iommufd_vfio_device_attach(vfio_fd, ioas_id, &hwpt, &err);
    check(ok, "device bound and attached to an IOAS", &err);

    IOMMUFDFaultq *fq = iommufd_faultq_new(be, 16, &err);
    check(fq != NULL, "fault queue allocated", &err);
    if (!fq) {
        printf("Bail out! no fault queue\n");
        return 1;
    }
    ok = iommufd_backend_alloc_hwpt(be, dev_id, ioas_id, IOMMUFD_HWPT_ALLOC_NEST_PARENT,
                                    0, 0, NULL, 0, &parent, &err) &&
         iommufd_backend_alloc_hwpt(be, dev_id, parent, IOMMUFD_HWPT_FAULT_ID_VALID,
                                    SELFTEST_HWPT_DATA, sizeof(sdata), (void *)&sdata,
                                    iommufd_faultq_get_id(fq), &nested, &err) &&
         iommufd_vfio_device_attach(vfio_fd, nested, &hwpt, &err);
    check(ok && hwpt == nested, "device attached to a nested HWPT reporting to the queue", &err);

    /* a group of two faults, as the device's IOMMU would report them */
    rc = iommufd_mock_trigger_fault(iommufd, dev_id, 0, 5,
                                    IOMMUFD_FAULT_PERM_READ | IOMMUFD_FAULT_PERM_WRITE,
                                    0x40000, 2);
    check(rc == 0, "iommufd_mock_trigger_fault() queues a group of 2 faults", NULL);

    ok = iommufd_faultq_drain(fq, &batch, &err);
    check(ok && batch.n_groups == 1 && batch.n_faults == 2, "one group of 2 faults read", &err);
    if (batch.n_groups != 1) {
        printf("Bail out! %zu groups read\n", batch.n_groups);
        return 1;
    }
    const IOMMUFDFaultGroup *g = &batch.groups[0];
    check(g->dev_id == dev_id && g->grpid == 5 && !g->pasid_valid &&
          g->faults[0].addr == 0x40000 && g->faults[1].addr == 0x41000 &&
          g->faults[0].perm == (IOMMUFD_FAULT_PERM_READ | IOMMUFD_FAULT_PERM_WRITE) &&
          (g->faults[1].flags & IOMMUFD_FAULT_FLAG_LAST_PAGE),
          "the group names the device, group 5, addresses 0x40000 and 0x41000", NULL);

    ok = iommufd_faultq_respond(fq, g, IOMMUFD_PAGE_RESPONSE_SUCCESS, &err);
    check(ok && iommufd_faultq_get_responses(fq) == 1, "group answered SUCCESS", &err);
    /* answered: its cookie is gone */
    ok = iommufd_faultq_respond(fq, g, IOMMUFD_PAGE_RESPONSE_SUCCESS, &err);
    check(!ok && err && iommufd_error_get_errno(err) == EINVAL,
          "answering the group again fails with EINVAL", &err);
    ok = iommufd_faultq_drain(fq, &batch, &err);
    check(ok && batch.n_groups == 0, "the queue is empty", &err);
    iommufd_fault_batch_clear(&batch);

    ok = iommufd_vfio_device_attach(vfio_fd, ioas_id, &hwpt, &err) &&
         iommufd_backend_free_id(be, nested, &err);
    iommufd_faultq_free(fq);
    ok = ok && iommufd_backend_free_id(be, parent, &err) &&
         iommufd_vfio_device_detach(vfio_fd, &err);
    check(ok, "nested HWPT, fault queue and parent freed, device detached", &err);
    close(vfio_fd);
    ok = iommufd_backend_free_id(be, ioas_id, &err);
    check(ok && iommufd_mock_count_objects(iommufd) == 0, "no object left in the context",
          &err);
    iommufd_backend_disconnect(be);
    g_object_unref(be);
    check(iommufd_mock_count_fds() == 0, "the mock holds no fd any more", NULL);
    return n_failed ? 1 : 0;
}
