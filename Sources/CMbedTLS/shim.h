// The parts of mbedTLS 2.28 that Sealframe uses. Debian ships no pkg-config file for
// mbedTLS, so the module map names the library itself.
#ifndef SEALFRAME_CMBEDTLS_SHIM_H
#define SEALFRAME_CMBEDTLS_SHIM_H
#include <mbedtls/aes.h>
#include <mbedtls/md.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/sha256.h>
#include <mbedtls/constant_time.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ctr_drbg.h>
#endif
