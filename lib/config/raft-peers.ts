/**
 * RAFT_PEERS: a static list of controller replicas, `name=host:port` separated by commas, for clusters without gossip
 * discovery (and for the sandbox). Names are the replicas' POD_NAMEs (Raft node ids); hosts are IP addresses
 * (IPv6 in brackets) or DNS names.
 *
 * Contract: `raftPeer` converts one item; `raftPeerProblems` checks the whole list (unique names and addresses).
 * The list may or may not name this replica; when it does, its address is used as this replica's advertised one.
 */
import { isIP } from "node:net";
import { dns1123Subdomain, port } from "./converters.ts";
import type { ConfigProblem } from "./errors.ts";
import { accept, type Converter, refuse } from "./fields.ts";

export interface RaftPeer {
  /** The replica's POD_NAME, its Raft node id. */
  name: string;
  host: string;
  port: number;
}

const FIX =
  "list every replica as name=host:port separated by commas, e.g. kv-0=10.0.0.5:45679,kv-1=10.0.0.6:45679";
const DNS_NAME = /^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/;

function splitHostPort(text: string): { host: string; port: string } | undefined {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracketed) return { host: String(bracketed[1]), port: String(bracketed[2]) };
  const plain = /^([^:[\]]+):(\d+)$/.exec(text);
  return plain ? { host: String(plain[1]), port: String(plain[2]) } : undefined;
}

export const raftPeer: Converter<RaftPeer> = (raw) => {
  const item = raw.trim();
  const equals = item.indexOf("=");
  if (equals < 0) return refuse(`"${item}" has no "=" between the replica's name and its address`, FIX);
  const name = dns1123Subdomain(item.slice(0, equals));
  if (!name.ok) return refuse(`the name in "${item}": ${name.problem}`, name.fix);
  const address = splitHostPort(item.slice(equals + 1).trim());
  if (!address) return refuse(`the address in "${item}" is not host:port ([v6-address]:port for IPv6)`, FIX);
  const host = address.host;
  if (isIP(host) === 0 && !(host.length <= 253 && DNS_NAME.test(host)))
    return refuse(`"${host}" in "${item}" is neither an IP address nor a DNS name`, FIX);
  if (isIP(host) === 6 && !item.includes("[")) return refuse(`IPv6 address "${host}" needs brackets`, FIX);
  const converted = port(address.port);
  if (!converted.ok) return refuse(`the port in "${item}": ${converted.problem}`, converted.fix);
  return accept({ name: name.value, host, port: converted.value });
};

export function raftPeerProblems(peers: readonly RaftPeer[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const names = new Set<string>();
  const addresses = new Set<string>();
  for (const peer of peers) {
    if (names.has(peer.name))
      problems.push({
        variable: "RAFT_PEERS",
        problem: `replica "${peer.name}" is listed twice`,
        fix: "list each replica once",
      });
    const address = `${peer.host}:${peer.port}`;
    if (addresses.has(address))
      problems.push({
        variable: "RAFT_PEERS",
        problem: `address ${address} is given to two replicas`,
        fix: "give each replica its own address",
      });
    names.add(peer.name);
    addresses.add(address);
  }
  return problems;
}
