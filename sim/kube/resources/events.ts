/**
 * core/v1 Event (https://kubernetes.io/docs/reference/kubernetes-api/cluster-resources/event-v1/), with the field
 * selectors the API server supports for it (involvedObject.*, reason, source, type, ...), and its validation rule
 * that an event lives in the namespace of the object it is about.
 */
import { isJsonObject, stringAt } from "../json.ts";
import type { StatusCause } from "../status.ts";
import {
  invalidValue,
  metadataFields,
  type ResourceType,
  required,
  stringField,
  validateName,
} from "./types.ts";

const INVOLVED_FIELDS = ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"];

export const events: ResourceType = {
  group: "",
  version: "v1",
  plural: "events",
  singular: "event",
  kind: "Event",
  namespaced: true,
  shortNames: ["ev"],
  statusSubresource: false,
  returnDeletedObject: false,
  fields: {
    ...metadataFields,
    ...Object.fromEntries(
      INVOLVED_FIELDS.map((field) => [
        `involvedObject.${field}`,
        (event: Parameters<typeof stringField>[0]) => stringField(event, `involvedObject.${field}`),
      ]),
    ),
    reason: (event) => stringField(event, "reason"),
    reportingComponent: (event) => stringField(event, "reportingComponent"),
    source: (event) => stringField(event, "source.component"),
    type: (event) => stringField(event, "type"),
  },
  mergeStrategy: { mergeKeys: { "metadata.ownerReferences": "uid" } },
  prepareForCreate() {},
  validate(event) {
    const causes: StatusCause[] = validateName(event, "subdomain");
    const involved = event.involvedObject;
    if (!isJsonObject(involved)) return [...causes, required("involvedObject")];
    const namespace = stringAt(isJsonObject(event.metadata) ? event.metadata : undefined, "namespace") ?? "";
    const involvedNamespace = stringAt(involved, "namespace");
    if (involvedNamespace !== undefined && involvedNamespace !== namespace)
      causes.push(
        invalidValue("involvedObject.namespace", involvedNamespace, "does not match event.namespace"),
      );
    return causes;
  },
};
