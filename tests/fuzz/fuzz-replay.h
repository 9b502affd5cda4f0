/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The replay main() of a fuzz target built with -DFUZZ_REPLAY (any
 * compiler): each file given is run once through LLVMFuzzerTestOneInput(),
 * as libFuzzer does with file arguments; TAP, one test per file.  Include it
 * at the end of the target, after defining FUZZ_REPLAY_WHAT, the text of a
 * passing line (what the target's checks established).
 */
#ifndef IOMMUFD_TESTS_FUZZ_REPLAY_H
#define IOMMUFD_TESTS_FUZZ_REPLAY_H

#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    printf("1..%d\n", argc - 1);
    for (int i = 1; i < argc; i++) {
        gchar *data = NULL;
        gsize len = 0;
        GError *gerr = NULL;
        if (!g_file_get_contents(argv[i], &data, &len, &gerr)) {
            printf("not ok %d - %s # %s\n", i, argv[i], gerr->message);
            g_error_free(gerr);
            continue;
        }
        /* an exact-size block, so that valgrind and ASan see reads past it */
        uint8_t *exact = malloc(len ? len : 1);
        if (!exact) {
            fprintf(stderr, "fuzz replay: out of memory\n");
            abort();
        }
        memcpy(exact, data, len);
        g_free(data);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
        const char *base = strrchr(argv[i], '/');
        printf("ok %d - %s (%zu bytes): %s\n", i, base ? base + 1 : argv[i], (size_t)len,
               FUZZ_REPLAY_WHAT);
    }
    return 0;
}

#endif
