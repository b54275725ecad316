/**
 * CIDR membership for secret_id `cidr_list`, `secret_id_bound_cidrs` and `token_bound_cidrs`. Source addresses are
 * normalised first: an IPv4-mapped IPv6 address (::ffff:127.0.0.1, as dual-stack sockets report) is the IPv4 one.
 */
import { isIP } from "node:net";

export function normalizeAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

function toBigInt(address: string): { value: bigint; bits: number } | undefined {
  const version = isIP(address);
  if (version === 4) {
    const value = address.split(".").reduce((acc, part) => (acc << 8n) + BigInt(Number(part)), 0n);
    return { value, bits: 32 };
  }
  if (version === 6) {
    const [head = "", tail = ""] = address.split("::");
    const headParts = head ? head.split(":") : [];
    const tailParts = tail ? tail.split(":") : [];
    const missing = address.includes("::") ? 8 - headParts.length - tailParts.length : 0;
    const parts = [...headParts, ...Array<string>(missing).fill("0"), ...tailParts];
    return {
      value: parts.reduce((acc, part) => (acc << 16n) + BigInt(Number.parseInt(part || "0", 16)), 0n),
      bits: 128,
    };
  }
  return undefined;
}

/** Throws a message naming the bad block when `cidr` is not an address or address/prefix. */
export function validateCidr(cidr: string): void {
  const [address = "", prefix] = cidr.split("/");
  const parsed = toBigInt(address);
  const length = prefix === undefined ? parsed?.bits : Number(prefix);
  if (!parsed || length === undefined || !Number.isInteger(length) || length < 0 || length > parsed.bits)
    throw new Error(`invalid CIDR block ${JSON.stringify(cidr)}`);
}

export function addressInCidr(address: string, cidr: string): boolean {
  const [network = "", prefix] = cidr.split("/");
  const ip = toBigInt(normalizeAddress(address));
  const net = toBigInt(normalizeAddress(network));
  if (!ip || !net || ip.bits !== net.bits) return false;
  const length = prefix === undefined ? net.bits : Number(prefix);
  const shift = BigInt(net.bits - length);
  return ip.value >> shift === net.value >> shift;
}

export const addressInAnyCidr = (address: string, cidrs: string[]): boolean =>
  cidrs.some((cidr) => addressInCidr(address, cidr));

/** Whether every block of `inner` lies inside some block of `outer`. */
export function cidrsWithin(inner: string[], outer: string[]): boolean {
  return inner.every((block) => {
    const [network = "", prefix] = block.split("/");
    const bits = toBigInt(network)?.bits ?? 32;
    const length = prefix === undefined ? bits : Number(prefix);
    return outer.some((o) => {
      const oLength = Number(o.split("/")[1] ?? bits);
      return oLength <= length && addressInCidr(network, o);
    });
  });
}
