/**
 * Issue 12, part 4: gossip UDP must not let a garbage flood grow the controller's memory. The attacker floods the
 * leader's gossip port for 30 s with largest-size datagrams of envelope version 1 and random bytes (each would cost
 * an AES-GCM open), from 2 loopback addresses. The compiled controller must stay under 150 MB of RSS, shed the
 * excess as `overloaded` (and still try the rest: `unauthenticated`), keep serving pods during and after, and its
 * gossip peer must never see it fail.
 */
import { defineAttackTest } from "./gossip-harness.ts";

const DURATION_MS = 30_000;
const MAX_PACKETS = 10_000_000;

defineAttackTest({
  title: "a garbage UDP flood keeps the controller under 150 MB while pods are served and gossip holds",
  prefix: "gossip-udp-attack-",
  mode: "udp",
  args: (cluster, target) => [
    target,
    cluster.attackerSources(2).join(","),
    String(MAX_PACKETS),
    String(DURATION_MS),
  ],
  counted: ["unauthenticated", "overloaded"],
});
