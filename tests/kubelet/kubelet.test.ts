// The kubelet stand-in running pods against the API stand-in over HTTPS.
// Follows https://kubernetes.io/docs/concepts/workloads/pods/init-containers/ (init containers run one at a time, in
// order, each to completion, before the app containers; a failed one is restarted unless restartPolicy is Never),
// https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-restarts (exponential back-off,
// CrashLoopBackOff), https://kubernetes.io/docs/tasks/inject-data-application/environment-variable-expose-pod-information/
// (downward API env), https://kubernetes.io/docs/concepts/architecture/nodes/#self-registration-of-nodes (the node
// registers itself) and https://kubernetes.io/docs/concepts/workloads/pods/pod-termination/ (the node finishes a
// pod's graceful deletion once its containers are gone).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Kubelet, startKubelet } from "../../sim/kubelet/index.ts";
import { call, openWatch, startTestSim, type TestSim, type WatchEvent } from "../kube-sim/helpers.ts";
import { waitFor } from "../support/wait.ts";

// Real servers and processes on a busy CI machine: wait generously (bunfig's timeout is not applied by bun 1.4).
setDefaultTimeout(60_000);

const BACKOFF_BASE_MS = 1_000;
let t: TestSim;
let kubelet: Kubelet;
let kubeletStopped = false;
let logDir: string;

beforeAll(async () => {
  t = await startTestSim();
  // The first pod runs as demo-sa: like a real API server, the stand-in admits no pod whose account is missing.
  await call(t.sim, "POST", "/api/v1/namespaces/default/serviceaccounts", {
    body: { metadata: { name: "demo-sa" } },
  });
  logDir = await mkdtemp(path.join(tmpdir(), "kubelet-"));
  kubelet = await startKubelet({
    server: t.sim.server,
    caPem: t.sim.caPem,
    token: t.sim.token,
    logDir,
    restartBackoffBaseMs: BACKOFF_BASE_MS,
    restartBackoffMaxMs: 4 * BACKOFF_BASE_MS,
    killGraceMs: 500,
  });
});
afterAll(async () => {
  if (!kubeletStopped) await kubelet.stop();
  await t.close();
  await rm(logDir, { recursive: true, force: true });
});

const pods = "/api/v1/namespaces/default/pods";
// biome-ignore lint/suspicious/noExplicitAny: pod JSON as served
type Pod = any;

async function createPod(manifest: Pod): Promise<Pod> {
  const { status, json } = await call(t.sim, "POST", pods, { body: manifest });
  expect(status).toBe(201);
  return json;
}

function getPod(name: string): Promise<Pod> {
  return call(t.sim, "GET", `${pods}/${name}`).then((r) => r.json);
}

function waitForPod(name: string, what: string, predicate: (pod: Pod) => boolean): Promise<Pod> {
  return waitFor(`${name}: ${what}`, async () => {
    const pod = await getPod(name);
    return predicate(pod) ? pod : undefined;
  });
}

/** Members of the process group `pgid` (a container's processes: its shell and what the shell started). */
function groupMembers(pgid: number): string[] {
  const found = spawnSync("pgrep", ["-g", String(pgid)], { encoding: "utf8" });
  return found.stdout.split("\n").filter(Boolean);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const fieldRefEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

const shell = (name: string, script: string, extra: Record<string, unknown> = {}) => ({
  name,
  image: "busybox",
  command: ["sh", "-c", script],
  ...extra,
});

describe("a pod with two init containers", () => {
  test("runs them in order with downward-API env, then reports the main container running and the pod Ready", async () => {
    const watch = await openWatch(t.sim, `${pods}?watch=true&fieldSelector=metadata.name%3Dtwo-inits`);
    const mounts = { volumeMounts: [{ name: "work", mountPath: "/var/run/work" }] };
    const created = await createPod({
      metadata: {
        name: "two-inits",
        labels: { app: "demo" },
        annotations: { "pod.boostport.com/vault-approle": "sample" },
      },
      spec: {
        serviceAccountName: "demo-sa",
        volumes: [{ name: "work", emptyDir: {} }],
        initContainers: [
          shell(
            "first",
            'echo "$POD_NAME $POD_NAMESPACE $POD_UID $POD_IP $ROLE $APP $SA $GREETING" > "$OUT/first.txt"',
            {
              ...mounts,
              env: [
                fieldRefEnv("POD_NAME", "metadata.name"),
                fieldRefEnv("POD_NAMESPACE", "metadata.namespace"),
                fieldRefEnv("POD_UID", "metadata.uid"),
                fieldRefEnv("POD_IP", "status.podIP"),
                fieldRefEnv("ROLE", "metadata.annotations['pod.boostport.com/vault-approle']"),
                fieldRefEnv("APP", "metadata.labels['app']"),
                fieldRefEnv("SA", "spec.serviceAccountName"),
                { name: "NAME_AGAIN", value: "$(POD_NAME)" },
                { name: "GREETING", value: "hello-$(NAME_AGAIN)" },
                { name: "OUT", value: "/var/run/work" },
              ],
            },
          ),
          shell("second", 'cat "$OUT/first.txt" > "$OUT/second.txt"; echo second-ran', {
            ...mounts,
            env: [{ name: "OUT", value: "/var/run/work" }],
          }),
        ],
        containers: [{ name: "app", image: "app:1" }],
      },
    });
    const pod = await waitForPod("two-inits", "Running", (p) => p.status.phase === "Running");
    const uid = created.metadata.uid;
    const podIP = pod.status.podIP;
    expect(podIP).toMatch(/^127\.1\.\d+\.\d+$/);
    expect(pod.status.podIPs).toEqual([{ ip: podIP }]);
    expect(kubelet.podIpFor("default", "two-inits")).toBe(podIP);

    const volume = kubelet.volumeDirFor("default", "two-inits", "work") ?? "";
    const expected = `two-inits default ${uid} ${podIP} sample demo demo-sa hello-two-inits\n`;
    expect(readFileSync(path.join(volume, "first.txt"), "utf8")).toBe(expected);
    expect(readFileSync(path.join(volume, "second.txt"), "utf8")).toBe(expected);
    const logs = kubelet.logPathsFor("default", "two-inits", "second");
    expect(readFileSync(logs?.stdout ?? "", "utf8")).toBe("second-ran\n");

    const [first, second] = pod.status.initContainerStatuses;
    for (const status of [first, second]) {
      expect(status.state.terminated).toMatchObject({ exitCode: 0, reason: "Completed" });
      expect(status.ready).toBe(true);
      expect(status.restartCount).toBe(0);
    }
    expect(second.state.terminated.startedAt >= first.state.terminated.finishedAt).toBe(true);
    expect(pod.status.containerStatuses[0]).toMatchObject({ name: "app", ready: true, started: true });
    expect(pod.status.containerStatuses[0].state.running.startedAt).toBeString();
    const conditions = Object.fromEntries(pod.status.conditions.map((c: Pod) => [c.type, c.status]));
    expect(conditions).toMatchObject({ Initialized: "True", Ready: "True", ContainersReady: "True" });

    // The watch saw each init container go waiting -> running -> terminated, the first before the second.
    const transitions: string[] = [];
    for (;;) {
      const event = (await watch.next()) as WatchEvent;
      for (const status of event.object.status?.initContainerStatuses ?? []) {
        const state = `${status.name}:${Object.keys(status.state)[0]}`;
        if (transitions.at(-1) !== state && !transitions.includes(state)) transitions.push(state);
      }
      if (event.object.status?.phase === "Running") break;
    }
    watch.close();
    expect(transitions.filter((s) => s.startsWith("first:"))).toEqual([
      "first:waiting",
      "first:running",
      "first:terminated",
    ]);
    expect(transitions.indexOf("second:running")).toBeGreaterThan(transitions.indexOf("first:terminated"));
  }, 90_000);
});

describe("as a node", () => {
  test("it registered its Node, Ready, with its address", async () => {
    const { status, json } = await call(t.sim, "GET", "/api/v1/nodes/kube-sim-node");
    expect(status).toBe(200);
    expect(json.metadata.labels["kubernetes.io/hostname"]).toBe("kube-sim-node");
    expect(json.status.conditions).toContainEqual(expect.objectContaining({ type: "Ready", status: "True" }));
    expect(json.status.addresses).toContainEqual({ type: "InternalIP", address: "127.0.0.1" });
  });

  test("it binds an unscheduled pod to itself (there is no scheduler) and runs it", async () => {
    const created = await createPod({
      metadata: { name: "unscheduled" },
      spec: {
        restartPolicy: "Never",
        // The downward API already names the node the pod is being bound to.
        initContainers: [
          shell("node", '[ "$NODE" = kube-sim-node ]', { env: [fieldRefEnv("NODE", "spec.nodeName")] }),
        ],
        containers: [{ name: "app", image: "a" }],
      },
    });
    expect(created.spec.nodeName).toBeUndefined();
    const pod = await waitForPod("unscheduled", "Running or Failed", (p) =>
      ["Running", "Failed"].includes(p.status.phase),
    );
    expect(pod.status.phase).toBe("Running");
    expect(pod.spec.nodeName).toBe("kube-sim-node");
    expect(pod.status.conditions).toContainEqual(
      expect.objectContaining({ type: "PodScheduled", status: "True" }),
    );
  });

  test("a pod bound to another node is left alone, and so is its deletion", async () => {
    await createPod({
      metadata: { name: "elsewhere" },
      spec: { nodeName: "other-node", containers: [{ name: "app", image: "a" }] },
    });
    const deleted = await call(t.sim, "DELETE", `${pods}/elsewhere`);
    expect(deleted.json.metadata.deletionTimestamp).toBeString();
    // The kubelet saw both events (a later pod of its own is running) and touched neither.
    await createPod({
      metadata: { name: "after-elsewhere" },
      spec: { containers: [{ name: "app", image: "a" }] },
    });
    await waitForPod("after-elsewhere", "Running", (p) => p.status.phase === "Running");
    expect(kubelet.podIpFor("default", "elsewhere")).toBeUndefined();
    const still = await getPod("elsewhere");
    expect(still.status.phase).toBe("Pending");
    expect(still.metadata.deletionTimestamp).toBeString();
    // Its own node never comes: only a forced deletion (grace 0) removes it, as on a real cluster.
    await call(t.sim, "DELETE", `${pods}/elsewhere?gracePeriodSeconds=0`);
    expect((await call(t.sim, "GET", `${pods}/elsewhere`)).status).toBe(404);
  });
});

describe("pod IPs", () => {
  test("every pod gets its own address", async () => {
    const names = ["ip-a", "ip-b", "ip-c"];
    for (const name of names)
      await createPod({ metadata: { name }, spec: { containers: [{ name: "c", image: "i" }] } });
    const ips = await Promise.all(
      names.map((name) =>
        waitForPod(name, "an IP", (p) => Boolean(p.status.podIP)).then((p) => p.status.podIP),
      ),
    );
    expect(new Set(ips).size).toBe(3);
  }, 90_000);
});

describe("a failing init container", () => {
  test("is restarted with a doubling back-off, shows CrashLoopBackOff between runs, and finally succeeds", async () => {
    const watch = await openWatch(t.sim, `${pods}?watch=true&fieldSelector=metadata.name%3Dflaky`);
    await createPod({
      metadata: { name: "flaky" },
      spec: {
        volumes: [{ name: "state", emptyDir: {} }],
        initContainers: [
          shell(
            "flaky",
            'n=$(cat "$D/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$D/count"; [ $n -ge 3 ]',
            {
              env: [{ name: "D", value: "/state" }],
              volumeMounts: [{ name: "state", mountPath: "/state" }],
            },
          ),
        ],
        containers: [{ name: "app", image: "app:1" }],
      },
    });
    const timeline: { state: string; at: number; status: Pod }[] = [];
    for (;;) {
      const event = (await watch.next(60_000)) as WatchEvent;
      const status = event.object.status?.initContainerStatuses?.[0];
      if (status) {
        const [kind] = Object.keys(status.state);
        const reason = status.state[kind as string]?.reason ?? "";
        const state = `${kind}${reason ? `/${reason}` : ""}#${status.restartCount}`;
        if (timeline.at(-1)?.state !== state) timeline.push({ state, at: performance.now(), status });
      }
      if (event.object.status?.phase === "Running") break;
    }
    watch.close();
    expect(timeline.map((entry) => entry.state)).toEqual([
      "waiting/PodInitializing#0",
      "running#0",
      "terminated/Error#0",
      "waiting/CrashLoopBackOff#0",
      "running#1",
      "terminated/Error#1",
      "waiting/CrashLoopBackOff#1",
      "running#2",
      "terminated/Completed#2",
    ]);
    const find = (state: string) =>
      timeline.find((entry) => entry.state === state) as (typeof timeline)[number];
    expect(find("terminated/Error#0").status.state.terminated.exitCode).toBe(1);
    expect(find("waiting/CrashLoopBackOff#0").status.lastState.terminated).toMatchObject({
      exitCode: 1,
      reason: "Error",
    });
    expect(find("waiting/CrashLoopBackOff#0").status.state.waiting.message).toContain("back-off 1s");
    expect(find("waiting/CrashLoopBackOff#1").status.state.waiting.message).toContain("back-off 2s");
    // The restarts waited at least the back-off: base, then twice the base.
    expect(find("running#1").at - find("terminated/Error#0").at).toBeGreaterThanOrEqual(BACKOFF_BASE_MS - 50);
    expect(find("running#2").at - find("terminated/Error#1").at).toBeGreaterThanOrEqual(
      2 * BACKOFF_BASE_MS - 50,
    );
  }, 90_000);

  test("with restartPolicy Never fails the pod instead", async () => {
    await createPod({
      metadata: { name: "never" },
      spec: {
        restartPolicy: "Never",
        initContainers: [shell("boom", "exit 7")],
        containers: [{ name: "app", image: "a" }],
      },
    });
    const pod = await waitForPod("never", "Failed", (p) => p.status.phase === "Failed");
    expect(pod.status.initContainerStatuses[0].state.terminated).toMatchObject({
      exitCode: 7,
      reason: "Error",
    });
    expect(pod.status.initContainerStatuses[0].restartCount).toBe(0);
  }, 90_000);

  test("an env source the stand-in cannot provide is CreateContainerConfigError", async () => {
    await createPod({
      metadata: { name: "secret-env" },
      spec: {
        initContainers: [
          shell("init", "true", {
            env: [{ name: "S", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }],
          }),
        ],
        containers: [{ name: "app", image: "a" }],
      },
    });
    const pod = await waitForPod("secret-env", "a config error", (p) =>
      Boolean(p.status.initContainerStatuses?.[0]?.state.waiting?.reason === "CreateContainerConfigError"),
    );
    expect(pod.status.phase).toBe("Pending");
  }, 90_000);
});

describe("API server outage", () => {
  test("status reports made while the API server is away arrive once it is back", async () => {
    const watch = await openWatch(t.sim, `${pods}?watch=true&fieldSelector=metadata.name%3Doutage`);
    await createPod({
      metadata: { name: "outage" },
      spec: {
        volumes: [{ name: "gate", emptyDir: {} }],
        initContainers: [
          // Waits until the test opens the gate, so the container finishes while the API server is offline.
          shell("waiter", 'while [ ! -f "$G/open" ]; do sleep 0.05; done', {
            env: [{ name: "G", value: "/gate" }],
            volumeMounts: [{ name: "gate", mountPath: "/gate" }],
          }),
        ],
        containers: [{ name: "app", image: "a" }],
      },
    });
    for (;;) {
      const event = (await watch.next()) as WatchEvent;
      if (event.object.status?.initContainerStatuses?.[0]?.state.running) break;
    }
    watch.close();
    await t.sim.setOnline(false);
    writeFileSync(path.join(kubelet.volumeDirFor("default", "outage", "gate") ?? "", "open"), "");
    await waitFor("the init container to finish", () => kubelet.runningPids().length === 0);
    await t.sim.setOnline(true);
    const pod = await waitForPod("outage", "Running", (p) => p.status.phase === "Running");
    expect(pod.status.initContainerStatuses[0].state.terminated.reason).toBe("Completed");
  }, 90_000);
});

describe("deletion and shutdown", () => {
  async function startSleeper(name: string): Promise<number> {
    await createPod({
      metadata: { name },
      spec: {
        volumes: [{ name: "scratch", emptyDir: {} }],
        initContainers: [
          shell("sleeper", "sleep 300; echo never", { volumeMounts: [{ name: "scratch", mountPath: "/s" }] }),
        ],
        containers: [{ name: "app", image: "a" }],
      },
    });
    const pod = await waitForPod(name, "its init container running", (p) =>
      Boolean(p.status.initContainerStatuses?.[0]?.state.running),
    );
    const pid = Number(String(pod.status.initContainerStatuses[0].containerID).replace("kube-sim://", ""));
    expect(alive(pid)).toBe(true);
    // `sh -c "sleep 300; echo never"` keeps a child: the shell and its sleep share the container's group.
    await waitFor("the sleep child to start", () => groupMembers(pid).length >= 2);
    return pid;
  }

  test("deleting a pod kills its process, frees its address and volumes, and then finishes the deletion", async () => {
    const pid = await startSleeper("doomed");
    expect(kubelet.runningPids()).toContain(pid);
    const volume = kubelet.volumeDirFor("default", "doomed", "scratch") ?? "";
    expect(existsSync(volume)).toBe(true);
    const deleted = await call(t.sim, "DELETE", `${pods}/doomed`);
    // Bound to this node, the pod is deleted gracefully: it stays until the kubelet says its containers are gone.
    expect(deleted.json.metadata.deletionGracePeriodSeconds).toBe(30);
    await waitFor(
      "the init process and its child to die",
      () => !alive(pid) && groupMembers(pid).length === 0,
    );
    await waitFor("the kubelet to forget the pod", () => kubelet.podIpFor("default", "doomed") === undefined);
    await waitFor("the volume to be removed", () => !existsSync(volume));
    expect(kubelet.runningPids()).not.toContain(pid);
    await waitFor(
      "the kubelet's final DELETE",
      async () => (await call(t.sim, "GET", `${pods}/doomed`)).status === 404,
    );
  }, 90_000);

  test("a pod deleted and re-created under the same name runs afresh", async () => {
    const pid = await startSleeper("again");
    const oldIp = kubelet.podIpFor("default", "again");
    await call(t.sim, "DELETE", `${pods}/again`);
    // The name is taken until the kubelet has finished the graceful deletion, as on a real cluster.
    await waitFor(
      "the old pod to be gone",
      async () => (await call(t.sim, "GET", `${pods}/again`)).status === 404,
    );
    await createPod({
      metadata: { name: "again" },
      spec: { initContainers: [shell("quick", "true")], containers: [{ name: "app", image: "a" }] },
    });
    const pod = await waitForPod("again", "Running", (p) => p.status.phase === "Running");
    await waitFor("the old process to die", () => !alive(pid));
    expect(pod.status.podIP).not.toBe(oldIp);
    expect(kubelet.podIpFor("default", "again")).toBe(pod.status.podIP);
  }, 90_000);

  test("stop() kills every process the kubelet started", async () => {
    const pid = await startSleeper("left-running");
    await kubelet.stop();
    kubeletStopped = true;
    expect(alive(pid)).toBe(false);
    expect(groupMembers(pid)).toEqual([]);
  }, 90_000);
});
