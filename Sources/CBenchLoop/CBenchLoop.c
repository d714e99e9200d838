#include "CBenchLoop.h"
#include <mbedtls/aes.h>
#include <mbedtls/constant_time.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/platform_util.h>
#include <string.h>

int sf_bench_c_loop(const uint8_t *ikm, size_t ikm_len, const uint8_t *aad, size_t aad_len,
                    const uint8_t *body, size_t body_len, size_t key_size, size_t segment_size,
                    size_t tag_size, uint64_t plaintext_len, uint8_t *out) {
    const mbedtls_md_info_t *sha256 = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    size_t header = 1 + key_size + 7;
    uint8_t okm[64], iv[16], ctr[16], stream[16], digest[32];
    int rc = mbedtls_hkdf(sha256, body + 1, key_size, ikm, ikm_len, aad, aad_len, okm, key_size + 32);
    if (rc != 0) return rc;
    mbedtls_aes_context aes;
    mbedtls_md_context_t mac;
    mbedtls_aes_init(&aes);
    mbedtls_md_init(&mac);
    if ((rc = mbedtls_aes_setkey_enc(&aes, okm, (unsigned)(key_size * 8))) != 0) goto done;
    if ((rc = mbedtls_md_setup(&mac, sha256, 1)) != 0) goto done;
    if ((rc = mbedtls_md_hmac_starts(&mac, okm + key_size, 32)) != 0) goto done;

    uint64_t first = segment_size - header - tag_size, full = segment_size - tag_size;
    uint64_t count = plaintext_len <= first ? 1 : 2 + (plaintext_len - first - 1) / full;
    size_t offset = header;
    uint64_t left = plaintext_len;
    for (uint64_t i = 0; i < count; i++) {
        size_t pt = (size_t)(i == 0 ? (left < first ? left : first) : (left < full ? left : full));
        if (offset + pt + tag_size > body_len) { rc = -1; goto done; }
        memcpy(iv, body + 1 + key_size, 7);
        iv[7] = (uint8_t)(i >> 24); iv[8] = (uint8_t)(i >> 16); iv[9] = (uint8_t)(i >> 8); iv[10] = (uint8_t)i;
        iv[11] = i == count - 1;
        memset(iv + 12, 0, 4);
        if ((rc = mbedtls_md_hmac_reset(&mac)) != 0) goto done;
        if ((rc = mbedtls_md_hmac_update(&mac, iv, 16)) != 0) goto done;
        if ((rc = mbedtls_md_hmac_update(&mac, body + offset, pt)) != 0) goto done;
        if ((rc = mbedtls_md_hmac_finish(&mac, digest)) != 0) goto done;
        if (mbedtls_ct_memcmp(digest, body + offset + pt, tag_size) != 0) { rc = -1; goto done; }
        size_t nc_off = 0;
        memcpy(ctr, iv, 16);
        if ((rc = mbedtls_aes_crypt_ctr(&aes, pt, &nc_off, ctr, stream, body + offset, out)) != 0) goto done;
        offset += pt + tag_size;
        left -= pt;
    }
    rc = offset == body_len ? 0 : -1;
done:
    mbedtls_md_free(&mac);
    mbedtls_aes_free(&aes);
    mbedtls_platform_zeroize(okm, sizeof okm);
    return rc;
}
