/** The resource types the stand-in serves, by API group and plural name (the path segments clients use). */

import { endpoints } from "./endpoints.ts";
import { endpointSlices } from "./endpointslices.ts";
import { events } from "./events.ts";
import { namespaces } from "./namespaces.ts";
import { nodes } from "./nodes.ts";
import { pods } from "./pods.ts";
import { serviceAccounts } from "./serviceaccounts.ts";
import type { ResourceType } from "./types.ts";

export { apiVersionOf, type ResourceType } from "./types.ts";

export const RESOURCE_TYPES: readonly ResourceType[] = [
  pods,
  endpoints,
  events,
  namespaces,
  nodes,
  serviceAccounts,
  endpointSlices,
];

/** The named API groups (everything but core/v1), each with its one served version. */
export const API_GROUPS: readonly { name: string; version: string }[] = [
  ...new Map(
    RESOURCE_TYPES.filter((type) => type.group).map((type) => [
      type.group,
      { name: type.group, version: type.version },
    ]),
  ).values(),
];

export function resourceTypesIn(group: string, version: string): ResourceType[] {
  return RESOURCE_TYPES.filter((type) => type.group === group && type.version === version);
}

export function resourceTypeByPlural(plural: string, group = ""): ResourceType | undefined {
  return RESOURCE_TYPES.find((type) => type.plural === plural && type.group === group);
}
