/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fires every test event once with known values (tests/lttng/run-lttng-test). */
#include <stdint.h>
#include "tests/trace-test.h"

int main(void)
{
    trace_test_noargs();
    trace_test_u32(7);
    trace_test_ints(-8, -16, -32, -64, 8, 16, UINT64_C(18446744073709551615), true);
    trace_test_hex(UINT64_C(0xfffff000), 0x3, (void *)(uintptr_t)0x1234);
    trace_test_str("/dev/iommu", -2);
    trace_test_c_types(4096, -1, 10, -10, 20, -20, 255, 65535);
    trace_test_percent(50);
    trace_test_ten(0, 1, 2, 3, 4, 0xa5, 6, 0xa7, -8, "nine");
    trace_test_disabled(1);
    return 0;
}
