/**
 * What a container process sees: its environment (literal values, `$(VAR)` expansion and downward-API `fieldRef`s,
 * https://kubernetes.io/docs/tasks/inject-data-application/environment-variable-expose-pod-information/) and its
 * command line. Containers are plain processes here, so a volume's `mountPath` cannot exist; instead every string
 * the container receives (env values, command, args) that starts with a mountPath has that prefix rewritten to the
 * volume's directory on the host (`<podDir>/volumes/<volumeName>`). Product code that reads its paths from env or
 * args thus runs unchanged and writes where tests can read.
 */
import { isJsonObject, type Json, type JsonObject } from "../kube/json.ts";

export class ContainerConfigError extends Error {}

export interface PodFacts {
  pod: JsonObject;
  podIP: string;
  hostIP: string;
  nodeName: string;
}

export interface ContainerLaunch {
  argv: string[];
  env: Record<string, string>;
}

function text(value: Json | undefined): string {
  return typeof value === "string" ? value : "";
}

function mapValue(object: Json | undefined, key: string): string {
  return isJsonObject(object) ? text(object[key]) : "";
}

/** The fieldRef paths the kubelet supports for env vars. */
export function fieldRefValue(path: string, facts: PodFacts): string {
  const metadata = isJsonObject(facts.pod.metadata) ? facts.pod.metadata : {};
  const spec = isJsonObject(facts.pod.spec) ? facts.pod.spec : {};
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (keyed?.[1] && keyed[2] !== undefined) return mapValue(metadata[keyed[1]], keyed[2]);
  switch (path) {
    case "metadata.name":
    case "metadata.namespace":
    case "metadata.uid":
      return text(metadata[path.slice("metadata.".length)]);
    case "spec.nodeName":
      return facts.nodeName;
    case "spec.serviceAccountName":
      return text(spec.serviceAccountName);
    case "status.podIP":
    case "status.podIPs":
      return facts.podIP;
    case "status.hostIP":
    case "status.hostIPs":
      return facts.hostIP;
    default:
      throw new ContainerConfigError(`unsupported fieldRef fieldPath ${JSON.stringify(path)}`);
  }
}

/** Kubernetes' $(VAR) expansion: known names are replaced, `$$` escapes, unknown references stay as written. */
export function expand(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === "$$") return "$";
    return name !== undefined && Object.hasOwn(env, name) ? (env[name] ?? "") : match;
  });
}

export type MountRewrite = (value: string) => string;

/** Builds the prefix rewrite for a container's volumeMounts; `volumeDir(name)` is the host directory. */
export function mountRewriter(container: JsonObject, volumeDir: (volume: string) => string): MountRewrite {
  const mounts = (Array.isArray(container.volumeMounts) ? container.volumeMounts : [])
    .filter(isJsonObject)
    .map((mount) => ({ from: text(mount.mountPath).replace(/\/+$/, ""), to: volumeDir(text(mount.name)) }))
    .filter((mount) => mount.from !== "")
    .sort((a, b) => b.from.length - a.from.length);
  return (value) => {
    for (const { from, to } of mounts)
      if (value === from || value.startsWith(`${from}/`)) return to + value.slice(from.length);
    return value;
  };
}

function resolveEnvVar(
  variable: JsonObject,
  facts: PodFacts,
  env: Record<string, string>,
  rewrite: MountRewrite,
) {
  if (typeof variable.value === "string") return rewrite(expand(variable.value, env));
  const source = variable.valueFrom;
  if (source === undefined) return "";
  if (isJsonObject(source) && isJsonObject(source.fieldRef))
    return fieldRefValue(text(source.fieldRef.fieldPath), facts);
  throw new ContainerConfigError(
    `env ${text(variable.name)}: only literal values and fieldRef are supported by the kubelet stand-in`,
  );
}

export function containerLaunch(
  container: JsonObject,
  facts: PodFacts,
  baseEnv: Readonly<Record<string, string>>,
  rewrite: MountRewrite,
): ContainerLaunch {
  const env: Record<string, string> = { ...baseEnv };
  for (const variable of Array.isArray(container.env) ? container.env : []) {
    if (!isJsonObject(variable) || typeof variable.name !== "string") continue;
    env[variable.name] = resolveEnvVar(variable, facts, env, rewrite);
  }
  const strings = (list: Json | undefined) =>
    Array.isArray(list) ? list.filter((s) => typeof s === "string") : [];
  // No image entrypoint exists here: without `command`, `args` is the command line.
  const argv = [...strings(container.command), ...strings(container.args)].map((part) =>
    rewrite(expand(part, env)),
  );
  if (argv.length === 0)
    throw new ContainerConfigError(`container ${text(container.name)} has neither command nor args to run`);
  return { argv, env };
}
