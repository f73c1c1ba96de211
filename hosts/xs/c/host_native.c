/*
 * native(name) and Native(destructorName): the XS test host's way to reach C, mirroring Moddable
 * TypeScript binding classes:
 *
 *   class Counter extends Native("xs_counter_destructor") {
 *     constructor(start: number) { super(); native("xs_counter_init").call(this, start); }
 *     increment(): number { return native("xs_counter_increment").call(this); }
 *   }
 *
 * native("xs_foo") is a host function bound to the C function `void xs_foo(xsMachine* the)`.
 * Native("xs_foo_destructor") is a base class whose prototype is a host object carrying the destructor
 * `void xs_foo_destructor(void* data)`. XS gives every object made from a prototype with a host slot a host
 * slot of its own with the same destructor (fxNewHostInstance), so a subclass's instances are host objects:
 * xsmcSetHostData(xsThis, ...) works on them and the destructor runs when they are collected (with NULL
 * when no data was ever set).
 *
 * Both lookups go through the table generated at build time (out/natives.c) and are cached, so a binding
 * may call native(...) on every method call without allocating.
 */
#include "host.h"

static xsSlot* gFunctionCache = NULL;
static xsSlot* gClassCache = NULL;
static char* gFunctionMade = NULL;
static char* gClassMade = NULL;

static int _lookup(const char* name, const void* table, size_t stride, int count)
{
	int low = 0, high = count - 1;
	while (low <= high) {
		int middle = (low + high) / 2;
		const char* key = *(const char* const*)((const char*)table + (stride * (size_t)middle));
		int order = c_strcmp(name, key);
		if (order == 0)
			return middle;
		if (order < 0)
			high = middle - 1;
		else
			low = middle + 1;
	}
	return -1;
}

static void _nameOf(xsMachine* the, const char* what, char* buffer, size_t size)
{
	if ((xsToInteger(xsArgc) < 1) || (xsTypeOf(xsArg(0)) != xsStringType))
		xsTypeError("%s: expected a name string", what);
	c_snprintf(buffer, size, "%s", xsToString(xsArg(0)));
}

static void xs_host_native(xsMachine* the)
{
	char name[256];
	int index;
	_nameOf(the, "native", name, sizeof(name));
	index = _lookup(name, gHostNativeFunctions, sizeof(HostNativeFunction), gHostNativeFunctionCount);
	if (index < 0)
		xsTypeError("native: no C function %s", name);
	if (!gFunctionMade[index]) {
		gFunctionCache[index] = xsNewHostFunctionObject(gHostNativeFunctions[index].callback, 0, xsID(name));
		xsRemember(gFunctionCache[index]);
		gFunctionMade[index] = 1;
	}
	xsResult = gFunctionCache[index];
}

/* The constructor of every Native() base class: makes `this` from new.target.prototype. */
static void xs_host_native_base(xsMachine* the)
{
	if (xsTypeOf(xsTarget) == xsUndefinedType)
		xsTypeError("Native: class constructor called without new");
	xsResult = xsGet(xsTarget, xsID("prototype"));
	xsResult = xsNewHostInstance(xsResult);
}

static void xs_host_Native(xsMachine* the)
{
	char name[256];
	int index;
	_nameOf(the, "Native", name, sizeof(name));
	index = _lookup(name, gHostNativeDestructors, sizeof(HostNativeDestructor), gHostNativeDestructorCount);
	if (index < 0)
		xsTypeError("Native: no C destructor %s", name);
	if (!gClassMade[index]) {
		xsResult = xsNewHostObject(gHostNativeDestructors[index].destructor);
		gClassCache[index] = xsNewHostConstructor(xs_host_native_base, 0, xsResult);
		xsRemember(gClassCache[index]);
		gClassMade[index] = 1;
	}
	xsResult = gClassCache[index];
}

void hostInstallNatives(xsMachine* the)
{
	gFunctionCache = c_calloc((size_t)gHostNativeFunctionCount + 1, sizeof(xsSlot));
	gFunctionMade = c_calloc((size_t)gHostNativeFunctionCount + 1, 1);
	gClassCache = c_calloc((size_t)gHostNativeDestructorCount + 1, sizeof(xsSlot));
	gClassMade = c_calloc((size_t)gHostNativeDestructorCount + 1, 1);
	if (!gFunctionCache || !gFunctionMade || !gClassCache || !gClassMade)
		xsUnknownError("out of host memory");
	xsResult = xsNewHostFunctionObject(xs_host_native, 1, xsID("native"));
	xsDefine(xsGlobal, xsID("native"), xsResult, xsDontEnum);
	xsResult = xsNewHostFunctionObject(xs_host_Native, 1, xsID("Native"));
	xsDefine(xsGlobal, xsID("Native"), xsResult, xsDontEnum);
}
