/** The resource types the stand-in serves, by plural name (the path segment clients use). */
import { endpoints } from "./endpoints.ts";
import { events } from "./events.ts";
import { namespaces } from "./namespaces.ts";
import { pods } from "./pods.ts";
import type { ResourceType } from "./types.ts";

export type { ResourceType } from "./types.ts";

export const RESOURCE_TYPES: readonly ResourceType[] = [pods, endpoints, events, namespaces];

export function resourceTypeByPlural(plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((type) => type.plural === plural);
}
