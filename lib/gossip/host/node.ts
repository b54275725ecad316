/**
 * The gossip host: the I/O shell around the pure SWIM core. It owns the timer, the clocks, the randomness,
 * the keyring and the transport, and does exactly this:
 *  - every HOST_TICK_MS: core.tick(monotonic now), then send its Output (a late tick after a process pause
 *    judges nothing until the inbox is read; see Swim.tick);
 *  - for each delivery: take a place in its lane of pending opens (drop + count as overloaded if it is full:
 *    a flood must not queue crypto work without end, see ./pending.ts), open the envelope (drop + count if
 *    truncated / unauthenticated), check the replay window (drop + count if stale / replayed), decode (drop +
 *    count if malformed), core.handle each message;
 *  - for each Output: seal and send packets (best effort) and push-pulls (reliable; failures counted), then
 *    publish member events to subscribers.
 * Nothing here throws into the event loop: every failure is counted, logged at debug, and dropped.
 */
import type { LogFields, Logger } from "../../log/index.ts";
import { type Address, addressKey } from "../address.ts";
import { type MemberEvent, type MemberView, type Output, Swim, type SwimTiming } from "../core/index.ts";
import type { RandomSource } from "../core/types.ts";
import { HOST_TICK_MS } from "../defaults.ts";
import { type Keyring, openEnvelope, ReplayWindow, sealEnvelope } from "../security/index.ts";
import type { Transport } from "../transport/types.ts";
import { decodePacket, encodeMessage, encodePacket, type Meta } from "../wire/index.ts";
import { type OpenLane, PendingOpens } from "./pending.ts";
import { countDrop, emptyStats, type GossipStats } from "./stats.ts";

/** The default label: one cluster of controllers. Include namespace/service to keep two clusters apart. */
export const DEFAULT_LABEL = "kubernetes-vault/gossip";

/** The label for the controllers behind KUBERNETES_SERVICE in KUBERNETES_NAMESPACE: two installations that
 * (wrongly) share a CLUSTER_KEY still cannot hear each other. */
export function clusterLabel(namespace: string, service: string): string {
  return `${DEFAULT_LABEL}/${namespace}/${service}`;
}

export interface GossipNodeOptions {
  /** Unique and stable per process: POD_NAME. */
  readonly name: string;
  readonly transport: Transport;
  readonly keyring: Keyring;
  /** Address peers reach us at; defaults to the transport's bound address (must not be a wildcard). */
  readonly advertise?: Address;
  readonly meta?: Meta;
  readonly label?: string;
  readonly timing?: Partial<SwimTiming>;
  /** Defaults to a CSPRNG-backed source. */
  readonly random?: RandomSource;
  /** Wall clock for envelope timestamps (compared across hosts). Defaults to Date.now. */
  readonly wallClock?: () => number;
  /** Monotonic clock for the core's timers. Defaults to performance.now. */
  readonly monotonicClock?: () => number;
  readonly tickMs?: number;
  /** Bounds on deliveries awaiting their open, per lane; defaults from ../defaults.ts (tests shrink them). */
  readonly pendingLimits?: Partial<Record<OpenLane, number>>;
  /** Drops and send failures are logged at debug (they are counted in stats() either way). */
  readonly logger?: Pick<Logger, "debug">;
}

export interface GossipNode {
  readonly name: string;
  readonly address: Address;
  /** Every known member, ourselves included; dead and departed ones until reaped. */
  members(): MemberView[];
  /** Live members (alive or suspect), ourselves included. */
  liveMembers(): MemberView[];
  /** Exchange state with these addresses now and keep them as seeds (e.g. from a Kubernetes Endpoints watch). */
  join(seeds: readonly Address[]): void;
  /** Replace the seed list without contacting anyone now. */
  setSeeds(seeds: readonly Address[]): void;
  setMeta(meta: Meta): void;
  /** Subscribe to member events (joined, left, failed, reaped, updated); returns an unsubscribe function. */
  subscribe(listener: (event: MemberEvent) => void): () => void;
  stats(): GossipStats;
  /** Announce departure, give the announcement `graceMs` to go out, then stop. */
  leave(graceMs?: number): Promise<void>;
  /** Stop without a word (peers will detect us as failed); closes the transport. */
  stop(): Promise<void>;
}

const LEAVE_GRACE_MS = 200;

function cryptoRandom(): RandomSource {
  const buffer = new Uint32Array(1);
  return { next: () => (crypto.getRandomValues(buffer)[0] ?? 0) / 4_294_967_296 };
}

export function startGossipNode(options: GossipNodeOptions): GossipNode {
  const { transport, keyring } = options;
  const label = options.label ?? DEFAULT_LABEL;
  const wall = options.wallClock ?? (() => Date.now());
  const monotonic = options.monotonicClock ?? (() => performance.now());
  const debug = (message: string, fields: LogFields) => options.logger?.debug(message, fields);
  const address = options.advertise ?? transport.address;
  const core = new Swim({
    ...options.timing,
    name: options.name,
    address,
    meta: options.meta ?? {},
    random: options.random ?? cryptoRandom(),
    nowMs: monotonic(),
  });
  const tickMs = options.tickMs ?? HOST_TICK_MS;
  if (tickMs * 2 > core.timing.probeTimeoutMs) {
    throw new Error(
      `gossip: tickMs (${tickMs}) must be at most half of probeTimeoutMs (${core.timing.probeTimeoutMs}), or every tick looks like a pause`,
    );
  }
  const stats = emptyStats();
  const replay = new ReplayWindow();
  const listeners = new Set<(event: MemberEvent) => void>();
  const pending = new PendingOpens(options.pendingLimits);
  // Gossip addresses of live peers: their datagrams have their own lane of pending opens. Rebuilt whenever the
  // core reports a member event (joined, left, failed, reaped, updated address), the only times it changes.
  let memberAddresses = new Set<string>();
  const refreshMemberAddresses = () => {
    memberAddresses = new Set(
      core
        .members()
        .filter((m) => m.name !== options.name && (m.status === "alive" || m.status === "suspect"))
        .map((m) => addressKey(m.address)),
    );
  };
  let running = true;

  const send = async (bytes: Uint8Array, to: Address, reliable: boolean) => {
    const sealed = await sealEnvelope(keyring, label, bytes, wall());
    if (!running) return;
    stats.bytesSent += sealed.length;
    if (!reliable) {
      stats.packetsSent++;
      transport.sendPacket(to, sealed);
      return;
    }
    stats.pushPullsSent++;
    await transport.sendReliable(to, sealed);
  };

  const dispatch = (output: Output) => {
    for (const outgoing of output.send) {
      const reliable = outgoing.kind === "reliable";
      const bytes = reliable ? encodeMessage(outgoing.message) : encodePacket(outgoing.messages);
      send(bytes, outgoing.to, reliable).catch((error: unknown) => {
        stats.pushPullFailures++;
        debug("gossip: send failed", { to: outgoing.to, reliable, error });
      });
    }
    if (output.events.length > 0) refreshMemberAddresses();
    for (const event of output.events) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          debug("gossip: event listener threw", { error });
        }
      }
    }
  };

  const receive = async (from: Address, bytes: Uint8Array) => {
    const opened = await openEnvelope(keyring, label, bytes);
    if (!opened.ok) return countDrop(stats, opened.reason);
    const verdict = replay.check(opened.timestampMs, opened.nonce, wall());
    if (verdict !== "fresh") return countDrop(stats, verdict);
    const decoded = decodePacket(opened.payload);
    if (!decoded.ok) {
      debug("gossip: malformed message", { from, reason: decoded.reason });
      return countDrop(stats, "malformed");
    }
    if (!running) return;
    for (const message of decoded.messages) dispatch(core.handle(from, message, monotonic()));
  };

  transport.listen({
    deliver: (from, bytes, reliable) => {
      stats.packetsReceived++;
      stats.bytesReceived += bytes.length;
      // Decided before any work: a full lane costs a flood one comparison per datagram.
      const lane = reliable ? "frame" : memberAddresses.has(addressKey(from)) ? "member" : "stranger";
      if (!pending.tryAcquire(lane)) return countDrop(stats, "overloaded");
      receive(from, bytes)
        .catch((error: unknown) => {
          countDrop(stats, "malformed");
          debug("gossip: receive failed", { from, error });
        })
        .finally(() => pending.release(lane));
    },
    drop: (reason) => countDrop(stats, reason),
  });

  const timer = setInterval(() => {
    if (running) dispatch(core.tick(monotonic()));
  }, tickMs);

  const stop = async () => {
    if (!running) return;
    running = false;
    clearInterval(timer);
    await transport.close();
  };

  return {
    name: options.name,
    address,
    members: () => core.members(),
    liveMembers: () => core.members().filter((m) => m.status === "alive" || m.status === "suspect"),
    join: (seeds) => dispatch(core.join(seeds, monotonic())),
    setSeeds: (seeds) => core.setSeeds(seeds),
    setMeta: (meta) => dispatch(core.setMeta(meta)),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stats: () => structuredClone(stats),
    async leave(graceMs = LEAVE_GRACE_MS) {
      if (!running) return;
      dispatch(core.leave(monotonic()));
      await new Promise((resolve) => setTimeout(resolve, graceMs));
      await stop();
    },
    stop,
  };
}
