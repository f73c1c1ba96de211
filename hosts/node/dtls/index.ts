/**
 * DTLS 1.2 for Node: the sans-IO session and server of modules/dtls (through the N-API addon in
 * hosts/node/native), a client DatagramLink and a multi-peer server socket.
 */
export { DtlsError } from "./errors.js";
export { type DtlsOptions, type PskCredential } from "./options.js";
export { DtlsSession, type DtlsEvent, type DtlsState } from "./session.js";
export { DtlsServer, type DtlsServerEvent, type DtlsServerOptions } from "./server.js";
export { DtlsLink, type DtlsLinkOptions } from "./dtls-link.js";
export { DtlsServerSocket, type DtlsServerSocketOptions } from "./dtls-server-socket.js";
export { ADDON_PATH } from "./_native.js";
