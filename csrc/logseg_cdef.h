/* logseg_cdef.h -- the declarations cffi parses (a cffi-readable subset of logseg.h; keep the two in step:
 * tests/codec/test_native_exports.py checks that every function here is exported by the built module). */
#define LSG_VERSION ...
#define LSG_HEADER_SIZE ...
#define LSG_RECORD_HEADER_SIZE ...
#define LSG_INDEX_ENTRY_SIZE ...
#define LSG_TRAILER_SIZE ...
#define LSG_OK ...
#define LSG_E_ARG ...
#define LSG_E_SPACE ...
#define LSG_E_TRUNCATED ...
#define LSG_E_MAGIC ...
#define LSG_E_VERSION ...
#define LSG_E_HEADER_CRC ...
#define LSG_E_CRC ...
#define LSG_E_FRAME ...
#define LSG_E_ORDER ...
#define LSG_E_INDEX ...
#define LSG_E_TOO_LARGE ...

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

uint32_t lsg_crc32c(uint32_t crc, const uint8_t *buf, size_t len);
int lsg_encoded_size(uint32_t count, uint64_t payload_bytes, uint64_t *size_out);
int lsg_encode(const uint64_t *seqs, const uint64_t *ts, const uint32_t *lens, uint32_t count,
               const uint8_t *payloads, size_t payloads_len, uint8_t *out, size_t out_cap, size_t *out_len);
int lsg_extend(const uint8_t *seg, size_t seg_len, const uint64_t *seqs, const uint64_t *ts,
               const uint32_t *lens, uint32_t count, const uint8_t *payloads, size_t payloads_len,
               uint8_t *out, size_t out_cap, size_t *out_len);
int lsg_extend_one(const uint8_t *seg, size_t seg_len, uint64_t seq, uint64_t ts,
                   const uint8_t *payload, uint32_t payload_len,
                   uint8_t *out, size_t out_cap, size_t *out_len);
int lsg_encode_one(uint64_t seq, uint64_t ts, const uint8_t *payload, uint32_t payload_len,
                   uint8_t *out, size_t out_cap, size_t *out_len);
int lsg_read_header(const uint8_t *seg, size_t seg_len, lsg_header *hdr);
int lsg_validate(const uint8_t *seg, size_t seg_len, lsg_header *hdr);
int lsg_locate(const uint8_t *seg, size_t seg_len, uint64_t seq, uint32_t *index_out);
int lsg_read(const uint8_t *seg, size_t seg_len, uint64_t from_seq, uint32_t max_records, uint64_t max_bytes,
             int at_least_one, uint64_t *seqs, uint64_t *ts, uint32_t *offs, uint32_t *lens, uint32_t *n_out,
             uint64_t *bytes_out, lsg_header *hdr);

/* ---- item.c (issue 13): the per-item write path ---- */
#define LSI_OK ...
#define LSI_FALLBACK ...
#define LSI_KEY_CAP ...
#define LSI_INLINE ...

typedef struct {
    uint32_t size;
    uint32_t keys_size;
    uint32_t key_len;
    uint32_t keys_len;
    uint32_t reordered;
    uint32_t out_len;
    uint32_t partition;
} lsi_item_info;

int lsi_put_item(const uint8_t *in, size_t in_len,
                 const uint8_t *hname, size_t hname_len, int htype,
                 const uint8_t *rname, size_t rname_len, int rtype,
                 uint8_t *out, size_t out_cap, lsi_item_info *info);
int lsi_put_batch(const uint8_t *in, const uint32_t *lens, size_t n,
                  const uint8_t *hname, size_t hname_len, int htype,
                  const uint8_t *rname, size_t rname_len, int rtype,
                  uint64_t table_no, int records,
                  uint8_t *out, size_t out_cap, uint8_t *scratch, size_t scratch_cap,
                  uint32_t *entries, size_t *out_len);
/* ---- end of item.c ---- */

/* ---- record.c (fastdrain) ---- */
#define LSR_OK ...
#define LSR_E_ARG ...
#define LSR_E_SPACE ...
#define LSR_E_FORMAT ...
#define LSR_SHARED_KEYS ...
#define LSR_NO_BINARY ...
#define LSR_MAX_DEPTH ...
#define LSR_EVENT_ID_LEN ...
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
