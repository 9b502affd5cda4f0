/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test-backend-info.h"

#include <dlfcn.h>
#include <stdio.h>
#include <sys/utsname.h>

/* The mock's API, looked up at run time: these binaries never link it. */
typedef int (*get_kernel_fn)(void);
typedef const char *(*kernel_name_fn)(int);

bool test_backend_is_mock(void)
{
    return dlsym(RTLD_DEFAULT, "iommufd_mock_get_kernel") != NULL;
}

const char *test_backend_describe(void)
{
    static char buf[160];
    get_kernel_fn get = (get_kernel_fn)dlsym(RTLD_DEFAULT, "iommufd_mock_get_kernel");
    kernel_name_fn name = (kernel_name_fn)dlsym(RTLD_DEFAULT, "iommufd_mock_kernel_name");

    if (get && name) {
        snprintf(buf, sizeof(buf), "mock (kernel model %s)", name(get()));
    } else {
        struct utsname u;
        snprintf(buf, sizeof(buf), "kernel %s", uname(&u) == 0 ? u.release : "unknown");
    }
    return buf;
}

void test_backend_print(void)
{
    printf("# backend: %s\n", test_backend_describe());
    fflush(stdout);
}
