// loadKubeConfig(): in-cluster service-account auth and KUBECONFIG, and errors that name the file or variable.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { KubeConfigError, loadKubeConfig } from "../../lib/kube/index.ts";

let dir: string;
const env = { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: "6443" };

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "kubeconfig-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function errorOf(run: () => unknown): KubeConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof KubeConfigError) return error;
    throw error;
  }
  throw new Error("expected a KubeConfigError");
}

test("in-cluster: the server comes from KUBERNETES_SERVICE_HOST/PORT, CA and token from the service-account dir", async () => {
  const accountDir = path.join(dir, "ok");
  await Bun.write(path.join(accountDir, "token"), "service-account-token-value");
  await Bun.write(path.join(accountDir, "ca.crt"), "-----BEGIN CERTIFICATE-----\n");
  const config = loadKubeConfig({ serviceAccountDir: accountDir, env });
  expect(config.getCurrentCluster()?.server).toBe("https://127.0.0.1:6443");
  expect(config.getCurrentCluster()?.caFile).toBe(path.join(accountDir, "ca.crt"));
  const ipv6 = loadKubeConfig({
    serviceAccountDir: accountDir,
    env: { ...env, KUBERNETES_SERVICE_HOST: "::1" },
  });
  expect(ipv6.getCurrentCluster()?.server).toBe("https://[::1]:6443");
});

test("in-cluster: a missing service variable is named", () => {
  const error = errorOf(() => loadKubeConfig({ serviceAccountDir: dir, env: {} }));
  expect(error.source).toBe("KUBERNETES_SERVICE_HOST");
  expect(error.message).toContain("KUBECONFIG");
  const badPort = errorOf(() =>
    loadKubeConfig({ serviceAccountDir: dir, env: { ...env, KUBERNETES_SERVICE_PORT: "https" } }),
  );
  expect(badPort.source).toBe("KUBERNETES_SERVICE_PORT");
});

test("in-cluster: a missing or empty token file is named, and its content never echoed", async () => {
  const accountDir = path.join(dir, "no-token");
  await Bun.write(path.join(accountDir, "ca.crt"), "ca");
  const missing = errorOf(() => loadKubeConfig({ serviceAccountDir: accountDir, env }));
  expect(missing.source).toBe(path.join(accountDir, "token"));
  expect(missing.message).toContain("automountServiceAccountToken");
  await writeFile(path.join(accountDir, "token"), "  \n");
  expect(errorOf(() => loadKubeConfig({ serviceAccountDir: accountDir, env })).message).toContain("empty");
  const noCa = path.join(dir, "no-ca");
  await Bun.write(path.join(noCa, "token"), "secret-token-text");
  const error = errorOf(() => loadKubeConfig({ serviceAccountDir: noCa, env }));
  expect(error.source).toBe(path.join(noCa, "ca.crt"));
  expect(error.message).not.toContain("secret-token-text");
});

test("KUBECONFIG: a missing file and a file without a cluster are named", async () => {
  const missing = path.join(dir, "absent.yaml");
  expect(errorOf(() => loadKubeConfig({ kubeconfigPath: missing })).source).toBe(missing);
  const empty = path.join(dir, "empty.yaml");
  await writeFile(empty, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
  expect(errorOf(() => loadKubeConfig({ kubeconfigPath: empty })).message).toContain("no cluster");
});
