/**
 * LinkReceivers: the receiving half every DatagramLink shares, the one datagram receiver and the one error
 * receiver its user registers with onDatagram / onError (until then both drop what they get). A link extends it
 * and hands on what it receives with deliver() and what goes wrong with fail().
 */
import type { Endpoint } from "../ports.js";

export type DatagramReceiver = (data: Uint8Array, from: Endpoint) => void;
export type LinkErrorReceiver = (error: Error, peer: Endpoint | undefined) => void;

export abstract class LinkReceivers {
  #receiver: DatagramReceiver = () => {};
  #errorReceiver: LinkErrorReceiver = () => {};

  /** Registers the single receiver; `data` is valid only during the call. */
  onDatagram(receiver: DatagramReceiver): void {
    this.#receiver = receiver;
  }

  /** Registers the receiver of link failures. */
  onError(receiver: LinkErrorReceiver): void {
    this.#errorReceiver = receiver;
  }

  protected deliver(data: Uint8Array, from: Endpoint): void {
    // A tail call on XS (strict code): no frame of this one under the receiver, whose request path (the CoAP
    // server serves within the datagram's call) runs above the link's on a device's 512-slot stack.
    return this.#receiver(data, from);
  }

  protected fail(error: Error, peer: Endpoint | undefined): void {
    this.#errorReceiver(error, peer);
  }
}
