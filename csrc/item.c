/* item.c -- the per-item write path: one call per PutItem item (issue 13).
 *
 * lsi_put_item reads an item in AttributeValue form as msgpack (the bytes msgpack-python's Packer(use_bin_type,
 * strict_types) makes of the request's dict) and, for the common case, does what tables/attrs.py, keycodec.py
 * and items.py do in Python: validates it, writes its canonical stored body (attrs.canonical_item, key attributes
 * first, packed as items.pack_item packs it), measures it (attrs.item_size, and the size of its key attributes
 * alone for the record's SizeBytes), and encodes its key (items.encoded_key: bounded hash value + range value)
 * with its partition hash (keycodec.hash_partition_value).
 *
 * The common case is: a map of non-empty, valid UTF-8 names, each to a one-entry map S (valid UTF-8), N
 * (already canonical text, at most 38 characters), BOOL, NULL (true), M or L (recursively, at most 32 levels),
 * whose key attributes are present, of the schema's types, non-empty, within the key size limits, whose encoded
 * hash value is at most 256 bytes (no digest needed), and whose size is within 400 KB. Anything else (sets,
 * numbers to canonicalise, B values, every invalid item) returns LSI_FALLBACK and Python's attrs decides, so every AWS
 * message stays Python's. Because every accepted value is already canonical, the body is the input's own entry
 * spans with the key attributes moved to the front: equal bytes to packing the canonical dict. B values go to
 * Python because msgpack packs bytearray and memoryview as bin too, which attrs refuses ("Invalid attribute value
 * type") and this code could not tell from bytes.
 *
 * The pure-Python twin (logstore/codec/_pure.py put_item) is the executable spec: same status, same bytes.
 * Rules as logseg.h: status returns, caller-owned buffers with explicit lengths, no allocation, no global state,
 * every read bounds-checked (fuzz_item.c drives it under ASan and UBSan). */
#include <string.h>
#include "logseg.h"

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} cursor;

static int need(const cursor *c, size_t n) { return (size_t)(c->end - c->p) >= n; }

static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A container header: fixmap/map16/map32 (is_map) or fixarray/array16/array32. Returns 1 and the count. */
static int read_container(cursor *c, int is_map, uint32_t *count) {
    if (!need(c, 1)) return 0;
    uint8_t b = *c->p;
    uint8_t fix = is_map ? 0x80 : 0x90, c16 = is_map ? 0xde : 0xdc, c32 = is_map ? 0xdf : 0xdd;
    if ((b & 0xf0) == fix) { *count = b & 0x0f; c->p += 1; return 1; }
    if (b == c16 && need(c, 3)) { *count = be16(c->p + 1); c->p += 3; return 1; }
    if (b == c32 && need(c, 5)) { *count = be32(c->p + 1); c->p += 5; return 1; }
    return 0;
}

/* A str (fixstr/str8/str16/str32). Returns 1, its bytes and length. */
static int read_str(cursor *c, const uint8_t **data, uint32_t *len) {
    if (!need(c, 1)) return 0;
    uint8_t b = *c->p;
    size_t head;
    uint32_t n;
    if ((b & 0xe0) == 0xa0) { n = b & 0x1f; head = 1; }
    else if (b == 0xd9 && need(c, 2)) { n = c->p[1]; head = 2; }
    else if (b == 0xda && need(c, 3)) { n = be16(c->p + 1); head = 3; }
    else if (b == 0xdb && need(c, 5)) { n = be32(c->p + 1); head = 5; }
    else return 0;
    if ((size_t)(c->end - c->p) - head < n) return 0;
    *data = c->p + head;
    *len = n;
    c->p += head + n;
    return 1;
}

/* Strict UTF-8 as Python decodes it: no overlong forms, no surrogates, nothing above U+10FFFF. */
static int valid_utf8(const uint8_t *s, uint32_t n) {
    uint32_t i = 0;
    while (i < n) {
        uint8_t b = s[i];
        if (b < 0x80) { i++; continue; }
        uint32_t len, min;
        uint32_t cp;
        if ((b & 0xe0) == 0xc0) { len = 2; cp = b & 0x1f; min = 0x80; }
        else if ((b & 0xf0) == 0xe0) { len = 3; cp = b & 0x0f; min = 0x800; }
        else if ((b & 0xf8) == 0xf0) { len = 4; cp = b & 0x07; min = 0x10000; }
        else return 0;
        if (n - i < len) return 0;
        for (uint32_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += len;
    }
    return 1;
}

static int is_type(const uint8_t *t, uint32_t n, const char *name) {
    return strlen(name) == n && memcmp(t, name, n) == 0;
}

/* Canonical number text (attrs._CANONICAL: -?[1-9][0-9]*(\.[0-9]*[1-9])? | -?0\.[0-9]*[1-9] | 0), at most 38
 * characters. Fills the significant digits' offset and count and the exponent e with value = 0.digits * 10**e. */
static int canonical_number(const uint8_t *s, uint32_t n, uint32_t *dstart, uint32_t *ndigits, int *e) {
    if (n == 0 || n > LSI_MAX_DIGITS) return 0;
    if (n == 1 && s[0] == '0') { *dstart = 0; *ndigits = 0; *e = 0; return 1; }
    uint32_t i = s[0] == '-';
    if (i >= n) return 0;
    uint32_t int_start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    uint32_t int_len = i - int_start;
    if (int_len == 0) return 0;
    if (int_len > 1 && s[int_start] == '0') return 0;
    uint32_t frac_start = i, frac_len = 0;
    if (i < n) {
        if (s[i] != '.') return 0;
        frac_start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i != n) return 0;
        frac_len = i - frac_start;
        if (frac_len == 0 || s[n - 1] == '0') return 0;
    }
    if (s[int_start] == '0') {           /* 0.000ddd: no integer part (and "-0" alone is not canonical) */
        if (frac_len == 0) return 0;
        uint32_t z = 0;
        while (s[frac_start + z] == '0') z++;
        *dstart = frac_start + z;
        *ndigits = frac_len - z;
        *e = -(int)z;
        return 1;
    }
    *dstart = int_start;
    *e = (int)int_len;
    if (frac_len == 0) {                 /* an integer: its trailing zeros are not significant */
        uint32_t k = int_len;
        while (k > 0 && s[int_start + k - 1] == '0') k--;
        *ndigits = k;
    } else {
        *ndigits = int_len + frac_len;   /* the digits around the point; the point is skipped when reading */
    }
    return 1;
}

/* The k-th significant digit of a canonical number (skipping the decimal point). */
static int digit_at(const uint8_t *s, uint32_t n, uint32_t dstart, uint32_t k) {
    uint32_t pos = dstart + k;
    for (uint32_t i = dstart; i <= pos && i < n; i++)
        if (s[i] == '.') { pos++; break; }
    return s[pos] - '0';
}

static uint32_t number_size(uint32_t ndigits) { return (ndigits + 1) / 2 + 1; }

typedef struct {
    const uint8_t *type;
    uint32_t type_len;
    const uint8_t *data;  /* S, N, B payload */
    uint32_t len;
} attr;

/* One AttributeValue at `depth` (a top-level attribute's value is depth 1): adds its size; fills *top when given. */
static int value(cursor *c, int depth, uint64_t *size, attr *top) {
    uint32_t count;
    if (!read_container(c, 1, &count) || count != 1) return LSI_FALLBACK;
    const uint8_t *t;
    uint32_t tn;
    if (!read_str(c, &t, &tn)) return LSI_FALLBACK;
    if (top) { top->type = t; top->type_len = tn; top->data = NULL; top->len = 0; }
    const uint8_t *d;
    uint32_t n;
    if (is_type(t, tn, "S")) {
        if (!read_str(c, &d, &n) || !valid_utf8(d, n)) return LSI_FALLBACK;
        *size += n;
    } else if (is_type(t, tn, "N")) {
        uint32_t ds, nd;
        int e;
        if (!read_str(c, &d, &n) || !canonical_number(d, n, &ds, &nd, &e)) return LSI_FALLBACK;
        *size += number_size(nd);
    } else if (is_type(t, tn, "BOOL") || is_type(t, tn, "NULL")) {
        if (!need(c, 1)) return LSI_FALLBACK;
        uint8_t b = *c->p++;
        if (b != 0xc3 && (b != 0xc2 || t[0] == 'N')) return LSI_FALLBACK;  /* NULL must be true */
        *size += 1;
        return LSI_OK;
    } else if (is_type(t, tn, "M") || is_type(t, tn, "L")) {
        int is_map = tn == 1 && t[0] == 'M';
        uint32_t m;
        if (!read_container(c, is_map, &m)) return LSI_FALLBACK;
        if (m && depth >= LSI_MAX_DEPTH) return LSI_FALLBACK;  /* attrs: too deep (an empty one is allowed) */
        *size += 3;
        for (uint32_t i = 0; i < m; i++) {
            if (is_map) {
                if (!read_str(c, &d, &n) || !valid_utf8(d, n)) return LSI_FALLBACK;
                *size += n;
            }
            *size += 1;
            int rc = value(c, depth + 1, size, NULL);
            if (rc != LSI_OK) return rc;
            if (*size > LSI_MAX_ITEM_SIZE) return LSI_FALLBACK;
        }
        return LSI_OK;
    } else {
        return LSI_FALLBACK;   /* SS NS BS, unknown type keys */
    }
    if (top) { top->data = d; top->len = n; }
    return LSI_OK;
}

/* zlib's CRC-32 (ISO-HDLC), bitwise: key values are short. */
static uint32_t crc32_iso(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return c ^ 0xffffffffu;
}

static uint32_t fmix32(uint32_t h) {
    h = (h ^ (h >> 16)) * 0x85ebca6bu;
    h = (h ^ (h >> 13)) * 0xc2b2ae35u;
    return h ^ (h >> 16);
}

/* keycodec.encode_value of a key attribute into out[*pos..cap). */
static int encode_key_value(const attr *a, uint8_t *out, size_t cap, size_t *pos) {
    size_t w = *pos;
    if (a->type[0] == 'N') {
        uint32_t ds, nd;
        int e;
        canonical_number(a->data, a->len, &ds, &nd, &e);  /* checked already */
        if (nd == 0) {
            if (cap - w < 1) return LSI_E_SPACE;
            out[w++] = 0x02;
        } else {
            int neg = a->data[0] == '-';
            if (cap - w < 3 + (nd + 1) / 2) return LSI_E_SPACE;
            out[w++] = neg ? 0x01 : 0x03;
            out[w++] = (uint8_t)(neg ? 255 - (e + 129) : e + 129);
            for (uint32_t k = 0; k < nd; k += 2) {
                int hi = digit_at(a->data, a->len, ds, k);
                int lo = k + 1 < nd ? digit_at(a->data, a->len, ds, k + 1) : 0;
                int bcd = 16 * hi + lo;
                out[w++] = (uint8_t)(neg ? 0xfe - bcd : bcd + 1);
            }
            out[w++] = neg ? 0xff : 0x00;
        }
    } else {  /* S or B: 0x00 escaped as 0x00 0xFF, then 0x00 0x01 */
        for (uint32_t i = 0; i < a->len; i++) {
            if (cap - w < 2) return LSI_E_SPACE;
            out[w++] = a->data[i];
            if (a->data[i] == 0) out[w++] = 0xff;
        }
        if (cap - w < 2) return LSI_E_SPACE;
        out[w++] = 0x00;
        out[w++] = 0x01;
    }
    *pos = w;
    return LSI_OK;
}

/* check_key for one key attribute of an item (exact=False): its type, non-empty S/B, the size limit. */
static int key_ok(const attr *a, int want, uint32_t limit) {
    if (!a->type || a->type_len != 1 || a->type[0] != want) return 0;
    if (want == 'N') return 1;
    return a->len > 0 && a->len <= limit;
}

int lsi_put_item(const uint8_t *in, size_t in_len,
                 const uint8_t *hname, size_t hname_len, int htype,
                 const uint8_t *rname, size_t rname_len, int rtype,
                 uint8_t *out, size_t out_cap, lsi_item_info *info) {
    if (!in || !out || !info || !hname || (rtype && !rname)) return LSI_E_ARG;
    if (htype != 'S' && htype != 'N' && htype != 'B') return LSI_E_ARG;
    if (rtype && rtype != 'S' && rtype != 'N' && rtype != 'B') return LSI_E_ARG;
    if (in_len > LSI_MAX_INPUT) return LSI_FALLBACK;
    if (out_cap < LSI_KEY_CAP + 1 + 2 * in_len) return LSI_E_SPACE;
    memset(info, 0, sizeof *info);
    cursor c = {in, in + in_len};
    uint32_t count;
    if (!read_container(&c, 1, &count)) return LSI_FALLBACK;
    size_t header_len = (size_t)(c.p - in);
    const uint8_t *hspan = NULL, *rspan = NULL;
    size_t hspan_len = 0, rspan_len = 0;
    attr ha = {0}, ra = {0};
    uint64_t size = 0, keys_size = 0;
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *start = c.p, *name;
        uint32_t name_len;
        if (!read_str(&c, &name, &name_len) || name_len == 0 || name_len > LSI_MAX_NAME_BYTES
                || !valid_utf8(name, name_len))
            return LSI_FALLBACK;
        uint64_t before = size + name_len;
        size = before;
        attr a;
        int rc = value(&c, 1, &size, &a);
        if (rc != LSI_OK) return rc;
        if (size > LSI_MAX_ITEM_SIZE) return LSI_FALLBACK;
        int is_hash = !hspan && name_len == hname_len && memcmp(name, hname, name_len) == 0;
        int is_range = !is_hash && rtype && !rspan && name_len == rname_len && memcmp(name, rname, name_len) == 0;
        if (is_hash) { hspan = start; hspan_len = (size_t)(c.p - start); ha = a; }
        if (is_range) { rspan = start; rspan_len = (size_t)(c.p - start); ra = a; }
        if (is_hash || is_range) keys_size += size - before + name_len;
    }
    if (c.p != c.end) return LSI_FALLBACK;
    if (!hspan || !key_ok(&ha, htype, LSI_MAX_HASH_KEY_BYTES)) return LSI_FALLBACK;
    if (rtype && (!rspan || !key_ok(&ra, rtype, LSI_MAX_RANGE_KEY_BYTES))) return LSI_FALLBACK;

    /* The key: the encoded hash value (not bounded: a longer one needs BLAKE2b, Python's), then the range's. */
    if (htype != 'N') {
        size_t encoded = (size_t)ha.len + 2;
        for (uint32_t i = 0; i < ha.len; i++) encoded += ha.data[i] == 0;
        if (encoded > LSI_HASH_INLINE) return LSI_FALLBACK;
    }
    size_t w = 0;
    int rc = encode_key_value(&ha, out, LSI_KEY_CAP, &w);
    if (rc != LSI_OK) return rc;
    info->partition = fmix32(crc32_iso(out, w));
    if (rtype) {
        rc = encode_key_value(&ra, out, LSI_KEY_CAP, &w);
        if (rc != LSI_OK) return rc;
    }
    info->key_len = (uint32_t)w;

    /* The Keys map: a map header, then the key attributes' entries (HASH first). */
    out[w++] = (uint8_t)(0x80 | (rspan ? 2 : 1));
    memcpy(out + w, hspan, hspan_len);
    w += hspan_len;
    if (rspan) {
        memcpy(out + w, rspan, rspan_len);
        w += rspan_len;
    }
    info->keys_len = (uint32_t)(1 + hspan_len + rspan_len);

    /* The body: the input's map header, the key attributes' entries, then every other entry in the order given.
     * When the key attributes come first already, the body is the input itself and is not written. */
    const uint8_t *p = in + header_len;
    info->reordered = hspan != p || (rspan && rspan != hspan + hspan_len);
    if (info->reordered) {
        memcpy(out + w, in, header_len);
        memcpy(out + w + header_len, out + info->key_len + 1, hspan_len + rspan_len);
        w += header_len + hspan_len + rspan_len;
        for (const uint8_t *q = p; q < in + in_len;) {   /* the other entries: the gaps around the key spans */
            const uint8_t *next = in + in_len;
            if (hspan >= q && hspan < next) next = hspan;
            if (rspan && rspan >= q && rspan < next) next = rspan;
            memcpy(out + w, q, (size_t)(next - q));
            w += (size_t)(next - q);
            if (next == in + in_len) break;
            q = next + (next == hspan ? hspan_len : rspan_len);
        }
    }
    info->size = (uint32_t)size;
    info->keys_size = (uint32_t)keys_size;
    info->out_len = (uint32_t)w;
    return LSI_OK;
}

/* ---- lsi_put_batch: a batch's unconditional puts of new items into one table, at commit (Store.batch) ---- */

static int put_space(size_t cap, size_t w, size_t n) { return cap >= w && cap - w >= n; }

static size_t uint_len(uint32_t v) { return v < 0x80 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : 5; }

/* msgpack-python's packing of a non-negative int below 2**32 (the record's kind and SizeBytes). */
static size_t pack_uint(uint8_t *o, uint32_t v) {
    if (v < 0x80) { o[0] = (uint8_t)v; return 1; }
    if (v <= 0xff) { o[0] = 0xcc; o[1] = (uint8_t)v; return 2; }
    if (v <= 0xffff) { o[0] = 0xcd; o[1] = (uint8_t)(v >> 8); o[2] = (uint8_t)v; return 3; }
    o[0] = 0xce; o[1] = (uint8_t)(v >> 24); o[2] = (uint8_t)(v >> 16); o[3] = (uint8_t)(v >> 8); o[4] = (uint8_t)v;
    return 5;
}

int lsi_put_batch(const uint8_t *in, const uint32_t *lens, size_t n,
                  const uint8_t *hname, size_t hname_len, int htype,
                  const uint8_t *rname, size_t rname_len, int rtype,
                  uint64_t table_no, int records,
                  uint8_t *out, size_t out_cap, uint8_t *scratch, size_t scratch_cap,
                  uint32_t *entries, size_t *out_len) {
    if (!out || !scratch || !entries || !out_len || (n && (!in || !lens))) return LSI_E_ARG;
    if (records < 0 || records > 2) return LSI_E_ARG;
    size_t w = 0, pos = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = lens[i];
        if (scratch_cap < LSI_KEY_CAP + 1 + 2 * (uint64_t)len) return LSI_E_SPACE;
        lsi_item_info info;
        int rc = lsi_put_item(in + pos, len, hname, hname_len, htype, rname, rname_len, rtype, scratch,
                              scratch_cap, &info);
        if (rc != LSI_OK) return rc;
        const uint8_t *body = info.reordered ? scratch + info.key_len + info.keys_len : in + pos;
        const uint8_t *keys = scratch + info.key_len;
        size_t key_len = 8 + (size_t)info.key_len;
        if (key_len > LSI_INLINE) return LSI_FALLBACK;   /* a long-form LMDB key: keycodec.stored_key's digest */
        uint32_t record_size = info.keys_size + (records == 2 ? info.size : 0);   /* the record's SizeBytes */
        size_t record_len = records ? 2 + uint_len(record_size) + info.keys_len + (records == 2 ? len : 1) + 2 : 0;
        if (!put_space(out_cap, w, key_len + 4 + len + record_len)) return LSI_E_SPACE;
        uint8_t *k = out + w;
        for (int b = 0; b < 8; b++) k[b] = (uint8_t)(table_no >> (56 - 8 * b));
        memcpy(k + 8, scratch, info.key_len);
        uint8_t *v = k + key_len;
        uint32_t crc = lsg_crc32c(lsg_crc32c(0, k, key_len), body, len);
        v[0] = (uint8_t)crc; v[1] = (uint8_t)(crc >> 8); v[2] = (uint8_t)(crc >> 16); v[3] = (uint8_t)(crc >> 24);
        memcpy(v + 4, body, len);
        uint8_t *r = v + 4 + len;
        if (records) {           /* [INSERT, SizeBytes, Keys, NewImage or nil, nil, 0] (stream/records.py) */
            *r++ = 0x96;
            *r++ = 1;
            r += pack_uint(r, record_size);
            memcpy(r, keys, info.keys_len);
            r += info.keys_len;
            if (records == 2) { memcpy(r, body, len); r += len; }
            else *r++ = 0xc0;
            *r++ = 0xc0;
            *r++ = 0x00;
        }
        uint32_t *e = entries + 5 * i;
        e[0] = (uint32_t)key_len;
        e[1] = (uint32_t)(4 + len);
        e[2] = (uint32_t)record_len;
        e[3] = info.partition;
        e[4] = info.size;
        w = (size_t)(r - out);
        pos += len;
    }
    *out_len = w;
    return LSI_OK;
}
