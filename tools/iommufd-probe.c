/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommufd-probe: what this machine's iommufd can do, and a walk through a
 * VMM's use of it.
 *
 *   iommufd-probe [--mock] [--trace PATTERN] features
 *   iommufd-probe [--mock] [--trace PATTERN] demo
 *
 * --mock re-runs the tool with libiommufd-mock preloaded (found next to the
 * build tree's tools/ directory, or installed beside libiommufd), so that it
 * runs with no IOMMU and no special kernel.  Exit status: 0 success,
 * 1 an operation failed, 2 usage.
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommufd/backend.h"
#include "iommufd/trace.h"
#include "iommufd/vfio.h"
#include "uapi/linux/iommufd.h"

#define MOCK_SONAME "libiommufd-mock.so"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: iommufd-probe [--mock] [--trace PATTERN] COMMAND\n"
            "\n"
            "commands:\n"
            "  features   which iommufd commands the running kernel has\n"
            "  demo       walk a VMM's path: device, IOAS, guest RAM, nesting,\n"
            "             vIOMMU, vDEVICE, vEVENTQ, fault queue, dirty tracking\n"
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

typedef int (*add_device_fn)(uint32_t, char *, size_t);
typedef int (*trigger_fault_fn)(int, uint32_t, uint32_t, uint32_t, uint32_t, uint64_t, unsigned);
typedef int (*trigger_vevent_fn)(int, uint32_t);

#define STEP(...) printf("demo: " __VA_ARGS__), printf("\n"), fflush(stdout)
#define TRY(call)                                 \
    do {                                          \
        if (!(call)) {                            \
            goto fail;                            \
        }                                         \
    } while (0)

static int cmd_demo(void)
{
    add_device_fn add_device = (add_device_fn)dlsym(RTLD_DEFAULT, "iommufd_mock_add_device");
    trigger_fault_fn trigger_fault =
        (trigger_fault_fn)dlsym(RTLD_DEFAULT, "iommufd_mock_trigger_fault");
    trigger_vevent_fn trigger_vevent =
        (trigger_vevent_fn)dlsym(RTLD_DEFAULT, "iommufd_mock_trigger_vevent");
    if (!add_device || !trigger_fault || !trigger_vevent) {
        fprintf(stderr, "iommufd-probe demo: needs the mock (run with --mock): it creates a "
                "device and triggers a fault and an event\n");
        return 1;
    }

    IOMMUFDError *err = NULL;
    IOMMUFDBackend *be = iommufd_backend_new();
    IOMMUFDFeatures f;
    char path[256];
    int vfio_fd = -1, fault_fd = -1, veventq_fd = -1;
    uint32_t dev_id = 0, ioas_id = 0, auto_hwpt = 0, parent = 0, viommu = 0, vdev = 0;
    uint32_t veventq = 0, fault_id = 0, nested = 0;
    size_t ram_size = 16 << 20;
    void *ram = MAP_FAILED;
    uint64_t ram_iova = 0;
    int rc = 1;

    TRY(iommufd_backend_connect(be, &err));
    TRY(iommufd_backend_probe(be, &f, &err));
    bool v613 = iommufd_features_has(&f, IOMMUFD_CMD_VIOMMU_ALLOC);
    bool veventq_ok = iommufd_features_has(&f, IOMMUFD_CMD_VEVENTQ_ALLOC);
    STEP("connected to /dev/iommu (fd %d); vIOMMU commands: %s", iommufd_backend_get_fd(be),
         v613 ? "yes" : "no (a 6.12 kernel)");

    int r = add_device(0, path, sizeof(path));
    if (r < 0) {
        iommufd_error_setg_errno(&err, -r, "creating a mock VFIO device failed");
        goto fail;
    }
    vfio_fd = iommufd_vfio_device_open(path, &err);
    TRY(vfio_fd >= 0);
    TRY(iommufd_backend_bind_device(be, vfio_fd, NULL, &dev_id, &err));
    STEP("VFIO device %s bound: dev_id %u", path, dev_id);

    TRY(iommufd_backend_alloc_ioas(be, &ioas_id, &err));
    TRY(iommufd_vfio_device_attach(vfio_fd, ioas_id, &auto_hwpt, &err));
    STEP("IOAS %u allocated; device attached through the kernel's HWPT %u", ioas_id, auto_hwpt);

    IOMMUFDIovaRange *ranges = NULL;
    uint32_t n_ranges = 0;
    uint64_t align = 0;
    TRY(iommufd_backend_get_iova_ranges(be, ioas_id, &ranges, &n_ranges, &align, &err));
    ram_iova = n_ranges ? (ranges[0].start + align - 1) / align * align : 0;
    g_free(ranges);
    ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED) {
        iommufd_error_setg_errno(&err, errno, "allocating guest RAM failed");
        goto fail;
    }
    TRY(iommufd_backend_map_dma(be, ioas_id, ram_iova, ram_size, ram, false, &err));
    STEP("guest RAM: %zu MiB mapped at IOVA 0x%" PRIx64 " (%u usable ranges, alignment 0x%"
         PRIx64 ")", ram_size >> 20, ram_iova, n_ranges, align);

    uint32_t type = 0, len = 0;
    uint64_t caps = 0;
    uint8_t pasid_bits = 0;
    uint8_t info[64];
    TRY(iommufd_backend_get_device_info(be, dev_id, &type, info, sizeof(info), &caps,
                                        &pasid_bits, &len, &err));
    STEP("hw info: type 0x%x, %u bytes of driver data, capabilities 0x%" PRIx64
         ", PASID width %u", type, len, caps, pasid_bits);

    TRY(iommufd_backend_alloc_hwpt(be, dev_id, ioas_id,
                                   IOMMUFD_HWPT_ALLOC_NEST_PARENT |
                                   IOMMUFD_HWPT_ALLOC_DIRTY_TRACKING,
                                   0, 0, NULL, 0, &parent, &err));
    STEP("nesting parent HWPT %u (dirty tracking)", parent);

    TRY(iommufd_backend_alloc_faultq(be, &fault_id, &fault_fd, &err));
    STEP("fault queue %u (fd %d)", fault_id, fault_fd);

    uint32_t nested_pt = parent;
    if (v613) {
        struct iommu_viommu_selftest vdata = { .in_data = 1 };
        TRY(iommufd_backend_alloc_viommu(be, dev_id, IOMMU_VIOMMU_TYPE_SELFTEST, parent, &vdata,
                                         sizeof(vdata), &viommu, &err));
        TRY(iommufd_backend_alloc_vdev(be, dev_id, viommu, 0x1, &vdev, &err));
        STEP("vIOMMU %u on HWPT %u; vDEVICE %u (virt_id 0x1)", viommu, parent, vdev);
        nested_pt = viommu;
        if (veventq_ok) {
            TRY(iommufd_backend_alloc_veventq(be, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 64,
                                              &veventq, &veventq_fd, &err));
            STEP("vEVENTQ %u (fd %d, depth 64)", veventq, veventq_fd);
        }
    } else {
        STEP("no vIOMMU on this kernel: the nested HWPT goes on the parent HWPT");
    }

    struct iommu_hwpt_selftest sdata = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
    TRY(iommufd_backend_alloc_hwpt(be, dev_id, nested_pt, IOMMUFD_HWPT_FAULT_ID_VALID,
                                   IOMMU_HWPT_DATA_SELFTEST, sizeof(sdata.iotlb), &sdata,
                                   fault_id, &nested, &err));
    uint32_t attached = 0;
    TRY(iommufd_vfio_device_attach(vfio_fd, nested, &attached, &err));
    STEP("nested HWPT %u on %u with the fault queue; device attached to it (replace)", nested,
         nested_pt);

    r = trigger_fault(iommufd_backend_get_fd(be), dev_id, 0, 7, IOMMU_PGFAULT_PERM_READ,
                      ram_iova, 1);
    if (r < 0) {
        iommufd_error_setg_errno(&err, -r, "triggering a page fault failed");
        goto fail;
    }
    STEP("page fault triggered (group 7, address 0x%" PRIx64 ")", ram_iova);
    if (veventq) {
        r = trigger_vevent(iommufd_backend_get_fd(be), dev_id);
        if (r < 0) {
            iommufd_error_setg_errno(&err, -r, "triggering a vEVENT failed");
            goto fail;
        }
        STEP("vEVENT triggered for vDEVICE %u", vdev);
    }

    /* dirty tracking for migration, on the paging HWPT the device used */
    TRY(iommufd_vfio_device_attach(vfio_fd, parent, &attached, &err));
    TRY(iommufd_backend_set_dirty_tracking(be, parent, true, &err));
    uint64_t *bitmap = g_malloc0(iommufd_dirty_bitmap_size(ram_size, 4096));
    bool ok = iommufd_backend_get_dirty_bitmap(be, parent, ram_iova, ram_size, 4096, bitmap, 0,
                                               &err);
    g_free(bitmap);
    TRY(ok);
    TRY(iommufd_backend_set_dirty_tracking(be, parent, false, &err));
    STEP("dirty tracking started, bitmap of %" PRIu64 " bytes read, stopped",
         iommufd_dirty_bitmap_size(ram_size, 4096));

    /* teardown, leaves first */
    TRY(iommufd_vfio_device_detach(vfio_fd, &err));
    TRY(iommufd_backend_free_id(be, nested, &err));
    nested = 0;
    if (veventq) {
        close(veventq_fd);
        veventq_fd = -1;
        TRY(iommufd_backend_free_id(be, veventq, &err));
        veventq = 0;
    }
    close(fault_fd);
    fault_fd = -1;
    TRY(iommufd_backend_free_id(be, fault_id, &err));
    fault_id = 0;
    if (vdev) {
        TRY(iommufd_backend_free_id(be, vdev, &err));
        vdev = 0;
    }
    if (viommu) {
        TRY(iommufd_backend_free_id(be, viommu, &err));
        viommu = 0;
    }
    TRY(iommufd_backend_free_id(be, parent, &err));
    parent = 0;
    TRY(iommufd_backend_unmap_dma(be, ioas_id, ram_iova, ram_size, NULL, &err));
    TRY(iommufd_backend_free_id(be, ioas_id, &err));
    ioas_id = 0;
    STEP("torn down: nested HWPT, vEVENTQ, fault queue, vDEVICE, vIOMMU, parent, RAM, IOAS");
    rc = 0;

fail:
    if (err) {
        fprintf(stderr, "demo: ");
        iommufd_error_report_err(err);
    }
    /* on failure, closing the device and the backend destroys the rest */
    if (veventq_fd >= 0) {
        close(veventq_fd);
    }
    if (fault_fd >= 0) {
        close(fault_fd);
    }
    if (vfio_fd >= 0) {
        close(vfio_fd);
    }
    if (ram != MAP_FAILED) {
        munmap(ram, ram_size);
    }
    iommufd_backend_disconnect(be);
    g_object_unref(be);
    return rc;
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
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    if (strcmp(cmd, "features") != 0 && strcmp(cmd, "demo") != 0) {
        fprintf(stderr, "iommufd-probe: unknown command '%s'\n", cmd);
        usage(stderr);
        return 2;
    }
    if (mock && !mock_loaded()) {
        return reexec_with_mock(argv);
    }
    if (trace && iommufd_trace_enable(trace) == 0) {
        fprintf(stderr, "iommufd-probe: --trace %s matches no event\n", trace);
        return 2;
    }
    return strcmp(cmd, "features") == 0 ? cmd_features() : cmd_demo();
}
