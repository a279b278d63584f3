/* fuzz_item.c -- libFuzzer entry point for item.c: lsi_put_item over arbitrary bytes must return LSI_OK or
 * LSI_FALLBACK, never read or write out of bounds, and what it accepts must be self-consistent. Build and run
 * (clang; docs/development.md has the full recipe and a seed corpus):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Icsrc csrc/fuzz_item.c \
 *         csrc/item.c -o /tmp/fuzz_item && /tmp/fuzz_item -max_total_time=60
 * The first input byte picks the key schema (hash/range types, names "pk"/"sk" or "a"/"é"); the rest, copied into
 * an exactly-sized heap buffer so ASan catches any byte read past its end, is the msgpack item. Checked for an
 * accepted item: the output lengths add up; the body is a permutation of the input's bytes; and the body, put
 * again, is accepted unchanged with the same key, sizes and partition hash (the canonical form is a fixed point). */
#include <stdlib.h>
#include <string.h>
#include "logseg.h"

static const int TYPES[4] = {'S', 'N', 'B', 0};

static int put(const uint8_t *in, size_t n, int sel, uint8_t **out, lsi_item_info *info) {
    size_t cap = LSI_KEY_CAP + 1 + 2 * n;
    *out = malloc(cap);
    if (!*out) abort();
    const uint8_t *hname = (const uint8_t *)((sel & 16) ? "a" : "pk");
    const uint8_t *rname = (const uint8_t *)((sel & 16) ? "\xc3\xa9" : "sk");
    int htype = TYPES[sel & 3] ? TYPES[sel & 3] : 'S';
    int rtype = TYPES[(sel >> 2) & 3];
    return lsi_put_item(in, n, hname, (sel & 16) ? 1 : 2, htype, rname, 2, rtype, *out, cap, info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int sel = data[0];
    size_t n = size - 1;
    uint8_t *in = malloc(n ? n : 1);
    if (!in) return 0;
    memcpy(in, data + 1, n);
    uint8_t *out;
    lsi_item_info info;
    int rc = put(in, n, sel, &out, &info);
    if (rc != LSI_OK && rc != LSI_FALLBACK) abort();
    if (rc == LSI_OK) {
        if (info.key_len > LSI_KEY_CAP || info.keys_len < 1 || info.keys_len > n + 1) abort();
        if (info.out_len != info.key_len + info.keys_len + (info.reordered ? n : 0)) abort();
        if (info.size > LSI_MAX_ITEM_SIZE || info.keys_size > info.size) abort();
        const uint8_t *body = info.reordered ? out + info.key_len + info.keys_len : in;
        uint64_t sum_in = 0, sum_body = 0;
        for (size_t i = 0; i < n; i++) { sum_in += in[i]; sum_body += body[i]; }
        if (sum_in != sum_body) abort();
        uint8_t *body_copy = malloc(n ? n : 1), *out2;
        if (!body_copy) abort();
        memcpy(body_copy, body, n);
        lsi_item_info again;
        if (put(body_copy, n, sel, &out2, &again) != LSI_OK) abort();
        if (again.reordered || again.size != info.size || again.keys_size != info.keys_size
                || again.key_len != info.key_len || again.partition != info.partition
                || memcmp(out2, out, info.key_len + info.keys_len) != 0)
            abort();
        free(out2);
        free(body_copy);
    }
    free(out);
    free(in);
    return 0;
}
