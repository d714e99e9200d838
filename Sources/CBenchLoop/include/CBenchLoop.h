// The reference loop for Tools/bench: verify-then-decrypt every segment of a Sealframe body
// with the same mbedTLS calls the Swift core makes, and nothing else. It is the ceiling the
// Swift core is measured against, not production code.
#ifndef SEALFRAME_CBENCHLOOP_H
#define SEALFRAME_CBENCHLOOP_H
#include <stddef.h>
#include <stdint.h>

// Returns 0 if every tag verified, -1 on an authentication failure, or an mbedTLS error.
// `body` starts at the stream header; `out` holds one plaintext segment and is overwritten.
int sf_bench_c_loop(const uint8_t *ikm, size_t ikm_len, const uint8_t *aad, size_t aad_len,
                    const uint8_t *body, size_t body_len, size_t key_size, size_t segment_size,
                    size_t tag_size, uint64_t plaintext_len, uint8_t *out);
#endif
