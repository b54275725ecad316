// lib/push: the request schema against the original's wire format, answer classification, and the certificate check.
import { describe, expect, test } from "bun:test";
import { formatGoDuration } from "../../lib/init/index.ts";
import {
  classifyPushAnswer,
  decodeVaultCAs,
  encodeVaultCAs,
  initCertificateCheck,
  parsePushRequest,
  pushUrl,
  REJECTION_STATUS,
} from "../../lib/push/index.ts";
import { selfSignedLeaf } from "../../lib/tls/index.ts";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

describe("parsePushRequest", () => {
  test("accepts the original controller's JSON, including Go's nanosecond RFC 3339 and null CAs", () => {
    const goJson = `{"token":"s.abc","creationTime":"2017-03-01T10:11:12.123456789+11:00","ttl":60,"vaultAddr":"https://vault:8200","vaultCAs":null}`;
    const parsed = parsePushRequest(JSON.parse(goJson));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(decodeVaultCAs(parsed.push)).toBeUndefined();
  });

  test("vaultCAs round-trips as base64 PEM, as Go marshalled []byte", () => {
    const parsed = parsePushRequest({
      token: "s.abc",
      creationTime: "2017-03-01T10:11:12Z",
      ttl: 60,
      vaultAddr: "https://vault:8200",
      vaultCAs: encodeVaultCAs(PEM),
    });
    expect(parsed.ok && decodeVaultCAs(parsed.push)).toBe(PEM);
  });

  test("refuses wrong types and values, naming each field", () => {
    const parsed = parsePushRequest({
      token: "",
      creationTime: "yesterday",
      ttl: 0.5,
      vaultAddr: "ftp://x",
      vaultCAs: 3,
    });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.problems).toHaveLength(5);
      for (const field of ["token", "creationTime", "ttl", "vaultAddr", "vaultCAs"])
        expect(parsed.problems.some((p) => p.startsWith(`${field}:`))).toBe(true);
    }
    expect(parsePushRequest("a string").ok).toBe(false);
  });

  test("vaultAddr must be https://: a plain-http Vault (even on loopback) is refused, saying why", () => {
    for (const vaultAddr of ["http://vault:8200", "http://127.0.0.66:8299", "HTTP://vault:8200"]) {
      const parsed = parsePushRequest({
        token: "s.abc",
        creationTime: "2017-03-01T10:11:12Z",
        ttl: 60,
        vaultAddr,
        vaultCAs: null,
      });
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.problems).toHaveLength(1);
        expect(parsed.problems[0]).toStartWith("vaultAddr: vaultAddr must be an https:// URL");
        expect(parsed.problems[0]).toContain("plain http");
      }
    }
  });
});

describe("classifyPushAnswer", () => {
  test("maps every rejection reason to an action, and statuses without a body sensibly", () => {
    expect(classifyPushAnswer(200)).toBe("delivered");
    expect(classifyPushAnswer(409, { reason: "busy", error: "" })).toBe("retry-same");
    expect(classifyPushAnswer(410, { reason: "already-delivered", error: "" })).toBe("finished");
    expect(classifyPushAnswer(403, { reason: "wrapping-token-expired", error: "" })).toBe("retry-fresh");
    expect(classifyPushAnswer(403, { reason: "creation-path-mismatch", error: "" })).toBe("give-up");
    expect(classifyPushAnswer(502, { reason: "login-failed", error: "" })).toBe("retry-fresh");
    expect(classifyPushAnswer(503)).toBe("retry-same");
    expect(classifyPushAnswer(500)).toBe("retry-fresh");
    expect(classifyPushAnswer(404)).toBe("give-up");
    for (const status of Object.values(REJECTION_STATUS)) expect(status).toBeGreaterThanOrEqual(400);
  });
});

describe("initCertificateCheck", () => {
  test("accepts a certificate naming the pod IP while valid, refuses others", async () => {
    const leaf = await selfSignedLeaf({
      commonName: "init",
      ipSans: ["127.1.0.5"],
      ttlMs: 60_000,
      usages: ["server"],
    });
    const der = new Uint8Array(Buffer.from(leaf.certPem.replace(/-----[^-]+-----|\s/g, ""), "base64"));
    expect(initCertificateCheck("127.1.0.5")(der)).toBeUndefined();
    expect(initCertificateCheck("127.1.0.6")(der)).toContain("not the pod IP 127.1.0.6");
    expect(initCertificateCheck("127.1.0.5", () => new Date(Date.now() + 3_600_000))(der)).toContain(
      "not valid now",
    );
    expect(initCertificateCheck("127.1.0.5")(new Uint8Array([1, 2, 3]))).toContain("cannot be parsed");
  });

  test("an IPv6 pod IP matches its SAN in any spelling", async () => {
    const leaf = await selfSignedLeaf({
      commonName: "init",
      ipSans: ["fd00::1"],
      ttlMs: 60_000,
      usages: ["server"],
    });
    const der = new Uint8Array(Buffer.from(leaf.certPem.replace(/-----[^-]+-----|\s/g, ""), "base64"));
    expect(initCertificateCheck("fd00:0:0::1")(der)).toBeUndefined();
    expect(initCertificateCheck("fd00::2")(der)).toContain("names fd00::1, not the pod IP fd00::2");
  });

  test("pushUrl brackets IPv6", () => {
    expect(pushUrl("10.0.0.1")).toBe("https://10.0.0.1:50000/");
    expect(pushUrl("fd00::1", 50001)).toBe("https://[fd00::1]:50001/");
  });
});

test("formatGoDuration spells durations as Go does", () => {
  expect(formatGoDuration(300_000)).toBe("5m0s");
  expect(formatGoDuration(1_500)).toBe("1.5s");
  expect(formatGoDuration(3_600_000)).toBe("1h0m0s");
  expect(formatGoDuration(250)).toBe("250ms");
});
