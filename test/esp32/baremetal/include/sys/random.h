/* getrandom() for bare-metal builds of modules/dtls (picolibc has no sys/random.h): bm_main.c. */
#pragma once
#include <sys/types.h>
ssize_t getrandom(void *buf, size_t len, unsigned flags);
