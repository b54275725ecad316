/**
 * The host side of one Ready, in the only safe order: persist -> send -> apply -> advance.
 * - persist first: messages may acknowledge entries or carry a vote that must survive a crash;
 * - send before applying: applying can be slow and followers need not wait for it;
 * - advance last: it tells Raft the entries are durable (a leader then counts its own copy) and applied.
 * If persisting throws, nothing is sent and advance() is not called: the node must be discarded and
 * rebuilt from storage (the storage may hold part of the write; Raft recovers from that on restart).
 */
import type { Message } from "./messages.ts";
import type { RawNode } from "./raw-node.ts";
import type { RaftStorage } from "./storage/storage.ts";
import type { Entry, Snapshot } from "./types.ts";

export interface ReadyHandlers {
  /** Hands messages to the transport; must not wait for delivery (Raft tolerates loss). */
  send(messages: readonly Message[]): void;
  /** Replaces the state machine with the snapshot's image. */
  applySnapshot(snapshot: Snapshot): void | Promise<void>;
  /** Applies committed entries in order (Normal entries with empty data are leader no-ops). */
  apply(entries: readonly Entry[]): void | Promise<void>;
}

/** Processes one Ready if there is one; returns whether it did. */
export async function handleReady(
  node: RawNode,
  storage: RaftStorage,
  handlers: ReadyHandlers,
): Promise<boolean> {
  if (!node.hasReady()) return false;
  const rd = node.ready();
  await storage.save({
    ...(rd.snapshot === undefined ? {} : { snapshot: rd.snapshot }),
    entries: rd.entries,
    ...(rd.hardState === undefined ? {} : { hardState: rd.hardState }),
  });
  if (rd.messages.length > 0) handlers.send(rd.messages);
  if (rd.snapshot !== undefined) await handlers.applySnapshot(rd.snapshot);
  if (rd.committedEntries.length > 0) await handlers.apply(rd.committedEntries);
  node.advance();
  return true;
}
