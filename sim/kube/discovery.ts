/**
 * Discovery documents (`/api`, `/api/v1`, `/apis`, `/apis/<group>`, `/apis/<group>/<version>`, `/version`) in the
 * shapes kube-apiserver serves, enough for client libraries and kubectl to find the resources the stand-in has:
 * core/v1 and each named group (discovery.k8s.io/v1 for EndpointSlices).
 */
import type { JsonObject } from "./json.ts";
import { API_GROUPS, type ResourceType, resourceTypesIn } from "./resources/index.ts";

const READ_WRITE_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];

/** 1.33: the first release whose server warns about v1 Endpoints, as the stand-in does. */
// The release tests/e2e-real runs against, so both backends report the same API level.
export const SIMULATED_VERSION = { major: "1", minor: "37", gitVersion: "v1.37.2-kube-sim" };

export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function groupVersions(group: { name: string; version: string }): JsonObject {
  const version = { groupVersion: `${group.name}/${group.version}`, version: group.version };
  return { name: group.name, versions: [version], preferredVersion: version };
}

export function apiGroupList(): JsonObject {
  return { kind: "APIGroupList", apiVersion: "v1", groups: API_GROUPS.map(groupVersions) };
}

/** `/apis/<group>`, or undefined for a group the stand-in does not serve. */
export function apiGroup(name: string): JsonObject | undefined {
  const group = API_GROUPS.find((candidate) => candidate.name === name);
  return group && { kind: "APIGroup", apiVersion: "v1", ...groupVersions(group) };
}

function resourcesOf(types: readonly ResourceType[]): JsonObject[] {
  const resources: JsonObject[] = [];
  for (const type of types) {
    resources.push({
      name: type.plural,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: READ_WRITE_VERBS,
      ...(type.shortNames.length > 0 ? { shortNames: type.shortNames } : {}),
    });
    if (type.statusSubresource)
      resources.push({
        name: `${type.plural}/status`,
        singularName: "",
        namespaced: type.namespaced,
        kind: type.kind,
        verbs: ["get", "patch", "update"],
      });
    for (const [subresource, kind] of Object.entries(type.createSubresources ?? {}))
      resources.push({
        name: `${type.plural}/${subresource}`,
        singularName: "",
        namespaced: type.namespaced,
        kind,
        verbs: ["create"],
      });
  }
  return resources;
}

export function coreResourceList(): JsonObject {
  return { kind: "APIResourceList", groupVersion: "v1", resources: resourcesOf(resourceTypesIn("", "v1")) };
}

/** `/apis/<group>/<version>`, or undefined when that group version is not served. */
export function groupResourceList(group: string, version: string): JsonObject | undefined {
  const types = resourceTypesIn(group, version);
  if (!group || types.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: `${group}/${version}`,
    resources: resourcesOf(types),
  };
}

export function versionInfo(): JsonObject {
  return {
    ...SIMULATED_VERSION,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2025-04-23T00:00:00Z",
    goVersion: "n/a (TypeScript stand-in)",
    compiler: "bun",
    platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`,
  };
}
