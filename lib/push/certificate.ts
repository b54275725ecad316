/**
 * How the controller recognises the init container it means to push to.
 *
 * The init container mints a fresh self-signed certificate at start-up, so no CA can vouch for it. What the
 * controller can check is that the certificate names the pod IP it read from the Kubernetes API (an IP SAN) and is
 * within its validity window: a process squatting on another address cannot present it, and a stale one is refused.
 * This is a weaker guarantee than a CA (anyone on the pod's IP could mint one), which is why the push also
 * authenticates the controller to the init with a client certificate.
 */
import { formatHostPort } from "../runtime/index.ts";
import { describeCertificate } from "../tls/index.ts";
import { INIT_PORT, PUSH_PATH } from "./request.ts";

/** IPv6 text has many spellings; compare the canonical one. */
function canonicalIp(ip: string): string {
  return ip.includes(":") ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
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
    let summary: ReturnType<typeof describeCertificate>;
    try {
      summary = describeCertificate(certificateDer);
    } catch {
      return "the init container presented a certificate that cannot be parsed";
    }
    if (!summary.ipSans.map(canonicalIp).includes(canonicalIp(podIp)))
      return `the init container's certificate names ${summary.ipSans.join(", ") || "no IP"}, not the pod IP ${podIp}`;
    const at = now();
    if (at < summary.notBefore || at > summary.notAfter)
      return `the init container's certificate is not valid now (valid ${summary.notBefore.toISOString()} to ${summary.notAfter.toISOString()})`;
    return undefined;
  };
}
