/*
 * The platform half of the idpgate XS test host: what the XS engine calls into.
 *
 * Memory model (see ../README.md "Memory model"). On an ESP32 the chunk heap and the slot heap are fixed
 * blocks, and the modules are preloaded into flash, so their code and objects cost no RAM. Here modules are
 * parsed and linked at run time, in the same heaps, so nothing is limited until JS calls
 * xsHost.armMemoryLimits() (the test runner does, after importing the suite). Arming collects garbage and
 * takes what is live as the baseline; from then on the live chunk bytes may exceed the baseline by at most
 * --chunk-heap bytes and the live slots by at most --slot-heap slots, whatever loading left free (the excess is
 * trimmed or set aside at arming). XS only asks the platform for more
 * memory after a full (compacting) collection failed to free enough, so the limit is enforced where XS
 * grows: fxAllocateChunks/fxAllocateSlots refuse to grow past it, and XS aborts with "memory full"
 * exactly as a device would.
 *
 * Chunks live in one reserved address range committed page by page, so every growth extends the same XS
 * block (as the single static heap of a device does) and fragmentation behaves as on a device.
 */
#include "host.h"
#include "xsScript.h"

#include <sys/mman.h>

#define HOST_ARENA_RESERVE ((size_t)1 << 30)

HostState gHost;

static size_t _pageSize(void)
{
	static size_t size = 0;
	if (!size)
		size = (size_t)sysconf(_SC_PAGESIZE);
	return size;
}

void fxCreateMachinePlatform(txMachine* the)
{
	the->promiseJobs = 0;
	the->host = &gHost;
}

void fxDeleteMachinePlatform(txMachine* the)
{
}

void* fxAllocateChunks(txMachine* the, txSize size)
{
	size_t needed, committed;
	void* result;
	if (size <= 0)
		return C_NULL;
	if (!gHost.arena) {
		void* base = mmap(NULL, HOST_ARENA_RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANON, -1, 0);
		if (base == MAP_FAILED)
			return C_NULL;
		gHost.arena = base;
		gHost.arenaUsed = 0;
		gHost.arenaCommitted = 0;
	}
	if (gHost.armed && !gHost.noLimit && ((size_t)size > gHost.chunkGrowthLeft))
		return C_NULL;
	needed = gHost.arenaUsed + (size_t)size;
	if (needed > HOST_ARENA_RESERVE)
		return C_NULL;
	committed = (needed + _pageSize() - 1) & ~(_pageSize() - 1);
	if (committed > gHost.arenaCommitted) {
		if (mprotect(gHost.arena + gHost.arenaCommitted, committed - gHost.arenaCommitted, PROT_READ | PROT_WRITE))
			return C_NULL;
		gHost.arenaCommitted = committed;
	}
	result = gHost.arena + gHost.arenaUsed;
	gHost.arenaUsed = needed;
	if (gHost.armed && !gHost.noLimit)
		gHost.chunkGrowthLeft -= (size_t)size;
	return result;
}

void fxFreeChunks(txMachine* the, void* theChunks)
{
	/* All blocks live in the arena; it goes away with the process (hostFreeArena). */
}

void hostFreeArena(void)
{
	if (gHost.arena) {
		munmap(gHost.arena, HOST_ARENA_RESERVE);
		gHost.arena = NULL;
	}
}

txSlot* fxAllocateSlots(txMachine* the, txSize theCount)
{
	/* The XS stack is allocated here too, once, at creation: never armed then. */
	if (gHost.armed && !gHost.noLimit) {
		if ((size_t)theCount > gHost.slotGrowthLeft)
			return C_NULL;
		gHost.slotGrowthLeft -= (size_t)theCount;
	}
	return (txSlot*)c_malloc((size_t)theCount * sizeof(txSlot));
}

void fxFreeSlots(txMachine* the, void* theSlots)
{
	c_free(theSlots);
}

/*
 * Free chunk space beyond `keep` at the end of the (single) chunk block goes back to the arena, so the budget
 * is exact: what loading left free counted as budget before, and the smallest budget a sequence needed could not
 * be measured below it. Returns the bytes trimmed (0 when the arena is not one block ending at its high mark).
 */
static size_t _trimFreeChunks(txMachine* the, size_t keep)
{
	txBlock* block = the->firstBlock;
	size_t free, trim;
	if (!block || block->nextBlock || ((uint8_t*)block->limit != gHost.arena + gHost.arenaUsed))
		return 0;
	free = (size_t)(block->limit - block->current);
	if (free <= keep)
		return 0;
	trim = (free - keep) & ~(size_t)15;
	block->limit -= trim;
	gHost.arenaUsed -= trim;
	the->maximumChunksSize -= (txSize)trim;
	return trim;
}

/*
 * Free slots beyond `keep` are taken off XS's free list and hung, as the property chain of one object the host
 * remembers, where no collection frees them (slots never move, and a heap cannot be given back while other slots
 * live in it). They count as live for XS; xsHost.memory() and the reports leave them out.
 */
static xsSlot gSlotBallast;

static void _releaseSetAsideSlots(txMachine* the)
{
	if (!gHost.slotBallast)
		return;
	/* Unreachable once unhooked: the next collection frees them. */
	fxToInstance(the, &gSlotBallast)->next = C_NULL;
	the->currentHeapCount -= (txSize)gHost.slotBallast;
	the->peakHeapCount -= (txSize)gHost.slotBallast; /* counted in since they were set aside */
	gHost.slotBallast = 0;
}

static size_t _setAsideFreeSlots(txMachine* the, size_t keep)
{
	static int made = 0;
	size_t free, count, i;
	txSlot* first;
	txSlot* last;
	if (!made) {
		gSlotBallast = xsNewObject();
		xsRemember(gSlotBallast);
		made = 1;
	}
	free = (size_t)(the->maximumHeapCount - the->currentHeapCount);
	if (free <= keep)
		return 0;
	count = free - keep;
	first = last = the->freeHeap;
	for (i = 1; i < count; i++)
		last = last->next;
	the->freeHeap = last->next;
	last->next = C_NULL;
	for (last = first; last; last = last->next) {
		last->ID = XS_NO_ID;
		last->flag = XS_NO_FLAG;
		last->kind = XS_UNDEFINED_KIND;
	}
	fxToInstance(the, &gSlotBallast)->next = first;
	the->currentHeapCount += (txSize)count;
	if (the->peakHeapCount < the->currentHeapCount)
		the->peakHeapCount = the->currentHeapCount;
	return count;
}

void hostArmMemoryLimits(xsMachine* the)
{
	size_t liveChunks, liveSlots;
	_releaseSetAsideSlots(the); /* armed again (the next suite of a run): a new baseline */
	fxCollectGarbage(the);
	liveChunks = (size_t)the->currentChunksSize;
	/* The ballast object is the host's, not the program's: counted after it is made. */
	gHost.slotBallast = _setAsideFreeSlots(the, gHost.noLimit ? (size_t)-1 : gHost.slotBudget);
	liveSlots = (size_t)the->currentHeapCount - gHost.slotBallast;
	if (!gHost.noLimit)
		_trimFreeChunks(the, gHost.chunkBudget);
	/* What is still free (at most the budget) stays usable; growth makes up the rest. If the arena could not be
	 * trimmed (never so far: one block), the limit is looser by the difference, as chunksLimit reports. */
	{
		size_t freeChunks = (size_t)the->maximumChunksSize - liveChunks;
		size_t freeSlots = (size_t)(the->maximumHeapCount - the->currentHeapCount);
		gHost.chunkGrowthLeft = (gHost.chunkBudget > freeChunks) ? gHost.chunkBudget - freeChunks : 0;
		gHost.slotGrowthLeft = (gHost.slotBudget > freeSlots) ? gHost.slotBudget - freeSlots : 0;
		gHost.chunkLimit = liveChunks + ((gHost.chunkBudget > freeChunks) ? gHost.chunkBudget : freeChunks);
		gHost.slotLimit = liveSlots + ((gHost.slotBudget > freeSlots) ? gHost.slotBudget : freeSlots);
	}
	the->minimumChunksSize = HOST_ARMED_CHUNK_INCREMENT;
	the->minimumHeapCount = HOST_ARMED_SLOT_INCREMENT;
	gHost.armed = 1;
#if mxStress
	/* Stress build (see ../README.md "Stress build"): from here on, every allocation collects and compacts,
	 * so that a native pointer kept into a chunk across an allocation reads moved memory at once. */
	if (gHost.stress == 1)
		gxStress = 1;
#endif
}

void fxQueuePromiseJobs(txMachine* the)
{
	the->promiseJobs = 1;
}

/*
 * XS strings are UTF-8 here (no mxCESU8), but the halves of a pair concatenated apart are two 3-byte
 * surrogates: joined into the character for the terminal, as a UTF-16 engine would print them.
 */
void hostWrite(FILE* stream, const char* text)
{
	const uint8_t* p = (const uint8_t*)text;
	while (*p) {
		if ((p[0] == 0xED) && ((p[1] & 0xF0) == 0xA0) && ((p[2] & 0xC0) == 0x80)
				&& (p[3] == 0xED) && ((p[4] & 0xF0) == 0xB0) && ((p[5] & 0xC0) == 0x80)) {
			uint32_t high = 0xD000 | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
			uint32_t low = 0xD000 | ((uint32_t)(p[4] & 0x3F) << 6) | (p[5] & 0x3F);
			uint32_t c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
			fputc(0xF0 | (c >> 18), stream);
			fputc(0x80 | ((c >> 12) & 0x3F), stream);
			fputc(0x80 | ((c >> 6) & 0x3F), stream);
			fputc(0x80 | (c & 0x3F), stream);
			p += 6;
		}
		else
			fputc(*p++, stream);
	}
}

/* Appends the lines of an XS error stack that say where (without debug info XS only writes " at ()"). */
static void _appendStack(const char* stack, char* buffer, size_t size)
{
	const char* line = c_strchr(stack, '\n'); /* the first line repeats String(error) */
	while (line) {
		const char* end;
		size_t length, used;
		line++;
		end = c_strchr(line, '\n');
		length = end ? (size_t)(end - line) : c_strlen(line);
		used = c_strlen(buffer);
		if (length && c_strncmp(line, " at ()", length) && (used + length + 2 < size)) {
			buffer[used] = '\n';
			c_memcpy(buffer + used + 1, line, length);
			buffer[used + 1 + length] = 0;
		}
		line = end;
	}
}

/* Writes String(value), then the useful lines of its `stack`, into buffer. Never throws. */
void hostDescribe(xsMachine* the, xsSlot* value, char* buffer, size_t size)
{
	buffer[0] = 0;
	xsBeginHost(the);
	{
		xsVars(2);
		xsVar(0) = *value;
		xsTry {
			xsVar(1) = xsCall1(xsGlobal, xsID("String"), xsVar(0));
			c_snprintf(buffer, size, "%s", xsToString(xsVar(1)));
			if (xsTypeOf(xsVar(0)) == xsReferenceType) {
				xsVar(1) = xsGet(xsVar(0), xsID("stack"));
				if (xsTypeOf(xsVar(1)) == xsStringType)
					_appendStack(xsToString(xsVar(1)), buffer, size);
			}
		}
		xsCatch {
			if (!buffer[0])
				c_snprintf(buffer, size, "(value that cannot be printed)");
		}
	}
	xsEndHost(the);
}

/*
 * On a stack overflow, which call chain ran deep: one line per JS frame, innermost first, with the slots
 * between it and its caller. Names only, never values (a frame may hold a token). Bounded to 48 lines.
 */
static void hostDumpFrames(txMachine* the)
{
	char name[128];
	txSlot* frame = the->frame;
	int line = 0;
	fprintf(stderr, "xs: %ld slots in use of %ld; frames, innermost first (slots each):\n",
		(long)(the->stackTop - the->stack), (long)(the->stackTop - the->stackBottom));
	while (frame && line < 48) {
		txSlot* caller = frame->next;
		long used = caller ? (long)(caller - frame) : (long)(the->stackTop - frame);
		name[0] = 0;
		fxBufferFrameName(the, name, sizeof(name), frame, "");
		fprintf(stderr, "xs:   %4ld %s\n", used, name[0] ? name : "(anonymous)");
		frame = caller;
		line++;
	}
	if (frame)
		fprintf(stderr, "xs:   ...\n");
}

void fxAbort(txMachine* the, int status)
{
	static char message[4096];
	int code = HOST_EXIT_ABORT;
	fflush(stdout);
	switch (status) {
	case XS_NOT_ENOUGH_MEMORY_EXIT:
		fprintf(stderr, "xs: memory full\n");
		if (gHost.armed)
			fprintf(stderr, "xs: chunks %ld bytes (limit %zu), slots %ld (limit %zu)\n",
				(long)the->currentChunksSize, gHost.chunkLimit, (long)(the->currentHeapCount - gHost.slotBallast), gHost.slotLimit);
		hostDumpFrames(the); /* where the program was when the heap ran out */
		code = HOST_EXIT_MEMORY_FULL;
		break;
	case XS_STACK_OVERFLOW_EXIT:
		fprintf(stderr, "xs: stack overflow\n");
		hostDumpFrames(the);
		code = HOST_EXIT_STACK_OVERFLOW;
		break;
	case XS_UNHANDLED_EXCEPTION_EXIT:
	case XS_UNHANDLED_REJECTION_EXIT: {
		txSlot exception = mxException;
		mxException = mxUndefined;
		hostDescribe(the, &exception, message, sizeof(message));
		fprintf(stderr, "xs: unhandled %s: ", (status == XS_UNHANDLED_EXCEPTION_EXIT) ? "exception" : "rejection");
		hostWrite(stderr, message);
		fputc('\n', stderr);
		code = HOST_EXIT_ERROR;
		break;
	}
	case XS_NO_MORE_KEYS_EXIT:
		fprintf(stderr, "xs: not enough keys\n");
		break;
	case XS_TOO_MUCH_COMPUTATION_EXIT:
		fprintf(stderr, "xs: too much computation\n");
		break;
	default:
		fprintf(stderr, "xs: abort (%d)\n", status);
		break;
	}
	fflush(stderr);
	exit(code);
}

/*
 * Modules. Specifiers are file paths: absolute ("/x/y.js") or relative to the importing module ("./y.js",
 * "../z.js"; relative to the current directory for the entry). A module's ID is its real path, so one file
 * is one module however it is reached. Bare specifiers are found only when mapped to a file: by default the
 * Moddable host modules "embedded:io/socket/udp", "timer" and "time" (build/hosts/xs/js/modules/, next to
 * this executable's hosts/xs/out/), the public modules the root manifest.json names ("idpgate",
 * "idpgate/coap", ...: build/hosts/moddable/public/), and anything given as --module SPEC=PATH (e.g.
 * mc/config=config.json). Any other "idpgate/<path>" is build/<path>.js, the file the manifests give that
 * name, so a module reached by name and by relative path is one module. Others ("node:test") are not found. A ".json" file is a module whose default export is its value.
 */
int hostMapModule(const char* specifier, const char* path)
{
	int i;
	for (i = 0; i < gHost.moduleMapCount; i++) {
		if (!c_strcmp(gHost.moduleMaps[i].specifier, specifier))
			return 1; /* the first mapping wins: --module comes before the defaults */
	}
	if (gHost.moduleMapCount >= HOST_MAX_MODULE_MAPS)
		return 0;
	gHost.moduleMaps[gHost.moduleMapCount].specifier = specifier;
	gHost.moduleMaps[gHost.moduleMapCount].path = strdup(path);
	if (!gHost.moduleMaps[gHost.moduleMapCount].path)
		return 0;
	gHost.moduleMapCount++;
	return 1;
}

void hostMapDefaultModules(const char* argv0)
{
	static const char* const defaults[][2] = {
		{ "embedded:io/socket/udp", "hosts/xs/js/modules/udp.js" },
		{ "timer", "hosts/xs/js/modules/timer.js" },
		{ "time", "hosts/xs/js/modules/time.js" },
		{ "idpgate", "hosts/moddable/public/idpgate.js" },
		{ "idpgate/coap", "hosts/moddable/public/coap.js" },
		{ "idpgate/json", "hosts/moddable/public/json.js" },
		{ "idpgate/idp", "hosts/moddable/public/idp.js" },
		{ "idpgate/verifier", "hosts/moddable/public/verifier.js" },
		{ "idpgate/moddable", "hosts/moddable/public/moddable.js" },
	};
	char exe[C_PATH_MAX];
	char path[C_PATH_MAX];
	char* at;
	size_t i;
	if (!realpath("/proc/self/exe", exe) && !realpath(argv0, exe))
		return;
	at = c_strstr(exe, "/hosts/xs/out/");
	if (!at)
		return;
	*at = 0;
	if (c_snprintf(path, sizeof(path), "%s/build", exe) < (int)sizeof(path))
		gHost.buildDir = strdup(path);
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		int n = c_snprintf(path, sizeof(path), "%s/build/%s", exe, defaults[i][1]);
		if (n < 0 || (size_t)n >= sizeof(path))
			continue; /* a checkout this deep keeps its default unmapped rather than mapped to a cut path */
		hostMapModule(defaults[i][0], path);
	}
}

static const char* _mappedModule(const char* name)
{
	int i;
	for (i = 0; i < gHost.moduleMapCount; i++) {
		if (!c_strcmp(gHost.moduleMaps[i].specifier, name))
			return gHost.moduleMaps[i].path;
	}
	return NULL;
}

txID fxFindModule(txMachine* the, txSlot* realm, txID moduleID, txSlot* slot)
{
	char name[C_PATH_MAX];
	char path[C_PATH_MAX];
	char real[C_PATH_MAX];
	const char* mapped;
	fxToStringBuffer(the, slot, name, sizeof(name));
	if ((mapped = _mappedModule(name))) {
		c_snprintf(path, sizeof(path), "%s", mapped);
	}
	else if (name[0] == '/') {
		c_snprintf(path, sizeof(path), "%s", name);
	}
	else if (gHost.buildDir && !c_strncmp(name, "idpgate/", 8) && !c_strstr(name, "..")) {
		size_t n = c_strlen(name);
		int js = n > 3 && !c_strcmp(name + n - 3, ".js");
		if (c_snprintf(path, sizeof(path), "%s/%s%s", gHost.buildDir, name + 8, js ? "" : ".js") >= (int)sizeof(path))
			mxRangeError("module path too long");
	}
	else if (!c_strncmp(name, "./", 2) || !c_strncmp(name, "../", 3)) {
		char* slash;
		if (moduleID == XS_NO_ID) {
			if (!getcwd(path, sizeof(path)))
				return XS_NO_ID;
		}
		else {
			c_snprintf(path, sizeof(path), "%s", fxGetKeyName(the, moduleID));
			slash = c_strrchr(path, '/');
			if (!slash)
				return XS_NO_ID;
			*slash = 0;
		}
		if (c_strlen(path) + 1 + c_strlen(name) >= sizeof(path))
			mxRangeError("module path too long");
		c_strcat(path, "/");
		c_strcat(path, (name[1] == '/') ? name + 2 : name);
	}
	else
		return XS_NO_ID;
	if (realpath(path, real))
		return fxNewNameC(the, real);
	return fxNewNameC(the, path); /* loading it fails: "module not found: <path>" */
}

static void _reportParserError(void* console, txString path, txInteger line, txString format, c_va_list arguments)
{
	if (path && line)
		fprintf(stderr, "%s:%d: error: ", path, (int)line);
	else
		fprintf(stderr, "xs: syntax error: ");
	vfprintf(stderr, format, arguments);
	fputc('\n', stderr);
}

/* A JSON module is parsed as "export default <file>;". */
typedef struct {
	FILE* file;
	int state; /* 0: prefix, 1: file, 2: suffix, 3: end */
	int index;
} HostJSONStream;

static int _jsonGetter(void* it)
{
	static const char prefix[] = "export default ";
	static const char suffix[] = "\n;\n";
	HostJSONStream* stream = it;
	int c;
	switch (stream->state) {
	case 0:
		if (prefix[stream->index])
			return prefix[stream->index++];
		stream->state = 1;
		/* fall through */
	case 1:
		c = fgetc(stream->file);
		if (c != EOF)
			return c;
		stream->state = 2;
		stream->index = 0;
		/* fall through */
	case 2:
		if (suffix[stream->index])
			return suffix[stream->index++];
		stream->state = 3;
		/* fall through */
	default:
		return EOF;
	}
}

void fxLoadModule(txMachine* the, txSlot* module, txID moduleID)
{
	HostJSONStream json;
	size_t pathLength;
	txString path = fxGetKeyName(the, moduleID);
	txParser _parser;
	txParser* parser = &_parser;
	txParserJump jump;
	txScript* script = C_NULL;
#ifdef mxDebug
	txUnsigned flags = mxDebugFlag;
#else
	txUnsigned flags = 0;
#endif
	FILE* file = fopen(path, "r");
	if (!file)
		mxURIError("module not found: %s", path);
	fxInitializeParser(parser, the, the->parserBufferSize, the->parserTableModulo);
	parser->firstJump = &jump;
	parser->reportError = _reportParserError;
	if (c_setjmp(jump.jmp_buf) == 0) {
		parser->path = fxNewParserSymbol(parser, path);
		pathLength = c_strlen(path);
		if ((pathLength > 5) && !c_strcmp(path + pathLength - 5, ".json")) {
			json.file = file;
			json.state = 0;
			json.index = 0;
			fxParserTree(parser, &json, _jsonGetter, flags, C_NULL);
		}
		else
			fxParserTree(parser, file, (txGetter)fgetc, flags, C_NULL);
		fxParserHoist(parser);
		fxParserBind(parser);
		script = fxParserCode(parser);
	}
	fclose(file);
	fxTerminateParser(parser);
	if (script)
		fxResolveModule(the, module, moduleID, script, C_NULL, C_NULL);
}
