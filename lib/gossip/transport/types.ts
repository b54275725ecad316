/**
 * The Transport: everything the gossip host needs from a network, and nothing protocol-specific.
 *  - packets: best effort, unordered, at most MAX_PACKET_BYTES (UDP);
 *  - reliable: one framed message delivered whole or the send rejects (a stream per message).
 * Bytes are opaque here (already sealed). Implementations never throw from sendPacket and never deliver a
 * partial reliable frame; what they drop they report through `drop(reason)` so the host can count it.
 */
import type { Address } from "../address.ts";

export interface TransportListener {
  deliver(from: Address, bytes: Uint8Array, reliable: boolean): void;
  drop(reason: string): void;
}

export interface Transport {
  /** The bound address (with the real port when 0 was asked for). */
  readonly address: Address;
  listen(listener: TransportListener): void;
  sendPacket(to: Address, bytes: Uint8Array): void;
  sendReliable(to: Address, bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}
