/**
 * The in-memory twin of the UDP transport, for host-level tests: same interface, same size limits, async
 * delivery (a later macrotask, like a socket), optional seeded loss on packets, and cuts between addresses.
 * What it does not do: reorder packets, delay reliable frames realistically, or model congestion.
 */
import { type Address, addressKey } from "../address.ts";
import type { RandomSource } from "../core/types.ts";
import { MAX_PACKET_BYTES, MAX_RELIABLE_FRAME_BYTES } from "../defaults.ts";
import type { Transport, TransportListener } from "./types.ts";

export interface MemoryNetwork {
  open(address: Address): Transport;
  /** Drops everything between a and b, both ways, until `restore`. */
  cut(a: Address, b: Address): void;
  restore(): void;
  lossRate: number;
}

export function createMemoryNetwork(random: RandomSource = { next: () => 0.5 }): MemoryNetwork {
  const listeners = new Map<string, TransportListener | undefined>();
  const cuts = new Set<string>();
  const cutKey = (a: Address, b: Address) => [addressKey(a), addressKey(b)].sort().join("|");
  const network: MemoryNetwork = {
    lossRate: 0,
    cut: (a, b) => void cuts.add(cutKey(a, b)),
    restore: () => cuts.clear(),
    open(address) {
      const self = addressKey(address);
      if (listeners.has(self)) throw new Error(`memory transport: ${self} is already in use`);
      listeners.set(self, undefined);
      const reachable = (to: Address) => listeners.has(addressKey(to)) && !cuts.has(cutKey(address, to));
      const deliver = (to: Address, bytes: Uint8Array, reliable: boolean) =>
        setTimeout(() => listeners.get(addressKey(to))?.deliver(address, bytes.slice(), reliable), 0);
      return {
        address,
        listen: (listener) => void listeners.set(self, listener),
        sendPacket(to, bytes) {
          if (bytes.length > MAX_PACKET_BYTES || !listeners.has(self)) return;
          if (!reachable(to) || random.next() < network.lossRate) return;
          deliver(to, bytes, false);
        },
        async sendReliable(to, bytes) {
          if (!listeners.has(self)) throw new Error("memory transport: closed");
          if (bytes.length > MAX_RELIABLE_FRAME_BYTES) throw new Error("memory transport: frame too large");
          if (!reachable(to)) throw new Error(`memory transport: ${addressKey(to)} unreachable`);
          deliver(to, bytes, true);
        },
        async close() {
          listeners.delete(self);
        },
      };
    },
  };
  return network;
}
