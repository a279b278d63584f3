/* fuzz_record.c -- libFuzzer entry point for csrc/record.c: over arbitrary bytes, every function returns a status
 * and never reads or writes out of bounds; what it renders is well-formed (balanced) and fits the buffer it was
 * given. Build and run (clang; docs/development.md):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Icsrc csrc/fuzz_record.c \
 *         csrc/record.c -o /tmp/fuzz_record && /tmp/fuzz_record -runs=10000000
 * The input is split into up to 4 payloads by its first byte, each copied into an exactly-sized heap buffer so
 * ASan catches a byte read past its end; output buffers are exactly sized too, and sometimes too small, so the
 * LSR_E_SPACE paths run. Half the inputs start with a valid payload header (fixarray of 6, kind, size), so random
 * bytes reach the image renderer more often. Each call is made twice, the payloads packed (offs NULL) and as spans
 * of a wider buffer (offs), which must agree byte for byte; a span past the buffer's end must be LSR_E_ARG. */
#include <stdlib.h>
#include <string.h>
#include "logseg.h"

static void check_balanced(const uint8_t *out, size_t len) {
    /* brackets outside strings balance; strings close */
    long depth = 0;
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t ch = out[i];
        if (in_str) {
            if (ch == '\\') i++;
            else if (ch == '"') in_str = 0;
            else if (ch < 0x20) abort();   /* control characters are always escaped */
        } else if (ch == '"') in_str = 1;
        else if (ch == '[' || ch == '{') depth++;
        else if (ch == ']' || ch == '}') { if (--depth < 0) abort(); }
    }
    if (in_str || depth != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    uint8_t *input;
    size_t in_len;
    if (mode & 1) {   /* a valid header first: [kind 1-3, size] */
        in_len = size + 3;
        input = malloc(in_len);
        if (!input) return 0;
        input[0] = 0x96;
        input[1] = (uint8_t)(1 + (mode >> 1) % 3);
        input[2] = 0x10;
        memcpy(input + 3, data, size);
    } else {
        in_len = size;
        input = malloc(in_len);
        if (!input) return 0;
        memcpy(input, data, size);
    }
    /* up to 4 payloads: equal parts of the input (the last takes the rest) */
    uint32_t n = 1 + (mode >> 3) % 4, lens[4];
    if (mode & 1) n = 1;
    for (uint32_t i = 0; i < n; i++) lens[i] = (uint32_t)(in_len / n);
    lens[n - 1] = (uint32_t)(in_len - (size_t)(in_len / n) * (n - 1));
    uint64_t seqs[4] = {0, 1, 0xFFFFFFFFFFFFFFFFULL, 12345}, ts[4] = {0, 999, 1000, 0xFFFFFFFFFFFFFFFFULL};
    uint8_t ids[4 * LSR_EVENT_ID_LEN];
    uint8_t key[64];
    memset(key, 7, sizeof key);
    if (lsr_event_ids(key, (mode >> 5) * 9, 3, seqs, n, ids, sizeof ids) != LSR_OK) abort();
    /* the same payloads as spans of a wider buffer (gaps of junk between them, and before the first): rendered
     * with offsets, they must give what the packed payloads give, byte for byte; a span past the end is refused */
    uint32_t gap = 1 + (mode >> 2) % 5, offs[4];
    size_t wide_len = in_len + gap * n;
    uint8_t *wide = malloc(wide_len);
    if (!wide) { free(input); return 0; }
    memset(wide, 0xc1, wide_len);   /* 0xc1: never valid msgpack, so a read into a gap cannot pass */
    size_t at = 0, from = 0;
    for (uint32_t i = 0; i < n; i++) {
        at += gap;
        offs[i] = (uint32_t)at;
        memcpy(wide + at, input + from, lens[i]);
        at += lens[i];
        from += lens[i];
    }
    size_t caps[2] = {8 * in_len + 512 * n, (size_t)(mode % 7) * in_len / 2};
    for (int k = 0; k < 2; k++) {
        size_t cap = caps[k];
        uint8_t *out = malloc(cap ? cap : 1), *out2 = malloc(cap ? cap : 1);
        if (!out || !out2) { free(out); free(out2); break; }
        size_t out_len = 0, out2_len = 0;
        int rc = lsr_fields_json(input, in_len, NULL, lens, n, seqs, ts, ids, (uint32_t)(mode >> 6), out, cap,
                                 &out_len);
        if (rc == LSR_OK) {
            if (out_len > cap) abort();
            check_balanced(out, out_len);
        } else if (rc != LSR_E_FORMAT && rc != LSR_E_SPACE) abort();
        int rc2 = lsr_fields_json(wide, wide_len, offs, lens, n, seqs, ts, ids, (uint32_t)(mode >> 6), out2, cap,
                                  &out2_len);
        if (rc2 != rc || (rc == LSR_OK && (out2_len != out_len || memcmp(out, out2, out_len)))) abort();
        rc = lsr_records_json(input, in_len, NULL, lens, n, seqs, ts, ids, (const uint8_t *)"us-east-1", 9,
                              (const uint8_t *)"KEYS_ONLY", 9, out, cap, &out_len);
        if (rc == LSR_OK) {
            if (out_len > cap) abort();
            check_balanced(out, out_len);
        } else if (rc != LSR_E_FORMAT && rc != LSR_E_SPACE) abort();
        rc2 = lsr_records_json(wide, wide_len, offs, lens, n, seqs, ts, ids, (const uint8_t *)"us-east-1", 9,
                               (const uint8_t *)"KEYS_ONLY", 9, out2, cap, &out2_len);
        if (rc2 != rc || (rc == LSR_OK && (out2_len != out_len || memcmp(out, out2, out_len)))) abort();
        free(out);
        free(out2);
    }
    uint32_t past[4];
    memcpy(past, offs, sizeof past);
    past[n - 1] = (uint32_t)(wide_len - lens[n - 1] + 1);   /* one byte past the end */
    size_t unused = 0;
    uint8_t sink[1];
    if (lsr_records_json(wide, wide_len, past, lens, n, seqs, ts, ids, (const uint8_t *)"r", 1,
                         (const uint8_t *)"v", 1, sink, sizeof sink, &unused) != LSR_E_ARG) abort();
    free(wide);
    free(input);
    return 0;
}
