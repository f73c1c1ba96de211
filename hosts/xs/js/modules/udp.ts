// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- Native()/native() are ambient globals on XS
/// <reference path="../../../../modules/dtls/native.d.ts" />
/**
 * `embedded:io/socket/udp` on the XS test host: ECMA-419 UDP as Moddable implements it
 * (modules/io/socket/lwip/udp.js); C in hosts/xs/c/host_udp.c. The host maps the bare specifier here.
 *
 * @example
 * ```ts
 * import UDP from "embedded:io/socket/udp";
 * const u = new UDP({ port: 0, onReadable(count) { for (let i = 0; i < count; i++) this.read(); } });
 * u.write(bytes, "127.0.0.1", 5683);
 * ```
 */
export interface UDPOptions {
  readonly port?: number;
  /** Local address to bind (dotted IPv4); the test host binds 127.0.0.1 by default, a device any. */
  readonly address?: string;
  readonly onReadable?: (this: UDP, packets: number) => void;
  readonly onError?: (this: UDP) => void;
  readonly format?: "buffer";
}

export type UDPPacket = ArrayBuffer & { readonly address: string; readonly port: number };

class UDP extends Native("xs_udp_destructor") {
  constructor(options: UDPOptions) {
    super();
    native("xs_udp_constructor").call(this, options);
  }
  close(): void {
    native("xs_udp_close").call(this);
  }
  read(): UDPPacket | undefined {
    return native("xs_udp_read").call(this) as UDPPacket | undefined;
  }
  write(buffer: ArrayBuffer | ArrayBufferView, address: string, port: number): void {
    native("xs_udp_write").call(this, buffer, address, port);
  }
  /** Test host only: datagrams queued and dropped (queue bound). */
  stats(): { queued: number; dropped: number } {
    return native("xs_udp_stats").call(this) as { queued: number; dropped: number };
  }
  get format(): "buffer" {
    return "buffer";
  }
  set format(value: "buffer") {
    if (value !== "buffer") throw new RangeError("invalid format");
  }
}
Object.freeze(UDP.prototype);

export default UDP;
