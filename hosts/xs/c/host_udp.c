/*
 * ECMA-419 UDP for the XS test host, as Moddable implements it (modules/io/socket/lwip/udp.c), over a POSIX
 * socket: `embedded:io/socket/udp` (../js/modules/udp.ts, `class UDP extends Native("xs_udp_destructor")`).
 *
 *   new UDP({ port?, address?, onReadable?(packets), onError? })   bind; address defaults to 127.0.0.1 here
 *   write(buffer, address, port)   one datagram to a dotted IPv4 address; throws when the send fails
 *   read()                         ArrayBuffer with .address and .port, or undefined when none is queued
 *   close()                        safe twice; the destructor accepts NULL
 *
 * As on lwIP, received datagrams wait in a per-socket queue in host memory (not the XS heap) and
 * onReadable(count) is called (this = the socket) when datagrams arrived since the last call, with the number
 * queued; the application reads them with read(). Unlike lwIP the queue is bounded (HOST_UDP_MAX_QUEUED;
 * more are dropped and counted). The event loop (host_main.c) waits in hostUDPPoll (poll(2)) for datagrams or
 * the next timer. An open socket with onReadable keeps the process alive, as on a device; close() it to end.
 * The socket object is remembered (rooted) while open, like Moddable's.
 */
#include "host.h"
#include "xsmc.h"

/* xs.h declares it only when xsAll.h is not included (host.h includes both). */
extern void* fxGetHostDataValidate(xsMachine* the, xsSlot* slot, void* validator);

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#define HOST_UDP_MAX_QUEUED 64
#define HOST_UDP_MAX_SOCKETS 16
#define HOST_UDP_MAX_DATAGRAM 2048

typedef struct HostUDPPacket HostUDPPacket;
struct HostUDPPacket {
	HostUDPPacket* next;
	struct sockaddr_in from;
	size_t length;
	uint8_t data[];
};

typedef struct HostUDP HostUDP;
struct HostUDP {
	HostUDP* next;
	int fd;
	xsSlot object;     /* remembered while open */
	xsSlot onReadable; /* remembered while open, when set */
	int hasOnReadable;
	int notify;        /* datagrams arrived since the last onReadable */
	HostUDPPacket* packets;
	HostUDPPacket* last;
	int queued;
	uint32_t dropped;
};

static HostUDP* gSockets = NULL;

static void _udpUnlink(HostUDP* udp)
{
	HostUDP** address = &gSockets;
	while (*address) {
		if (*address == udp) {
			*address = udp->next;
			break;
		}
		address = &(*address)->next;
	}
	udp->next = NULL;
}

static void _udpRelease(HostUDP* udp)
{
	while (udp->packets) {
		HostUDPPacket* packet = udp->packets;
		udp->packets = packet->next;
		c_free(packet);
	}
	udp->last = NULL;
	udp->queued = 0;
	if (udp->fd >= 0)
		close(udp->fd);
	udp->fd = -1;
}

void xs_udp_destructor(void* data)
{
	HostUDP* udp = data;
	if (!udp)
		return;
	_udpUnlink(udp);
	_udpRelease(udp);
	c_free(udp);
}

static int _parseAddress(const char* text, struct in_addr* address)
{
	return inet_pton(AF_INET, text, address) == 1;
}

void xs_udp_constructor(xsMachine* the)
{
	HostUDP* udp;
	struct sockaddr_in local;
	int port = 0, count = 0, fd;
	char address[64] = "127.0.0.1";
	HostUDP* walker;
	xsmcVars(2);
	if (xsmcGetHostData(xsThis))
		xsUnknownError("udp: already initialized");
	if ((xsmcArgc < 1) || (xsmcTypeOf(xsArg(0)) != xsReferenceType))
		xsTypeError("udp: options object required");
	if (xsmcHas(xsArg(0), xsID("port"))) {
		xsmcGet(xsVar(0), xsArg(0), xsID("port"));
		port = xsmcToInteger(xsVar(0));
		if ((port < 0) || (port > 65535))
			xsRangeError("invalid port");
	}
	if (xsmcHas(xsArg(0), xsID("address"))) {
		xsmcGet(xsVar(0), xsArg(0), xsID("address"));
		if (xsmcTypeOf(xsVar(0)) != xsUndefinedType)
			xsmcToStringBuffer(xsVar(0), address, sizeof(address));
	}
	c_memset(&local, 0, sizeof(local));
	local.sin_family = AF_INET;
	local.sin_port = htons((uint16_t)port);
	if (!_parseAddress(address, &local.sin_addr))
		xsRangeError("invalid IP address");
	xsmcGet(xsVar(1), xsArg(0), xsID("onReadable"));
	if ((xsmcTypeOf(xsVar(1)) != xsUndefinedType) && !xsmcIsInstanceOf(xsVar(1), xsFunctionPrototype))
		xsTypeError("onReadable must be a function");
	for (walker = gSockets; walker; walker = walker->next)
		count++;
	if (count >= HOST_UDP_MAX_SOCKETS)
		xsRangeError("no socket");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		xsRangeError("no socket");
	if (bind(fd, (struct sockaddr*)&local, sizeof(local))) {
		close(fd);
		xsUnknownError("bind failed");
	}
	udp = c_calloc(1, sizeof(HostUDP));
	if (!udp) {
		close(fd);
		xsRangeError("no memory");
	}
	udp->fd = fd;
	udp->object = xsThis;
	xsRemember(udp->object);
	if (xsmcTypeOf(xsVar(1)) != xsUndefinedType) {
		udp->onReadable = xsVar(1);
		udp->hasOnReadable = 1;
		xsRemember(udp->onReadable);
	}
	udp->next = gSockets;
	gSockets = udp;
	xsmcSetHostData(xsThis, udp);
}

static HostUDP* _udpGet(xsMachine* the)
{
	HostUDP* udp = xsmcGetHostDataValidate(xsThis, xs_udp_destructor);
	if (!udp)
		xsUnknownError("udp: closed");
	return udp;
}

void xs_udp_close(xsMachine* the)
{
	HostUDP* udp = xsmcGetHostDataValidate(xsThis, xs_udp_destructor);
	if (!udp)
		return;
	xsmcSetHostData(xsThis, NULL);
	_udpUnlink(udp);
	if (udp->hasOnReadable)
		xsForget(udp->onReadable);
	xsForget(udp->object);
	_udpRelease(udp);
	c_free(udp);
}

void xs_udp_read(xsMachine* the)
{
	HostUDP* udp = _udpGet(the);
	HostUDPPacket* packet = udp->packets;
	char text[INET_ADDRSTRLEN];
	if (!packet)
		return;
	/* allocating may collect garbage (and run destructors): unlink only once the buffer exists */
	xsmcVars(1);
	xsmcSetArrayBuffer(xsResult, packet->data, (xsIntegerValue)packet->length);
	udp = _udpGet(the);
	udp->packets = packet->next;
	if (!udp->packets)
		udp->last = NULL;
	udp->queued--;
	xsmcSetInteger(xsVar(0), ntohs(packet->from.sin_port));
	xsmcSet(xsResult, xsID("port"), xsVar(0));
	if (!inet_ntop(AF_INET, &packet->from.sin_addr, text, sizeof(text)))
		c_strcpy(text, "0.0.0.0");
	xsmcSetString(xsVar(0), text);
	xsmcSet(xsResult, xsID("address"), xsVar(0));
	c_free(packet);
}

/* write(buffer, address, port) */
void xs_udp_write(xsMachine* the)
{
	HostUDP* udp;
	struct sockaddr_in to;
	char address[64];
	void* data;
	xsUnsignedValue length;
	int port;
	ssize_t sent;
	if (xsmcArgc < 3)
		xsTypeError("write(buffer, address, port)");
	xsmcToStringBuffer(xsArg(1), address, sizeof(address));
	port = xsmcToInteger(xsArg(2));
	if ((port <= 0) || (port > 65535))
		xsRangeError("invalid port");
	c_memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)port);
	if (!_parseAddress(address, &to.sin_addr))
		xsRangeError("invalid IP address");
	udp = _udpGet(the);
	xsmcGetBufferReadable(xsArg(0), &data, &length);
	sent = sendto(udp->fd, data, length, 0, (struct sockaddr*)&to, sizeof(to));
	if (sent < 0)
		xsUnknownError("UDP send failed");
}

/* Counters for tests and benchmarks: { queued, dropped }. Not in Moddable's API. */
void xs_udp_stats(xsMachine* the)
{
	HostUDP* udp = _udpGet(the);
	xsmcVars(1);
	xsmcSetNewObject(xsResult);
	xsmcSetInteger(xsVar(0), udp->queued);
	xsmcSet(xsResult, xsID("queued"), xsVar(0));
	xsmcSetNumber(xsVar(0), udp->dropped);
	xsmcSet(xsResult, xsID("dropped"), xsVar(0));
}

int hostUDPActive(void)
{
	HostUDP* udp;
	for (udp = gSockets; udp; udp = udp->next) {
		if (udp->hasOnReadable)
			return 1;
	}
	return 0;
}

/* Moves every datagram the kernel holds for udp into its queue (bounded). */
static void _udpReceive(HostUDP* udp)
{
	uint8_t buffer[HOST_UDP_MAX_DATAGRAM];
	int i;
	for (i = 0; i < 1024; i++) { /* bounded: the kernel buffer holds far fewer */
		struct sockaddr_in from;
		socklen_t fromLength = sizeof(from);
		ssize_t got = recvfrom(udp->fd, buffer, sizeof(buffer), MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr*)&from, &fromLength);
		HostUDPPacket* packet;
		if (got < 0)
			break; /* EAGAIN, or an ICMP error reported on this socket: nothing to deliver */
		if (((size_t)got > sizeof(buffer)) || (udp->queued >= HOST_UDP_MAX_QUEUED)) {
			udp->dropped++;
			continue;
		}
		packet = c_malloc(sizeof(HostUDPPacket) + (size_t)got);
		if (!packet) {
			udp->dropped++;
			continue;
		}
		packet->next = NULL;
		packet->from = from;
		packet->length = (size_t)got;
		c_memcpy(packet->data, buffer, (size_t)got);
		if (udp->last)
			udp->last->next = packet;
		else
			udp->packets = packet;
		udp->last = packet;
		udp->queued++;
		udp->notify = 1;
	}
}

static void _udpDeliver(xsMachine* the, HostUDP* udp)
{
	xsBeginHost(the);
	{
		xsmcVars(2);
		xsVar(0) = udp->onReadable;
		xsVar(1) = udp->object;
		xsmcSetInteger(xsResult, udp->queued);
		xsTry {
			xsCallFunction1(xsVar(0), xsVar(1), xsResult);
		}
		xsCatch {
			fxAbort(the, XS_UNHANDLED_EXCEPTION_EXIT);
		}
	}
	xsEndHost(the);
}

void hostUDPPoll(xsMachine* the, double timeoutMs)
{
	struct pollfd fds[HOST_UDP_MAX_SOCKETS];
	HostUDP* sockets[HOST_UDP_MAX_SOCKETS];
	HostUDP* udp;
	int count = 0, i, timeout, delivered;
	if (timeoutMs < 0)
		timeout = -1;
	else if (timeoutMs > 0x7FFFFFFF)
		timeout = 0x7FFFFFFF;
	else
		timeout = (int)c_ceil(timeoutMs);
	for (udp = gSockets; udp && (count < HOST_UDP_MAX_SOCKETS); udp = udp->next) {
		fds[count].fd = udp->fd;
		fds[count].events = POLLIN;
		fds[count].revents = 0;
		sockets[count++] = udp;
	}
	if (poll(fds, (nfds_t)count, timeout) <= 0)
		return;
	for (i = 0; i < count; i++) {
		if (fds[i].revents)
			_udpReceive(sockets[i]);
	}
	/* Deliver one onReadable per socket with news; the list may change in a callback, so start over
	 * after each call (each call clears one notify flag, so this ends). */
	for (delivered = 0; delivered < HOST_UDP_MAX_SOCKETS * 2; delivered++) {
		for (udp = gSockets; udp; udp = udp->next) {
			if (udp->notify)
				break;
		}
		if (!udp)
			break;
		udp->notify = 0;
		if (!udp->hasOnReadable || !udp->queued)
			continue;
		_udpDeliver(the, udp);
	}
}

void hostUDPCloseAll(void)
{
	while (gSockets) {
		HostUDP* udp = gSockets;
		gSockets = udp->next;
		udp->next = NULL;
		_udpRelease(udp); /* the record goes with its object's destructor */
	}
}
