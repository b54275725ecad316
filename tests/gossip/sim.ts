/**
 * A simulated network for the SWIM core: virtual time in 5 ms steps, seeded loss and latency on datagrams,
 * partitions, crashed members. Every datagram goes through the real codec (and must fit the payload budget),
 * so the core is tested with exactly the bytes it would send. A run replays exactly from its seed.
 */
import { type Address, addressKey } from "../../lib/gossip/address.ts";
import { type MemberEvent, type Outgoing, Swim, type SwimConfig } from "../../lib/gossip/core/index.ts";
import { decodePacket, encodeMessage, encodePacket, type Message } from "../../lib/gossip/wire/index.ts";
import { createSeededRandom } from "../../lib/raft/index.ts";

export const STEP_MS = 5;

interface Node {
  readonly swim: Swim;
  readonly address: Address;
  readonly events: MemberEvent[];
  up: boolean;
}

interface InFlight {
  readonly deliverAt: number;
  readonly from: string;
  readonly to: Address;
  readonly bytes: Uint8Array;
}

export class GossipSim {
  now = 0;
  lossRate = 0;
  packetsSent = 0;
  bytesSent = 0;
  reliableBytesSent = 0;
  /** Tests may veto single datagrams: return false to drop. */
  intercept: ((from: string, to: string, messages: Message[]) => boolean) | undefined;
  readonly nodes = new Map<string, Node>();
  private readonly byAddress = new Map<string, string>();
  private readonly random;
  private queue: InFlight[] = [];
  private groups = new Map<string, number>();
  private readonly paused = new Set<string>();
  private readonly inbox = new Map<string, InFlight[]>();

  constructor(seed: number) {
    this.random = createSeededRandom(seed);
  }

  add(name: string, overrides: Partial<SwimConfig> = {}): Node {
    const address = { host: `127.2.0.${this.nodes.size + 1}`, port: 7946 };
    const swim = new Swim({
      name,
      address,
      random: createSeededRandom(this.random.int(2 ** 31)),
      nowMs: this.now,
      ...overrides,
    });
    const node: Node = { swim, address, events: [], up: true };
    this.nodes.set(name, node);
    this.byAddress.set(addressKey(address), name);
    return node;
  }

  node(name: string): Node {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  /** Adds `count` members; all but the first join through the first. Returns their names. */
  cluster(count: number, prefix = "n"): string[] {
    const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
    for (const name of names) this.add(name);
    const seed = this.node(names[0] ?? "").address;
    for (const name of names.slice(1)) this.join(name, [seed]);
    return names;
  }

  join(name: string, seeds: Address[]): void {
    this.dispatch(name, this.node(name).swim.join(seeds, this.now));
  }

  leave(name: string): void {
    this.dispatch(name, this.node(name).swim.leave(this.now));
  }

  /** Freezes a member as a GC pause would: no ticks, and datagrams wait in its socket until `resume`. */
  pause(name: string): void {
    this.paused.add(name);
  }

  /** Ends a pause the way a real host does: the overdue timer fires first, then the inbox is read. */
  resume(name: string): void {
    this.paused.delete(name);
    const node = this.node(name);
    this.dispatch(name, node.swim.tick(this.now));
    const waiting = this.inbox.get(name) ?? [];
    this.inbox.delete(name);
    for (const item of waiting) this.deliver(item);
  }

  crash(name: string): void {
    this.node(name).up = false;
  }

  /** Members in different groups cannot reach each other; members not listed stay in group 0. */
  partition(...groups: string[][]): void {
    this.groups = new Map(groups.flatMap((group, index) => group.map((name) => [name, index + 1] as const)));
  }

  heal(): void {
    this.groups.clear();
  }

  inject(to: string, message: Message, from: Address = { host: "127.2.9.9", port: 1 }): void {
    this.dispatch(to, this.node(to).swim.handle(from, message, this.now));
  }

  run(ms: number): void {
    const until = this.now + ms;
    while (this.now < until) this.step();
  }

  /** Runs until `condition` holds; returns the virtual time it took, or throws after `limitMs`. */
  runUntil(what: string, condition: () => boolean, limitMs: number): number {
    const start = this.now;
    while (!condition()) {
      if (this.now - start > limitMs)
        throw new Error(`simulation: ${what} did not happen within ${limitMs} ms`);
      this.step();
    }
    return this.now - start;
  }

  status(observer: string, subject: string): string | undefined {
    return this.node(observer).swim.member(subject)?.status;
  }

  /** True when every up member sees exactly `expected` as alive (and nothing else as alive). */
  converged(expected: string[]): boolean {
    const want = [...expected].sort().join(",");
    return [...this.nodes.entries()]
      .filter(([name, node]) => node.up && expected.includes(name))
      .every(([, node]) => {
        const alive = node.swim
          .members()
          .filter((m) => m.status === "alive")
          .map((m) => m.name);
        return alive.sort().join(",") === want;
      });
  }

  events(type: MemberEvent["type"], subject?: string): { observer: string; event: MemberEvent }[] {
    return [...this.nodes.entries()].flatMap(([observer, node]) =>
      node.events
        .filter((event) => event.type === type && (subject === undefined || event.member.name === subject))
        .map((event) => ({ observer, event })),
    );
  }

  private step(): void {
    this.now += STEP_MS;
    const due = this.queue.filter((item) => item.deliverAt <= this.now);
    this.queue = this.queue.filter((item) => item.deliverAt > this.now);
    for (const item of due) this.deliver(item);
    for (const [name, node] of this.nodes) {
      if (node.up && !this.paused.has(name)) this.dispatch(name, node.swim.tick(this.now));
    }
  }

  private deliver(item: InFlight): void {
    const name = this.byAddress.get(addressKey(item.to));
    const node = name === undefined ? undefined : this.nodes.get(name);
    if (!node?.up || name === undefined || !this.reachable(item.from, name)) return;
    if (this.paused.has(name)) {
      this.inbox.set(name, [...(this.inbox.get(name) ?? []), item]);
      return;
    }
    const decoded = decodePacket(item.bytes);
    if (!decoded.ok) throw new Error(`simulation: undecodable packet from ${item.from}: ${decoded.reason}`);
    const fromAddress = this.node(item.from).address;
    for (const message of decoded.messages)
      this.dispatch(name, node.swim.handle(fromAddress, message, this.now));
  }

  private dispatch(from: string, output: { send: Outgoing[]; events: MemberEvent[] }): void {
    const node = this.node(from);
    node.events.push(...output.events);
    if (!node.up) return;
    for (const outgoing of output.send) {
      const toName = this.byAddress.get(addressKey(outgoing.to)) ?? "?";
      if (outgoing.kind === "reliable") {
        const bytes = encodeMessage(outgoing.message);
        this.reliableBytesSent += bytes.length;
        this.queue.push({ deliverAt: this.now + 5 + this.random.int(5), from, to: outgoing.to, bytes });
        continue;
      }
      const bytes = encodePacket(outgoing.messages);
      if (bytes.length > node.swim.timing.maxPayloadBytes) {
        throw new Error(`simulation: ${from} built a ${bytes.length}-byte datagram`);
      }
      this.packetsSent++;
      this.bytesSent += bytes.length;
      if (this.random.next() < this.lossRate) continue;
      if (this.intercept && !this.intercept(from, toName, [...outgoing.messages])) continue;
      this.queue.push({ deliverAt: this.now + 1 + this.random.int(3), from, to: outgoing.to, bytes });
    }
  }

  private reachable(a: string, b: string): boolean {
    return (this.groups.get(a) ?? 0) === (this.groups.get(b) ?? 0);
  }
}
