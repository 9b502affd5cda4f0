/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linking libiommufd must not load liblttng-ust (the tracer) into a program
 * that does not trace: the LTTng-UST probes live in libiommufd-ust.so, which
 * only a tracing program loads.  With --expect-loaded (run with that provider
 * preloaded) the same check must see the tracer: the check can fail.
 */
#include <stdio.h>
#include <string.h>
#include "iommufd/trace.h"

static int mapped(const char *needle)
{
    char line[4096];
    int found = 0;
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f) {
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        if (strstr(line, needle)) {
            found = 1;
        }
    }
    fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    int expect = argc > 1 && strcmp(argv[1], "--expect-loaded") == 0;

    printf("1..2\n");
    /* the library is really in use */
    size_t n = iommufd_trace_list(NULL, NULL);
    printf("%s 1 - libiommufd is loaded and lists %zu events\n",
           n > 0 && mapped("/libiommufd.so") == 1 ? "ok" : "not ok", n);
    int ust = mapped("/liblttng-ust.so");
    printf("%s 2 - liblttng-ust.so is %s\n", ust == expect ? "ok" : "not ok",
           ust == 1 ? "loaded" : "not loaded");
    return ust == expect ? 0 : 1;
}
