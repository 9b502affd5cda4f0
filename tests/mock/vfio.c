/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiommufd-mock: mock VFIO cdev device nodes and their ioctls.
 *
 * A node is what /dev/vfio/devices/vfioN is on a real system: a device that
 * a process opens, binds to an iommufd (VFIO_DEVICE_BIND_IOMMUFD, which
 * creates an iommufd device object: dev_id), attaches to an IOAS or HWPT
 * (VFIO_DEVICE_ATTACH_IOMMUFD_PT, on the RID or a PASID; attaching again
 * replaces), detaches (VFIO_DEVICE_DETACH_IOMMUFD_PT), and unbinds by closing
 * the fd.  The checks and their order are those of the kernel's
 * drivers/vfio/device_cdev.c and vfio_main.c (newest, and 6.12 where they
 * differ); what happens to the iommufd device itself is hwpt.c's
 * (mock_device_new / mock_device_attach / mock_device_detach).
 *
 * Nodes live under /dev/null/iommufd-mock/: /dev/null is a character device,
 * which cannot have children, so on any real system open() of such a path
 * fails with ENOTDIR; the mock can never shadow a real node.  They are
 * numbered per process (vfio0, vfio1, ...) and live as long as the process.
 *
 * A node may be opened any number of times, like a real cdev, but only one of
 * its opens can be bound at a time: the kernel's vfio_df_open() refuses a
 * second cdev open of a device that is already open (EINVAL: "the device cdev
 * path doesn't have a secure way for it"); once the bound fd is closed,
 * another open of the node can bind.
 *
 * Everything here runs under mock_lock (interpose.c takes it around each
 * operation; the fixture and open paths take it themselves: it is recursive).
 */
#include "mock-internal.h"

#include <iommufd/mock.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif


/* The directory of the nodes; the trailing slash is part of the prefix, so
 * the directory itself goes to libc (ENOTDIR, as on any system). */
#define MOCK_VFIO_DIR "/dev/null/iommufd-mock/"
#define MOCK_VFIO_NAME "vfio"
/* A bound on the nodes of a process (the kernel's vfio minors are 2^20). */
#define MOCK_VFIO_MAX_NODES 65536u

/* The MOCK_FLAGS_DEVICE_* a node may have. */
#define MOCK_VFIO_DEV_FLAGS \
    (MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA | MOCK_FLAGS_DEVICE_PASID)

/*
 * VFIO_DEVICE_GET_INFO, answered after bind as vfio-pci does for a plain PCI
 * device without capabilities.  Not in the project's uapi header (the library
 * does not use it), so declared here; the layout is the kernel's.
 */
#define MOCK_VFIO_DEVICE_GET_INFO _IO(VFIO_TYPE, VFIO_BASE + 7)
struct mock_vfio_device_info {
    uint32_t argsz;
    uint32_t flags;
    uint32_t num_regions;
    uint32_t num_irqs;
    uint32_t cap_offset;
};
#define MOCK_VFIO_DEVICE_FLAGS_RESET (1u << 0)
#define MOCK_VFIO_DEVICE_FLAGS_PCI (1u << 1)
#define MOCK_VFIO_PCI_NUM_REGIONS 9u  /* BAR0-5, ROM, config, VGA */
#define MOCK_VFIO_PCI_NUM_IRQS 5u     /* INTx, MSI, MSI-X, error, request */

typedef struct MockVfioDev MockVfioDev;

/* A node (a "device"): created by iommufd_mock_add_device, never freed. */
typedef struct MockVfioNode {
    unsigned index;              /* vfio<index> */
    uint32_t dev_flags;          /* MOCK_FLAGS_DEVICE_* */
    MockVfioDev *bound;          /* the open bound to an iommufd, or NULL */
} MockVfioNode;

/* One open of a node (MockFile.priv). */
struct MockVfioDev {
    MockVfioNode *node;
    MockDevice *dev;             /* the iommufd device while bound, else NULL;
                                    the context is the file's ctx (a ref) */
};

static GPtrArray *nodes;         /* MockVfioNode *, by index; under mock_lock */

/* ---- nodes --------------------------------------------------------------- */

static int add_node(uint32_t flags, char *path, size_t len)
{
    char name[sizeof(MOCK_VFIO_DIR MOCK_VFIO_NAME) + 16];
    MockVfioNode *node;
    unsigned index;
    int n, rc = 0;

    if (flags & ~(uint32_t)MOCK_VFIO_DEV_FLAGS) {
        return -EINVAL;
    }
    if (!path && len) {
        return -EINVAL;
    }
    pthread_mutex_lock(&mock_lock);
    if (!nodes) {
        nodes = g_ptr_array_new();
    }
    index = nodes->len;
    n = snprintf(name, sizeof(name), MOCK_VFIO_DIR MOCK_VFIO_NAME "%u", index);
    if (index >= MOCK_VFIO_MAX_NODES) {
        rc = -ENOSPC;
    } else if (n < 0 || (size_t)n >= len) {
        /* nothing created: the caller can retry with room for the path */
        rc = -ENAMETOOLONG;
    } else if (!(node = calloc(1, sizeof(*node)))) {
        rc = -ENOMEM;
    } else {
        node->index = index;
        node->dev_flags = flags;
        g_ptr_array_add(nodes, node);
        memcpy(path, name, (size_t)n + 1);
    }
    pthread_mutex_unlock(&mock_lock);
    return rc;
}

IOMMUFD_MOCK_API int iommufd_mock_add_device(uint32_t flags, char *path, size_t len)
{
    mock_ensure_init();
    return add_node(flags, path, len);
}

/* Called by the interposer for every open: one prefix compare, no lock. */
bool mock_vfio_is_mock_path(const char *path)
{
    return path && strncmp(path, MOCK_VFIO_DIR, sizeof(MOCK_VFIO_DIR) - 1) == 0;
}

/*
 * The node a mock path names: "vfio" and a decimal index without leading
 * zeros.  -ENOENT for any other name in the mock directory; -ENOTDIR when a
 * node is followed by more path (a character device is no directory).
 */
static int node_lookup(const char *path, MockVfioNode **out)
{
    const char *p = path + sizeof(MOCK_VFIO_DIR) - 1;
    unsigned long index = 0;

    if (strncmp(p, MOCK_VFIO_NAME, sizeof(MOCK_VFIO_NAME) - 1) != 0) {
        return -ENOENT;
    }
    p += sizeof(MOCK_VFIO_NAME) - 1;
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9')) {
        return -ENOENT;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        index = index * 10 + (unsigned long)(*p - '0');
        if (index >= MOCK_VFIO_MAX_NODES) {
            return -ENOENT;
        }
    }
    if (*p && *p != '/') {
        return -ENOENT;
    }
    if (!nodes || index >= nodes->len) {
        return -ENOENT;
    }
    if (*p == '/') {
        return -ENOTDIR;
    }
    *out = g_ptr_array_index(nodes, index);
    return 0;
}

/* ---- unbind -------------------------------------------------------------- */

/* Unbind as closing a bound cdev fd does (vfio_df_unbind_iommufd ->
 * iommufd_device_unbind).  The context reference is the file's, which
 * mock_file_put drops after this. */
static void vfio_unbind(MockVfioDev *vd)
{
    mock_device_unbind(vd->dev);
    vd->node->bound = NULL;
    vd->dev = NULL;
}

/* MockFile.release of a VFIO file: the last fd of an open went. */
static void vfio_release(MockFile *f)
{
    MockVfioDev *vd = f->priv;

    if (!vd) {
        return;
    }
    if (vd->dev && f->ctx) {
        vfio_unbind(vd);
    }
    free(vd);
    f->priv = NULL;
}

/* ---- open ---------------------------------------------------------------- */

/*
 * The real fd underneath: a sealed, empty memfd, so that whatever reaches the
 * kernel directly (read, write, mmap, fstat, poll) gets a harmless answer and
 * nothing blocks.  /dev/null where memfd_create is refused.
 */
static int open_backing_fd(int flags)
{
    long fd = syscall(SYS_memfd_create, "iommufd-mock-vfio",
                      MFD_ALLOW_SEALING | ((flags & O_CLOEXEC) ? MFD_CLOEXEC : 0));

    if (fd >= 0) {
        syscall(SYS_fcntl, (int)fd, F_ADD_SEALS,
                F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
        if (flags & O_NONBLOCK) {
            syscall(SYS_fcntl, (int)fd, F_SETFL, O_RDWR | O_NONBLOCK);
        }
        return (int)fd;
    }
    fd = syscall(SYS_openat, AT_FDCWD, "/dev/null",
                 O_RDWR | (flags & (O_CLOEXEC | O_NONBLOCK)));
    return fd < 0 ? -errno : (int)fd;
}

int mock_vfio_open(const char *path, int flags, int *realfd_out)
{
    MockVfioNode *node = NULL;
    MockVfioDev *vd;
    MockFile *f;
    int fd, rc;

    pthread_mutex_lock(&mock_lock);
    rc = node_lookup(path, &node);
    if (rc) {
        goto out;
    }
    /* what open(2) says of an existing character device */
    if (flags & O_DIRECTORY) {
        rc = -ENOTDIR;
        goto out;
    }
    if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
        rc = -EEXIST;
        goto out;
    }
    vd = calloc(1, sizeof(*vd));
    if (!vd) {
        rc = -ENOMEM;
        goto out;
    }
    fd = open_backing_fd(flags);
    if (fd < 0) {
        free(vd);
        rc = fd;
        goto out;
    }
    if (fd >= MOCK_MAX_FDS) {
        mock_real_close(fd);
        free(vd);
        rc = -EMFILE;
        goto out;
    }
    f = mock_file_new(MOCK_FILE_VFIO, fd);
    if (!f) {
        mock_real_close(fd);
        free(vd);
        rc = -ENOMEM;
        goto out;
    }
    vd->node = node;
    f->priv = vd;
    f->flags = flags & (O_ACCMODE | O_NONBLOCK);
    f->release = vfio_release;
    *realfd_out = fd;
out:
    pthread_mutex_unlock(&mock_lock);
    return rc;
}

/* ---- ioctls ------------------------------------------------------------------ */

/*
 * iommufd_ctx_from_fd: EBADF for a number that is no open fd, EBADFD for an
 * fd that is not /dev/iommu (another mock fd included).
 */
static int ctx_from_fd(int fd, MockCtx **out)
{
    MockFile *cf = mock_fd_lookup(fd);

    if (!cf) {
        return syscall(SYS_fcntl, fd, F_GETFD) < 0 ? -EBADF : -EBADFD;
    }
    if (cf->kind != MOCK_FILE_CTX || !cf->ctx) {
        return -EBADFD;
    }
    *out = cf->ctx;
    return 0;
}

/*
 * The kernel model a bind follows: that of the context it binds to.  On a
 * real machine there is one kernel, and its vfio and iommufd agree; the mock
 * lets contexts of both models live in one process, so the bind must pick the
 * rules of the kernel the context belongs to.  But the kernel reads and
 * checks the struct before it resolves bind.iommufd, so the model has to be
 * known first: peek at argsz..iommufd (the first 16 bytes, which both models
 * read, and which any bind that gets as far as resolving the fd must have
 * readable) and look the fd up without side effects.  When that tells
 * nothing (unreadable, argsz short, not a mock context) the bind will fail
 * anyway; the model new contexts get -- the machine's kernel -- decides which
 * error comes first.
 */
static bool bind_model_is_6_12(uint64_t arg)
{
    const size_t minsz = offsetofend(struct vfio_device_bind_iommufd, out_devid);
    struct vfio_device_bind_iommufd peek;
    MockFile *cf;

    if (!mock_copy_from_user(&peek, arg, minsz) && peek.argsz >= minsz && peek.iommufd >= 0) {
        cf = mock_fd_lookup(peek.iommufd);
        if (cf && cf->kind == MOCK_FILE_CTX && cf->ctx) {
            return cf->ctx->model == MOCK_MODEL_6_12;
        }
    }
    return iommufd_mock_get_kernel() == IOMMUFD_MOCK_KERNEL_6_12;
}

/*
 * VFIO_DEVICE_BIND_IOMMUFD (vfio_df_ioctl_bind_iommufd), in the kernel's
 * order, with the rules of the bound context's model (bind_model_is_6_12).
 * 6.12 reads the first 16 bytes only: argsz < 16, any flag or a negative
 * iommufd is EINVAL (so a longer argsz is not checked past 16 bytes, and
 * VFIO_DEVICE_BIND_FLAG_TOKEN is EINVAL).  Newest reads argsz first (EINVAL
 * below 16), then the struct as copy_struct_from_user (E2BIG for non-zero
 * bytes past token_uuid_ptr), and knows VFIO_DEVICE_BIND_FLAG_TOKEN.  Then:
 * bound already (this fd) EINVAL; the token; the iommufd (EBADF / EBADFD);
 * another open of the node bound EINVAL; the device is created and
 * out_devid written (EFAULT undoes the bind, as the kernel closes the
 * device).
 */
static int vfio_bind(MockFile *f, MockVfioDev *vd, uint64_t arg)
{
    const size_t minsz = offsetofend(struct vfio_device_bind_iommufd, out_devid);
    struct vfio_device_bind_iommufd bind;
    bool v6_12 = bind_model_is_6_12(arg);
    MockCtx *ctx = NULL;
    MockDevice *dev;
    int err = 0, rc;

    memset(&bind, 0, sizeof(bind));
    if (v6_12) {
        if (mock_copy_from_user(&bind, arg, minsz)) {
            return -EFAULT;
        }
        if (bind.argsz < minsz || bind.flags || bind.iommufd < 0) {
            return -EINVAL;
        }
    } else {
        uint32_t argsz;

        if (mock_copy_from_user(&argsz, arg, sizeof(argsz))) {
            return -EFAULT;
        }
        if (argsz < minsz) {
            return -EINVAL;
        }
        rc = mock_copy_struct_from_user(&bind, sizeof(bind), arg, argsz);
        if (rc) {
            return rc;
        }
        if (bind.iommufd < 0 || (bind.flags & ~(uint32_t)VFIO_DEVICE_BIND_FLAG_TOKEN)) {
            return -EINVAL;
        }
    }
    if (vd->dev) {
        return -EINVAL;          /* "one device cannot be bound twice" */
    }
    if (bind.flags & VFIO_DEVICE_BIND_FLAG_TOKEN) {
        uint8_t uuid[16];

        /*
         * The token is read like the kernel reads it (EFAULT), then accepted
         * and ignored: a mock node plays a vfio-pci PF with no VFs in use,
         * which takes any token.  (A real device that is neither a PF nor a
         * VF refuses a token with EINVAL; a VF needs its PF's.)
         */
        if (mock_copy_from_user(uuid, bind.token_uuid_ptr, sizeof(uuid))) {
            return -EFAULT;
        }
    }
    rc = ctx_from_fd(bind.iommufd, &ctx);
    if (rc) {
        return rc;
    }
    if (vd->node->bound) {
        return -EINVAL;          /* another open of this node is bound */
    }

    /* a 6.12 kernel has no PASID through VFIO: the node's PASID capability
     * means nothing to it (hwpt.c refuses the flag in that model) */
    dev = mock_device_new(ctx,
                          ctx->model == MOCK_MODEL_6_12
                              ? vd->node->dev_flags & ~(uint32_t)MOCK_FLAGS_DEVICE_PASID
                              : vd->node->dev_flags,
                          &err);
    if (!dev) {
        return err ? err : -ENOMEM;
    }
    if (mock_copy_to_user(arg + offsetof(struct vfio_device_bind_iommufd, out_devid),
                          &dev->obj.id, sizeof(uint32_t))) {
        if (dev->obj.users <= 0) {
            mock_obj_remove(&dev->obj);
        }
        return -EFAULT;
    }
    dev->vfio = vd;
    dev->obj.users++;            /* IOMMU_DESTROY(dev_id) is EBUSY while bound */
    vd->dev = dev;
    vd->node->bound = vd;
    /* the file holds the context until it is released (mock_file_put) */
    mock_ctx_get(ctx);
    f->ctx = ctx;
    return 0;
}

/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT (vfio_df_ioctl_attach_pt).  argsz below
 * pt_id's end is EINVAL; 6.12 refuses any flag (EINVAL); newest knows
 * VFIO_DEVICE_ATTACH_PASID: another flag is EINVAL, a driver without PASID
 * ops answers EOPNOTSUPP (a node made without MOCK_FLAGS_DEVICE_PASID plays
 * such a driver), argsz below pasid's end is EINVAL.  Attaching what is
 * already attached replaces it (mock_device_attach decides, as the kernel's
 * attach_ioas does).  pt_id is written back; when that fails what was just
 * attached is detached and the answer is EFAULT (the kernel detaches the RID
 * there even after a PASID attach, which looks like an oversight: not
 * imitated).
 */
static int vfio_attach(MockCtx *ctx, MockVfioDev *vd, uint64_t arg)
{
    const size_t minsz = offsetofend(struct vfio_device_attach_iommufd_pt, pt_id);
    const size_t xend = offsetofend(struct vfio_device_attach_iommufd_pt, pasid);
    struct vfio_device_attach_iommufd_pt attach;
    bool pasid_valid;
    int rc;

    memset(&attach, 0, sizeof(attach));
    if (mock_copy_from_user(&attach, arg, minsz)) {
        return -EFAULT;
    }
    if (attach.argsz < minsz) {
        return -EINVAL;
    }
    if (ctx->model == MOCK_MODEL_6_12) {
        if (attach.flags) {
            return -EINVAL;
        }
    } else {
        if (attach.flags & ~(uint32_t)VFIO_DEVICE_ATTACH_PASID) {
            return -EINVAL;
        }
        if (attach.flags & VFIO_DEVICE_ATTACH_PASID) {
            if (!(vd->node->dev_flags & MOCK_FLAGS_DEVICE_PASID)) {
                return -EOPNOTSUPP;
            }
            if (attach.argsz < xend) {
                return -EINVAL;
            }
            if (mock_copy_from_user((uint8_t *)&attach + minsz, arg + minsz, xend - minsz)) {
                return -EFAULT;
            }
        }
    }
    pasid_valid = attach.flags & VFIO_DEVICE_ATTACH_PASID;
    rc = mock_device_attach(vd->dev, pasid_valid, pasid_valid ? attach.pasid : 0,
                            &attach.pt_id);
    if (rc) {
        return rc;
    }
    if (mock_copy_to_user(arg + offsetof(struct vfio_device_attach_iommufd_pt, pt_id),
                          &attach.pt_id, sizeof(attach.pt_id))) {
        mock_device_detach(vd->dev, pasid_valid, pasid_valid ? attach.pasid : 0);
        return -EFAULT;
    }
    return 0;
}

/*
 * VFIO_DEVICE_DETACH_IOMMUFD_PT (vfio_df_ioctl_detach_pt): the same checks
 * as attach around VFIO_DEVICE_DETACH_PASID.  Detaching what is not attached
 * succeeds and does nothing, as the kernel's detach_ioas ops do.
 */
static int vfio_detach(MockCtx *ctx, MockVfioDev *vd, uint64_t arg)
{
    const size_t minsz = offsetofend(struct vfio_device_detach_iommufd_pt, flags);
    const size_t xend = offsetofend(struct vfio_device_detach_iommufd_pt, pasid);
    struct vfio_device_detach_iommufd_pt detach;
    MockDevice *dev = vd->dev;

    memset(&detach, 0, sizeof(detach));
    if (mock_copy_from_user(&detach, arg, minsz)) {
        return -EFAULT;
    }
    if (detach.argsz < minsz) {
        return -EINVAL;
    }
    if (ctx->model == MOCK_MODEL_6_12) {
        if (detach.flags) {
            return -EINVAL;
        }
    } else {
        if (detach.flags & ~(uint32_t)VFIO_DEVICE_DETACH_PASID) {
            return -EINVAL;
        }
        if (detach.flags & VFIO_DEVICE_DETACH_PASID) {
            if (!(vd->node->dev_flags & MOCK_FLAGS_DEVICE_PASID)) {
                return -EOPNOTSUPP;
            }
            if (detach.argsz < xend) {
                return -EINVAL;
            }
            if (mock_copy_from_user((uint8_t *)&detach + minsz, arg + minsz, xend - minsz)) {
                return -EFAULT;
            }
        }
    }
    if (detach.flags & VFIO_DEVICE_DETACH_PASID) {
        /* a PASID that is not attached is no error here (the kernel's
         * pasid_detach_ioas returns nothing): mock_device_detach's answer
         * does not matter */
        (void)mock_device_detach(dev, true, detach.pasid);
    } else if (dev->hwpt) {
        mock_device_detach(dev, false, 0);
    }
    return 0;
}

/*
 * VFIO_DEVICE_GET_INFO as vfio-pci answers it for a PCI device with working
 * reset and no extra regions or capabilities: argsz below num_irqs' end is
 * EINVAL; min(argsz, sizeof) bytes are written back.
 */
static int vfio_get_info(uint64_t arg)
{
    const size_t minsz = offsetofend(struct mock_vfio_device_info, num_irqs);
    struct mock_vfio_device_info info;
    size_t reply;

    memset(&info, 0, sizeof(info));
    if (mock_copy_from_user(&info, arg, minsz)) {
        return -EFAULT;
    }
    if (info.argsz < minsz) {
        return -EINVAL;
    }
    reply = info.argsz < sizeof(info) ? info.argsz : sizeof(info);
    info.flags = MOCK_VFIO_DEVICE_FLAGS_PCI | MOCK_VFIO_DEVICE_FLAGS_RESET;
    info.num_regions = MOCK_VFIO_PCI_NUM_REGIONS;
    info.num_irqs = MOCK_VFIO_PCI_NUM_IRQS;
    info.cap_offset = 0;
    return mock_copy_to_user(arg, &info, reply) ? -EFAULT : 0;
}

/*
 * An ioctl on a mock VFIO fd (vfio_device_fops_unl_ioctl): BIND first; any
 * other command before a successful bind is EINVAL; after it the cdev
 * commands, GET_INFO, and ENOTTY for the rest (what vfio-pci answers for an
 * unknown command).  The kernel compares the 32-bit command number.
 */
int mock_vfio_ioctl(MockFile *f, unsigned long cmd, uint64_t arg)
{
    MockVfioDev *vd = f->priv;
    uint32_t nr = (uint32_t)cmd;
    int rc;

    if (!vd) {
        return -EBADF;
    }
    if (nr == VFIO_DEVICE_BIND_IOMMUFD) {
        return vfio_bind(f, vd, arg);
    }
    if (!vd->dev || !f->ctx) {
        return -EINVAL;
    }
    switch (nr) {
    case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
        rc = vfio_attach(f->ctx, vd, arg);
        break;
    case VFIO_DEVICE_DETACH_IOMMUFD_PT:
        rc = vfio_detach(f->ctx, vd, arg);
        break;
    case MOCK_VFIO_DEVICE_GET_INFO:
        rc = vfio_get_info(arg);
        break;
    default:
        rc = -ENOTTY;
        break;
    }
    return rc;
}
