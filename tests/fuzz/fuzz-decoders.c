/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the record decoders of include/iommufd/events.h:
 * iommufd_fault_decode() and iommufd_vevent_decode().  Whatever the bytes,
 * a decoder must not crash or read outside them (AddressSanitizer sees the
 * input as an exact-size heap block), and what it returns must agree with
 * the bytes: checked here record by record, independently of the library.
 *
 * Every input goes to every decoder:
 *  - the fault decoder, on all the bytes;
 *  - the vEVENTQ decoder for each known type (ARM SMMUv3, Tegra241 CMDQV,
 *    the selftest type): without sequence tracking, then twice with it (the
 *    second batch continues the first), then with the tracking started just
 *    below INT_MAX so that the wrap to 0 is crossed;
 *  - the vEVENTQ decoder for a type the library does not know, with the
 *    payload size taken from the first byte of the input (the records are
 *    the rest), and with no payload size (the batch stays undecoded);
 *  - the same again one byte into the input (odd alignment).
 *
 * Built with -fsanitize=fuzzer,address,undefined under clang (tests/fuzz/
 * meson.build); with FUZZ_REPLAY the same file gets a main() that replays
 * the files given (any compiler: the seed corpus in the default build).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iommufd/events.h>

#define FUZZ_UNKNOWN_TYPE 0x7777u

/* An invariant broken: report and abort, so that libFuzzer keeps the input. */
#define CHECK(cond)                                                                     \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "fuzz-decoders: %s:%d: check failed: %s\n", __FILE__,       \
                    __LINE__, #cond);                                                   \
            abort();                                                                    \
        }                                                                               \
    } while (0)

static uint32_t le32_at(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t le64_at(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* The payload size of a record of @p type with @p flags (0 for a LOST_EVENTS header). */
static size_t record_payload(uint32_t flags, size_t payload)
{
    return (flags & IOMMUFD_VEVENT_FLAG_LOST_EVENTS) ? 0 : payload;
}

/*
 * Walk the stream as the ABI defines it (kernel-abi.md 2.2) and return
 * whether it is whole; *n_events counts the records that are not a
 * LOST_EVENTS header.
 */
static bool stream_whole(const uint8_t *buf, size_t len, size_t payload, size_t *n_events)
{
    size_t off = 0;
    *n_events = 0;
    while (off < len) {
        if (len - off < IOMMUFD_VEVENT_HEADER_SIZE) {
            return false;
        }
        uint32_t flags = le32_at(buf + off);
        size_t p = record_payload(flags, payload);
        if (len - off - IOMMUFD_VEVENT_HEADER_SIZE < p) {
            return false;
        }
        if (!(flags & IOMMUFD_VEVENT_FLAG_LOST_EVENTS)) {
            (*n_events)++;
        }
        off += IOMMUFD_VEVENT_HEADER_SIZE + p;
    }
    return true;
}

/* Whether a whole stream holds a LOST_EVENTS header. */
static bool stream_has_lost_header(const uint8_t *buf, size_t len, size_t payload)
{
    for (size_t off = 0; off < len;) {
        uint32_t flags = le32_at(buf + off);
        if (flags & IOMMUFD_VEVENT_FLAG_LOST_EVENTS) {
            return true;
        }
        off += IOMMUFD_VEVENT_HEADER_SIZE + payload;
    }
    return false;
}

/* Check a decoded vEVENT batch against the bytes it came from. */
static void check_vevent_batch(const uint8_t *buf, size_t len, uint32_t type, size_t payload,
                               const IOMMUFDVeventBatch *b)
{
    size_t n_events = 0;
    CHECK(stream_whole(buf, len, payload, &n_events));
    CHECK(b->decoded);
    CHECK(b->n_events == n_events);
    CHECK(b->n_events == 0 || b->events != NULL);
    CHECK(!b->tail_lost || b->lost_events);
    /* loss counted is flagged; a flag without a count needs a LOST_EVENTS
     * header in the stream (one repeating the previous sequence number
     * stands for nothing lost) */
    CHECK(b->lost == 0 || b->lost_events);
    CHECK(!b->lost_events || b->lost > 0 || stream_has_lost_header(buf, len, payload));

    /* every event in order, its payload inside the buffer and as decoded */
    size_t off = 0, i = 0;
    while (off < len) {
        uint32_t flags = le32_at(buf + off);
        uint32_t seq = le32_at(buf + off + 4);
        size_t p = record_payload(flags, payload);
        if (!(flags & IOMMUFD_VEVENT_FLAG_LOST_EVENTS)) {
            const IOMMUFDVevent *e = &b->events[i++];
            const uint8_t *pl = buf + off + IOMMUFD_VEVENT_HEADER_SIZE;
            CHECK(e->flags == flags);
            CHECK(e->sequence == seq);
            CHECK(e->type == type);
            CHECK(e->payload_len == p);
            CHECK(p == 0 || e->payload == pl);
            switch (type) {
            case IOMMUFD_VEVENTQ_TYPE_ARM_SMMUV3:
                for (unsigned k = 0; k < 4; k++) {
                    CHECK(e->u.arm_smmuv3.evt[k] == GUINT64_FROM_LE(le64_at(pl + 8 * k)));
                }
                break;
            case IOMMUFD_VEVENTQ_TYPE_TEGRA241_CMDQV:
                for (unsigned k = 0; k < 2; k++) {
                    CHECK(e->u.tegra241_cmdqv.lvcmdq_err_map[k] ==
                          GUINT64_FROM_LE(le64_at(pl + 8 * k)));
                }
                break;
            case IOMMUFD_VEVENTQ_TYPE_SELFTEST:
                CHECK(e->u.selftest.virt_id == le32_at(pl));
                break;
            default:
                break;
            }
        }
        off += IOMMUFD_VEVENT_HEADER_SIZE + p;
    }
    /* a LOST_EVENTS header that is not the last record is no tail */
    if (b->tail_lost) {
        size_t last = 0;
        off = 0;
        while (off < len) {
            last = off;
            off += IOMMUFD_VEVENT_HEADER_SIZE + record_payload(le32_at(buf + off), payload);
        }
        CHECK(len > 0 && (le32_at(buf + last) & IOMMUFD_VEVENT_FLAG_LOST_EVENTS));
    }
}

/*
 * One vEVENT decode: success exactly when the stream is whole, the sequence
 * tracking moved by the batch's count on success and not at all on failure.
 */
static void fuzz_vevent(const uint8_t *buf, size_t len, uint32_t type, size_t payload_arg,
                        IOMMUFDVeventSeq *seq, IOMMUFDVeventBatch *b)
{
    IOMMUFDError *err = NULL;
    size_t known = iommufd_vevent_payload_size(type);
    size_t payload = known ? known : payload_arg;
    IOMMUFDVeventSeq before = seq ? *seq : (IOMMUFDVeventSeq)IOMMUFD_VEVENT_SEQ_INIT;
    size_t n = 0;

    bool ok = iommufd_vevent_decode(len ? buf : NULL, len, type, payload_arg, seq, b, &err);
    if (!known && payload_arg == 0) {
        /* unknown size: the bytes come back undecoded */
        CHECK(ok);
        CHECK(!b->decoded && b->n_events == 0 && b->raw_len == len);
        CHECK(!seq || (seq->valid == before.valid && seq->last == before.last &&
                       seq->lost_total == before.lost_total));
        return;
    }
    if (ok) {
        CHECK(err == NULL);
        check_vevent_batch(buf, len, type, payload, b);
        CHECK(b->raw_len == len);
        if (seq) {
            CHECK(seq->lost_total == before.lost_total + b->lost);
        }
    } else {
        CHECK(err != NULL);
        CHECK(!stream_whole(buf, len, payload, &n));
        CHECK(b->n_events == 0);
        CHECK(!seq || (seq->valid == before.valid && seq->last == before.last &&
                       seq->lost_total == before.lost_total));
        /* the message is a string that can be read in full */
        CHECK(strlen(iommufd_error_get_pretty(err)) > 0);
        iommufd_error_free(err);
    }
}

/* One fault decode, checked against the records. */
static void fuzz_fault(const uint8_t *buf, size_t len, IOMMUFDFaultBatch *b)
{
    IOMMUFDError *err = NULL;
    bool whole = len % IOMMUFD_FAULT_RECORD_SIZE == 0 &&
                 (len == 0 || (le32_at(buf + len - IOMMUFD_FAULT_RECORD_SIZE) &
                               IOMMUFD_FAULT_FLAG_LAST_PAGE));

    bool ok = iommufd_fault_decode(len ? buf : NULL, len, b, &err);
    if (!ok) {
        CHECK(err != NULL && !whole);
        CHECK(b->n_faults == 0 && b->n_groups == 0);
        CHECK(strlen(iommufd_error_get_pretty(err)) > 0);
        iommufd_error_free(err);
        return;
    }
    CHECK(whole);
    CHECK(b->n_faults == len / IOMMUFD_FAULT_RECORD_SIZE);
    size_t in_groups = 0, g = 0;
    for (size_t i = 0; i < b->n_faults; i++) {
        const uint8_t *r = buf + i * IOMMUFD_FAULT_RECORD_SIZE;
        const IOMMUFDFault *f = &b->faults[i];
        CHECK(f->flags == le32_at(r));
        CHECK(f->dev_id == le32_at(r + 4));
        CHECK(f->pasid == le32_at(r + 8));
        CHECK(f->grpid == le32_at(r + 12));
        CHECK(f->perm == le32_at(r + 16));
        CHECK(f->addr == le64_at(r + 24));
        CHECK(f->length == le32_at(r + 32));
        CHECK(f->cookie == le32_at(r + 36));
        if (f->flags & IOMMUFD_FAULT_FLAG_LAST_PAGE) {
            /* the group ends here: its cookie is this fault's */
            CHECK(g < b->n_groups);
            const IOMMUFDFaultGroup *grp = &b->groups[g++];
            CHECK(grp->faults >= b->faults && grp->faults + grp->n_faults == f + 1);
            CHECK(grp->n_faults >= 1);
            CHECK(grp->cookie == f->cookie);
            in_groups += grp->n_faults;
        }
    }
    CHECK(g == b->n_groups);
    CHECK(in_groups == b->n_faults);
}

static void fuzz_all(const uint8_t *data, size_t size, IOMMUFDVeventBatch *vb,
                     IOMMUFDFaultBatch *fb)
{
    static const uint32_t known[] = {
        IOMMUFD_VEVENTQ_TYPE_ARM_SMMUV3,
        IOMMUFD_VEVENTQ_TYPE_TEGRA241_CMDQV,
        IOMMUFD_VEVENTQ_TYPE_SELFTEST,
    };

    fuzz_fault(data, size, fb);
    for (size_t t = 0; t < sizeof(known) / sizeof(known[0]); t++) {
        IOMMUFDVeventSeq seq = IOMMUFD_VEVENT_SEQ_INIT;
        fuzz_vevent(data, size, known[t], 0, NULL, vb);
        fuzz_vevent(data, size, known[t], 0, &seq, vb);
        fuzz_vevent(data, size, known[t], 0, &seq, vb);   /* the next batch */
        IOMMUFDVeventSeq wrap = { true, IOMMUFD_VEVENT_SEQUENCE_MAX - (size ? data[0] % 4 : 0),
                                  0 };
        fuzz_vevent(data, size, known[t], 0, &wrap, vb);
    }
    if (size > 0) {
        /* an unknown type: the payload size is the input's first byte */
        IOMMUFDVeventSeq seq = IOMMUFD_VEVENT_SEQ_INIT;
        fuzz_vevent(data + 1, size - 1, FUZZ_UNKNOWN_TYPE, data[0], &seq, vb);
        fuzz_vevent(data + 1, size - 1, FUZZ_UNKNOWN_TYPE, data[0], NULL, vb);
    }
    fuzz_vevent(data, size, FUZZ_UNKNOWN_TYPE, 0, NULL, vb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    IOMMUFDVeventBatch vb = IOMMUFD_VEVENT_BATCH_INIT;
    IOMMUFDFaultBatch fb = IOMMUFD_FAULT_BATCH_INIT;

    fuzz_all(data, size, &vb, &fb);
    if (size > 1) {
        /* odd alignment, in an exact-size copy so that a read past the end
         * is still caught; the batches are reused (reset by the decoders) */
        uint8_t *copy = malloc(size - 1);
        CHECK(copy != NULL);
        memcpy(copy, data + 1, size - 1);
        fuzz_all(copy, size - 1, &vb, &fb);
        free(copy);
    }
    iommufd_vevent_batch_clear(&vb);
    iommufd_fault_batch_clear(&fb);
    CHECK(vb.events == NULL && vb.n_events == 0 && fb.faults == NULL && fb.n_faults == 0);
    return 0;
}

#ifdef FUZZ_REPLAY
#define FUZZ_REPLAY_WHAT "decoded by every decoder, checks hold"
#include "fuzz-replay.h"
#endif
