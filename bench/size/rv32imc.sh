#!/bin/sh
# Code size of modules/dtls (the sans-IO DTLS core) plus the mbedtls it needs, for rv32imc (ESP32-C3).
#
#   bench/size/rv32imc.sh [MBEDTLS_SRC] [OUT_DIR]      (or MBEDTLS_SRC=... in the environment)
#
# MBEDTLS_SRC is an mbedtls 2.28 or 3.6 source tree (include/ and library/), e.g. Debian's
# mbedtls_2.28.3.orig.tar.gz unpacked (`apt-get source mbedtls`). Nothing is downloaded or vendored.
# Needs riscv64-unknown-elf-gcc (Debian: gcc-riscv64-unknown-elf); picolibc-riscv64-unknown-elf for the
# "with picolibc" row (skipped, and said so, without it).
#
# Every .c of mbedtls's library/, every .c of modules/dtls (and modules/digest/token_digest.c for one
# row) are compiled with  -Os -march=rv32imc -mabi=ilp32 -ffunction-sections -fdata-sections  under two
# configurations (see below: "device config only", and "mbedtls defaults + device config"). A tiny main()
# keeps the whole public API of dtls_session.h (the XS and N-API bindings use all of it: PSK client and
# server, dtls_server, certificate client with pinning), and each link keeps only what that reaches
# (--gc-sections). Links:
#   - "no libc": -nostdlib, libc and libgcc symbols left unresolved (listed): their size is excluded, the
#     firmware has them anyway;
#   - "+ token digest": the same plus modules/digest (HMAC-SHA-256/128), no libc;
#   - "+ picolibc/libgcc": against picolibc and libgcc. Debian ships no rv32imc multilib, so these come
#     from the nearest one, rv32imac/ilp32 (our objects stay rv32imc); includes crt0, picolibc's start-up
#     and a gettimeofday stub.
# Prints per link:  SIZE {"name":...,"text":N,"rodata":N,"data":N,"bss":N}  (text and rodata: kept input
# sections from the link map; data and bss: from the ELF), SIZEPART rows per part (dtls core, libmbedtls,
# libmbedx509, libmbedcrypto, libc...) and the riscv64-unknown-elf-size line. Work files: OUT_DIR
# (default build/size-rv32imc/). SIZE_EXTRA_CFLAGS adds compiler flags (e.g. -DMBEDTLS_AES_ROM_TABLES).
set -eu

SRC=${1:-${MBEDTLS_SRC:-}}
if [ -z "$SRC" ]; then
	echo "rv32imc.sh: no mbedtls source directory: pass it as the first argument or set MBEDTLS_SRC" >&2
	exit 2
fi
if [ ! -f "$SRC/include/mbedtls/version.h" ] || [ ! -d "$SRC/library" ]; then
	echo "rv32imc.sh: $SRC is not an mbedtls source tree (no include/mbedtls/version.h or library/)" >&2
	exit 2
fi
CC=${RISCV_CC:-riscv64-unknown-elf-gcc}
SIZE=${RISCV_SIZE:-riscv64-unknown-elf-size}
READELF=${RISCV_READELF:-riscv64-unknown-elf-readelf}
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "rv32imc.sh: $CC not found (apt-get install gcc-riscv64-unknown-elf)" >&2
	exit 3
fi
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${2:-$ROOT/build/size-rv32imc}
mkdir -p "$OUT"
rm -rf "$OUT/device" "$OUT/defaults"

# Two configurations, each compiled into its own object directory:
#   device:   the device settings alone, as MBEDTLS_CONFIG_FILE (what modules/dtls needs, nothing else);
#   defaults: mbedtls's default configuration with the device settings on top, as MBEDTLS_USER_CONFIG_FILE
#             (how modules/dtls/test builds its "device" selftest; an untrimmed firmware config).
# Both add what bare metal needs: no OS entropy, sockets, timing or file system.
cat > "$OUT/size_config.h" <<'CFG'
#ifndef IDPGATE_SIZE_CONFIG_H
#define IDPGATE_SIZE_CONFIG_H
#define MBEDTLS_HAVE_TIME
#define MBEDTLS_HAVE_TIME_DATE /* certificate validity needs the date */
#define MBEDTLS_NO_PLATFORM_ENTROPY
#include "mbedtls_device_config.h"
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define MBEDTLS_PLATFORM_C /* 3.x: needed by the next line */
#define MBEDTLS_PLATFORM_MS_TIME_ALT /* 3.x: the platform provides mbedtls_ms_time() (ESP-IDF does) */
#else
#include "mbedtls/check_config.h" /* 3.x: build_info.h includes it */
#endif
#endif
CFG
cat > "$OUT/size_user_config.h" <<'CFG'
#include "mbedtls_device_config.h"
#define MBEDTLS_NO_PLATFORM_ENTROPY
#undef MBEDTLS_NET_C
#undef MBEDTLS_TIMING_C
#undef MBEDTLS_FS_IO
#undef MBEDTLS_PSA_ITS_FILE_C
#undef MBEDTLS_PSA_CRYPTO_STORAGE_C
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define MBEDTLS_PLATFORM_MS_TIME_ALT
#endif
CFG

# The whole public API of dtls_session.h (and, for the digest row, of token_digest.h), kept alive.
cat > "$OUT/size_main.c" <<'MAIN'
#include "dtls_session.h"
#include <stdint.h>
typedef void (*fn)(void);
static const fn keep[] = {
	(fn)dtls_error_code, (fn)dtls_error_fault, (fn)dtls_set_entropy, (fn)dtls_suite_id,
	(fn)dtls_session_new, (fn)dtls_session_free, (fn)dtls_session_set_peer_id, (fn)dtls_session_restore,
	(fn)dtls_session_start, (fn)dtls_session_feed, (fn)dtls_session_handle_timeout,
	(fn)dtls_session_next_timeout, (fn)dtls_session_poll_transmit, (fn)dtls_session_read,
	(fn)dtls_session_write, (fn)dtls_session_close, (fn)dtls_session_state, (fn)dtls_session_error,
	(fn)dtls_session_max_payload, (fn)dtls_session_resumed, (fn)dtls_session_save, (fn)dtls_session_suite,
	(fn)dtls_session_stats,
	(fn)dtls_server_new, (fn)dtls_server_free, (fn)dtls_server_feed, (fn)dtls_server_handle_timeout,
	(fn)dtls_server_next_timeout, (fn)dtls_server_poll, (fn)dtls_server_write, (fn)dtls_server_close_peer,
	(fn)dtls_server_count,
};
#ifdef WITH_DIGEST
#include "token_digest.h"
static const fn keep_digest[] = { (fn)token_digest_new, (fn)token_digest_compute, (fn)token_digest_free };
#endif
int main(int argc, char **argv)
{
	(void)argv;
	volatile fn f = keep[(unsigned)argc % (sizeof keep / sizeof keep[0])];
#ifdef WITH_DIGEST
	volatile fn g = keep_digest[(unsigned)argc % 3];
	return (int)(uintptr_t)f + (int)(uintptr_t)g;
#else
	return (int)(uintptr_t)f;
#endif
}
MAIN
# Stand-ins for the platform: picolibc's time() calls the system's gettimeofday, its printf the
# platform's stdout; mbedtls 3.x wants mbedtls_ms_time() (MBEDTLS_PLATFORM_MS_TIME_ALT above).
cat > "$OUT/size_stubs.c" <<'STUB'
#include <stdint.h>
#include <sys/time.h>
int gettimeofday(struct timeval *tv, void *tz) { (void)tz; tv->tv_sec = 0; tv->tv_usec = 0; return 0; }
int64_t mbedtls_ms_time(void) { return 0; }
#include <stdio.h>
FILE *const stdout = NULL; /* picolibc's printf/puts need the platform's stdout */
STUB

ARCH="-march=rv32imc -mabi=ilp32"
COMMON="-Os $ARCH -ffunction-sections -fdata-sections -std=c99 -w \
	-I$OUT -I$ROOT/modules/dtls/config -I$ROOT/modules/dtls -I$ROOT/modules/digest -I$SRC/include -I$SRC/library \
	${SIZE_EXTRA_CFLAGS:-}"
# picolibc's headers when present (mbedtls needs <time.h>, <string.h>, ...), else the toolchain's own.
SPECS=""
if "$CC" --specs=picolibc.specs -E -x c /dev/null >/dev/null 2>&1; then SPECS="--specs=picolibc.specs"; fi
VERSION=$(sed -n 's/.*define MBEDTLS_VERSION_STRING[[:space:]]*"\(.*\)".*/\1/p' "$SRC/include/mbedtls/build_info.h" "$SRC/include/mbedtls/version.h" 2>/dev/null | head -1)
echo "rv32imc.sh: $("$CC" --version | head -1); mbedtls $VERSION from $SRC" >&2

# Hexadecimal to number in any awk (mawk has no strtonum).
HEX='function hex(s,  i, n) { n = 0; s = tolower(s); sub(/^0x/, "", s); for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return n }'

# data = writable sections with contents (.data*, .sdata*, init arrays); bss = writable without contents
# (.bss*, .sbss*), from the ELF; picolibc.ld's reserved .stack/.heap are not counted.
data_bss() {
	"$READELF" -S -W "$1" | awk "$HEX"'
		/^ *\[ *[0-9]+\]/ {
			sub(/^ *\[ *[0-9]+\] */, "");
			name = $1; type = $2; size = hex($5); flags = $7;
			if (flags !~ /A/ || flags !~ /W/ || name ~ /^\.(stack|heap|tbss_space)/) next;
			if (type == "NOBITS") bss += size; else data += size;
		}
		END { printf "\"data\":%d,\"bss\":%d", data, bss }'
}

# From the link map: sizes of the kept .text* and .rodata*/.srodata* input sections, per part and in all
# (picolibc.ld puts .rodata inside the .text output section, so output sections cannot tell them apart).
parts() { # map name
	awk -v tag="$2" "$HEX"'
		function part(file) {
			if (file ~ /\/dtls_[a-z_]*\.o/ || file ~ /size_main/) return "dtls core";
			if (file ~ /token_digest\.o/) return "token digest";
			if (file ~ /libmbedtls\.a/) return "libmbedtls";
			if (file ~ /libmbedx509\.a/) return "libmbedx509";
			if (file ~ /libmbedcrypto\.a/) return "libmbedcrypto";
			return "libc+libgcc+crt";
		}
		function add(kind, sz, file,  n, p) { n = hex(sz); if (n > 0) { p = part(file); s[p SUBSEP kind] += n; all[kind] += n; seen[p] = 1 } }
		/^Discarded input sections/ { skip = 1 } /^Linker script and memory map/ { skip = 0 }
		skip { next }
		/^ \.(text|rodata|srodata)/ {
			kind = ($1 ~ /^\.text/) ? "text" : "rodata";
			if (NF >= 4) { add(kind, $3, $4); next }
			pending = kind; next
		}
		pending != "" && NF >= 3 && $1 ~ /^0x/ { add(pending, $2, $3); pending = ""; next }
		{ pending = "" }
		END {
			printf "TOTAL \"text\":%d,\"rodata\":%d\n", all["text"], all["rodata"];
			for (p in seen) printf "PART %s\t%d\t%d\n", p, s[p SUBSEP "text"], s[p SUBSEP "rodata"];
		}' "$1"
}

report() { # name elf map
	parts "$3" "$1" > "$3.parts"
	echo "SIZE {\"name\":\"$1\",$(sed -n 's/^TOTAL //p' "$3.parts"),$(data_bss "$2")}"
	sed -n 's/^PART //p' "$3.parts" | sort | while IFS="$(printf '\t')" read -r p t r; do
		echo "SIZEPART {\"name\":\"$1\",\"part\":\"$p\",\"text\":$t,\"rodata\":$r}"
	done
	echo "BERKELEY $1: $("$SIZE" "$2" | tail -1 | awk '{printf "text %s data %s bss %s (riscv64-unknown-elf-size; its text includes rodata)", $1, $2, $3}')"
}

PICO=/usr/lib/picolibc/riscv64-unknown-elf
build_and_link() { # mode label
	mode=$1; label=$2
	O="$OUT/$mode"
	mkdir -p "$O/obj"
	if [ "$mode" = device ]; then CFG="-DMBEDTLS_CONFIG_FILE=\"size_config.h\""; else CFG="-DMBEDTLS_USER_CONFIG_FILE=\"size_user_config.h\""; fi
	CFLAGS="$COMMON $CFG"
	tls=""; x509=""; crypto=""
	for f in "$SRC"/library/*.c; do
		b=$(basename "$f" .c)
		$CC $SPECS $CFLAGS -c "$f" -o "$O/obj/$b.o"
		# grouped as mbedtls's library/Makefile groups its three libraries
		case $b in
		debug|net_sockets|ssl_*|mps_*) tls="$tls $O/obj/$b.o" ;;
		x509*|pkcs7) x509="$x509 $O/obj/$b.o" ;;
		*) crypto="$crypto $O/obj/$b.o" ;;
		esac
	done
	rm -f "$O"/lib*.a
	riscv64-unknown-elf-ar rcs "$O/libmbedtls.a" $tls
	riscv64-unknown-elf-ar rcs "$O/libmbedx509.a" $x509
	riscv64-unknown-elf-ar rcs "$O/libmbedcrypto.a" $crypto
	LIBS="$O/libmbedtls.a $O/libmbedx509.a $O/libmbedcrypto.a"
	CORE=""
	for f in "$ROOT"/modules/dtls/*.c; do
		b=$(basename "$f" .c)
		$CC $SPECS $CFLAGS -D_GNU_SOURCE -c "$f" -o "$O/obj/$b.o"
		CORE="$CORE $O/obj/$b.o"
	done
	$CC $SPECS $CFLAGS -c "$ROOT/modules/digest/token_digest.c" -o "$O/obj/token_digest.o"
	$CC $SPECS $CFLAGS -c "$OUT/size_main.c" -o "$O/obj/size_main.o"
	$CC $SPECS $CFLAGS -DWITH_DIGEST -c "$OUT/size_main.c" -o "$O/obj/size_main_digest.o"
	$CC $SPECS $CFLAGS -c "$OUT/size_stubs.c" -o "$O/obj/size_stubs.o"

	# No libc: libc and libgcc symbols left unresolved, their size excluded.
	NOLIBC="$ARCH -nostdlib -nostartfiles -Wl,--gc-sections -Wl,-e,main -Wl,--unresolved-symbols=ignore-all"
	$CC $NOLIBC -Wl,-Map,"$O/nolibc.map" -o "$O/nolibc.elf" "$O/obj/size_main.o" $CORE \
		-Wl,--start-group $LIBS -Wl,--end-group
	report "DTLS core + mbedtls $VERSION ($label), no libc" "$O/nolibc.elf" "$O/nolibc.map"
	echo "UNRESOLVED ($label, no libc): $(riscv64-unknown-elf-nm -u "$O/nolibc.elf" | awk '{printf "%s ", $2}')"
	$CC $NOLIBC -Wl,-Map,"$O/digest.map" -o "$O/digest.elf" "$O/obj/size_main_digest.o" $CORE \
		"$O/obj/token_digest.o" -Wl,--start-group $LIBS -Wl,--end-group
	report "DTLS core + token digest + mbedtls $VERSION ($label), no libc" "$O/digest.elf" "$O/digest.map"

	# With picolibc and libgcc (rv32imac/ilp32 multilib, see above); ESP32-C3-sized memory regions
	# instead of picolibc.ld's default 64 KB flash / 32 KB RAM.
	if [ -n "$SPECS" ] && [ -f "$PICO/lib/rv32imac/ilp32/libc.a" ]; then
		LIBGCC=$("$CC" -march=rv32imac -mabi=ilp32 -print-libgcc-file-name)
		if $CC $ARCH -nostdlib -Wl,--gc-sections -Wl,-Map,"$O/picolibc.map" -T "$PICO/lib/picolibc.ld" \
			-Wl,--defsym=__flash_size=0x400000 -Wl,--defsym=__ram_size=0x60000 \
			-o "$O/picolibc.elf" "$PICO/lib/rv32imac/ilp32/crt0.o" "$O/obj/size_main.o" $CORE \
			"$O/obj/size_stubs.o" -Wl,--start-group $LIBS "$PICO/lib/rv32imac/ilp32/libc.a" "$LIBGCC" -Wl,--end-group \
			2> "$O/picolibc.err"; then
			report "DTLS core + mbedtls $VERSION ($label) + picolibc/libgcc" "$O/picolibc.elf" "$O/picolibc.map"
		else
			echo "rv32imc.sh: the picolibc link failed ($label), see $O/picolibc.err; the no-libc rows stand" >&2
		fi
	else
		echo "rv32imc.sh: picolibc for rv32imac/ilp32 not found: the 'with picolibc' link is skipped" >&2
	fi
}

build_and_link device "device config only"
build_and_link defaults "mbedtls defaults + device config"
