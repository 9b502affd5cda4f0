/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiommufd's own declarations of the parts of the VFIO user ABI it uses;
 * include this or the system <linux/vfio.h>, not both.
 *
 * Not a copy of the system header: only what libiommufd needs, so that it
 * never depends on Debian 12's <linux/vfio.h> (6.1, which lacks the cdev
 * ioctls):
 *   - the VFIO type1 container ioctls that /dev/iommu also answers
 *     (iommufd's VFIO compatibility: VFIO ioctls share type ';' with
 *     iommufd and use numbers below 0x80);
 *   - the VFIO device cdev (/dev/vfio/devices/vfioN) ioctls that bind a
 *     device to an iommufd and attach it to an IOAS or HWPT (6.6+).
 * Layouts are those of the newest kernel; fields a 6.12 kernel lacks say so.
 * Like iommufd's, VFIO ioctls are _IO(VFIO_TYPE, VFIO_BASE + n) with no size
 * bits; the struct's first __u32 (argsz) gives its length.
 */
#ifndef _UAPI_VFIO_H
#define _UAPI_VFIO_H

#include <linux/ioctl.h>
#include <linux/types.h>

#ifndef __aligned_u64
#define __aligned_u64 __u64 __attribute__((aligned(8)))
#endif

#define VFIO_TYPE	(';')
#define VFIO_BASE	100

/* ---------------------------------------------------------------------- */
/* Container (type1) API, answered by /dev/iommu and /dev/vfio/vfio */

#define VFIO_API_VERSION	0

/* Extensions for VFIO_CHECK_EXTENSION and IOMMU types for VFIO_SET_IOMMU */
#define VFIO_TYPE1_IOMMU		1
#define VFIO_SPAPR_TCE_IOMMU		2
#define VFIO_TYPE1v2_IOMMU		3
#define VFIO_DMA_CC_IOMMU		4	/* DMA is cache coherent */
#define VFIO_EEH			5
#define VFIO_TYPE1_NESTING_IOMMU	6	/* obsolete; never offered by iommufd */
#define VFIO_SPAPR_TCE_v2_IOMMU		7
#define VFIO_NOIOMMU_IOMMU		8
#define VFIO_UNMAP_ALL			9	/* VFIO_DMA_UNMAP_FLAG_ALL */
#define VFIO_UPDATE_VADDR		10	/* VFIO_*_FLAG_VADDR */

/* Returns VFIO_API_VERSION. */
#define VFIO_GET_API_VERSION	_IO(VFIO_TYPE, VFIO_BASE + 0)

/* Argument: the extension number (not a pointer).  Returns 0 or > 0. */
#define VFIO_CHECK_EXTENSION	_IO(VFIO_TYPE, VFIO_BASE + 1)

/* Argument: the IOMMU type (not a pointer), e.g. VFIO_TYPE1v2_IOMMU. */
#define VFIO_SET_IOMMU		_IO(VFIO_TYPE, VFIO_BASE + 2)

/* Header of each capability in an info struct's capability chain. */
struct vfio_info_cap_header {
	__u16 id;		/* capability ID */
	__u16 version;		/* version of that capability */
	__u32 next;		/* offset of the next capability from the struct start, 0 = end */
};

/* VFIO_IOMMU_GET_INFO */
struct vfio_iommu_type1_info {
	__u32 argsz;
	__u32 flags;
#define VFIO_IOMMU_INFO_PGSIZES	(1 << 0)	/* iova_pgsizes is valid */
#define VFIO_IOMMU_INFO_CAPS	(1 << 1)	/* cap_offset is valid */
	__u64 iova_pgsizes;		/* bitmap of supported page sizes */
	__u32 cap_offset;	/* offset of the first capability; argsz may have to grow */
	__u32 pad;		/* explicit; 6.1's header has implicit padding here */
};

/* Capability: the usable IOVA ranges */
#define VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE	1

struct vfio_iova_range {
	__u64 start;
	__u64 end;		/* inclusive */
};

struct vfio_iommu_type1_info_cap_iova_range {
	struct vfio_info_cap_header header;
	__u32 nr_iovas;
	__u32 reserved;
	struct vfio_iova_range iova_ranges[];
};

/* Capability: the number of further DMA mappings allowed */
#define VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL		3

struct vfio_iommu_type1_info_dma_avail {
	struct vfio_info_cap_header header;
	__u32 avail;
};

#define VFIO_IOMMU_GET_INFO	_IO(VFIO_TYPE, VFIO_BASE + 12)

/* VFIO_IOMMU_MAP_DMA */
struct vfio_iommu_type1_dma_map {
	__u32 argsz;
	__u32 flags;
#define VFIO_DMA_MAP_FLAG_READ	(1 << 0)	/* the device may read */
#define VFIO_DMA_MAP_FLAG_WRITE	(1 << 1)	/* the device may write */
#define VFIO_DMA_MAP_FLAG_VADDR	(1 << 2)	/* update the vaddr of an existing map */
	__u64 vaddr;		/* process virtual address */
	__u64 iova;		/* IO virtual address */
	__u64 size;		/* bytes */
};

#define VFIO_IOMMU_MAP_DMA	_IO(VFIO_TYPE, VFIO_BASE + 13)

/* VFIO_IOMMU_UNMAP_DMA: size returns the number of bytes unmapped */
struct vfio_iommu_type1_dma_unmap {
	__u32 argsz;
	__u32 flags;
#define VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP	(1 << 0)	/* not supported by iommufd */
#define VFIO_DMA_UNMAP_FLAG_ALL			(1 << 1)	/* iova and size must be 0 */
#define VFIO_DMA_UNMAP_FLAG_VADDR		(1 << 2)
	__u64 iova;
	__u64 size;
	__u8 data[];
};

#define VFIO_IOMMU_UNMAP_DMA	_IO(VFIO_TYPE, VFIO_BASE + 14)

/* ---------------------------------------------------------------------- */
/* Device cdev API (/dev/vfio/devices/vfioN, CONFIG_VFIO_DEVICE_CDEV, 6.6+) */

/*
 * VFIO_DEVICE_BIND_IOMMUFD: bind the device to an iommufd; returns its
 * iommufd device ID.  Every other device ioctl is EINVAL before a bind;
 * closing the device fd unbinds.  6.12 reads the first 16 bytes only and
 * has neither token_uuid_ptr nor VFIO_DEVICE_BIND_FLAG_TOKEN (~6.17);
 * newer kernels reject unknown non-zero trailing bytes with E2BIG.
 */
struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_BIND_FLAG_TOKEN	(1 << 0)	/* token_uuid_ptr is valid */
	__s32 iommufd;
	__u32 out_devid;
	__aligned_u64 token_uuid_ptr;	/* user pointer to a 16-byte VF token UUID */
};

#define VFIO_DEVICE_BIND_IOMMUFD	_IO(VFIO_TYPE, VFIO_BASE + 18)

/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT: attach to an IOAS or HWPT; attaching again
 * replaces.  pt_id: in, IOAS or HWPT ID; out, the attached HWPT (an IOAS
 * gives an automatically allocated HWPT).  6.12 is 12 bytes: pasid and
 * VFIO_DEVICE_ATTACH_PASID are 6.15.
 */
struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_ATTACH_PASID	(1 << 0)	/* attach pasid, not the RID */
	__u32 pt_id;
	__u32 pasid;
};

#define VFIO_DEVICE_ATTACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 19)

/*
 * VFIO_DEVICE_DETACH_IOMMUFD_PT: detach; the device then blocks DMA.
 * 6.12 is 8 bytes: pasid and VFIO_DEVICE_DETACH_PASID are 6.15.
 */
struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
#define VFIO_DEVICE_DETACH_PASID	(1 << 0)	/* detach pasid, not the RID */
	__u32 pasid;
};

#define VFIO_DEVICE_DETACH_IOMMUFD_PT	_IO(VFIO_TYPE, VFIO_BASE + 20)

#endif /* _UAPI_VFIO_H */
