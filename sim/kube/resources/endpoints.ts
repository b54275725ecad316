/** core/v1 Endpoints: plain namespaced objects whose `subsets` list has no merge strategy. */
import { metadataFields, type ResourceType, validateName } from "./types.ts";

export const endpoints: ResourceType = {
  plural: "endpoints",
  singular: "endpoints",
  kind: "Endpoints",
  namespaced: true,
  shortNames: ["ep"],
  statusSubresource: false,
  returnDeletedObject: false,
  fields: metadataFields,
  mergeStrategy: {
    mergeKeys: { "metadata.ownerReferences": "uid" },
    setLists: new Set(["metadata.finalizers"]),
  },
  prepareForCreate() {},
  validate: (object) => validateName(object, "subdomain"),
};
