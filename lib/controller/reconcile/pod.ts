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

export interface PodView {
  metadata?: {
    uid?: string;
    name?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: Date | string;
  };
  spec?: { serviceAccountName?: string };
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
