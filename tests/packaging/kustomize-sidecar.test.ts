// The native-sidecar overlay (issue 15) is what docs/sidecar.md promises: its sample Deployment and Job run the vault
// init container as a native sidecar (restartPolicy: Always and MODE=sidecar together, which the controller's own
// reading accepts), READINESS_ADDRESS expands to the pod IP on the readiness port, the startupProbe asks that port's
// /ready and waits at least TIMEOUT, the token volume is shared with the app without a subPath (which would miss
// every renewal), the Job's pod does not restart as a whole, and the controller gets SIDECAR_REISSUE_MARGIN.
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  INIT_DEFAULTS,
  loadControllerConfig,
  loadInitConfig,
  parsePodAnnotations,
} from "../../lib/config/index.ts";
import { initModeOf } from "../../lib/controller/index.ts";
import { port, resolveEnv, SAMPLE_POD_IP } from "./support/env.ts";
import { type Container, controllerOf, render, sampleApps, type Workload } from "./support/manifests.ts";

setDefaultTimeout(120_000);

const OVERLAY = "overlays/native-sidecar";
/** The readiness port the init listens on by default ([::]:50001), and so what a startupProbe must name. */
const READINESS_PORT = Number(INIT_DEFAULTS.readinessAddress.split(":").pop());

function sidecarOf(app: Workload): Container {
  const annotations = parsePodAnnotations(app.spec.template.metadata.annotations);
  const init = app.spec.template.spec.initContainers?.find((c) => c.name === annotations?.initContainer);
  if (!init) throw new Error(`${app.metadata.name}: its annotations name no init container`);
  return init;
}

/** What the controller makes of the pod's init container (lib/controller's initModeOf, as reconcile calls it). */
function controllerReading(app: Workload) {
  const annotations = parsePodAnnotations(app.spec.template.metadata.annotations);
  return initModeOf({ spec: app.spec.template.spec }, annotations?.initContainer ?? "");
}

async function apps(): Promise<Workload[]> {
  return sampleApps(await render(OVERLAY));
}

test("the overlay ships a sample Deployment and a sample Job", async () => {
  expect((await apps()).map((app) => `${app.kind}/${app.metadata.name}`).sort()).toEqual([
    "Deployment/sample-sidecar-app",
    "Job/sample-sidecar-job",
  ]);
});

describe.each(["sample-sidecar-app", "sample-sidecar-job"])("%s", (name) => {
  async function app(): Promise<Workload> {
    const found = (await apps()).find((candidate) => candidate.metadata.name === name);
    if (!found) throw new Error(`${name} is not rendered`);
    return found;
  }

  test("its vault init container is a native sidecar in MODE=sidecar, and the controller reads it so", async () => {
    const workload = await app();
    const sidecar = sidecarOf(workload);
    expect(sidecar.restartPolicy).toBe("Always");
    expect(sidecar.env?.find((variable) => variable.name === "MODE")?.value).toBe("sidecar");
    expect(controllerReading(workload)).toEqual({ mode: "sidecar" });
  });

  test("READINESS_ADDRESS is the pod IP (downward API, defined before it) on the readiness port", async () => {
    const workload = await app();
    const sidecar = sidecarOf(workload);
    const names = (sidecar.env ?? []).map((variable) => variable.name);
    const podIp = sidecar.env?.find((variable) => variable.name === "POD_IP");
    expect(podIp?.valueFrom?.fieldRef?.fieldPath).toBe("status.podIP");
    expect(names.indexOf("POD_IP")).toBeLessThan(names.indexOf("READINESS_ADDRESS"));
    const config = loadInitConfig(resolveEnv(await render(OVERLAY), workload, sidecar));
    expect(config.mode).toBe("sidecar");
    expect(config.readiness).toEqual({ hostname: SAMPLE_POD_IP, port: READINESS_PORT });
    expect(config.listen.port).not.toBe(config.readiness.port);
  });

  test("the startupProbe asks GET /ready on that port, exposed by the container, for at least TIMEOUT", async () => {
    const workload = await app();
    const sidecar = sidecarOf(workload);
    const config = loadInitConfig(resolveEnv(await render(OVERLAY), workload, sidecar));
    const probe = sidecar.startupProbe;
    expect(probe?.httpGet?.path).toBe("/ready");
    const target = probe?.httpGet?.port;
    const number = typeof target === "number" ? target : port(sidecar, String(target))?.containerPort;
    expect(number).toBe(config.readiness.port);
    expect(sidecar.ports?.map((p) => p.containerPort)).toContain(config.readiness.port);
    // Kubernetes' defaults: every 10 s, 3 failures. Shorter than TIMEOUT, the kubelet would restart a sidecar that
    // is still waiting for its first push before it could log why.
    const windowMs = (probe?.periodSeconds ?? 10) * (probe?.failureThreshold ?? 3) * 1000;
    expect(windowMs).toBeGreaterThanOrEqual(config.timeoutMs);
    // A liveness failure would restart the sidecar, and each restart costs a fresh secret_id.
    expect(sidecar.livenessProbe).toBeUndefined();
  });

  test("the token volume is in memory and shared with every app container, as a directory", async () => {
    const workload = await app();
    const spec = workload.spec.template.spec;
    const sidecar = sidecarOf(workload);
    const config = loadInitConfig(resolveEnv(await render(OVERLAY), workload, sidecar));
    const tokenDir = config.tokenPath.slice(0, config.tokenPath.lastIndexOf("/"));
    const mount = sidecar.volumeMounts?.find((m) => m.mountPath.replace(/\/$/, "") === tokenDir);
    expect(mount?.readOnly).not.toBe(true);
    expect(spec.volumes?.find((v) => v.name === mount?.name)?.emptyDir?.medium).toBe("Memory");
    for (const container of spec.containers) {
      const shared = container.volumeMounts?.find((m) => m.name === mount?.name);
      expect({ container: container.name, mountPath: shared?.mountPath, readOnly: shared?.readOnly }).toEqual(
        {
          container: container.name,
          mountPath: mount?.mountPath,
          readOnly: true,
        },
      );
      expect(shared?.subPath).toBeUndefined();
    }
  });
});

test("the Job's pod restarts Never (Jobs allow Never or OnFailure); only its sidecar restarts Always", async () => {
  const job = (await apps()).find((app) => app.kind === "Job");
  expect(job?.spec.template.spec.restartPolicy).toBe("Never");
  expect(job && sidecarOf(job).restartPolicy).toBe("Always");
});

test("the controller gets SIDECAR_REISSUE_MARGIN=2m from the overlay's ConfigMap", async () => {
  const objects = await render(OVERLAY);
  const { deployment, container } = controllerOf(objects);
  expect(loadControllerConfig(resolveEnv(objects, deployment, container)).sidecarReissueMarginMs).toBe(
    120_000,
  );
});

test("the checks can fail: without restartPolicy, or with READINESS_ADDRESS before POD_IP", async () => {
  const workload = (await apps())[0];
  if (!workload) throw new Error("no sample app");
  const broken = structuredClone(workload);
  const sidecar = sidecarOf(broken);
  delete sidecar.restartPolicy;
  expect(controllerReading(broken)).toMatchObject({
    problem: expect.stringContaining("restartPolicy: Always"),
  });
  sidecar.env = [...(sidecar.env ?? [])].sort((a, b) =>
    a.name === "READINESS_ADDRESS" ? -1 : b.name === "READINESS_ADDRESS" ? 1 : 0,
  );
  const objects = await render(OVERLAY);
  expect(() => loadInitConfig(resolveEnv(objects, broken, sidecar))).toThrow(/READINESS_ADDRESS/);
});
