/*
 * idpgate-xs: the XS test host. Runs one ES module file in one XS machine with ESP32-like limits.
 *
 *   idpgate-xs [--chunk-heap BYTES] [--slot-heap SLOTS] [--stack SLOTS] [--no-limit]
 *              [--module SPECIFIER=PATH]... entry.js [args...]
 *
 * Globals: print, gc, setTimeout, clearTimeout, native, Native, xsHost (see ../README.md and
 * ../js/host.ts). Moddable host modules by their bare specifiers: "embedded:io/socket/udp", "timer", "time"
 * (host_udp.c, host_timer.c; JS in ../js/modules/). The event loop drains promise jobs, then waits in poll(2)
 * for datagrams on open UDP sockets until the next timer is due, delivers onReadable callbacks, and runs due
 * timers one at a time (each followed by its promise jobs) in (due time, creation order); it ends when no
 * job, no timer and no open socket with an onReadable callback is left.
 */
#include "host.h"

#include <sys/random.h>

#define HOST_METER_INTERVAL 0x10000000u

/* xsRun.c (mxMetering); xs.h only wraps it in the xsBeginMetering macro. */
/* xsmc.c; xsmc.h would hide the xs* API used here. */
extern xsIntegerValue _xsmcGetBuffer(xsMachine* the, xsSlot* slot, void** data, xsUnsignedValue* count, xsBooleanValue writable);
extern void fxBeginMetering(txMachine* the, txBoolean (*callback)(txMachine*, txU4), txU4 interval);


static void _usage(FILE* stream)
{
	fprintf(stream,
		"usage: idpgate-xs [--chunk-heap BYTES] [--slot-heap SLOTS] [--stack SLOTS] [--no-limit] [--module SPEC=PATH]... entry.js [args...]\n"
		"  --chunk-heap BYTES  chunk bytes usable after xsHost.armMemoryLimits() (default %d)\n"
		"  --slot-heap SLOTS   slots usable after xsHost.armMemoryLimits() (default %d)\n"
		"  --stack SLOTS       XS stack size in slots (default %d)\n"
		"  --no-limit          never enforce the heap limits (measurements still work)\n"
		"  --module SPEC=PATH  import SPEC (a bare specifier, e.g. mc/config) from PATH (.js, or .json as a default export)\n",
		HOST_DEFAULT_CHUNK_BYTES, HOST_DEFAULT_SLOTS, HOST_DEFAULT_STACK_SLOTS);
}

static int _parseCount(const char* text, size_t minimum, size_t* result)
{
	char* end;
	unsigned long long value;
	if (!text || !*text || (*text == '-'))
		return 0;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno || *end || (value < minimum) || (value > 0x7FFFFFFFull))
		return 0;
	*result = (size_t)value;
	return 1;
}

static double gStartTicks = 0;

double hostStartTicks(void)
{
	return gStartTicks;
}

double hostTicks(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec * 1000.0) + ((double)ts.tv_nsec / 1000000.0);
}

/* Never stops the machine. meterIndex is 32-bit: when XS is about to wrap it (it resets it to 0),
 * what was counted is carried into meterBase. */
static txBoolean _meterCallback(txMachine* the, txU4 index)
{
	if ((txU4)(index + HOST_METER_INTERVAL) < index)
		gHost.meterBase += index;
	return 1;
}

/* --- globals ----------------------------------------------------------------------------------------- */

static void xs_host_print(xsMachine* the)
{
	xsIntegerValue i, c = xsToInteger(xsArgc);
	for (i = 0; i < c; i++) {
		if (i)
			fputc(' ', stdout);
		hostWrite(stdout, xsToString(xsArg(i)));
	}
	fputc('\n', stdout);
}

/* trace(...values): Moddable's console output: values written as they are, no separator, no newline. */
static void xs_host_trace(xsMachine* the)
{
	xsIntegerValue i, c = xsToInteger(xsArgc);
	for (i = 0; i < c; i++)
		hostWrite(stdout, xsToString(xsArg(i)));
	fflush(stdout);
}

static void xs_host_gc(xsMachine* the)
{
	xsCollectGarbage();
}

static void xs_host_exit(xsMachine* the)
{
	int code = (xsToInteger(xsArgc) > 0) ? xsToInteger(xsArg(0)) : 0;
	fflush(stdout);
	fflush(stderr);
	exit(code & 0xFF);
}

static void _setNumber(xsMachine* the, xsIdentifier id, double value)
{
	xsVar(0) = xsNumber(value);
	xsSet(xsResult, id, xsVar(0));
}

/* memory([into]): fills `into` when given (so that measuring allocates nothing), else a new object. */
static void xs_host_memory(xsMachine* the)
{
	double chunks = (double)the->currentChunksSize, chunksPeak = (double)the->peakChunksSize;
	double slots = (double)(the->currentHeapCount - gHost.slotBallast), slotsPeak = (double)(the->peakHeapCount - gHost.slotBallast);
	xsVars(1);
	if ((xsToInteger(xsArgc) > 0) && (xsTypeOf(xsArg(0)) == xsReferenceType))
		xsResult = xsArg(0);
	else
		xsResult = xsNewObject();
	_setNumber(the, xsID("chunks"), chunks);
	_setNumber(the, xsID("chunksPeak"), chunksPeak);
	_setNumber(the, xsID("slots"), slots);
	_setNumber(the, xsID("slotsPeak"), slotsPeak);
	_setNumber(the, xsID("chunksLimit"), gHost.armed ? (double)gHost.chunkLimit : 0);
	_setNumber(the, xsID("slotsLimit"), gHost.armed ? (double)gHost.slotLimit : 0);
}

static void xs_host_resetPeaks(xsMachine* the)
{
	the->peakChunksSize = the->currentChunksSize;
	the->peakHeapCount = the->currentHeapCount;
}

static void xs_host_meter(xsMachine* the)
{
	xsResult = xsNumber((double)(gHost.meterBase + the->meterIndex));
}

static void xs_host_resetMeter(xsMachine* the)
{
	gHost.meterBase = 0;
	the->meterIndex = 0;
	the->meterCount = HOST_METER_INTERVAL;
}

static void xs_host_armMemoryLimits(xsMachine* the)
{
	hostArmMemoryLimits(the);
}

static void xs_host_ticks(xsMachine* the)
{
	xsResult = xsNumber(c_floor(hostTicks() - gStartTicks));
}

static void xs_host_randomFill(xsMachine* the)
{
	void* data;
	xsUnsignedValue count;
	uint8_t* bytes;
	if ((xsToInteger(xsArgc) < 1) || !xsIsInstanceOf(xsArg(0), xsTypedArrayPrototype))
		xsTypeError("randomFill: expected a Uint8Array");
	_xsmcGetBuffer(the, &xsArg(0), &data, &count, 1);
	bytes = data;
	while (count > 0) {
		ssize_t got = getrandom(bytes, count, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			xsUnknownError("randomFill: getrandom failed (%d)", errno);
		}
		bytes += got;
		count -= (xsUnsignedValue)got;
	}
	xsResult = xsArg(0);
}

/* Inserts a timer in (when, seq) order; the caller has set when. */
void hostInsertTimer(HostTimer* timer)
{
	HostTimer** address = &gHost.timers;
	timer->seq = gHost.timerSeq++;
	while (*address && ((*address)->when <= timer->when))
		address = &(*address)->next;
	timer->next = *address;
	*address = timer;
	timer->linked = 1;
}

void hostUnlinkTimer(HostTimer* timer)
{
	HostTimer** address = &gHost.timers;
	while (*address) {
		if (*address == timer) {
			*address = timer->next;
			break;
		}
		address = &(*address)->next;
	}
	timer->next = NULL;
	timer->linked = 0;
}

/* setTimeout(callback, ms): returns a positive integer id. Extra arguments are not supported. */
static void xs_host_setTimeout(xsMachine* the)
{
	HostTimer* timer;
	double delay = 0;
	xsIntegerValue c = xsToInteger(xsArgc);
	if ((c < 1) || !xsIsInstanceOf(xsArg(0), xsFunctionPrototype))
		xsTypeError("setTimeout: callback is not a function");
	if (c > 1) {
		delay = xsToNumber(xsArg(1));
		if (!(delay > 0)) /* NaN and negatives too */
			delay = 0;
	}
	timer = c_calloc(1, sizeof(HostTimer));
	if (!timer)
		xsUnknownError("setTimeout: out of host memory");
	timer->when = hostTicks() + delay;
	if (++gHost.nextTimerId <= 0)
		gHost.nextTimerId = 1;
	timer->id = gHost.nextTimerId;
	timer->callback = xsArg(0);
	xsRemember(timer->callback);
	hostInsertTimer(timer);
	xsResult = xsInteger(timer->id);
}

static void xs_host_clearTimeout(xsMachine* the)
{
	HostTimer** address = &gHost.timers;
	HostTimer* timer;
	xsIntegerValue id;
	if ((xsToInteger(xsArgc) < 1) || (xsTypeOf(xsArg(0)) != xsIntegerType && xsTypeOf(xsArg(0)) != xsNumberType))
		return;
	id = xsToInteger(xsArg(0));
	while ((timer = *address)) {
		if (!timer->moddable && (timer->id == id)) {
			*address = timer->next;
			xsForget(timer->callback);
			c_free(timer);
			return;
		}
		address = &timer->next;
	}
}

static void _define(xsMachine* the, xsSlot* target, const char* name, xsCallback callback, xsIntegerValue length)
{
	xsVar(0) = xsNewHostFunctionObject(callback, length, xsID((char*)name));
	xsDefine(*target, xsID((char*)name), xsVar(0), xsDontEnum);
}

static void _installGlobals(xsMachine* the, int argc, char** argv)
{
	int i;
	_define(the, &xsGlobal, "print", xs_host_print, 1);
	_define(the, &xsGlobal, "trace", xs_host_trace, 1);
	_define(the, &xsGlobal, "gc", xs_host_gc, 0);
	_define(the, &xsGlobal, "setTimeout", xs_host_setTimeout, 2);
	_define(the, &xsGlobal, "clearTimeout", xs_host_clearTimeout, 1);
	xsVar(1) = xsNewObject();
	_define(the, &xsVar(1), "exit", xs_host_exit, 1);
	_define(the, &xsVar(1), "memory", xs_host_memory, 1);
	_define(the, &xsVar(1), "resetPeaks", xs_host_resetPeaks, 0);
	_define(the, &xsVar(1), "meter", xs_host_meter, 0);
	_define(the, &xsVar(1), "resetMeter", xs_host_resetMeter, 0);
	_define(the, &xsVar(1), "armMemoryLimits", xs_host_armMemoryLimits, 0);
	_define(the, &xsVar(1), "ticks", xs_host_ticks, 0);
	_define(the, &xsVar(1), "randomFill", xs_host_randomFill, 1);
	xsVar(2) = xsNewArray(0);
	for (i = 0; i < argc; i++) {
		xsVar(0) = xsString(argv[i]);
		xsCall1(xsVar(2), xsID("push"), xsVar(0));
	}
	xsDefine(xsVar(1), xsID("args"), xsVar(2), xsDontEnum | xsDontSet | xsDontDelete);
	{
		char cwd[C_PATH_MAX];
		xsVar(0) = xsString(getcwd(cwd, sizeof(cwd)) ? cwd : "/");
		xsDefine(xsVar(1), xsID("cwd"), xsVar(0), xsDontEnum | xsDontSet | xsDontDelete);
	}
	xsDefine(xsGlobal, xsID("xsHost"), xsVar(1), xsDontEnum);
	hostInstallNatives(the);
}

/* --- entry module and loop --------------------------------------------------------------------------- */

static void xs_host_entryFulfilled(xsMachine* the)
{
}

/* XS settles the entry module's promise with its evaluation error; it would otherwise exit 0 silently. */
static void xs_host_entryRejected(xsMachine* the)
{
	static char message[4096];
	xsSlot reason = xsArg(0);
	hostDescribe(the, &reason, message, sizeof(message));
	fflush(stdout);
	fputs("xs: entry module failed: ", stderr);
	hostWrite(stderr, message);
	fputc('\n', stderr);
	fflush(stderr);
	exit(HOST_EXIT_ERROR);
}

static void _runEntry(xsMachine* the, const char* path)
{
	txSlot* realm = mxModuleInstanceInternal(mxProgram.value.reference)->value.module.realm;
	mxPushStringC((txString)path);
	fxRunImport(the, realm, XS_NO_ID);
	xsVar(0) = *the->stack;
	mxPop();
	xsVar(1) = xsNewHostFunction(xs_host_entryFulfilled, 1);
	xsVar(2) = xsNewHostFunction(xs_host_entryRejected, 1);
	xsCall2(xsVar(0), xsID("then"), xsVar(1), xsVar(2));
}

static void _sleepUntil(double when)
{
	double delay = when - hostTicks();
	if (delay > 0) {
		struct timespec ts;
		ts.tv_sec = (time_t)(delay / 1000.0);
		ts.tv_nsec = (long)((delay - ((double)ts.tv_sec * 1000.0)) * 1000000.0);
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_nsec = 999999999L;
		nanosleep(&ts, NULL);
	}
}

static void _runLoop(xsMachine* the)
{
	for (;;) {
		HostTimer* timer;
		while (the->promiseJobs) {
			the->promiseJobs = 0;
			fxRunPromiseJobs(the);
		}
		fxEndJob(the);
		if (the->promiseJobs)
			continue;
		timer = gHost.timers;
		if (!timer && !hostUDPActive())
			break;
		if (!timer || (timer->when > hostTicks())) {
			if (hostUDPActive())
				hostUDPPoll(the, timer ? (timer->when - hostTicks()) : -1);
			else
				_sleepUntil(timer->when);
			continue;
		}
		hostUnlinkTimer(timer);
		if (timer->moddable) {
			/* the Timer object owns the record and holds the callback; a repeating timer is re-armed before
			 * the call so that Timer.clear/schedule inside the callback win */
			xsVar(1) = timer->object;
			xsVar(0) = xsGet(xsVar(1), xsID("callback"));
			if (timer->repeat > 0) {
				timer->when = hostTicks() + timer->repeat;
				hostInsertTimer(timer);
			}
			else if (timer->rooted) {
				timer->rooted = 0;
				xsForget(timer->object);
			}
			xsTry {
				xsCallFunction1(xsVar(0), xsUndefined, xsVar(1));
			}
			xsCatch {
				fxAbort(the, XS_UNHANDLED_EXCEPTION_EXIT);
			}
			xsVar(1) = xsUndefined;
			continue;
		}
		xsVar(0) = timer->callback;
		xsForget(timer->callback);
		c_free(timer);
		xsTry {
			xsCallFunction0(xsVar(0), xsUndefined);
		}
		xsCatch {
			fxAbort(the, XS_UNHANDLED_EXCEPTION_EXIT);
		}
	}
	fxCheckUnhandledRejections(the, 1);
}

int main(int argc, char* argv[])
{
	size_t chunkBudget = HOST_DEFAULT_CHUNK_BYTES, slotBudget = HOST_DEFAULT_SLOTS, stackSlots = HOST_DEFAULT_STACK_SLOTS;
	int noLimit = 0, argi;
	char entry[C_PATH_MAX];
	xsMachine* machine;

	c_memset(&gHost, 0, sizeof(gHost)); /* before the command line: --module fills it */

	for (argi = 1; argi < argc; argi++) {
		const char* option = argv[argi];
		if (option[0] != '-' || option[1] != '-')
			break;
		if (!strcmp(option, "--help")) {
			_usage(stdout);
			return HOST_EXIT_OK;
		}
		else if (!strcmp(option, "--no-limit"))
			noLimit = 1;
		else if (!strcmp(option, "--chunk-heap")) {
			if ((++argi >= argc) || !_parseCount(argv[argi], 1024, &chunkBudget))
				goto usage;
		}
		else if (!strcmp(option, "--slot-heap")) {
			if ((++argi >= argc) || !_parseCount(argv[argi], 64, &slotBudget))
				goto usage;
		}
		else if (!strcmp(option, "--module")) {
			char* equals;
			if ((++argi >= argc) || !(equals = strchr(argv[argi], '=')) || (equals == argv[argi]) || !equals[1])
				goto usage;
			*equals = 0;
			if (!hostMapModule(argv[argi], equals + 1)) {
				fprintf(stderr, "xs: too many --module options\n");
				return HOST_EXIT_USAGE;
			}
		}
		else if (!strcmp(option, "--stack")) {
			if ((++argi >= argc) || !_parseCount(argv[argi], 64, &stackSlots))
				goto usage;
		}
		else
			goto usage;
	}
	if (argi >= argc)
		goto usage;
	if (!realpath(argv[argi], entry)) {
		fprintf(stderr, "xs: cannot open %s: %s\n", argv[argi], strerror(errno));
		return HOST_EXIT_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	gStartTicks = hostTicks();

	gHost.chunkBudget = chunkBudget;
	gHost.slotBudget = slotBudget;
	gHost.noLimit = noLimit;
	gHost.argc = argc - argi - 1;
	gHost.argv = argv + argi + 1;
	hostMapDefaultModules(argv[0]);

	{
		xsCreation creation = {
			64 * 1024,                /* initialChunkSize */
			HOST_LOAD_CHUNK_INCREMENT,/* incrementalChunkSize */
			4096,                     /* initialHeapCount */
			HOST_LOAD_SLOT_INCREMENT, /* incrementalHeapCount */
			(xsIntegerValue)stackSlots, /* stackCount */
			2048,                     /* initialKeyCount */
			1024,                     /* incrementalKeyCount */
			1993,                     /* nameModulo */
			127,                      /* symbolModulo */
			256 * 1024,               /* parserBufferSize */
			1993,                     /* parserTableModulo */
			0,                        /* staticSize */
		};
		fxInitializeSharedCluster();
		machine = xsCreateMachine(&creation, "idpgate-xs", NULL);
		if (!machine) {
			fprintf(stderr, "xs: cannot create the machine\n");
			return HOST_EXIT_ABORT;
		}
	}
#if mxStress
	{
		/* IDPGATE_XS_STRESS: "armed" (default) collects at every allocation once the limits are armed (the
		 * tests, not the loading), "all" from the start, "off" never */
		const char* stress = getenv("IDPGATE_XS_STRESS");
		gHost.stress = (!stress || !strcmp(stress, "armed")) ? 1 : !strcmp(stress, "all") ? 2 : 0;
		if (gHost.stress == 2)
			gxStress = 1;
		fprintf(stderr, "xs: stress build (IDPGATE_XS_STRESS=%s)\n", gHost.stress == 2 ? "all" : gHost.stress ? "armed" : "off");
	}
#endif
	fxBeginMetering(machine, _meterCallback, HOST_METER_INTERVAL);
	xsBeginHost(machine);
	{
		xsVars(3); /* used by _installGlobals, _runEntry and _runLoop */
		xsTry {
			_installGlobals(the, gHost.argc, gHost.argv);
			_runEntry(the, entry);
			_runLoop(the);
		}
		xsCatch {
			fxAbort(the, XS_UNHANDLED_EXCEPTION_EXIT);
		}
	}
	xsEndHost(machine);
	hostUDPCloseAll();
	fflush(stdout);
	xsDeleteMachine(machine);
	fxTerminateSharedCluster();
	hostFreeArena();
	return HOST_EXIT_OK;

usage:
	_usage(stderr);
	return HOST_EXIT_USAGE;
}
