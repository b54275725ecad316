/**
 * SlimPod: the only part of a Pod the controller keeps, parsed (and validated with valibot) straight from the API
 * server's JSON. Its shape is a structural subset of V1Pod, so lib/controller's PodView reads it unchanged.
 *
 * Why slim: a full pod is 5-20 KB in memory; these records are a few hundred bytes, which is what lets 10,000 cached
 * pods fit the controller's 100 MB budget. Only annotations under KEPT_ANNOTATION_PREFIX are kept, and repeated
 * strings (namespaces, service accounts, container names) are interned.
 *
 * Contract: `slimPod(json)` returns the record, or an error text naming the field when the object is not a usable
 * pod (no uid/name/namespace/resourceVersion). Fields with an unexpected shape are dropped, not guessed.
 */
import * as v from "valibot";

export const KEPT_ANNOTATION_PREFIX = "pod.boostport.com/";

export interface SlimInitContainerStatus {
  name: string;
  restartCount: number;
  state?: {
    running?: { startedAt?: string };
    terminated?: { exitCode?: number; reason?: string };
    waiting?: { reason?: string };
  };
}

/**
 * The two facts about an init container that say whether it runs as a native sidecar (issue 15): its
 * `restartPolicy` and the literal value of its `MODE` env variable. Kept only for init containers that carry either,
 * and `env` holds only MODE, so a pod in init mode keeps nothing more than before.
 */
export interface SlimInitContainer {
  name: string;
  restartPolicy?: string;
  env?: { name: string; value?: string }[];
}

export const MODE_ENV = "MODE";

export interface SlimPod {
  metadata: {
    uid: string;
    name: string;
    namespace: string;
    resourceVersion: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec: { serviceAccountName?: string; initContainers?: SlimInitContainer[] };
  status: { podIP?: string; initContainerStatuses?: SlimInitContainerStatus[] };
}

const optionalString = v.fallback(v.optional(v.string()), undefined);
const reasonOnly = v.object({ reason: optionalString });

const InitStatusSchema = v.object({
  name: v.string(),
  restartCount: v.fallback(v.number(), 0),
  state: v.optional(
    v.object({
      running: v.optional(v.object({ startedAt: optionalString })),
      terminated: v.optional(
        v.object({ exitCode: v.fallback(v.optional(v.number()), undefined), reason: optionalString }),
      ),
      waiting: v.optional(reasonOnly),
    }),
  ),
});

const InitContainerSchema = v.object({
  name: v.string(),
  restartPolicy: optionalString,
  env: v.fallback(
    v.optional(v.array(v.object({ name: v.fallback(v.string(), ""), value: optionalString }))),
    undefined,
  ),
});

const PodSchema = v.object({
  metadata: v.object({
    uid: v.pipe(v.string(), v.nonEmpty()),
    name: v.pipe(v.string(), v.nonEmpty()),
    namespace: v.pipe(v.string(), v.nonEmpty()),
    resourceVersion: v.pipe(v.string(), v.nonEmpty()),
    annotations: v.fallback(v.optional(v.record(v.string(), v.string())), undefined),
    deletionTimestamp: optionalString,
  }),
  spec: v.optional(
    v.object({
      serviceAccountName: optionalString,
      initContainers: v.fallback(v.optional(v.array(InitContainerSchema)), undefined),
    }),
    {},
  ),
  status: v.optional(
    v.object({
      podIP: optionalString,
      initContainerStatuses: v.fallback(v.optional(v.array(InitStatusSchema)), undefined),
    }),
    {},
  ),
});

const interned = new Map<string, string>();
const INTERN_LIMIT = 50_000;

/** Shares one copy of strings that repeat across pods; bounded so hostile input cannot grow it forever. */
function intern(value: string): string {
  const known = interned.get(value);
  if (known !== undefined) return known;
  if (interned.size < INTERN_LIMIT) interned.set(value, value);
  return value;
}

function keptAnnotations(all: Record<string, string> | undefined): Record<string, string> | undefined {
  if (!all) return undefined;
  let kept: Record<string, string> | undefined;
  for (const [key, value] of Object.entries(all)) {
    if (!key.startsWith(KEPT_ANNOTATION_PREFIX)) continue;
    kept ??= {};
    kept[intern(key)] = intern(value);
  }
  return kept;
}

function slimInitContainers(
  all: v.InferOutput<typeof InitContainerSchema>[] | undefined,
): SlimInitContainer[] | undefined {
  let kept: SlimInitContainer[] | undefined;
  for (const container of all ?? []) {
    const mode = container.env?.find((variable) => variable.name === MODE_ENV);
    if (!container.restartPolicy && !mode) continue;
    const slim: SlimInitContainer = { name: intern(container.name) };
    if (container.restartPolicy) slim.restartPolicy = intern(container.restartPolicy);
    if (mode)
      slim.env = [
        mode.value === undefined ? { name: MODE_ENV } : { name: MODE_ENV, value: intern(mode.value) },
      ];
    kept ??= [];
    kept.push(slim);
  }
  return kept;
}

function describeIssue(issues: v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  const field = issue ? v.getDotPath(issue) : undefined;
  return `${field ?? "pod"}: ${issue?.message ?? "invalid"}`;
}

export function slimPod(json: unknown): SlimPod | { error: string } {
  const parsed = v.safeParse(PodSchema, json);
  if (!parsed.success) return { error: describeIssue(parsed.issues) };
  const { metadata, spec, status } = parsed.output;
  const pod: SlimPod = {
    metadata: {
      uid: metadata.uid,
      name: metadata.name,
      namespace: intern(metadata.namespace),
      resourceVersion: metadata.resourceVersion,
    },
    spec: {},
    status: {},
  };
  const annotations = keptAnnotations(metadata.annotations);
  if (annotations) pod.metadata.annotations = annotations;
  if (metadata.deletionTimestamp) pod.metadata.deletionTimestamp = metadata.deletionTimestamp;
  if (spec.serviceAccountName) pod.spec.serviceAccountName = intern(spec.serviceAccountName);
  const initContainers = slimInitContainers(spec.initContainers);
  if (initContainers) pod.spec.initContainers = initContainers;
  if (status.podIP) pod.status.podIP = status.podIP;
  if (status.initContainerStatuses)
    pod.status.initContainerStatuses = status.initContainerStatuses.map((entry) => {
      const slim: SlimInitContainerStatus = { name: intern(entry.name), restartCount: entry.restartCount };
      if (entry.state) slim.state = entry.state;
      return slim;
    });
  return pod;
}

export function isSlimPod(value: SlimPod | { error: string }): value is SlimPod {
  return !("error" in value);
}

export function podKeyOf(pod: SlimPod): PodKey {
  return { uid: pod.metadata.uid, namespace: pod.metadata.namespace, name: pod.metadata.name };
}

/** What informer callbacks carry: enough to look the pod up (or, after a delete, to know which one went). */
export interface PodKey {
  uid: string;
  namespace: string;
  name: string;
}
