/**
 * X.509 certificates for our own TLS endpoints: a CA, leaves signed by it, and throw-away self-signed leaves.
 *
 * Contract: every function returns PEM strings (what node:tls, Bun and Vault all speak). Keys are ECDSA P-256:
 * generation takes milliseconds, which matters for the init container, which mints a fresh identity at start-up.
 * ASN.1 is left to @peculiar/x509; we never hand-encode it.
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const SIGNING = { name: "ECDSA", hash: "SHA-256" } as const;
/** Back-dating absorbs small clock skew between the issuer and whoever verifies. */
const CLOCK_SKEW_MS = 5 * 60_000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends KeyPairPem {
  keys: CryptoKeyPair;
  cert: x509.X509Certificate;
}

export interface LeafRequest {
  commonName: string;
  /** DNS names; IP literals belong in ipSans. */
  dnsNames?: string[];
  ipSans?: string[];
  ttlMs: number;
  /** Both by default: our endpoints are often servers and clients of each other (Raft, push). */
  usages?: ("server" | "client")[];
  now?: Date;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  return toPem(await crypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // a positive INTEGER
  return Buffer.from(bytes).toString("hex");
}

function validity(ttlMs: number, now: Date): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now.getTime() - CLOCK_SKEW_MS), notAfter: new Date(now.getTime() + ttlMs) };
}

function subjectAltNames(request: LeafRequest): x509.SubjectAlternativeNameExtension {
  const names: x509.JsonGeneralName[] = [
    ...(request.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
    ...(request.ipSans ?? []).map((value) => ({ type: "ip" as const, value })),
  ];
  return new x509.SubjectAlternativeNameExtension(names);
}

function leafExtensions(request: LeafRequest, publicKey: CryptoKey): Promise<x509.Extension[]> {
  const usages = request.usages ?? ["server", "client"];
  const ekus = usages.map((u) =>
    u === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
  );
  return x509.SubjectKeyIdentifierExtension.create(publicKey).then((ski) => [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension(ekus),
    subjectAltNames(request),
    ski,
  ]);
}

function escapeDn(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, "\\$1");
}

export async function createCertificateAuthority(
  commonName: string,
  ttlMs: number,
  now = new Date(),
): Promise<CertificateAuthority> {
  const keys = (await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${escapeDn(commonName)}`,
    ...validity(ttlMs, now),
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keys, cert, certPem: cert.toString("pem"), keyPem: await exportKeyPem(keys.privateKey) };
}

/** A leaf signed by `ca`. */
export async function issueLeaf(ca: CertificateAuthority, request: LeafRequest): Promise<KeyPairPem> {
  const keys = (await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${escapeDn(request.commonName)}`,
    issuer: ca.cert.subject,
    ...validity(request.ttlMs, request.now ?? new Date()),
    signingKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: SIGNING,
    extensions: [
      ...(await leafExtensions(request, keys.publicKey)),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportKeyPem(keys.privateKey) };
}

/** A self-signed leaf: the init container's throw-away server identity. */
export async function selfSignedLeaf(request: LeafRequest): Promise<KeyPairPem> {
  const keys = (await crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${escapeDn(request.commonName)}`,
    ...validity(request.ttlMs, request.now ?? new Date()),
    keys,
    signingAlgorithm: SIGNING,
    extensions: await leafExtensions(request, keys.publicKey),
  });
  return { certPem: cert.toString("pem"), keyPem: await exportKeyPem(keys.privateKey) };
}

export interface CertificateSummary {
  subjectCommonName: string;
  ipSans: string[];
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
  serialNumber: string;
}

/** Reads what callers check: names and validity. Accepts PEM or DER. */
export function describeCertificate(pemOrDer: string | Uint8Array): CertificateSummary {
  const cert = new x509.X509Certificate(typeof pemOrDer === "string" ? pemOrDer : new Uint8Array(pemOrDer));
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.toJSON() ?? [];
  return {
    subjectCommonName: cert.subjectName.getField("CN")[0] ?? "",
    ipSans: names.filter((n) => n.type === "ip").map((n) => n.value),
    dnsNames: names.filter((n) => n.type === "dns").map((n) => n.value),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    serialNumber: cert.serialNumber,
  };
}

/** Splits a PEM bundle into its certificates (Vault's ca_chain and our CA files may hold several). */
export function splitPemBundle(bundle: string): string[] {
  return (
    bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.map((c) => `${c}\n`) ?? []
  );
}

/** Verifies that `leafPem` was signed by one of `caPems` and is within its validity window at `now`. */
export async function verifyLeaf(leafPem: string, caPems: string[], now = new Date()): Promise<boolean> {
  const leaf = new x509.X509Certificate(leafPem);
  if (now < leaf.notBefore || now > leaf.notAfter) return false;
  for (const caPem of caPems) {
    const ca = new x509.X509Certificate(caPem);
    if (ca.subject !== leaf.issuer) continue;
    if (await leaf.verify({ publicKey: ca, signatureOnly: true })) return true;
  }
  return false;
}
