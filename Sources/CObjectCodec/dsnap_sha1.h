#ifndef DSNAP_SHA1_H
#define DSNAP_SHA1_H

// SHA-1 for object ids, using the CPU's SHA instructions (x86 SHA-NI) when it has them and
// mbedtls otherwise. Profiling a first snapshot of 1 GB of images put 30% of all CPU time in
// mbedtls's portable SHA-1 (~0.45 GB/s per core); SHA-NI does the same work at ~1.5-2 GB/s.
// Only the per-block compression differs: padding and byte order are the usual SHA-1's.

#include <stdint.h>
#include <string.h>
#include <mbedtls/sha1.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

typedef struct {
    uint32_t state[5];
    uint64_t total;          // bytes hashed so far
    unsigned char block[64]; // a partial block waiting for more input
    uint32_t buffered;
} dsnap_sha1_context;

#if defined(__x86_64__)
/// SHA-NI needs SSSE3 and SSE4.1 besides the SHA extension itself (CPUID leaf 7, EBX bit 29).
static inline int dsnap_sha1_cpu_has_sha_ni(void) {
    static int known = -1;
    if (known >= 0) return known;
    unsigned int a, b, c, d;
    int has = 0;
    if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 9)) && (c & (1u << 19))) {
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29))) has = 1;
    }
    known = has;
    return has;
}

// Four rounds: E for this group from the ABCD before the previous group (sha1nexte), then
// sha1rnds4 with the round function of rounds 20*f .. 20*f+19.
#define DSNAP_SHA1_FIRST4(msg)                      \
    e = _mm_add_epi32(e, msg);                      \
    previous = abcd;                                \
    abcd = _mm_sha1rnds4_epu32(abcd, e, 0);
#define DSNAP_SHA1_NEXT4(msg, f)                    \
    e = _mm_sha1nexte_epu32(previous, msg);         \
    previous = abcd;                                \
    abcd = _mm_sha1rnds4_epu32(abcd, e, f);
// The next four schedule words from the previous sixteen (w0 oldest ... w3 newest), into w0.
#define DSNAP_SHA1_SCHEDULE(w0, w1, w2, w3)         \
    w0 = _mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32(w0, w1), w2), w3);

__attribute__((target("sha,sse4.1,ssse3")))
static inline void dsnap_sha1_blocks_sha_ni(uint32_t state[5], const unsigned char *data, size_t blocks) {
    // Big-endian words, first word in the highest lane: reverse all 16 bytes.
    const __m128i order = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)state), 0x1B);
    __m128i e_start = _mm_set_epi32((int)state[4], 0, 0, 0);
    for (; blocks > 0; blocks--, data += 64) {
        const __m128i abcd_start = abcd;
        __m128i e = e_start, previous;
        __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 0)), order);
        __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), order);
        __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), order);
        __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), order);
        DSNAP_SHA1_FIRST4(w0)
        DSNAP_SHA1_NEXT4(w1, 0)
        DSNAP_SHA1_NEXT4(w2, 0)
        DSNAP_SHA1_NEXT4(w3, 0)
        DSNAP_SHA1_SCHEDULE(w0, w1, w2, w3) DSNAP_SHA1_NEXT4(w0, 0)  // rounds 16-19
        DSNAP_SHA1_SCHEDULE(w1, w2, w3, w0) DSNAP_SHA1_NEXT4(w1, 1)  // 20-23
        DSNAP_SHA1_SCHEDULE(w2, w3, w0, w1) DSNAP_SHA1_NEXT4(w2, 1)
        DSNAP_SHA1_SCHEDULE(w3, w0, w1, w2) DSNAP_SHA1_NEXT4(w3, 1)
        DSNAP_SHA1_SCHEDULE(w0, w1, w2, w3) DSNAP_SHA1_NEXT4(w0, 1)
        DSNAP_SHA1_SCHEDULE(w1, w2, w3, w0) DSNAP_SHA1_NEXT4(w1, 1)  // 36-39
        DSNAP_SHA1_SCHEDULE(w2, w3, w0, w1) DSNAP_SHA1_NEXT4(w2, 2)  // 40-43
        DSNAP_SHA1_SCHEDULE(w3, w0, w1, w2) DSNAP_SHA1_NEXT4(w3, 2)
        DSNAP_SHA1_SCHEDULE(w0, w1, w2, w3) DSNAP_SHA1_NEXT4(w0, 2)
        DSNAP_SHA1_SCHEDULE(w1, w2, w3, w0) DSNAP_SHA1_NEXT4(w1, 2)
        DSNAP_SHA1_SCHEDULE(w2, w3, w0, w1) DSNAP_SHA1_NEXT4(w2, 2)  // 56-59
        DSNAP_SHA1_SCHEDULE(w3, w0, w1, w2) DSNAP_SHA1_NEXT4(w3, 3)  // 60-63
        DSNAP_SHA1_SCHEDULE(w0, w1, w2, w3) DSNAP_SHA1_NEXT4(w0, 3)
        DSNAP_SHA1_SCHEDULE(w1, w2, w3, w0) DSNAP_SHA1_NEXT4(w1, 3)
        DSNAP_SHA1_SCHEDULE(w2, w3, w0, w1) DSNAP_SHA1_NEXT4(w2, 3)
        DSNAP_SHA1_SCHEDULE(w3, w0, w1, w2) DSNAP_SHA1_NEXT4(w3, 3)  // 76-79
        // E after the block comes from the ABCD before the last group, added to the starting E.
        e_start = _mm_sha1nexte_epu32(previous, e_start);
        abcd = _mm_add_epi32(abcd, abcd_start);
    }
    _mm_storeu_si128((__m128i *)state, _mm_shuffle_epi32(abcd, 0x1B));
    state[4] = (uint32_t)_mm_extract_epi32(e_start, 3);
}
#undef DSNAP_SHA1_FIRST4
#undef DSNAP_SHA1_NEXT4
#undef DSNAP_SHA1_SCHEDULE
#endif

/// Compresses whole 64-byte blocks into `state`.
static inline void dsnap_sha1_blocks(uint32_t state[5], const unsigned char *data, size_t blocks) {
#if defined(__x86_64__)
    if (dsnap_sha1_cpu_has_sha_ni()) {
        dsnap_sha1_blocks_sha_ni(state, data, blocks);
        return;
    }
#endif
    // mbedtls's block function works on its own context: borrow one for the state.
    mbedtls_sha1_context fallback;
    mbedtls_sha1_init(&fallback);
    memcpy(fallback.state, state, sizeof(uint32_t) * 5);
    for (; blocks > 0; blocks--, data += 64) mbedtls_internal_sha1_process(&fallback, data);
    memcpy(state, fallback.state, sizeof(uint32_t) * 5);
    mbedtls_sha1_free(&fallback);
}

static inline void dsnap_sha1_init(dsnap_sha1_context *context) {
    static const uint32_t initial[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    memcpy(context->state, initial, sizeof(initial));
    context->total = 0;
    context->buffered = 0;
}

static inline void dsnap_sha1_update(dsnap_sha1_context *context, const void *bytes, size_t count) {
    const unsigned char *data = (const unsigned char *)bytes;
    context->total += count;
    if (context->buffered > 0) {
        size_t take = 64 - context->buffered;
        if (take > count) take = count;
        memcpy(context->block + context->buffered, data, take);
        context->buffered += (uint32_t)take;
        data += take;
        count -= take;
        if (context->buffered < 64) return;
        dsnap_sha1_blocks(context->state, context->block, 1);
        context->buffered = 0;
    }
    if (count >= 64) {
        dsnap_sha1_blocks(context->state, data, count / 64);
        data += count / 64 * 64;
        count %= 64;
    }
    if (count > 0) {
        memcpy(context->block, data, count);
        context->buffered = (uint32_t)count;
    }
}

/// Pads (0x80, zeros, the length in bits, big-endian) and writes the 20-byte digest.
static inline void dsnap_sha1_finish(dsnap_sha1_context *context, unsigned char digest[20]) {
    uint64_t bits = context->total * 8;
    unsigned char tail[72];
    size_t padding = (context->buffered < 56 ? 56 : 120) - context->buffered;
    memset(tail, 0, sizeof(tail));
    tail[0] = 0x80;
    for (int i = 0; i < 8; i++) tail[padding + i] = (unsigned char)(bits >> (56 - 8 * i));
    dsnap_sha1_update(context, tail, padding + 8);
    for (int i = 0; i < 5; i++) {
        digest[4 * i] = (unsigned char)(context->state[i] >> 24);
        digest[4 * i + 1] = (unsigned char)(context->state[i] >> 16);
        digest[4 * i + 2] = (unsigned char)(context->state[i] >> 8);
        digest[4 * i + 3] = (unsigned char)context->state[i];
    }
}

#endif
