/**
 * core/v1 ServiceAccount (https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/service-account-v1/):
 * namespaced, metadata plus `secrets` (merged by name) and `imagePullSecrets`. The stand-in keeps them for the
 * ServiceAccount admission check on pods (admission.ts) and creates each namespace's `default` one as
 * kube-controller-manager's serviceaccount controller does (writes.ts). No tokens: TokenRequest is not served.
 */
import { PLAIN_NAMESPACED, type ResourceType, validateName } from "./types.ts";

export const DEFAULT_SERVICE_ACCOUNT = "default";

export const serviceAccounts: ResourceType = {
  ...PLAIN_NAMESPACED,
  group: "",
  version: "v1",
  plural: "serviceaccounts",
  singular: "serviceaccount",
  kind: "ServiceAccount",
  shortNames: ["sa"],
  // DELETE answers with the deleted ServiceAccount, as the real registry does.
  returnDeletedObject: true,
  mergeStrategy: {
    ...PLAIN_NAMESPACED.mergeStrategy,
    mergeKeys: { ...PLAIN_NAMESPACED.mergeStrategy.mergeKeys, secrets: "name" },
  },
  validate: (account) => validateName(account, "subdomain"),
};
