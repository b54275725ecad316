/**
 * Listen addresses and the Vault address.
 *
 * Contract: `listenAddress` accepts `host:port`, `[v6]:port` and `:port` (all interfaces, IPv4 and IPv6, as in Go);
 * `vaultAddress` accepts an http(s) URL with nothing after the host and port, returns its origin, and warns about
 * plain http to anything but loopback (tokens would cross the network in clear text).
 */
import { isIP } from "node:net";
import { accept, type Converter, refuse } from "./fields.ts";

export interface ListenAddress {
  hostname: string;
  port: number;
}

/** The hostname meaning "every interface, IPv4 and IPv6": binding "::" is dual-stack on Linux. */
export const ALL_INTERFACES = "::";

const LISTEN_FIX = 'use host:port, [IPv6]:port or :port, e.g. "0.0.0.0:8080", "[::]:50000" or ":8080"';

export const listenAddress: Converter<ListenAddress> = (raw) => {
  const trimmed = raw.trim();
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(trimmed);
  if (!match) return refuse(`"${trimmed}" is not an address with a port`, LISTEN_FIX);
  const [, bracketed, plain, portText] = match;
  const port = Number(portText);
  if (port < 1 || port > 65535) return refuse(`port ${port} is outside 1..65535`, LISTEN_FIX);
  if (bracketed !== undefined) {
    return isIP(bracketed) === 6
      ? accept({ hostname: bracketed, port })
      : refuse(`"${bracketed}" inside brackets is not an IPv6 address`, LISTEN_FIX);
  }
  const host = plain ?? "";
  if (host === "") return accept({ hostname: ALL_INTERFACES, port });
  if (isIP(host) === 4 || /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host))
    return accept({ hostname: host, port });
  return refuse(`"${host}" is not a hostname or IPv4 address`, LISTEN_FIX);
};

/** For built-in defaults, which are constants: a failure is a bug, not a configuration problem. */
export function defaultListenAddress(text: string): ListenAddress {
  const parsed = listenAddress(text);
  if (!parsed.ok) throw new Error(`built-in default listen address ${text} is invalid`);
  return parsed.value;
}

function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    bare === "localhost" ||
    bare.endsWith(".localhost") ||
    bare === "::1" ||
    (isIP(bare) === 4 && bare.startsWith("127."))
  );
}

export interface VaultAddress {
  /** Origin only, e.g. "https://vault.vault.svc:8200". */
  addr: string;
  warnings: string[];
}

const VAULT_ADDR_FIX =
  "use the scheme, host and port only, e.g. https://vault.vault.svc:8200 (the client adds /v1/...)";

export const vaultAddress: Converter<VaultAddress> = (raw) => {
  const trimmed = raw.trim();
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return refuse(`"${trimmed}" is not a URL`, VAULT_ADDR_FIX);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:")
    return refuse(`the scheme ${url.protocol.replace(/:$/, "")} is not http or https`, VAULT_ADDR_FIX);
  if (url.username || url.password)
    return refuse(
      "it contains a user name or password",
      "remove the credentials from the URL; the controller authenticates with VAULT_TOKEN",
    );
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash)
    return refuse(
      `it has a path, query or fragment ("${url.pathname}${url.search}${url.hash}")`,
      VAULT_ADDR_FIX,
    );
  const warnings =
    url.protocol === "http:" && !isLoopbackHost(url.hostname)
      ? [
          `VAULT_ADDR uses plain http to ${url.host}: Vault tokens and secret_ids will cross the network unencrypted; use https://`,
        ]
      : [];
  return accept({ addr: url.origin, warnings });
};

/**
 * VAULT_ADDR where plain http cannot work: the init sends the role_id and secret_id to its Vault, and refuses a push
 * naming an http:// Vault (so a controller configured with one could serve no pod). `why` says it for the reader.
 */
export function httpsVaultAddress(why: string): Converter<VaultAddress> {
  return (raw) => {
    const parsed = vaultAddress(raw);
    if (parsed.ok && !parsed.value.addr.startsWith("https:"))
      return refuse(
        `uses plain http: ${why}`,
        "use Vault's https:// address, e.g. https://vault.vault.svc:8200",
      );
    return parsed;
  };
}
