/**
 * `bun run sandbox [--real] --state-dir DIR`: the stand-ins (or, with --real, real etcd, kube-apiserver,
 * kube-controller-manager and Vault built from their Go modules) in the foreground, provisioned, until SIGINT/SIGTERM.
 */
import { parseArgs } from "node:util";
import { startSandbox } from "./sandbox/index.ts";

const { values } = parseArgs({
  options: {
    "state-dir": { type: "string", default: ".state/sandbox" },
    "vault-port": { type: "string", default: "8200" },
    "kube-port": { type: "string", default: "6443" },
    real: { type: "boolean", default: false },
  },
});

const sandbox = await startSandbox({
  dir: values["state-dir"],
  vaultPort: Number(values["vault-port"]),
  kubePort: Number(values["kube-port"]),
  backend: values.real ? "real" : "stand-ins",
});
const d = sandbox.description;
console.log(`${values.real ? "real servers" : "stand-ins"} sandbox ready; described in ${sandbox.descriptionPath}

  Vault            ${d.vault.addr}   (CA ${d.vault.caCert})
  Kubernetes API   ${d.kubernetes.server}   (kubeconfig ${d.kubernetes.kubeconfig})
  kubelet          pods get 127.1.x.y addresses; their files live under ${d.kubelet.podsDir}

Try:
  export VAULT_ADDR=${d.vault.addr} VAULT_CACERT=${d.vault.caCert} VAULT_TOKEN=$(jq -r .vault.rootToken ${sandbox.descriptionPath})
  curl -s --cacert $VAULT_CACERT -H "X-Vault-Token: $VAULT_TOKEN" $VAULT_ADDR/v1/sys/auth | jq .
  curl -s --cacert ${d.kubernetes.caCert} -H "Authorization: Bearer $(jq -r .kubernetes.token ${sandbox.descriptionPath})" ${d.kubernetes.server}/api/v1/namespaces | jq '.items[].metadata.name'

Ctrl-C stops everything.`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the sandbox`);
  await sandbox.stop();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
