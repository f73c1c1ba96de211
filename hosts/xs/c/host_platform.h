/*
 * XS platform header for the idpgate XS test host (Linux and macOS, 64-bit).
 *
 * The engine includes this file through -DINCLUDE_XSPLATFORM -DXSPLATFORM="host_platform.h". It picks the
 * engine's portability switches and adds our per-machine fields (mxMachinePlatform) to txMachine.
 * Everything the platform must provide (allocation, modules, promise job queue, abort) is in host_platform.c.
 */
#ifndef IDPGATE_XS_HOST_PLATFORM_H
#define IDPGATE_XS_HOST_PLATFORM_H

#if !defined(__GNUC__)
	#error "the idpgate XS host needs gcc or clang"
#endif
#if !(defined(__x86_64__) || defined(__aarch64__) || defined(__i386__) || defined(__arm__))
	#error "unsupported CPU"
#endif

#undef mxLittleEndian
#define mxLittleEndian 1
#if defined(__linux__)
	#undef mxLinux
	#define mxLinux 1
#else
	#undef mxMacOSX
	#define mxMacOSX 1
#endif
#define mxExport extern
#define mxImport extern
#define XS_FUNCTION_NORETURN __attribute__((noreturn))

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <unistd.h>

#define mxUseGCCAtomics 1
#define mxUsePOSIXThreads 1

/* Per-machine fields. `waiter*` are used by Atomics.wait; `host` points at our HostState (host_main.c). */
#define mxMachinePlatform \
	void* waiterCondition; \
	void* waiterData; \
	void* waiterLink; \
	int promiseJobs; \
	void* host;

/*
 * No mxCESU8: strings hold UTF-8, as in Moddable's device and simulator builds (XS's default). `length`
 * and indices count code points, charCodeAt of U+1F600 is 0x1F600, and ArrayBuffer.fromString and
 * String.fromArrayBuffer exist. Tests here then see the string model a device has (XS Differences.md).
 */

#define mxUseDefaultBuildKeys 1
#define mxUseDefaultParseScript 1
#define mxUseDefaultSharedChunks 1
#define mxUseDefaultDebug 1

#endif /* IDPGATE_XS_HOST_PLATFORM_H */
