/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The selftest commands events-bench.c needs (IOMMU_TEST_CMD), in their own
 * file: the project's uapi header and <iommufd/events.h> both define
 * IOMMUFD_PAGE_RESP_SUCCESS / _INVALID and cannot share a translation unit.
 */
#include <errno.h>
#include <sys/ioctl.h>

#include <iommufd/backend.h>

#include "events-bench-selftest.h"
#include "uapi/linux/iommufd.h"

static int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
    cmd->size = sizeof(*cmd);
    return ioctl(fd, IOMMU_TEST_CMD, cmd) == 0 ? 0 : -errno;
}

int bench_mock_domain(int fd, uint32_t ioas, uint32_t *stdev, uint32_t *dev)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = ioas };
    int r = test_cmd(fd, &c);
    if (r == 0) {
        *stdev = c.mock_domain.out_stdev_id;
        *dev = c.mock_domain.out_idev_id;
    }
    return r;
}

int bench_mock_domain_replace(int fd, uint32_t stdev, uint32_t pt)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev };
    c.mock_domain_replace.pt_id = pt;
    return test_cmd(fd, &c);
}

int bench_trigger_iopf(int fd, uint32_t dev, uint32_t grpid, uint64_t page)
{
    struct iommu_test_cmd c = { .op = IOMMU_TEST_OP_TRIGGER_IOPF };
    c.trigger_iopf.dev_id = dev;
    c.trigger_iopf.grpid = grpid;
    c.trigger_iopf.perm = IOMMU_PGFAULT_PERM_READ;
    c.trigger_iopf.addr = (uint64_t)MOCK_APERTURE_START + page * 4096;
    return test_cmd(fd, &c);
}

bool bench_alloc_nested(IOMMUFDBackend *be, uint32_t dev, uint32_t parent, uint32_t fault_id,
                        uint32_t *out, IOMMUFDError **errp)
{
    /* only the selftest data's first field, which every kernel takes */
    struct iommu_hwpt_selftest sd = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    return iommufd_backend_alloc_hwpt(be, dev, parent, IOMMUFD_HWPT_FAULT_ID_VALID,
                                      IOMMU_HWPT_DATA_SELFTEST, sizeof(sd.iotlb), &sd,
                                      fault_id, out, errp);
}
