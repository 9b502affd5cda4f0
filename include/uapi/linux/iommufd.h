/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libiommufd's own declarations of the iommufd user ABI; include this or the
 * system <linux/iommufd.h>, not both.
 *
 * Written for libiommufd from the facts in reference/kernel-abi.md (ioctl
 * numbers, x86_64 sizes and offsets, enum and flag values), at the newest ABI
 * (commands 0x80-0x95).  The guard is the one an installed kernel header
 * uses, so including this after a system <linux/iommufd.h> is a no-op.
 * Sizes and offsets are checked by tests/abi/layout.c, not asserted here.
 *
 * Structures only ever grow at the end.  The kernel reads the first __u32
 * (size), accepts anything from the command's minimum size up (zero-filling
 * what the caller did not pass) and rejects non-zero bytes it does not know
 * with E2BIG: always zero the whole struct and set size = sizeof(struct).
 * Where a field is newer than Debian's 6.12 kernel, its comment says so.
 *
 * All iommufd ioctls are _IO(IOMMUFD_TYPE, nr): no size or direction bits.
 * Errno convention: ENOTTY unknown ioctl; E2BIG unknown non-zero trailing
 * bytes; EOPNOTSUPP unsupported flag, type or non-zero __reserved; EINVAL a
 * bad field; ENOENT unknown ID or IOVA; ENOMEM; EOVERFLOW.
 *
 * The last section holds the kernel's selftest (CONFIG_IOMMUFD_TEST) ABI,
 * which the kernel does not export as a uapi header.
 */
#ifndef _IOMMUFD_H
#define _IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#ifndef __aligned_u64
#define __aligned_u64 __u64 __attribute__((aligned(8)))
#endif
#ifndef __aligned_le64
#define __aligned_le64 __le64 __attribute__((aligned(8)))
#endif

#define IOMMUFD_TYPE (';')

enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,		/* 0x80, 6.2 */
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,			/* 6.2 */
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,		/* 6.2 */
	IOMMUFD_CMD_IOAS_COPY = 0x83,			/* 6.2 */
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,		/* 6.2 */
	IOMMUFD_CMD_IOAS_MAP = 0x85,			/* 6.2 */
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,			/* 6.2 */
	IOMMUFD_CMD_OPTION = 0x87,			/* 6.2 */
	IOMMUFD_CMD_VFIO_IOAS = 0x88,			/* 6.2 */
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,			/* 6.6 */
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,			/* 6.6 */
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,	/* 6.7 */
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,	/* 6.7 */
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,		/* 6.8 */
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,		/* 6.11; last one in 6.12 */
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,		/* 6.13 */
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,		/* 6.13 */
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,		/* 6.13 */
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,		/* 6.13 */
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,		/* 6.15 */
	IOMMUFD_CMD_HW_QUEUE_ALLOC = 0x94,		/* 6.17 */
	IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA = 0x95,		/* newest tree only */
};

/* ---------------------------------------------------------------------- */
/* IOMMU_DESTROY: destroy any object by ID (ENOENT unknown, EBUSY in use) */

struct iommu_destroy {
	__u32 size;
	__u32 id;
};
#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/* ---------------------------------------------------------------------- */
/* IOMMU_IOAS_ALLOC: allocate an I/O address space; flags must be 0 */

struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/* ---------------------------------------------------------------------- */
/* IOMMU_IOAS_IOVA_RANGES: list the usable IOVA ranges of an IOAS */

/* An inclusive IOVA range [start, last]. */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/*
 * num_iovas: in, capacity of the allowed_iovas array; out, number of ranges.
 * If the array is too small the struct is written back first and the ioctl
 * fails with EMSGSIZE, so num_iovas then holds the count needed.
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;	/* user pointer to struct iommu_iova_range[] */
	__aligned_u64 out_iova_alignment;
};
#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/* ---------------------------------------------------------------------- */
/* IOMMU_IOAS_ALLOW_IOVAS: replace the list of IOVA ranges allowed for allocation */

struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;	/* user pointer to struct iommu_iova_range[] */
};
#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/* ---------------------------------------------------------------------- */
/* IOMMU_IOAS_MAP / IOMMU_IOAS_MAP_FILE / IOMMU_IOAS_COPY: flags */

enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,	/* iova is an input, else chosen and returned */
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,	/* the device may write */
	IOMMU_IOAS_MAP_READABLE = 1 << 2,	/* the device may read */
};

/* IOMMU_IOAS_MAP: map user memory [user_va, user_va + length) into an IOAS */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;		/* enum iommufd_ioas_map_flags */
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;	/* in if IOMMU_IOAS_MAP_FIXED_IOVA, else out */
};
#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/* IOMMU_IOAS_MAP_FILE (6.13): map [start, start + length) of a file (memfd) */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;		/* enum iommufd_ioas_map_flags */
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;	/* offset in the file */
	__aligned_u64 length;
	__aligned_u64 iova;	/* in if IOMMU_IOAS_MAP_FIXED_IOVA, else out */
};
#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)

/* IOMMU_IOAS_COPY: map the pages behind a source range into another IOAS */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;		/* enum iommufd_ioas_map_flags */
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;	/* in if IOMMU_IOAS_MAP_FIXED_IOVA, else out */
	__aligned_u64 src_iova;
};
#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/* ---------------------------------------------------------------------- */
/* IOMMU_IOAS_UNMAP: unmap whole areas; iova 0 + length U64_MAX unmaps all */

struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;	/* in: bytes to unmap; out: bytes unmapped */
};
#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/* ---------------------------------------------------------------------- */
/* IOMMU_OPTION: get or set an option; only val64 is written back */

enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,	/* global (object_id 0): 0 user, 1 process accounting */
	IOMMU_OPTION_HUGE_PAGES = 1,	/* per IOAS: 1 default, 0 disables huge pages */
};

enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

struct iommu_option {
	__u32 size;
	__u32 option_id;	/* enum iommufd_option */
	__u16 op;		/* enum iommufd_option_ops */
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};
#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

/* ---------------------------------------------------------------------- */
/* IOMMU_VFIO_IOAS: the IOAS used by the VFIO type1 compatibility ioctls */

enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;		/* out for GET, in for SET */
	__u16 op;		/* enum iommufd_vfio_ioas_op */
	__u16 __reserved;
};
#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/* ---------------------------------------------------------------------- */
/* IOMMU_HWPT_ALLOC: allocate a hardware page table */

enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,		/* 6.7 */
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,	/* 6.7 */
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,		/* 6.11; paging HWPTs only ~6.14 */
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,		/* 6.15 */
};

/* Intel VT-d stage-1 page table (IOMMU_HWPT_DATA_VTD_S1) */
enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,	/* supervisor request */
	IOMMU_VTD_S1_EAFE = 1 << 1,	/* extended access flag */
	IOMMU_VTD_S1_WPE = 1 << 2,	/* write protect */
};

struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;		/* enum iommu_hwpt_vtd_s1_flags */
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

/* ARM SMMUv3 nested stage-1 (IOMMU_HWPT_DATA_ARM_SMMUV3, ~6.14): guest STE */
struct iommu_hwpt_arm_smmuv3 {
	__aligned_le64 ste[2];
};

/* AMD nested guest (IOMMU_HWPT_DATA_AMD_GUEST, ~6.19): guest DTE */
struct iommu_hwpt_amd_guest {
	__aligned_u64 dte[4];
};

enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,		/* struct iommu_hwpt_vtd_s1 */
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,		/* struct iommu_hwpt_arm_smmuv3, ~6.14 */
	IOMMU_HWPT_DATA_AMD_GUEST = 3,		/* struct iommu_hwpt_amd_guest, ~6.19 */
};

/*
 * pt_id: an IOAS (paging HWPT), a NEST_PARENT paging HWPT (nested HWPT, needs
 * data) or, 6.13+, a vIOMMU (nested HWPT on that vIOMMU).
 * History: 24 bytes in 6.6 (up to __reserved, the minimum size), 40 in
 * 6.7-6.10 (data_type, data_len, data_uptr), 48 since 6.11 (fault_id,
 * __reserved2); 6.12 has the full 48-byte layout.
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;		/* enum iommufd_hwpt_alloc_flags */
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;	/* enum iommu_hwpt_data_type */
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;		/* with IOMMU_HWPT_FAULT_ID_VALID */
	__u32 __reserved2;
};
#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/* ---------------------------------------------------------------------- */
/* IOMMU_GET_HW_INFO: driver-specific information about a device's IOMMU */

enum iommu_hw_info_vtd_flags {
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};

/* IOMMU_HW_INFO_TYPE_INTEL_VTD */
struct iommu_hw_info_vtd {
	__u32 flags;		/* enum iommu_hw_info_vtd_flags */
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

enum iommu_hw_info_arm_smmuv3_flags {
	IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI = 1 << 0,	/* newest */
};

/* IOMMU_HW_INFO_TYPE_ARM_SMMUV3 */
struct iommu_hw_info_arm_smmuv3 {
	__u32 flags;		/* enum iommu_hw_info_arm_smmuv3_flags */
	__u32 __reserved;
	__u32 idr[6];
	__u32 iidr;
	__u32 aidr;
};

/* IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV */
struct iommu_hw_info_tegra241_cmdqv {
	__u32 flags;
	__u8 version;
	__u8 log2vcmdqs;
	__u8 log2vsids;
	__u8 __reserved;
};

/* IOMMU_HW_INFO_TYPE_AMD */
struct iommu_hw_info_amd {
	__aligned_u64 efr;
	__aligned_u64 efr2;
};

enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,		/* newest: as in_data_type, "the default" */
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,	/* struct iommu_hw_info_vtd */
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,	/* struct iommu_hw_info_arm_smmuv3 */
	IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3,	/* struct iommu_hw_info_tegra241_cmdqv */
	IOMMU_HW_INFO_TYPE_AMD = 4,		/* struct iommu_hw_info_amd */
};

enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
	IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED = 1 << 3,	/* newest */
};

enum iommufd_hw_info_flags {
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,	/* ~6.17: in_data_type selects the type */
};

/*
 * data_len: in, size of the buffer at data_uptr; out, the kernel's length
 * (may exceed the input; 0 probes the size).  The kernel copies
 * min(in, kernel) bytes and zero-fills the rest of the buffer.
 * History: 32 bytes in 6.6 (the minimum size), 40 since 6.7
 * (out_capabilities).  Mainline 6.12 has a plain __u32 __reserved at +28;
 * Debian 6.12.117 already has out_max_pasid_log2 + __reserved[3] (mainline
 * ~6.15); the in_data_type union member and flags != 0 are ~6.17.
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;		/* enum iommufd_hw_info_flags */
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	union {
		__u32 in_data_type;	/* with IOMMU_HW_INFO_FLAG_INPUT_TYPE */
		__u32 out_data_type;	/* enum iommu_hw_info_type */
	};
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;	/* enum iommufd_hw_capabilities */
};
#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/* ---------------------------------------------------------------------- */
/* IOMMU_HWPT_SET_DIRTY_TRACKING / IOMMU_HWPT_GET_DIRTY_BITMAP (6.7) */

enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;		/* enum iommufd_hwpt_set_dirty_tracking_flags */
	__u32 hwpt_id;
	__u32 __reserved;
};
#define IOMMU_HWPT_SET_DIRTY_TRACKING \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

/*
 * Bit n of the bitmap at data (__u64 words) covers IOVA
 * iova + n * page_size: word n / 64, bit n % 64.
 */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;		/* enum iommufd_hwpt_get_dirty_bitmap_flags */
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;	/* user pointer to the bitmap */
};
#define IOMMU_HWPT_GET_DIRTY_BITMAP \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

/* ---------------------------------------------------------------------- */
/* IOMMU_HWPT_INVALIDATE (6.8): invalidate a nested HWPT's or vIOMMU's caches */

enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,		/* struct iommu_hwpt_vtd_s1_invalidate */
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,	/* struct iommu_viommu_arm_smmuv3_invalidate */
};

enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;		/* enum iommu_hwpt_vtd_s1_invalidate_flags */
	__u32 __reserved;
};

/* One ARM SMMUv3 command queue entry (little endian) */
struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_le64 cmd[2];
};

/*
 * hwpt_id: a nested HWPT, or (~6.14) a vIOMMU.  entry_num: in, number of
 * entries of entry_len bytes at data_uptr; out (always, also on error),
 * number of entries handled.
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;	/* enum iommu_hwpt_invalidate_data_type */
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};
#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

/* ---------------------------------------------------------------------- */
/* Fault queue records (read from / written to the fault fd, 6.11) */

enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = 1 << 0,
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = 1 << 1,
};

enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = 1 << 0,
	IOMMU_PGFAULT_PERM_WRITE = 1 << 1,
	IOMMU_PGFAULT_PERM_EXEC = 1 << 2,
	IOMMU_PGFAULT_PERM_PRIV = 1 << 3,
};

/*
 * One fault, as read(2) from the fault fd.  Reads must be a multiple of
 * sizeof(struct iommu_hwpt_pgfault) (else ESPIPE); faults come in whole
 * groups (the last has IOMMU_PGFAULT_FLAGS_LAST_PAGE) sharing one cookie.
 */
struct iommu_hwpt_pgfault {
	__u32 flags;		/* enum iommu_hwpt_pgfault_flags */
	__u32 dev_id;		/* iommufd device ID */
	__u32 pasid;
	__u32 grpid;
	__u32 perm;		/* enum iommu_hwpt_pgfault_perm */
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;		/* always 0 today */
	__u32 cookie;
};

enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,
	IOMMUFD_PAGE_RESP_INVALID = 1,
};

/* One response per fault group, as write(2) to the fault fd. */
struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;		/* enum iommufd_page_response_code */
};

/* ---------------------------------------------------------------------- */
/* IOMMU_FAULT_QUEUE_ALLOC (6.11): fault object + fd; flags must be 0 */

struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;	/* O_CLOEXEC | O_RDWR */
};
#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

/* ---------------------------------------------------------------------- */
/* IOMMU_VIOMMU_ALLOC (6.13): a virtual IOMMU on a NEST_PARENT HWPT */

enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,		/* EOPNOTSUPP */
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,	/* data: struct iommu_viommu_tegra241_cmdqv */
};

/* IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV data: where to mmap the VINTF page */
struct iommu_viommu_tegra241_cmdqv {
	__aligned_u64 out_vintf_mmap_offset;
	__aligned_u64 out_vintf_mmap_length;
};

/*
 * History: 24 bytes in 6.13 (up to out_viommu_id, the minimum size);
 * data_len, __reserved and data_uptr appended ~6.17.
 */
struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags;
	__u32 type;		/* enum iommu_viommu_type */
	__u32 dev_id;
	__u32 hwpt_id;		/* a NEST_PARENT paging HWPT */
	__u32 out_viommu_id;
	__u32 data_len;		/* ~6.17 */
	__u32 __reserved;	/* ~6.17 */
	__aligned_u64 data_uptr;	/* ~6.17 */
};
#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)

/* ---------------------------------------------------------------------- */
/* IOMMU_VDEVICE_ALLOC (6.13): a device's virtual ID on a vIOMMU */

struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id;	/* e.g. the guest's vSID / vRID */
};
#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)

/* ---------------------------------------------------------------------- */
/* IOMMU_IOAS_CHANGE_PROCESS (6.13): move pinned-page accounting to the caller */

struct iommu_ioas_change_process {
	__u32 size;
	__u32 __reserved;
};
#define IOMMU_IOAS_CHANGE_PROCESS \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)

/* ---------------------------------------------------------------------- */
/* vEVENTQ records (read from the vEVENTQ fd, 6.15) */

enum iommu_veventq_flag {
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = (1U << 0),	/* header without payload */
};

/*
 * Each record is this header immediately followed by the type's payload,
 * packed back to back with no padding: payloads and headers may be
 * misaligned in the read buffer (copy them out, do not cast).  sequence
 * counts up and wraps from INT_MAX to 0; a gap means lost events.
 */
struct iommufd_vevent_header {
	__u32 flags;		/* enum iommu_veventq_flag */
	__u32 sequence;
};

enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,		/* EOPNOTSUPP */
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,	/* struct iommu_vevent_arm_smmuv3 */
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,	/* struct iommu_vevent_tegra241_cmdqv */
};

/* One ARM SMMUv3 event queue entry; its StreamID field holds the virt_id */
struct iommu_vevent_arm_smmuv3 {
	__aligned_le64 evt[4];
};

struct iommu_vevent_tegra241_cmdqv {
	__aligned_le64 lvcmdq_err_map[2];
};

/* ---------------------------------------------------------------------- */
/* IOMMU_VEVENTQ_ALLOC (6.15): one event queue per type per vIOMMU */

/* History: the minimum size is 28 (up to out_veventq_fd). */
struct iommu_veventq_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;		/* enum iommu_veventq_type */
	__u32 veventq_depth;
	__u32 out_veventq_id;
	__u32 out_veventq_fd;	/* O_CLOEXEC */
	__u32 __reserved;
};
#define IOMMU_VEVENTQ_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)

/* ---------------------------------------------------------------------- */
/* IOMMU_HW_QUEUE_ALLOC (6.17): a hardware queue backed by guest memory */

enum iommu_hw_queue_type {
	IOMMU_HW_QUEUE_TYPE_DEFAULT = 0,	/* EOPNOTSUPP */
	IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1,
};

struct iommu_hw_queue_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;		/* enum iommu_hw_queue_type */
	__u32 index;
	__u32 out_hw_queue_id;
	__aligned_u64 nesting_parent_iova;
	__aligned_u64 length;
};
#define IOMMU_HW_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HW_QUEUE_ALLOC)

/* ---------------------------------------------------------------------- */
/*
 * IOMMU_IOAS_NOIOMMU_GET_PA (newest upstream tree only; not yet in a
 * release): physical address behind an IOVA for no-IOMMU cdev devices.
 * Probe for it; do not depend on it.
 */

struct iommu_ioas_noiommu_get_pa {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;	/* in: maximum; out: physically contiguous bytes */
	__aligned_u64 out_phys;
};
#define IOMMU_IOAS_NOIOMMU_GET_PA \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA)

/* ====================================================================== */
/*
 * selftest (CONFIG_IOMMUFD_TEST) ABI
 *
 * The kernel's self-test mock IOMMU driver and its IOMMU_TEST_CMD ioctl.
 * Not an exported kernel uapi header (the kernel keeps it under drivers/);
 * declared here from reference/kernel-abi.md section 4 so that the tests,
 * and libiommufd's mock which also answers these commands, share one
 * definition.  Absent CONFIG_IOMMUFD_TEST, IOMMU_TEST_CMD is ENOTTY; an
 * unknown op is EOPNOTSUPP.  Mock IO page size is PAGE_SIZE / 2 (2 KiB on
 * x86_64), its huge page 512 times that.
 */
/* ====================================================================== */

#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)	/* 0x3ba0 */

enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,			/* 6.2 */
	IOMMU_TEST_OP_MOCK_DOMAIN = 2,			/* 6.2 */
	IOMMU_TEST_OP_MD_CHECK_MAP = 3,			/* 6.2 */
	IOMMU_TEST_OP_MD_CHECK_REFS = 4,		/* 6.2 */
	IOMMU_TEST_OP_CREATE_ACCESS = 5,		/* 6.2 */
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES = 6,		/* 6.2 */
	IOMMU_TEST_OP_ACCESS_PAGES = 7,			/* 6.2 */
	IOMMU_TEST_OP_ACCESS_RW = 8,			/* 6.2 */
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT = 9,	/* 6.2 */
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE = 10,		/* 6.6 */
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS = 11,		/* 6.6 */
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS = 12,		/* 6.7 */
	IOMMU_TEST_OP_DIRTY = 13,			/* 6.7 */
	IOMMU_TEST_OP_MD_CHECK_IOTLB = 14,		/* ~6.8 */
	IOMMU_TEST_OP_TRIGGER_IOPF = 15,		/* 6.11; last one in 6.12 */
	IOMMU_TEST_OP_DEV_CHECK_CACHE = 16,		/* ~6.14 */
	IOMMU_TEST_OP_TRIGGER_VEVENT = 17,		/* 6.15 */
	IOMMU_TEST_OP_PASID_ATTACH = 18,		/* 6.15 */
	IOMMU_TEST_OP_PASID_REPLACE = 19,		/* 6.15 */
	IOMMU_TEST_OP_PASID_DETACH = 20,		/* 6.15 */
	IOMMU_TEST_OP_PASID_CHECK_HWPT = 21,		/* 6.15 */
	IOMMU_TEST_OP_DMABUF_GET = 22,			/* ~6.19 */
	IOMMU_TEST_OP_DMABUF_REVOKE = 23,		/* ~6.19 */
};

/* The mock domain's IOVA aperture */
enum {
	MOCK_APERTURE_START = 1 << 24,
	MOCK_APERTURE_LAST = 0x7fffffff,	/* (1 << 31) - 1 */
};

/* create_access.flags */
enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

/* access_rw.flags */
enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

/* access_pages.flags */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/* mock_domain_flags.dev_flags */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,	/* no IOMMU_HW_CAP_DIRTY_TRACKING */
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,	/* removed ~6.19: use MOCK_IOMMUPT_HUGE */
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,	/* 6.15 */
};

enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

enum {
	MOCK_DEV_CACHE_ID_MAX = 3,		/* ~6.14 */
	MOCK_DEV_CACHE_NUM = 4,			/* ~6.14 */
};

enum {
	MOCK_PASID_WIDTH = 20,			/* 6.15: out_max_pasid_log2 with DEVICE_PASID */
	IOMMU_TEST_PASID_RESERVED = 1024,
};

/* iommu_hwpt_selftest.pagetable_type (~6.19, generic page table mock) */
enum {
	MOCK_IOMMUPT_DEFAULT = 0,
	MOCK_IOMMUPT_HUGE = 1,
	MOCK_IOMMUPT_AMDV1 = 2,
};

struct iommu_test_cmd {
	__u32 size;
	__u32 op;		/* IOMMU_TEST_OP_* */
	__u32 id;		/* per op: an IOAS, HWPT, stdev, device or access fd */
	__u32 __reserved;
	union {
		struct {	/* ADD_RESERVED, id = ioas */
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {	/* MOCK_DOMAIN, id = ioas or hwpt */
			__u32 out_stdev_id;	/* destroy the mock device with this */
			__u32 out_hwpt_id;
			__u32 out_idev_id;	/* the iommufd dev_id (6.6) */
		} mock_domain;
		struct {	/* MOCK_DOMAIN_FLAGS (6.7), a superset of mock_domain */
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;	/* MOCK_FLAGS_DEVICE_* */
		} mock_domain_flags;
		struct {	/* MOCK_DOMAIN_REPLACE (6.6), id = stdev_id */
			__u32 pt_id;		/* in: new pt; out: attached hwpt */
		} mock_domain_replace;
		struct {	/* MD_CHECK_MAP, id = hwpt */
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {	/* MD_CHECK_REFS (EIO on mismatch) */
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		struct {	/* CREATE_ACCESS, id = ioas */
			__u32 out_access_fd;
			__u32 flags;		/* MOCK_FLAGS_ACCESS_* */
		} create_access;
		struct {	/* DESTROY_ACCESS_PAGES, id = access fd */
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {	/* ACCESS_PAGES, id = access fd */
			__u32 flags;		/* MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES */
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		struct {	/* ACCESS_RW, id = access fd */
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;		/* MOCK_ACCESS_RW_* */
		} access_rw;
		struct {	/* SET_TEMP_MEMORY_LIMIT */
			__u32 limit;
		} memory_limit;
		struct {	/* ACCESS_REPLACE_IOAS (6.6), id = access fd */
			__u32 ioas_id;
		} access_replace_ioas;
		struct {	/* DIRTY (6.7), id = hwpt */
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;	/* bitmap of pages to mark dirty */
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {	/* MD_CHECK_IOTLB (~6.8), id = nested hwpt */
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {	/* TRIGGER_IOPF (6.11) */
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__aligned_u64 addr;
		} trigger_iopf;
		struct {	/* DEV_CHECK_CACHE (~6.14), id = idev */
			__u32 id;
			__u32 cache;
		} check_dev_cache;
		struct {	/* TRIGGER_VEVENT (6.15) */
			__u32 dev_id;
		} trigger_vevent;
		struct {	/* PASID_ATTACH (6.15), id = stdev_id */
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach;
		struct {	/* PASID_REPLACE (6.15), id = stdev_id */
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		struct {	/* PASID_DETACH (6.15), id = stdev_id */
			__u32 pasid;
		} pasid_detach;
		struct {	/* PASID_CHECK_HWPT (6.15), id = stdev_id */
			__u32 pasid;
			__u32 hwpt_id;
		} pasid_check;
		struct {	/* DMABUF_GET (~6.19): the ioctl returns the fd */
			__u32 length;
			__u32 open_flags;
		} dmabuf_get;
		struct {	/* DMABUF_REVOKE (~6.19) */
			__s32 dmabuf_fd;
			__u32 revoked;
		} dmabuf_revoke;
	};
	__u32 last;
};

/* GET_HW_INFO on a mock device */
#define IOMMU_HW_INFO_TYPE_SELFTEST 0xfeedbeefU
#define IOMMU_HW_INFO_SELFTEST_REGVAL 0xdeadbeefU	/* test_reg */

struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;		/* IOMMU_HW_INFO_SELFTEST_REGVAL */
};

/* HWPT_ALLOC data for a nested mock HWPT */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef

/* 4 bytes (iotlb only) up to ~6.18; pagetable_type is ~6.19 */
struct iommu_hwpt_selftest {
	__u32 iotlb;
	__u32 pagetable_type;	/* MOCK_IOMMUPT_* */
};

/* HWPT_INVALIDATE data for a nested mock HWPT */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeefU
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

#define IOMMU_TEST_INVALIDATE_FLAG_ALL (1 << 0)

struct iommu_hwpt_invalidate_selftest {
	__u32 flags;		/* IOMMU_TEST_INVALIDATE_FLAG_ALL */
	__u32 iotlb_id;
};

/* vIOMMU (6.13+) */
#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeefU
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad

/* VIOMMU_ALLOC data; the mmap fields (~6.17) locate a page of /dev/iommu */
struct iommu_viommu_selftest {
	__u32 in_data;
	__u32 out_data;
	__aligned_u64 out_mmap_offset;
	__aligned_u64 out_mmap_length;
};

/* HWPT_INVALIDATE on a vIOMMU (~6.14), checked with DEV_CHECK_CACHE */
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeefU

struct iommu_viommu_invalidate_selftest {
	__u32 flags;		/* IOMMU_TEST_INVALIDATE_FLAG_ALL */
	__u32 vdev_id;
	__u32 cache_id;
};

/* vEVENTQ (6.15+): payload of a record queued by TRIGGER_VEVENT */
#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeefU

struct iommu_viommu_event_selftest {
	__u32 virt_id;
};

/* HW queue (6.17+) */
#define IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeefU
#define IOMMU_TEST_HW_QUEUE_MAX 2

#endif /* _IOMMUFD_H */
