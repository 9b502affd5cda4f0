/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Event and fault queues (include/iommufd/events.h).
 *
 * Bottom to top: the pure decoders (bytes in, batch out, no system call);
 * the queue objects (fd + kernel object + read buffer size + sequence
 * tracking) with their one-read-per-batch drains and the page responses;
 * the GSource that drains a batch per dispatch.  A queue's teardown is
 * always: remove the source, close the fd, destroy the kernel object, drop
 * the backend; from inside the queue's own callback it is deferred until
 * the callback returns.
 */
#include "iommufd/events.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "backends/iommufd-internal.h"
#include "trace/trace-backends.h"

#define VEVENTQ_DEFAULT_BUF 4096u
#define VEVENTQ_MAX_BUF (1u << 20)
#define FAULTQ_DEFAULT_FAULTS 64u
#define FAULTQ_MAX_FAULTS 65536u

/* ==== decoders ============================================================= */

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t get_le64(const uint8_t *p)
{
    return GUINT64_FROM_LE(get_u64(p));
}

size_t iommufd_vevent_payload_size(uint32_t type)
{
    switch (type) {
    case IOMMUFD_VEVENTQ_TYPE_ARM_SMMUV3:
        return 32;
    case IOMMUFD_VEVENTQ_TYPE_TEGRA241_CMDQV:
        return 16;
    case IOMMUFD_VEVENTQ_TYPE_SELFTEST:
        return 4;
    default:
        return 0;
    }
}

static void vevent_batch_reset(IOMMUFDVeventBatch *out)
{
    out->n_events = 0;
    out->raw = NULL;
    out->raw_len = 0;
    out->decoded = false;
    out->lost_events = false;
    out->tail_lost = false;
    out->lost = 0;
}

void iommufd_vevent_batch_clear(IOMMUFDVeventBatch *batch)
{
    if (!batch) {
        return;
    }
    g_free(batch->events);
    g_free(batch->buf_);
    memset(batch, 0, sizeof(*batch));
}

static void vevent_fill(IOMMUFDVevent *ev, uint32_t type, const uint8_t *payload, size_t psize)
{
    memset(&ev->u, 0, sizeof(ev->u));
    switch (type) {
    case IOMMUFD_VEVENTQ_TYPE_ARM_SMMUV3:
        for (unsigned i = 0; i < 4; i++) {
            ev->u.arm_smmuv3.evt[i] = get_le64(payload + 8 * i);
        }
        break;
    case IOMMUFD_VEVENTQ_TYPE_TEGRA241_CMDQV:
        for (unsigned i = 0; i < 2; i++) {
            ev->u.tegra241_cmdqv.lvcmdq_err_map[i] = get_le64(payload + 8 * i);
        }
        break;
    case IOMMUFD_VEVENTQ_TYPE_SELFTEST:
        ev->u.selftest.virt_id = get_u32(payload);
        break;
    default:
        (void)psize;
        break;
    }
}

bool iommufd_vevent_decode(const void *buf, size_t len, uint32_t type, size_t payload_size,
                           IOMMUFDVeventSeq *seq, IOMMUFDVeventBatch *out, IOMMUFDError **errp)
{
    const size_t hs = IOMMUFD_VEVENT_HEADER_SIZE;
    const uint8_t *p = buf;
    IOMMUFDVeventSeq local = IOMMUFD_VEVENT_SEQ_INIT;
    size_t psize = iommufd_vevent_payload_size(type);
    size_t off = 0, max_events;
    uint64_t lost = 0;
    bool tail_lost = false, any_lost_hdr = false;

    if (!out) {
        iommufd_error_setg_code(errp, EINVAL, "vEVENT decode: no batch");
        return false;
    }
    vevent_batch_reset(out);
    if (!buf && len) {
        iommufd_error_setg_code(errp, EINVAL, "vEVENT decode: %zu bytes without a buffer", len);
        return false;
    }
    out->raw = p;
    out->raw_len = len;
    if (!psize) {
        psize = payload_size;
    }
    if (!psize) {
        /* records carry no length: without the size they cannot be split */
        return true;
    }
    if (psize > SIZE_MAX - hs) {
        iommufd_error_setg_code(errp, EINVAL, "vEVENT decode: payload size %zu too large", psize);
        out->raw = NULL;
        out->raw_len = 0;
        return false;
    }
    if (seq) {
        local = *seq;
    }
    max_events = len / (hs + psize);
    if (max_events > out->events_alloc_) {
        out->events = g_renew(IOMMUFDVevent, out->events, max_events);
        out->events_alloc_ = max_events;
    }

    while (off < len) {
        uint32_t flags, sequence;

        if (len - off < hs) {
            goto truncated;
        }
        flags = get_u32(p + off);
        sequence = get_u32(p + off + 4);
        if (flags & IOMMUFD_VEVENT_FLAG_LOST_EVENTS) {
            /* the header stands for the events dropped since the previous
             * record, its own sequence number included */
            uint64_t n = local.valid ? ((sequence - local.last) & IOMMUFD_VEVENT_SEQUENCE_MAX) : 1;
            lost += n;
            any_lost_hdr = true;
            local.valid = true;
            local.last = sequence;
            off += hs;
            tail_lost = off == len;
            continue;
        }
        if (len - off - hs < psize) {
            goto truncated;
        }
        if (local.valid) {
            uint32_t gap = (sequence - local.last) & IOMMUFD_VEVENT_SEQUENCE_MAX;
            if (gap > 1) {
                lost += gap - 1;
            }
        }
        local.valid = true;
        local.last = sequence;
        g_assert(out->n_events < max_events);
        IOMMUFDVevent *ev = &out->events[out->n_events++];
        ev->flags = flags;
        ev->sequence = sequence;
        ev->type = type;
        ev->payload_len = (uint32_t)MIN(psize, (size_t)UINT32_MAX);
        ev->payload = p + off + hs;
        vevent_fill(ev, type, ev->payload, psize);
        off += hs + psize;
        tail_lost = false;
    }

    local.lost_total += lost;
    if (seq) {
        *seq = local;
    }
    out->decoded = true;
    out->lost = lost;
    out->tail_lost = tail_lost;
    out->lost_events = lost > 0 || any_lost_hdr;
    return true;

truncated:
    iommufd_error_setg_code(errp, EPROTO,
                            "vEVENT decode (type 0x%x): truncated record at offset %zu of %zu "
                            "(payload %zu bytes)", type, off, len, psize);
    vevent_batch_reset(out);
    return false;
}

static void fault_batch_reset(IOMMUFDFaultBatch *out)
{
    out->n_faults = 0;
    out->n_groups = 0;
}

void iommufd_fault_batch_clear(IOMMUFDFaultBatch *batch)
{
    if (!batch) {
        return;
    }
    g_free(batch->faults);
    g_free(batch->groups);
    g_free(batch->buf_);
    memset(batch, 0, sizeof(*batch));
}

bool iommufd_fault_decode(const void *buf, size_t len, IOMMUFDFaultBatch *out,
                          IOMMUFDError **errp)
{
    const size_t rs = IOMMUFD_FAULT_RECORD_SIZE;
    const uint8_t *p = buf;
    size_t n, first = 0;

    if (!out) {
        iommufd_error_setg_code(errp, EINVAL, "fault decode: no batch");
        return false;
    }
    fault_batch_reset(out);
    if (!buf && len) {
        iommufd_error_setg_code(errp, EINVAL, "fault decode: %zu bytes without a buffer", len);
        return false;
    }
    if (len % rs) {
        iommufd_error_setg_code(errp, EPROTO,
                                "fault decode: %zu bytes is not a whole number of %zu-byte "
                                "records (truncated record)", len, rs);
        return false;
    }
    n = len / rs;
    if (n > out->faults_alloc_) {
        out->faults = g_renew(IOMMUFDFault, out->faults, n);
        out->faults_alloc_ = n;
    }
    if (n > out->groups_alloc_) {
        out->groups = g_renew(IOMMUFDFaultGroup, out->groups, n);
        out->groups_alloc_ = n;
    }
    for (size_t i = 0; i < n; i++) {
        const uint8_t *r = p + i * rs;
        IOMMUFDFault *f = &out->faults[i];

        f->flags = get_u32(r + 0);
        f->dev_id = get_u32(r + 4);
        f->pasid = get_u32(r + 8);
        f->grpid = get_u32(r + 12);
        f->perm = get_u32(r + 16);
        f->addr = get_u64(r + 24);
        f->length = get_u32(r + 32);
        f->cookie = get_u32(r + 36);
        if (f->flags & IOMMUFD_FAULT_FLAG_LAST_PAGE) {
            IOMMUFDFaultGroup *g = &out->groups[out->n_groups++];

            g->faults = NULL;             /* set once the array is final */
            g->n_faults = i + 1 - first;
            g->dev_id = f->dev_id;
            g->pasid = f->pasid;
            g->pasid_valid = f->flags & IOMMUFD_FAULT_FLAG_PASID_VALID;
            g->grpid = f->grpid;
            g->cookie = f->cookie;
            first = i + 1;
        }
    }
    if (first != n) {
        iommufd_error_setg_code(errp, EPROTO,
                                "fault decode: the last group (from record %zu of %zu) has no "
                                "LAST_PAGE fault", first, n);
        fault_batch_reset(out);
        return false;
    }
    out->n_faults = n;
    first = 0;
    for (size_t i = 0; i < out->n_groups; i++) {
        out->groups[i].faults = &out->faults[first];
        first += out->groups[i].n_faults;
    }
    return true;
}

/* ==== common queue part ===================================================== */

typedef gboolean (*DispatchFn)(void *q);

typedef struct QueueCore {
    IOMMUFDBackend *be;
    int fd;
    uint32_t id;
    pthread_mutex_t lock;          /* reads, decode state, buffer size */
    _Atomic uint64_t reads;
    /* main-loop side (the thread running the source) */
    GSource *source;
    int in_callback;
    bool free_pending;
} QueueCore;

/* Make an fd ours: non-blocking and close-on-exec. */
static bool fd_prepare(int fd, const char *what, IOMMUFDError **errp)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)) {
        iommufd_error_setg_errno(errp, errno, "%s: making fd %d non-blocking failed", what, fd);
        return false;
    }
    int fdfl = fcntl(fd, F_GETFD);
    if (fdfl < 0 || (!(fdfl & FD_CLOEXEC) && fcntl(fd, F_SETFD, fdfl | FD_CLOEXEC) < 0)) {
        iommufd_error_setg_errno(errp, errno, "%s: making fd %d close-on-exec failed", what, fd);
        return false;
    }
    return true;
}

/*
 * What an adopt checks before its queue exists: a backend (else the fd, ours
 * now, is closed) and an fd (else the id is destroyed); the error names the
 * queue ("vEVENTQ 5: ...") and the adopting function.
 */
static bool adopt_check(IOMMUFDBackend *be, uint32_t id, int fd, const char *what,
                        const char *func, IOMMUFDError **errp)
{
    if (!IOMMUFD_IS_BACKEND(be)) {
        if (fd >= 0) {
            close(fd);
        }
        iommufd_error_setg_internal(errp, __FILE__, __LINE__, func, EINVAL, false,
                                    "%s %u: no backend", what, id);
        return false;
    }
    if (fd < 0) {
        iommufd_backend_free_id(be, id, NULL);
        iommufd_error_setg_internal(errp, __FILE__, __LINE__, func, EBADF, false,
                                    "%s %u: fd %d is not valid", what, id, fd);
        return false;
    }
    return true;
}

static void core_init(QueueCore *c, IOMMUFDBackend *be, uint32_t id, int fd)
{
    c->be = g_object_ref(be);
    c->fd = fd;
    c->id = id;
    pthread_mutex_init(&c->lock, NULL);
    atomic_init(&c->reads, 0);
    c->source = NULL;
    c->in_callback = 0;
    c->free_pending = false;
}

static void core_detach(QueueCore *c)
{
    GSource *s = c->source;

    c->source = NULL;
    if (s) {
        g_source_destroy(s);
        g_source_unref(s);
    }
}

/* Remove from the loop, close the fd, destroy the object: in that order. */
/* Out of the loop, fd closed, kernel object destroyed; the destroy's error
 * goes to errp (may be NULL) and its errno is returned (0 on success). */
static int core_teardown(QueueCore *c, IOMMUFDError **errp)
{
    IOMMUFDError *err = NULL;
    int ret = 0;

    core_detach(c);
    if (c->fd >= 0) {
        close(c->fd);
    }
    if (!iommufd_backend_free_id(c->be, c->id, &err)) {
        ret = iommufd_error_get_errno(err);
        iommufd_error_propagate(errp, err);
    }
    g_object_unref(c->be);
    pthread_mutex_destroy(&c->lock);
    return ret;
}

/* A queue closed from inside its own callback leaves the loop now; its fd
 * and object go when the callback returns.  @return true when deferred. */
static bool core_defer(QueueCore *c)
{
    if (!c->in_callback) {
        return false;
    }
    c->free_pending = true;
    core_detach(c);
    return true;
}

static bool poll_readable(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    int rc;

    do {
        rc = poll(&pfd, 1, 0);
    } while (rc < 0 && errno == EINTR);
    return rc > 0 && (pfd.revents & POLLIN);
}

static ssize_t read_retry(int fd, void *buf, size_t n, int *err)
{
    ssize_t r;

    do {
        r = read(fd, buf, n);
    } while (r < 0 && errno == EINTR);
    *err = r < 0 ? errno : 0;
    return r;
}

static void buf_ensure(uint8_t **buf, size_t *have, size_t want)
{
    if (*have < want) {
        g_free(*buf);
        *buf = g_malloc(want);
        *have = want;
    }
}

/*
 * The dispatch of both queue kinds.  fn drains a batch and calls the user's
 * function, counting the callback depth; a free requested inside happens
 * here once the function has returned.
 */
typedef struct SourceData {
    QueueCore *core;
    void *q;
    DispatchFn fn;
    void (*release)(void *q);
} SourceData;

static gboolean source_dispatch(gint fd, GIOCondition cond, gpointer data)
{
    SourceData *sd = data;
    QueueCore *c = sd->core;
    GSource *self = g_main_current_source();
    gboolean keep;

    (void)fd;
    (void)cond;
    c->in_callback++;
    keep = sd->fn(sd->q);
    c->in_callback--;
    if (c->free_pending && !c->in_callback) {
        sd->release(sd->q);          /* the source was destroyed by the free */
        return G_SOURCE_REMOVE;
    }
    if (!keep && c->source == self) {
        core_detach(c);
    }
    return keep;
}

static guint core_attach(QueueCore *c, GMainContext *context, SourceData *sd)
{
    GSource *s = g_unix_fd_source_new(c->fd, G_IO_IN);
    guint id;

    core_detach(c);
    g_source_set_callback(s, G_SOURCE_FUNC(source_dispatch), sd, g_free);
    g_source_set_name(s, "iommufd-queue");
    id = g_source_attach(s, context);
    c->source = s;
    return id;
}

/* ==== vEVENTQ ================================================================ */

struct IOMMUFDVeventq {
    QueueCore c;
    uint32_t type;
    size_t payload_size;
    size_t buf_size;               /* under c.lock */
    IOMMUFDVeventSeq seq;          /* under c.lock */
    _Atomic uint64_t lost;
    IOMMUFDVeventqFunc func;
    void *user_data;
    IOMMUFDVeventBatch src_batch;  /* the source's */
};

static IOMMUFDVeventq *veventq_make(IOMMUFDBackend *be, uint32_t id, int fd, uint32_t type,
                                    size_t payload_size, size_t buf_size)
{
    IOMMUFDVeventq *q = g_new0(IOMMUFDVeventq, 1);
    size_t psize = iommufd_vevent_payload_size(type);
    size_t min;

    core_init(&q->c, be, id, fd);
    q->type = type;
    q->payload_size = psize ? psize : payload_size;
    min = IOMMUFD_VEVENT_HEADER_SIZE + q->payload_size;
    q->buf_size = buf_size ? buf_size : VEVENTQ_DEFAULT_BUF;
    if (q->buf_size < min) {
        q->buf_size = min;
    }
    atomic_init(&q->lost, 0);
    return q;
}

static int veventq_teardown(IOMMUFDVeventq *q, IOMMUFDError **errp)
{
    int fd = q->c.fd;
    uint32_t id = q->c.id;
    int ret = core_teardown(&q->c, errp);

    trace_iommufd_veventq_free(fd, id, ret);
    iommufd_vevent_batch_clear(&q->src_batch);
    g_free(q);
    return ret;
}

/* The deferred free of a queue freed from inside its own callback. */
static void veventq_release(void *opaque)
{
    veventq_teardown(opaque, NULL);
}

IOMMUFDVeventq *iommufd_veventq_new(IOMMUFDBackend *be, uint32_t viommu_id, uint32_t type,
                                    uint32_t depth, size_t payload_size, size_t buf_size,
                                    IOMMUFDError **errp)
{
    uint32_t id;
    int fd;

    if (!IOMMUFD_IS_BACKEND(be)) {
        iommufd_error_setg_code(errp, EINVAL, "vEVENTQ: no backend");
        return NULL;
    }
    if (!iommufd_backend_alloc_veventq(be, viommu_id, type, depth, &id, &fd, errp)) {
        return NULL;
    }
    return iommufd_veventq_adopt(be, id, fd, type, payload_size, buf_size, errp);
}

IOMMUFDVeventq *iommufd_veventq_adopt(IOMMUFDBackend *be, uint32_t id, int fd, uint32_t type,
                                      size_t payload_size, size_t buf_size, IOMMUFDError **errp)
{
    IOMMUFDVeventq *q;

    if (!adopt_check(be, id, fd, "vEVENTQ", __func__, errp)) {
        return NULL;
    }
    q = veventq_make(be, id, fd, type, payload_size, buf_size);
    if (!fd_prepare(fd, "vEVENTQ", errp)) {
        iommufd_error_prepend(errp, "vEVENTQ %u: ", id);
        veventq_release(q);
        return NULL;
    }
    return q;
}

void iommufd_veventq_free(IOMMUFDVeventq *q)
{
    iommufd_veventq_close(q, NULL);
}

bool iommufd_veventq_close(IOMMUFDVeventq *q, IOMMUFDError **errp)
{
    if (!q) {
        return true;
    }
    if (core_defer(&q->c)) {
        return true;
    }
    return veventq_teardown(q, errp) == 0;
}

int iommufd_veventq_get_fd(IOMMUFDVeventq *q)
{
    return q ? q->c.fd : -1;
}

uint32_t iommufd_veventq_get_id(IOMMUFDVeventq *q)
{
    return q ? q->c.id : 0;
}

uint32_t iommufd_veventq_get_type(IOMMUFDVeventq *q)
{
    return q ? q->type : 0;
}

uint64_t iommufd_veventq_get_lost(IOMMUFDVeventq *q)
{
    return q ? atomic_load(&q->lost) : 0;
}

uint64_t iommufd_veventq_get_reads(IOMMUFDVeventq *q)
{
    return q ? atomic_load(&q->c.reads) : 0;
}

bool iommufd_veventq_drain(IOMMUFDVeventq *q, IOMMUFDVeventBatch *batch, IOMMUFDError **errp)
{
    bool ok = true;

    if (!q || !batch) {
        iommufd_error_setg_code(errp, EINVAL, "vEVENTQ drain: no queue or batch");
        return false;
    }
    vevent_batch_reset(batch);
    pthread_mutex_lock(&q->c.lock);
    for (;;) {
        size_t size = q->buf_size;
        int err;

        buf_ensure(&batch->buf_, &batch->buf_size_, size);
        ssize_t n = read_retry(q->c.fd, batch->buf_, size, &err);
        atomic_fetch_add(&q->c.reads, 1);
        if (n < 0) {
            trace_iommufd_veventq_read(q->c.fd, q->c.id, size, -1, 0, err);
            if (err != EAGAIN && err != EWOULDBLOCK) {
                iommufd_error_setg_errno(errp, err, "reading vEVENTQ %u (fd %d, %zu bytes) failed",
                                         q->c.id, q->c.fd, size);
                ok = false;
            }
            break;
        }
        if (n == 0) {
            trace_iommufd_veventq_read(q->c.fd, q->c.id, size, 0, 0, 0);
            /* empty, or the first record did not fit: the fd tells */
            if (poll_readable(q->c.fd)) {
                if (size < VEVENTQ_MAX_BUF) {
                    q->buf_size = MIN((size_t)VEVENTQ_MAX_BUF, size * 2);
                    trace_iommufd_veventq_grow(q->c.fd, q->c.id, q->buf_size);
                    continue;
                }
                /* never a silent empty batch on a readable fd: a main loop
                 * would wake for it forever */
                iommufd_error_setg_errno(errp, EMSGSIZE,
                                         "vEVENTQ %u: the first record does not fit %zu bytes, "
                                         "the most this queue reads", q->c.id, size);
                ok = false;
            }
            break;
        }
        ok = iommufd_vevent_decode(batch->buf_, (size_t)n, q->type, q->payload_size, &q->seq,
                                   batch, errp);
        trace_iommufd_veventq_read(q->c.fd, q->c.id, size, n, (uint32_t)batch->n_events,
                                   ok ? 0 : EPROTO);
        if (!ok) {
            iommufd_error_prepend(errp, "vEVENTQ %u: ", q->c.id);
            break;
        }
        if (batch->lost_events) {
            uint64_t total = atomic_fetch_add(&q->lost, batch->lost) + batch->lost;
            trace_iommufd_veventq_lost(q->c.fd, q->c.id, q->seq.last, batch->lost,
                                       batch->tail_lost, total);
        }
        break;
    }
    pthread_mutex_unlock(&q->c.lock);
    return ok;
}

static gboolean veventq_dispatch(void *opaque)
{
    IOMMUFDVeventq *q = opaque;
    IOMMUFDError *err = NULL;
    gboolean keep;

    if (!iommufd_veventq_drain(q, &q->src_batch, &err)) {
        keep = q->func(q, NULL, err, q->user_data);
        iommufd_error_free(err);
        return keep;
    }
    if (!q->src_batch.raw_len) {
        return G_SOURCE_CONTINUE;    /* woken for nothing */
    }
    return q->func(q, &q->src_batch, NULL, q->user_data);
}

guint iommufd_veventq_attach(IOMMUFDVeventq *q, GMainContext *context, IOMMUFDVeventqFunc func,
                             void *user_data)
{
    SourceData *sd;

    if (!q || !func || q->c.free_pending) {
        return 0;
    }
    q->func = func;
    q->user_data = user_data;
    sd = g_new0(SourceData, 1);
    sd->core = &q->c;
    sd->q = q;
    sd->fn = veventq_dispatch;
    sd->release = veventq_release;
    return core_attach(&q->c, context, sd);
}

void iommufd_veventq_detach(IOMMUFDVeventq *q)
{
    if (q) {
        core_detach(&q->c);
    }
}

/* ==== fault queue ============================================================ */

struct IOMMUFDFaultq {
    QueueCore c;
    size_t max_faults;             /* under c.lock */
    _Atomic uint64_t responses;
    IOMMUFDFaultqFunc func;
    void *user_data;
    IOMMUFDFaultBatch src_batch;   /* the source's */
};

static int faultq_teardown(IOMMUFDFaultq *q, IOMMUFDError **errp)
{
    int fd = q->c.fd;
    uint32_t id = q->c.id;
    int ret = core_teardown(&q->c, errp);

    trace_iommufd_faultq_free(fd, id, ret);
    iommufd_fault_batch_clear(&q->src_batch);
    g_free(q);
    return ret;
}

/* The deferred free of a queue freed from inside its own callback. */
static void faultq_release(void *opaque)
{
    faultq_teardown(opaque, NULL);
}

IOMMUFDFaultq *iommufd_faultq_new(IOMMUFDBackend *be, size_t max_faults, IOMMUFDError **errp)
{
    uint32_t id;
    int fd;

    if (!IOMMUFD_IS_BACKEND(be)) {
        iommufd_error_setg_code(errp, EINVAL, "fault queue: no backend");
        return NULL;
    }
    if (!iommufd_backend_alloc_faultq(be, &id, &fd, errp)) {
        return NULL;
    }
    return iommufd_faultq_adopt(be, id, fd, max_faults, errp);
}

IOMMUFDFaultq *iommufd_faultq_adopt(IOMMUFDBackend *be, uint32_t id, int fd, size_t max_faults,
                                    IOMMUFDError **errp)
{
    IOMMUFDFaultq *q;

    if (!adopt_check(be, id, fd, "fault queue", __func__, errp)) {
        return NULL;
    }
    q = g_new0(IOMMUFDFaultq, 1);
    core_init(&q->c, be, id, fd);
    q->max_faults = max_faults ? MIN(max_faults, (size_t)FAULTQ_MAX_FAULTS)
                               : FAULTQ_DEFAULT_FAULTS;
    atomic_init(&q->responses, 0);
    if (!fd_prepare(fd, "fault queue", errp)) {
        iommufd_error_prepend(errp, "fault queue %u: ", id);
        faultq_release(q);
        return NULL;
    }
    return q;
}

void iommufd_faultq_free(IOMMUFDFaultq *q)
{
    iommufd_faultq_close(q, NULL);
}

bool iommufd_faultq_close(IOMMUFDFaultq *q, IOMMUFDError **errp)
{
    if (!q) {
        return true;
    }
    if (core_defer(&q->c)) {
        return true;
    }
    return faultq_teardown(q, errp) == 0;
}

int iommufd_faultq_get_fd(IOMMUFDFaultq *q)
{
    return q ? q->c.fd : -1;
}

uint32_t iommufd_faultq_get_id(IOMMUFDFaultq *q)
{
    return q ? q->c.id : 0;
}

uint64_t iommufd_faultq_get_reads(IOMMUFDFaultq *q)
{
    return q ? atomic_load(&q->c.reads) : 0;
}

uint64_t iommufd_faultq_get_responses(IOMMUFDFaultq *q)
{
    return q ? atomic_load(&q->responses) : 0;
}

bool iommufd_faultq_drain(IOMMUFDFaultq *q, IOMMUFDFaultBatch *batch, IOMMUFDError **errp)
{
    const size_t rs = IOMMUFD_FAULT_RECORD_SIZE;
    bool ok = true;

    if (!q || !batch) {
        iommufd_error_setg_code(errp, EINVAL, "fault queue drain: no queue or batch");
        return false;
    }
    fault_batch_reset(batch);
    pthread_mutex_lock(&q->c.lock);
    for (;;) {
        size_t size = q->max_faults * rs;
        int err;

        buf_ensure(&batch->buf_, &batch->buf_size_, size);
        ssize_t n = read_retry(q->c.fd, batch->buf_, size, &err);
        atomic_fetch_add(&q->c.reads, 1);
        if (n < 0) {
            trace_iommufd_faultq_read(q->c.fd, q->c.id, size, -1, 0, 0, err);
            if (err == EAGAIN || err == EWOULDBLOCK) {
                break;
            }
            /* 6.12: the first group does not fit the buffer */
            if (err == EINVAL && q->max_faults < FAULTQ_MAX_FAULTS) {
                q->max_faults = MIN((size_t)FAULTQ_MAX_FAULTS, q->max_faults * 2);
                trace_iommufd_faultq_grow(q->c.fd, q->c.id, q->max_faults * rs, EINVAL);
                continue;
            }
            iommufd_error_setg_errno(errp, err,
                                     "reading fault queue %u (fd %d, %zu bytes) failed",
                                     q->c.id, q->c.fd, size);
            if (err == EINVAL) {
                iommufd_error_append_hint(errp, "a fault group larger than %u faults\n",
                                          FAULTQ_MAX_FAULTS);
            }
            ok = false;
            break;
        }
        if (n == 0) {
            trace_iommufd_faultq_read(q->c.fd, q->c.id, size, 0, 0, 0, 0);
            /* newer kernels: 0 both when empty and when the first group
             * does not fit; only a still-readable fd means the latter */
            if (poll_readable(q->c.fd)) {
                if (q->max_faults < FAULTQ_MAX_FAULTS) {
                    q->max_faults = MIN((size_t)FAULTQ_MAX_FAULTS, q->max_faults * 2);
                    trace_iommufd_faultq_grow(q->c.fd, q->c.id, q->max_faults * rs, 0);
                    continue;
                }
                /* as 6.12's EINVAL says: never a silent empty batch on a
                 * readable fd, which a main loop would wake for forever */
                iommufd_error_setg_errno(errp, EMSGSIZE,
                                         "fault queue %u: the first group does not fit %zu bytes",
                                         q->c.id, size);
                iommufd_error_append_hint(errp, "a fault group larger than %u faults\n",
                                          FAULTQ_MAX_FAULTS);
                ok = false;
            }
            break;
        }
        ok = iommufd_fault_decode(batch->buf_, (size_t)n, batch, errp);
        trace_iommufd_faultq_read(q->c.fd, q->c.id, size, n, (uint32_t)batch->n_groups,
                                  (uint32_t)batch->n_faults, ok ? 0 : EPROTO);
        if (!ok) {
            iommufd_error_prepend(errp, "fault queue %u: ", q->c.id);
        }
        break;
    }
    pthread_mutex_unlock(&q->c.lock);
    return ok;
}

bool iommufd_faultq_respond_many(IOMMUFDFaultq *q, const IOMMUFDPageResponse *resp, size_t n,
                                 size_t *n_done, IOMMUFDError **errp)
{
    const size_t ws = IOMMUFD_PAGE_RESPONSE_SIZE;
    size_t done = 0;
    bool ok = true;

    G_STATIC_ASSERT(sizeof(IOMMUFDPageResponse) == IOMMUFD_PAGE_RESPONSE_SIZE);
    if (n_done) {
        *n_done = 0;
    }
    if (!q || (n && !resp)) {
        iommufd_error_setg_code(errp, EINVAL, "fault response: no queue or responses");
        return false;
    }
    while (done < n) {
        ssize_t w;

        do {
            w = write(q->c.fd, resp + done, (n - done) * ws);
        } while (w < 0 && errno == EINTR);
        int err = w < 0 ? errno : 0;
        size_t taken = w > 0 ? (size_t)w / ws : 0;

        for (size_t i = 0; i < taken; i++) {
            trace_iommufd_faultq_respond(q->c.fd, q->c.id, resp[done + i].cookie,
                                         resp[done + i].code, 0);
        }
        done += taken;
        atomic_fetch_add(&q->responses, taken);
        if (taken) {
            continue;                /* a partial write: go on from there */
        }
        if (!err) {
            err = EIO;               /* nothing taken, no error: do not spin */
        }
        trace_iommufd_faultq_respond(q->c.fd, q->c.id, resp[done].cookie, resp[done].code, err);
        iommufd_error_setg_errno(errp, err,
                                 "fault queue %u: page response %zu of %zu (cookie %u, code %u) "
                                 "failed", q->c.id, done, n, resp[done].cookie, resp[done].code);
        if (err == EINVAL) {
            iommufd_error_append_hint(errp, "the cookie is unknown (answered already, or never "
                                      "read) or the code is neither SUCCESS nor INVALID\n");
        }
        ok = false;
        break;
    }
    if (n_done) {
        *n_done = done;
    }
    return ok;
}

bool iommufd_faultq_respond(IOMMUFDFaultq *q, const IOMMUFDFaultGroup *group,
                            IOMMUFDPageResponseCode code, IOMMUFDError **errp)
{
    IOMMUFDPageResponse r;

    if (!group || !group->n_faults) {
        iommufd_error_setg_code(errp, EINVAL, "fault response: no group");
        return false;
    }
    r.cookie = group->cookie;
    r.code = (uint32_t)code;
    return iommufd_faultq_respond_many(q, &r, 1, NULL, errp);
}

static gboolean faultq_dispatch(void *opaque)
{
    IOMMUFDFaultq *q = opaque;
    IOMMUFDError *err = NULL;
    gboolean keep;

    if (!iommufd_faultq_drain(q, &q->src_batch, &err)) {
        keep = q->func(q, NULL, err, q->user_data);
        iommufd_error_free(err);
        return keep;
    }
    if (!q->src_batch.n_groups) {
        return G_SOURCE_CONTINUE;
    }
    return q->func(q, &q->src_batch, NULL, q->user_data);
}

guint iommufd_faultq_attach(IOMMUFDFaultq *q, GMainContext *context, IOMMUFDFaultqFunc func,
                            void *user_data)
{
    SourceData *sd;

    if (!q || !func || q->c.free_pending) {
        return 0;
    }
    q->func = func;
    q->user_data = user_data;
    sd = g_new0(SourceData, 1);
    sd->core = &q->c;
    sd->q = q;
    sd->fn = faultq_dispatch;
    sd->release = faultq_release;
    return core_attach(&q->c, context, sd);
}

void iommufd_faultq_detach(IOMMUFDFaultq *q)
{
    if (q) {
        core_detach(&q->c);
    }
}
