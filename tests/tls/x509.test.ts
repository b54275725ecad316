// lib/tls: the certificates our endpoints mint must carry the names and chains that verifiers check.
import { describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import {
  createCertificateAuthority,
  describeCertificate,
  issueLeaf,
  selfSignedLeaf,
  splitPemBundle,
  verifyLeaf,
} from "../../lib/tls/index.ts";

const HOUR = 3_600_000;

describe("lib/tls", () => {
  test("a leaf names its IP and DNS SANs and chains to its CA, not to another", async () => {
    const ca = await createCertificateAuthority("ca one", HOUR);
    const other = await createCertificateAuthority("ca two", HOUR);
    const leaf = await issueLeaf(ca, {
      commonName: "controller",
      ipSans: ["127.1.0.5", "::1"],
      dnsNames: ["kv.local"],
      ttlMs: HOUR,
    });
    const summary = describeCertificate(leaf.certPem);
    expect(summary.subjectCommonName).toBe("controller");
    expect(summary.ipSans).toEqual(["127.1.0.5", "::1"]);
    expect(summary.dnsNames).toEqual(["kv.local"]);
    expect(await verifyLeaf(leaf.certPem, [ca.certPem])).toBe(true);
    expect(await verifyLeaf(leaf.certPem, [other.certPem])).toBe(false);
    // node:crypto agrees independently about the issuer and the SANs.
    const viaNode = new X509Certificate(leaf.certPem);
    expect(viaNode.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(viaNode.checkIP("127.1.0.5")).toBe("127.1.0.5");
  });

  test("an expired leaf does not verify", async () => {
    const ca = await createCertificateAuthority("ca", HOUR);
    const leaf = await issueLeaf(ca, {
      commonName: "old",
      ttlMs: 1_000,
      now: new Date(Date.now() - 10 * HOUR),
    });
    expect(await verifyLeaf(leaf.certPem, [ca.certPem])).toBe(false);
  });

  test("a self-signed leaf names the pod IP and DN metacharacters are escaped", async () => {
    const leaf = await selfSignedLeaf({ commonName: "pod,ns=x", ipSans: ["127.1.2.3"], ttlMs: HOUR });
    const summary = describeCertificate(leaf.certPem);
    expect(summary.subjectCommonName).toBe("pod,ns=x");
    expect(summary.ipSans).toEqual(["127.1.2.3"]);
    expect(leaf.keyPem).toContain("BEGIN PRIVATE KEY");
  });

  test("splitPemBundle finds every certificate", async () => {
    const a = await createCertificateAuthority("a", HOUR);
    const b = await createCertificateAuthority("b", HOUR);
    expect(splitPemBundle(`${a.certPem}junk\n${b.certPem}`)).toHaveLength(2);
    expect(splitPemBundle("nothing here")).toEqual([]);
  });
});
