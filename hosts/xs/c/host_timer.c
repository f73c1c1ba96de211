/*
 * Moddable's `timer` and `time` modules for the XS test host (JS in ../js/modules/timer.ts and time.ts), on
 * the host's timer list and monotonic clock (host_main.c), behaving as modules/base/timer and
 * modules/base/time do on a device:
 *
 *   Timer.set(callback, delay = 0, repeat = 0) -> timer   callback(timer) after delay, then every repeat ms
 *   Timer.repeat(callback, interval) -> timer             every interval ms
 *   Timer.schedule(timer, delay, repeat = 0)              re-arms (also a fired one-shot timer)
 *   Timer.clear(timer)                                    disarms; undefined/null is ignored; safe twice
 *   Timer.delay(ms)                                       blocks (no callbacks run)
 *   Time.ticks, Time.delta(start, end?), Time.set(seconds), Time.microseconds
 *
 * A timer is a host object owning its HostTimer record (freed by the object's destructor) and holding its
 * callback in a property; the object is remembered while armed, so an armed timer is never collected and a
 * disarmed one is ordinary garbage.
 */
#include "host.h"
#include "xsmc.h"

/* xs.h declares it only when xsAll.h is not included (host.h includes both). */
extern void* fxGetHostDataValidate(xsMachine* the, xsSlot* slot, void* validator);

#include <sys/time.h>

static void _timerDestructor(void* data)
{
	HostTimer* timer = data;
	if (timer && !timer->linked)
		c_free(timer);
}

static double _delay(xsMachine* the, int index)
{
	double delay;
	if ((xsmcArgc <= index) || (xsmcTypeOf(xsArg(index)) == xsUndefinedType))
		return 0;
	delay = xsmcToNumber(xsArg(index));
	return (delay > 0) ? delay : 0; /* NaN and negatives: now */
}

static void _arm(xsMachine* the, HostTimer* timer, double delay, double repeat)
{
	if (timer->linked)
		hostUnlinkTimer(timer);
	timer->when = hostTicks() + delay;
	timer->repeat = repeat;
	hostInsertTimer(timer);
	if (!timer->rooted) {
		timer->rooted = 1;
		xsRemember(timer->object);
	}
}

static void _disarm(xsMachine* the, HostTimer* timer)
{
	if (timer->linked)
		hostUnlinkTimer(timer);
	if (timer->rooted) {
		timer->rooted = 0;
		xsForget(timer->object);
	}
}

static void _timerCreate(xsMachine* the, double delay, double repeat)
{
	HostTimer* timer;
	if ((xsmcArgc < 1) || !xsmcIsInstanceOf(xsArg(0), xsFunctionPrototype))
		xsTypeError("timer: callback is not a function");
	timer = c_calloc(1, sizeof(HostTimer));
	if (!timer)
		xsUnknownError("timer: out of host memory");
	timer->moddable = 1;
	xsResult = xsNewHostObject(_timerDestructor);
	xsmcSetHostData(xsResult, timer);
	xsmcSet(xsResult, xsID("callback"), xsArg(0));
	timer->object = xsResult;
	_arm(the, timer, delay, repeat);
}

static HostTimer* _timer(xsMachine* the)
{
	if ((xsmcArgc < 1) || (xsmcTypeOf(xsArg(0)) != xsReferenceType))
		return NULL;
	return xsmcGetHostDataValidate(xsArg(0), _timerDestructor);
}

void xs_timer_set(xsMachine* the)
{
	_timerCreate(the, _delay(the, 1), _delay(the, 2));
}

void xs_timer_repeat(xsMachine* the)
{
	double interval = _delay(the, 1);
	_timerCreate(the, interval, (interval > 0) ? interval : 1);
}

void xs_timer_schedule(xsMachine* the)
{
	HostTimer* timer = _timer(the);
	if (!timer)
		xsTypeError("timer: not a timer");
	_arm(the, timer, _delay(the, 1), _delay(the, 2));
}

void xs_timer_clear(xsMachine* the)
{
	HostTimer* timer;
	if ((xsmcArgc < 1) || (xsmcTypeOf(xsArg(0)) == xsUndefinedType) || (xsmcTypeOf(xsArg(0)) == xsNullType))
		return;
	timer = _timer(the);
	if (!timer)
		xsTypeError("timer: not a timer");
	_disarm(the, timer);
}

void xs_timer_delay(xsMachine* the)
{
	double delay = _delay(the, 0);
	struct timespec ts;
	if (delay > 60000)
		delay = 60000; /* bounded: a test host never blocks longer */
	ts.tv_sec = (time_t)(delay / 1000.0);
	ts.tv_nsec = (long)((delay - ((double)ts.tv_sec * 1000.0)) * 1000000.0);
	nanosleep(&ts, NULL);
}

/* Time.ticks: integer milliseconds of the monotonic clock (since the host started). */
void xs_time_ticks(xsMachine* the)
{
	xsmcSetNumber(xsResult, c_floor(hostTicks() - hostStartTicks()));
}

void xs_time_microseconds(xsMachine* the)
{
	xsmcSetNumber(xsResult, c_floor((hostTicks() - hostStartTicks()) * 1000.0));
}

/* Time.set(seconds): on a device, sets the wall clock. The test host's wall clock is the system's and stays
 * as it is; the argument is still checked. */
void xs_time_set(xsMachine* the)
{
	double seconds = (xsmcArgc > 0) ? xsmcToNumber(xsArg(0)) : -1;
	if (!(seconds >= 0))
		xsRangeError("invalid time");
}
