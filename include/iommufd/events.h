/* SPDX-License-Identifier: LGPL-2.1-or-later */
/**
 * @file events.h
 * @brief Event and fault queues: read in batches, decode, count lost events,
 *        answer page faults, and plug the queues into a GLib main loop.
 *
 * Two kinds of queue, each an object that owns its fd and its kernel object:
 *
 *  - IOMMUFDVeventq, a vEVENTQ (IOMMU_VEVENTQ_ALLOC, 6.15) of one type on a
 *    vIOMMU: a stream of 8-byte headers (flags, sequence) each followed by a
 *    type-specific payload, packed with no padding;
 *  - IOMMUFDFaultq, a fault queue (IOMMU_FAULT_QUEUE_ALLOC, 6.11): 40-byte
 *    page-fault records in groups ending with IOMMUFD_FAULT_FLAG_LAST_PAGE,
 *    answered with one 8-byte response per group.
 *
 * Layers, from the bottom:
 *
 *  1. Pure decoders, iommufd_vevent_decode() and iommufd_fault_decode(): a
 *     plain byte buffer in, a batch of records out.  No fd, no queue, no
 *     system call.  Any bytes are accepted without reading out of bounds;
 *     malformed input (a truncated record, a group without LAST_PAGE) is an
 *     error.  Records are copied with memcpy (payloads are unaligned).
 *  2. Drain: iommufd_veventq_drain() / iommufd_faultq_drain() issue one
 *     read() into the batch's buffer (sized when the queue is created) and
 *     decode what came; for callers with their own loop, with the fd from
 *     iommufd_veventq_get_fd() / iommufd_faultq_get_fd().
 *  3. A GSource per queue (iommufd_veventq_attach() / iommufd_faultq_attach(),
 *     a GLib unix fd source underneath) that drains one batch per dispatch
 *     and calls the caller's function with it, on any GMainContext.
 *
 * Lost events (vEVENTQ): every record the kernel queues, the LOST_EVENTS
 * header included, takes a sequence number, which wraps from INT_MAX to 0.
 * A gap between consecutive sequence numbers of g means g - 1 events lost;
 * a LOST_EVENTS header (always at the tail of what the kernel had) stands
 * for the events dropped since the previous record, its own number
 * included.  Each batch tells how many it detected (lost, lost_events) and
 * whether it ended with the header (tail_lost); the queue keeps the total.
 *
 * Fault reads: when the first group does not fit the buffer, Linux 6.12
 * fails the read with EINVAL and newer kernels return 0, which is also the
 * answer of an empty queue.  The drain grows the batch's buffer on EINVAL,
 * and on 0 only while poll() still reports the fd readable.
 *
 * Thread safety: a queue may be drained, answered and queried from several
 * threads; reads and the sequence tracking are serialised by the queue's
 * mutex, statistics are atomic.  A batch belongs to one thread at a time.
 * Freeing a queue must not race other threads' calls on it.
 *
 * Every function reports errors as the rest of the library does (bool +
 * errp; exactly one error on failure, *errp untouched on success).
 */
#ifndef IOMMUFD_EVENTS_H
#define IOMMUFD_EVENTS_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <iommufd/backend.h>
#include <iommufd/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- record formats ------------------------------------------------------ */

/** Size of one vEVENTQ record header (flags, sequence). */
#define IOMMUFD_VEVENT_HEADER_SIZE 8u
/** Size of one fault record (struct iommu_hwpt_pgfault). */
#define IOMMUFD_FAULT_RECORD_SIZE 40u
/** Size of one page response (struct iommu_hwpt_page_response). */
#define IOMMUFD_PAGE_RESPONSE_SIZE 8u
/** The largest sequence number of a vEVENTQ; the next one is 0. */
#define IOMMUFD_VEVENT_SEQUENCE_MAX 0x7fffffffu

/**
 * @name vEVENTQ types
 * The types whose payload the library knows (values of the uapi).
 * @{
 */
#define IOMMUFD_VEVENTQ_TYPE_ARM_SMMUV3 1u      /**< 32 bytes: 4 little-endian u64 */
#define IOMMUFD_VEVENTQ_TYPE_TEGRA241_CMDQV 2u  /**< 16 bytes: 2 little-endian u64 */
#define IOMMUFD_VEVENTQ_TYPE_SELFTEST 0xbeefbeefu /**< 4 bytes: u32 virt_id */
/** @} */

/** vEVENTQ header flag: the queue overflowed; a header without payload. */
#define IOMMUFD_VEVENT_FLAG_LOST_EVENTS (1u << 0)

/**
 * @name Fault record flags
 * IOMMUFDFault::flags (the uapi's IOMMU_PGFAULT_FLAGS_*).
 * @{
 */
#define IOMMUFD_FAULT_FLAG_PASID_VALID (1u << 0) /**< pasid is valid */
#define IOMMUFD_FAULT_FLAG_LAST_PAGE (1u << 1)   /**< the last fault of its group */
/** @} */

/**
 * @name Fault record permissions
 * IOMMUFDFault::perm (the uapi's IOMMU_PGFAULT_PERM_*).
 * @{
 */
#define IOMMUFD_FAULT_PERM_READ (1u << 0)  /**< read access */
#define IOMMUFD_FAULT_PERM_WRITE (1u << 1) /**< write access */
#define IOMMUFD_FAULT_PERM_EXEC (1u << 2)  /**< instruction fetch */
#define IOMMUFD_FAULT_PERM_PRIV (1u << 3)  /**< privileged-mode access */
/** @} */

/** The answer to a page-fault group. */
typedef enum IOMMUFDPageResponseCode {
    IOMMUFD_PAGE_RESPONSE_SUCCESS = 0, /**< the fault was resolved: retry the access */
    IOMMUFD_PAGE_RESPONSE_INVALID = 1, /**< the fault cannot be resolved */
} IOMMUFDPageResponseCode;

/* ---- vEVENTQ records and batches ---------------------------------------- */

/** One vEVENT (a record without the LOST_EVENTS flag). */
typedef struct IOMMUFDVevent {
    uint32_t flags;          /**< header flags */
    uint32_t sequence;       /**< header sequence number (0 to INT_MAX) */
    uint32_t type;           /**< the queue's type */
    uint32_t payload_len;    /**< bytes of payload */
    const uint8_t *payload;  /**< the payload bytes inside the batch's buffer
                                  (unaligned: memcpy, never cast) */
    /** The payload decoded, for the known types (host byte order). */
    union {
        /** IOMMUFD_VEVENTQ_TYPE_ARM_SMMUV3 */
        struct {
            uint64_t evt[4];            /**< the SMMUv3 event record */
        } arm_smmuv3;
        /** IOMMUFD_VEVENTQ_TYPE_TEGRA241_CMDQV */
        struct {
            uint64_t lvcmdq_err_map[2]; /**< LVCMDQ error bitmap */
        } tegra241_cmdqv;
        /** IOMMUFD_VEVENTQ_TYPE_SELFTEST */
        struct {
            uint32_t virt_id;           /**< the vDEVICE's virtual id */
        } selftest;
    } u;
} IOMMUFDVevent;

/**
 * Where the sequence tracking of a vEVENTQ stands (in/out of the decoder).
 * Zero-initialise it (IOMMUFD_VEVENT_SEQ_INIT) before the first batch.
 */
typedef struct IOMMUFDVeventSeq {
    bool valid;              /**< a record was seen: last is meaningful */
    uint32_t last;           /**< the last sequence number seen */
    uint64_t lost_total;     /**< events lost so far, all batches */
} IOMMUFDVeventSeq;

/** Initialiser of an IOMMUFDVeventSeq. */
#define IOMMUFD_VEVENT_SEQ_INIT { false, 0, 0 }

/**
 * A batch of decoded vEVENTs.  Zero-initialise it (IOMMUFD_VEVENT_BATCH_INIT),
 * reuse it for any number of decodes or drains, and release it with
 * iommufd_vevent_batch_clear().
 */
typedef struct IOMMUFDVeventBatch {
    IOMMUFDVevent *events;   /**< the events, oldest first */
    size_t n_events;         /**< how many */
    const uint8_t *raw;      /**< the bytes decoded (or read, undecoded) */
    size_t raw_len;          /**< their length */
    bool decoded;            /**< false: the payload size was unknown, only
                                  raw/raw_len are set (no events, no loss
                                  accounting) */
    bool lost_events;        /**< this batch detected lost events */
    bool tail_lost;          /**< it ended with a LOST_EVENTS header */
    uint64_t lost;           /**< events lost, as counted in this batch */
    size_t events_alloc_;    /**< private: capacity of events */
    uint8_t *buf_;           /**< private: the drain's read buffer */
    size_t buf_size_;        /**< private: its size */
} IOMMUFDVeventBatch;

/** Initialiser of an IOMMUFDVeventBatch. */
#define IOMMUFD_VEVENT_BATCH_INIT { NULL, 0, NULL, 0, false, false, false, 0, 0, NULL, 0 }

/**
 * @brief The payload size of a vEVENTQ type.
 * @param type a vEVENTQ type
 * @return the payload size of a type the library knows, else 0
 */
IOMMUFD_API size_t iommufd_vevent_payload_size(uint32_t type);

/**
 * Decode a vEVENTQ read: header + payload records, back to back.  Pure: no
 * system call, no queue.  The events' payload pointers and batch->raw point
 * into @p buf, which must outlive the use of the batch.
 * @param buf          the bytes (any alignment; NULL only with @p len 0)
 * @param len          their length
 * @param type         the queue's type
 * @param payload_size the payload size for a type the library does not
 *                     know (ignored for known types); 0 with an unknown
 *                     type returns the batch undecoded (decoded false)
 * @param seq          sequence tracking across batches (in/out), or NULL to
 *                     count gaps within this buffer only
 * @param out          the batch (reset first)
 * @param errp         error: EINVAL for bad arguments, EPROTO for a
 *                     truncated record (the batch then holds nothing, @p seq
 *                     is unchanged)
 * @return true on success
 */
IOMMUFD_API bool iommufd_vevent_decode(const void *buf, size_t len, uint32_t type,
                                       size_t payload_size, IOMMUFDVeventSeq *seq,
                                       IOMMUFDVeventBatch *out, IOMMUFDError **errp);

/**
 * Free what a batch holds and reset it (NULL is ignored).
 * @param batch the batch
 */
IOMMUFD_API void iommufd_vevent_batch_clear(IOMMUFDVeventBatch *batch);

/* ---- fault records and batches ------------------------------------------ */

/** One page fault (struct iommu_hwpt_pgfault, host order). */
typedef struct IOMMUFDFault {
    uint32_t flags;   /**< IOMMUFD_FAULT_FLAG_* */
    uint32_t dev_id;  /**< the iommufd device id */
    uint32_t pasid;   /**< valid with IOMMUFD_FAULT_FLAG_PASID_VALID */
    uint32_t grpid;   /**< the PRI group id */
    uint32_t perm;    /**< IOMMUFD_FAULT_PERM_* */
    uint64_t addr;    /**< the faulting address */
    uint32_t length;  /**< always 0 today */
    uint32_t cookie;  /**< the kernel's handle of the group */
} IOMMUFDFault;

/** A page-fault group: faults up to the one with LAST_PAGE. */
typedef struct IOMMUFDFaultGroup {
    const IOMMUFDFault *faults; /**< its faults, inside the batch */
    size_t n_faults;            /**< how many (>= 1) */
    uint32_t dev_id;            /**< the device */
    uint32_t pasid;             /**< the PASID (when pasid_valid) */
    bool pasid_valid;           /**< IOMMUFD_FAULT_FLAG_PASID_VALID */
    uint32_t grpid;             /**< the group id */
    uint32_t cookie;            /**< the cookie of its last fault: the answer's */
} IOMMUFDFaultGroup;

/**
 * A batch of whole fault groups.  Zero-initialise it
 * (IOMMUFD_FAULT_BATCH_INIT), reuse it, release it with
 * iommufd_fault_batch_clear().
 */
typedef struct IOMMUFDFaultBatch {
    IOMMUFDFault *faults;     /**< all faults, in order */
    size_t n_faults;          /**< how many */
    IOMMUFDFaultGroup *groups;/**< the groups, in order */
    size_t n_groups;          /**< how many */
    size_t faults_alloc_;     /**< private: capacity of faults */
    size_t groups_alloc_;     /**< private: capacity of groups */
    uint8_t *buf_;            /**< private: the drain's read buffer */
    size_t buf_size_;         /**< private: its size */
} IOMMUFDFaultBatch;

/** Initialiser of an IOMMUFDFaultBatch. */
#define IOMMUFD_FAULT_BATCH_INIT { NULL, 0, NULL, 0, 0, 0, NULL, 0 }

/**
 * Decode a fault-queue read: 40-byte records in whole groups.  Pure: no
 * system call, no queue.
 * @param buf  the bytes (any alignment; NULL only with @p len 0)
 * @param len  their length
 * @param out  the batch (reset first)
 * @param errp error: EPROTO when @p len is not a multiple of 40 (a truncated
 *             record) or the last group has no LAST_PAGE fault (the batch
 *             then holds nothing); EINVAL for bad arguments
 * @return true on success
 */
IOMMUFD_API bool iommufd_fault_decode(const void *buf, size_t len, IOMMUFDFaultBatch *out,
                                      IOMMUFDError **errp);

/**
 * Free what a batch holds and reset it (NULL is ignored).
 * @param batch the batch
 */
IOMMUFD_API void iommufd_fault_batch_clear(IOMMUFDFaultBatch *batch);

/* ---- vEVENTQ objects ------------------------------------------------------ */

/** A vEVENTQ: its fd, its kernel object, its sequence tracking. */
typedef struct IOMMUFDVeventq IOMMUFDVeventq;

/**
 * Called by a queue's GSource with one batch per dispatch.
 * @param q         the queue (may be freed from inside: the free is deferred
 *                  until the function returns)
 * @param batch     the batch read (valid during the call), or NULL on error
 * @param err       the error of the read or decode, or NULL (owned by the
 *                  source; copy it to keep it)
 * @param user_data as given to the attach
 * @return G_SOURCE_CONTINUE to keep the source, G_SOURCE_REMOVE to detach it
 */
typedef gboolean (*IOMMUFDVeventqFunc)(IOMMUFDVeventq *q, const IOMMUFDVeventBatch *batch,
                                       const IOMMUFDError *err, void *user_data);

/**
 * IOMMU_VEVENTQ_ALLOC, with the fd made non-blocking (and close-on-exec).
 * @param be           the backend (a reference is taken)
 * @param viommu_id    the vIOMMU
 * @param type         the event type
 * @param depth        events the kernel holds before losing some (not 0)
 * @param payload_size payload size for a type the library does not know (0:
 *                     its batches stay undecoded); ignored for known types
 * @param buf_size     bytes read per batch (0: 4096); at least one record
 * @param errp         error (ENOTTY before 6.15)
 * @return the queue, or NULL
 */
IOMMUFD_API IOMMUFDVeventq *iommufd_veventq_new(IOMMUFDBackend *be, uint32_t viommu_id,
                                                uint32_t type, uint32_t depth,
                                                size_t payload_size, size_t buf_size,
                                                IOMMUFDError **errp);

/**
 * Take over a vEVENTQ the caller allocated: the queue owns @p fd and @p id
 * from now on, even when this fails (then both are released), and makes the
 * fd non-blocking and close-on-exec.
 * @param be           the backend holding the object (a reference is taken)
 * @param id           the vEVENTQ id
 * @param fd           its fd
 * @param type         its type
 * @param payload_size as for iommufd_veventq_new()
 * @param buf_size     as for iommufd_veventq_new()
 * @param errp         error
 * @return the queue, or NULL
 */
IOMMUFD_API IOMMUFDVeventq *iommufd_veventq_adopt(IOMMUFDBackend *be, uint32_t id, int fd,
                                                  uint32_t type, size_t payload_size,
                                                  size_t buf_size, IOMMUFDError **errp);

/**
 * Remove the queue from its main loop, close its fd, then destroy its kernel
 * object, in that order.  From inside the queue's own callback the free
 * happens when the callback returns.  NULL is ignored.
 * @param q the queue
 */
IOMMUFD_API void iommufd_veventq_free(IOMMUFDVeventq *q);

/**
 * iommufd_veventq_free() that reports whether the kernel object was
 * destroyed: the queue is gone either way, but when IOMMU_DESTROY fails its
 * error is returned (with its errno) and the object stays for the caller to
 * destroy with iommufd_backend_free_id().  From inside the queue's own
 * callback the teardown is deferred and this returns true.
 * @param q    the queue (NULL: true)
 * @param errp error
 * @return true when the object was destroyed (or the teardown deferred)
 */
IOMMUFD_API bool iommufd_veventq_close(IOMMUFDVeventq *q, IOMMUFDError **errp);

/**
 * @brief The queue's fd, for a caller's own poll loop.
 * @param q the queue
 * @return its pollable fd (POLLIN while events wait); -1 for NULL
 */
IOMMUFD_API int iommufd_veventq_get_fd(IOMMUFDVeventq *q);
/**
 * @brief The queue's kernel object.
 * @param q the queue
 * @return its vEVENTQ id; 0 for NULL
 */
IOMMUFD_API uint32_t iommufd_veventq_get_id(IOMMUFDVeventq *q);
/**
 * @brief The queue's event type.
 * @param q the queue
 * @return its type; 0 for NULL
 */
IOMMUFD_API uint32_t iommufd_veventq_get_type(IOMMUFDVeventq *q);
/**
 * @brief Events lost so far, all batches.
 * @param q the queue
 * @return events lost (sequence gaps and LOST_EVENTS); 0 for NULL
 */
IOMMUFD_API uint64_t iommufd_veventq_get_lost(IOMMUFDVeventq *q);
/**
 * @brief Reads issued so far.
 * @param q the queue
 * @return read() calls issued on its fd; 0 for NULL
 */
IOMMUFD_API uint64_t iommufd_veventq_get_reads(IOMMUFDVeventq *q);

/**
 * Read one batch: one read() into the batch's buffer (of the queue's
 * buf_size), decoded with the queue's sequence tracking.  An empty queue
 * gives an empty batch (raw_len 0) and true.
 * @param q     the queue
 * @param batch the batch (reset first)
 * @param errp  error (the read's errno; EPROTO for a malformed stream)
 * @return true on success
 */
IOMMUFD_API bool iommufd_veventq_drain(IOMMUFDVeventq *q, IOMMUFDVeventBatch *batch,
                                       IOMMUFDError **errp);

/**
 * Attach a GSource to @p context (NULL: the default context) that drains a
 * batch whenever the fd is readable and calls @p func with it.  One source
 * per queue: a second attach replaces the first.
 * @param q         the queue
 * @param context   the main context, or NULL
 * @param func      the callback
 * @param user_data its data
 * @return the source id in @p context
 */
IOMMUFD_API guint iommufd_veventq_attach(IOMMUFDVeventq *q, GMainContext *context,
                                         IOMMUFDVeventqFunc func, void *user_data);

/**
 * Remove the queue's GSource, if any (safe from inside its callback).
 * @param q the queue
 */
IOMMUFD_API void iommufd_veventq_detach(IOMMUFDVeventq *q);

/* ---- fault queue objects -------------------------------------------------- */

/** A fault queue: its fd and its kernel object. */
typedef struct IOMMUFDFaultq IOMMUFDFaultq;

/** One page response, as written to the fault fd. */
typedef struct IOMMUFDPageResponse {
    uint32_t cookie; /**< the group's cookie */
    uint32_t code;   /**< IOMMUFDPageResponseCode */
} IOMMUFDPageResponse;

/**
 * Called by a fault queue's GSource with one batch per dispatch.
 * @param q         the queue (may be freed from inside; deferred)
 * @param batch     the groups read (valid during the call), or NULL on error
 * @param err       the error, or NULL (owned by the source)
 * @param user_data as given to the attach
 * @return G_SOURCE_CONTINUE or G_SOURCE_REMOVE
 */
typedef gboolean (*IOMMUFDFaultqFunc)(IOMMUFDFaultq *q, const IOMMUFDFaultBatch *batch,
                                      const IOMMUFDError *err, void *user_data);

/**
 * IOMMU_FAULT_QUEUE_ALLOC, with the fd made non-blocking (and close-on-exec).
 * @param be         the backend (a reference is taken)
 * @param max_faults faults read per batch at first (0: 64); grown when a
 *                   group does not fit
 * @param errp       error (ENOTTY before 6.11)
 * @return the queue, or NULL
 */
IOMMUFD_API IOMMUFDFaultq *iommufd_faultq_new(IOMMUFDBackend *be, size_t max_faults,
                                              IOMMUFDError **errp);

/**
 * Take over a fault queue the caller allocated: the queue owns @p fd and
 * @p id from now on, even when this fails (then both are released).
 * @param be         the backend holding the object (a reference is taken)
 * @param id         the fault queue id
 * @param fd         its fd
 * @param max_faults as for iommufd_faultq_new()
 * @param errp       error
 * @return the queue, or NULL
 */
IOMMUFD_API IOMMUFDFaultq *iommufd_faultq_adopt(IOMMUFDBackend *be, uint32_t id, int fd,
                                                size_t max_faults, IOMMUFDError **errp);

/**
 * Remove from the main loop, close the fd, destroy the kernel object (which
 * answers every unanswered group INVALID).  From inside the queue's own
 * callback the free happens when the callback returns.  NULL is ignored.
 * Destroying the object fails (EBUSY) while a HWPT uses it; the queue then
 * leaves it for the caller to destroy with iommufd_backend_free_id().
 * @param q the queue
 */
IOMMUFD_API void iommufd_faultq_free(IOMMUFDFaultq *q);

/**
 * iommufd_faultq_free() that reports whether the kernel object was
 * destroyed (see iommufd_veventq_close()).
 * @param q    the queue (NULL: true)
 * @param errp error
 * @return true when the object was destroyed (or the teardown deferred)
 */
IOMMUFD_API bool iommufd_faultq_close(IOMMUFDFaultq *q, IOMMUFDError **errp);

/**
 * @brief The queue's fd, for a caller's own poll loop.
 * @param q the queue
 * @return its pollable fd (POLLIN while faults wait); -1 for NULL
 */
IOMMUFD_API int iommufd_faultq_get_fd(IOMMUFDFaultq *q);
/**
 * @brief The queue's kernel object.
 * @param q the queue
 * @return its fault queue id (the fault_id of iommufd_backend_alloc_hwpt()
 *         with IOMMUFD_HWPT_FAULT_ID_VALID); 0 for NULL
 */
IOMMUFD_API uint32_t iommufd_faultq_get_id(IOMMUFDFaultq *q);
/**
 * @brief Reads issued so far.
 * @param q the queue
 * @return read() calls issued on its fd; 0 for NULL
 */
IOMMUFD_API uint64_t iommufd_faultq_get_reads(IOMMUFDFaultq *q);
/**
 * @brief Responses written so far.
 * @param q the queue
 * @return page responses the kernel took; 0 for NULL
 */
IOMMUFD_API uint64_t iommufd_faultq_get_responses(IOMMUFDFaultq *q);

/**
 * Read one batch of whole groups (one read(), more only to grow the buffer
 * when the first group did not fit).  An empty queue gives an empty batch
 * and true.
 * @param q     the queue
 * @param batch the batch (reset first)
 * @param errp  error
 * @return true on success
 */
IOMMUFD_API bool iommufd_faultq_drain(IOMMUFDFaultq *q, IOMMUFDFaultBatch *batch,
                                      IOMMUFDError **errp);

/**
 * Answer a group with the cookie of its last fault.
 * @param q     the queue
 * @param group the group
 * @param code  IOMMUFD_PAGE_RESPONSE_SUCCESS or IOMMUFD_PAGE_RESPONSE_INVALID
 * @param errp  error (EINVAL: an unknown cookie, the group was answered)
 * @return true on success
 */
IOMMUFD_API bool iommufd_faultq_respond(IOMMUFDFaultq *q, const IOMMUFDFaultGroup *group,
                                        IOMMUFDPageResponseCode code, IOMMUFDError **errp);

/**
 * Write several responses; a partial write (the kernel stops at a bad one)
 * is continued where it stopped, so the result tells exactly how many were
 * taken.
 * @param q       the queue
 * @param resp    the responses
 * @param n       how many
 * @param n_done  receives how many the kernel took (may be NULL)
 * @param errp    error naming the first response refused (its index and
 *                cookie)
 * @return true when all were taken
 */
IOMMUFD_API bool iommufd_faultq_respond_many(IOMMUFDFaultq *q, const IOMMUFDPageResponse *resp,
                                             size_t n, size_t *n_done, IOMMUFDError **errp);

/**
 * As iommufd_veventq_attach(), for a fault queue.
 * @param q         the queue
 * @param context   the main context, or NULL
 * @param func      the callback
 * @param user_data its data
 * @return the source id in @p context
 */
IOMMUFD_API guint iommufd_faultq_attach(IOMMUFDFaultq *q, GMainContext *context,
                                        IOMMUFDFaultqFunc func, void *user_data);

/**
 * Remove the queue's GSource, if any (safe from inside its callback).
 * @param q the queue
 */
IOMMUFD_API void iommufd_faultq_detach(IOMMUFDFaultq *q);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUFD_EVENTS_H */
