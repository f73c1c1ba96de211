/**
 * The module `idpgate` on a device, the simulator and the XS test host (the root manifest.json names it):
 * the core's public API, TokenVerifier over the device glue, and the device's own parts.
 * Specifiers are bare module names: this module's name has no directory for XS to resolve `../` against.
 */
export * from "idpgate/src/index";
export { TokenVerifier } from "idpgate/hosts/moddable/token-verifier";
export { connectDeviceIdp, devicePorts, type DeviceIdpOptions, type DevicePorts } from "idpgate/hosts/moddable/index";
export { NativeTokenDigest } from "idpgate/modules/digest/token_digest";
