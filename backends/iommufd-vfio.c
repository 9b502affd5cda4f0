/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VFIO cdev devices: open, bind to an iommufd, attach, replace, detach. */
#include "iommufd/vfio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "backends/iommufd-internal.h"
#include "trace/trace-backends.h"
#include "uapi/linux/vfio.h"

#define DEFAULT_DEV_DIR "/dev/vfio/devices"

/* Hints for the errnos people hit on the cdev ioctls (guarded errp). */
static void vfio_hint(IOMMUFDError **errp, const char *name, int err, bool pasid)
{
    if (err == ENOTTY) {
        iommufd_error_append_hint(errp, "This kernel lacks %s (added in Linux 6.6, with "
                                  "CONFIG_VFIO_DEVICE_CDEV), or the fd is not a VFIO cdev "
                                  "device.\n", name);
    } else if (pasid && (err == EINVAL || err == EOPNOTSUPP)) {
        iommufd_error_append_hint(errp, "PASID attach needs Linux 6.15 and a device and "
                                  "HWPT that support PASIDs.\n");
    } else if (err == EOPNOTSUPP) {
        iommufd_error_append_hint(errp, "The kernel or the device does not support a flag or "
                                  "type of this request: retry without it.\n");
    }
}

int iommufd_vfio_device_open(const char *path, IOMMUFDError **errp)
{
    if (!path) {
        iommufd_error_setg_code(errp, EINVAL, "VFIO device: no path");
        return -1;
    }
    IOMMUFD_ERRP_GUARD();
    int fd;
    do {
        fd = open(path, O_RDWR | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    int err = fd < 0 ? errno : 0;
    trace_iommufd_vfio_device_open(path, fd, err);
    if (fd < 0) {
        iommufd_error_setg_errno(errp, err, "Could not open VFIO device '%s'", path);
        if (err == ENOENT) {
            iommufd_error_append_hint(errp, "Bind the device to vfio-pci, and use a kernel "
                                      "with CONFIG_VFIO_DEVICE_CDEV.\n");
        } else if (err == EACCES || err == EPERM) {
            iommufd_error_append_hint(errp, "Run as root or give the VMM's user access to "
                                      "the device node.\n");
        } else if (err == EBUSY) {
            iommufd_error_append_hint(errp, "Another process (or the group interface) has the "
                                      "device open.\n");
        }
        return -1;
    }
    return fd;
}

int iommufd_vfio_device_open_sysfs(const char *sysfs_path, const char *dev_dir,
                                   IOMMUFDError **errp)
{
    if (!sysfs_path) {
        iommufd_error_setg_code(errp, EINVAL, "VFIO device: no sysfs path");
        return -1;
    }
    IOMMUFD_ERRP_GUARD();
    char *vdir = g_build_filename(sysfs_path, "vfio-dev", NULL);
    DIR *d = opendir(vdir);
    if (!d) {
        int err = errno;
        iommufd_error_setg_errno(errp, err, "Could not read '%s'", vdir);
        if (err == ENOENT) {
            iommufd_error_append_hint(errp, "The device has no VFIO cdev: bind it to vfio-pci "
                                      "on a kernel with CONFIG_VFIO_DEVICE_CDEV.\n");
        }
        g_free(vdir);
        return -1;
    }
    char *name = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (g_str_has_prefix(e->d_name, "vfio") && e->d_name[4] >= '0' && e->d_name[4] <= '9') {
            name = g_strdup(e->d_name);
            break;
        }
    }
    closedir(d);
    if (!name) {
        iommufd_error_setg_code(errp, ENOENT, "No vfioN entry in '%s'", vdir);
        g_free(vdir);
        return -1;
    }
    g_free(vdir);
    char *node = g_build_filename(dev_dir ? dev_dir : DEFAULT_DEV_DIR, name, NULL);
    g_free(name);
    int fd = iommufd_vfio_device_open(node, errp);
    g_free(node);
    return fd;
}

/*
 * The failure of bind_device (event, error, hint), out of line so that the
 * errno need not survive the event's call in a saved register.
 */
static bool __attribute__((cold, noinline))
bind_device_failed(int vfio_fd, const struct vfio_device_bind_iommufd *cmd, int err,
                   IOMMUFDError **errp)
{
    IOMMUFD_ERRP_GUARD();
    trace_iommufd_vfio_bind(vfio_fd, cmd->iommufd, cmd->flags, cmd->out_devid, err);
    iommufd_error_setg_internal(errp, __FILE__, __LINE__, "iommufd_backend_bind_device", err,
                                true, "VFIO_DEVICE_BIND_IOMMUFD(vfio fd %d, iommufd %d, "
                                "flags 0x%x) failed", vfio_fd, cmd->iommufd, cmd->flags);
    if (err == EINVAL) {
        iommufd_error_append_hint(errp, "A device binds once, and only when opened "
                                  "through its cdev node%s.\n",
                                  cmd->flags & VFIO_DEVICE_BIND_FLAG_TOKEN ?
                                  "; a VF token needs Linux 6.17" : "");
    } else {
        vfio_hint(errp, "VFIO_DEVICE_BIND_IOMMUFD", err, false);
    }
    return false;
}

bool iommufd_backend_bind_device(IOMMUFDBackend *be, int vfio_fd, const uint8_t *token_uuid,
                                 uint32_t *dev_id, IOMMUFDError **errp)
{
    int fd = BACKEND_FD(be, "VFIO_DEVICE_BIND_IOMMUFD", errp);
    if (fd < 0) {
        return false;
    }
    if (!dev_id || vfio_fd < 0) {
        iommufd_error_setg_code(errp, EINVAL,
                                "VFIO_DEVICE_BIND_IOMMUFD(vfio fd %d): needs a device fd and "
                                "dev_id", vfio_fd);
        return false;
    }
    struct vfio_device_bind_iommufd cmd = {
        .argsz = sizeof(cmd),
        .flags = token_uuid ? VFIO_DEVICE_BIND_FLAG_TOKEN : 0,
        .iommufd = fd,
        .token_uuid_ptr = (uintptr_t)token_uuid,
    };
    int err = _iommufd_ioctl(vfio_fd, VFIO_DEVICE_BIND_IOMMUFD, &cmd);
    if (G_UNLIKELY(err)) {
        return bind_device_failed(vfio_fd, IOMMUFD_ADDR_AGAIN(&cmd), err, errp);
    }
    trace_iommufd_vfio_bind(vfio_fd, cmd.iommufd, cmd.flags, cmd.out_devid, 0);
    *dev_id = cmd.out_devid;
    return true;
}

/* the failure branch of do_attach(), out of line: see bind_device_failed() */
static bool __attribute__((cold, noinline))
attach_failed(int vfio_fd, const struct vfio_device_attach_iommufd_pt *cmd, uint32_t pt_id,
              bool use_pasid, int err, IOMMUFDError **errp, const char *func, int line)
{
    IOMMUFD_ERRP_GUARD();
    trace_iommufd_vfio_attach(vfio_fd, cmd->flags, cmd->pasid, pt_id, 0, err);
    iommufd_error_setg_internal(errp, __FILE__, line, func, err, true,
                                "VFIO_DEVICE_ATTACH_IOMMUFD_PT(vfio fd %d, pt_id %u, flags 0x%x, "
                                "pasid %u) failed", vfio_fd, pt_id, cmd->flags, cmd->pasid);
    if (err == EINVAL && !use_pasid) {
        iommufd_error_append_hint(errp, "Bind the device first, and attach it to an IOAS "
                                  "or HWPT of the same iommufd.\n");
    } else {
        vfio_hint(errp, "VFIO_DEVICE_ATTACH_IOMMUFD_PT", err, use_pasid);
    }
    return false;
}

static inline __attribute__((always_inline)) bool
do_attach(int vfio_fd, bool use_pasid, uint32_t pasid, uint32_t pt_id, uint32_t *out_hwpt_id,
          IOMMUFDError **errp)
{
    if (vfio_fd < 0) {
        iommufd_error_setg_code(errp, EINVAL, "VFIO_DEVICE_ATTACH_IOMMUFD_PT: no device fd");
        return false;
    }
    struct vfio_device_attach_iommufd_pt cmd = {
        .argsz = sizeof(cmd),
        .flags = use_pasid ? VFIO_DEVICE_ATTACH_PASID : 0,
        .pt_id = pt_id,
        .pasid = use_pasid ? pasid : 0,
    };
    int err = _iommufd_ioctl(vfio_fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &cmd);
    if (G_UNLIKELY(err)) {
        return attach_failed(vfio_fd, IOMMUFD_ADDR_AGAIN(&cmd), pt_id, use_pasid, err, errp,
                             __func__, __LINE__);
    }
    trace_iommufd_vfio_attach(vfio_fd, cmd.flags, cmd.pasid, pt_id, cmd.pt_id, 0);
    if (out_hwpt_id) {
        *out_hwpt_id = cmd.pt_id;
    }
    return true;
}

bool iommufd_vfio_device_attach(int vfio_fd, uint32_t pt_id, uint32_t *out_hwpt_id,
                                IOMMUFDError **errp)
{
    return do_attach(vfio_fd, false, 0, pt_id, out_hwpt_id, errp);
}

bool iommufd_vfio_device_attach_pasid(int vfio_fd, uint32_t pasid, uint32_t pt_id,
                                      uint32_t *out_hwpt_id, IOMMUFDError **errp)
{
    return do_attach(vfio_fd, true, pasid, pt_id, out_hwpt_id, errp);
}

/* the failure branch of do_detach(), out of line: see bind_device_failed() */
static bool __attribute__((cold, noinline))
detach_failed(int vfio_fd, const struct vfio_device_detach_iommufd_pt *cmd, bool use_pasid,
              int err, IOMMUFDError **errp, const char *func, int line)
{
    IOMMUFD_ERRP_GUARD();
    trace_iommufd_vfio_detach(vfio_fd, cmd->flags, cmd->pasid, err);
    iommufd_error_setg_internal(errp, __FILE__, line, func, err, true,
                                "VFIO_DEVICE_DETACH_IOMMUFD_PT(vfio fd %d, flags 0x%x, pasid %u) "
                                "failed", vfio_fd, cmd->flags, cmd->pasid);
    vfio_hint(errp, "VFIO_DEVICE_DETACH_IOMMUFD_PT", err, use_pasid);
    return false;
}

static inline __attribute__((always_inline)) bool
do_detach(int vfio_fd, bool use_pasid, uint32_t pasid, IOMMUFDError **errp)
{
    if (vfio_fd < 0) {
        iommufd_error_setg_code(errp, EINVAL, "VFIO_DEVICE_DETACH_IOMMUFD_PT: no device fd");
        return false;
    }
    struct vfio_device_detach_iommufd_pt cmd = {
        .argsz = sizeof(cmd),
        .flags = use_pasid ? VFIO_DEVICE_DETACH_PASID : 0,
        .pasid = use_pasid ? pasid : 0,
    };
    int err = _iommufd_ioctl(vfio_fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &cmd);
    if (G_UNLIKELY(err)) {
        return detach_failed(vfio_fd, IOMMUFD_ADDR_AGAIN(&cmd), use_pasid, err, errp, __func__,
                             __LINE__);
    }
    trace_iommufd_vfio_detach(vfio_fd, cmd.flags, cmd.pasid, 0);
    return true;
}

bool iommufd_vfio_device_detach(int vfio_fd, IOMMUFDError **errp)
{
    return do_detach(vfio_fd, false, 0, errp);
}

bool iommufd_vfio_device_detach_pasid(int vfio_fd, uint32_t pasid, IOMMUFDError **errp)
{
    return do_detach(vfio_fd, true, pasid, errp);
}
