#!/bin/sh
# compile-check.sh <mbedtls-dir> [<tf-psa-crypto-dir>]
#
# Compiles every C file of the repository that includes mbedtls headers (modules/dtls/*.c,
# modules/dtls/xs/dtls_xs.c, modules/digest/token_digest.c, modules/digest/xs/token_digest_xs.c) and the C
# test drivers against one mbedtls tree, with -Wall -Wextra -Werror; when that tree's static libraries are
# found, also links dtls_selftest and token_digest_selftest against them and runs both (under valgrind when
# it is installed). Outputs go to build/compile-check/ (git-ignored); nothing in the tree is touched.
#
# <mbedtls-dir>: anything with include/mbedtls/version.h:
#   - a 2.28 / 3.6 source tree (libraries, if built with `make lib`, in library/);
#   - a 4.x source tree (its tf-psa-crypto/ submodule is picked up unless <tf-psa-crypto-dir> is given;
#     libraries: set LIBDIR to the CMake build's library/ directory);
#   - a CMake install prefix of 4.x (`cmake --install`: include/ holds mbedtls/ and psa/, lib/ the libraries);
#   - /usr for the system mbedtls (Debian 12: 2.28, shared libraries; linked with -l).
# <tf-psa-crypto-dir>: a TF-PSA-Crypto 1.x source tree (4.x only): adds include/ and drivers/builtin/include/.
#
# Environment: CC (default cc), DEVICE_CONFIG=1 (the tree was built with ../config/mbedtls_device_config.h
#   as its user config, 2.28 / 3.6; on 4.x with ../config/mbedtls4_device_config.h and
#   tfpsacrypto_device_config.h, see build-mbedtls4-device.sh), EXTRA_CFLAGS (more flags, split on blanks: write
#   -DMBEDTLS_USER_CONFIG_FILE=\"file.h\" without single quotes), LIBDIR (where libmbedtls.a & co. are),
#   NO_RUN=1 (compile only), NO_VALGRIND=1, SKIP_XS=1 (no XS bindings).
# Exit status: 0 when everything attempted passed, 1 otherwise.
#
# Example (4.0.0 / TF-PSA-Crypto 1.0.0, see ../README.md):
#   cmake -S mbedtls -B build -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF -DCMAKE_INSTALL_PREFIX=$PWD/install
#   cmake --build build -j2 && cmake --install build
#   modules/dtls/test/compile-check.sh <that>/install
set -u

usage() { echo "usage: $0 <mbedtls-dir> [<tf-psa-crypto-dir>]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
MB=$(cd "$1" 2>/dev/null && pwd) || { echo "no such directory: $1" >&2; exit 2; }
[ -f "$MB/include/mbedtls/version.h" ] || { echo "$MB/include/mbedtls/version.h not found" >&2; exit 2; }
TF=
if [ $# -eq 2 ]; then
    TF=$(cd "$2" 2>/dev/null && pwd) || { echo "no such directory: $2" >&2; exit 2; }
elif [ -d "$MB/tf-psa-crypto/include" ]; then
    TF=$MB/tf-psa-crypto
fi

CC=${CC:-cc}
EXTRA_CFLAGS=${EXTRA_CFLAGS:-}
MB_INC="-I$MB/include"
if [ -n "$TF" ]; then
    MB_INC="$MB_INC -I$TF/include"
    [ -d "$TF/drivers/builtin/include" ] && MB_INC="$MB_INC -I$TF/drivers/builtin/include"
fi
if [ "${DEVICE_CONFIG:-0}" = 1 ]; then
    # 2.28 / 3.6: one user config; 4.x: a TLS one and a TF-PSA-Crypto one (test/build-mbedtls4-device.sh)
    MAJOR=$(printf '#include <mbedtls/version.h>\nMBEDTLS_VERSION_MAJOR\n' | $CC -E -P $MB_INC - 2>/dev/null | tail -n 1)
    if [ "$MAJOR" -ge 4 ] 2>/dev/null; then
        EXTRA_CFLAGS="-I$ROOT/modules/dtls/config -DMBEDTLS_USER_CONFIG_FILE=\"mbedtls4_device_config.h\" \
-DTF_PSA_CRYPTO_USER_CONFIG_FILE=\"tfpsacrypto_device_config.h\" $EXTRA_CFLAGS"
    else
        EXTRA_CFLAGS="-I$ROOT/modules/dtls/config -DMBEDTLS_USER_CONFIG_FILE=\"mbedtls_device_config.h\" $EXTRA_CFLAGS"
    fi
fi
# The flags of modules/*/test/Makefile and, for the XS bindings, those hosts/xs/Makefile gives native modules.
CFLAGS="-O1 -g -Wall -Wextra -Werror -std=c11 -D_GNU_SOURCE"
XS=$ROOT/node_modules/@agoric/xsnap/moddable/xs
XS_CFLAGS="-fno-common -O2 -DmxBoundsCheck=1 -DINCLUDE_XSPLATFORM -DXSPLATFORM=\"host_platform.h\" \
-DmxMetering=1 -DmxParse=1 -DmxRun=1 -DmxSloppy=1 -DmxRegExpUnicodePropertyEscapes=1 -DmxStringNormalize=1 \
-DmxMinusZero=1 -I$ROOT/hosts/xs/c -I$XS/includes -I$XS/platforms -I$XS/sources \
-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -Werror"

VERSION=$(printf '#include <mbedtls/version.h>\nMBEDTLS_VERSION_STRING\n' |
          $CC -E -P $EXTRA_CFLAGS $MB_INC - 2>/dev/null | tr -d '" ' | tail -n 1)
[ -n "$VERSION" ] || { echo "cannot preprocess mbedtls/version.h with $MB_INC" >&2; exit 1; }
OUT=$ROOT/build/compile-check/$VERSION
mkdir -p "$OUT"
echo "mbedtls $VERSION from $MB${TF:+ with TF-PSA-Crypto $TF}${EXTRA_CFLAGS:+ ($EXTRA_CFLAGS)}"

FAIL=0
step() { # step <label> <command...>
    label=$1; shift
    if "$@" >"$OUT/last.log" 2>&1; then
        echo "  ok    $label"
    else
        echo "  FAIL  $label"; sed 's/^/        /' "$OUT/last.log" | head -n 40
        FAIL=1
    fi
}

D=$ROOT/modules/dtls
G=$ROOT/modules/digest
D_SRCS=$(ls "$D"/*.c) # every C file of modules/dtls
# shellcheck disable=SC2086 # flag lists are word-split on purpose
{
for f in "$D"/*.c; do
    step "compile modules/dtls/${f##*/}" $CC -fsyntax-only $CFLAGS $EXTRA_CFLAGS $MB_INC -I$D "$f"
done
step "compile modules/digest/token_digest.c" $CC -fsyntax-only $CFLAGS $EXTRA_CFLAGS $MB_INC -I$G -I$D $G/token_digest.c
step "compile modules/dtls/test/dtls_selftest.c" $CC -fsyntax-only $CFLAGS $EXTRA_CFLAGS $MB_INC -I$D $D/test/dtls_selftest.c
step "compile modules/dtls/test/dtls_heapbench.c" $CC -fsyntax-only $CFLAGS $EXTRA_CFLAGS $MB_INC -I$D $D/test/dtls_heapbench.c
step "compile modules/digest/test/token_digest_selftest.c" $CC -fsyntax-only $CFLAGS $EXTRA_CFLAGS $MB_INC -I$G $G/test/token_digest_selftest.c
if [ "${SKIP_XS:-0}" = 1 ]; then
    echo "  skip  XS bindings (SKIP_XS=1)"
elif [ ! -f "$XS/includes/xsmc.h" ]; then
    echo "  FAIL  XS bindings: $XS/includes/xsmc.h missing (npm ci, or SKIP_XS=1)"; FAIL=1
else
    step "compile modules/dtls/xs/dtls_xs.c" $CC -fsyntax-only $XS_CFLAGS $EXTRA_CFLAGS $MB_INC $D/xs/dtls_xs.c
    step "compile modules/digest/xs/token_digest_xs.c" $CC -fsyntax-only $XS_CFLAGS $EXTRA_CFLAGS $MB_INC $G/xs/token_digest_xs.c
fi
}

# Libraries: LIBDIR, else library/ (make), lib/ (CMake install prefix); 4.x crypto is libtfpsacrypto.
LIBS=
if [ "$MB" = /usr ] && [ -z "${LIBDIR:-}" ]; then
    LIBS="-lmbedtls -lmbedx509 -lmbedcrypto"; LIB_NOTE="system libraries"
else
    for d in ${LIBDIR:-} "$MB/library" "$MB/lib"; do
        if [ -n "$d" ] && [ -f "$d/libmbedtls.a" ] && [ -f "$d/libmbedx509.a" ]; then
            if [ -f "$d/libtfpsacrypto.a" ]; then crypto=$d/libtfpsacrypto.a
            elif [ -f "$d/libmbedcrypto.a" ]; then crypto=$d/libmbedcrypto.a
            else continue; fi
            LIBS="$d/libmbedtls.a $d/libmbedx509.a $crypto"; LIB_NOTE=$d
            break
        fi
    done
fi
if [ "${NO_RUN:-0}" = 1 ]; then
    echo "  skip  link and run (NO_RUN=1)"
elif [ -z "$LIBS" ]; then
    echo "  skip  link and run: no libmbedtls.a/libmbedx509.a/lib{tfpsa,mbed}crypto.a (set LIBDIR)"
else
    RUN=
    if [ "${NO_VALGRIND:-0}" != 1 ] && command -v valgrind >/dev/null 2>&1; then
        RUN="valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite,indirect"
    fi
    echo "  libraries: $LIB_NOTE${RUN:+ (runs under valgrind)}"
    # shellcheck disable=SC2086
    rm -f "$OUT/dtls_selftest" "$OUT/token_digest_selftest"
    {
    step "link dtls_selftest" $CC $CFLAGS $EXTRA_CFLAGS -DDTLS_CHECK_TRANSITIONS $MB_INC -I$D -o $OUT/dtls_selftest $D/test/dtls_selftest.c $D_SRCS $LIBS
    [ -x "$OUT/dtls_selftest" ] && step "run dtls_selftest" $RUN $OUT/dtls_selftest
    step "link token_digest_selftest" $CC $CFLAGS $EXTRA_CFLAGS $MB_INC -I$G -I$D -o $OUT/token_digest_selftest \
        $G/test/token_digest_selftest.c $G/token_digest.c $D_SRCS $LIBS
    [ -x "$OUT/token_digest_selftest" ] && step "run token_digest_selftest" $RUN $OUT/token_digest_selftest
    }
fi
rm -f "$OUT/last.log"
[ $FAIL = 0 ] && echo "compile-check: mbedtls $VERSION ok" || echo "compile-check: mbedtls $VERSION FAILED"
exit $FAIL
