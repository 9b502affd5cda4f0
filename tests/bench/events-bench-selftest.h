/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The selftest commands of events-bench.c (events-bench-selftest.c): 0 or -errno. */
#ifndef IOMMUFD_EVENTS_BENCH_SELFTEST_H
#define IOMMUFD_EVENTS_BENCH_SELFTEST_H

#include <stdbool.h>
#include <stdint.h>

#include <iommufd/backend.h>

int bench_mock_domain(int fd, uint32_t ioas, uint32_t *stdev, uint32_t *dev);
int bench_mock_domain_replace(int fd, uint32_t stdev, uint32_t pt);
/* one one-fault group (LAST_PAGE), read permission, at page @page of the aperture */
int bench_trigger_iopf(int fd, uint32_t dev, uint32_t grpid, uint64_t page);
/* a selftest nested HWPT on @parent reporting to @fault_id */
bool bench_alloc_nested(IOMMUFDBackend *be, uint32_t dev, uint32_t parent, uint32_t fault_id,
                        uint32_t *out, IOMMUFDError **errp);

#endif
