/**
 * The admission plugins of kube-apiserver that the stand-in reproduces on create, in the real order
 * (https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/), with the real answers (checked
 * against kube-apiserver 1.37.2):
 * - NamespaceLifecycle: a namespaced object needs its namespace: 404 NotFound `namespaces "<ns>" not found`.
 * - ServiceAccount: a pod runs as `spec.serviceAccountName` (default `default`), which must exist in its
 *   namespace: 403 Forbidden `pods "<name>" is forbidden: error looking up service account <ns>/<sa>:
 *   serviceaccount "<sa>" not found` (for a generateName pod the name shown is the prefix, as the real one shows).
 *   The real plugin also mounts the account's token as a projected `kube-api-access-*` volume; the stand-in
 *   does not (no TokenRequest, and the kubelet stand-in has no projected volumes).
 * Both apply to creates only, as the real plugins do.
 */
import type { Cluster } from "./cluster.ts";
import { isJsonObject, type JsonObject, stringAt } from "./json.ts";
import { namespaces } from "./resources/namespaces.ts";
import { pods } from "./resources/pods.ts";
import { DEFAULT_SERVICE_ACCOUNT, serviceAccounts } from "./resources/serviceaccounts.ts";
import type { ResourceType } from "./resources/types.ts";
import { apiErrors } from "./status.ts";

export function admitCreate(
  cluster: Cluster,
  type: ResourceType,
  namespace: string | undefined,
  object: JsonObject,
): void {
  if (!namespace) return;
  if (!cluster.get(namespaces.plural, undefined, namespace))
    throw apiErrors.notFound(namespaces.plural, namespace);
  if (type === pods) admitPodServiceAccount(cluster, namespace, object);
}

function admitPodServiceAccount(cluster: Cluster, namespace: string, pod: JsonObject): void {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  // v1's deprecated `serviceAccount` fills serviceAccountName when only it is given (the v1 conversion).
  const account =
    stringAt(spec, "serviceAccountName") || stringAt(spec, "serviceAccount") || DEFAULT_SERVICE_ACCOUNT;
  if (cluster.get(serviceAccounts.plural, namespace, account)) return;
  const metadata = isJsonObject(pod.metadata) ? pod.metadata : {};
  const name = stringAt(metadata, "name") || stringAt(metadata, "generateName") || "";
  throw apiErrors.admissionForbidden(
    pods.plural,
    name,
    `error looking up service account ${namespace}/${account}: serviceaccount "${account}" not found`,
  );
}
