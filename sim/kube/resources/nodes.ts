/**
 * core/v1 Node (https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/node-v1/): cluster-scoped,
 * with a status subresource that kubelets PATCH (strategic merge: conditions and addresses by `type`, as the
 * patchMergeKey tags of k8s.io/api types.go say; taints are atomic). Unlike most types, a Node may carry status on
 * create (self-registration, https://kubernetes.io/docs/concepts/architecture/nodes/#self-registration-of-nodes).
 *
 * What kube-apiserver 1.37 adds on its own, and so does the stand-in:
 * - the TaintNodesByCondition admission plugin gives every new node the `node.kubernetes.io/not-ready:NoSchedule`
 *   taint (the node lifecycle controller removes it once the node is Ready; neither sandbox runs that controller,
 *   so it stays, which nothing here schedules by);
 * - the struct-valued status fields are always present (`daemonEndpoints.kubeletEndpoint.Port: 0`, every
 *   `nodeInfo` string), and `allocatable` defaults to `capacity`.
 */
import { isJsonObject, objectAt } from "../json.ts";
import { type ResourceType, stringField, validateName } from "./types.ts";

const NOT_READY_TAINT = { key: "node.kubernetes.io/not-ready", effect: "NoSchedule" };
const NODE_INFO_FIELDS = [
  "machineID",
  "systemUUID",
  "bootID",
  "kernelVersion",
  "osImage",
  "containerRuntimeVersion",
  "kubeletVersion",
  "kubeProxyVersion",
  "operatingSystem",
  "architecture",
];

export const nodes: ResourceType = {
  group: "",
  version: "v1",
  plural: "nodes",
  singular: "node",
  kind: "Node",
  namespaced: false,
  shortNames: ["no"],
  statusSubresource: true,
  returnDeletedObject: false,
  fields: {
    // Cluster-scoped: metadata.name only (ObjectMetaFieldsSet without the namespace).
    "metadata.name": (node) => stringField(node, "metadata.name"),
    // A bool field: absent reads "false", as strconv.FormatBool(node.Spec.Unschedulable) does.
    "spec.unschedulable": (node) => stringField(node, "spec.unschedulable") || "false",
  },
  mergeStrategy: {
    mergeKeys: {
      "metadata.ownerReferences": "uid",
      "status.conditions": "type",
      "status.addresses": "type",
    },
    setLists: new Set(["metadata.finalizers"]),
  },
  applyDefaults(node) {
    const status = objectAt(node, "status");
    const kubelet = objectAt(objectAt(status, "daemonEndpoints"), "kubeletEndpoint");
    kubelet.Port ??= 0;
    const info = objectAt(status, "nodeInfo");
    for (const field of NODE_INFO_FIELDS) info[field] ??= "";
    if (status.allocatable === undefined && isJsonObject(status.capacity))
      status.allocatable = structuredClone(status.capacity);
  },
  prepareForCreate(node) {
    const spec = objectAt(node, "spec");
    const taints = Array.isArray(spec.taints) ? spec.taints : [];
    const tainted = taints.some(
      (taint) =>
        isJsonObject(taint) && taint.key === NOT_READY_TAINT.key && taint.effect === NOT_READY_TAINT.effect,
    );
    if (!tainted) spec.taints = [...taints, { ...NOT_READY_TAINT }];
  },
  validate: (node) => validateName(node, "subdomain"),
};
