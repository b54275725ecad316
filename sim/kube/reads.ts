/**
 * get and list, with the list semantics of https://kubernetes.io/docs/reference/using-api/api-concepts/:
 * label/field selectors, `limit`/`continue` chunking that serves every page from the first page's revision (a
 * consistent snapshot; 410 Expired once that revision is compacted, with an inconsistent-continuation token as the
 * docs describe), and `resourceVersion` + `resourceVersionMatch` (unset: most recent; "0" / NotOlderThan: any state
 * at least that new; Exact: that very revision).
 */
import type { Cluster } from "./cluster.ts";
import { isJsonObject, type JsonObject, objectAt, stringAt } from "./json.ts";
import { apiVersionOf, type ResourceType } from "./resources/index.ts";
import type { FieldPredicate, LabelPredicate } from "./selectors/index.ts";
import { ApiError, apiErrors } from "./status.ts";

export interface ListQuery {
  namespace: string | undefined;
  labels: LabelPredicate;
  fields: FieldPredicate;
  filtered: boolean;
  limit: number | undefined;
  continueToken: string | undefined;
  resourceVersion: string | undefined;
  resourceVersionMatch: string | undefined;
}

interface ContinueToken {
  revision: number;
  start: string;
}

export function labelsOf(object: JsonObject): Record<string, string> {
  const metadata = object.metadata;
  const labels = isJsonObject(metadata) ? metadata.labels : undefined;
  if (!isJsonObject(labels)) return {};
  return Object.fromEntries(
    Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

/** The token format kube-apiserver's etcd3 store uses: base64 of {"v","rv","start"}. */
function encodeContinue(token: ContinueToken): string {
  return Buffer.from(
    JSON.stringify({ v: "meta.k8s.io/v1", rv: token.revision, start: token.start }),
  ).toString("base64url");
}

function decodeContinue(text: string): ContinueToken {
  try {
    const raw: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (
      isJsonObject(raw) &&
      raw.v === "meta.k8s.io/v1" &&
      typeof raw.rv === "number" &&
      typeof raw.start === "string"
    )
      return { revision: raw.rv, start: raw.start };
  } catch {}
  throw apiErrors.badRequest(
    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
  );
}

function parseRevision(text: string): number {
  if (!/^\d+$/.test(text))
    throw apiErrors.badRequest(`resourceVersion: Invalid value: "${text}": must be a number`);
  return Number(text);
}

function keyFor(object: JsonObject): string {
  const metadata = objectAt(object, "metadata");
  const namespace = stringAt(metadata, "namespace");
  const name = stringAt(metadata, "name") ?? "";
  return namespace ? `${namespace}/${name}` : name;
}

function chooseRevision(cluster: Cluster, query: ListQuery): number {
  const { resourceVersion, resourceVersionMatch, continueToken } = query;
  if (continueToken && resourceVersion && resourceVersion !== "0")
    throw apiErrors.badRequest("specifying resource version is not allowed when using continue");
  if (resourceVersionMatch && resourceVersion === undefined)
    throw apiErrors.badRequest("resourceVersionMatch is forbidden unless resourceVersion is provided");
  if (resourceVersionMatch && !["Exact", "NotOlderThan"].includes(resourceVersionMatch))
    throw apiErrors.badRequest(`resourceVersionMatch: Unsupported value: "${resourceVersionMatch}"`);
  if (resourceVersion === undefined || resourceVersion === "0") return cluster.resourceVersion;
  const asked = parseRevision(resourceVersion);
  if (asked > cluster.resourceVersion)
    throw apiErrors.tooLargeResourceVersion(asked, cluster.resourceVersion);
  return resourceVersionMatch === "Exact" ? asked : cluster.resourceVersion;
}

export function getObject(cluster: Cluster, type: ResourceType, namespace: string | undefined, name: string) {
  const object = cluster.get(type.plural, namespace, name);
  if (!object) throw apiErrors.notFound(type, name);
  return object;
}

function snapshot(cluster: Cluster, type: ResourceType, query: ListQuery, token: ContinueToken | undefined) {
  const revision = token?.revision ?? chooseRevision(cluster, query);
  try {
    return { revision, objects: cluster.listAt(type.plural, revision, query.namespace) };
  } catch (error) {
    if (!(error instanceof ApiError) || !token) throw error;
    const retry = encodeContinue({ revision: cluster.resourceVersion, start: token.start });
    throw new ApiError({
      ...error.status,
      message:
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
      metadata: { continue: retry },
    });
  }
}

export function listObjects(cluster: Cluster, type: ResourceType, query: ListQuery): JsonObject {
  const token = query.continueToken ? decodeContinue(query.continueToken) : undefined;
  const { revision, objects } = snapshot(cluster, type, query, token);
  const matching = objects.filter(
    (object) =>
      (!token || keyFor(object) >= token.start) && query.labels(labelsOf(object)) && query.fields(object),
  );
  const page = query.limit && query.limit > 0 ? matching.slice(0, query.limit) : matching;
  const metadata: JsonObject = { resourceVersion: String(revision) };
  const last = page.at(-1);
  if (page.length < matching.length && last) {
    metadata.continue = encodeContinue({ revision, start: `${keyFor(last)}\u0000` });
    if (!query.filtered) metadata.remainingItemCount = matching.length - page.length;
  }
  // Items of a list carry no kind/apiVersion of their own on the wire.
  const items = page.map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => rest);
  return { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata, items };
}
