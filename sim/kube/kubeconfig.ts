/**
 * The admin kubeconfig: one cluster (server + CA file), one user (bearer token), one context. Written as YAML in the
 * layout kubectl writes, so `kubectl --kubeconfig` and client-node's loadFromFile both read it.
 */
export interface KubeconfigInput {
  server: string;
  caCertPath: string;
  token: string;
  namespace?: string;
}

const CONTEXT = "kube-sim";

export function renderKubeconfig(input: KubeconfigInput): string {
  const quote = (value: string) => JSON.stringify(value);
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: kube-sim",
    "  cluster:",
    `    server: ${quote(input.server)}`,
    `    certificate-authority: ${quote(input.caCertPath)}`,
    "users:",
    "- name: kube-sim-admin",
    "  user:",
    `    token: ${quote(input.token)}`,
    "contexts:",
    `- name: ${CONTEXT}`,
    "  context:",
    "    cluster: kube-sim",
    "    user: kube-sim-admin",
    `    namespace: ${quote(input.namespace ?? "default")}`,
    `current-context: ${CONTEXT}`,
    "",
  ].join("\n");
}
