// Listen addresses (host:port, [v6]:port, :port) and VAULT_ADDR (http(s) origin, plain-http warning).
import { describe, expect, test } from "bun:test";
import { ALL_INTERFACES, listenAddress, vaultAddress } from "../../lib/config/index.ts";

describe("listenAddress", () => {
  const accepted: [string, string, number][] = [
    ["0.0.0.0:8080", "0.0.0.0", 8080],
    ["127.0.0.1:1", "127.0.0.1", 1],
    ["[::]:50000", "::", 50000],
    ["[fe80::1]:443", "fe80::1", 443],
    [":8080", ALL_INTERFACES, 8080],
    ["localhost:65535", "localhost", 65535],
  ];
  for (const [text, hostname, port] of accepted)
    test(`accepts ${text}`, () =>
      expect(listenAddress(text)).toEqual({ ok: true, value: { hostname, port } }));

  for (const text of [
    "8080",
    "0.0.0.0",
    "0.0.0.0:0",
    "0.0.0.0:70000",
    "::1:80",
    "[nothost]:80",
    "a b:80",
    "host:port",
  ])
    test(`refuses ${JSON.stringify(text)} and shows the accepted forms`, () => {
      const result = listenAddress(text);
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(`${result.problem} ${result.fix}`).toMatch(/host:port|\[IPv6\]:port|1\.\.65535|IPv6|hostname/);
    });
});

describe("vaultAddress", () => {
  test("keeps only the origin", () => {
    expect(vaultAddress("https://vault.vault.svc:8200/")).toEqual({
      ok: true,
      value: { addr: "https://vault.vault.svc:8200", warnings: [] },
    });
  });
  test("plain http to loopback is fine, to anything else it warns", () => {
    for (const addr of [
      "http://127.0.0.1:8200",
      "http://localhost:8200",
      "http://[::1]:8200",
      "http://127.9.9.9:1",
    ]) {
      const result = vaultAddress(addr);
      expect(result.ok && result.value.warnings).toEqual([]);
    }
    const remote = vaultAddress("http://vault.example:8200");
    expect(remote.ok && remote.value.warnings.join()).toContain("plain http to vault.example:8200");
  });
  for (const [addr, words] of [
    ["vault:8200", "scheme"],
    ["not a url", "not a URL"],
    ["ftp://vault:21", "not http or https"],
    ["https://vault:8200/v1", "path"],
    ["https://vault:8200/?x=1", "query"],
    ["https://vault:8200/#frag", "fragment"],
    ["https://user:pw@vault:8200", "password"],
  ] as const)
    test(`refuses ${addr}`, () => {
      const result = vaultAddress(addr);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problem).toContain(words);
    });
});
