/**
 * How the controller recognises the init container it means to push to.
 *
 * The init container mints a fresh self-signed certificate at start-up, so no CA can vouch for it. What the
 * controller can check is that the certificate names the pod IP it read from the Kubernetes API (an IP SAN) and is
 * within its validity window: a process squatting on another address cannot present it, and a stale one is refused.
 * This is a weaker guarantee than a CA (anyone on the pod's IP could mint one), which is why the push also
 * authenticates the controller to the init with a client certificate.
 *
 * Why node:crypto's X509Certificate and not lib/tls's describeCertificate: this runs once per push, and the native
 * parser takes ~7 µs where @peculiar/x509's pure-JS ASN.1 takes ~1.3 ms (13 % of the leader's CPU in a burst).
 */
import { X509Certificate } from "node:crypto";
import { formatHostPort } from "../runtime/index.ts";
import { INIT_PORT, PUSH_PATH } from "./request.ts";

/** IPv6 text has many spellings; compare the canonical one. */
function canonicalIp(ip: string): string {
  return ip.includes(":") ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/** The IP SANs, only to explain a refusal: node:crypto spells them "IP Address:<ip>" (IPv6 expanded, upper case) in one comma list. */
function ipSansOf(certificate: X509Certificate): string[] {
  return (certificate.subjectAltName ?? "")
    .split(", ")
    .filter((name) => name.startsWith("IP Address:"))
    .map((name) => canonicalIp(name.slice("IP Address:".length)));
}

/** The URL a push goes to; brackets IPv6 pod IPs. */
export function pushUrl(podIp: string, port = INIT_PORT): string {
  return `https://${formatHostPort(podIp, port)}${PUSH_PATH}`;
}

/** A `peer-check` for createHttpClient: returns a refusal text, or undefined when the certificate is acceptable. */
export function initCertificateCheck(
  podIp: string,
  now: () => Date = () => new Date(),
): (certificateDer: Uint8Array) => string | undefined {
  return (certificateDer) => {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(certificateDer);
    } catch {
      return "the init container presented a certificate that cannot be parsed";
    }
    // checkIP compares address bytes, so any spelling of an IPv6 address matches its SAN.
    if (certificate.checkIP(canonicalIp(podIp)) === undefined)
      return `the init container's certificate names ${ipSansOf(certificate).join(", ") || "no IP"}, not the pod IP ${podIp}`;
    const at = now();
    const notBefore = certificate.validFromDate;
    const notAfter = certificate.validToDate;
    if (at < notBefore || at > notAfter)
      return `the init container's certificate is not valid now (valid ${notBefore.toISOString()} to ${notAfter.toISOString()})`;
    return undefined;
  };
}
