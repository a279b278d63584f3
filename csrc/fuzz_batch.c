/* fuzz_batch.c -- libFuzzer entry point for item.c's lsi_put_batch: over arbitrary bytes it must return LSI_OK,
 * LSI_FALLBACK or (for a too small output buffer) LSI_E_SPACE, never read or write out of bounds, and agree with
 * lsi_put_item item by item. Build and run (clang; docs/codec.md has the recipe and the seed corpus):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Icsrc csrc/fuzz_batch.c \
 *         csrc/item.c csrc/crc32c.c -o /tmp/fuzz_batch && /tmp/fuzz_batch -max_total_time=60
 * Input: byte 0 picks the key schema (as fuzz_item.c), byte 1 the records mode (0-2; bit 2: a table number near
 * 2**64; bit 3: an output buffer one byte short of what the batch needs), then items, each a 2-byte big-endian
 * length and that many bytes (a short last one takes what is left), all copied into one exactly-sized heap buffer.
 * Checked for LSI_OK: every item is accepted by lsi_put_item too; its LMDB key is the table number then that key,
 * at most LSI_INLINE bytes; its sealed value is the CRC32C of key and body then the body lsi_put_item made; its
 * record is [1, keys_size (+ size), Keys, body or nil, nil, 0] as msgpack; the lengths add up to out_len. For
 * LSI_FALLBACK: some item falls back in lsi_put_item or its key is too long. */
#include <stdlib.h>
#include <string.h>
#include "logseg.h"

static const int TYPES[4] = {'S', 'N', 'B', 0};
#define MAX_ITEMS 16

static int put_one(const uint8_t *in, size_t n, int sel, uint8_t *out, size_t cap, lsi_item_info *info) {
    const uint8_t *hname = (const uint8_t *)((sel & 16) ? "a" : "pk");
    const uint8_t *rname = (const uint8_t *)((sel & 16) ? "\xc3\xa9" : "sk");
    int htype = TYPES[sel & 3] ? TYPES[sel & 3] : 'S';
    int rtype = TYPES[(sel >> 2) & 3];
    return lsi_put_item(in, n, hname, (sel & 16) ? 1 : 2, htype, rname, 2, rtype, out, cap, info);
}

static size_t uint_len(uint32_t v) { return v < 0x80 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : 5; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    int sel = data[0], mode = data[1] & 3, far = data[1] & 4, short_out = data[1] & 8;
    if (mode == 3) mode = 2;
    uint64_t table_no = far ? 0xfffffffffffffff0ull + (data[1] >> 4) : (uint64_t)(data[1] >> 4);
    uint32_t lens[MAX_ITEMS];
    size_t n = 0, total = 0, longest = 0;
    for (size_t p = 2; p < size && n < MAX_ITEMS;) {
        size_t len = p + 1 < size ? ((size_t)data[p] << 8 | data[p + 1]) : 0;
        p += 2;
        if (p > size) p = size;
        if (len > size - p) len = size - p;
        lens[n++] = (uint32_t)len;
        total += len;
        if (len > longest) longest = len;
        p += len;
    }
    uint8_t *in = malloc(total ? total : 1);
    if (!in) abort();
    for (size_t p = 2, i = 0, w = 0; i < n; i++) {   /* the items, without their length prefixes */
        p += 2;
        if (p > size) p = size;
        memcpy(in + w, data + p, lens[i]);
        w += lens[i];
        p += lens[i];
    }
    size_t scratch_cap = LSI_KEY_CAP + 1 + 2 * longest, out_cap = 3 * total + 520 * n;
    uint8_t *scratch = malloc(scratch_cap), *one = malloc(scratch_cap);
    if (!scratch || !one) abort();
    /* what the batch needs, from lsi_put_item: to make the output buffer exactly that size (or one byte short) */
    int expect = LSI_OK;
    size_t need = 0;
    for (size_t i = 0, pos = 0; i < n; pos += lens[i], i++) {
        lsi_item_info info;
        int rc = put_one(in + pos, lens[i], sel, one, scratch_cap, &info);
        if (rc != LSI_OK && rc != LSI_FALLBACK) abort();
        if (rc == LSI_FALLBACK || 8 + info.key_len > LSI_INLINE) { expect = LSI_FALLBACK; break; }
        need += 8 + info.key_len + 4 + lens[i];
        if (mode) need += 2 + uint_len(info.keys_size + (mode == 2 ? info.size : 0)) + info.keys_len
                          + (mode == 2 ? lens[i] : 1) + 2;
    }
    if (expect == LSI_OK) out_cap = short_out && need ? need - 1 : need;
    uint8_t *out = malloc(out_cap ? out_cap : 1);
    uint32_t *entries = malloc(sizeof(uint32_t) * 5 * (n ? n : 1));
    if (!out || !entries) abort();
    size_t out_len = 0;
    int rc = lsi_put_batch(in, lens, n, (const uint8_t *)((sel & 16) ? "a" : "pk"), (sel & 16) ? 1 : 2,
                           TYPES[sel & 3] ? TYPES[sel & 3] : 'S', (const uint8_t *)((sel & 16) ? "\xc3\xa9" : "sk"), 2,
                           TYPES[(sel >> 2) & 3], table_no, mode, out, out_cap, scratch, scratch_cap, entries,
                           &out_len);
    if (expect == LSI_FALLBACK) {
        if (rc != LSI_FALLBACK) abort();
    } else if (short_out && need) {
        if (rc != LSI_E_SPACE) abort();
    } else {
        if (rc != LSI_OK || out_len != need) abort();
        size_t w = 0;
        for (size_t i = 0, pos = 0; i < n; pos += lens[i], i++) {
            lsi_item_info info;
            if (put_one(in + pos, lens[i], sel, one, scratch_cap, &info) != LSI_OK) abort();
            const uint8_t *body = info.reordered ? one + info.key_len + info.keys_len : in + pos;
            const uint32_t *e = entries + 5 * i;
            if (e[0] != 8 + info.key_len || e[1] != 4 + lens[i] || e[3] != info.partition || e[4] != info.size)
                abort();
            const uint8_t *k = out + w, *v = k + e[0], *r = v + e[1];
            for (int b = 0; b < 8; b++)
                if (k[b] != (uint8_t)(table_no >> (56 - 8 * b))) abort();
            if (memcmp(k + 8, one, info.key_len) != 0 || memcmp(v + 4, body, lens[i]) != 0) abort();
            uint32_t crc = lsg_crc32c(lsg_crc32c(0, k, e[0]), body, lens[i]);
            if (v[0] != (uint8_t)crc || v[1] != (uint8_t)(crc >> 8) || v[2] != (uint8_t)(crc >> 16)
                    || v[3] != (uint8_t)(crc >> 24))
                abort();
            if (mode == 0 && e[2] != 0) abort();
            if (mode) {
                size_t ul = uint_len(info.keys_size + (mode == 2 ? info.size : 0));
                if (r[0] != 0x96 || r[1] != 1) abort();
                if (memcmp(r + 2 + ul, one + info.key_len, info.keys_len) != 0) abort();
                const uint8_t *img = r + 2 + ul + info.keys_len;
                if (mode == 2 ? memcmp(img, body, lens[i]) != 0 : img[0] != 0xc0) abort();
                const uint8_t *tail = img + (mode == 2 ? lens[i] : 1);
                if (tail[0] != 0xc0 || tail[1] != 0x00 || (size_t)(tail + 2 - r) != e[2]) abort();
            }
            w += (size_t)e[0] + e[1] + e[2];
        }
        if (w != out_len) abort();
    }
    free(entries);
    free(out);
    free(one);
    free(scratch);
    free(in);
    return 0;
}
