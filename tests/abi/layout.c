/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ABI layout test: checks libiommufd's own kernel ABI declarations
 * (include/uapi/linux/iommufd.h and vfio.h) against the facts of
 * reference/kernel-abi.md: every struct's size (x86_64), every field's offset,
 * size and signedness, the minimum (oldest accepted) sizes, every ioctl
 * number and its _IO encoding, and every enum and flag value.  It touches no
 * device, so it runs everywhere.
 */
#include <glib.h>
#include <stddef.h>
#include <stdio.h>

#include "uapi/linux/iommufd.h"
#include "uapi/linux/vfio.h"
#include "../common/fd-check.h"

#define MEMBER(t, m) (((struct t *)0)->m)

/* struct t is sz bytes, aligned to al */
#define SIZE(t, sz, al)							\
	do {								\
		g_assert_cmpuint(sizeof(struct t), ==, (sz));		\
		g_assert_cmpuint(G_ALIGNOF(struct t), ==, (al));	\
	} while (0)

#define FIELD(t, m, off, sz)						\
	do {								\
		g_assert_cmpuint(offsetof(struct t, m), ==, (off));	\
		g_assert_cmpuint(sizeof(MEMBER(t, m)), ==, (sz));	\
	} while (0)

/* 1 if the integer expression x has an unsigned type (no -Wtype-limits) */
#define IS_UNSIGNED(x) ((__typeof__(x))-1 > (__typeof__(x))0)

/* an unsigned integer field (__u8/__u16/__u32/__u64, __aligned_u64, __le64) */
#define FU(t, m, off, sz)						\
	do {								\
		FIELD(t, m, off, sz);					\
		g_assert_cmpint(IS_UNSIGNED(MEMBER(t, m)), ==, 1);	\
	} while (0)

/* a signed integer field (__s32) */
#define FS(t, m, off, sz)						\
	do {								\
		FIELD(t, m, off, sz);					\
		g_assert_cmpint(IS_UNSIGNED(MEMBER(t, m)), ==, 0);	\
	} while (0)

/* an array of n unsigned elements of elsz bytes */
#define FA(t, m, off, elsz, n)						\
	do {								\
		FIELD(t, m, off, (elsz) * (n));				\
		g_assert_cmpuint(sizeof(MEMBER(t, m)[0]), ==, (elsz));	\
		g_assert_cmpint(IS_UNSIGNED(MEMBER(t, m)[0]), ==, 1);	\
	} while (0)

/* the kernel's min_size: offsetofend(struct t, m) */
#define MINSZ(t, m, min)						\
	g_assert_cmpuint(offsetof(struct t, m) + sizeof(MEMBER(t, m)), ==, (min))

/* an _IO(type, nr) ioctl: no size, no direction */
static void check_ioctl(const char *name, unsigned long cmd, unsigned long type,
			unsigned long nr, unsigned long value)
{
	if (cmd != value || _IOC_TYPE(cmd) != type || _IOC_NR(cmd) != nr ||
	    _IOC_SIZE(cmd) != 0 || _IOC_DIR(cmd) != _IOC_NONE)
		g_test_message("%s is %#lx, expected %#lx = _IO(%#lx, %#lx)",
			       name, cmd, value, type, nr);
	g_assert_cmphex(cmd, ==, value);
	g_assert_cmphex(_IOC_TYPE(cmd), ==, type);
	g_assert_cmphex(_IOC_NR(cmd), ==, nr);
	g_assert_cmpuint(_IOC_SIZE(cmd), ==, 0);
	g_assert_cmpuint(_IOC_DIR(cmd), ==, _IOC_NONE);
}
#define IOCTL(cmd, type, nr, value) check_ioctl(#cmd, (cmd), (type), (nr), (value))

#define VAL(name, value) g_assert_cmphex((name), ==, (value))

/* ======================================================================
 * Section 1.2: command numbers and ioctl values
 */

static void test_ioctl_iommufd(void)
{
	g_assert_cmphex(IOMMUFD_TYPE, ==, 0x3b);
	g_assert_cmphex(IOMMUFD_TYPE, ==, ';');
	VAL(IOMMUFD_CMD_BASE, 0x80);

	VAL(IOMMUFD_CMD_DESTROY, 0x80);
	VAL(IOMMUFD_CMD_IOAS_ALLOC, 0x81);
	VAL(IOMMUFD_CMD_IOAS_ALLOW_IOVAS, 0x82);
	VAL(IOMMUFD_CMD_IOAS_COPY, 0x83);
	VAL(IOMMUFD_CMD_IOAS_IOVA_RANGES, 0x84);
	VAL(IOMMUFD_CMD_IOAS_MAP, 0x85);
	VAL(IOMMUFD_CMD_IOAS_UNMAP, 0x86);
	VAL(IOMMUFD_CMD_OPTION, 0x87);
	VAL(IOMMUFD_CMD_VFIO_IOAS, 0x88);
	VAL(IOMMUFD_CMD_HWPT_ALLOC, 0x89);
	VAL(IOMMUFD_CMD_GET_HW_INFO, 0x8a);
	VAL(IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING, 0x8b);
	VAL(IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP, 0x8c);
	VAL(IOMMUFD_CMD_HWPT_INVALIDATE, 0x8d);
	VAL(IOMMUFD_CMD_FAULT_QUEUE_ALLOC, 0x8e);
	VAL(IOMMUFD_CMD_IOAS_MAP_FILE, 0x8f);
	VAL(IOMMUFD_CMD_VIOMMU_ALLOC, 0x90);
	VAL(IOMMUFD_CMD_VDEVICE_ALLOC, 0x91);
	VAL(IOMMUFD_CMD_IOAS_CHANGE_PROCESS, 0x92);
	VAL(IOMMUFD_CMD_VEVENTQ_ALLOC, 0x93);
	VAL(IOMMUFD_CMD_HW_QUEUE_ALLOC, 0x94);
	VAL(IOMMUFD_CMD_IOAS_NOIOMMU_GET_PA, 0x95);

	IOCTL(IOMMU_DESTROY, 0x3b, 0x80, 0x3b80);
	IOCTL(IOMMU_IOAS_ALLOC, 0x3b, 0x81, 0x3b81);
	IOCTL(IOMMU_IOAS_ALLOW_IOVAS, 0x3b, 0x82, 0x3b82);
	IOCTL(IOMMU_IOAS_COPY, 0x3b, 0x83, 0x3b83);
	IOCTL(IOMMU_IOAS_IOVA_RANGES, 0x3b, 0x84, 0x3b84);
	IOCTL(IOMMU_IOAS_MAP, 0x3b, 0x85, 0x3b85);
	IOCTL(IOMMU_IOAS_UNMAP, 0x3b, 0x86, 0x3b86);
	IOCTL(IOMMU_OPTION, 0x3b, 0x87, 0x3b87);
	IOCTL(IOMMU_VFIO_IOAS, 0x3b, 0x88, 0x3b88);
	IOCTL(IOMMU_HWPT_ALLOC, 0x3b, 0x89, 0x3b89);
	IOCTL(IOMMU_GET_HW_INFO, 0x3b, 0x8a, 0x3b8a);
	IOCTL(IOMMU_HWPT_SET_DIRTY_TRACKING, 0x3b, 0x8b, 0x3b8b);
	IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP, 0x3b, 0x8c, 0x3b8c);
	IOCTL(IOMMU_HWPT_INVALIDATE, 0x3b, 0x8d, 0x3b8d);
	IOCTL(IOMMU_FAULT_QUEUE_ALLOC, 0x3b, 0x8e, 0x3b8e);
	IOCTL(IOMMU_IOAS_MAP_FILE, 0x3b, 0x8f, 0x3b8f);
	IOCTL(IOMMU_VIOMMU_ALLOC, 0x3b, 0x90, 0x3b90);
	IOCTL(IOMMU_VDEVICE_ALLOC, 0x3b, 0x91, 0x3b91);
	IOCTL(IOMMU_IOAS_CHANGE_PROCESS, 0x3b, 0x92, 0x3b92);
	IOCTL(IOMMU_VEVENTQ_ALLOC, 0x3b, 0x93, 0x3b93);
	IOCTL(IOMMU_HW_QUEUE_ALLOC, 0x3b, 0x94, 0x3b94);
	IOCTL(IOMMU_IOAS_NOIOMMU_GET_PA, 0x3b, 0x95, 0x3b95);
}

static void test_ioctl_selftest(void)
{
	IOCTL(IOMMU_TEST_CMD, 0x3b, 0xa0, 0x3ba0);
	g_assert_cmphex(IOMMU_TEST_CMD, ==, _IO(';', 0x80 + 32));
}

/* Section 3 (cdev) and the type1 compatibility commands of section 1.1 */
static void test_ioctl_vfio(void)
{
	g_assert_cmphex(VFIO_TYPE, ==, ';');
	VAL(VFIO_BASE, 100);

	/* the type1 ioctls /dev/iommu answers (NR below 0x80) */
	IOCTL(VFIO_GET_API_VERSION, 0x3b, 100, 0x3b64);
	IOCTL(VFIO_CHECK_EXTENSION, 0x3b, 101, 0x3b65);
	IOCTL(VFIO_SET_IOMMU, 0x3b, 102, 0x3b66);
	IOCTL(VFIO_IOMMU_GET_INFO, 0x3b, 112, 0x3b70);
	IOCTL(VFIO_IOMMU_MAP_DMA, 0x3b, 113, 0x3b71);
	IOCTL(VFIO_IOMMU_UNMAP_DMA, 0x3b, 114, 0x3b72);
	g_assert_cmpuint(_IOC_NR(VFIO_IOMMU_UNMAP_DMA), <, IOMMUFD_CMD_BASE);

	/* the device cdev ioctls */
	IOCTL(VFIO_DEVICE_BIND_IOMMUFD, 0x3b, 118, 0x3b76);
	IOCTL(VFIO_DEVICE_ATTACH_IOMMUFD_PT, 0x3b, 119, 0x3b77);
	IOCTL(VFIO_DEVICE_DETACH_IOMMUFD_PT, 0x3b, 120, 0x3b78);
}

/* ======================================================================
 * Section 1.3: the ioctl structs (sizes, offsets, minimum sizes)
 */

static void test_iommu_destroy(void)
{
	SIZE(iommu_destroy, 8, 4);
	FU(iommu_destroy, size, 0, 4);
	FU(iommu_destroy, id, 4, 4);
	MINSZ(iommu_destroy, id, 8);
}

static void test_iommu_ioas_alloc(void)
{
	SIZE(iommu_ioas_alloc, 12, 4);
	FU(iommu_ioas_alloc, size, 0, 4);
	FU(iommu_ioas_alloc, flags, 4, 4);
	FU(iommu_ioas_alloc, out_ioas_id, 8, 4);
	MINSZ(iommu_ioas_alloc, out_ioas_id, 12);
}

static void test_iommu_iova_range(void)
{
	SIZE(iommu_iova_range, 16, 8);
	FU(iommu_iova_range, start, 0, 8);
	FU(iommu_iova_range, last, 8, 8);
}

static void test_iommu_ioas_iova_ranges(void)
{
	SIZE(iommu_ioas_iova_ranges, 32, 8);
	FU(iommu_ioas_iova_ranges, size, 0, 4);
	FU(iommu_ioas_iova_ranges, ioas_id, 4, 4);
	FU(iommu_ioas_iova_ranges, num_iovas, 8, 4);
	FU(iommu_ioas_iova_ranges, __reserved, 12, 4);
	FU(iommu_ioas_iova_ranges, allowed_iovas, 16, 8);
	FU(iommu_ioas_iova_ranges, out_iova_alignment, 24, 8);
	MINSZ(iommu_ioas_iova_ranges, out_iova_alignment, 32);
}

static void test_iommu_ioas_allow_iovas(void)
{
	SIZE(iommu_ioas_allow_iovas, 24, 8);
	FU(iommu_ioas_allow_iovas, size, 0, 4);
	FU(iommu_ioas_allow_iovas, ioas_id, 4, 4);
	FU(iommu_ioas_allow_iovas, num_iovas, 8, 4);
	FU(iommu_ioas_allow_iovas, __reserved, 12, 4);
	FU(iommu_ioas_allow_iovas, allowed_iovas, 16, 8);
	MINSZ(iommu_ioas_allow_iovas, allowed_iovas, 24);
}

static void test_iommu_ioas_map(void)
{
	SIZE(iommu_ioas_map, 40, 8);
	FU(iommu_ioas_map, size, 0, 4);
	FU(iommu_ioas_map, flags, 4, 4);
	FU(iommu_ioas_map, ioas_id, 8, 4);
	FU(iommu_ioas_map, __reserved, 12, 4);
	FU(iommu_ioas_map, user_va, 16, 8);
	FU(iommu_ioas_map, length, 24, 8);
	FU(iommu_ioas_map, iova, 32, 8);
	MINSZ(iommu_ioas_map, iova, 40);
}

static void test_iommu_ioas_map_file(void)
{
	SIZE(iommu_ioas_map_file, 40, 8);
	FU(iommu_ioas_map_file, size, 0, 4);
	FU(iommu_ioas_map_file, flags, 4, 4);
	FU(iommu_ioas_map_file, ioas_id, 8, 4);
	FS(iommu_ioas_map_file, fd, 12, 4);
	FU(iommu_ioas_map_file, start, 16, 8);
	FU(iommu_ioas_map_file, length, 24, 8);
	FU(iommu_ioas_map_file, iova, 32, 8);
	MINSZ(iommu_ioas_map_file, iova, 40);
}

static void test_iommu_ioas_copy(void)
{
	SIZE(iommu_ioas_copy, 40, 8);
	FU(iommu_ioas_copy, size, 0, 4);
	FU(iommu_ioas_copy, flags, 4, 4);
	FU(iommu_ioas_copy, dst_ioas_id, 8, 4);
	FU(iommu_ioas_copy, src_ioas_id, 12, 4);
	FU(iommu_ioas_copy, length, 16, 8);
	FU(iommu_ioas_copy, dst_iova, 24, 8);
	FU(iommu_ioas_copy, src_iova, 32, 8);
	MINSZ(iommu_ioas_copy, src_iova, 40);
}

static void test_iommu_ioas_unmap(void)
{
	SIZE(iommu_ioas_unmap, 24, 8);
	FU(iommu_ioas_unmap, size, 0, 4);
	FU(iommu_ioas_unmap, ioas_id, 4, 4);
	FU(iommu_ioas_unmap, iova, 8, 8);
	FU(iommu_ioas_unmap, length, 16, 8);
	MINSZ(iommu_ioas_unmap, length, 24);
}

static void test_iommu_option(void)
{
	SIZE(iommu_option, 24, 8);
	FU(iommu_option, size, 0, 4);
	FU(iommu_option, option_id, 4, 4);
	FU(iommu_option, op, 8, 2);
	FU(iommu_option, __reserved, 10, 2);
	FU(iommu_option, object_id, 12, 4);
	FU(iommu_option, val64, 16, 8);
	MINSZ(iommu_option, val64, 24);
}

static void test_iommu_vfio_ioas(void)
{
	SIZE(iommu_vfio_ioas, 12, 4);
	FU(iommu_vfio_ioas, size, 0, 4);
	FU(iommu_vfio_ioas, ioas_id, 4, 4);
	FU(iommu_vfio_ioas, op, 8, 2);
	FU(iommu_vfio_ioas, __reserved, 10, 2);
	MINSZ(iommu_vfio_ioas, __reserved, 12);
}

static void test_iommu_ioas_change_process(void)
{
	SIZE(iommu_ioas_change_process, 8, 4);
	FU(iommu_ioas_change_process, size, 0, 4);
	FU(iommu_ioas_change_process, __reserved, 4, 4);
	MINSZ(iommu_ioas_change_process, __reserved, 8);
}

static void test_iommu_hwpt_alloc(void)
{
	SIZE(iommu_hwpt_alloc, 48, 8);
	FU(iommu_hwpt_alloc, size, 0, 4);
	FU(iommu_hwpt_alloc, flags, 4, 4);
	FU(iommu_hwpt_alloc, dev_id, 8, 4);
	FU(iommu_hwpt_alloc, pt_id, 12, 4);
	FU(iommu_hwpt_alloc, out_hwpt_id, 16, 4);
	FU(iommu_hwpt_alloc, __reserved, 20, 4);
	FU(iommu_hwpt_alloc, data_type, 24, 4);
	FU(iommu_hwpt_alloc, data_len, 28, 4);
	FU(iommu_hwpt_alloc, data_uptr, 32, 8);
	FU(iommu_hwpt_alloc, fault_id, 40, 4);
	FU(iommu_hwpt_alloc, __reserved2, 44, 4);
	/* 24 bytes in 6.6 (the minimum), 40 in 6.7-6.10, 48 since 6.11 */
	MINSZ(iommu_hwpt_alloc, __reserved, 24);
	MINSZ(iommu_hwpt_alloc, data_uptr, 40);
	MINSZ(iommu_hwpt_alloc, __reserved2, 48);
}

static void test_iommu_hw_info(void)
{
	SIZE(iommu_hw_info, 40, 8);
	FU(iommu_hw_info, size, 0, 4);
	FU(iommu_hw_info, flags, 4, 4);
	FU(iommu_hw_info, dev_id, 8, 4);
	FU(iommu_hw_info, data_len, 12, 4);
	FU(iommu_hw_info, data_uptr, 16, 8);
	FU(iommu_hw_info, out_data_type, 24, 4);
	FU(iommu_hw_info, in_data_type, 24, 4);
	FU(iommu_hw_info, out_max_pasid_log2, 28, 1);
	FA(iommu_hw_info, __reserved, 29, 1, 3);
	FU(iommu_hw_info, out_capabilities, 32, 8);
	/* 32 bytes in 6.6 (the minimum), 40 since 6.7 */
	MINSZ(iommu_hw_info, __reserved, 32);
	MINSZ(iommu_hw_info, out_capabilities, 40);
}

static void test_iommu_hwpt_set_dirty_tracking(void)
{
	SIZE(iommu_hwpt_set_dirty_tracking, 16, 4);
	FU(iommu_hwpt_set_dirty_tracking, size, 0, 4);
	FU(iommu_hwpt_set_dirty_tracking, flags, 4, 4);
	FU(iommu_hwpt_set_dirty_tracking, hwpt_id, 8, 4);
	FU(iommu_hwpt_set_dirty_tracking, __reserved, 12, 4);
	MINSZ(iommu_hwpt_set_dirty_tracking, __reserved, 16);
}

static void test_iommu_hwpt_get_dirty_bitmap(void)
{
	SIZE(iommu_hwpt_get_dirty_bitmap, 48, 8);
	FU(iommu_hwpt_get_dirty_bitmap, size, 0, 4);
	FU(iommu_hwpt_get_dirty_bitmap, hwpt_id, 4, 4);
	FU(iommu_hwpt_get_dirty_bitmap, flags, 8, 4);
	FU(iommu_hwpt_get_dirty_bitmap, __reserved, 12, 4);
	FU(iommu_hwpt_get_dirty_bitmap, iova, 16, 8);
	FU(iommu_hwpt_get_dirty_bitmap, length, 24, 8);
	FU(iommu_hwpt_get_dirty_bitmap, page_size, 32, 8);
	FU(iommu_hwpt_get_dirty_bitmap, data, 40, 8);
	MINSZ(iommu_hwpt_get_dirty_bitmap, data, 48);
}

static void test_iommu_hwpt_invalidate(void)
{
	SIZE(iommu_hwpt_invalidate, 32, 8);
	FU(iommu_hwpt_invalidate, size, 0, 4);
	FU(iommu_hwpt_invalidate, hwpt_id, 4, 4);
	FU(iommu_hwpt_invalidate, data_uptr, 8, 8);
	FU(iommu_hwpt_invalidate, data_type, 16, 4);
	FU(iommu_hwpt_invalidate, entry_len, 20, 4);
	FU(iommu_hwpt_invalidate, entry_num, 24, 4);
	FU(iommu_hwpt_invalidate, __reserved, 28, 4);
	MINSZ(iommu_hwpt_invalidate, __reserved, 32);
}

static void test_iommu_fault_alloc(void)
{
	SIZE(iommu_fault_alloc, 16, 4);
	FU(iommu_fault_alloc, size, 0, 4);
	FU(iommu_fault_alloc, flags, 4, 4);
	FU(iommu_fault_alloc, out_fault_id, 8, 4);
	FU(iommu_fault_alloc, out_fault_fd, 12, 4);
	MINSZ(iommu_fault_alloc, out_fault_fd, 16);
}

static void test_iommu_viommu_alloc(void)
{
	SIZE(iommu_viommu_alloc, 40, 8);
	FU(iommu_viommu_alloc, size, 0, 4);
	FU(iommu_viommu_alloc, flags, 4, 4);
	FU(iommu_viommu_alloc, type, 8, 4);
	FU(iommu_viommu_alloc, dev_id, 12, 4);
	FU(iommu_viommu_alloc, hwpt_id, 16, 4);
	FU(iommu_viommu_alloc, out_viommu_id, 20, 4);
	FU(iommu_viommu_alloc, data_len, 24, 4);
	FU(iommu_viommu_alloc, __reserved, 28, 4);
	FU(iommu_viommu_alloc, data_uptr, 32, 8);
	/* 24 bytes in 6.13 (the minimum); data fields appended ~6.17 */
	MINSZ(iommu_viommu_alloc, out_viommu_id, 24);
}

static void test_iommu_vdevice_alloc(void)
{
	SIZE(iommu_vdevice_alloc, 24, 8);
	FU(iommu_vdevice_alloc, size, 0, 4);
	FU(iommu_vdevice_alloc, viommu_id, 4, 4);
	FU(iommu_vdevice_alloc, dev_id, 8, 4);
	FU(iommu_vdevice_alloc, out_vdevice_id, 12, 4);
	FU(iommu_vdevice_alloc, virt_id, 16, 8);
	MINSZ(iommu_vdevice_alloc, virt_id, 24);
}

static void test_iommu_veventq_alloc(void)
{
	SIZE(iommu_veventq_alloc, 32, 4);
	FU(iommu_veventq_alloc, size, 0, 4);
	FU(iommu_veventq_alloc, flags, 4, 4);
	FU(iommu_veventq_alloc, viommu_id, 8, 4);
	FU(iommu_veventq_alloc, type, 12, 4);
	FU(iommu_veventq_alloc, veventq_depth, 16, 4);
	FU(iommu_veventq_alloc, out_veventq_id, 20, 4);
	FU(iommu_veventq_alloc, out_veventq_fd, 24, 4);
	FU(iommu_veventq_alloc, __reserved, 28, 4);
	MINSZ(iommu_veventq_alloc, out_veventq_fd, 28);
}

static void test_iommu_hw_queue_alloc(void)
{
	SIZE(iommu_hw_queue_alloc, 40, 8);
	FU(iommu_hw_queue_alloc, size, 0, 4);
	FU(iommu_hw_queue_alloc, flags, 4, 4);
	FU(iommu_hw_queue_alloc, viommu_id, 8, 4);
	FU(iommu_hw_queue_alloc, type, 12, 4);
	FU(iommu_hw_queue_alloc, index, 16, 4);
	FU(iommu_hw_queue_alloc, out_hw_queue_id, 20, 4);
	FU(iommu_hw_queue_alloc, nesting_parent_iova, 24, 8);
	FU(iommu_hw_queue_alloc, length, 32, 8);
	MINSZ(iommu_hw_queue_alloc, length, 40);
}

static void test_iommu_ioas_noiommu_get_pa(void)
{
	SIZE(iommu_ioas_noiommu_get_pa, 40, 8);
	FU(iommu_ioas_noiommu_get_pa, size, 0, 4);
	FU(iommu_ioas_noiommu_get_pa, flags, 4, 4);
	FU(iommu_ioas_noiommu_get_pa, ioas_id, 8, 4);
	FU(iommu_ioas_noiommu_get_pa, __reserved, 12, 4);
	FU(iommu_ioas_noiommu_get_pa, iova, 16, 8);
	FU(iommu_ioas_noiommu_get_pa, length, 24, 8);
	FU(iommu_ioas_noiommu_get_pa, out_phys, 32, 8);
}

/* ======================================================================
 * Section 1.3: driver data (HWPT_ALLOC, GET_HW_INFO, HWPT_INVALIDATE,
 * VIOMMU_ALLOC)
 */

static void test_iommu_hwpt_vtd_s1(void)
{
	SIZE(iommu_hwpt_vtd_s1, 24, 8);
	FU(iommu_hwpt_vtd_s1, flags, 0, 8);
	FU(iommu_hwpt_vtd_s1, pgtbl_addr, 8, 8);
	FU(iommu_hwpt_vtd_s1, addr_width, 16, 4);
	FU(iommu_hwpt_vtd_s1, __reserved, 20, 4);
}

static void test_iommu_hwpt_arm_smmuv3(void)
{
	SIZE(iommu_hwpt_arm_smmuv3, 16, 8);
	FA(iommu_hwpt_arm_smmuv3, ste, 0, 8, 2);
}

static void test_iommu_hwpt_amd_guest(void)
{
	SIZE(iommu_hwpt_amd_guest, 32, 8);
	FA(iommu_hwpt_amd_guest, dte, 0, 8, 4);
}

static void test_iommu_hw_info_vtd(void)
{
	SIZE(iommu_hw_info_vtd, 24, 8);
	FU(iommu_hw_info_vtd, flags, 0, 4);
	FU(iommu_hw_info_vtd, __reserved, 4, 4);
	FU(iommu_hw_info_vtd, cap_reg, 8, 8);
	FU(iommu_hw_info_vtd, ecap_reg, 16, 8);
}

static void test_iommu_hw_info_arm_smmuv3(void)
{
	SIZE(iommu_hw_info_arm_smmuv3, 40, 4);
	FU(iommu_hw_info_arm_smmuv3, flags, 0, 4);
	FU(iommu_hw_info_arm_smmuv3, __reserved, 4, 4);
	FA(iommu_hw_info_arm_smmuv3, idr, 8, 4, 6);
	FU(iommu_hw_info_arm_smmuv3, iidr, 32, 4);
	FU(iommu_hw_info_arm_smmuv3, aidr, 36, 4);
}

static void test_iommu_hw_info_tegra241_cmdqv(void)
{
	SIZE(iommu_hw_info_tegra241_cmdqv, 8, 4);
	FU(iommu_hw_info_tegra241_cmdqv, flags, 0, 4);
	FU(iommu_hw_info_tegra241_cmdqv, version, 4, 1);
	FU(iommu_hw_info_tegra241_cmdqv, log2vcmdqs, 5, 1);
	FU(iommu_hw_info_tegra241_cmdqv, log2vsids, 6, 1);
	FU(iommu_hw_info_tegra241_cmdqv, __reserved, 7, 1);
}

static void test_iommu_hw_info_amd(void)
{
	SIZE(iommu_hw_info_amd, 16, 8);
	FU(iommu_hw_info_amd, efr, 0, 8);
	FU(iommu_hw_info_amd, efr2, 8, 8);
}

static void test_iommu_hwpt_vtd_s1_invalidate(void)
{
	SIZE(iommu_hwpt_vtd_s1_invalidate, 24, 8);
	FU(iommu_hwpt_vtd_s1_invalidate, addr, 0, 8);
	FU(iommu_hwpt_vtd_s1_invalidate, npages, 8, 8);
	FU(iommu_hwpt_vtd_s1_invalidate, flags, 16, 4);
	FU(iommu_hwpt_vtd_s1_invalidate, __reserved, 20, 4);
}

static void test_iommu_viommu_arm_smmuv3_invalidate(void)
{
	SIZE(iommu_viommu_arm_smmuv3_invalidate, 16, 8);
	FA(iommu_viommu_arm_smmuv3_invalidate, cmd, 0, 8, 2);
}

static void test_iommu_viommu_tegra241_cmdqv(void)
{
	SIZE(iommu_viommu_tegra241_cmdqv, 16, 8);
	FU(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_offset, 0, 8);
	FU(iommu_viommu_tegra241_cmdqv, out_vintf_mmap_length, 8, 8);
}

/* ======================================================================
 * Section 2: records read from and written to the fault and vEVENTQ fds
 */

static void test_iommu_hwpt_pgfault(void)
{
	SIZE(iommu_hwpt_pgfault, 40, 8);
	FU(iommu_hwpt_pgfault, flags, 0, 4);
	FU(iommu_hwpt_pgfault, dev_id, 4, 4);
	FU(iommu_hwpt_pgfault, pasid, 8, 4);
	FU(iommu_hwpt_pgfault, grpid, 12, 4);
	FU(iommu_hwpt_pgfault, perm, 16, 4);
	FU(iommu_hwpt_pgfault, __reserved, 20, 4);
	FU(iommu_hwpt_pgfault, addr, 24, 8);
	FU(iommu_hwpt_pgfault, length, 32, 4);
	FU(iommu_hwpt_pgfault, cookie, 36, 4);
}

static void test_iommu_hwpt_page_response(void)
{
	SIZE(iommu_hwpt_page_response, 8, 4);
	FU(iommu_hwpt_page_response, cookie, 0, 4);
	FU(iommu_hwpt_page_response, code, 4, 4);
}

static void test_iommufd_vevent_header(void)
{
	SIZE(iommufd_vevent_header, 8, 4);
	FU(iommufd_vevent_header, flags, 0, 4);
	FU(iommufd_vevent_header, sequence, 4, 4);
}

static void test_iommu_vevent_arm_smmuv3(void)
{
	SIZE(iommu_vevent_arm_smmuv3, 32, 8);
	FA(iommu_vevent_arm_smmuv3, evt, 0, 8, 4);
}

static void test_iommu_vevent_tegra241_cmdqv(void)
{
	SIZE(iommu_vevent_tegra241_cmdqv, 16, 8);
	FA(iommu_vevent_tegra241_cmdqv, lvcmdq_err_map, 0, 8, 2);
}

static void test_iommu_viommu_event_selftest(void)
{
	SIZE(iommu_viommu_event_selftest, 4, 4);
	FU(iommu_viommu_event_selftest, virt_id, 0, 4);
	/* header + selftest payload, packed back to back: 12-byte records */
	g_assert_cmpuint(sizeof(struct iommufd_vevent_header) +
			 sizeof(struct iommu_viommu_event_selftest), ==, 12);
}

/* ======================================================================
 * Section 3: VFIO
 */

static void test_vfio_device_bind_iommufd(void)
{
	SIZE(vfio_device_bind_iommufd, 24, 8);
	FU(vfio_device_bind_iommufd, argsz, 0, 4);
	FU(vfio_device_bind_iommufd, flags, 4, 4);
	FS(vfio_device_bind_iommufd, iommufd, 8, 4);
	FU(vfio_device_bind_iommufd, out_devid, 12, 4);
	FU(vfio_device_bind_iommufd, token_uuid_ptr, 16, 8);
	MINSZ(vfio_device_bind_iommufd, out_devid, 16);		/* 6.12 size */
}

static void test_vfio_device_attach_iommufd_pt(void)
{
	SIZE(vfio_device_attach_iommufd_pt, 16, 4);
	FU(vfio_device_attach_iommufd_pt, argsz, 0, 4);
	FU(vfio_device_attach_iommufd_pt, flags, 4, 4);
	FU(vfio_device_attach_iommufd_pt, pt_id, 8, 4);
	FU(vfio_device_attach_iommufd_pt, pasid, 12, 4);
	MINSZ(vfio_device_attach_iommufd_pt, pt_id, 12);	/* 6.12 size */
}

static void test_vfio_device_detach_iommufd_pt(void)
{
	SIZE(vfio_device_detach_iommufd_pt, 12, 4);
	FU(vfio_device_detach_iommufd_pt, argsz, 0, 4);
	FU(vfio_device_detach_iommufd_pt, flags, 4, 4);
	FU(vfio_device_detach_iommufd_pt, pasid, 8, 4);
	MINSZ(vfio_device_detach_iommufd_pt, flags, 8);		/* 6.12 size */
}

/*
 * The type1 structs keep the kernel's plain __u64 (8-byte aligned on x86_64
 * and every 64-bit ABI, not on i386).  The reference names these commands
 * but gives no layouts; the values here are the stable VFIO type1 ABI, the
 * same as Debian 12's 6.1 <linux/vfio.h>.
 */
static gboolean u64_is_8_aligned(void)
{
	if (G_ALIGNOF(__u64) != 8) {
		g_test_skip("__u64 is not 8-byte aligned on this ABI (x86_64 layout)");
		return FALSE;
	}
	return TRUE;
}

static void test_vfio_type1(void)
{
	if (!u64_is_8_aligned())
		return;

	SIZE(vfio_info_cap_header, 8, 4);
	FU(vfio_info_cap_header, id, 0, 2);
	FU(vfio_info_cap_header, version, 2, 2);
	FU(vfio_info_cap_header, next, 4, 4);

	SIZE(vfio_iommu_type1_info, 24, 8);
	FU(vfio_iommu_type1_info, argsz, 0, 4);
	FU(vfio_iommu_type1_info, flags, 4, 4);
	FU(vfio_iommu_type1_info, iova_pgsizes, 8, 8);
	FU(vfio_iommu_type1_info, cap_offset, 16, 4);
	FU(vfio_iommu_type1_info, pad, 20, 4);

	SIZE(vfio_iova_range, 16, 8);
	FU(vfio_iova_range, start, 0, 8);
	FU(vfio_iova_range, end, 8, 8);

	SIZE(vfio_iommu_type1_info_cap_iova_range, 16, 8);
	FIELD(vfio_iommu_type1_info_cap_iova_range, header, 0, 8);
	FU(vfio_iommu_type1_info_cap_iova_range, nr_iovas, 8, 4);
	FU(vfio_iommu_type1_info_cap_iova_range, reserved, 12, 4);
	g_assert_cmpuint(offsetof(struct vfio_iommu_type1_info_cap_iova_range,
				  iova_ranges), ==, 16);

	SIZE(vfio_iommu_type1_info_dma_avail, 12, 4);
	FIELD(vfio_iommu_type1_info_dma_avail, header, 0, 8);
	FU(vfio_iommu_type1_info_dma_avail, avail, 8, 4);

	SIZE(vfio_iommu_type1_dma_map, 32, 8);
	FU(vfio_iommu_type1_dma_map, argsz, 0, 4);
	FU(vfio_iommu_type1_dma_map, flags, 4, 4);
	FU(vfio_iommu_type1_dma_map, vaddr, 8, 8);
	FU(vfio_iommu_type1_dma_map, iova, 16, 8);
	FU(vfio_iommu_type1_dma_map, size, 24, 8);

	SIZE(vfio_iommu_type1_dma_unmap, 24, 8);
	FU(vfio_iommu_type1_dma_unmap, argsz, 0, 4);
	FU(vfio_iommu_type1_dma_unmap, flags, 4, 4);
	FU(vfio_iommu_type1_dma_unmap, iova, 8, 8);
	FU(vfio_iommu_type1_dma_unmap, size, 16, 8);
	g_assert_cmpuint(offsetof(struct vfio_iommu_type1_dma_unmap, data), ==, 24);
}

static void test_enum_vfio(void)
{
	VAL(VFIO_API_VERSION, 0);
	VAL(VFIO_TYPE1_IOMMU, 1);
	VAL(VFIO_SPAPR_TCE_IOMMU, 2);
	VAL(VFIO_TYPE1v2_IOMMU, 3);
	VAL(VFIO_DMA_CC_IOMMU, 4);
	VAL(VFIO_EEH, 5);
	VAL(VFIO_TYPE1_NESTING_IOMMU, 6);
	VAL(VFIO_SPAPR_TCE_v2_IOMMU, 7);
	VAL(VFIO_NOIOMMU_IOMMU, 8);
	VAL(VFIO_UNMAP_ALL, 9);
	VAL(VFIO_UPDATE_VADDR, 10);

	VAL(VFIO_IOMMU_INFO_PGSIZES, 1 << 0);
	VAL(VFIO_IOMMU_INFO_CAPS, 1 << 1);
	VAL(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	VAL(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 3);
	VAL(VFIO_DMA_MAP_FLAG_READ, 1 << 0);
	VAL(VFIO_DMA_MAP_FLAG_WRITE, 1 << 1);
	VAL(VFIO_DMA_MAP_FLAG_VADDR, 1 << 2);
	VAL(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, 1 << 0);
	VAL(VFIO_DMA_UNMAP_FLAG_ALL, 1 << 1);
	VAL(VFIO_DMA_UNMAP_FLAG_VADDR, 1 << 2);

	VAL(VFIO_DEVICE_BIND_FLAG_TOKEN, 1 << 0);
	VAL(VFIO_DEVICE_ATTACH_PASID, 1 << 0);
	VAL(VFIO_DEVICE_DETACH_PASID, 1 << 0);
}

/* ======================================================================
 * Section 1.3 and 2: enums and flags
 */

static void test_enum_ioas(void)
{
	VAL(IOMMU_IOAS_MAP_FIXED_IOVA, 1 << 0);
	VAL(IOMMU_IOAS_MAP_WRITEABLE, 1 << 1);
	VAL(IOMMU_IOAS_MAP_READABLE, 1 << 2);

	VAL(IOMMU_OPTION_RLIMIT_MODE, 0);
	VAL(IOMMU_OPTION_HUGE_PAGES, 1);
	VAL(IOMMU_OPTION_OP_SET, 0);
	VAL(IOMMU_OPTION_OP_GET, 1);

	VAL(IOMMU_VFIO_IOAS_GET, 0);
	VAL(IOMMU_VFIO_IOAS_SET, 1);
	VAL(IOMMU_VFIO_IOAS_CLEAR, 2);
}

static void test_enum_hwpt(void)
{
	VAL(IOMMU_HWPT_ALLOC_NEST_PARENT, 1 << 0);
	VAL(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 1 << 1);
	VAL(IOMMU_HWPT_FAULT_ID_VALID, 1 << 2);
	VAL(IOMMU_HWPT_ALLOC_PASID, 1 << 3);

	VAL(IOMMU_HWPT_DATA_NONE, 0);
	VAL(IOMMU_HWPT_DATA_VTD_S1, 1);
	VAL(IOMMU_HWPT_DATA_ARM_SMMUV3, 2);
	VAL(IOMMU_HWPT_DATA_AMD_GUEST, 3);

	VAL(IOMMU_VTD_S1_SRE, 1);
	VAL(IOMMU_VTD_S1_EAFE, 2);
	VAL(IOMMU_VTD_S1_WPE, 4);

	VAL(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, 1);
	VAL(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, 1);

	VAL(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 0);
	VAL(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 1);
	VAL(IOMMU_VTD_INV_FLAGS_LEAF, 1);
}

static void test_enum_hw_info(void)
{
	VAL(IOMMU_HW_INFO_TYPE_NONE, 0);
	VAL(IOMMU_HW_INFO_TYPE_DEFAULT, 0);
	VAL(IOMMU_HW_INFO_TYPE_INTEL_VTD, 1);
	VAL(IOMMU_HW_INFO_TYPE_ARM_SMMUV3, 2);
	VAL(IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV, 3);
	VAL(IOMMU_HW_INFO_TYPE_AMD, 4);

	VAL(IOMMU_HW_INFO_FLAG_INPUT_TYPE, 1 << 0);

	VAL(IOMMU_HW_CAP_DIRTY_TRACKING, 1 << 0);
	VAL(IOMMU_HW_CAP_PCI_PASID_EXEC, 1 << 1);
	VAL(IOMMU_HW_CAP_PCI_PASID_PRIV, 1 << 2);
	VAL(IOMMU_HW_CAP_PCI_ATS_NOT_SUPPORTED, 1 << 3);

	VAL(IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17, 1);
	VAL(IOMMU_HW_INFO_ARM_SMMUV3_ERRATA_REPEAT_TLBI_CFGI, 1);
}

static void test_enum_fault(void)
{
	VAL(IOMMU_PGFAULT_FLAGS_PASID_VALID, 1 << 0);
	VAL(IOMMU_PGFAULT_FLAGS_LAST_PAGE, 1 << 1);

	VAL(IOMMU_PGFAULT_PERM_READ, 1 << 0);
	VAL(IOMMU_PGFAULT_PERM_WRITE, 1 << 1);
	VAL(IOMMU_PGFAULT_PERM_EXEC, 1 << 2);
	VAL(IOMMU_PGFAULT_PERM_PRIV, 1 << 3);

	VAL(IOMMUFD_PAGE_RESP_SUCCESS, 0);
	VAL(IOMMUFD_PAGE_RESP_INVALID, 1);
}

static void test_enum_viommu(void)
{
	VAL(IOMMU_VIOMMU_TYPE_DEFAULT, 0);
	VAL(IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 1);
	VAL(IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, 2);

	VAL(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 1u << 0);
	VAL(IOMMU_VEVENTQ_TYPE_DEFAULT, 0);
	VAL(IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 1);
	VAL(IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, 2);

	VAL(IOMMU_HW_QUEUE_TYPE_DEFAULT, 0);
	VAL(IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, 1);
}

/* ======================================================================
 * Section 4: the selftest (CONFIG_IOMMUFD_TEST) ABI
 */

static void test_iommu_test_cmd(void)
{
	SIZE(iommu_test_cmd, 72, 8);
	FU(iommu_test_cmd, size, 0, 4);
	FU(iommu_test_cmd, op, 4, 4);
	FU(iommu_test_cmd, id, 8, 4);
	FU(iommu_test_cmd, __reserved, 12, 4);
	FU(iommu_test_cmd, last, 64, 4);
	MINSZ(iommu_test_cmd, last, 68);
}

static void test_iommu_test_cmd_union(void)
{
	FU(iommu_test_cmd, add_reserved.start, 16, 8);
	FU(iommu_test_cmd, add_reserved.length, 24, 8);

	FU(iommu_test_cmd, mock_domain.out_stdev_id, 16, 4);
	FU(iommu_test_cmd, mock_domain.out_hwpt_id, 20, 4);
	FU(iommu_test_cmd, mock_domain.out_idev_id, 24, 4);

	FU(iommu_test_cmd, check_map.iova, 16, 8);
	FU(iommu_test_cmd, check_map.length, 24, 8);
	FU(iommu_test_cmd, check_map.uptr, 32, 8);

	FU(iommu_test_cmd, check_refs.length, 16, 8);
	FU(iommu_test_cmd, check_refs.uptr, 24, 8);
	FU(iommu_test_cmd, check_refs.refs, 32, 4);

	FU(iommu_test_cmd, create_access.out_access_fd, 16, 4);
	FU(iommu_test_cmd, create_access.flags, 20, 4);

	FU(iommu_test_cmd, destroy_access_pages.access_pages_id, 16, 4);

	FU(iommu_test_cmd, access_pages.flags, 16, 4);
	FU(iommu_test_cmd, access_pages.out_access_pages_id, 20, 4);
	FU(iommu_test_cmd, access_pages.iova, 24, 8);
	FU(iommu_test_cmd, access_pages.length, 32, 8);
	FU(iommu_test_cmd, access_pages.uptr, 40, 8);

	FU(iommu_test_cmd, access_rw.iova, 16, 8);
	FU(iommu_test_cmd, access_rw.length, 24, 8);
	FU(iommu_test_cmd, access_rw.uptr, 32, 8);
	FU(iommu_test_cmd, access_rw.flags, 40, 4);

	FU(iommu_test_cmd, memory_limit.limit, 16, 4);

	FU(iommu_test_cmd, mock_domain_replace.pt_id, 16, 4);

	FU(iommu_test_cmd, access_replace_ioas.ioas_id, 16, 4);

	FU(iommu_test_cmd, mock_domain_flags.out_stdev_id, 16, 4);
	FU(iommu_test_cmd, mock_domain_flags.out_hwpt_id, 20, 4);
	FU(iommu_test_cmd, mock_domain_flags.out_idev_id, 24, 4);
	FU(iommu_test_cmd, mock_domain_flags.dev_flags, 28, 4);

	FU(iommu_test_cmd, dirty.flags, 16, 4);
	FU(iommu_test_cmd, dirty.iova, 24, 8);
	FU(iommu_test_cmd, dirty.length, 32, 8);
	FU(iommu_test_cmd, dirty.page_size, 40, 8);
	FU(iommu_test_cmd, dirty.uptr, 48, 8);
	FU(iommu_test_cmd, dirty.out_nr_dirty, 56, 8);

	FU(iommu_test_cmd, check_iotlb.id, 16, 4);
	FU(iommu_test_cmd, check_iotlb.iotlb, 20, 4);

	FU(iommu_test_cmd, trigger_iopf.dev_id, 16, 4);
	FU(iommu_test_cmd, trigger_iopf.pasid, 20, 4);
	FU(iommu_test_cmd, trigger_iopf.grpid, 24, 4);
	FU(iommu_test_cmd, trigger_iopf.perm, 28, 4);
	FU(iommu_test_cmd, trigger_iopf.addr, 32, 8);

	FU(iommu_test_cmd, check_dev_cache.id, 16, 4);
	FU(iommu_test_cmd, check_dev_cache.cache, 20, 4);

	FU(iommu_test_cmd, trigger_vevent.dev_id, 16, 4);

	FU(iommu_test_cmd, pasid_attach.pasid, 16, 4);
	FU(iommu_test_cmd, pasid_attach.pt_id, 20, 4);
	FU(iommu_test_cmd, pasid_replace.pasid, 16, 4);
	FU(iommu_test_cmd, pasid_replace.pt_id, 20, 4);
	FU(iommu_test_cmd, pasid_detach.pasid, 16, 4);
	FU(iommu_test_cmd, pasid_check.pasid, 16, 4);
	FU(iommu_test_cmd, pasid_check.hwpt_id, 20, 4);

	FU(iommu_test_cmd, dmabuf_get.length, 16, 4);
	FU(iommu_test_cmd, dmabuf_get.open_flags, 20, 4);
	FS(iommu_test_cmd, dmabuf_revoke.dmabuf_fd, 16, 4);
	FU(iommu_test_cmd, dmabuf_revoke.revoked, 20, 4);

	/* the union spans [16, 64): its largest member is dirty */
	g_assert_cmpuint(sizeof(MEMBER(iommu_test_cmd, dirty)), ==, 48);
}

static void test_iommu_test_hw_info(void)
{
	SIZE(iommu_test_hw_info, 8, 4);
	FU(iommu_test_hw_info, flags, 0, 4);
	FU(iommu_test_hw_info, test_reg, 4, 4);
}

static void test_iommu_hwpt_selftest(void)
{
	SIZE(iommu_hwpt_selftest, 8, 4);
	FU(iommu_hwpt_selftest, iotlb, 0, 4);
	FU(iommu_hwpt_selftest, pagetable_type, 4, 4);
	MINSZ(iommu_hwpt_selftest, iotlb, 4);	/* the 6.12 size */
}

static void test_iommu_hwpt_invalidate_selftest(void)
{
	SIZE(iommu_hwpt_invalidate_selftest, 8, 4);
	FU(iommu_hwpt_invalidate_selftest, flags, 0, 4);
	FU(iommu_hwpt_invalidate_selftest, iotlb_id, 4, 4);
}

static void test_iommu_viommu_selftest(void)
{
	SIZE(iommu_viommu_selftest, 24, 8);
	FU(iommu_viommu_selftest, in_data, 0, 4);
	FU(iommu_viommu_selftest, out_data, 4, 4);
	FU(iommu_viommu_selftest, out_mmap_offset, 8, 8);
	FU(iommu_viommu_selftest, out_mmap_length, 16, 8);
}

static void test_iommu_viommu_invalidate_selftest(void)
{
	SIZE(iommu_viommu_invalidate_selftest, 12, 4);
	FU(iommu_viommu_invalidate_selftest, flags, 0, 4);
	FU(iommu_viommu_invalidate_selftest, vdev_id, 4, 4);
	FU(iommu_viommu_invalidate_selftest, cache_id, 8, 4);
}

static void test_enum_selftest(void)
{
	VAL(IOMMU_TEST_OP_ADD_RESERVED, 1);
	VAL(IOMMU_TEST_OP_MOCK_DOMAIN, 2);
	VAL(IOMMU_TEST_OP_MD_CHECK_MAP, 3);
	VAL(IOMMU_TEST_OP_MD_CHECK_REFS, 4);
	VAL(IOMMU_TEST_OP_CREATE_ACCESS, 5);
	VAL(IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, 6);
	VAL(IOMMU_TEST_OP_ACCESS_PAGES, 7);
	VAL(IOMMU_TEST_OP_ACCESS_RW, 8);
	VAL(IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, 9);
	VAL(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, 10);
	VAL(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, 11);
	VAL(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, 12);
	VAL(IOMMU_TEST_OP_DIRTY, 13);
	VAL(IOMMU_TEST_OP_MD_CHECK_IOTLB, 14);
	VAL(IOMMU_TEST_OP_TRIGGER_IOPF, 15);
	VAL(IOMMU_TEST_OP_DEV_CHECK_CACHE, 16);
	VAL(IOMMU_TEST_OP_TRIGGER_VEVENT, 17);
	VAL(IOMMU_TEST_OP_PASID_ATTACH, 18);
	VAL(IOMMU_TEST_OP_PASID_REPLACE, 19);
	VAL(IOMMU_TEST_OP_PASID_DETACH, 20);
	VAL(IOMMU_TEST_OP_PASID_CHECK_HWPT, 21);
	VAL(IOMMU_TEST_OP_DMABUF_GET, 22);
	VAL(IOMMU_TEST_OP_DMABUF_REVOKE, 23);

	VAL(MOCK_APERTURE_START, 1u << 24);
	VAL(MOCK_APERTURE_LAST, (1u << 31) - 1);

	VAL(MOCK_NESTED_DOMAIN_IOTLB_ID_MAX, 3);
	VAL(MOCK_NESTED_DOMAIN_IOTLB_NUM, 4);
	VAL(IOMMU_TEST_IOTLB_DEFAULT, 0xbadbeef);
	VAL(MOCK_DEV_CACHE_ID_MAX, 3);
	VAL(MOCK_DEV_CACHE_NUM, 4);
	VAL(IOMMU_TEST_DEV_CACHE_DEFAULT, 0xbaddad);
	VAL(MOCK_PASID_WIDTH, 20);
	VAL(IOMMU_TEST_PASID_RESERVED, 1024);

	VAL(MOCK_FLAGS_DEVICE_NO_DIRTY, 1 << 0);
	VAL(MOCK_FLAGS_DEVICE_HUGE_IOVA, 1 << 1);
	VAL(MOCK_FLAGS_DEVICE_PASID, 1 << 2);
	VAL(MOCK_IOMMUPT_DEFAULT, 0);
	VAL(MOCK_IOMMUPT_HUGE, 1);
	VAL(MOCK_IOMMUPT_AMDV1, 2);

	VAL(MOCK_FLAGS_ACCESS_WRITE, 1 << 0);
	VAL(MOCK_FLAGS_ACCESS_SYZ, 1 << 16);
	VAL(MOCK_ACCESS_RW_WRITE, 1 << 0);
	VAL(MOCK_ACCESS_RW_SLOW_PATH, 1 << 2);
	VAL(MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES, 1 << 0);

	VAL(IOMMU_HW_INFO_TYPE_SELFTEST, 0xfeedbeef);
	VAL(IOMMU_HW_INFO_SELFTEST_REGVAL, 0xdeadbeef);
	VAL(IOMMU_HWPT_DATA_SELFTEST, 0xdead);
	VAL(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, 0xdeadbeef);
	VAL(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, 0xdadbeef);
	VAL(IOMMU_TEST_INVALIDATE_FLAG_ALL, 1 << 0);
	VAL(IOMMU_VIOMMU_TYPE_SELFTEST, 0xdeadbeef);
	VAL(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 0xdeadbeef);
	VAL(IOMMU_VEVENTQ_TYPE_SELFTEST, 0xbeefbeef);
	VAL(IOMMU_HW_QUEUE_TYPE_SELFTEST, 0xdeadbeef);
	VAL(IOMMU_TEST_HW_QUEUE_MAX, 2);

	/* the 32-bit type constants compare equal to a __u32 field holding them */
	{
		struct iommu_hw_info info = { .out_data_type = IOMMU_HW_INFO_TYPE_SELFTEST };
		struct iommu_veventq_alloc vq = { .type = IOMMU_VEVENTQ_TYPE_SELFTEST };

		g_assert_true(info.out_data_type == IOMMU_HW_INFO_TYPE_SELFTEST);
		g_assert_true(vq.type == IOMMU_VEVENTQ_TYPE_SELFTEST);
	}
}

/* ====================================================================== */

#define ADD(path, fn) tu_add_func("/abi/" path, fn)
#define LAYOUT(name) tu_add_func("/abi/layout/" #name, test_##name)

int main(int argc, char **argv)
{
	/* g_test_init() prints "# random seed", so name the backend first */
	printf("# backend: none (layout only)\n");
	fflush(stdout);

	g_test_init(&argc, &argv, NULL);
	tu_fd_check_init();
	g_test_set_nonfatal_assertions();

	ADD("ioctl/iommufd", test_ioctl_iommufd);
	ADD("ioctl/vfio", test_ioctl_vfio);
	ADD("ioctl/selftest", test_ioctl_selftest);

	LAYOUT(iommu_destroy);
	LAYOUT(iommu_ioas_alloc);
	LAYOUT(iommu_iova_range);
	LAYOUT(iommu_ioas_iova_ranges);
	LAYOUT(iommu_ioas_allow_iovas);
	LAYOUT(iommu_ioas_map);
	LAYOUT(iommu_ioas_map_file);
	LAYOUT(iommu_ioas_copy);
	LAYOUT(iommu_ioas_unmap);
	LAYOUT(iommu_option);
	LAYOUT(iommu_vfio_ioas);
	LAYOUT(iommu_ioas_change_process);
	LAYOUT(iommu_hwpt_alloc);
	LAYOUT(iommu_hw_info);
	LAYOUT(iommu_hwpt_set_dirty_tracking);
	LAYOUT(iommu_hwpt_get_dirty_bitmap);
	LAYOUT(iommu_hwpt_invalidate);
	LAYOUT(iommu_fault_alloc);
	LAYOUT(iommu_viommu_alloc);
	LAYOUT(iommu_vdevice_alloc);
	LAYOUT(iommu_veventq_alloc);
	LAYOUT(iommu_hw_queue_alloc);
	LAYOUT(iommu_ioas_noiommu_get_pa);

	LAYOUT(iommu_hwpt_vtd_s1);
	LAYOUT(iommu_hwpt_arm_smmuv3);
	LAYOUT(iommu_hwpt_amd_guest);
	LAYOUT(iommu_hw_info_vtd);
	LAYOUT(iommu_hw_info_arm_smmuv3);
	LAYOUT(iommu_hw_info_tegra241_cmdqv);
	LAYOUT(iommu_hw_info_amd);
	LAYOUT(iommu_hwpt_vtd_s1_invalidate);
	LAYOUT(iommu_viommu_arm_smmuv3_invalidate);
	LAYOUT(iommu_viommu_tegra241_cmdqv);

	LAYOUT(iommu_hwpt_pgfault);
	LAYOUT(iommu_hwpt_page_response);
	LAYOUT(iommufd_vevent_header);
	LAYOUT(iommu_vevent_arm_smmuv3);
	LAYOUT(iommu_vevent_tegra241_cmdqv);

	LAYOUT(vfio_device_bind_iommufd);
	LAYOUT(vfio_device_attach_iommufd_pt);
	LAYOUT(vfio_device_detach_iommufd_pt);
	ADD("layout/vfio_type1", test_vfio_type1);

	LAYOUT(iommu_test_cmd);
	ADD("layout/iommu_test_cmd/union", test_iommu_test_cmd_union);
	LAYOUT(iommu_test_hw_info);
	LAYOUT(iommu_hwpt_selftest);
	LAYOUT(iommu_hwpt_invalidate_selftest);
	LAYOUT(iommu_viommu_selftest);
	LAYOUT(iommu_viommu_invalidate_selftest);
	LAYOUT(iommu_viommu_event_selftest);

	ADD("enum/ioas", test_enum_ioas);
	ADD("enum/hwpt", test_enum_hwpt);
	ADD("enum/hw_info", test_enum_hw_info);
	ADD("enum/fault", test_enum_fault);
	ADD("enum/viommu", test_enum_viommu);
	ADD("enum/vfio", test_enum_vfio);
	ADD("enum/selftest", test_enum_selftest);

	return g_test_run();
}
