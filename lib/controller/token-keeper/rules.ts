/**
 * What makes a Vault token acceptable for the controller (the original's rules, plus a clearer refusal).
 *
 * Contract: `tokenProblems` is pure and lists every problem at once; each says what is wrong, why it matters and
 * what to do. A token with the `root` policy is refused before anything else is looked at.
 */

export interface ControllerTokenInfo {
  policies: string[];
  renewable: boolean;
  /** 0 when the token is not periodic. */
  periodSeconds: number;
  ttlSeconds: number;
  explicitMaxTtlSeconds: number;
  /** The token role it was created from, if any. */
  role?: string;
}

export interface TokenRoleInfo {
  periodSeconds: number;
  explicitMaxTtlSeconds: number;
}

export const ROOT_TOKEN_REFUSAL =
  "root tokens are not allowed: VAULT_TOKEN carries the root policy, which can do anything in Vault and never expires, so a leaked controller token would expose all of Vault. Create a periodic token from a token role that grants only the controller's policy (for example `vault token create -role=kubernetes-vault`) and put that in VAULT_TOKEN.";

const HOW_TO_MAKE_ONE =
  "create the token from a token role with a period and no explicit max TTL (`vault write auth/token/roles/kubernetes-vault allowed_policies=kubernetes-vault period=24h`, then `vault token create -role=kubernetes-vault`)";

/**
 * The period renewals extend the token by: its own, else its role's. Vault applies a role's period at creation and
 * at every renewal without recording it on the token, so lookup-self shows no `period` for such a token.
 */
export function effectivePeriodSeconds(token: ControllerTokenInfo, role?: TokenRoleInfo): number {
  return token.periodSeconds > 0 ? token.periodSeconds : (role?.periodSeconds ?? 0);
}

export function tokenProblems(token: ControllerTokenInfo, role?: TokenRoleInfo): string[] {
  if (token.policies.includes("root")) return [ROOT_TOKEN_REFUSAL];
  const problems: string[] = [];
  if (!token.renewable)
    problems.push(
      `VAULT_TOKEN is not renewable, so it will expire and the controller cannot log in again; ${HOW_TO_MAKE_ONE}`,
    );
  // A role without a period is reported below, naming the role to fix.
  if (effectivePeriodSeconds(token, role) <= 0 && !(token.role && role))
    problems.push(
      `VAULT_TOKEN is not periodic (period 0), so renewals cannot keep it alive forever; ${HOW_TO_MAKE_ONE}`,
    );
  if (token.explicitMaxTtlSeconds > 0)
    problems.push(
      `VAULT_TOKEN has an explicit max TTL of ${token.explicitMaxTtlSeconds}s, after which no renewal helps; ${HOW_TO_MAKE_ONE}`,
    );
  if (token.role && role) {
    if (role.periodSeconds <= 0)
      problems.push(
        `token role "${token.role}" has no period; set one: vault write auth/token/roles/${token.role} period=24h`,
      );
    if (role.explicitMaxTtlSeconds > 0)
      problems.push(
        `token role "${token.role}" sets an explicit max TTL (${role.explicitMaxTtlSeconds}s); remove it: vault write auth/token/roles/${token.role} token_explicit_max_ttl=0`,
      );
  }
  return problems;
}

export class TokenRefusedError extends Error {
  constructor(readonly problems: string[]) {
    super(`the controller's Vault token cannot be used:\n- ${problems.join("\n- ")}`);
    this.name = "TokenRefusedError";
  }
}
