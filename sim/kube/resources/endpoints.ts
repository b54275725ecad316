/**
 * core/v1 Endpoints: plain namespaced objects whose `subsets` list has no merge strategy. Deprecated since 1.33 in
 * favour of discovery.k8s.io/v1 EndpointSlices: a 1.33+ server answers every request for them with a `Warning: 299`
 * header (https://kubernetes.io/blog/2025/04/24/endpoints-deprecation/), and so does the stand-in.
 */
import { PLAIN_NAMESPACED, type ResourceType, validateName } from "./types.ts";

export const endpoints: ResourceType = {
  ...PLAIN_NAMESPACED,
  group: "",
  version: "v1",
  plural: "endpoints",
  singular: "endpoints",
  kind: "Endpoints",
  shortNames: ["ep"],
  validate: (object) => validateName(object, "subdomain"),
  deprecationWarning: "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice",
};
