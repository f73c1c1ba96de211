/*
 * TEST ONLY: a tiny native class proving native()/Native() of the XS test host
 * (test/xs/native-counter.fixture-lib.ts, test/xs/native.xs.test.ts).
 *
 * Follows the binding rules of STYLE.md: host data validated on every call, close() is safe twice, the
 * destructor accepts NULL.
 */
#include "xsmc.h"

typedef struct {
	int32_t value;
} TestCounter;

static int32_t gTestCounterDestroyed = 0;

void xs_test_counter_destructor(void* data)
{
	if (data) {
		c_free(data);
		gTestCounterDestroyed++;
	}
}

/* init(start = 0) */
void xs_test_counter_init(xsMachine* the)
{
	TestCounter* counter;
	if (xsmcGetHostData(xsThis))
		xsUnknownError("counter: already initialized");
	counter = c_calloc(1, sizeof(TestCounter));
	if (!counter)
		xsUnknownError("counter: no memory");
	counter->value = (xsmcArgc > 0) ? xsmcToInteger(xsArg(0)) : 0;
	xsmcSetHostData(xsThis, counter);
}

/* increment(by = 1): the new value */
void xs_test_counter_increment(xsMachine* the)
{
	TestCounter* counter = xsmcGetHostDataValidate(xsThis, xs_test_counter_destructor);
	if (!counter)
		xsUnknownError("counter: closed");
	counter->value += (xsmcArgc > 0) ? xsmcToInteger(xsArg(0)) : 1;
	xsmcSetInteger(xsResult, counter->value);
}

void xs_test_counter_get_value(xsMachine* the)
{
	TestCounter* counter = xsmcGetHostDataValidate(xsThis, xs_test_counter_destructor);
	if (!counter)
		xsUnknownError("counter: closed");
	xsmcSetInteger(xsResult, counter->value);
}

void xs_test_counter_close(xsMachine* the)
{
	TestCounter* counter = xsmcGetHostDataValidate(xsThis, xs_test_counter_destructor);
	if (counter) {
		xsmcSetHostData(xsThis, NULL);
		xs_test_counter_destructor(counter);
	}
}

/* How many counters were destroyed (closed or collected) so far in this process. */
void xs_test_counter_destroyed(xsMachine* the)
{
	xsmcSetInteger(xsResult, gTestCounterDestroyed);
}
