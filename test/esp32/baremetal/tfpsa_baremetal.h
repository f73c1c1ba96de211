/* Bare-metal (emulated ESP32-C3, test/esp32/qemu.node.test.ts) additions to the device TF-PSA-Crypto config:
 * entropy and milliseconds come from test/esp32/baremetal/bm_main.c (test-only, fixed seed). */
#include "tfpsacrypto_device_config.h"
#undef MBEDTLS_PSA_BUILTIN_GET_ENTROPY
#define MBEDTLS_PSA_DRIVER_GET_ENTROPY
#define MBEDTLS_PLATFORM_MS_TIME_ALT
