/**
 * core/v1 Pod (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/). Patch strategies
 * copy the `patchStrategy`/`patchMergeKey` tags of k8s.io/api/core/v1 types.go: containers, env, volumes,
 * conditions and podIPs merge by key; containerStatuses and initContainerStatuses carry no strategy there
 * (`listType=atomic`), so a strategic patch replaces them whole, as a real server does.
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

/** The spec fields a pod update may change (ValidatePodUpdate); everything else is immutable. */
function mutablePartsRemoved(spec: Json | undefined): Json | undefined {
  if (!isJsonObject(spec)) return spec;
  const copy = structuredClone(spec);
  for (const list of ["containers", "initContainers"]) {
    const containers = copy[list];
    if (Array.isArray(containers))
      for (const container of containers) if (isJsonObject(container)) delete container.image;
  }
  delete copy.activeDeadlineSeconds;
  delete copy.tolerations;
  delete copy.terminationGracePeriodSeconds;
  return copy;
}

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
  prepareForCreate(pod) {
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
    if (deepEqual(mutablePartsRemoved(next.spec), mutablePartsRemoved(previous.spec))) return [];
    return [
      {
        reason: "FieldValueForbidden",
        field: "spec",
        message:
          "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations) or `spec.terminationGracePeriodSeconds`",
      },
    ];
  },
};
