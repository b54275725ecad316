// The PKI secrets engine over HTTPS: root CA, roles, issue with SANs, verified against the CA chain.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { describeCertificate, verifyLeaf } from "../../lib/tls/index.ts";
import { at, type SimHarness, startHarness, str } from "./support.ts";

let h: SimHarness;
let caPem: string;
beforeAll(async () => {
  h = await startHarness("127.0.0.1");
  expect(
    (await h.call("POST", "sys/mounts/pki", { body: { type: "pki", config: { max_lease_ttl: "87600h" } } }))
      .status,
  ).toBe(204);
  const root = await h.call("POST", "pki/root/generate/internal", {
    body: { common_name: "sandbox root", ttl: "87600h" },
  });
  expect(root.status).toBe(200);
  caPem = str(at(root.json, "data.certificate"));
  expect(at(root.json, "data.private_key")).toBeUndefined();
  const role = await h.call("POST", "pki/roles/metrics", {
    body: {
      allowed_domains: "svc.cluster.local",
      allow_subdomains: true,
      allow_ip_sans: true,
      max_ttl: "72h",
      ttl: "24h",
    },
  });
  expect(role.status).toBe(200);
});
afterAll(() => h.close());

describe("api-docs/system/mounts#list-mounted-secrets-engines", () => {
  test("sys/mounts lists the pki mount in data and, like Vault, at the top level", async () => {
    const mounts = await h.call("GET", "sys/mounts");
    const data = at(mounts.json, "data") as Record<string, { type: string }>;
    expect(data["pki/"]?.type).toBe("pki");
    expect((mounts.json as Record<string, { type: string }>)["pki/"]?.type).toBe("pki");
  });
});

describe("api-docs/secret/pki#generate-certificate-and-key", () => {
  test("issue returns a leaf with the requested SANs, signed by the mount's CA", async () => {
    const issued = await h.call("POST", "pki/issue/metrics", {
      body: {
        common_name: "controller.default.svc.cluster.local",
        alt_names: "a.svc.cluster.local",
        ip_sans: ["127.0.0.9"],
        ttl: "1h",
      },
    });
    expect(issued.status).toBe(200);
    const data = at(issued.json, "data") as Record<string, unknown>;
    expect(Object.keys(data).sort()).toEqual(
      [
        "ca_chain",
        "certificate",
        "expiration",
        "issuing_ca",
        "private_key",
        "private_key_type",
        "serial_number",
      ].sort(),
    );
    expect(data.issuing_ca).toBe(caPem);
    expect(data.ca_chain).toEqual([caPem]);
    expect(data.private_key_type).toBe("ec");
    expect(str(data.serial_number)).toMatch(/^([0-9a-f]{2}:)+[0-9a-f]{2}$/);
    const leaf = describeCertificate(str(data.certificate));
    expect(leaf.subjectCommonName).toBe("controller.default.svc.cluster.local");
    expect(leaf.dnsNames.sort()).toEqual(["a.svc.cluster.local", "controller.default.svc.cluster.local"]);
    expect(leaf.ipSans).toEqual(["127.0.0.9"]);
    expect(await verifyLeaf(str(data.certificate), [caPem])).toBe(true);
    const expected = Math.floor(h.sim.clock.now() / 1000) + 3600;
    expect(Math.abs(Number(data.expiration) - expected)).toBeLessThanOrEqual(5);
  });

  test("names outside the role are refused with Vault's message", async () => {
    const answer = await h.call("POST", "pki/issue/metrics", { body: { common_name: "evil.example.com" } });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual({ errors: ["common name evil.example.com not allowed by this role"] });
    const alt = await h.call("POST", "pki/issue/metrics", {
      body: { common_name: "ok.svc.cluster.local", alt_names: "bad.example.org" },
    });
    expect(alt.json).toEqual({ errors: ["subject alternate name bad.example.org not allowed by this role"] });
  });

  test("a TTL above the role's max_ttl is capped with a warning", async () => {
    const answer = await h.call("POST", "pki/issue/metrics", {
      body: { common_name: "x.svc.cluster.local", ttl: "100h" },
    });
    expect(answer.status).toBe(200);
    expect(String(at(answer.json, "warnings"))).toContain("maxTTL");
    const expected = Math.floor(h.sim.clock.now() / 1000) + 72 * 3600;
    expect(Math.abs(Number(at(answer.json, "data.expiration")) - expected)).toBeLessThanOrEqual(5);
  });

  test("an unknown role is a 400", async () => {
    expect((await h.call("POST", "pki/issue/none", { body: { common_name: "a" } })).json).toEqual({
      errors: ["unknown role: none"],
    });
  });
});

describe("api-docs/secret/pki#read-issuer-certificate", () => {
  test("ca/pem is raw PEM without a token; cert/ca is JSON", async () => {
    const pem = await h.call("GET", "pki/ca/pem", { token: "" });
    expect(pem.status).toBe(200);
    expect(pem.text.trim()).toBe(caPem);
    const json = await h.call("GET", "pki/cert/ca", { token: "" });
    expect(at(json.json, "data.certificate")).toBe(caPem);
  });
});
