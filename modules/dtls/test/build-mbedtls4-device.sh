#!/bin/sh
# build-mbedtls4-device.sh <mbedtls-4-source-dir> <out-dir>
#
# Builds an mbedtls 4.x tree (with its tf-psa-crypto/ submodule checked out; fetched by you, nothing is
# downloaded here) with the device configuration of modules/dtls: ../config/mbedtls4_device_config.h as
# MBEDTLS_USER_CONFIG_FILE and ../config/tfpsacrypto_device_config.h as TF_PSA_CRYPTO_USER_CONFIG_FILE.
# Static libraries and headers are installed in <out-dir> (lib/, include/; CMake build in <out-dir>/build),
# then the heap bench is linked against them as <out-dir>/dtls_heapbench (calloc/malloc/free wrapped, like
# the Makefile's device target). The installed headers do not remember the configuration: whatever includes
# them needs the same two -D flags (compile-check.sh adds them with DEVICE_CONFIG=1).
#
# Environment: JOBS (parallel jobs, default 2), CC, CFLAGS (given to the library build and the bench alike,
#   e.g. -DIDPGATE_DTLS_IN_CONTENT_LEN=1280 -DIDPGATE_DTLS_OUT_CONTENT_LEN=768 -DIDPGATE_PSA_KEY_SLOT_COUNT=8),
#   CONFIG_DIR (another directory holding the two files, for experiments; default ../config). With CFLAGS
#   overrides, give compile-check.sh the same ones in EXTRA_CFLAGS.
#
# Example (mbedtls v4.0.0 with TF-PSA-Crypto v1.0.0):
#   git clone --recursive -b v4.0.0 https://github.com/Mbed-TLS/mbedtls.git     (by you)
#   modules/dtls/test/build-mbedtls4-device.sh mbedtls /tmp/mb4-device
#   DEVICE_CONFIG=1 modules/dtls/test/compile-check.sh /tmp/mb4-device   # selftests under valgrind
#   /tmp/mb4-device/dtls_heapbench                  # BENCH rows; HEAPBENCH_TRACE=1 lists live blocks
set -eu

[ $# -eq 2 ] || { echo "usage: $0 <mbedtls-4-source-dir> <out-dir>" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$1" && pwd)
CONF=$(cd "${CONFIG_DIR:-$HERE/../config}" && pwd)
[ -f "$SRC/tf-psa-crypto/CMakeLists.txt" ] ||
    { echo "$SRC/tf-psa-crypto is empty: check out the submodule (git submodule update --init)" >&2; exit 2; }
grep -q '^#define MBEDTLS_VERSION_MAJOR  *4' "$SRC/include/mbedtls/build_info.h" 2>/dev/null ||
    { echo "$SRC is not an mbedtls 4.x tree" >&2; exit 2; }
mkdir -p "$2"
OUT=$(cd "$2" && pwd)

cmake -S "$SRC" -B "$OUT/build" -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$OUT" -DCMAKE_C_FLAGS="${CFLAGS:-}" \
    -DMBEDTLS_USER_CONFIG_FILE="$CONF/mbedtls4_device_config.h" \
    -DTF_PSA_CRYPTO_USER_CONFIG_FILE="$CONF/tfpsacrypto_device_config.h"
cmake --build "$OUT/build" -j "${JOBS:-2}"
cmake --install "$OUT/build" >/dev/null

D=$HERE/..
# shellcheck disable=SC2086,SC2046 # CFLAGS is a flag list; every C file of modules/dtls
${CC:-cc} -O1 -g -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE ${CFLAGS:-} -I"$OUT/include" -I"$CONF" \
    -DMBEDTLS_USER_CONFIG_FILE='"mbedtls4_device_config.h"' \
    -DTF_PSA_CRYPTO_USER_CONFIG_FILE='"tfpsacrypto_device_config.h"' \
    -I"$D" -o "$OUT/dtls_heapbench" "$HERE/dtls_heapbench.c" $(ls "$D"/*.c) \
    -Wl,--wrap=calloc,--wrap=malloc,--wrap=free \
    "$OUT/lib/libmbedtls.a" "$OUT/lib/libmbedx509.a" "$OUT/lib/libtfpsacrypto.a"
echo "built $OUT (lib/, include/) and $OUT/dtls_heapbench"
