/**
 * Every section of `bun run bench`, in the order they run (floor before push: the push goal is judged against
 * it). Adding a figure = adding its section here; run.ts and the report need no change.
 */
import { burstSection } from "./burst.ts";
import { failoverSection } from "./failover.ts";
import { floorSection } from "./floor.ts";
import { gossipSection } from "./gossip.ts";
import { initSection } from "./init.ts";
import { pushLatencySection } from "./push-latency.ts";
import { raftSection } from "./raft.ts";
import { rss10kSection } from "./rss-10k.ts";
import type { AnySection } from "./types.ts";

export * from "./types.ts";

export const SECTIONS: readonly AnySection[] = [
  initSection,
  floorSection,
  pushLatencySection,
  burstSection,
  failoverSection,
  rss10kSection,
  raftSection,
  gossipSection,
];
