/**
 * PKI calls: issuing a certificate (the controller's push client certificate, Raft and metrics server
 * certificates) and reading a mount's CA (what init containers and metrics clients trust).
 * API: https://developer.hashicorp.com/vault/api-docs/secret/pki
 *
 * Contract: issuing is not retried (each try mints a certificate); CA reads are. `ca/pem` answers raw PEM, not JSON.
 * Every PEM returned ends with a newline, so bundles can be joined.
 */
import * as v from "valibot";
import { VaultResponseError } from "./errors.ts";
import { call, json, mountSegments, segment, type TransportOptions, type VaultAnswer } from "./transport.ts";

export interface PkiIssueRequest {
  common_name: string;
  ip_sans?: string[];
  alt_names?: string[];
  /** Seconds. */
  ttl?: number;
}

export interface IssuedCertificatePem {
  certificatePem: string;
  /** Secret. */
  privateKeyPem: string;
  issuingCaPem: string;
  caChainPem: string[];
  serialNumber: string;
  /** Unix seconds. */
  expiration: number;
}

const pem = v.pipe(v.string(), v.includes("-----BEGIN "));

/** Vault's PEM fields lack a final newline; adding it lets callers concatenate bundles safely. */
function terminated(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}

const IssueBody = v.object({
  data: v.looseObject({
    certificate: pem,
    private_key: pem,
    issuing_ca: pem,
    ca_chain: v.optional(v.nullable(v.array(pem)), []),
    serial_number: v.string(),
    expiration: v.number(),
  }),
});

/** ip_sans and alt_names go as comma-separated strings, the form the PKI API documents. */
export async function pkiIssue(
  options: TransportOptions,
  mount: string,
  role: string,
  request: PkiIssueRequest,
): Promise<IssuedCertificatePem> {
  const path = `${mountSegments(mount)}/issue/${segment(role)}`;
  const { data } = await call(options, {
    method: "POST",
    path,
    body: {
      common_name: request.common_name,
      ...(request.ip_sans?.length ? { ip_sans: request.ip_sans.join(",") } : {}),
      ...(request.alt_names?.length ? { alt_names: request.alt_names.join(",") } : {}),
      ...(request.ttl !== undefined ? { ttl: `${Math.ceil(request.ttl)}s` } : {}),
      format: "pem",
    },
    retryable: false,
    decode: json("POST", path, IssueBody),
  });
  return {
    certificatePem: terminated(data.certificate),
    privateKeyPem: terminated(data.private_key),
    issuingCaPem: terminated(data.issuing_ca),
    caChainPem: (data.ca_chain ?? []).map(terminated),
    serialNumber: data.serial_number,
    expiration: data.expiration,
  };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** GET <mount>/ca/pem: unauthenticated, answers the CA certificate as raw PEM text. */
export async function pkiCaPem(options: TransportOptions, mount: string): Promise<string> {
  const path = `${mountSegments(mount)}/ca/pem`;
  return call(options, {
    method: "GET",
    path,
    token: null,
    retryable: true,
    decode: (answer: VaultAnswer) => {
      if (!PEM_CERTIFICATE.test(answer.text))
        throw new VaultResponseError("GET", path, answer.status, ["the body is not a PEM certificate"]);
      return terminated(answer.text);
    },
  });
}

const CertBody = v.object({ data: v.looseObject({ certificate: pem }) });

/** GET <mount>/cert/ca: unauthenticated, answers the CA certificate in JSON. */
export async function pkiCertCa(options: TransportOptions, mount: string): Promise<string> {
  const path = `${mountSegments(mount)}/cert/ca`;
  const { data } = await call(options, {
    method: "GET",
    path,
    token: null,
    retryable: true,
    decode: json("GET", path, CertBody),
  });
  return terminated(data.certificate);
}
