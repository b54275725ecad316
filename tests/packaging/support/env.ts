/**
 * The environment a rendered container would get from the kubelet, for checking it with lib/config's own loaders:
 * ConfigMaps from the rendered set, downward-API fields and Secrets as sample values of the right shape, and
 * `$(NAME)` references expanded as the kubelet does.
 */
import { ConfigError } from "../../../lib/config/index.ts";
import {
  type Container,
  type ContainerPort,
  type EnvVar,
  type KubeObject,
  only,
  type Workload,
} from "./manifests.ts";

/** The downward API's status.podIP in every resolved environment. */
export const SAMPLE_POD_IP = "10.0.0.5";

/**
 * The kubelet's `$(NAME)` expansion in an env value: only variables defined before it (envFrom, then earlier env
 * entries) are replaced, `$$` is a literal `$`, and an unknown reference stays as written (so a misordered one
 * reaches lib/config verbatim and is refused there).
 */
export function expandReferences(value: string, defined: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) =>
    name === undefined ? "$" : (defined[name] ?? whole),
  );
}

/** What the kubelet would inject for Secret and downward-API references (sample values of the right shape). */
export function resolveEnv(
  objects: KubeObject[],
  workload: Workload,
  container: Container,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (name)
      Object.assign(
        env,
        only<KubeObject & { data: Record<string, string> }>(objects, "ConfigMap", name).data,
      );
  }
  const fields: Record<string, string> = {
    "metadata.namespace": workload.metadata.namespace ?? "default",
    "metadata.name": `${workload.metadata.name}-7d9f8b6c5-x2x4q`,
    "status.podIP": SAMPLE_POD_IP,
  };
  for (const annotation of Object.keys(workload.spec.template.metadata.annotations ?? {}))
    fields[`metadata.annotations['${annotation}']`] =
      workload.spec.template.metadata.annotations?.[annotation] ?? "";
  const secrets: Record<string, string> = {
    VAULT_TOKEN: "hvs.CAESIsampleControllerTokenForManifestChecks",
    CLUSTER_KEY: "c2FtcGxlIGNsdXN0ZXIga2V5IG9mIGF0IGxlYXN0IDMyIGJ5dGVz",
    VAULT_ROLE_ID: "988a9dfd-ea69-4a53-6cb6-9d6b86474bba",
  };
  for (const variable of container.env ?? [])
    env[variable.name] =
      variable.value !== undefined
        ? expandReferences(variable.value, env)
        : resolveOne(objects, variable, fields, secrets);
  return env;
}

function resolveOne(
  objects: KubeObject[],
  variable: EnvVar,
  fields: Record<string, string>,
  secrets: Record<string, string>,
): string {
  if (variable.value !== undefined) return variable.value;
  const from = variable.valueFrom;
  const value = from?.fieldRef
    ? fields[from.fieldRef.fieldPath]
    : from?.secretKeyRef
      ? secrets[from.secretKeyRef.key]
      : from?.configMapKeyRef
        ? only<KubeObject & { data: Record<string, string> }>(objects, "ConfigMap", from.configMapKeyRef.name)
            .data[from.configMapKeyRef.key]
        : undefined;
  if (value === undefined) throw new Error(`${variable.name}: no sample value for ${JSON.stringify(from)}`);
  return value;
}

/** The variables a loader reports as "not set" when given nothing: what a manifest must set. */
export function requiredNames(load: (env: Record<string, string>) => unknown): string[] {
  try {
    load({});
  } catch (error) {
    if (error instanceof ConfigError)
      return error.problems.filter((p) => /not set/.test(p.problem)).map((p) => p.variable);
    throw error;
  }
  return [];
}

export function port(container: Container, name: string, protocol = "TCP"): ContainerPort | undefined {
  return container.ports?.find((p) => p.name === name && (p.protocol ?? "TCP") === protocol);
}
