/**
 * Discovery documents (`/api`, `/api/v1`, `/apis`, `/version`) in the shapes kube-apiserver serves, enough for
 * client libraries and kubectl to find the core/v1 resources the stand-in has.
 */
import type { JsonObject } from "./json.ts";
import { RESOURCE_TYPES } from "./resources/index.ts";

const READ_WRITE_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];

export const SIMULATED_VERSION = { major: "1", minor: "31", gitVersion: "v1.31.0-kube-sim" };

export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

export function apiGroupList(): JsonObject {
  return { kind: "APIGroupList", apiVersion: "v1", groups: [] };
}

export function coreResourceList(): JsonObject {
  const resources: JsonObject[] = [];
  for (const type of RESOURCE_TYPES) {
    resources.push({
      name: type.plural,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: READ_WRITE_VERBS,
      shortNames: type.shortNames,
    });
    if (type.statusSubresource)
      resources.push({
        name: `${type.plural}/status`,
        singularName: "",
        namespaced: type.namespaced,
        kind: type.kind,
        verbs: ["get", "patch", "update"],
      });
  }
  return { kind: "APIResourceList", groupVersion: "v1", resources };
}

export function versionInfo(): JsonObject {
  return {
    ...SIMULATED_VERSION,
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2024-08-13T07:28:49Z",
    goVersion: "n/a (TypeScript stand-in)",
    compiler: "bun",
    platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`,
  };
}
