/* Bare-metal glue for the DTLS selftest / heap bench on the emulated ESP32-C3: stdout through the ROM's
   UART routine, watchdogs off, and the platform hooks mbedtls and modules/dtls need (test-only entropy:
   a fixed-seed generator, never for a device). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/types.h>

extern int uart_tx_one_char(uint8_t c);
extern int ets_printf(const char *fmt, ...);
int main(void);

static int _putc(char c, FILE *f) { (void)f; if (c == '\n') uart_tx_one_char('\r'); uart_tx_one_char((uint8_t)c); return (unsigned char)c; }
static FILE _out = FDEV_SETUP_STREAM(_putc, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdout = &_out;
FILE *const stderr = &_out;
FILE *const stdin = &_out;

#define REG(a) (*(volatile uint32_t *)(a))
static void _watchdogs_off(void)
{
    REG(0x600080A8) = 0x50D83AA1; REG(0x60008090) = 0; REG(0x600080A8) = 0;          /* RTC WDT */
    REG(0x600080B0) = 0x8F1D312A; REG(0x600080AC) |= 1u << 30; REG(0x600080B0) = 0;  /* super WDT */
    REG(0x6001F064) = 0x50D83AA1; REG(0x6001F048) = 0; REG(0x6001F064) = 0;          /* TIMG0 WDT */
    REG(0x60020064) = 0x50D83AA1; REG(0x60020048) = 0; REG(0x60020064) = 0;          /* TIMG1 WDT */
}

static uint64_t _x = 0x9E3779B97F4A7C15ull;
static uint8_t _next(void) { _x ^= _x << 13; _x ^= _x >> 7; _x ^= _x << 17; return (uint8_t)(_x >> 32); }
ssize_t getrandom(void *buf, size_t len, unsigned flags) { (void)flags; for (size_t i = 0; i < len; i++) ((uint8_t *)buf)[i] = _next(); return (ssize_t)len; }
int mbedtls_platform_get_entropy(unsigned flags, size_t *estimate_bits, unsigned char *out, size_t len)
{ (void)flags; getrandom(out, len, 0); if (estimate_bits) *estimate_bits = 8 * len; return 0; }
static int64_t _ms;
int64_t mbedtls_ms_time(void) { return ++_ms; }

extern char __heap_start[], __heap_end[], _stack_top[];
void bm_main(void)
{
    _watchdogs_off();
    printf("BM start: heap %u bytes, stack %u bytes\n", (unsigned)(__heap_end - __heap_start), (unsigned)STACK_SIZE);
    int rc = main();
    printf("BM exit %d\n", rc);
}
/* Wall time: the build time (BM_EPOCH) plus the mbedtls millisecond counter, so test certificates are valid. */
int gettimeofday(struct timeval *tv, void *tz) { (void)tz; if (tv) { tv->tv_sec = BM_EPOCH + (time_t)(_ms / 1000); tv->tv_usec = 0; } return 0; }
