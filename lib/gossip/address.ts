/**
 * Member addresses: an IPv4 or IPv6 literal and a port. `addressKey` gives the one canonical string form
 * ("10.0.0.1:45678", "[fd00::1]:45678") used for map keys and logs; `parseAddress` reads that form back.
 */
import { isIP } from "node:net";

export interface Address {
  readonly host: string;
  readonly port: number;
}

export function isValidAddress(address: Address): boolean {
  return (
    isIP(address.host) !== 0 && Number.isInteger(address.port) && address.port > 0 && address.port < 65536
  );
}

export function addressKey(address: Address): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export function sameAddress(a: Address, b: Address): boolean {
  return a.host === b.host && a.port === b.port;
}

/** Parses "host:port" or "[v6]:port"; throws an Error naming the problem and the expected form. */
export function parseAddress(text: string): Address {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const plain = /^([^:]+):(\d+)$/.exec(text);
  const match = bracketed ?? plain;
  const address = match ? { host: match[1] ?? "", port: Number(match[2]) } : undefined;
  if (!address || !isValidAddress(address)) {
    throw new Error(`gossip: "${text}" is not an address; expected "<ipv4>:<port>" or "[<ipv6>]:<port>"`);
  }
  return address;
}
