/** What the gate suites share: timers that never fire, and a POST /relay request as a CoAP datagram. */
import { MessageType, Method, OptionNumber, encodeMessageToBytes, stringOption, uintOption } from "../../src/coap/index.js";
import { LinkReceivers } from "../../src/link/link-receivers.js";
import type { DatagramLink, Endpoint, TimerHandle, Timers } from "../../src/ports.js";

export class NoTimers implements Timers {
  schedule(): TimerHandle {
    return { cancel: () => {} };
  }
}

let messageId = 1;

/** A confirmable POST /relay with Content-Format 50 and `body`, a fresh message ID and token each time. */
export function relayCommand(body: Uint8Array): Uint8Array {
  messageId++;
  return encodeMessageToBytes({
    type: MessageType.CON,
    code: Method.POST,
    messageId,
    token: Uint8Array.of(messageId & 0xff, messageId >> 8),
    options: [stringOption(OptionNumber.URI_PATH, "relay"), uintOption(OptionNumber.CONTENT_FORMAT, 50)],
    payload: body,
  });
}

/** A link in memory: what the gate sends is copied into `sent`; `receive` delivers a datagram from `peer`. */
export class MemoryLink extends LinkReceivers implements DatagramLink {
  readonly maxDatagramSize = 1152;
  readonly sent: Uint8Array[] = [];
  constructor(readonly peer: Endpoint) {
    super();
  }
  send(datagram: Uint8Array): void {
    this.sent.push(datagram.slice());
  }
  close(): void {}
  receive(datagram: Uint8Array): void {
    this.deliver(datagram, this.peer);
  }
}
