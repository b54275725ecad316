/**
 * The SWIM member: a deterministic state machine with no timers, sockets, clock or Math.random. The host
 * calls `tick(nowMs)` often (every few ms), `handle(from, message, nowMs)` for each authenticated message,
 * and `join`/`setSeeds`/`leave`/`setMeta` on demand; each call returns the Output to send and publish.
 *
 * A probe round (every probeIntervalMs): ping the next member of a shuffled round-robin; no ack within
 * probeTimeoutMs -> ask indirectChecks others to ping it for us; no ack (direct or relayed) by the end of the
 * round -> suspect it. News piggybacks on every ping and ack and is pushed to gossipNodes members every
 * gossipIntervalMs; a full state is exchanged with one member (or a seed, while alone) every push-pull period.
 */
import { type Address, addressKey } from "../address.ts";
import { COMPOUND_HEADER_BYTES, compoundCost } from "../wire/codec.ts";
import type { Message, Meta, PushPull } from "../wire/messages.ts";
import { resolveTiming, type SwimConfig, type SwimTiming } from "./config.ts";
import { Membership } from "./membership.ts";
import { pick, shuffle } from "./random.ts";
import type { MemberView, Outgoing, Output, RandomSource } from "./types.ts";

interface Probe {
  readonly seq: number;
  readonly target: MemberView;
  readonly startedMs: number;
  indirectSent: boolean;
  acked: boolean;
}

interface Relay {
  readonly requester: Address;
  readonly requesterSeq: number;
  readonly expiresMs: number;
}

export class Swim {
  readonly timing: SwimTiming;
  private readonly membership: Membership;
  private readonly random: RandomSource;
  private out: Outgoing[] = [];
  private seq = 0;
  private probeOrder: string[] = [];
  private probe: Probe | undefined;
  private readonly relays = new Map<number, Relay>();
  private seeds: Address[] = [];
  private nextProbeMs: number;
  private nextGossipMs: number;
  private nextPushPullMs: number;
  private lastTickMs: number;

  constructor(config: SwimConfig) {
    this.timing = resolveTiming(config);
    this.random = config.random;
    this.membership = new Membership(
      config.name,
      config.address,
      config.meta ?? {},
      this.timing,
      config.nowMs,
    );
    // Spread the first probe over one interval so members started together don't probe in lock-step.
    this.nextProbeMs = config.nowMs + Math.floor(this.random.next() * this.timing.probeIntervalMs);
    this.nextGossipMs = config.nowMs + this.timing.gossipIntervalMs;
    this.lastTickMs = config.nowMs;
    this.nextPushPullMs = config.nowMs + this.timing.joinRetryIntervalMs;
  }

  get name(): string {
    return this.membership.name;
  }

  /** Every known member, ourselves included, dead ones until reaped. */
  members(): MemberView[] {
    return this.membership.all();
  }

  member(name: string): MemberView | undefined {
    return this.membership.get(name);
  }

  /** Pending news items, for diagnostics and tests. */
  pendingNews(): number {
    return this.membership.queue.size;
  }

  /**
   * Ticks must come more often than probeTimeoutMs. A longer gap means our process was paused (GC, a busy
   * node): replies that arrived meanwhile are still unread in the socket, and the host's timer fires before
   * it reads them. So the first tick after a pause judges nothing (no probe verdict, no suspicion expiry);
   * the host reads its inbox, and the next tick judges with the facts.
   */
  tick(nowMs: number): Output {
    const paused = nowMs - this.lastTickMs > this.timing.probeTimeoutMs;
    this.lastTickMs = nowMs;
    if (paused) return this.drain();
    this.membership.expire(nowMs);
    if (!this.membership.leaving) {
      this.advanceProbe(nowMs);
      this.expireRelays(nowMs);
      if (nowMs >= this.nextPushPullMs) this.pushPullRound(nowMs);
    }
    if (nowMs >= this.nextGossipMs) {
      this.nextGossipMs = Math.max(this.nextGossipMs + this.timing.gossipIntervalMs, nowMs);
      this.gossipRound();
    }
    return this.drain();
  }

  /** `_from` is the packet's source; replies go to the sender's advertised address inside the message instead
   * (a peer bound to a wildcard may send from an address we cannot reach it at). */
  handle(_from: Address, message: Message, nowMs: number): Output {
    switch (message.type) {
      case "ping":
        // A ping meant for whoever used to live at this address must not vouch for them.
        if (message.target === this.name)
          this.sendPacket(message.source.address, { type: "ack", seq: message.seq });
        break;
      case "indirectPing": {
        const seq = ++this.seq;
        const expiresMs = nowMs + this.timing.probeTimeoutMs;
        this.relays.set(seq, { requester: message.source.address, requesterSeq: message.seq, expiresMs });
        this.sendPacket(message.targetAddress, {
          type: "ping",
          seq,
          target: message.target,
          source: this.sender(),
        });
        break;
      }
      case "ack":
        this.onAck(message.seq);
        break;
      case "pushPull":
        this.membership.merge(message.members, nowMs);
        if (!message.reply) this.sendPushPull(message.source.address, { join: false, reply: true });
        break;
      default:
        this.membership.apply(message, nowMs);
    }
    return this.drain();
  }

  /** Exchanges full state with each seed now and remembers them for retries while we know no live peer. */
  join(seeds: readonly Address[], nowMs: number): Output {
    this.setSeeds(seeds);
    for (const seed of this.seeds) this.sendPushPull(seed, { join: true, reply: false });
    this.nextPushPullMs = nowMs + this.timing.joinRetryIntervalMs;
    return this.drain();
  }

  /** Replaces the seed list (e.g. from a Kubernetes Endpoints watch); our own address is ignored. */
  setSeeds(seeds: readonly Address[]): void {
    const self = this.membership.address;
    this.seeds = seeds.filter((seed) => seed.host !== self.host || seed.port !== self.port);
  }

  /** Announces a graceful departure directly to every live peer and via gossip; probing stops. */
  leave(nowMs: number): Output {
    if (this.membership.leaving) return this.drain();
    const dead = this.membership.leave(nowMs);
    for (const peer of this.membership.peers())
      this.out.push({ kind: "packet", to: peer.address, messages: [dead] });
    this.probe = undefined;
    return this.drain();
  }

  /** Publishes new metadata (e.g. the Raft RPC address) under a fresh incarnation. */
  setMeta(meta: Meta): Output {
    this.membership.setMeta(meta);
    return this.drain();
  }

  private advanceProbe(nowMs: number): void {
    const probe = this.probe;
    if (probe && !probe.acked) {
      if (!probe.indirectSent && nowMs >= probe.startedMs + this.timing.probeTimeoutMs)
        this.sendIndirect(probe);
      if (nowMs >= probe.startedMs + this.timing.probeIntervalMs) {
        const target = this.membership.get(probe.target.name);
        if (target && target.incarnation === probe.target.incarnation) {
          this.membership.apply(
            { type: "suspect", name: target.name, incarnation: target.incarnation, from: this.name },
            nowMs,
          );
        }
        this.probe = undefined;
      }
    }
    if (nowMs < this.nextProbeMs) return;
    this.nextProbeMs = Math.max(this.nextProbeMs + this.timing.probeIntervalMs, nowMs);
    const target = this.nextTarget();
    if (!target) return;
    const seq = ++this.seq;
    this.probe = { seq, target, startedMs: nowMs, indirectSent: false, acked: false };
    const ping: Message = { type: "ping", seq, target: target.name, source: this.sender() };
    if (target.status !== "suspect") {
      this.sendPacket(target.address, ping);
      return;
    }
    // Lifeguard's buddy system: tell a suspect it is suspected, so it can refute at once even if every
    // gossip copy of the suspicion was lost. Its ack piggybacks the refutation straight back to us.
    const suspect: Message = {
      type: "suspect",
      name: target.name,
      incarnation: target.incarnation,
      from: this.name,
    };
    this.sendPacket(target.address, ping, suspect);
  }

  private nextTarget(): MemberView | undefined {
    for (let attempts = 0; attempts < 2; attempts++) {
      while (this.probeOrder.length > 0) {
        const name = this.probeOrder.pop() ?? "";
        const member = this.membership.get(name);
        if (member && (member.status === "alive" || member.status === "suspect")) return member;
      }
      this.probeOrder = shuffle(
        this.random,
        this.membership.peers().map((member) => member.name),
      );
    }
    return undefined;
  }

  private sendIndirect(probe: Probe): void {
    probe.indirectSent = true;
    const helpers = shuffle(
      this.random,
      this.membership.peers().filter((m) => m.status === "alive" && m.name !== probe.target.name),
    ).slice(0, this.timing.indirectChecks);
    for (const helper of helpers) {
      this.sendPacket(helper.address, {
        type: "indirectPing",
        seq: probe.seq,
        target: probe.target.name,
        targetAddress: probe.target.address,
        source: this.sender(),
      });
    }
  }

  private onAck(seq: number): void {
    if (this.probe && this.probe.seq === seq) {
      this.probe.acked = true;
      return;
    }
    const relay = this.relays.get(seq);
    if (!relay) return;
    this.relays.delete(seq);
    this.sendPacket(relay.requester, { type: "ack", seq: relay.requesterSeq });
  }

  private expireRelays(nowMs: number): void {
    for (const [seq, relay] of this.relays) if (nowMs >= relay.expiresMs) this.relays.delete(seq);
  }

  private gossipRound(): void {
    if (this.membership.queue.size === 0) return;
    const targets = shuffle(this.random, this.membership.peers()).slice(0, this.timing.gossipNodes);
    for (const target of targets) {
      const news = this.takeNews(this.timing.maxPayloadBytes - COMPOUND_HEADER_BYTES);
      if (news.length === 0) break;
      this.out.push({ kind: "packet", to: target.address, messages: news });
    }
  }

  private pushPullRound(nowMs: number): void {
    // Seeds stay in the pool while we have peers: after a partition each side may have declared the other
    // dead and stopped probing it, and only a push-pull to a seed across the split brings them back together.
    const live = this.membership.peers().filter((m) => m.status === "alive");
    const pool = new Map<string, Address>();
    for (const address of [...live.map((m) => m.address), ...this.seeds])
      pool.set(addressKey(address), address);
    const target = pick(this.random, [...pool.values()]);
    if (target) this.sendPushPull(target, { join: live.length === 0, reply: false });
    this.nextPushPullMs =
      nowMs + (live.length > 0 ? this.timing.pushPullIntervalMs : this.timing.joinRetryIntervalMs);
  }

  private sendPushPull(to: Address, flags: { join: boolean; reply: boolean }): void {
    const message: PushPull = {
      type: "pushPull",
      ...flags,
      source: this.sender(),
      members: this.membership.snapshot(),
    };
    this.out.push({ kind: "reliable", to, message });
  }

  /** Sends `messages` with as much queued news as fits in one datagram. */
  private sendPacket(to: Address, ...messages: Message[]): void {
    const fixed = messages.reduce((sum, message) => sum + compoundCost(message), 0);
    const budget = this.timing.maxPayloadBytes - COMPOUND_HEADER_BYTES - fixed;
    this.out.push({ kind: "packet", to, messages: [...messages, ...this.takeNews(budget)] });
  }

  private takeNews(budget: number) {
    return this.membership.queue.take(budget, this.membership.liveCount(), compoundCost);
  }

  private sender() {
    return { name: this.name, address: this.membership.address };
  }

  private drain(): Output {
    const output: Output = { send: this.out, events: this.membership.events.splice(0) };
    this.out = [];
    return output;
  }
}
