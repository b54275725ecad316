/**
 * Which names a PKI role may put in a certificate (api-docs/secret/pki#create-update-role): allow_any_name,
 * allow_localhost, allowed_domains with allow_bare_domains / allow_subdomains / allow_glob_domains, allow_ip_sans.
 * Errors use Vault's wording.
 */
import { isIP } from "node:net";
import { badRequest } from "../core/errors.ts";

export interface PkiRole {
  name: string;
  allowedDomains: string[];
  allowSubdomains: boolean;
  allowBareDomains: boolean;
  allowGlobDomains: boolean;
  allowAnyName: boolean;
  allowIpSans: boolean;
  allowLocalhost: boolean;
  enforceHostnames: boolean;
  serverFlag: boolean;
  clientFlag: boolean;
  ttl: number;
  maxTtl: number;
  keyType: string;
  keyBits: number;
  requireCn: boolean;
}

function globMatches(glob: string, name: string): boolean {
  const source = glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${source}$`).test(name);
}

const HOSTNAME = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?\.?$/i;

export function nameAllowed(role: PkiRole, name: string): boolean {
  if (role.enforceHostnames && !HOSTNAME.test(name)) return false;
  if (role.allowAnyName) return true;
  const lower = name.toLowerCase();
  if (role.allowLocalhost && (lower === "localhost" || lower === "localdomain")) return true;
  return role.allowedDomains.some((domain) => {
    const d = domain.toLowerCase();
    if (role.allowBareDomains && lower === d) return true;
    if (role.allowSubdomains && lower.endsWith(`.${d}`)) return true;
    return role.allowGlobDomains && d.includes("*") && globMatches(d, lower);
  });
}

export interface CertificateNames {
  commonName: string;
  dnsNames: string[];
  ipSans: string[];
}

/** Checks the request against the role; the common name is also a SAN, as Vault adds it by default. */
export function checkNames(
  role: PkiRole,
  commonName: string,
  altNames: string[],
  ipSans: string[],
): CertificateNames {
  const ips = [...ipSans];
  const dns: string[] = [];
  for (const ip of ips) if (isIP(ip) === 0) throw badRequest(`the value "${ip}" is not a valid IP address`);
  if (commonName !== "") {
    if (isIP(commonName) !== 0) ips.unshift(commonName);
    else if (!nameAllowed(role, commonName))
      throw badRequest(`common name ${commonName} not allowed by this role`);
    else dns.push(commonName);
  }
  for (const name of altNames) {
    if (isIP(name) !== 0) {
      ips.push(name);
      continue;
    }
    if (!nameAllowed(role, name)) throw badRequest(`subject alternate name ${name} not allowed by this role`);
    dns.push(name);
  }
  if (ips.length > 0 && !role.allowIpSans)
    throw badRequest(
      `IP Subject Alternative Names are not allowed in this role, but was provided ${ips.join(",")}`,
    );
  return { commonName, dnsNames: [...new Set(dns)], ipSans: [...new Set(ips)] };
}
