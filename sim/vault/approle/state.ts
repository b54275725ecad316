/**
 * AppRole state for one mount: roles (names are case-insensitive, as in Vault), the role_id index, and secret_ids
 * with their accessors. Expired secret_ids are removed the first time anyone looks them up.
 */
import type { SimClock } from "../core/clock.ts";

export interface AppRole {
  name: string;
  roleId: string;
  bindSecretId: boolean;
  secretIdBoundCidrs: string[];
  secretIdNumUses: number;
  secretIdTtl: number;
  localSecretIds: boolean;
  tokenPolicies: string[];
  tokenTtl: number;
  tokenMaxTtl: number;
  tokenBoundCidrs: string[];
  tokenExplicitMaxTtl: number;
  tokenNoDefaultPolicy: boolean;
  tokenNumUses: number;
  tokenPeriod: number;
  tokenType: string;
}

export interface SecretIdEntry {
  secretId: string;
  accessor: string;
  roleName: string;
  cidrList: string[];
  tokenBoundCidrs: string[];
  metadata: Record<string, string>;
  /** 0 = unlimited. */
  numUses: number;
  ttl: number;
  creationTime: number;
  expirationTime: number | null;
  lastUpdatedTime: number;
}

export class AppRoleState {
  readonly roles = new Map<string, AppRole>();
  private readonly roleNameById = new Map<string, string>();
  private readonly secrets = new Map<string, SecretIdEntry>();
  private readonly secretByAccessor = new Map<string, string>();

  constructor(private readonly clock: SimClock) {}

  role(name: string): AppRole | undefined {
    return this.roles.get(name.toLowerCase());
  }

  roleByRoleId(roleId: string): AppRole | undefined {
    const name = this.roleNameById.get(roleId);
    return name === undefined ? undefined : this.roles.get(name);
  }

  putRole(role: AppRole, previousRoleId?: string): void {
    if (previousRoleId !== undefined && previousRoleId !== role.roleId)
      this.roleNameById.delete(previousRoleId);
    this.roles.set(role.name, role);
    this.roleNameById.set(role.roleId, role.name);
  }

  roleIdInUse(roleId: string, exceptRole: string): boolean {
    const owner = this.roleNameById.get(roleId);
    return owner !== undefined && owner !== exceptRole;
  }

  deleteRole(name: string): void {
    const role = this.role(name);
    if (!role) return;
    for (const entry of this.secretsOf(role.name)) this.deleteSecret(entry);
    this.roleNameById.delete(role.roleId);
    this.roles.delete(role.name);
  }

  addSecret(entry: SecretIdEntry): void {
    this.secrets.set(entry.secretId, entry);
    this.secretByAccessor.set(entry.accessor, entry.secretId);
  }

  /** The live secret_id of `roleName`, or undefined (unknown, another role's, or expired). */
  secret(roleName: string, secretId: string): SecretIdEntry | undefined {
    const entry = this.secrets.get(secretId);
    if (!entry || entry.roleName !== roleName) return undefined;
    if (entry.expirationTime !== null && this.clock.now() >= entry.expirationTime) {
      this.deleteSecret(entry);
      return undefined;
    }
    return entry;
  }

  secretByAccessorId(roleName: string, accessor: string): SecretIdEntry | undefined {
    const secretId = this.secretByAccessor.get(accessor);
    return secretId === undefined ? undefined : this.secret(roleName, secretId);
  }

  secretsOf(roleName: string): SecretIdEntry[] {
    return [...this.secrets.values()].filter((e) => this.secret(roleName, e.secretId) !== undefined);
  }

  deleteSecret(entry: SecretIdEntry): void {
    this.secrets.delete(entry.secretId);
    this.secretByAccessor.delete(entry.accessor);
  }
}
