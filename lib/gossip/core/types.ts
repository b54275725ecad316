/**
 * What the SWIM core consumes and produces. The core never sends anything itself: every call returns an
 * Output with the messages for the host to encode, seal and send, and the membership events to publish.
 */
import type { Address } from "../address.ts";
import type { MemberStatus, Message, Meta, PushPull } from "../wire/messages.ts";

export type Outgoing =
  /** Best effort (UDP): a probe or news, already fitted to one datagram. */
  | { readonly kind: "packet"; readonly to: Address; readonly messages: readonly Message[] }
  /** Reliable (stream): a full-state exchange. */
  | { readonly kind: "reliable"; readonly to: Address; readonly message: PushPull };

/** joined/left/failed/reaped feed gossip_nodes_{joined,left,failed,reaped}_total{node}; updated means a live
 * member changed its address or metadata (e.g. a new Raft address). */
export type MemberEventType = "joined" | "left" | "failed" | "reaped" | "updated";

export interface MemberView {
  readonly name: string;
  readonly address: Address;
  readonly meta: Meta;
  readonly incarnation: number;
  readonly status: MemberStatus;
}

export interface MemberEvent {
  readonly type: MemberEventType;
  readonly member: MemberView;
  readonly atMs: number;
}

export interface Output {
  readonly send: Outgoing[];
  readonly events: MemberEvent[];
}

/** The only randomness the core sees; a seeded source makes a simulation replay exactly. */
export interface RandomSource {
  /** Uniform in [0, 1). */
  next(): number;
}
