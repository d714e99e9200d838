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
#include <mbedtls/gcm.h>
#include <mbedtls/base64.h>
#include <mbedtls/error.h>
#include <mbedtls/ssl.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/pk.h>
#include <mbedtls/ecp.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/oid.h>
#endif
