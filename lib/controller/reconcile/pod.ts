/**
 * The slice of a Kubernetes Pod the controller reads. Structural, so client-node's V1Pod fits it unchanged and tests
 * can write plain objects.
 */
export interface InitContainerStatusView {
  name: string;
  restartCount: number;
  state?: {
    running?: { startedAt?: Date | string };
    terminated?: unknown;
    waiting?: unknown;
  };
}

/** What says whether an init container is a native sidecar (lib/kube keeps only these for init containers). */
export interface InitContainerView {
  name: string;
  restartPolicy?: string;
  env?: { name: string; value?: string }[];
}

export interface PodView {
  metadata?: {
    uid?: string;
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: Date | string;
  };
  spec?: { serviceAccountName?: string; initContainers?: InitContainerView[] };
  status?: { podIP?: string; initContainerStatuses?: InitContainerStatusView[] };
}

/** Identifies a pod for events and logs. */
export interface PodRef {
  uid: string;
  namespace: string;
  name: string;
}

/** Kubernetes' own default when a pod names no service account. */
export const DEFAULT_SERVICE_ACCOUNT = "default";

export function podRef(pod: PodView): PodRef | undefined {
  const { uid, name, namespace } = pod.metadata ?? {};
  return uid && name && namespace ? { uid, name, namespace } : undefined;
}

export function serviceAccountOf(pod: PodView): string {
  return pod.spec?.serviceAccountName || DEFAULT_SERVICE_ACCOUNT;
}

export function initContainerStatus(
  pod: PodView,
  containerName: string,
): InitContainerStatusView | undefined {
  return pod.status?.initContainerStatuses?.find((status) => status.name === containerName);
}

/**
 * How the named init container runs, from its spec: a native sidecar has `restartPolicy: Always` AND `MODE=sidecar`
 * (the init's default mode is "init"). When the two disagree, `problem` says what is wrong and how to fix it, and
 * the pod gets no secret_id (see reconcile.ts): an init-mode init restarted for ever by the kubelet would take a
 * fresh token at every restart, and a sidecar-mode init run as a classic init container never exits, so the pod's
 * app containers never start. A MODE taken from a ConfigMap or Secret (no literal value) cannot be read here: then
 * restartPolicy decides, and the init's confirmation (which names its mode) is what the ledger records.
 */
export type InitModeReading = { mode: "init" | "sidecar" } | { problem: string };

export const SIDECAR_MODE_VALUE = "sidecar";

export function initModeOf(pod: PodView, containerName: string): InitModeReading {
  const container = pod.spec?.initContainers?.find((candidate) => candidate.name === containerName);
  const native = container?.restartPolicy === "Always";
  const modeVariable = container?.env?.find((variable) => variable.name === "MODE");
  if (modeVariable && modeVariable.value === undefined) return { mode: native ? "sidecar" : "init" };
  const sidecarMode = modeVariable?.value === SIDECAR_MODE_VALUE;
  if (native === sidecarMode) return { mode: native ? "sidecar" : "init" };
  return native
    ? {
        problem: `init container "${containerName}" has restartPolicy: Always (a native sidecar) but its MODE is ${modeVariable?.value === undefined ? "not set (so init)" : `"${modeVariable.value}"`}: it would exit after its first token and be restarted for a new one for ever. Set env MODE=sidecar on it, or remove restartPolicy: Always; then recreate the pod. No secret_id is issued until then`,
      }
    : {
        problem: `init container "${containerName}" has MODE=sidecar but no restartPolicy: Always: as a classic init container it never exits, so the pod's other containers never start. Add restartPolicy: Always to it (Kubernetes 1.29+ native sidecar), or remove MODE=sidecar; then recreate the pod. No secret_id is issued until then`,
      };
}
