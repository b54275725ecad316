/**
 * core/v1 Pod (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/). Patch strategies
 * copy the `patchStrategy`/`patchMergeKey` tags of k8s.io/api/core/v1 types.go: containers, env, volumes,
 * conditions and podIPs merge by key; containerStatuses and initContainerStatuses carry no strategy there
 * (`listType=atomic`), so a strategic patch replaces them whole, as a real server does.
 *
 * As kube-apiserver 1.37's pod strategy: `metadata.generation` starts at 1 and grows with each spec change and
 * when graceful deletion starts; the spec is immutable apart from the fields ValidatePodUpdate lists (so
 * `spec.nodeName` is set only through pods/binding, binding.ts); DELETE is graceful for a pod bound to a node
 * (https://kubernetes.io/docs/concepts/workloads/pods/pod-termination/), immediate for an unbound or finished one.
 */
import { deepEqual, isJsonObject, type Json, type JsonObject, objectAt } from "../json.ts";
import type { StatusCause } from "../status.ts";
import { metadataFields, type ResourceType, required, stringField, validateName } from "./types.ts";

const CONTAINER_LISTS = ["spec.containers", "spec.initContainers", "spec.ephemeralContainers"];
const containerKeys: Record<string, string> = {};
for (const list of CONTAINER_LISTS) {
  containerKeys[list] = "name";
  containerKeys[`${list}[].env`] = "name";
  containerKeys[`${list}[].ports`] = "containerPort";
  containerKeys[`${list}[].volumeMounts`] = "mountPath";
  containerKeys[`${list}[].volumeDevices`] = "devicePath";
}

function validateContainers(spec: JsonObject, list: "containers" | "initContainers"): StatusCause[] {
  const containers = spec[list];
  if (list === "containers" && (!Array.isArray(containers) || containers.length === 0))
    return [required("spec.containers")];
  if (!Array.isArray(containers)) return [];
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  for (const [index, container] of containers.entries()) {
    const at = `spec.${list}[${index}]`;
    if (!isJsonObject(container)) {
      causes.push(required(at));
      continue;
    }
    const name = typeof container.name === "string" ? container.name : "";
    if (!name) causes.push(required(`${at}.name`));
    else if (seen.has(name))
      causes.push({
        reason: "FieldValueDuplicate",
        message: `Duplicate value: "${name}"`,
        field: `${at}.name`,
      });
    seen.add(name);
    if (typeof container.image !== "string" || !container.image) causes.push(required(`${at}.image`));
  }
  return causes;
}

/** ValidatePodUpdate's refusal as kube-apiserver 1.37 words it (the real one appends a diff of the Go structs). */
export const POD_UPDATE_FORBIDDEN =
  "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/**
 * The spec with the fields a pod update may change (ValidatePodUpdate) removed; everything else is immutable,
 * spec.nodeName included. terminationGracePeriodSeconds may change only from a negative value to 1.
 */
function mutablePartsRemoved(spec: Json | undefined, previous: Json | undefined): Json | undefined {
  if (!isJsonObject(spec)) return spec;
  const copy = structuredClone(spec);
  for (const list of ["containers", "initContainers"]) {
    const containers = copy[list];
    if (Array.isArray(containers))
      for (const container of containers) if (isJsonObject(container)) delete container.image;
  }
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  const oldGrace = isJsonObject(previous) ? previous.terminationGracePeriodSeconds : undefined;
  if (typeof oldGrace === "number" && oldGrace < 0 && copy.terminationGracePeriodSeconds === 1)
    copy.terminationGracePeriodSeconds = oldGrace;
  return copy;
}

const FINISHED_PHASES = new Set(["Succeeded", "Failed"]);

export const pods: ResourceType = {
  group: "",
  version: "v1",
  plural: "pods",
  singular: "pod",
  kind: "Pod",
  namespaced: true,
  shortNames: ["po"],
  statusSubresource: true,
  returnDeletedObject: true,
  fields: {
    ...metadataFields,
    "spec.nodeName": (pod) => stringField(pod, "spec.nodeName"),
    "spec.restartPolicy": (pod) => stringField(pod, "spec.restartPolicy"),
    "spec.schedulerName": (pod) => stringField(pod, "spec.schedulerName"),
    "spec.serviceAccountName": (pod) => stringField(pod, "spec.serviceAccountName"),
    "status.phase": (pod) => stringField(pod, "status.phase"),
    "status.podIP": (pod) => stringField(pod, "status.podIP"),
    "status.nominatedNodeName": (pod) => stringField(pod, "status.nominatedNodeName"),
  },
  mergeStrategy: {
    mergeKeys: {
      ...containerKeys,
      "metadata.ownerReferences": "uid",
      "spec.volumes": "name",
      "spec.imagePullSecrets": "name",
      "spec.hostAliases": "ip",
      "status.conditions": "type",
      "status.podIPs": "ip",
    },
    setLists: new Set(["metadata.finalizers"]),
  },
  createSubresources: { binding: "Binding" },
  prepareForCreate(pod) {
    objectAt(pod, "metadata").generation = 1;
    const spec = objectAt(pod, "spec");
    spec.restartPolicy ??= "Always";
    spec.terminationGracePeriodSeconds ??= 30;
    spec.dnsPolicy ??= "ClusterFirst";
    spec.schedulerName ??= "default-scheduler";
    // The ServiceAccount admission plugin fills both names on a real server.
    spec.serviceAccountName ??= typeof spec.serviceAccount === "string" ? spec.serviceAccount : "default";
    spec.serviceAccount ??= spec.serviceAccountName;
    pod.status = { phase: "Pending", qosClass: "BestEffort" };
  },
  validate(pod) {
    const spec = pod.spec;
    if (!isJsonObject(spec)) return [...validateName(pod, "subdomain"), required("spec")];
    return [
      ...validateName(pod, "subdomain"),
      ...validateContainers(spec, "containers"),
      ...validateContainers(spec, "initContainers"),
    ];
  },
  validateUpdate(next, previous) {
    if (
      deepEqual(
        mutablePartsRemoved(next.spec, previous.spec),
        mutablePartsRemoved(previous.spec, previous.spec),
      )
    )
      return [];
    return [{ reason: "FieldValueForbidden", field: "spec", message: POD_UPDATE_FORBIDDEN }];
  },
  prepareForUpdate(next, previous) {
    if (deepEqual(next.spec, previous.spec)) return;
    const metadata = objectAt(next, "metadata");
    metadata.generation = (typeof metadata.generation === "number" ? metadata.generation : 0) + 1;
  },
  // The pod strategy's CheckGracefulDelete: the requested grace, else the pod's own (0 when unset); 0 for a pod
  // no node runs (unbound) or one already finished; a negative period means 1 s.
  gracePeriodFor(pod, requested) {
    const spec = isJsonObject(pod.spec) ? pod.spec : {};
    const own = spec.terminationGracePeriodSeconds;
    let period = requested ?? (typeof own === "number" ? own : 0);
    const phase = isJsonObject(pod.status) ? pod.status.phase : undefined;
    if (!spec.nodeName || (typeof phase === "string" && FINISHED_PHASES.has(phase))) period = 0;
    return period < 0 ? 1 : period;
  },
};
