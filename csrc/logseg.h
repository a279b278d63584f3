/*
 * logseg.h -- the contract of logstore's C core: the segment codec.
 *
 * A segment is one immutable byte string holding a run of records of one shard. Its layout (version 1) is
 * specified normatively in docs/format.md; the pure-Python twin in logstore/codec/_pure.py is the executable
 * spec, and the two must agree byte for byte and status for status.
 *
 *   offset  size  field
 *   0       4     magic "LSEG"
 *   4       2     format version (1), little-endian like every integer here
 *   6       2     flags (0; any other value is refused)
 *   8       4     record count (>= 1)
 *   12      4     total length of the segment in bytes, trailer included
 *   16      8     first sequence number
 *   24      8     last sequence number
 *   32      8     first timestamp (ms since the epoch)
 *   40      8     last timestamp (ms)
 *   48      4     offset of the index
 *   52      4     CRC32C of bytes [0, 52)   (lets a reader trust the header without reading the body)
 *   56      ...   records, each: u64 seq, u64 timestamp_ms, u32 payload length, payload bytes
 *   index         record count x u32: the offset of each record from the start of the segment
 *   total-4 4     CRC32C of bytes [0, total-4)   (covers every byte before it)
 *
 * Invariants: sequence numbers strictly increase, timestamps never decrease, the index points at each record
 * in order, records fill exactly [56, index offset).
 *
 * Rules for every function here: status-code returns (LSG_OK or a negative LSG_E_*), caller-owned buffers with
 * explicit lengths, no global state, no allocation, every read bounds-checked against the length the caller
 * gave. Malformed input yields an error status; it never reads or writes out of bounds. The functions are
 * reentrant and never call back into Python, so libFuzzer can drive them directly (fuzz_logseg.c); they are
 * short enough that the module keeps the GIL around them (csrc/build_logseg.py, docs/codec.md "The GIL").
 */
#ifndef LOGSEG_H
#define LOGSEG_H

#include <stddef.h>
#include <stdint.h>

#define LSG_VERSION 1
#define LSG_HEADER_SIZE 56
#define LSG_RECORD_HEADER_SIZE 20
#define LSG_INDEX_ENTRY_SIZE 4
#define LSG_TRAILER_SIZE 4
#define LSG_MAX_SEGMENT_SIZE 0xFFFFFFFFu

/* Status codes. The pure-Python twin raises CorruptSegment/ValueError carrying the same numbers. */
#define LSG_OK 0
#define LSG_E_ARG -1          /* the caller's arguments are inconsistent (lengths do not add up, count 0) */
#define LSG_E_SPACE -2        /* the output buffer is too small */
#define LSG_E_TRUNCATED -3    /* shorter than its header says, or than a header */
#define LSG_E_MAGIC -4        /* not a segment */
#define LSG_E_VERSION -5      /* a segment of a format version this code does not know, or flags set */
#define LSG_E_HEADER_CRC -6   /* header checksum mismatch */
#define LSG_E_CRC -7          /* body checksum mismatch */
#define LSG_E_FRAME -8        /* records do not tile the record area, or header fields disagree with records */
#define LSG_E_ORDER -9        /* sequence numbers not strictly increasing or timestamps decreasing */
#define LSG_E_INDEX -10       /* an index entry does not point at its record */
#define LSG_E_TOO_LARGE -11   /* the result would exceed LSG_MAX_SEGMENT_SIZE */

typedef struct {
    uint16_t version;
    uint16_t flags;
    uint32_t count;
    uint32_t total_len;
    uint32_t index_off;
    uint64_t first_seq;
    uint64_t last_seq;
    uint64_t first_ts;
    uint64_t last_ts;
} lsg_header;

/* CRC32C (Castagnoli). Pass 0 to start; feed the result back in to continue. Uses SSE4.2 when the CPU has it. */
uint32_t lsg_crc32c(uint32_t crc, const uint8_t *buf, size_t len);

/* Bytes needed to encode `count` records whose payloads add up to `payload_bytes`. */
int lsg_encoded_size(uint32_t count, uint64_t payload_bytes, uint64_t *size_out);

/* Encode a new segment. payloads is the concatenation of all payloads; lens[i] is the length of the i-th. */
int lsg_encode(const uint64_t *seqs, const uint64_t *ts, const uint32_t *lens, uint32_t count,
               const uint8_t *payloads, size_t payloads_len,
               uint8_t *out, size_t out_cap, size_t *out_len);

/* Write a copy of valid segment `seg` with the given records appended (seqs[0] > its last, ts[0] >= its last). */
int lsg_extend(const uint8_t *seg, size_t seg_len,
               const uint64_t *seqs, const uint64_t *ts, const uint32_t *lens, uint32_t count,
               const uint8_t *payloads, size_t payloads_len,
               uint8_t *out, size_t out_cap, size_t *out_len);

/* lsg_extend for one record given by value: the single-append hot path, without marshalling arrays. */
int lsg_extend_one(const uint8_t *seg, size_t seg_len, uint64_t seq, uint64_t ts,
                   const uint8_t *payload, uint32_t payload_len,
                   uint8_t *out, size_t out_cap, size_t *out_len);

/* lsg_encode for one record given by value: a shard's new tail segment, without marshalling arrays. */
int lsg_encode_one(uint64_t seq, uint64_t ts, const uint8_t *payload, uint32_t payload_len,
                   uint8_t *out, size_t out_cap, size_t *out_len);

/* Check magic, version, flags, header CRC and that the header's lengths fit seg_len; fill *hdr. O(1). */
int lsg_read_header(const uint8_t *seg, size_t seg_len, lsg_header *hdr);

/* Everything lsg_read_header checks, plus the body CRC, framing, order and index. Fill *hdr. */
int lsg_validate(const uint8_t *seg, size_t seg_len, lsg_header *hdr);

/* Index of the first record whose sequence number is >= seq (count if none), by binary search over the index.
 * Requires a segment that passed lsg_validate; still bounds-checks every offset it follows. */
int lsg_locate(const uint8_t *seg, size_t seg_len, uint64_t seq, uint32_t *index_out);

/* Validate `seg`, then describe records from the first with sequence number >= from_seq: at most max_records
 * of them, and no more payload bytes than max_bytes -- except that when at_least_one is set the first record
 * is always taken. Out arrays hold max_records entries; offs are payload offsets within seg.
 * *n_out is the number described, *bytes_out their payload bytes, *hdr the header. */
int lsg_read(const uint8_t *seg, size_t seg_len, uint64_t from_seq,
             uint32_t max_records, uint64_t max_bytes, int at_least_one,
             uint64_t *seqs, uint64_t *ts, uint32_t *offs, uint32_t *lens,
             uint32_t *n_out, uint64_t *bytes_out, lsg_header *hdr);

/* ---- item.c: the per-item write path (issue 13). The pure-Python twin is logstore/codec/_pure.py put_item. ---- */
#define LSI_OK 0
#define LSI_FALLBACK 1               /* not the common case: the Python path decides (and words any error) */
#define LSI_E_ARG LSG_E_ARG
#define LSI_E_SPACE LSG_E_SPACE
#define LSI_MAX_DIGITS 38
#define LSI_MAX_DEPTH 32
#define LSI_MAX_ITEM_SIZE (400 * 1024)
#define LSI_MAX_NAME_BYTES 65535
#define LSI_MAX_HASH_KEY_BYTES 2048
#define LSI_MAX_RANGE_KEY_BYTES 1024
#define LSI_HASH_INLINE 256          /* keycodec.HASH_INLINE: a longer encoded hash value is left to Python */
#define LSI_KEY_CAP 2306             /* the largest key written: 256 + an escaped 1024-byte range value + 2 */
#define LSI_MAX_INPUT (16u << 20)
#define LSI_INLINE 495               /* keycodec.INLINE: a longer LMDB key is long-form (a digest), left to Python */

typedef struct {
    uint32_t size;        /* attrs.item_size of the item */
    uint32_t keys_size;   /* attrs.item_size of its key attributes alone (the record's Keys) */
    uint32_t key_len;     /* out[0, key_len): the key (items.encoded_key's order part) */
    uint32_t keys_len;    /* then keys_len bytes: the Keys map (msgpack) */
    uint32_t reordered;   /* then, if set, the body (in_len bytes); 0 when the body is the input unchanged */
    uint32_t out_len;     /* bytes written to out */
    uint32_t partition;   /* keycodec.hash_partition_value of the encoded hash value */
} lsi_item_info;

/* One PutItem item, given as msgpack (in, in_len): LSI_OK with *info and, in out, the key, the Keys map and
 * (when reordered) the canonical stored body, as *info lays them out (out_cap >= LSI_KEY_CAP + 1 + 2 * in_len);
 * LSI_FALLBACK when the item is not the common case (item.c says which that is); LSI_E_ARG / LSI_E_SPACE for
 * bad arguments. The schema: the HASH attribute's name (UTF-8) and type ('S', 'N' or 'B'), and the RANGE
 * attribute's, rtype 0 if none. */
int lsi_put_item(const uint8_t *in, size_t in_len,
                 const uint8_t *hname, size_t hname_len, int htype,
                 const uint8_t *rname, size_t rname_len, int rtype,
                 uint8_t *out, size_t out_cap, lsi_item_info *info);
/* A batch's unconditional puts of new items into one table (Store.batch at commit), the items given as msgpack
 * concatenated in `in`, lens[i] bytes each. LSI_OK with, in out, for each item in order: its LMDB key (u64 BE
 * table_no || the key lsi_put_item makes; at most LSI_INLINE bytes), its sealed value (u32le crc32c(LMDB key ||
 * body) || the canonical body: storage/sealed.py), and unless records is 0 the payload of its INSERT change record
 * (stream/records.py: records 2 with the NewImage, 1 without); entries[5 i .. 5 i + 4] = the three lengths, the
 * partition hash and the item size; *out_len the bytes written. LSI_FALLBACK if any item is not lsi_put_item's
 * common case or its LMDB key would be long-form (Python decides); LSI_E_ARG / LSI_E_SPACE for bad arguments
 * (scratch_cap >= LSI_KEY_CAP + 1 + 2 * the longest item; out_cap >= the sum of 3 lens[i] + 520). */
int lsi_put_batch(const uint8_t *in, const uint32_t *lens, size_t n,
                  const uint8_t *hname, size_t hname_len, int htype,
                  const uint8_t *rname, size_t rname_len, int rtype,
                  uint64_t table_no, int records,
                  uint8_t *out, size_t out_cap, uint8_t *scratch, size_t scratch_cap,
                  uint32_t *entries, size_t *out_len);
/* ---- end of item.c ---- */

/* ---- record.c (issue 13, fastdrain): change-record payloads rendered for readers ----
 *
 * A payload is the msgpack array [kind, size_bytes, keys, new_image, old_image, flags] of docs/format.md
 * ("Change-record payload"); images are AttributeValue maps, B values msgpack bin. These functions turn a page of
 * payloads into JSON text in one call. The payloads are spans of data: back to back, filling it, when offs is
 * NULL (their lengths must add up to data_len), else at offs[i] (each span within data): a page's segments
 * as read, the payloads where lsg_read found them, so none is copied out first.
 *
 * In one call each:
 *
 *   lsr_event_ids     32 lowercase hex characters per record: keyed BLAKE2b-128 of the big-endian (u64 stream,
 *                     u64 seq) under the store's event key (stream/ids.py event_id), the key block hashed once.
 *   lsr_fields_json   one flat JSON array of 9 values per record: eventID (from event_ids, as lsr_event_ids
 *                     writes them), the wire sequence number ("1" and 20 digits: 10**20 + seq), the timestamp in
 *                     whole seconds, then the payload's kind, size, new image, old image, flags and keys (keys
 *                     last), bin as base64 text; with LSR_SHARED_KEYS, keys is null wherever an image is present
 *                     (the reader takes Keys from that image); with LSR_NO_BINARY a bin value gives LSR_E_FORMAT
 *                     (a reader that wants B as bytes takes another path).
 *   lsr_records_json  the members of GetRecords' "Records" array, exactly the bytes orjson writes for the records
 *                     api/render.py builds (key order, escaping, base64), comma-separated, no brackets.
 *
 * JSON text is written as orjson writes it: strings escape '"', '\\', \b \t \n \f \r and other bytes below 0x20
 * as \u00xx (lowercase); everything else is copied as UTF-8. Anything outside what a payload may hold (floats,
 * ext types, non-string map keys, invalid or surrogate UTF-8, nesting deeper than LSR_MAX_DEPTH, a payload that
 * is not the 6-field array, bytes left over) gives LSR_E_FORMAT, and the caller falls back to the pure-Python
 * reader, which reports it as the damage it is.
 *
 * Rules as above; fuzzed by fuzz_record.c. */
#define LSR_OK 0
#define LSR_E_ARG -1          /* lengths do not add up, a span outside data, a key longer than 64 bytes */
#define LSR_E_SPACE -2        /* the output buffer is too small */
#define LSR_E_FORMAT -3       /* a payload this reader does not render (see above) */

#define LSR_SHARED_KEYS 1     /* lsr_fields_json: keys null where an image holds them */
#define LSR_NO_BINARY 2       /* lsr_fields_json: a B value is LSR_E_FORMAT (the caller wants bytes) */
#define LSR_MAX_DEPTH 100     /* msgpack containers nested deeper than this are refused */
#define LSR_EVENT_ID_LEN 32

int lsr_event_ids(const uint8_t *key, size_t key_len, uint64_t stream_no, const uint64_t *seqs, uint32_t n,
                  uint8_t *out, size_t out_cap);
int lsr_fields_json(const uint8_t *data, size_t data_len, const uint32_t *offs, const uint32_t *lens,
                    uint32_t n, const uint64_t *seqs, const uint64_t *ts, const uint8_t *event_ids, uint32_t flags,
                    uint8_t *out, size_t out_cap, size_t *out_len);
int lsr_records_json(const uint8_t *data, size_t data_len, const uint32_t *offs, const uint32_t *lens,
                     uint32_t n, const uint64_t *seqs, const uint64_t *ts, const uint8_t *event_ids,
                     const uint8_t *region, size_t region_len, const uint8_t *view_type, size_t view_type_len,
                     uint8_t *out, size_t out_cap, size_t *out_len);

/* ---- end record.c ---- */

#endif
