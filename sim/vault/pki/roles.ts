/**
 * PKI role CRUD (api-docs/secret/pki#create-update-role) with Vault's defaults: allow_localhost, allow_ip_sans,
 * enforce_hostnames, server_flag, client_flag and require_cn are on unless turned off.
 */
import type { FieldSpec, ParsedFields } from "../core/fields.ts";
import { type LogicalRequest, listResponse, type Route } from "../core/logical.ts";
import type { PkiRole } from "./names.ts";

const ROLE_FIELDS: FieldSpec = {
  allowed_domains: "strings",
  allow_subdomains: "bool",
  allow_bare_domains: "bool",
  allow_glob_domains: "bool",
  allow_any_name: "bool",
  allow_ip_sans: "bool",
  allow_localhost: "bool",
  enforce_hostnames: "bool",
  server_flag: "bool",
  client_flag: "bool",
  ttl: "duration",
  max_ttl: "duration",
  key_type: "string",
  key_bits: "int",
  require_cn: "bool",
  generate_lease: "bool",
  no_store: "bool",
  organization: "strings",
  ou: "strings",
  issuer_ref: "string",
};

function applyFields(role: PkiRole, f: ParsedFields): PkiRole {
  return {
    ...role,
    allowedDomains: f.strings("allowed_domains") ?? role.allowedDomains,
    allowSubdomains: f.bool("allow_subdomains") ?? role.allowSubdomains,
    allowBareDomains: f.bool("allow_bare_domains") ?? role.allowBareDomains,
    allowGlobDomains: f.bool("allow_glob_domains") ?? role.allowGlobDomains,
    allowAnyName: f.bool("allow_any_name") ?? role.allowAnyName,
    allowIpSans: f.bool("allow_ip_sans") ?? role.allowIpSans,
    allowLocalhost: f.bool("allow_localhost") ?? role.allowLocalhost,
    enforceHostnames: f.bool("enforce_hostnames") ?? role.enforceHostnames,
    serverFlag: f.bool("server_flag") ?? role.serverFlag,
    clientFlag: f.bool("client_flag") ?? role.clientFlag,
    ttl: f.duration("ttl") ?? role.ttl,
    maxTtl: f.duration("max_ttl") ?? role.maxTtl,
    keyType: f.string("key_type") ?? role.keyType,
    keyBits: f.int("key_bits") ?? role.keyBits,
    requireCn: f.bool("require_cn") ?? role.requireCn,
  };
}

function roleData(role: PkiRole): Record<string, unknown> {
  return {
    allow_any_name: role.allowAnyName,
    allow_bare_domains: role.allowBareDomains,
    allow_glob_domains: role.allowGlobDomains,
    allow_ip_sans: role.allowIpSans,
    allow_localhost: role.allowLocalhost,
    allow_subdomains: role.allowSubdomains,
    allowed_domains: role.allowedDomains,
    client_flag: role.clientFlag,
    enforce_hostnames: role.enforceHostnames,
    issuer_ref: "default",
    key_bits: role.keyBits,
    key_type: role.keyType,
    max_ttl: role.maxTtl,
    require_cn: role.requireCn,
    server_flag: role.serverFlag,
    ttl: role.ttl,
  };
}

export function pkiRoleRoutes(roles: Map<string, PkiRole>): Route[] {
  const write = ({ params, fields }: LogicalRequest) => {
    const name = params.name ?? "";
    const base: PkiRole = roles.get(name) ?? {
      name,
      allowedDomains: [],
      allowSubdomains: false,
      allowBareDomains: false,
      allowGlobDomains: false,
      allowAnyName: false,
      allowIpSans: true,
      allowLocalhost: true,
      enforceHostnames: true,
      serverFlag: true,
      clientFlag: true,
      ttl: 0,
      maxTtl: 0,
      keyType: "rsa",
      keyBits: 0,
      requireCn: true,
    };
    const role = applyFields(base, fields);
    roles.set(name, role);
    return { data: roleData(role) };
  };
  return [
    { pattern: "roles", operations: { list: () => listResponse([...roles.keys()].sort()) } },
    {
      pattern: "roles/:name",
      fields: ROLE_FIELDS,
      exists: ({ name }) => roles.has(name ?? ""),
      operations: {
        read: ({ params }) => {
          const role = roles.get(params.name ?? "");
          return role && { data: roleData(role) };
        },
        create: write,
        update: write,
        delete: ({ params }) => {
          roles.delete(params.name ?? "");
        },
      },
    },
  ];
}
