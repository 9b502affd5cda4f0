/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommufd-probe: what this machine's iommufd can do, and a walk through a
 * VMM's use of it.
 *
 *   iommufd-probe [--mock] [--trace PATTERN] features
 *   iommufd-probe [--mock] [--trace PATTERN] demo [VFIO_NODE]
 *
 * --mock re-runs the tool with libiommufd-mock preloaded (found next to the
 * build tree's tools/ directory, or installed beside libiommufd), so that it
 * runs with no IOMMU and no special kernel.  Exit status: 0 success,
 * 1 an operation failed, 2 usage.
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demo-walk.h"
#include "iommufd/backend.h"
#include "iommufd/trace.h"
#include "iommufd/vfio.h"
#include "uapi/linux/iommufd.h"

#define MOCK_SONAME "libiommufd-mock.so"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: iommufd-probe [--mock] [--trace PATTERN] COMMAND [ARG]\n"
            "\n"
            "commands:\n"
            "  features   which iommufd commands the running kernel has\n"
            "  demo [VFIO_NODE]\n"
            "             walk a VMM's path: device, IOAS, guest RAM, nesting,\n"
            "             vIOMMU, vDEVICE, vEVENTQ, fault queue, dirty tracking;\n"
            "             on the mock it creates the device and triggers a fault\n"
            "             and an event, on a kernel it needs a VFIO cdev node\n"
            "\n"
            "options:\n"
            "  --mock           run against libiommufd-mock instead of /dev/iommu\n"
            "  --trace PATTERN  log trace events matching PATTERN to stderr\n"
            "  -h, --help       this text\n");
}

/* ---- --mock: re-exec with the mock preloaded ------------------------------ */

static bool mock_loaded(void)
{
    return dlsym(RTLD_DEFAULT, "iommufd_mock_get_kernel") != NULL;
}

static char *find_mock(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        char *dir = g_path_get_dirname(self);
        /* the build tree: build/tools/iommufd-probe, build/tests/mock/ */
        char *cand = g_build_filename(dir, "..", "tests", "mock", MOCK_SONAME, NULL);
        g_free(dir);
        if (access(cand, R_OK) == 0) {
            return cand;
        }
        g_free(cand);
    }
    /* installed: beside libiommufd */
    Dl_info info;
    if (dladdr((void *)iommufd_backend_new, &info) && info.dli_fname) {
        char *dir = g_path_get_dirname(info.dli_fname);
        char *cand = g_build_filename(dir, MOCK_SONAME, NULL);
        g_free(dir);
        if (access(cand, R_OK) == 0) {
            return cand;
        }
        g_free(cand);
    }
    return NULL;
}

static int reexec_with_mock(char **argv)
{
    char *mock = find_mock();
    if (!mock) {
        fprintf(stderr, "iommufd-probe: --mock: %s not found in the build tree or beside "
                "libiommufd\n", MOCK_SONAME);
        return 1;
    }
    const char *old = getenv("LD_PRELOAD");
    char *pre = old && *old ? g_strdup_printf("%s:%s", mock, old) : g_strdup(mock);
    /* a sanitizer's runtime must come first in the initial library list: when
     * this program was built with one, preload it ahead of the mock */
    static const char *const runtimes[] = { "__asan_init", "__tsan_init" };
    for (size_t i = 0; i < G_N_ELEMENTS(runtimes); i++) {
        void *sym = dlsym(RTLD_DEFAULT, runtimes[i]);
        Dl_info rt;
        if (sym && dladdr(sym, &rt) && rt.dli_fname && strstr(rt.dli_fname, ".so")) {
            char *with_rt = g_strdup_printf("%s:%s", rt.dli_fname, pre);
            g_free(pre);
            pre = with_rt;
        }
    }
    setenv("LD_PRELOAD", pre, 1);
    execv("/proc/self/exe", argv);
    fprintf(stderr, "iommufd-probe: cannot re-run with the mock: %s\n", strerror(errno));
    return 1;
}

/* ---- features -------------------------------------------------------------- */

static int cmd_features(void)
{
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new();
    IOMMUFDError *err = NULL;
    IOMMUFDFeatures f;

    if (!iommufd_backend_connect(be, &err) || !iommufd_backend_probe(be, &f, &err)) {
        iommufd_error_report_err(err);
        return 1;
    }
    for (unsigned int nr = IOMMUFD_CMD_BASE; nr <= IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA; nr++) {
        printf("%-32s %-7s (Linux %s)\n", iommufd_command_name(nr),
               iommufd_features_has(&f, nr) ? "yes" : "no", iommufd_command_since(nr));
    }
    printf("%-32s %s\n", "IOMMU_TEST_CMD (selftest)", f.selftest ? "yes" : "no");
    iommufd_backend_disconnect(be);
    return 0;
}

/* ---- demo ------------------------------------------------------------------ */

/* The walk itself is in demo-walk.c (the conformance suite's fail-Nth sweep
 * runs it too). */
static int cmd_demo(const char *vfio_node)
{
    IOMMUFDError *err = NULL;
    IOMMUFDBackend *be = iommufd_backend_new();
    bool ok = iommufd_demo_walk(be, vfio_node, stdout, &err);

    if (!ok) {
        fprintf(stderr, "demo: ");
        iommufd_error_report_err(err);
    }
    g_object_unref(be);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "mock", no_argument, NULL, 'm' },
        { "trace", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool mock = false;
    const char *trace = NULL;
    int c;

    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            mock = true;
            break;
        case 't':
            trace = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    if (strcmp(cmd, "features") != 0 && strcmp(cmd, "demo") != 0) {
        fprintf(stderr, "iommufd-probe: unknown command '%s'\n", cmd);
        usage(stderr);
        return 2;
    }
    int max_args = strcmp(cmd, "demo") == 0 ? 2 : 1;
    if (argc - optind > max_args) {
        usage(stderr);
        return 2;
    }
    const char *vfio_node = argc - optind == 2 ? argv[optind + 1] : NULL;
    if (mock && !mock_loaded()) {
        return reexec_with_mock(argv);
    }
    if (trace && iommufd_trace_enable(trace) == 0) {
        fprintf(stderr, "iommufd-probe: --trace %s matches no event\n", trace);
        return 2;
    }
    return strcmp(cmd, "features") == 0 ? cmd_features() : cmd_demo(vfio_node);
}
