/**
 * The messages of the gossip protocol and their one-byte type numbers. The numbers are protocol: the table
 * is append-only (never renumber, never reuse a retired number), so mixed versions keep understanding each
 * other during a rolling upgrade.
 */
import type { Address } from "../address.ts";

export const MessageType = {
  ping: 1,
  indirectPing: 2,
  ack: 3,
  suspect: 4,
  alive: 5,
  dead: 6,
  pushPull: 7,
  /** Several messages in one datagram (a probe with its piggybacked news). */
  compound: 8,
} as const;
export type MessageTypeName = keyof typeof MessageType;

export type Meta = Readonly<Record<string, string>>;

export type MemberStatus = "alive" | "suspect" | "dead" | "left";

export interface Sender {
  readonly name: string;
  /** Where replies go: the sender's advertised address, not the packet's source (which may be a wildcard bind). */
  readonly address: Address;
}

export interface Ping {
  readonly type: "ping";
  readonly seq: number;
  /** The member we believe lives at this address; a different member there must not ack for it. */
  readonly target: string;
  readonly source: Sender;
}

export interface IndirectPing {
  readonly type: "indirectPing";
  readonly seq: number;
  readonly target: string;
  readonly targetAddress: Address;
  readonly source: Sender;
}

export interface Ack {
  readonly type: "ack";
  readonly seq: number;
}

export interface Suspect {
  readonly type: "suspect";
  readonly name: string;
  readonly incarnation: number;
  /** Who suspects; distinct accusers shorten the suspicion timeout. */
  readonly from: string;
}

export interface Alive {
  readonly type: "alive";
  readonly name: string;
  readonly incarnation: number;
  readonly address: Address;
  readonly meta: Meta;
}

export interface Dead {
  readonly type: "dead";
  readonly name: string;
  readonly incarnation: number;
  /** Equal to `name` when the member announces its own graceful departure. */
  readonly from: string;
}

export interface MemberState {
  readonly name: string;
  readonly incarnation: number;
  readonly address: Address;
  readonly meta: Meta;
  readonly status: MemberStatus;
}

export interface PushPull {
  readonly type: "pushPull";
  /** A join asks the receiver to answer even if it has never heard of us. */
  readonly join: boolean;
  /** Replies are not answered, or two members would ping-pong full states forever. */
  readonly reply: boolean;
  readonly source: Sender;
  readonly members: readonly MemberState[];
}

/** News is what the broadcast queue carries and piggybacks. */
export type News = Suspect | Alive | Dead;
export type Message = Ping | IndirectPing | Ack | News | PushPull;
