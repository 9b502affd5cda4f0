/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ioctl stand-in of the gate benchmark: in its own translation unit and
 * noinline/noipa, so that the helper calling it keeps the shape it has with
 * a real ioctl (the struct escapes, outputs are read back from memory).
 */
#include "bench-helper.h"

#include <errno.h>

BENCH_OPAQUE_FN
int bench_ioctl(int fd, unsigned long request, void *arg)
{
    struct bench_ioas_map *map = arg;

    if (fd < 0 || request != BENCH_IOAS_MAP || map->size < sizeof(*map)) {
        errno = EINVAL;
        return -1;
    }
    map->out_id = map->ioas_id + 1;
    if (!(map->flags & BENCH_MAP_FIXED_IOVA)) {
        map->iova = map->user_va & ~UINT64_C(0xfff);
    }
    return 0;
}
