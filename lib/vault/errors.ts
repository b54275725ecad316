/**
 * Errors from Vault calls. A VaultError names the method and API path, Vault's status and its `errors` array;
 * status 0 means Vault was not reached (network failure or timeout) and `cause` says why.
 *
 * Contract: no message, `errors` entry or cause text ever contains a token, wrapping token, secret_id or role_id:
 * the transport scrubs every secret it sent from whatever it puts in an error (Vault or a proxy may echo them).
 */

export class VaultError extends Error {
  constructor(
    readonly method: string,
    /** API path without the /v1/ prefix, e.g. "auth/token/lookup-self". */
    readonly path: string,
    readonly status: number,
    readonly errors: string[],
    readonly causeText?: string,
  ) {
    super(describe(method, path, status, errors, causeText));
    this.name = "VaultError";
  }

  /** Vault answered and refused (4xx), as opposed to failing (5xx) or not answering (0). */
  get refused(): boolean {
    return this.status >= 400 && this.status < 500;
  }
}

function describe(
  method: string,
  path: string,
  status: number,
  errors: string[],
  causeText?: string,
): string {
  const call = `Vault ${method} /v1/${path}`;
  if (status === 0) return `${call} failed: Vault was not reached (${causeText ?? "network error"})`;
  // Vault's multierror text ("1 error occurred:\n\t* permission denied\n\n") is folded onto one log line.
  const detail = errors.length > 0 ? `: ${errors.map((e) => e.replace(/\s+/g, " ").trim()).join("; ")}` : "";
  return `${call} failed with HTTP ${status}${detail}`;
}

/** Vault answered 2xx, but not with the JSON the API documents; names the field at fault, never its value. */
export class VaultResponseError extends VaultError {
  constructor(method: string, path: string, status: number, problems: string[]) {
    super(method, path, status, problems);
    this.name = "VaultResponseError";
    this.message = `Vault ${method} /v1/${path} answered HTTP ${status} with an unexpected body: ${problems.join("; ")}`;
  }
}

/** Vault's answer when it refused or failed a request; what lib/controller's reconcile port calls a refusal. */
export function vaultRefusal(error: unknown): { status: number; errors: string[] } | undefined {
  return error instanceof VaultError && error.status > 0 && !(error instanceof VaultResponseError)
    ? { status: error.status, errors: error.errors }
    : undefined;
}

/**
 * Vault token shapes: current service/batch/recovery tokens ("hvs.", "hvb.", "hvr.") and the legacy "s."/"b."
 * ones. Scrubbed even when the call did not send them: Vault or a proxy may quote a token from elsewhere.
 */
const VAULT_TOKEN_SHAPES = [/\bhv[sbr]\.[A-Za-z0-9_-]{20,}/g, /\b[sb]\.[A-Za-z0-9]{24}\b/g];

/** Replaces every occurrence of each secret (of a plausible length), and anything shaped like a token, by "[redacted]". */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  for (const shape of VAULT_TOKEN_SHAPES) out = out.replace(shape, "[redacted]");
  return out;
}
