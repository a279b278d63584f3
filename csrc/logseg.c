/* logseg.c -- the segment codec (format in logseg.h and docs/format.md). Encode, extend, validate, locate and
 * read a segment. Bounds-checked against the caller's lengths everywhere; allocates nothing; no global state. */
#include <string.h>
#include "logseg.h"

static const uint8_t MAGIC[4] = {'L', 'S', 'E', 'G'};

static inline uint16_t ld16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t ld32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t ld64(const uint8_t *p) { return (uint64_t)ld32(p) | ((uint64_t)ld32(p + 4) << 32); }
static inline void st16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void st32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void st64(uint8_t *p, uint64_t v) { st32(p, (uint32_t)v); st32(p + 4, (uint32_t)(v >> 32)); }

int lsg_encoded_size(uint32_t count, uint64_t payload_bytes, uint64_t *size_out) {
    if (count == 0) return LSG_E_ARG;
    uint64_t size = (uint64_t)LSG_HEADER_SIZE + LSG_TRAILER_SIZE +
                    (uint64_t)count * (LSG_RECORD_HEADER_SIZE + LSG_INDEX_ENTRY_SIZE);
    if (payload_bytes > LSG_MAX_SEGMENT_SIZE || size + payload_bytes > LSG_MAX_SEGMENT_SIZE) return LSG_E_TOO_LARGE;
    *size_out = size + payload_bytes;
    return LSG_OK;
}

/* Check the new records' arguments: count, order (also against prev_seq/prev_ts when has_prev), lengths. */
static int check_input(const uint64_t *seqs, const uint64_t *ts, const uint32_t *lens, uint32_t count,
                       size_t payloads_len, int has_prev, uint64_t prev_seq, uint64_t prev_ts) {
    if (count == 0) return LSG_E_ARG;
    uint64_t total = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (i > 0 || has_prev) {
            uint64_t ps = i ? seqs[i - 1] : prev_seq, pt = i ? ts[i - 1] : prev_ts;
            if (seqs[i] <= ps || ts[i] < pt) return LSG_E_ORDER;
        }
        total += lens[i];
    }
    return total == payloads_len ? LSG_OK : LSG_E_ARG;
}

/* Write records [0, count) at out+pos and their offsets at out+idx. Returns the position after the records. */
static size_t put_records(uint8_t *out, size_t pos, uint8_t *idx, const uint64_t *seqs, const uint64_t *ts,
                          const uint32_t *lens, uint32_t count, const uint8_t *payloads) {
    for (uint32_t i = 0; i < count; i++) {
        st32(idx + (size_t)i * LSG_INDEX_ENTRY_SIZE, (uint32_t)pos);
        st64(out + pos, seqs[i]);
        st64(out + pos + 8, ts[i]);
        st32(out + pos + 16, lens[i]);
        pos += LSG_RECORD_HEADER_SIZE;
        if (lens[i]) memcpy(out + pos, payloads, lens[i]);
        payloads += lens[i];
        pos += lens[i];
    }
    return pos;
}

static void put_header_and_crc(uint8_t *out, uint32_t count, uint32_t total, uint32_t index_off,
                               uint64_t first_seq, uint64_t last_seq, uint64_t first_ts, uint64_t last_ts) {
    memcpy(out, MAGIC, 4);
    st16(out + 4, LSG_VERSION);
    st16(out + 6, 0);
    st32(out + 8, count);
    st32(out + 12, total);
    st64(out + 16, first_seq);
    st64(out + 24, last_seq);
    st64(out + 32, first_ts);
    st64(out + 40, last_ts);
    st32(out + 48, index_off);
    st32(out + 52, lsg_crc32c(0, out, 52));
    st32(out + total - LSG_TRAILER_SIZE, lsg_crc32c(0, out, total - LSG_TRAILER_SIZE));
}

int lsg_encode(const uint64_t *seqs, const uint64_t *ts, const uint32_t *lens, uint32_t count,
               const uint8_t *payloads, size_t payloads_len, uint8_t *out, size_t out_cap, size_t *out_len) {
    uint64_t size;
    int rc = check_input(seqs, ts, lens, count, payloads_len, 0, 0, 0);
    if (rc) return rc;
    if ((rc = lsg_encoded_size(count, payloads_len, &size))) return rc;
    if (size > out_cap) return LSG_E_SPACE;
    uint32_t index_off = (uint32_t)(size - LSG_TRAILER_SIZE - (uint64_t)count * LSG_INDEX_ENTRY_SIZE);
    put_records(out, LSG_HEADER_SIZE, out + index_off, seqs, ts, lens, count, payloads);
    put_header_and_crc(out, count, (uint32_t)size, index_off, seqs[0], seqs[count - 1], ts[0], ts[count - 1]);
    *out_len = (size_t)size;
    return LSG_OK;
}

int lsg_extend(const uint8_t *seg, size_t seg_len, const uint64_t *seqs, const uint64_t *ts,
               const uint32_t *lens, uint32_t count, const uint8_t *payloads, size_t payloads_len,
               uint8_t *out, size_t out_cap, size_t *out_len) {
    lsg_header h;
    uint64_t add, size;
    int rc = lsg_validate(seg, seg_len, &h);
    if (rc) return rc;
    if ((rc = check_input(seqs, ts, lens, count, payloads_len, 1, h.last_seq, h.last_ts))) return rc;
    if ((rc = lsg_encoded_size(count, payloads_len, &add))) return rc;
    size = add + seg_len - LSG_HEADER_SIZE - LSG_TRAILER_SIZE;
    if (size > LSG_MAX_SEGMENT_SIZE || (uint64_t)h.count + count > 0xFFFFFFFFu) return LSG_E_TOO_LARGE;
    if (size > out_cap) return LSG_E_SPACE;
    uint32_t total_count = h.count + count;
    uint32_t index_off = (uint32_t)(size - LSG_TRAILER_SIZE - (uint64_t)total_count * LSG_INDEX_ENTRY_SIZE);
    /* old records, unchanged, then the new ones; old index, then the new entries */
    memcpy(out + LSG_HEADER_SIZE, seg + LSG_HEADER_SIZE, h.index_off - LSG_HEADER_SIZE);
    memcpy(out + index_off, seg + h.index_off, (size_t)h.count * LSG_INDEX_ENTRY_SIZE);
    put_records(out, h.index_off, out + index_off + (size_t)h.count * LSG_INDEX_ENTRY_SIZE, seqs, ts, lens, count,
                payloads);
    put_header_and_crc(out, total_count, (uint32_t)size, index_off, h.first_seq, seqs[count - 1], h.first_ts,
                       ts[count - 1]);
    *out_len = (size_t)size;
    return LSG_OK;
}

int lsg_extend_one(const uint8_t *seg, size_t seg_len, uint64_t seq, uint64_t ts, const uint8_t *payload,
                   uint32_t payload_len, uint8_t *out, size_t out_cap, size_t *out_len) {
    return lsg_extend(seg, seg_len, &seq, &ts, &payload_len, 1, payload, payload_len, out, out_cap, out_len);
}

int lsg_encode_one(uint64_t seq, uint64_t ts, const uint8_t *payload, uint32_t payload_len,
                   uint8_t *out, size_t out_cap, size_t *out_len) {
    return lsg_encode(&seq, &ts, &payload_len, 1, payload, payload_len, out, out_cap, out_len);
}

int lsg_read_header(const uint8_t *seg, size_t seg_len, lsg_header *h) {
    if (seg_len < LSG_HEADER_SIZE + LSG_TRAILER_SIZE) return LSG_E_TRUNCATED;
    if (memcmp(seg, MAGIC, 4) != 0) return LSG_E_MAGIC;
    h->version = ld16(seg + 4);
    h->flags = ld16(seg + 6);
    if (h->version != LSG_VERSION || h->flags != 0) return LSG_E_VERSION;
    if (lsg_crc32c(0, seg, 52) != ld32(seg + 52)) return LSG_E_HEADER_CRC;
    h->count = ld32(seg + 8);
    h->total_len = ld32(seg + 12);
    h->first_seq = ld64(seg + 16);
    h->last_seq = ld64(seg + 24);
    h->first_ts = ld64(seg + 32);
    h->last_ts = ld64(seg + 40);
    h->index_off = ld32(seg + 48);
    if (h->total_len != seg_len) return h->total_len > seg_len ? LSG_E_TRUNCATED : LSG_E_FRAME;
    /* the index and trailer must fit exactly after index_off; the record area must hold count headers */
    if (h->count == 0 || h->index_off < LSG_HEADER_SIZE ||
        (uint64_t)h->index_off + (uint64_t)h->count * LSG_INDEX_ENTRY_SIZE + LSG_TRAILER_SIZE != seg_len ||
        (uint64_t)h->count * LSG_RECORD_HEADER_SIZE > h->index_off - LSG_HEADER_SIZE)
        return LSG_E_FRAME;
    return LSG_OK;
}

int lsg_validate(const uint8_t *seg, size_t seg_len, lsg_header *h) {
    int rc = lsg_read_header(seg, seg_len, h);
    if (rc) return rc;
    if (lsg_crc32c(0, seg, seg_len - LSG_TRAILER_SIZE) != ld32(seg + seg_len - LSG_TRAILER_SIZE)) return LSG_E_CRC;
    size_t pos = LSG_HEADER_SIZE;
    uint64_t prev_seq = 0, prev_ts = 0;
    const uint8_t *idx = seg + h->index_off;
    for (uint32_t i = 0; i < h->count; i++) {
        if (pos + LSG_RECORD_HEADER_SIZE > h->index_off) return LSG_E_FRAME;
        uint64_t s = ld64(seg + pos), t = ld64(seg + pos + 8);
        uint32_t len = ld32(seg + pos + 16);
        if ((uint64_t)len > h->index_off - pos - LSG_RECORD_HEADER_SIZE) return LSG_E_FRAME;
        if (ld32(idx + (size_t)i * LSG_INDEX_ENTRY_SIZE) != pos) return LSG_E_INDEX;
        if (i > 0 && (s <= prev_seq || t < prev_ts)) return LSG_E_ORDER;
        prev_seq = s;
        prev_ts = t;
        pos += LSG_RECORD_HEADER_SIZE + len;
    }
    if (pos != h->index_off) return LSG_E_FRAME;
    if (ld64(seg + LSG_HEADER_SIZE) != h->first_seq || prev_seq != h->last_seq ||
        ld64(seg + LSG_HEADER_SIZE + 8) != h->first_ts || prev_ts != h->last_ts)
        return LSG_E_FRAME;
    return LSG_OK;
}

/* Offset of record i, checked to leave room for its header inside the record area. 0 on failure. */
static size_t record_at(const uint8_t *seg, const lsg_header *h, uint32_t i) {
    uint32_t off = ld32(seg + h->index_off + (size_t)i * LSG_INDEX_ENTRY_SIZE);
    if (off < LSG_HEADER_SIZE || (uint64_t)off + LSG_RECORD_HEADER_SIZE > h->index_off) return 0;
    return off;
}

int lsg_locate(const uint8_t *seg, size_t seg_len, uint64_t seq, uint32_t *index_out) {
    lsg_header h;
    int rc = lsg_read_header(seg, seg_len, &h);
    if (rc) return rc;
    uint32_t lo = 0, hi = h.count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        size_t off = record_at(seg, &h, mid);
        if (!off) return LSG_E_INDEX;
        if (ld64(seg + off) < seq) lo = mid + 1;
        else hi = mid;
    }
    *index_out = lo;
    return LSG_OK;
}

int lsg_read(const uint8_t *seg, size_t seg_len, uint64_t from_seq, uint32_t max_records, uint64_t max_bytes,
             int at_least_one, uint64_t *seqs, uint64_t *ts, uint32_t *offs, uint32_t *lens, uint32_t *n_out,
             uint64_t *bytes_out, lsg_header *h) {
    uint32_t i, n = 0;
    uint64_t bytes = 0;
    int rc = lsg_validate(seg, seg_len, h);
    if (rc) return rc;
    if ((rc = lsg_locate(seg, seg_len, from_seq, &i))) return rc;
    for (; i < h->count && n < max_records; i++) {
        size_t off = record_at(seg, h, i);
        if (!off) return LSG_E_INDEX;
        uint32_t len = ld32(seg + off + 16);
        if (bytes + len > max_bytes && !(at_least_one && n == 0)) break;
        seqs[n] = ld64(seg + off);
        ts[n] = ld64(seg + off + 8);
        offs[n] = (uint32_t)(off + LSG_RECORD_HEADER_SIZE);
        lens[n] = len;
        bytes += len;
        n++;
    }
    *n_out = n;
    *bytes_out = bytes;
    return LSG_OK;
}
