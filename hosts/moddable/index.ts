/**
 * `idpgate/moddable`: the device and simulator glue (also run unmodified by the XS test host): ports over
 * `timer`, `time` and a native CSPRNG; a UDP link over `embedded:io/socket/udp`; DTLS client and server
 * links over modules/dtls; host-name resolution; an introspection client wired over all of them.
 */
export {
  devicePorts,
  DeviceTimers,
  DeviceWallClock,
  NativeRandom,
  TicksClock,
  WALL_CLOCK_FLOOR_MS,
  type DevicePorts,
  type DeviceWallClockOptions,
} from "./ports.js";
export { UdpLink, UDP_MAX_DATAGRAM, UDP_MAX_PER_WAKE, type UdpLinkOptions } from "./udp-link.js";
export { DtlsClientLink, type DtlsClientLinkOptions } from "./dtls-client-link.js";
export { DtlsServerLink, DTLS_SERVER_IDLE_MS, DTLS_SERVER_MAX_SESSIONS, type DtlsServerLinkOptions } from "./dtls-server-link.js";
export { numericAddress, resolveHost } from "./resolve.js";
export { connectDeviceIdp, type DeviceIdpConnection, type DeviceIdpOptions } from "./idp.js";
export { TokenVerifier, deviceIdpLinkOpener, deviceSessionOptions } from "./token-verifier.js";
