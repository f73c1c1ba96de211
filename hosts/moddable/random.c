/*
 * The CSPRNG of hosts/moddable (ports.ts `NativeRandom`): fills a buffer with secure random bytes from the
 * same source the DTLS core seeds mbedtls from (modules/dtls `dtls_entropy`: getrandom(2) on Linux, the
 * simulator and the XS test host); on ESP32 the hardware RNG (esp_fill_random; secure while the radio is
 * on or the bootloader's entropy source is enabled, see ESP-IDF "Random Number Generation").
 */
#include "xsmc.h"
#if ESP32
	#include "esp_random.h"
#else
	#include "../../modules/dtls/dtls_session.h"
#endif

/* fill(bytes): bytes is an ArrayBuffer or a view; returns nothing; throws when no entropy is available. */
void xs_idpgate_random_fill(xsMachine* the)
{
	void* data;
	xsUnsignedValue count;
	if (xsmcArgc < 1)
		xsTypeError("random: buffer required");
	xsmcGetBufferWritable(xsArg(0), &data, &count);
#if ESP32
	esp_fill_random(data, count);
#else
	if (count && dtls_entropy(NULL, data, count) != 0)
		xsUnknownError("random: no entropy");
#endif
}
