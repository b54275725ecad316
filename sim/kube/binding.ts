/**
 * `POST /api/v1/namespaces/{ns}/pods/{name}/binding` with a v1 Binding
 * (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/binding-v1/): what a scheduler does to
 * put a pod on a node. Follows the pod registry's BindingREST, with the answers kube-apiserver 1.37.2 gives:
 * - the body's name must be the URL's: 400 `name in URL does not match name in Binding object`;
 * - ValidatePodBinding: `target.kind` "Node" or empty, `target.name` required; its errors are not wrapped in a
 *   Status by the real server, which answers 500 with their text;
 * - a missing pod is 404 `pods "<name>" not found`; the Binding's `metadata.uid`/`resourceVersion` are
 *   preconditions (409, worded as the storage layer words them);
 * - a pod being deleted, already bound or with scheduling gates is 409 Conflict on `pods/binding`, e.g.
 *   `pod <name> is already assigned to node "<node>"`;
 * - otherwise spec.nodeName is set, the Binding's annotations are copied onto the pod, the PodScheduled condition
 *   becomes True (one MODIFIED event), and the answer is 201 with a Success Status.
 */
import type { Cluster } from "./cluster.ts";
import { isJsonObject, type Json, type JsonObject, objectAt, rfc3339, stringAt } from "./json.ts";
import { checkKubeObject } from "./object-schema.ts";
import { pods } from "./resources/pods.ts";
import { apiErrors, type SuccessStatus, successStatus } from "./status.ts";

const BINDING_RESOURCE = { plural: "pods/binding", group: "" };

function checkBindingKind(binding: JsonObject): void {
  if (binding.apiVersion !== undefined && binding.apiVersion !== "v1")
    throw apiErrors.badRequest(
      `the API version in the data (${String(binding.apiVersion)}) does not match the expected API version (v1)`,
    );
  if (binding.kind !== undefined && binding.kind !== "Binding")
    throw apiErrors.badRequest(`${String(binding.kind)} in version "v1" cannot be handled as a Binding`);
}

/** ValidatePodBinding's field errors, as text. */
function targetProblems(binding: JsonObject): string[] {
  const target = isJsonObject(binding.target) ? binding.target : {};
  const problems: string[] = [];
  const kind = stringAt(target, "kind") ?? "";
  if (kind !== "" && kind !== "Node")
    problems.push(
      `target.kind: Unsupported value: ${JSON.stringify(kind)}: supported values: "Node", "<empty>"`,
    );
  if (!stringAt(target, "name")) problems.push("target.name: Required value");
  return problems;
}

/** The storage layer's precondition failure (InterpretUpdateError turns it into a Conflict on pods). */
function checkPreconditions(binding: JsonObject, pod: JsonObject, namespace: string, name: string): void {
  const wanted = objectAt(binding, "metadata");
  const actual = objectAt(pod, "metadata");
  for (const [field, label] of [
    ["uid", "UID"],
    ["resourceVersion", "ResourceVersion"],
  ] as const) {
    const expected = stringAt(wanted, field);
    if (!expected || expected === stringAt(actual, field)) continue;
    throw apiErrors.conflict(
      pods.plural,
      name,
      `StorageError: invalid object, Code: 4, Key: /registry/pods/${namespace}/${name}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: ${label} in precondition: ${expected}, ${label} in object meta: ${stringAt(actual, field) ?? ""}`,
    );
  }
}

/** podutil.UpdatePodCondition for PodScheduled=True: the transition time moves only when the status changes. */
function markScheduled(pod: JsonObject, now: string): void {
  const status = objectAt(pod, "status");
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  const index = conditions.findIndex((c) => isJsonObject(c) && c.type === "PodScheduled");
  const old = conditions[index];
  const keepTime = isJsonObject(old) && old.status === "True" ? old.lastTransitionTime : undefined;
  const condition: JsonObject = {
    type: "PodScheduled",
    status: "True",
    lastProbeTime: null,
    lastTransitionTime: keepTime ?? now,
  };
  if (index >= 0) conditions[index] = condition;
  else conditions.push(condition);
  status.conditions = conditions;
}

export function bindPod(
  cluster: Cluster,
  now: Date,
  namespace: string,
  name: string,
  body: Json,
): SuccessStatus {
  const binding = structuredClone(checkKubeObject(body));
  checkBindingKind(binding);
  const metadata = objectAt(binding, "metadata");
  if (stringAt(metadata, "name") !== name)
    throw apiErrors.badRequest("name in URL does not match name in Binding object");
  const bodyNamespace = stringAt(metadata, "namespace");
  if (bodyNamespace && bodyNamespace !== namespace)
    throw apiErrors.badRequest(
      "the namespace of the provided object does not match the namespace sent on the request",
    );
  const problems = targetProblems(binding);
  if (problems.length > 0) throw apiErrors.unwrapped(problems);
  const pod = cluster.get(pods.plural, namespace, name);
  if (!pod) throw apiErrors.notFound(pods.plural, name);
  checkPreconditions(binding, pod, namespace, name);
  const spec = objectAt(pod, "spec");
  const refuse = (why: string) => apiErrors.conflict(BINDING_RESOURCE, name, why);
  if (stringAt(objectAt(pod, "metadata"), "deletionTimestamp"))
    throw refuse(`pod ${name} is being deleted, cannot be assigned to a host`);
  const boundTo = stringAt(spec, "nodeName");
  if (boundTo) throw refuse(`pod ${name} is already assigned to node ${JSON.stringify(boundTo)}`);
  if (Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0)
    throw refuse(`pod ${name} has non-empty .spec.schedulingGates`);
  spec.nodeName = stringAt(objectAt(binding, "target"), "name") ?? "";
  const annotations = isJsonObject(metadata.annotations) ? metadata.annotations : {};
  if (Object.keys(annotations).length > 0)
    Object.assign(objectAt(objectAt(pod, "metadata"), "annotations"), annotations);
  markScheduled(pod, rfc3339(now));
  cluster.replace(pods.plural, pod);
  return successStatus(undefined, 201);
}
