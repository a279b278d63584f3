/* fuzz_logseg.c -- libFuzzer entry point: every decoding function over arbitrary bytes must return a status
 * and never read out of bounds. Build and run (clang):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icsrc csrc/fuzz_logseg.c csrc/logseg.c csrc/crc32c.c \
 *         -o /tmp/fuzz_logseg && /tmp/fuzz_logseg -max_total_time=60
 * The input is copied into an exactly-sized heap buffer so ASan catches any byte read past its end. When the input
 * is long enough, half the runs first recompute both checksums, so that random bytes get past the CRCs and the
 * structural checks behind them are fuzzed too. */
#include <stdlib.h>
#include <string.h>
#include "logseg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *seg = malloc(size ? size : 1);
    if (!seg) return 0;
    memcpy(seg, data, size);
    if (size >= LSG_HEADER_SIZE + LSG_TRAILER_SIZE && (data[size - 1] & 1)) {
        uint32_t c = lsg_crc32c(0, seg, 52);
        memcpy(seg + 52, &c, 4); /* little-endian hosts only, which is all we fuzz on */
        c = lsg_crc32c(0, seg, size - LSG_TRAILER_SIZE);
        memcpy(seg + size - LSG_TRAILER_SIZE, &c, 4);
    }
    lsg_header h;
    uint32_t idx, n;
    uint64_t bytes, seqs[8], ts[8];
    uint32_t offs[8], lens[8];
    size_t cap = size + 2 * (LSG_HEADER_SIZE + LSG_TRAILER_SIZE + 24), out_len;
    uint8_t *out = malloc(cap);
    if (!out) { free(seg); return 0; }
    lsg_header made;
    /* the one-record encoder over the input as payload: what it makes must validate */
    uint64_t s0 = size >= 8 ? (uint64_t)data[0] << 56 | data[1] : 0, t0 = size >= 4 ? data[2] : 0;
    if (lsg_encode_one(s0, t0, seg, (uint32_t)size, out, cap, &out_len) == LSG_OK &&
        lsg_validate(out, out_len, &made) != LSG_OK) abort();
    lsg_read_header(seg, size, &h);
    if (lsg_validate(seg, size, &h) == LSG_OK) {
        if (lsg_locate(seg, size, size > 16 ? data[16] : 0, &idx) != LSG_OK) abort();
        if (lsg_read(seg, size, 0, 8, 1 << 20, 1, seqs, ts, offs, lens, &n, &bytes, &h) != LSG_OK) abort();
        for (uint32_t i = 0; i < n; i++)
            if ((uint64_t)offs[i] + lens[i] > size) abort();
        /* one record appended to a valid segment: the copy must validate too */
        if (h.last_seq < UINT64_MAX &&
            lsg_extend_one(seg, size, h.last_seq + 1, h.last_ts, data, 16, out, cap, &out_len) == LSG_OK &&
            lsg_validate(out, out_len, &made) != LSG_OK) abort();
    } else {
        lsg_locate(seg, size, 5, &idx);
    }
    free(out);
    free(seg);
    return 0;
}
