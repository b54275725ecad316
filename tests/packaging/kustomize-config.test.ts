// The rendered manifests and the code agree: every env name a manifest sets is one lib/config reads, every
// variable lib/config requires is set, the resolved environment loads without a problem, and the ports in the
// Deployment, Service, probes and ServiceMonitor are the ports the programs listen on (RAFT_PORT 45679,
// GOSSIP_PORT 45678 over UDP and TCP, INIT_PORT 50000, METRICS_LISTEN, HEALTH_LISTEN). Sample apps: the init's
// env, its port, the pod annotations and the controller's allow-list fit together.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { posix } from "node:path";
import {
  allowListDecision,
  CONTROLLER_DEFAULTS,
  CONTROLLER_ENV_NAMES,
  type ControllerConfig,
  INIT_DEFAULTS,
  INIT_ENV_NAMES,
  loadControllerConfig,
  loadInitConfig,
  parsePodAnnotations,
} from "../../lib/config/index.ts";
import { INIT_PORT } from "../../lib/push/index.ts";
import { port, requiredNames, resolveEnv } from "./support/env.ts";
import {
  controllerOf,
  find,
  type KubeObject,
  kustomizations,
  only,
  render,
  sampleApps,
} from "./support/manifests.ts";

setDefaultTimeout(120_000);

/** The overlays that ship sample workloads (pods with our annotations), and which. */
const SAMPLE_APPS: Record<string, string[]> = {
  "overlays/quick-start": ["sample-app"],
  "overlays/native-sidecar": ["sample-sidecar-app", "sample-sidecar-job"],
};
const SAMPLE_OVERLAYS = Object.keys(SAMPLE_APPS);

interface ServicePort {
  name: string;
  port: number;
  targetPort: string | number;
  protocol?: string;
}

function loadController(objects: KubeObject[]): ControllerConfig {
  const { deployment, container } = controllerOf(objects);
  return loadControllerConfig(resolveEnv(objects, deployment, container));
}

test("the required variables are known to lib/config (guards the checks below)", () => {
  expect(requiredNames(loadControllerConfig)).toEqual(
    expect.arrayContaining(["VAULT_TOKEN", "VAULT_ADDR", "POD_IP", "POD_NAME", "CLUSTER_KEY"]),
  );
  // CONTROLLER_CA_CERT is required unless INSECURE_UNAUTHENTICATED_PUSH=true: a manifest must set it.
  expect(requiredNames(loadInitConfig)).toEqual(["VAULT_ROLE_ID", "CONTROLLER_CA_CERT"]);
  expect([
    CONTROLLER_DEFAULTS.raftPort,
    CONTROLLER_DEFAULTS.gossipPort,
    CONTROLLER_DEFAULTS.initPort,
  ]).toEqual([45679, 45678, 50000]);
  expect(INIT_PORT).toBe(CONTROLLER_DEFAULTS.initPort);
  expect(INIT_DEFAULTS.listenAddress.endsWith(`:${INIT_PORT}`)).toBe(true);
});

describe.each(kustomizations())("kustomize/%s", (which) => {
  test("the controller sets only variables lib/config reads, all the required ones, with valid values", async () => {
    const objects = await render(which);
    const { deployment, container } = controllerOf(objects);
    const env = resolveEnv(objects, deployment, container);
    expect(Object.keys(env).filter((name) => !CONTROLLER_ENV_NAMES.includes(name))).toEqual([]);
    expect(requiredNames(loadControllerConfig).filter((name) => !(name in env))).toEqual([]);
    const config = loadControllerConfig(env);
    const service = only<KubeObject>(objects, "Service", config.kubernetes.service);
    expect(service.metadata.namespace).toBe(config.kubernetes.namespace);
  });

  test("container ports, probes, Service and ServiceMonitor use the ports the controller listens on", async () => {
    const objects = await render(which);
    const { container } = controllerOf(objects);
    const config = loadController(objects);
    expect(config.raftPort).toBe(CONTROLLER_DEFAULTS.raftPort);
    expect(config.gossipPort).toBe(CONTROLLER_DEFAULTS.gossipPort);
    expect(config.initPort).toBe(CONTROLLER_DEFAULTS.initPort);
    expect(port(container, "raft")?.containerPort).toBe(config.raftPort);
    expect(port(container, "gossip", "UDP")?.containerPort).toBe(config.gossipPort);
    expect(port(container, "gossip-tcp")?.containerPort).toBe(config.gossipPort);
    expect(port(container, "metrics")?.containerPort).toBe(config.metricsListen.port);
    expect(port(container, "health")?.containerPort).toBe(config.healthListen.port);
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      const target = probe?.httpGet?.port;
      const number = typeof target === "number" ? target : port(container, String(target))?.containerPort;
      expect(number).toBe(config.healthListen.port);
    }
    const service = only<KubeObject & { spec: { ports: ServicePort[] } }>(
      objects,
      "Service",
      config.kubernetes.service,
    );
    const exposed = service.spec.ports.map((p) => {
      const target = port(container, String(p.targetPort), p.protocol ?? "TCP");
      return `${p.name} ${p.port}/${p.protocol ?? "TCP"} -> ${target?.containerPort}`;
    });
    expect(exposed.sort()).toEqual(
      [
        `metrics ${config.metricsListen.port}/TCP -> ${config.metricsListen.port}`,
        `raft ${config.raftPort}/TCP -> ${config.raftPort}`,
        `gossip ${config.gossipPort}/UDP -> ${config.gossipPort}`,
        `gossip-tcp ${config.gossipPort}/TCP -> ${config.gossipPort}`,
      ].sort(),
    );
    for (const monitor of find<KubeObject & { spec: { endpoints: { port: string; scheme?: string }[] } }>(
      objects,
      "ServiceMonitor",
    )) {
      for (const endpoint of monitor.spec.endpoints) {
        expect(service.spec.ports.map((p) => p.name)).toContain(endpoint.port);
        expect(endpoint.scheme ?? "http").toBe(config.metricsTls ? "https" : "http");
      }
    }
  });

  test("sample apps (pods with our annotations) ship only in the overlays meant for them", async () => {
    const apps = sampleApps(await render(which)).map((app) => app.metadata.name);
    expect(apps.sort()).toEqual(SAMPLE_APPS[which] ?? []);
  });
});

describe.each(SAMPLE_OVERLAYS)("kustomize/%s", (which) => {
  test("sample apps: the init's env, port, mounts, pod annotations and the allow-list fit together", async () => {
    const objects = await render(which);
    const controller = loadController(objects);
    const apps = sampleApps(objects);
    expect(apps.length).toBeGreaterThan(0);
    for (const app of apps) {
      const spec = app.spec.template.spec;
      const annotations = parsePodAnnotations(app.spec.template.metadata.annotations);
      const init = spec.initContainers?.find((c) => c.name === annotations?.initContainer);
      if (!annotations || !init) throw new Error(`${app.metadata.name}: annotations name no init container`);
      const env = resolveEnv(objects, app, init);
      expect(Object.keys(env).filter((name) => !INIT_ENV_NAMES.includes(name))).toEqual([]);
      const config = loadInitConfig(env);
      // The settings that make the exchange safe: pushes authenticated, the role and Vault pinned, CIDR-bound login.
      expect(config.controllerCaCertPath).toBeDefined();
      expect(config.expectedRole).toBe(annotations.role);
      expect(config.podIp).toBeDefined();
      expect(config.listen.port).toBe(controller.initPort);
      expect(port(init, init.ports?.[0]?.name ?? "")?.containerPort).toBe(controller.initPort);
      const mounted = (path: string | undefined) =>
        init.volumeMounts?.find(
          (m) => path !== undefined && posix.dirname(path) === m.mountPath.replace(/\/$/, ""),
        );
      const tokenMount = mounted(config.tokenPath);
      expect(spec.volumes?.find((v) => v.name === tokenMount?.name)?.emptyDir?.medium).toBe("Memory");
      expect(spec.containers.some((c) => c.volumeMounts?.some((m) => m.name === tokenMount?.name))).toBe(
        true,
      );
      expect(mounted(config.controllerCaCertPath)).toBeDefined();
      if (controller.allowList.kind !== "inline") throw new Error("expected an inline ALLOWED_ROLES");
      const request = {
        namespace: app.metadata.namespace ?? "default",
        serviceAccount: spec.serviceAccountName ?? "default",
        role: annotations.role,
      };
      expect(allowListDecision(controller.allowList.list, request).allowed).toBe(true);
    }
  });
});
