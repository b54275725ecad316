/**
 * The allow-list decision for one request: may this namespace's service account receive a secret_id of this
 * AppRole? Deny by default; the reason always names the namespace, service account and role, and tells which
 * setting to change, because it ends up in a Kubernetes Event on the pod.
 */
import type { AllowList } from "./parse.ts";

export interface AllowListRequest {
  namespace: string;
  serviceAccount: string;
  role: string;
}

export interface AllowListDecision {
  allowed: boolean;
  reason: string;
}

export function allowListDecision(list: AllowList, request: AllowListRequest): AllowListDecision {
  const who = `service account "${request.serviceAccount}" in namespace "${request.namespace}"`;
  const suggestion = `add "${request.namespace}/${request.serviceAccount}: ${request.role}" to ${list.source}`;
  const forSubject = list.entries.filter(
    (entry) =>
      entry.namespace.matches(request.namespace) && entry.serviceAccount.matches(request.serviceAccount),
  );
  const granting = forSubject.find((entry) => entry.roles.some((role) => role.matches(request.role)));
  if (granting) {
    return {
      allowed: true,
      reason: `${list.source} line ${granting.line} ("${granting.text}") allows ${who} to use AppRole "${request.role}"`,
    };
  }
  if (list.entries.length === 0) {
    return {
      allowed: false,
      reason: `${list.source} is empty, so no pod may use any AppRole; ${suggestion}`,
    };
  }
  if (forSubject.length > 0) {
    const allowedRoles = [...new Set(forSubject.flatMap((entry) => entry.roles.map((role) => role.pattern)))];
    return {
      allowed: false,
      reason: `${list.source} lets ${who} use only AppRole(s) ${allowedRoles.map((r) => `"${r}"`).join(", ")}, not "${request.role}"; ${suggestion}`,
    };
  }
  return { allowed: false, reason: `no entry in ${list.source} covers ${who}; ${suggestion}` };
}
