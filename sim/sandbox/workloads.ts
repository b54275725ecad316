/**
 * What runs on the sandbox: controller replicas' environments and sample pods, written exactly as the kustomize
 * manifests write them (downward API for the role name and pod IP, an emptyDir for the token), so the demo, tests
 * and benchmarks exercise the same configuration users deploy.
 */
import type { SandboxDescription } from "./index.ts";

export const TOKEN_DIR = "/var/run/secrets/boostport.com";
export const INIT_CONTAINER = "vault-init";
/** Controller replicas listen on 127.0.2.<n>: away from pods (127.1.x.y) and the stand-ins (127.0.0.1). */
export const controllerAddress = (replica: number) => `127.0.2.${replica + 1}`;

export interface ControllerPorts {
  metrics: number;
  health: number;
  raft: number;
  gossip: number;
}

export const CONTROLLER_PORTS: ControllerPorts = { metrics: 8080, health: 8081, raft: 45679, gossip: 45678 };

export function controllerEnv(
  sandbox: SandboxDescription,
  replica: number,
  extra: Record<string, string> = {},
): Record<string, string> {
  const ip = controllerAddress(replica);
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    VAULT_ADDR: sandbox.vault.addr,
    VAULT_CACERT: sandbox.vault.caCert,
    VAULT_TOKEN: sandbox.controller.vaultToken,
    VAULT_CA_BACKEND: sandbox.controller.pkiMount,
    VAULT_CA_ROLE: sandbox.controller.pkiRole,
    KUBERNETES_NAMESPACE: sandbox.controller.namespace,
    KUBERNETES_SERVICE: sandbox.controller.service,
    // In-cluster service-account auth, exactly as in a pod: host/port variables plus the mounted token and CA.
    KUBERNETES_SERVICE_HOST: new URL(sandbox.kubernetes.server).hostname,
    KUBERNETES_SERVICE_PORT: new URL(sandbox.kubernetes.server).port,
    SERVICE_ACCOUNT_DIR: sandbox.kubernetes.serviceAccountDir,
    ALLOWED_ROLES: sandbox.controller.allowList,
    POD_IP: ip,
    POD_NAME: `kubernetes-vault-${replica}`,
    METRICS_LISTEN: `${ip}:${CONTROLLER_PORTS.metrics}`,
    HEALTH_LISTEN: `${ip}:${CONTROLLER_PORTS.health}`,
    RAFT_PORT: String(CONTROLLER_PORTS.raft),
    GOSSIP_PORT: String(CONTROLLER_PORTS.gossip),
    CLUSTER_KEY: sandbox.controller.clusterKey,
    LOG_LEVEL: "info",
    ...extra,
  };
}

export interface SamplePodOptions {
  namespace: string;
  name: string;
  role: string;
  /** The init executable's argv: the compiled binary, or bun plus cmd/init.ts. */
  initCommand: string[];
  serviceAccount?: string;
  /** The role id the init logs in with; defaults to the sandbox's for `role`. */
  roleId?: string;
  timeout?: string;
  /**
   * Run the init as a native sidecar (Kubernetes 1.29+): restartPolicy Always, MODE=sidecar, and a startupProbe on
   * its plain-http readiness port, so the app starts only once the first token is on disk (docs/sidecar.md).
   */
  sidecar?: boolean;
}

/** The sidecar's plain-http readiness port (READINESS_ADDRESS), probed by the pod's startupProbe. */
export const SIDECAR_READINESS_PORT = 50001;

function sidecarFields(enabled: boolean | undefined): {
  extraEnv: { name: string; value: string }[];
  container: Record<string, unknown>;
} {
  if (!enabled) return { extraEnv: [], container: {} };
  return {
    extraEnv: [
      { name: "MODE", value: "sidecar" },
      { name: "READINESS_ADDRESS", value: `$(POD_IP):${SIDECAR_READINESS_PORT}` },
    ],
    container: {
      restartPolicy: "Always",
      startupProbe: {
        httpGet: { path: "/ready", port: SIDECAR_READINESS_PORT },
        periodSeconds: 1,
        failureThreshold: 300,
      },
    },
  };
}

export function samplePod(sandbox: SandboxDescription, options: SamplePodOptions): Record<string, unknown> {
  const roleId = options.roleId ?? sandbox.approles[options.role]?.roleId ?? "unknown-role";
  const sidecar = sidecarFields(options.sidecar);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: options.name,
      namespace: options.namespace,
      labels: { app: "sample" },
      annotations: {
        "pod.boostport.com/vault-approle": options.role,
        "pod.boostport.com/vault-init-container": INIT_CONTAINER,
      },
    },
    spec: {
      serviceAccountName: options.serviceAccount ?? "default",
      initContainers: [
        {
          name: INIT_CONTAINER,
          image: "localhost/kubernetes-vault-init:0.1.0",
          command: options.initCommand,
          env: [
            { name: "VAULT_ROLE_ID", value: roleId },
            {
              name: "VAULT_ROLE_NAME",
              valueFrom: {
                fieldRef: { fieldPath: "metadata.annotations['pod.boostport.com/vault-approle']" },
              },
            },
            { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
            // Every sandbox pod shares the host's loopback, so each listens on its own address only.
            { name: "LISTEN_ADDRESS", value: "$(POD_IP):50000" },
            { name: "VAULT_ADDR", value: sandbox.vault.addr },
            { name: "VAULT_CACERT", value: sandbox.vault.caCert },
            { name: "CONTROLLER_CA_CERT", value: sandbox.pki.caCert },
            { name: "TOKEN_PATH", value: `${TOKEN_DIR}/vault-token` },
            { name: "TIMEOUT", value: options.timeout ?? "5m" },
            ...sidecar.extraEnv,
          ],
          volumeMounts: [{ name: "vault-token", mountPath: TOKEN_DIR }],
          ...sidecar.container,
        },
      ],
      containers: [{ name: "app", image: "docker.io/library/busybox:1.36" }],
      volumes: [{ name: "vault-token", emptyDir: { medium: "Memory" } }],
    },
  };
}
