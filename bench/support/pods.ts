/**
 * Pod manifests the benchmarks and the fleet test create: an application pod in a sandbox namespace asking for an
 * AppRole through the annotations, with the vault init container wired as docs/quick-start.md wires it (role id,
 * expected role from the downward API, the pod's own IP, pinned Vault with its CA, the controller CA, the token on
 * an in-memory emptyDir). `nodeName` binds the pod to the fleet node (sim/fleet) instead of the kubelet stand-in.
 */
import type { SandboxDescription } from "../../sim/sandbox/index.ts";

export const INIT_CONTAINER = "vault-init";
export const TOKEN_VOLUME = "vault-token";
const CREDENTIALS_MOUNT = "/var/run/secrets/boostport.com";

export interface PodTemplate {
  sandbox: SandboxDescription;
  namespace: string;
  role: string;
  /** The init container's command line (the compiled init for the kubelet; ignored by the fleet). */
  initCommand: string[];
  nodeName?: string;
  timeout?: string;
}

export function podManifest(name: string, template: PodTemplate) {
  const { sandbox, role } = template;
  const roleId = sandbox.approles[role]?.roleId;
  if (roleId === undefined) throw new Error(`the sandbox has no AppRole ${role}`);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: template.namespace,
      labels: { app: "bench" },
      annotations: {
        "pod.boostport.com/vault-approle": role,
        "pod.boostport.com/vault-init-container": INIT_CONTAINER,
      },
    },
    spec: {
      ...(template.nodeName ? { nodeName: template.nodeName } : {}),
      restartPolicy: "Always",
      initContainers: [
        {
          name: INIT_CONTAINER,
          image: "localhost/kubernetes-vault-init:bench",
          command: template.initCommand,
          env: [
            { name: "VAULT_ROLE_ID", value: roleId },
            {
              name: "VAULT_ROLE_NAME",
              valueFrom: {
                fieldRef: { fieldPath: "metadata.annotations['pod.boostport.com/vault-approle']" },
              },
            },
            { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
            // Pods share the host's network here, so each binds its own address rather than every interface.
            { name: "LISTEN_ADDRESS", value: "$(POD_IP):50000" },
            { name: "VAULT_ADDR", value: sandbox.vault.addr },
            { name: "VAULT_CACERT", value: sandbox.vault.caCert },
            { name: "CONTROLLER_CA_CERT", value: sandbox.pki.caCert },
            { name: "TOKEN_PATH", value: `${CREDENTIALS_MOUNT}/vault-token` },
            { name: "TIMEOUT", value: template.timeout ?? "5m" },
            { name: "LOG_LEVEL", value: "warn" },
          ],
          volumeMounts: [{ name: TOKEN_VOLUME, mountPath: CREDENTIALS_MOUNT }],
        },
      ],
      containers: [{ name: "app", image: "busybox", command: ["sleep", "3600"] }],
      volumes: [{ name: TOKEN_VOLUME, emptyDir: { medium: "Memory" } }],
    },
  };
}
