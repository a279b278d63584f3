/* record.c -- change-record payloads rendered for readers: event ids (keyed BLAKE2b) and JSON text of a page of
 * payloads. The contract is the "record.c" section of logseg.h; the pure-Python twin is logstore/codec/_pure.py
 * (event_ids, fields_json, records_json). */
#include <string.h>
#include "logseg.h"

/* ---- BLAKE2b (RFC 7693), 16-byte digests of one 16-byte message under a key of at most 64 bytes ---- */

static const uint64_t B2_IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};

static const uint8_t B2_SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

static uint64_t rotr64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

static uint64_t load64le(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

#define B2_G(a, b, c, d, x, y)                \
    do {                                      \
        a = a + b + (x);                      \
        d = rotr64(d ^ a, 32);                \
        c = c + d;                            \
        b = rotr64(b ^ c, 24);                \
        a = a + b + (y);                      \
        d = rotr64(d ^ a, 16);                \
        c = c + d;                            \
        b = rotr64(b ^ c, 63);                \
    } while (0)

/* One compression of the 16 message words m into h, t bytes hashed so far, last block or not. */
static void b2_compress(uint64_t h[8], const uint64_t m[16], uint64_t t, int last) {
    uint64_t v[16];
    for (int i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = B2_IV[i];
    }
    v[12] ^= t;
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 12; r++) {
        const uint8_t *s = B2_SIGMA[r];
        B2_G(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]]);
        B2_G(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]]);
        B2_G(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]]);
        B2_G(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]]);
        B2_G(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]]);
        B2_G(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]]);
        B2_G(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]]);
        B2_G(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

static const char HEX[] = "0123456789abcdef";

int lsr_event_ids(const uint8_t *key, size_t key_len, uint64_t stream_no, const uint64_t *seqs, uint32_t n,
                  uint8_t *out, size_t out_cap) {
    if (key_len > 64 || (key_len && !key) || (n && (!seqs || !out))) return LSR_E_ARG;
    if (out_cap / LSR_EVENT_ID_LEN < n) return LSR_E_SPACE;
    uint64_t h0[8], m[16];
    for (int i = 0; i < 8; i++) h0[i] = B2_IV[i];
    h0[0] ^= 0x01010000ULL ^ ((uint64_t)key_len << 8) ^ 16;   /* digest 16 bytes, fanout 1, depth 1 */
    uint64_t t = 0;
    if (key_len) {            /* the key, zero-padded to a block, is the first block: hashed once for all */
        uint8_t block[128];
        memset(block, 0, sizeof block);
        memcpy(block, key, key_len);
        for (int i = 0; i < 16; i++) m[i] = load64le(block + 8 * i);
        b2_compress(h0, m, 128, 0);
        t = 128;
    }
    for (uint32_t r = 0; r < n; r++) {
        uint64_t h[8];
        memcpy(h, h0, sizeof h);
        memset(m, 0, sizeof m);
        /* the message is big-endian (stream_no, seq); BLAKE2b reads little-endian words */
        m[0] = __builtin_bswap64(stream_no);
        m[1] = __builtin_bswap64(seqs[r]);
        b2_compress(h, m, t + 16, 1);
        uint8_t *o = out + (size_t)r * LSR_EVENT_ID_LEN;
        for (int i = 0; i < 16; i++) {
            uint8_t byte = (uint8_t)(h[i / 8] >> (8 * (i % 8)));
            o[2 * i] = (uint8_t)HEX[byte >> 4];
            o[2 * i + 1] = (uint8_t)HEX[byte & 15];
        }
    }
    return LSR_OK;
}

/* ---- msgpack -> JSON ---- */

typedef struct {
    const uint8_t *p, *end;   /* the payload being read */
    uint8_t *o, *oend;        /* the output; o == NULL: a sink that only checks (skip) */
    int no_binary;            /* refuse bin values (LSR_NO_BINARY) */
} cursor;

#define NEED_IN(c, k) do { if ((size_t)((c)->end - (c)->p) < (size_t)(k)) return LSR_E_FORMAT; } while (0)
#define TRY(x) do { int rc_ = (x); if (rc_) return rc_; } while (0)

static uint64_t be(const uint8_t *p, int k) {
    uint64_t v = 0;
    for (int i = 0; i < k; i++) v = (v << 8) | p[i];
    return v;
}

static int put(cursor *c, const void *s, size_t k) {
    if (!c->o) return LSR_OK;
    if ((size_t)(c->oend - c->o) < k) return LSR_E_SPACE;
    memcpy(c->o, s, k);
    c->o += k;
    return LSR_OK;
}

static int put1(cursor *c, uint8_t ch) {
    if (!c->o) return LSR_OK;
    if (c->o == c->oend) return LSR_E_SPACE;
    *c->o++ = ch;
    return LSR_OK;
}

#define PUT_LIT(c, s) put((c), (s), sizeof(s) - 1)

static int put_u64(cursor *c, uint64_t v) {
    char buf[20];
    int k = 0;
    do {
        buf[19 - k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return put(c, buf + 20 - k, (size_t)k);
}

static int put_i64(cursor *c, int64_t v) {
    if (v >= 0) return put_u64(c, (uint64_t)v);
    TRY(put1(c, '-'));
    return put_u64(c, (uint64_t)0 - (uint64_t)v);
}

/* Length of the valid UTF-8 sequence at s (of at most k bytes), 0 if it is not one (overlong, surrogate,
 * beyond U+10FFFF, truncated): Python's strict decoder, which msgpack uses, refuses the same. */
static size_t utf8_seq(const uint8_t *s, size_t k) {
    uint8_t b0 = s[0];
    if (b0 < 0x80) return 1;
    if (b0 >= 0xC2 && b0 <= 0xDF) return (k >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (k < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (b0 == 0xE0 && s[1] < 0xA0) return 0;    /* overlong */
        if (b0 == 0xED && s[1] >= 0xA0) return 0;   /* surrogate */
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (k < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) return 0;
        if (b0 == 0xF0 && s[1] < 0x90) return 0;    /* overlong */
        if (b0 == 0xF4 && s[1] >= 0x90) return 0;   /* beyond U+10FFFF */
        return 4;
    }
    return 0;
}

/* 1 for the bytes a JSON string holds as they are in a run of plain ASCII: 0x20-0x7f but '"' and '\\'. */
#define PLAIN(b) ((b) >= 0x20 && (b) < 0x80 && (b) != '"' && (b) != '\\')

/* A JSON string of the k UTF-8 bytes at s, escaped as orjson escapes. */
static int put_str(cursor *c, const uint8_t *s, size_t k) {
    size_t i = 0;
    /* 8 bytes at a time while none is below 0x20, at or above 0x80, '"' or '\\' (the usual bit tricks) */
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (i + 8 <= k) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t ctl = (w - ones * 0x20) & ~w;
        uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\');
        uint64_t bad = (ctl | ((quote - ones) & ~quote) | ((bslash - ones) & ~bslash) | w) & highs;
        if (bad) break;
        i += 8;
    }
    while (i < k && PLAIN(s[i])) i++;
    if (c->o) {   /* the common case, all plain ASCII: one copy */
        if ((size_t)(c->oend - c->o) < i + 2) return LSR_E_SPACE;
        c->o[0] = '"';
        memcpy(c->o + 1, s, i);
        c->o += i + 1;
        if (i == k) {
            *c->o++ = '"';
            return LSR_OK;
        }
    }
    while (i < k) {
        uint8_t b = s[i];
        if (PLAIN(b)) {   /* a run of plain ASCII */
            size_t j = i + 1;
            while (j < k && PLAIN(s[j])) j++;
            TRY(put(c, s + i, j - i));
            i = j;
        } else if (b >= 0x80) {
            size_t q = utf8_seq(s + i, k - i);
            if (!q) return LSR_E_FORMAT;
            TRY(put(c, s + i, q));
            i += q;
        } else {
            char esc[6] = {'\\', 0, 0, 0, 0, 0};
            size_t el = 2;
            switch (b) {
            case '"': esc[1] = '"'; break;
            case '\\': esc[1] = '\\'; break;
            case '\b': esc[1] = 'b'; break;
            case '\t': esc[1] = 't'; break;
            case '\n': esc[1] = 'n'; break;
            case '\f': esc[1] = 'f'; break;
            case '\r': esc[1] = 'r'; break;
            default:
                esc[1] = 'u'; esc[2] = '0'; esc[3] = '0'; esc[4] = HEX[b >> 4]; esc[5] = HEX[b & 15];
                el = 6;
            }
            TRY(put(c, esc, el));
            i++;
        }
    }
    return put1(c, '"');
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int put_b64(cursor *c, const uint8_t *s, size_t k) {
    if (!c->o) return LSR_OK;
    size_t groups = k / 3 + (k % 3 != 0);
    if ((size_t)(c->oend - c->o) < 2 || (size_t)(c->oend - c->o) - 2 < groups * 4) return LSR_E_SPACE;
    uint8_t *o = c->o;
    *o++ = '"';
    size_t i = 0;
    for (; i + 3 <= k; i += 3) {
        uint32_t v = ((uint32_t)s[i] << 16) | ((uint32_t)s[i + 1] << 8) | s[i + 2];
        o[0] = (uint8_t)B64[v >> 18]; o[1] = (uint8_t)B64[(v >> 12) & 63];
        o[2] = (uint8_t)B64[(v >> 6) & 63]; o[3] = (uint8_t)B64[v & 63];
        o += 4;
    }
    if (i < k) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < k) v |= (uint32_t)s[i + 1] << 8;
        o[0] = (uint8_t)B64[v >> 18]; o[1] = (uint8_t)B64[(v >> 12) & 63];
        o[2] = i + 1 < k ? (uint8_t)B64[(v >> 6) & 63] : '=';
        o[3] = '=';
        o += 4;
    }
    *o++ = '"';
    c->o = o;
    return LSR_OK;
}

/* If the next value is a str: its bytes and length, past it, 1. Not a str: 0. Truncated: LSR_E_FORMAT. */
static int read_str(cursor *c, const uint8_t **s, size_t *k) {
    NEED_IN(c, 1);
    uint8_t t = *c->p;
    size_t hl, len;
    if (t >= 0xa0 && t <= 0xbf) { hl = 1; len = t & 31; }
    else if (t == 0xd9) { NEED_IN(c, 2); hl = 2; len = c->p[1]; }
    else if (t == 0xda) { NEED_IN(c, 3); hl = 3; len = (size_t)be(c->p + 1, 2); }
    else if (t == 0xdb) { NEED_IN(c, 5); hl = 5; len = (size_t)be(c->p + 1, 4); }
    else return 0;
    NEED_IN(c, hl + len);
    *s = c->p + hl;
    *k = len;
    c->p += hl + len;
    return 1;
}

/* One msgpack value at c->p, written as JSON (or only checked, into a sink). With c->no_binary, a bin value is
 * LSR_E_FORMAT. */
static int value(cursor *c, int depth) {
    const uint8_t *s;
    size_t k, n;
    int is_map, rs = read_str(c, &s, &k);
    if (rs < 0) return rs;
    if (rs) return put_str(c, s, k);
    uint8_t t = *c->p++;
    if (t <= 0x7f) return put_u64(c, t);
    if (t >= 0xe0) return put_i64(c, (int8_t)t);
    switch (t) {
    case 0xc0: return PUT_LIT(c, "null");
    case 0xc2: return PUT_LIT(c, "false");
    case 0xc3: return PUT_LIT(c, "true");
    case 0xc4: case 0xc5: case 0xc6: {
        if (c->no_binary) return LSR_E_FORMAT;
        int hl = t == 0xc4 ? 1 : t == 0xc5 ? 2 : 4;
        NEED_IN(c, hl);
        k = (size_t)be(c->p, hl);
        NEED_IN(c, hl + k);
        s = c->p + hl;
        c->p += hl + k;
        return put_b64(c, s, k);
    }
    case 0xcc: NEED_IN(c, 1); c->p += 1; return put_u64(c, be(c->p - 1, 1));
    case 0xcd: NEED_IN(c, 2); c->p += 2; return put_u64(c, be(c->p - 2, 2));
    case 0xce: NEED_IN(c, 4); c->p += 4; return put_u64(c, be(c->p - 4, 4));
    case 0xcf: NEED_IN(c, 8); c->p += 8; return put_u64(c, be(c->p - 8, 8));
    case 0xd0: NEED_IN(c, 1); c->p += 1; return put_i64(c, (int8_t)be(c->p - 1, 1));
    case 0xd1: NEED_IN(c, 2); c->p += 2; return put_i64(c, (int16_t)be(c->p - 2, 2));
    case 0xd2: NEED_IN(c, 4); c->p += 4; return put_i64(c, (int32_t)be(c->p - 4, 4));
    case 0xd3: NEED_IN(c, 8); c->p += 8; return put_i64(c, (int64_t)be(c->p - 8, 8));
    case 0xdc: NEED_IN(c, 2); n = (size_t)be(c->p, 2); c->p += 2; is_map = 0; break;
    case 0xdd: NEED_IN(c, 4); n = (size_t)be(c->p, 4); c->p += 4; is_map = 0; break;
    case 0xde: NEED_IN(c, 2); n = (size_t)be(c->p, 2); c->p += 2; is_map = 1; break;
    case 0xdf: NEED_IN(c, 4); n = (size_t)be(c->p, 4); c->p += 4; is_map = 1; break;
    default:
        if (t >= 0x80 && t <= 0x8f) { n = t & 15; is_map = 1; break; }
        if (t >= 0x90 && t <= 0x9f) { n = t & 15; is_map = 0; break; }
        return LSR_E_FORMAT;   /* 0xc1, floats, ext */
    }
    if (depth >= LSR_MAX_DEPTH) return LSR_E_FORMAT;
    TRY(put1(c, is_map ? '{' : '['));
    for (size_t i = 0; i < n; i++) {
        if (i) TRY(put1(c, ','));
        if (is_map) {
            rs = read_str(c, &s, &k);
            if (rs <= 0) return LSR_E_FORMAT;   /* JSON keys are strings */
            TRY(put_str(c, s, k));
            TRY(put1(c, ':'));
        }
        TRY(value(c, depth + 1));
    }
    return put1(c, is_map ? '}' : ']');
}

/* An unsigned integer (positive fixint, uint 8-64) at c->p. */
static int read_uint(cursor *c, uint64_t *v) {
    NEED_IN(c, 1);
    uint8_t t = *c->p;
    if (t <= 0x7f) { *v = t; c->p++; return LSR_OK; }
    int k = t == 0xcc ? 1 : t == 0xcd ? 2 : t == 0xce ? 4 : t == 0xcf ? 8 : 0;
    if (!k) return LSR_E_FORMAT;
    NEED_IN(c, 1 + k);
    *v = be(c->p + 1, k);
    c->p += 1 + k;
    return LSR_OK;
}

/* One payload's fields, each checked (as value() checks it). The payload must be exactly the 6-field array. */
typedef struct {
    uint64_t kind, size, flags;
} fields;

/* The header of the payload, past [kind, size: c->p at keys. */
static int read_head(cursor *c, fields *f) {
    NEED_IN(c, 1);
    if (*c->p++ != 0x96) return LSR_E_FORMAT;   /* fixarray of 6 */
    TRY(read_uint(c, &f->kind));
    if (f->kind < 1 || f->kind > 3) return LSR_E_FORMAT;
    return read_uint(c, &f->size);
}

/* The map at c->p (keys, or an image when nil is allowed: then *present says which), written as JSON. */
static int map_or_nil(cursor *c, int nil_ok, int *present) {
    NEED_IN(c, 1);
    uint8_t t = *c->p;
    if (t == 0xc0 && nil_ok) {
        c->p++;
        *present = 0;
        return LSR_OK;
    }
    if (!((t >= 0x80 && t <= 0x8f) || t == 0xde || t == 0xdf)) return LSR_E_FORMAT;   /* a map */
    *present = 1;
    return value(c, 1);
}

/* The payloads' spans in data: at offs[i] (within data) when offs is given, else back to back, filling data. */
static int check_spans(const uint8_t *data, size_t data_len, const uint32_t *offs, const uint32_t *lens,
                       uint32_t n) {
    if ((n && !lens) || (data_len && !data)) return LSR_E_ARG;
    if (offs) {
        for (uint32_t i = 0; i < n; i++)
            if (offs[i] > data_len || lens[i] > data_len - offs[i]) return LSR_E_ARG;
        return LSR_OK;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += lens[i];
    return total == data_len ? LSR_OK : LSR_E_ARG;
}

/* The wire sequence number of seq as a JSON string: 10**20 + seq, and seq < 2**64 < 10**20, so "1" and then
 * seq in 20 digits (stream/ids.py seq_to_wire). */
static int put_seq(cursor *c, uint64_t seq) {
    char digits[23];
    digits[0] = '"';
    digits[1] = '1';
    for (int i = 21; i >= 2; i--) {
        digits[i] = (char)('0' + seq % 10);
        seq /= 10;
    }
    digits[22] = '"';
    return put(c, digits, 23);
}

int lsr_fields_json(const uint8_t *data, size_t data_len, const uint32_t *offs, const uint32_t *lens, uint32_t n,
                    const uint64_t *seqs, const uint64_t *ts, const uint8_t *event_ids, uint32_t flags,
                    uint8_t *out, size_t out_cap, size_t *out_len) {
    TRY(check_spans(data, data_len, offs, lens, n));
    if (!out || !out_len || (n && (!seqs || !ts || !event_ids))) return LSR_E_ARG;
    cursor c = {data, data, out, out + out_cap, (flags & LSR_NO_BINARY) != 0};
    TRY(put1(&c, '['));
    for (uint32_t r = 0; r < n; r++) {
        fields f;
        int present[3];
        if (offs) c.p = data + offs[r];
        c.end = c.p + lens[r];
        TRY(read_head(&c, &f));
        const uint8_t *keys = c.p;
        cursor sink = {c.p, c.end, NULL, NULL, c.no_binary};   /* keys go last: checked now, rendered below */
        TRY(map_or_nil(&sink, 0, &present[0]));
        c.p = sink.p;
        if (r) TRY(put1(&c, ','));
        TRY(put1(&c, '"'));
        TRY(put(&c, event_ids + (size_t)r * LSR_EVENT_ID_LEN, LSR_EVENT_ID_LEN));
        TRY(PUT_LIT(&c, "\","));
        TRY(put_seq(&c, seqs[r]));
        TRY(put1(&c, ','));
        TRY(put_u64(&c, ts[r] / 1000));
        TRY(put1(&c, ','));
        TRY(put_u64(&c, f.kind));
        TRY(put1(&c, ','));
        TRY(put_u64(&c, f.size));
        for (int i = 1; i < 3; i++) {
            TRY(put1(&c, ','));
            TRY(map_or_nil(&c, 1, &present[i]));
            if (!present[i]) TRY(PUT_LIT(&c, "null"));
        }
        TRY(read_uint(&c, &f.flags));
        if (c.p != c.end) return LSR_E_FORMAT;
        TRY(put1(&c, ','));
        TRY(put_u64(&c, f.flags));
        TRY(put1(&c, ','));
        if ((flags & LSR_SHARED_KEYS) && (present[1] || present[2])) {
            TRY(PUT_LIT(&c, "null"));
        } else {
            cursor k = {keys, c.end, c.o, c.oend, c.no_binary};
            TRY(value(&k, 1));
            c.o = k.o;
        }
    }
    TRY(put1(&c, ']'));
    *out_len = (size_t)(c.o - out);
    return LSR_OK;
}

static const char *const EVENT_NAMES[4] = {NULL, "INSERT", "MODIFY", "REMOVE"};

int lsr_records_json(const uint8_t *data, size_t data_len, const uint32_t *offs, const uint32_t *lens, uint32_t n,
                     const uint64_t *seqs, const uint64_t *ts, const uint8_t *event_ids,
                     const uint8_t *region, size_t region_len, const uint8_t *view_type, size_t view_type_len,
                     uint8_t *out, size_t out_cap, size_t *out_len) {
    TRY(check_spans(data, data_len, offs, lens, n));
    if (!out || !out_len || (n && (!seqs || !ts || !event_ids)) || (region_len && !region) ||
        (view_type_len && !view_type))
        return LSR_E_ARG;
    cursor c = {data, data, out, out + out_cap, 0};
    for (uint32_t r = 0; r < n; r++) {
        fields f;
        int present;
        if (offs) c.p = data + offs[r];
        c.end = c.p + lens[r];
        TRY(read_head(&c, &f));
        if (r) TRY(put1(&c, ','));
        TRY(PUT_LIT(&c, "{\"eventID\":\""));
        TRY(put(&c, event_ids + (size_t)r * LSR_EVENT_ID_LEN, LSR_EVENT_ID_LEN));
        TRY(PUT_LIT(&c, "\",\"eventName\":\""));
        TRY(put(&c, EVENT_NAMES[f.kind], strlen(EVENT_NAMES[f.kind])));
        TRY(PUT_LIT(&c, "\",\"eventVersion\":\"1.1\",\"eventSource\":\"aws:dynamodb\",\"awsRegion\":"));
        TRY(put_str(&c, region, region_len));
        TRY(PUT_LIT(&c, ",\"dynamodb\":{\"ApproximateCreationDateTime\":"));
        TRY(put_u64(&c, ts[r] / 1000));
        TRY(PUT_LIT(&c, ",\"Keys\":"));
        TRY(map_or_nil(&c, 0, &present));
        NEED_IN(&c, 1);
        if (*c.p != 0xc0) TRY(PUT_LIT(&c, ",\"NewImage\":"));
        TRY(map_or_nil(&c, 1, &present));
        NEED_IN(&c, 1);
        if (*c.p != 0xc0) TRY(PUT_LIT(&c, ",\"OldImage\":"));
        TRY(map_or_nil(&c, 1, &present));
        TRY(read_uint(&c, &f.flags));
        if (c.p != c.end) return LSR_E_FORMAT;
        TRY(PUT_LIT(&c, ",\"SequenceNumber\":"));
        TRY(put_seq(&c, seqs[r]));
        TRY(PUT_LIT(&c, ",\"SizeBytes\":"));
        TRY(put_u64(&c, f.size));
        TRY(PUT_LIT(&c, ",\"StreamViewType\":"));
        TRY(put_str(&c, view_type, view_type_len));
        TRY(put1(&c, '}'));
        if (f.flags & 1)
            TRY(PUT_LIT(&c, ",\"userIdentity\":{\"PrincipalId\":\"dynamodb.amazonaws.com\",\"Type\":\"Service\"}"));
        TRY(put1(&c, '}'));
    }
    *out_len = (size_t)(c.o - out);
    return LSR_OK;
}
