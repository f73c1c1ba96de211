/*
 * dtls_mbedtls_config.h: which mbedtls configuration our C is compiled against. Included before the first
 * mbedtls header by dtls_compat.h and ../digest/token_digest_compat.h (mbedtls/version.h already reads the
 * configuration through build_info.h).
 *
 * On ESP-IDF (ESP_PLATFORM) the mbedtls library is built with -DMBEDTLS_CONFIG_FILE="mbedtls/esp_config.h"
 * (ESP-IDF 5.x and 6.x) and, on 6.x (mbedtls 4), -DTF_PSA_CRYPTO_USER_CONFIG_FILE="mbedtls/esp_config.h" and
 * -DESP_PSA_ITS_AVAILABLE (nvs_flash is in the build) and -DMBEDTLS_MAJOR_VERSION=4, where esp_config.h turns sdkconfig.h (our
 * config/sdkconfig.defaults) into mbedtls options. A component that requires mbedtls gets those defines from
 * ESP-IDF's CMake; Moddable compiles module C itself (tools/mcconfig/make.esp32.mk) with neither, and a
 * manifest cannot add a quoted define without replacing Moddable's whole C_FLAGS. Without them our C would see
 * mbedtls's default configuration: other struct layouts (mbedtls_ssl_config and mbedtls_ssl_context are
 * embedded in ours) than the library on the chip, i.e. memory corruption there. So they are set here when the
 * build did not set them. test/esp32/mcconfig.node.test.ts compiles a probe under both command lines and
 * compares every configuration macro and the sizes of the structures we embed.
 *
 * The include directories (port/include for esp_config.h, tf-psa-crypto/include, ...) come from the esp32
 * section of manifest.json. Elsewhere (Linux, the bare-metal builds, ESP-IDF's own component compile) this
 * header does nothing.
 */
#ifndef DTLS_MBEDTLS_CONFIG_H
#define DTLS_MBEDTLS_CONFIG_H

/* ESP-IDF's component compile defines MBEDTLS_CONFIG_FILE itself (and the rest with it): then nothing here. */
#if defined(ESP_PLATFORM) && !defined(MBEDTLS_CONFIG_FILE)
#define MBEDTLS_CONFIG_FILE "mbedtls/esp_config.h"
#define TF_PSA_CRYPTO_USER_CONFIG_FILE "mbedtls/esp_config.h" /* read by mbedtls 4 (TF-PSA-Crypto) only */
#if defined(__has_include)
#if __has_include(<tf-psa-crypto/build_info.h>)
#define MBEDTLS_MAJOR_VERSION 4 /* ESP-IDF 6's mbedtls component exports it; esp_config.h tests it */
#define ESP_PSA_ITS_AVAILABLE 1 /* ESP-IDF 6 exports it when nvs_flash is built, as in every Moddable project */
#endif
#endif
#endif

#endif /* DTLS_MBEDTLS_CONFIG_H */
