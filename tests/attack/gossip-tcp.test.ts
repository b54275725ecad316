/**
 * Issue 12, part 2: gossip TCP must not let anyone without the CLUSTER_KEY pin the controller's memory. The attacker
 * holds 400 streams to the leader's gossip port (from 16 loopback addresses), each declaring a frame of the largest
 * size the transport accepts, sending all of it but a few bytes and then one byte every 3 s, and reconnects any stream
 * the controller closes, for 40 s. The compiled controller must stay under 150 MB of RSS, refuse the streams past its
 * caps at once and cut the rest at the frame deadline (both counted), keep serving pods during and after, and its
 * gossip peer must never see it fail.
 */
import { defaults } from "../../lib/gossip/index.ts";
import { defineAttackTest } from "./gossip-harness.ts";

const CONNECTIONS = 400;
const DURATION_MS = 40_000;
/** 16 source IPs × MAX_INBOUND_STREAMS_PER_HOST (4) = 64: past the total cap (32) too. */
const SOURCES = 16;

defineAttackTest({
  title: "400 slow, almost complete push-pull frames keep the controller under 150 MB while pods are served",
  prefix: "gossip-tcp-attack-",
  mode: "tcp",
  args: (cluster, target) => [
    target,
    cluster.attackerSources(SOURCES).join(","),
    String(CONNECTIONS),
    String(defaults.MAX_RELIABLE_FRAME_BYTES),
    String(DURATION_MS),
  ],
  counted: ["streamLimit", "streamLimitHost", "frameDeadline"],
});
