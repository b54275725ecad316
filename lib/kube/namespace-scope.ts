/**
 * Which watches cover WATCH_NAMESPACES: nothing = one all-namespaces watch; only plain names = one watch per
 * namespace (so a namespaced RBAC Role suffices); any `*` glob = one all-namespaces watch filtered client-side,
 * because the API server has no namespace pattern selector.
 */
import { compileGlob } from "../config/index.ts";

export interface WatchScope {
  /** The pods collection URL path this scope lists and watches. */
  path: string;
  /** Whether a pod in `namespace` belongs to this scope (for re-list deletions and glob filtering). */
  covers(namespace: string): boolean;
}

export const ALL_PODS_PATH = "/api/v1/pods";

export function namespacedPodsPath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
}

export function watchScopes(patterns: readonly string[]): WatchScope[] {
  const distinct = [
    ...new Set(patterns.map((pattern) => pattern.trim()).filter((pattern) => pattern !== "")),
  ];
  if (distinct.length === 0) return [{ path: ALL_PODS_PATH, covers: () => true }];
  if (distinct.every((pattern) => !pattern.includes("*")))
    return distinct.map((name) => ({
      path: namespacedPodsPath(name),
      covers: (namespace) => namespace === name,
    }));
  const globs = distinct.map(compileGlob);
  return [{ path: ALL_PODS_PATH, covers: (namespace) => globs.some((glob) => glob.matches(namespace)) }];
}
