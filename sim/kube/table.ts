/**
 * Server-side printing: the `meta.k8s.io/v1` Table kubectl asks for (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`),
 * so `kubectl get pods` shows READY, STATUS (Init:1/2, Init:CrashLoopBackOff, Running...), RESTARTS, AGE and IP
 * as against a real cluster (https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables).
 * Pods get kubectl's pod columns (a simplified printPod); other types get Name and Age.
 */
import { isJsonObject, type Json, type JsonObject, readPath } from "./json.ts";
import type { ResourceType } from "./resources/index.ts";

type Column = { name: string; type: string; format: string; description: string; priority: number };

const column = (name: string, priority = 0, format = "", type = "string"): Column => ({
  name,
  type,
  format,
  description: name,
  priority,
});

const NAME_AGE = [column("Name", 0, "name"), column("Age")];
const POD_COLUMNS = [
  column("Name", 0, "name"),
  column("Ready"),
  column("Status"),
  column("Restarts", 0, "", "string"),
  column("Age"),
  column("IP", 1),
  column("Node", 1),
];

export function resourceVersionOf(object: JsonObject): string {
  return String(readPath(object, "metadata.resourceVersion") ?? "");
}

export function wantsTable(accept: string | undefined): boolean {
  const first = accept?.split(",")[0] ?? "";
  return /\bas=Table\b/.test(first) && /\bg=meta\.k8s\.io\b/.test(first);
}

function age(object: JsonObject, now: Date): string {
  const created = readPath(object, "metadata.creationTimestamp");
  if (typeof created !== "string") return "<unknown>";
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(created)) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

function statuses(pod: JsonObject, list: string): JsonObject[] {
  const value = readPath(pod, `status.${list}`);
  return Array.isArray(value) ? value.filter(isJsonObject) : [];
}

function stateOf(status: JsonObject, which: "waiting" | "terminated" | "running"): JsonObject | undefined {
  const state = readPath(status, `state.${which}`);
  return isJsonObject(state) ? state : undefined;
}

/** kubectl's STATUS column, for the states the stand-ins produce. */
function podStatus(pod: JsonObject): string {
  if (readPath(pod, "metadata.deletionTimestamp")) return "Terminating";
  const inits = statuses(pod, "initContainerStatuses");
  for (const [index, status] of inits.entries()) {
    const terminated = stateOf(status, "terminated");
    if (terminated?.exitCode === 0) continue;
    if (terminated) return `Init:${String(terminated.reason ?? `ExitCode:${String(terminated.exitCode)}`)}`;
    const waiting = stateOf(status, "waiting");
    if (waiting?.reason && waiting.reason !== "PodInitializing") return `Init:${String(waiting.reason)}`;
    return `Init:${index}/${inits.length}`;
  }
  for (const status of statuses(pod, "containerStatuses")) {
    const waiting = stateOf(status, "waiting");
    if (waiting?.reason) return String(waiting.reason);
  }
  return String(readPath(pod, "status.reason") ?? readPath(pod, "status.phase") ?? "Unknown");
}

function podCells(pod: JsonObject, now: Date): Json[] {
  const containers = readPath(pod, "spec.containers");
  const total = Array.isArray(containers) ? containers.length : 0;
  const mains = statuses(pod, "containerStatuses");
  const ready = mains.filter((status) => status.ready === true).length;
  const counted = podStatus(pod).startsWith("Init:") ? statuses(pod, "initContainerStatuses") : mains;
  const restarts = counted.reduce(
    (sum, status) => sum + (typeof status.restartCount === "number" ? status.restartCount : 0),
    0,
  );
  return [
    String(readPath(pod, "metadata.name") ?? ""),
    `${ready}/${total}`,
    podStatus(pod),
    String(restarts),
    age(pod, now),
    String(readPath(pod, "status.podIP") ?? "<none>"),
    String(readPath(pod, "spec.nodeName") || "<none>"),
  ];
}

function row(type: ResourceType, object: JsonObject, now: Date): JsonObject {
  const cells =
    type.plural === "pods"
      ? podCells(object, now)
      : [String(readPath(object, "metadata.name") ?? ""), age(object, now)];
  const metadata = isJsonObject(object.metadata) ? object.metadata : {};
  return { cells, object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata } };
}

export function toTable(
  type: ResourceType,
  objects: readonly JsonObject[],
  listMetadata: JsonObject,
  now: Date,
): JsonObject {
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: listMetadata,
    columnDefinitions: type.plural === "pods" ? POD_COLUMNS : NAME_AGE,
    rows: objects.map((object) => row(type, object, now)),
  };
}
