/**
 * `--keep`: what to tell the user when everything stays up: how to curl Vault and the API server as an operator,
 * and how to kill a controller replica to watch the rest carry on.
 */
import type { DemoRun } from "./run.ts";

export function keepInstructions(run: DemoRun, stateDir: string): string {
  const d = run.sandbox.description;
  const replicas = run.cluster.members
    .filter((r) => r.alive())
    .map(
      (r) =>
        `  kill -9 ${r.process().pid}    # ${r.name} (metrics: curl -s ${r.metricsUrl} | grep is_leader)`,
    )
    .join("\n");
  return `Everything is still running (state in ${stateDir}).

Vault (root token in ${run.sandbox.descriptionPath}):
  export VAULT_ADDR=${d.vault.addr} VAULT_CACERT=${d.vault.caCert}
  export VAULT_TOKEN=$(jq -r .vault.rootToken ${run.sandbox.descriptionPath})
  curl -s --cacert $VAULT_CACERT -H "X-Vault-Token: $VAULT_TOKEN" $VAULT_ADDR/v1/auth/token/accessors?list=true | jq .

Kubernetes API:
  curl -s --cacert ${d.kubernetes.caCert} -H "Authorization: Bearer $(jq -r .kubernetes.token ${run.sandbox.descriptionPath})" \\
    ${d.kubernetes.server}/api/v1/namespaces/team-c/events | jq '.items[] | {reason, message}'
  (or KUBECONFIG=${d.kubernetes.kubeconfig} with your own kubectl)

Controller replicas:
${replicas}

Pods' files and logs: ${d.kubelet.podsDir}
Ctrl-C stops everything.`;
}
