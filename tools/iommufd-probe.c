/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * iommufd-probe: what this machine's iommufd can do, and a walk through a
 * VMM's use of it.
 *
 *   iommufd-probe [--mock] [--trace PATTERN] [--json] features
 *   iommufd-probe [--mock] [--trace PATTERN] [--json] ranges [--device PATH]
 *   iommufd-probe [--mock] [--trace PATTERN] [--json] hw-info --device PATH
 *   iommufd-probe [--mock] [--trace PATTERN] [--json] demo [VFIO_NODE]
 *
 * --mock re-runs the tool with libiommufd-mock preloaded (found next to the
 * build tree's tools/ directory, or installed beside libiommufd), so that it
 * runs with no IOMMU and no special kernel.  --json prints one JSON object
 * (keys documented in iommufd-probe.1) instead of text.  Exit status:
 * 0 success, 1 an operation failed, 2 usage.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
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
#define EXIT_USAGE 2

/* ---- usage ------------------------------------------------------------------- */

typedef struct Command Command;
typedef int (*CommandFn)(const Command *cmd, const char *device);

struct Command {
    const char *name;
    const char *synopsis;   /* after the name */
    const char *summary;
    bool device;            /* takes --device */
    bool device_required;
    bool positional_device; /* takes [VFIO_NODE] as well (demo) */
    CommandFn fn;
};

static int cmd_features(const Command *cmd, const char *device);
static int cmd_ranges(const Command *cmd, const char *device);
static int cmd_hw_info(const Command *cmd, const char *device);
static int cmd_demo(const Command *cmd, const char *device);

static const Command commands[] = {
    { "features", "", "which iommufd commands the running kernel has",
      false, false, false, cmd_features },
    { "ranges", "[--device PATH]",
      "the usable IOVA ranges and the IOVA alignment of a fresh IOAS; with\n"
      "             --device, of one with that VFIO cdev device attached",
      true, false, false, cmd_ranges },
    { "hw-info", "--device PATH",
      "bind a VFIO cdev device and print its IOMMU: type, capabilities,\n"
      "             PASID width and the driver's data, decoded",
      true, true, false, cmd_hw_info },
    { "demo", "[--device PATH | VFIO_NODE]",
      "walk a VMM's path: device, IOAS, guest RAM, nesting,\n"
      "             vIOMMU, vDEVICE, vEVENTQ, fault queue, dirty tracking;\n"
      "             on the mock it creates the device and triggers a fault\n"
      "             and an event, on a kernel it needs a VFIO cdev node",
      true, false, true, cmd_demo },
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: iommufd-probe [--mock] [--trace PATTERN] [--json] COMMAND [ARGS]\n"
            "       iommufd-probe COMMAND --help\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        const Command *c = &commands[i];
        if (*c->synopsis) {
            fprintf(out, "  %s %s\n             %s\n", c->name, c->synopsis, c->summary);
        } else {
            fprintf(out, "  %-10s %s\n", c->name, c->summary);
        }
    }
    fprintf(out,
            "\n"
            "options:\n"
            "  --mock           run against libiommufd-mock instead of /dev/iommu\n"
            "  --trace PATTERN  log trace events matching PATTERN to stderr\n"
            "  --json           print one JSON object instead of text\n"
            "  --device PATH    the VFIO cdev node (ranges, hw-info, demo)\n"
            "  -h, --help       this text\n"
            "\n"
            "exit status: 0 success, 1 an operation failed, 2 usage\n");
}

static void usage_command(FILE *out, const Command *c)
{
    fprintf(out,
            "usage: iommufd-probe [--mock] [--trace PATTERN] [--json] %s%s%s\n"
            "\n"
            "  %s\n"
            "\n"
            "options:\n",
            c->name, *c->synopsis ? " " : "", c->synopsis, c->summary);
    if (c->device) {
        fprintf(out, "  --device PATH    the VFIO cdev node (e.g. /dev/vfio/devices/vfio0)%s\n",
                c->device_required ? "; required" : "");
    }
    fprintf(out,
            "  --json           print one JSON object instead of text\n"
            "  -h, --help       this text\n");
}

/* ---- JSON: a small emitter ------------------------------------------------------ */

/*
 * Writes one pretty-printed JSON value into a GString.  Keys are given with
 * each member (NULL inside arrays); commas and indentation are handled here.
 * Strings are escaped (quote, backslash, control characters) and kept valid
 * UTF-8 (an invalid byte becomes U+FFFD).  Integers are written exactly, as
 * JSON numbers.
 */
#define JSON_MAX_DEPTH 16

typedef struct Json {
    GString *s;
    int depth;
    bool has_members[JSON_MAX_DEPTH];
} Json;

static void json_string_raw(Json *j, const char *str)
{
    g_string_append_c(j->s, '"');
    for (const char *p = str; *p;) {
        gunichar c = g_utf8_get_char_validated(p, -1);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            g_string_append(j->s, "\\ufffd");
            p++;
            continue;
        }
        const char *next = g_utf8_next_char(p);
        /* JSON's two-character escapes; other control characters as \u00XX */
        static const char *const short_esc[128] = {
            ['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n", ['\t'] = "\\t", ['\r'] = "\\r",
        };
        if (c < 128 && short_esc[c]) {
            g_string_append(j->s, short_esc[c]);
        } else if (c < 0x20 || c == 0x7f) {
            g_string_append_printf(j->s, "\\u%04x", (unsigned int)c);
        } else {
            g_string_append_len(j->s, p, next - p);
        }
        p = next;
    }
    g_string_append_c(j->s, '"');
}

/* the separator, indentation and key of the next member */
static void json_member(Json *j, const char *key)
{
    if (j->depth > 0) {
        g_string_append(j->s, j->has_members[j->depth] ? ",\n" : "\n");
        j->has_members[j->depth] = true;
        for (int i = 0; i < j->depth; i++) {
            g_string_append(j->s, "  ");
        }
    }
    if (key) {
        json_string_raw(j, key);
        g_string_append(j->s, ": ");
    }
}

static void json_open(Json *j, const char *key, char bracket)
{
    json_member(j, key);
    g_string_append_c(j->s, bracket);
    g_assert(j->depth + 1 < JSON_MAX_DEPTH);
    j->depth++;
    j->has_members[j->depth] = false;
}

static void json_close(Json *j, char bracket)
{
    bool had = j->has_members[j->depth];
    j->depth--;
    if (had) {
        g_string_append_c(j->s, '\n');
        for (int i = 0; i < j->depth; i++) {
            g_string_append(j->s, "  ");
        }
    }
    g_string_append_c(j->s, bracket);
    if (j->depth == 0) {
        g_string_append_c(j->s, '\n');
    }
}

static void json_object(Json *j, const char *key)
{
    json_open(j, key, '{');
}

static void json_object_end(Json *j)
{
    json_close(j, '}');
}

static void json_array(Json *j, const char *key)
{
    json_open(j, key, '[');
}

static void json_array_end(Json *j)
{
    json_close(j, ']');
}

static void json_str(Json *j, const char *key, const char *val)
{
    json_member(j, key);
    if (val) {
        json_string_raw(j, val);
    } else {
        g_string_append(j->s, "null");
    }
}

static void json_uint(Json *j, const char *key, uint64_t val)
{
    json_member(j, key);
    g_string_append_printf(j->s, "%" PRIu64, val);
}

static void json_int(Json *j, const char *key, int64_t val)
{
    json_member(j, key);
    g_string_append_printf(j->s, "%" PRId64, val);
}

static void json_bool(Json *j, const char *key, bool val)
{
    json_member(j, key);
    g_string_append(j->s, val ? "true" : "false");
}

static void json_null(Json *j, const char *key)
{
    json_member(j, key);
    g_string_append(j->s, "null");
}

/* ---- the options every command shares ------------------------------------------- */

static bool opt_json;

static bool mock_loaded(void)
{
    return dlsym(RTLD_DEFAULT, "iommufd_mock_get_kernel") != NULL;
}

/* The start of every JSON output: which command, and whether the mock answered. */
static void json_begin(Json *j, const Command *cmd)
{
    j->s = g_string_new(NULL);
    j->depth = 0;
    json_object(j, NULL);
    json_str(j, "command", cmd->name);
    json_bool(j, "mock", mock_loaded());
}

/* Close the top-level object and print it. */
static void json_finish(Json *j)
{
    json_object_end(j);
    fputs(j->s->str, stdout);
    fflush(stdout);
    g_string_free(j->s, TRUE);
    j->s = NULL;
}

/*
 * A failed operation: in JSON mode an "error" member (message, hint, errno)
 * closes the output; in every mode the message and its hint go to stderr,
 * prefixed by the command's name.  Frees @p err.  Returns the exit status 1.
 */
static int fail(const Command *cmd, Json *j, IOMMUFDError *err)
{
    if (j && j->s) {
        int e = iommufd_error_get_errno(err);
        json_object(j, "error");
        json_str(j, "message", iommufd_error_get_pretty(err));
        json_str(j, "hint", iommufd_error_get_hint(err));
        json_int(j, "errno", e);
        json_str(j, "errno_name", e ? strerrorname_np(e) : NULL);
        json_object_end(j);
        json_finish(j);
    }
    iommufd_error_prepend(&err, "%s: ", cmd->name);
    iommufd_error_report_err(err);
    return 1;
}

/* ---- --mock: re-exec with the mock preloaded ------------------------------------ */

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
        fprintf(stderr, "iommufd-probe: --mock: %s not found in the build tree (tests/mock/) "
                "or beside libiommufd; build or install libiommufd-mock\n", MOCK_SONAME);
        return 1;
    }
    const char *old = getenv("LD_PRELOAD");
    char *pre = old && *old ? g_strdup_printf("%s:%s", mock, old) : g_strdup(mock);
    g_free(mock);
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
    g_free(pre);
    execv("/proc/self/exe", argv);
    fprintf(stderr, "iommufd-probe: cannot re-run with the mock: %s\n", strerror(errno));
    return 1;
}

/* ---- features ------------------------------------------------------------------- */

static int cmd_features(const Command *cmd, const char *device)
{
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new();
    IOMMUFDError *err = NULL;
    IOMMUFDFeatures f;
    Json j = { 0 };

    (void)device;
    if (opt_json) {
        json_begin(&j, cmd);
    }
    if (!iommufd_backend_connect(be, &err)) {
        return fail(cmd, &j, err);
    }
    if (!iommufd_backend_probe(be, &f, &err)) {
        iommufd_backend_disconnect(be);
        return fail(cmd, &j, err);
    }
    if (opt_json) {
        json_bool(&j, "selftest", f.selftest);
        json_array(&j, "commands");
    }
    for (unsigned int nr = IOMMUFD_CMD_BASE; nr <= IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA; nr++) {
        if (opt_json) {
            json_object(&j, NULL);
            json_str(&j, "name", iommufd_command_name(nr));
            json_uint(&j, "nr", nr);
            json_bool(&j, "present", iommufd_features_has(&f, nr));
            json_str(&j, "since", iommufd_command_since(nr));
            json_object_end(&j);
        } else {
            printf("%-32s %-7s (Linux %s)\n", iommufd_command_name(nr),
                   iommufd_features_has(&f, nr) ? "yes" : "no", iommufd_command_since(nr));
        }
    }
    if (opt_json) {
        json_array_end(&j);
        json_finish(&j);
    } else {
        printf("%-32s %s\n", "IOMMU_TEST_CMD (selftest)", f.selftest ? "yes" : "no");
    }
    iommufd_backend_disconnect(be);
    return 0;
}

/* ---- a bound device, for ranges and hw-info -------------------------------------- */

typedef struct Device {
    const char *path;
    int fd;
    uint32_t dev_id;
} Device;

static bool device_bind(IOMMUFDBackend *be, Device *d, const char *path, IOMMUFDError **errp)
{
    d->path = path;
    d->fd = iommufd_vfio_device_open(path, errp);
    if (d->fd < 0) {
        return false;
    }
    if (!iommufd_backend_bind_device(be, d->fd, NULL, &d->dev_id, errp)) {
        close(d->fd);
        d->fd = -1;
        return false;
    }
    return true;
}

/* closing the fd unbinds the device */
static void device_close(Device *d)
{
    if (d->fd >= 0) {
        close(d->fd);
        d->fd = -1;
    }
}

/* ---- ranges --------------------------------------------------------------------- */

static char *human_size(uint64_t start, uint64_t last)
{
    static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    if (start == 0 && last == UINT64_MAX) {
        return g_strdup("16 EiB");
    }
    uint64_t n = last - start + 1;
    size_t u = 0;
    while (u + 1 < G_N_ELEMENTS(units) && n >= 1024 && n % 1024 == 0) {
        n /= 1024;
        u++;
    }
    return g_strdup_printf("%" PRIu64 " %s", n, units[u]);
}

static int cmd_ranges(const Command *cmd, const char *device)
{
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new();
    IOMMUFDError *err = NULL;
    Device d = { .fd = -1 };
    IOMMUFDIovaRange *ranges = NULL;
    uint32_t n = 0, ioas_id = 0, hwpt_id = 0;
    uint64_t align = 0;
    bool have_ioas = false, attached = false, ok = false;
    Json j = { 0 };

    if (opt_json) {
        json_begin(&j, cmd);
        json_str(&j, "device", device);
    }
    if (!iommufd_backend_connect(be, &err)) {
        return fail(cmd, &j, err);
    }
    if (device && !device_bind(be, &d, device, &err)) {
        goto out;
    }
    if (!iommufd_backend_alloc_ioas(be, &ioas_id, &err)) {
        goto out;
    }
    have_ioas = true;
    if (device) {
        if (!iommufd_vfio_device_attach(d.fd, ioas_id, &hwpt_id, &err)) {
            goto out;
        }
        attached = true;
    }
    if (!iommufd_backend_get_iova_ranges(be, ioas_id, &ranges, &n, &align, &err)) {
        goto out;
    }
    ok = true;

    if (opt_json) {
        if (device) {
            json_uint(&j, "dev_id", d.dev_id);
            json_uint(&j, "hwpt_id", hwpt_id);
        } else {
            json_null(&j, "dev_id");
            json_null(&j, "hwpt_id");
        }
        json_uint(&j, "ioas_id", ioas_id);
        json_uint(&j, "alignment", align);
        json_array(&j, "ranges");
        for (uint32_t i = 0; i < n; i++) {
            json_object(&j, NULL);
            json_uint(&j, "start", ranges[i].start);
            json_uint(&j, "last", ranges[i].last);
            json_object_end(&j);
        }
        json_array_end(&j);
        json_finish(&j);
    } else {
        if (device) {
            printf("IOAS %u with device %s (dev_id %u) attached through HWPT %u\n", ioas_id,
                   device, d.dev_id, hwpt_id);
        } else {
            printf("IOAS %u (fresh, no device attached)\n", ioas_id);
        }
        printf("usable IOVA ranges: %u\n", n);
        for (uint32_t i = 0; i < n; i++) {
            char *size = human_size(ranges[i].start, ranges[i].last);
            printf("  0x%016" PRIx64 " - 0x%016" PRIx64 "  (%s)\n", ranges[i].start,
                   ranges[i].last, size);
            g_free(size);
        }
        printf("IOVA alignment: 0x%" PRIx64 " (%" PRIu64 " byte%s)\n", align, align,
               align == 1 ? "" : "s");
    }

out:
    /* teardown, leaves first; its errors after a success are reported too */
    g_free(ranges);
    if (attached && !iommufd_vfio_device_detach(d.fd, ok ? &err : NULL)) {
        ok = false;
    }
    if (have_ioas && !iommufd_backend_free_id(be, ioas_id, err ? NULL : &err)) {
        ok = false;
    }
    device_close(&d);
    iommufd_backend_disconnect(be);
    if (!ok) {
        if (j.s) {
            return fail(cmd, &j, err);
        }
        /* a teardown failure after JSON was printed: stderr only */
        return fail(cmd, NULL, err);
    }
    return 0;
}

/* ---- hw-info -------------------------------------------------------------------- */

static const char *hw_info_type_name(uint32_t type)
{
    switch (type) {
    case IOMMU_HW_INFO_TYPE_NONE:
        return "none";
    case IOMMU_HW_INFO_TYPE_INTEL_VTD:
        return "intel-vtd";
    case IOMMU_HW_INFO_TYPE_ARM_SMMUV3:
        return "arm-smmuv3";
    case IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV:
        return "tegra241-cmdqv";
    case IOMMU_HW_INFO_TYPE_AMD:
        return "amd";
    case IOMMU_HW_INFO_TYPE_SELFTEST:
        return "selftest";
    default:
        return "unknown";
    }
}

typedef struct FlagName {
    uint64_t bit;
    const char *name;
} FlagName;

static const FlagName cap_names[] = {
    { IOMMU_HW_CAP_DIRTY_TRACKING, "dirty-tracking" },
    { IOMMU_HW_CAP_PCI_PASID_EXEC, "pci-pasid-exec" },
    { IOMMU_HW_CAP_PCI_PASID_PRIV, "pci-pasid-priv" },
    { IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, "pci-ats-not-supported" },
};

static const FlagName vtd_flag_names[] = {
    { IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17, "errata-772415-spr17" },
};

static const FlagName smmuv3_flag_names[] = {
    { IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI, "errata-repeat-tlbi-cfgi" },
};

/* The names of the bits set in @p val; an unknown bit is "bit N".  A new
 * NULL-terminated array of new strings. */
static char **flag_names(uint64_t val, const FlagName *names, size_t n_names)
{
    GPtrArray *a = g_ptr_array_new();
    for (unsigned int b = 0; b < 64; b++) {
        uint64_t bit = (uint64_t)1 << b;
        if (!(val & bit)) {
            continue;
        }
        const char *name = NULL;
        for (size_t i = 0; i < n_names; i++) {
            if (names[i].bit == bit) {
                name = names[i].name;
            }
        }
        g_ptr_array_add(a, name ? g_strdup(name) : g_strdup_printf("bit %u", b));
    }
    g_ptr_array_add(a, NULL);
    return (char **)g_ptr_array_free(a, FALSE);
}

/* a flags word as a value and its names, in JSON or as a text line */
static void print_flags(Json *j, const char *key, const char *names_key, const char *label,
                        uint64_t val, const FlagName *names, size_t n_names)
{
    char **list = flag_names(val, names, n_names);
    if (j) {
        json_uint(j, key, val);
        json_array(j, names_key);
        for (char **p = list; *p; p++) {
            json_str(j, NULL, *p);
        }
        json_array_end(j);
    } else {
        char *joined = g_strjoinv(", ", list);
        printf("%s0x%" PRIx64 "%s%s%s\n", label, val, *list ? " (" : " (none", joined, ")");
        g_free(joined);
    }
    g_strfreev(list);
}

static uint32_t le32_at(const uint8_t *data, size_t off)
{
    uint32_t v;
    memcpy(&v, data + off, sizeof(v));
    return v;
}

static uint64_t le64_at(const uint8_t *data, size_t off)
{
    uint64_t v;
    memcpy(&v, data + off, sizeof(v));
    return v;
}

/* The driver data, decoded for the types the tool knows, with the kernel's
 * structs (shorter data from an older kernel reads as zero, as the kernel
 * zero-fills). */
static void print_driver_data(Json *j, uint32_t type, const uint8_t *data)
{
    switch (type) {
    case IOMMU_HW_INFO_TYPE_INTEL_VTD:
        print_flags(j, "flags", "flag_names", "  flags:    ", le32_at(data, 0), vtd_flag_names,
                    G_N_ELEMENTS(vtd_flag_names));
        if (j) {
            json_uint(j, "cap_reg", le64_at(data, offsetof(struct iommu_hw_info_vtd, cap_reg)));
            json_uint(j, "ecap_reg", le64_at(data, offsetof(struct iommu_hw_info_vtd, ecap_reg)));
        } else {
            printf("  cap_reg:  0x%016" PRIx64 "\n",
                   le64_at(data, offsetof(struct iommu_hw_info_vtd, cap_reg)));
            printf("  ecap_reg: 0x%016" PRIx64 "\n",
                   le64_at(data, offsetof(struct iommu_hw_info_vtd, ecap_reg)));
        }
        break;
    case IOMMU_HW_INFO_TYPE_ARM_SMMUV3: {
        size_t idr = offsetof(struct iommu_hw_info_arm_smmuv3, idr);
        print_flags(j, "flags", "flag_names", "  flags: ", le32_at(data, 0), smmuv3_flag_names,
                    G_N_ELEMENTS(smmuv3_flag_names));
        if (j) {
            json_array(j, "idr");
            for (int i = 0; i < 6; i++) {
                json_uint(j, NULL, le32_at(data, idr + 4 * i));
            }
            json_array_end(j);
            json_uint(j, "iidr", le32_at(data, offsetof(struct iommu_hw_info_arm_smmuv3, iidr)));
            json_uint(j, "aidr", le32_at(data, offsetof(struct iommu_hw_info_arm_smmuv3, aidr)));
        } else {
            for (int i = 0; i < 6; i++) {
                printf("  idr[%d]: 0x%08x\n", i, le32_at(data, idr + 4 * i));
            }
            printf("  iidr:   0x%08x\n",
                   le32_at(data, offsetof(struct iommu_hw_info_arm_smmuv3, iidr)));
            printf("  aidr:   0x%08x\n",
                   le32_at(data, offsetof(struct iommu_hw_info_arm_smmuv3, aidr)));
        }
        break;
    }
    case IOMMU_HW_INFO_TYPE_SELFTEST:
        print_flags(j, "flags", "flag_names", "  flags:    ", le32_at(data, 0), NULL, 0);
        if (j) {
            json_uint(j, "test_reg",
                      le32_at(data, offsetof(struct iommu_test_hw_info, test_reg)));
        } else {
            printf("  test_reg: 0x%08x\n",
                   le32_at(data, offsetof(struct iommu_test_hw_info, test_reg)));
        }
        break;
    default:
        /* raw hex only (the "raw" key / the hex dump) */
        break;
    }
}

static char *hex_string(const uint8_t *data, uint32_t len)
{
    GString *s = g_string_sized_new(2 * len + 1);
    for (uint32_t i = 0; i < len; i++) {
        g_string_append_printf(s, "%02x", data[i]);
    }
    return g_string_free(s, FALSE);
}

static int cmd_hw_info(const Command *cmd, const char *device)
{
    g_autoptr(IOMMUFDBackend) be = iommufd_backend_new();
    IOMMUFDError *err = NULL;
    Device d = { .fd = -1 };
    uint32_t len = 64, out_len = 0, type = 0;
    uint64_t caps = 0;
    uint8_t pasid_log2 = 0;
    g_autofree uint8_t *data = NULL;
    Json j = { 0 };

    if (opt_json) {
        json_begin(&j, cmd);
        json_str(&j, "device", device);
    }
    if (!iommufd_backend_connect(be, &err)) {
        return fail(cmd, &j, err);
    }
    if (!device_bind(be, &d, device, &err)) {
        iommufd_backend_disconnect(be);
        return fail(cmd, &j, err);
    }
    /* the kernel says how long its data is: ask again when it did not fit */
    for (;;) {
        g_free(data);
        data = g_malloc0(len);
        type = 0;
        if (!iommufd_backend_get_device_info(be, d.dev_id, &type, data, len, &caps,
                                             &pasid_log2, &out_len, &err)) {
            device_close(&d);
            iommufd_backend_disconnect(be);
            return fail(cmd, &j, err);
        }
        if (out_len <= len || len >= 65536) {
            break;
        }
        len = out_len < 65536 ? out_len : 65536;
    }
    /* what the buffer holds of it (a longer buffer is zero-filled) */
    uint32_t shown = out_len < len ? out_len : len;
    /* the decoders read whole structs: the rest of the buffer is zero */
    if (len < 256) {
        data = g_realloc(data, 256);
        memset(data + len, 0, 256 - len);
    }
    char *raw = hex_string(data, shown);

    if (opt_json) {
        json_uint(&j, "dev_id", d.dev_id);
        json_uint(&j, "type", type);
        json_str(&j, "type_name", hw_info_type_name(type));
        print_flags(&j, "capabilities", "capability_names", NULL, caps, cap_names,
                    G_N_ELEMENTS(cap_names));
        json_uint(&j, "max_pasid_log2", pasid_log2);
        json_uint(&j, "data_len", out_len);
        json_object(&j, "data");
        print_driver_data(&j, type, data);
        json_str(&j, "raw", raw);
        json_object_end(&j);
        json_finish(&j);
    } else {
        printf("device: %s (dev_id %u)\n", device, d.dev_id);
        printf("IOMMU type: %s (%u, 0x%x)\n", hw_info_type_name(type), type, type);
        print_flags(NULL, "capabilities", NULL, "capabilities: ", caps, cap_names,
                    G_N_ELEMENTS(cap_names));
        if (pasid_log2) {
            printf("max_pasid_log2: %u (PASIDs 0 to 0x%" PRIx64 ")\n", pasid_log2,
                   ((uint64_t)1 << pasid_log2) - 1);
        } else {
            printf("max_pasid_log2: 0 (no PASID support)\n");
        }
        printf("driver data: %u bytes\n", out_len);
        print_driver_data(NULL, type, data);
        printf("  raw: %s\n", shown ? raw : "(none)");
    }
    g_free(raw);
    device_close(&d);
    iommufd_backend_disconnect(be);
    return 0;
}

/* ---- demo ----------------------------------------------------------------------- */

/* The walk itself is in demo-walk.c (the conformance suite's fail-Nth sweep
 * runs it too).  With --json its step lines become the "steps" array. */
static int cmd_demo(const Command *cmd, const char *vfio_node)
{
    IOMMUFDError *err = NULL;
    IOMMUFDBackend *be = iommufd_backend_new();
    char *buf = NULL;
    size_t size = 0;
    FILE *out = opt_json ? open_memstream(&buf, &size) : stdout;
    Json j = { 0 };

    if (!out) {
        g_object_unref(be);
        fprintf(stderr, "%s: cannot collect the steps in memory: %s\n", cmd->name,
                strerror(errno));
        return 1;
    }
    bool ok = iommufd_demo_walk(be, vfio_node, out, &err);
    g_object_unref(be);
    if (!opt_json) {
        return ok ? 0 : fail(cmd, NULL, err);
    }
    fclose(out);
    json_begin(&j, cmd);
    json_str(&j, "device", vfio_node);
    json_array(&j, "steps");
    char **lines = g_strsplit(buf ? buf : "", "\n", -1);
    for (char **l = lines; *l; l++) {
        if (**l) {
            json_str(&j, NULL, g_str_has_prefix(*l, "demo: ") ? *l + 6 : *l);
        }
    }
    g_strfreev(lines);
    free(buf);
    json_array_end(&j);
    if (!ok) {
        return fail(cmd, &j, err);
    }
    json_finish(&j);
    return 0;
}

/* ---- main ----------------------------------------------------------------------- */

static const Command *find_command(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

static int usage_error(const char *fmt, const char *arg, const Command *cmd)
{
    fputs("iommufd-probe: ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    if (cmd) {
        usage_command(stderr, cmd);
    } else {
        usage(stderr);
    }
    return EXIT_USAGE;
}

/* getopt's "unrecognized option" text would say argv[0]; say it ourselves */
static const char *bad_option(char **argv)
{
    const char *arg = argv[optind - 1];
    return arg ? arg : "?";
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "mock", no_argument, NULL, 'm' },
        { "trace", required_argument, NULL, 't' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const struct option cmd_opts[] = {
        { "device", required_argument, NULL, 'd' },
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool mock = false;
    const char *trace = NULL, *device = NULL;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            mock = true;
            break;
        case 't':
            trace = optarg;
            break;
        case 'j':
            opt_json = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            return usage_error("option '%s' needs an argument", bad_option(argv), NULL);
        default:
            if (optopt == 't') {
                return usage_error("option '%s' needs an argument", bad_option(argv), NULL);
            }
            return usage_error("unknown option '%s'", bad_option(argv), NULL);
        }
    }
    if (optind >= argc) {
        return usage_error("%s", "no command given", NULL);
    }
    const Command *cmd = find_command(argv[optind]);
    if (!cmd) {
        return usage_error("unknown command '%s'", argv[optind], NULL);
    }

    /* the command's own options, from the argument after its name */
    int cmd_argc = argc - optind;
    char **cmd_argv = argv + optind;
    optind = 1;
    while ((c = getopt_long(cmd_argc, cmd_argv, "+h", cmd_opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (!cmd->device) {
                return usage_error("%s takes no --device", cmd->name, cmd);
            }
            device = optarg;
            break;
        case 'j':
            opt_json = true;
            break;
        case 'h':
            usage_command(stdout, cmd);
            return 0;
        default:
            if (optopt == 'd') {
                return usage_error("option '%s' needs an argument", cmd_argv[optind - 1], cmd);
            }
            return usage_error("unknown option '%s'", cmd_argv[optind - 1], cmd);
        }
    }
    int rest = cmd_argc - optind;
    if (cmd->positional_device && rest == 1 && !device) {
        device = cmd_argv[optind];
    } else if (rest > 0) {
        return usage_error("unexpected argument '%s'", cmd_argv[optind], cmd);
    }
    if (cmd->device_required && !device) {
        return usage_error("%s needs --device PATH (a VFIO cdev node, e.g. "
                           "/dev/vfio/devices/vfio0)", cmd->name, cmd);
    }
    if (device && !*device) {
        return usage_error("%s: --device wants a path, not an empty string", cmd->name, cmd);
    }

    if (mock && !mock_loaded()) {
        /* a device node to name: /dev/null/iommufd-mock/vfio0 (docs/mock.md) */
        if (device && !getenv("IOMMUFD_MOCK_DEVICES") && cmd->fn != cmd_demo) {
            setenv("IOMMUFD_MOCK_DEVICES", "1", 1);
        }
        return reexec_with_mock(argv);
    }
    if (trace && iommufd_trace_enable(trace) == 0) {
        fprintf(stderr, "iommufd-probe: --trace %s matches no event (try 'iommufd_*')\n", trace);
        return EXIT_USAGE;
    }
    return cmd->fn(cmd, device);
}
