/* crc32c.c -- CRC32C (Castagnoli) for segment checksums: SSE4.2 instructions when the CPU has them,
 * slicing-by-8 tables otherwise. Pure function; the only state is a read-only table. */
#include <string.h>
#include "logseg.h"
#include "crc32c_table.h"

static uint32_t crc32c_sw(uint32_t crc, const uint8_t *p, size_t len) {
    crc = ~crc;
    while (len && ((uintptr_t)p & 7)) {
        crc = lsg_crc32c_table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
        len--;
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        w ^= crc;
        crc = lsg_crc32c_table[7][w & 0xFF] ^ lsg_crc32c_table[6][(w >> 8) & 0xFF] ^
              lsg_crc32c_table[5][(w >> 16) & 0xFF] ^ lsg_crc32c_table[4][(w >> 24) & 0xFF] ^
              lsg_crc32c_table[3][(w >> 32) & 0xFF] ^ lsg_crc32c_table[2][(w >> 40) & 0xFF] ^
              lsg_crc32c_table[1][(w >> 48) & 0xFF] ^ lsg_crc32c_table[0][w >> 56];
        p += 8;
        len -= 8;
    }
    while (len--) crc = lsg_crc32c_table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t len) {
    uint64_t c = ~crc & 0xFFFFFFFFu;
    while (len && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        len--;
    }
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        len -= 8;
    }
    while (len--) c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}

uint32_t lsg_crc32c(uint32_t crc, const uint8_t *buf, size_t len) {
    if (__builtin_cpu_supports("sse4.2")) return crc32c_hw(crc, buf, len);
    return crc32c_sw(crc, buf, len);
}
#else
uint32_t lsg_crc32c(uint32_t crc, const uint8_t *buf, size_t len) { return crc32c_sw(crc, buf, len); }
#endif
