/**
 * The member table and the rules for news (memberlist's aliveNode / suspectNode / deadNode):
 *  - higher incarnations win; at equal incarnation suspect beats alive and dead beats suspect;
 *  - news about ourselves that says suspect or dead (or a different alive) is refuted by raising our
 *    incarnation past it and announcing alive, unless we are leaving;
 *  - accepted news is queued for re-broadcast; state changes produce member events.
 * An alive with a higher incarnation may carry a new address: every peer holds the cluster key, and a
 * restarted pod keeps its name but not its IP, so we accept the move rather than reject it as a conflict.
 */
import { type Address, sameAddress } from "../address.ts";
import type { Alive, Dead, MemberState, MemberStatus, Meta, News, Suspect } from "../wire/messages.ts";
import { BroadcastQueue } from "./broadcasts.ts";
import type { SwimTiming } from "./config.ts";
import { expectedConfirmations, Suspicion, suspicionMinTimeoutMs } from "./suspicion.ts";
import type { MemberEvent, MemberEventType, MemberView } from "./types.ts";

interface Member {
  name: string;
  address: Address;
  meta: Meta;
  incarnation: number;
  status: MemberStatus;
  changedMs: number;
  suspicion: Suspicion | undefined;
}

function sameMeta(a: Meta, b: Meta): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

function view(member: Member): MemberView {
  const { name, address, meta, incarnation, status } = member;
  return { name, address, meta, incarnation, status };
}

export class Membership {
  readonly queue: BroadcastQueue;
  readonly events: MemberEvent[] = [];
  private readonly table = new Map<string, Member>();
  private readonly self: Member;
  leaving = false;

  constructor(
    name: string,
    address: Address,
    meta: Meta,
    private readonly timing: SwimTiming,
    nowMs: number,
  ) {
    this.queue = new BroadcastQueue(timing.retransmitMult);
    this.self = {
      name,
      address,
      meta,
      incarnation: 1,
      status: "alive",
      changedMs: nowMs,
      suspicion: undefined,
    };
    this.table.set(name, this.self);
    this.queue.push(this.selfAlive());
  }

  get name(): string {
    return this.self.name;
  }

  get address(): Address {
    return this.self.address;
  }

  selfAlive(): Alive {
    const { name, incarnation, address, meta } = this.self;
    return { type: "alive", name, incarnation, address, meta };
  }

  /** Members that can still answer: alive or suspect, ourselves included. Drives the log-scaled formulas. */
  liveCount(): number {
    let count = 0;
    for (const member of this.table.values())
      if (member.status === "alive" || member.status === "suspect") count++;
    return count;
  }

  get(name: string): MemberView | undefined {
    const member = this.table.get(name);
    return member && view(member);
  }

  all(): MemberView[] {
    return [...this.table.values()].map(view);
  }

  /** Peers worth probing or gossiping to (alive or suspect, not ourselves). */
  peers(): MemberView[] {
    return this.all().filter(
      (m) => m.name !== this.self.name && (m.status === "alive" || m.status === "suspect"),
    );
  }

  snapshot(): MemberState[] {
    return this.all().map(({ name, incarnation, address, meta, status }) => ({
      name,
      incarnation,
      address,
      meta,
      status,
    }));
  }

  apply(news: News, nowMs: number): void {
    if (news.type === "alive") this.applyAlive(news, nowMs);
    else if (news.type === "suspect") this.applySuspect(news, nowMs);
    else this.applyDead(news, nowMs);
  }

  setMeta(meta: Meta): void {
    this.self.meta = meta;
    this.self.incarnation++;
    this.queue.push(this.selfAlive());
  }

  /** Announces our departure; returns the news so the host can also send it directly. */
  leave(nowMs: number): Dead {
    this.leaving = true;
    this.self.incarnation++;
    const dead: Dead = {
      type: "dead",
      name: this.self.name,
      incarnation: this.self.incarnation,
      from: this.self.name,
    };
    this.self.status = "left";
    this.self.changedMs = nowMs;
    this.queue.push(dead);
    return dead;
  }

  /** Merges a peer's full state. Its "dead" only makes us suspect (we verify for ourselves, as memberlist). */
  merge(states: readonly MemberState[], nowMs: number): void {
    for (const state of states) {
      const { name, incarnation } = state;
      if (state.status === "alive") {
        this.applyAlive(
          { type: "alive", name, incarnation, address: state.address, meta: state.meta },
          nowMs,
        );
      } else if (state.status === "left") {
        this.applyDead({ type: "dead", name, incarnation, from: name }, nowMs);
      } else {
        this.applySuspect({ type: "suspect", name, incarnation, from: this.self.name }, nowMs);
      }
    }
  }

  /** Turns expired suspicions into failures and forgets members dead for longer than the reap timeout. */
  expire(nowMs: number): void {
    for (const member of [...this.table.values()]) {
      if (member.status === "suspect" && member.suspicion && nowMs >= member.suspicion.deadlineMs()) {
        this.applyDead(
          { type: "dead", name: member.name, incarnation: member.incarnation, from: this.self.name },
          nowMs,
        );
      } else if (
        member !== this.self &&
        (member.status === "dead" || member.status === "left") &&
        nowMs - member.changedMs >= this.timing.deadReapTimeoutMs
      ) {
        this.table.delete(member.name);
        this.emit("reaped", member, nowMs);
      }
    }
  }

  private applyAlive(alive: Alive, nowMs: number): void {
    if (alive.name === this.self.name) {
      const echo =
        alive.incarnation === this.self.incarnation &&
        sameAddress(alive.address, this.self.address) &&
        sameMeta(alive.meta, this.self.meta);
      if (!this.leaving && alive.incarnation >= this.self.incarnation && !echo)
        this.refute(alive.incarnation);
      return;
    }
    const member = this.table.get(alive.name);
    if (!member) {
      const { name, address, meta, incarnation } = alive;
      const added: Member = {
        name,
        address,
        meta,
        incarnation,
        status: "alive",
        changedMs: nowMs,
        suspicion: undefined,
      };
      this.table.set(alive.name, added);
      this.queue.push(alive);
      this.emit("joined", added, nowMs);
      return;
    }
    if (alive.incarnation <= member.incarnation) return;
    const wasDown = member.status === "dead" || member.status === "left";
    const moved = !sameAddress(member.address, alive.address) || !sameMeta(member.meta, alive.meta);
    member.incarnation = alive.incarnation;
    member.address = alive.address;
    member.meta = alive.meta;
    if (member.status !== "alive") {
      member.status = "alive";
      member.changedMs = nowMs;
      member.suspicion = undefined;
    }
    this.queue.push(alive);
    if (wasDown) this.emit("joined", member, nowMs);
    else if (moved) this.emit("updated", member, nowMs);
  }

  private applySuspect(suspect: Suspect, nowMs: number): void {
    const member = this.table.get(suspect.name);
    if (member === this.self) {
      if (!this.leaving) this.refute(suspect.incarnation);
      return;
    }
    if (!member || suspect.incarnation < member.incarnation) return;
    if (member.status === "suspect") {
      if (member.suspicion?.confirm(suspect.from)) this.queue.push(suspect);
      return;
    }
    if (member.status !== "alive") return;
    const n = this.liveCount();
    const minMs = suspicionMinTimeoutMs(this.timing.suspicionMult, n, this.timing.probeIntervalMs);
    const expected = expectedConfirmations(this.timing.suspicionMult, n);
    member.incarnation = suspect.incarnation;
    member.status = "suspect";
    member.changedMs = nowMs;
    member.suspicion = new Suspicion(
      nowMs,
      suspect.from,
      expected,
      minMs,
      minMs * this.timing.suspicionMaxTimeoutMult,
    );
    this.queue.push(suspect);
  }

  private applyDead(dead: Dead, nowMs: number): void {
    const member = this.table.get(dead.name);
    if (member === this.self) {
      if (!this.leaving) this.refute(dead.incarnation);
      return;
    }
    if (!member || dead.incarnation < member.incarnation) return;
    if (member.status === "dead" || member.status === "left") return;
    member.incarnation = dead.incarnation;
    member.status = dead.from === dead.name ? "left" : "dead";
    member.changedMs = nowMs;
    member.suspicion = undefined;
    this.queue.push(dead);
    this.emit(member.status === "left" ? "left" : "failed", member, nowMs);
  }

  /**
   * Answers an accusation. One about our current (or a future) incarnation needs a higher one; one about an
   * older incarnation means the accuser missed our last alive, so we re-announce it unchanged (memberlist
   * ignores these, and a peer with stale news can then time us out under heavy loss).
   */
  private refute(accusedIncarnation: number): void {
    if (accusedIncarnation >= this.self.incarnation) this.self.incarnation = accusedIncarnation + 1;
    this.queue.push(this.selfAlive());
  }

  private emit(type: MemberEventType, member: Member, atMs: number): void {
    this.events.push({ type, member: view(member), atMs });
  }
}
