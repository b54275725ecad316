/**
 * A PKI secrets engine (api-docs/secret/pki), one instance per mount: one internal root CA, roles, and leaf
 * certificates from issue/:role with the CA chain and a fresh private key. Keys are always ECDSA P-256, whatever
 * key_type says (lib/tls generates only those).
 */
import {
  type CertificateAuthority,
  createCertificateAuthority,
  describeCertificate,
  issueLeaf,
} from "../../../lib/tls/index.ts";
import { unixSeconds } from "../core/clock.ts";
import type { SimContext } from "../core/context.ts";
import { formatGoDuration } from "../core/duration.ts";
import { badRequest } from "../core/errors.ts";
import { type Backend, type LogicalRequest, listResponse, type Route } from "../core/logical.ts";
import { SYSTEM_MAX_TTL_SECONDS } from "../token/store.ts";
import { checkNames, type PkiRole } from "./names.ts";
import { pkiRoleRoutes } from "./roles.ts";

interface Issuer {
  ca: CertificateAuthority;
  id: string;
  keyId: string;
  name: string;
}

const colonHex = (hex: string) =>
  (hex.length % 2 ? `0${hex}` : hex).toLowerCase().match(/../g)?.join(":") ?? "";
const pemRaw = (body: string) => ({ raw: { body, contentType: "application/pem-certificate-chain" } });

export function pkiBackend(context: SimContext, mountPath: string): Backend {
  const roles = new Map<string, PkiRole>();
  const certificates = new Map<string, string>();
  let issuer: Issuer | undefined;
  const mount = () => context.mounts.get(mountPath);
  const requireIssuer = (): Issuer => {
    if (!issuer) throw badRequest("no default issuer currently configured");
    return issuer;
  };

  const generateRoot = async (request: LogicalRequest) => {
    const commonName = request.fields.string("common_name");
    if (!commonName) throw badRequest("the 'common_name' field must be specified");
    const ttl = request.fields.duration("ttl") || mount()?.maxLeaseTtl || SYSTEM_MAX_TTL_SECONDS;
    const now = context.clock.now();
    const ca = await createCertificateAuthority(commonName, ttl * 1000, new Date(now));
    const warnings = issuer ? ["this mount already had a root CA; the sim keeps only the newest one"] : [];
    issuer = {
      ca,
      id: context.ids.uuid(),
      keyId: context.ids.uuid(),
      name: request.fields.string("issuer_name") ?? "",
    };
    const serial = colonHex(describeCertificate(ca.certPem).serialNumber);
    certificates.set(serial, ca.certPem);
    const exported = request.params.type === "exported";
    return {
      data: {
        certificate: ca.certPem.trim(),
        expiration: unixSeconds(ca.cert.notAfter.getTime()),
        issuer_id: issuer.id,
        issuer_name: issuer.name,
        issuing_ca: ca.certPem.trim(),
        key_id: issuer.keyId,
        key_name: "",
        serial_number: serial,
        ...(exported ? { private_key: ca.keyPem.trim(), private_key_type: "ec" } : {}),
      },
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  };

  const issue = async (request: LogicalRequest) => {
    const role = roles.get(request.params.role ?? "");
    if (!role) throw badRequest(`unknown role: ${request.params.role ?? ""}`);
    const { ca } = requireIssuer();
    const f = request.fields;
    const commonName = f.string("common_name") ?? "";
    if (commonName === "" && role.requireCn)
      throw badRequest(
        'the common_name field is required, or must be provided in a CSR with "use_csr_common_name" set to true, unless "require_cn" is set to false',
      );
    const names = checkNames(role, commonName, f.strings("alt_names") ?? [], f.strings("ip_sans") ?? []);
    const maxTtl = role.maxTtl || mount()?.maxLeaseTtl || SYSTEM_MAX_TTL_SECONDS;
    let ttl = f.duration("ttl") || role.ttl || mount()?.defaultLeaseTtl || SYSTEM_MAX_TTL_SECONDS;
    const warnings: string[] = [];
    if (ttl > maxTtl) {
      warnings.push(
        `TTL "${formatGoDuration(ttl)}" is longer than permitted maxTTL "${formatGoDuration(maxTtl)}", so maxTTL is being used`,
      );
      ttl = maxTtl;
    }
    const now = context.clock.now();
    const notAfter = now + ttl * 1000;
    if (notAfter > ca.cert.notAfter.getTime())
      throw badRequest(
        `cannot satisfy request, as TTL would result in notAfter of ${new Date(notAfter).toISOString()} that is beyond the expiration of the CA certificate at ${ca.cert.notAfter.toISOString()}`,
      );
    const usages = [
      ...(role.serverFlag ? ["server" as const] : []),
      ...(role.clientFlag ? ["client" as const] : []),
    ];
    const leaf = await issueLeaf(ca, {
      commonName: names.commonName,
      dnsNames: names.dnsNames,
      ipSans: names.ipSans,
      ttlMs: ttl * 1000,
      now: new Date(now),
      ...(usages.length > 0 ? { usages } : {}),
    });
    const summary = describeCertificate(leaf.certPem);
    const serial = colonHex(summary.serialNumber);
    certificates.set(serial, leaf.certPem);
    return {
      data: {
        ca_chain: [ca.certPem.trim()],
        certificate: leaf.certPem.trim(),
        expiration: unixSeconds(summary.notAfter.getTime()),
        issuing_ca: ca.certPem.trim(),
        private_key: leaf.keyPem.trim(),
        private_key_type: "ec",
        serial_number: serial,
      },
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  };

  const routes: Route[] = [
    {
      pattern: "root/generate/:type",
      fields: {
        common_name: "string",
        ttl: "duration",
        issuer_name: "string",
        key_type: "string",
        key_bits: "int",
        key_name: "string",
        alt_names: "strings",
        ip_sans: "strings",
      },
      operations: {
        update: (r) => {
          if (r.params.type !== "internal" && r.params.type !== "exported")
            throw badRequest(`invalid type "${r.params.type ?? ""}": use internal or exported`);
          return generateRoot(r);
        },
      },
    },
    {
      pattern: "issue/:role",
      fields: {
        common_name: "string",
        alt_names: "strings",
        ip_sans: "strings",
        ttl: "duration",
        format: "string",
        private_key_format: "string",
        exclude_cn_from_sans: "bool",
      },
      operations: { update: issue },
    },
    {
      pattern: "ca/pem",
      unauthenticated: true,
      operations: { read: () => pemRaw(requireIssuer().ca.certPem) },
    },
    {
      pattern: "ca_chain",
      unauthenticated: true,
      operations: { read: () => pemRaw(requireIssuer().ca.certPem) },
    },
    {
      pattern: "ca",
      unauthenticated: true,
      operations: {
        read: () => ({
          raw: {
            body: new Uint8Array(requireIssuer().ca.cert.rawData),
            contentType: "application/pkix-cert",
          },
        }),
      },
    },
    {
      pattern: "cert/ca",
      unauthenticated: true,
      operations: {
        read: () => ({ data: { certificate: requireIssuer().ca.certPem.trim(), revocation_time: 0 } }),
      },
    },
    {
      pattern: "cert/:serial",
      unauthenticated: true,
      operations: {
        read: ({ params }) => {
          const pem = certificates.get((params.serial ?? "").replace(/-/g, ":").toLowerCase());
          return pem ? { data: { certificate: pem.trim(), revocation_time: 0 } } : undefined;
        },
      },
    },
    { pattern: "certs", operations: { list: () => listResponse([...certificates.keys()]) } },
    ...pkiRoleRoutes(roles),
  ];
  return { type: "pki", routes };
}
