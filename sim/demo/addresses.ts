/**
 * Loopback address blocks for the demo's controllers and pods that nothing else on this machine is listening in:
 * tests, benchmarks and other demos share 127.0.0.0/8 and the fixed ports (8080, 45679, 50000), so the demo takes
 * the first free block from a list unless the user named one, in which case a busy block is an error saying who to
 * ask. Linux only: reads the listening sockets from /proc/net/tcp.
 */
import { readFileSync } from "node:fs";

/** The sandbox's own default first (sim/sandbox/workloads controllerAddress), then blocks no test uses. */
const CONTROLLER_BLOCKS = ["127.0.2", ...Array.from({ length: 20 }, (_, i) => `127.0.${i + 70}`)];
/** The kubelet stand-in's default first, then blocks no test uses. */
const POD_BLOCKS = ["127.1", ...Array.from({ length: 20 }, (_, i) => `127.${i + 70}`)];

/** IPv4 addresses with a listening TCP socket right now. */
export function listeningAddresses(procNetTcp = "/proc/net/tcp"): Set<string> {
  let text: string;
  try {
    text = readFileSync(procNetTcp, "utf8");
  } catch {
    return new Set();
  }
  const found = new Set<string>();
  for (const line of text.split("\n").slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (state !== "0A" || !local) continue;
    const hex = local.split(":")[0] ?? "";
    // Little-endian: 0402007F is 127.0.2.4.
    const octets = [6, 4, 2, 0].map((at) => Number.parseInt(hex.slice(at, at + 2), 16));
    found.add(octets.join("."));
  }
  return found;
}

function busy(block: string, listening: Set<string>): boolean {
  return [...listening].some((address) => address.startsWith(`${block}.`));
}

/** `count` distinct blocks of `kind` with nothing listening in them (tests that move replicas between blocks). */
export function freeBlocks(kind: "controller" | "pod", count: number): string[] {
  const listening = listeningAddresses();
  const blocks = (kind === "controller" ? CONTROLLER_BLOCKS : POD_BLOCKS).filter((b) => !busy(b, listening));
  if (blocks.length < count)
    throw new Error(`fewer than ${count} free ${kind} address blocks on this machine`);
  return blocks.slice(0, count);
}

/** `wanted` if given (error when busy), else the first free block of `kind`. */
export function freeBlock(kind: "controller" | "pod", wanted: string | undefined): string {
  const listening = listeningAddresses();
  const flag = kind === "controller" ? "--controller-prefix" : "--pod-prefix";
  if (wanted !== undefined) {
    if (busy(wanted, listening))
      throw new Error(
        `something already listens on ${wanted}.* (another demo, test or benchmark?); stop it or pass another ${flag}`,
      );
    return wanted;
  }
  const block = (kind === "controller" ? CONTROLLER_BLOCKS : POD_BLOCKS).find((b) => !busy(b, listening));
  if (!block) throw new Error(`every ${kind} address block the demo knows is in use; pass ${flag}`);
  return block;
}
