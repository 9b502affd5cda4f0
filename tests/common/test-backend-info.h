/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the abi and conformance suites met: the mock (preloaded, never
 * linked) or a real kernel.  Each binary prints it as its first TAP line.
 */
#ifndef IOMMUFD_TEST_BACKEND_INFO_H
#define IOMMUFD_TEST_BACKEND_INFO_H

#include <stdbool.h>

/* "mock (kernel model 6.12)" or "kernel 6.12.117"; static storage */
const char *test_backend_describe(void);
/* print "# backend: ..." and flush: call before g_test_init */
void test_backend_print(void);
bool test_backend_is_mock(void);

#endif
