/** core/v1 Namespace: cluster-scoped; created Active with the `kubernetes` finalizer as a real server does. */
import { objectAt } from "../json.ts";
import { metadataFields, type ResourceType, stringField, validateName } from "./types.ts";

export const namespaces: ResourceType = {
  group: "",
  version: "v1",
  plural: "namespaces",
  singular: "namespace",
  kind: "Namespace",
  namespaced: false,
  shortNames: ["ns"],
  statusSubresource: true,
  returnDeletedObject: true,
  fields: { ...metadataFields, "status.phase": (ns) => stringField(ns, "status.phase") },
  mergeStrategy: {
    mergeKeys: { "metadata.ownerReferences": "uid" },
    setLists: new Set(["metadata.finalizers"]),
  },
  prepareForCreate(namespace) {
    const metadata = objectAt(namespace, "metadata");
    const labels = objectAt(metadata, "labels");
    // Since 1.22 every namespace carries its own name as an immutable label.
    labels["kubernetes.io/metadata.name"] = metadata.name ?? "";
    namespace.spec = { finalizers: ["kubernetes"] };
    namespace.status = { phase: "Active" };
  },
  validate: (namespace) => validateName(namespace, "label"),
};
