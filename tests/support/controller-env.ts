/**
 * The smallest environment loadControllerConfig accepts, for tests that need a ControllerConfig but test something
 * else (coordination, bootstrap, RAFT_PEERS). Tests of the configuration itself keep their own, more telling values.
 */
export const MINIMAL_CONTROLLER_ENV: Readonly<Record<string, string>> = {
  VAULT_TOKEN: "s.controller-token-for-config-tests",
  VAULT_ADDR: "https://vault.example:8200",
  KUBERNETES_NAMESPACE: "kubernetes-vault",
  KUBERNETES_SERVICE: "kubernetes-vault",
  POD_IP: "10.0.0.5",
  POD_NAME: "kv-0",
  CLUSTER_KEY: "0123456789abcdef0123456789abcdef",
  ALLOWED_ROLES: "team-a: demo-app",
};
