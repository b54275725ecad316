/**
 * A node stand-in's conversation with the API server, shared by the kubelet stand-in and sim/fleet: a
 * @kubernetes/client-node 1.4.0 informer over every pod (restarted a second after a failure), and strategic-merge
 * PATCHes of `pods/status` over HTTPS with the node's bearer token, retried while the API server is unreachable
 * (chaos tests restart it). `patchStatus` answers "gone" when the pod no longer exists.
 *
 * `runNodeAgent` is what both node stand-ins do with it, as a kubelet does
 * (https://kubernetes.io/docs/concepts/architecture/nodes/#self-registration-of-nodes,
 * https://kubernetes.io/docs/concepts/workloads/pods/pod-termination/): register the Node (POST, then a
 * strategic-merge PATCH of nodes/status with Ready and the addresses), run the pods bound to it, and finish the
 * graceful deletion of its pods: once a pod carries metadata.deletionTimestamp, stop it, then DELETE it with
 * gracePeriodSeconds 0 and a uid precondition (so a new pod of the same name is never touched). With no scheduler
 * in the sandbox, the kubelet stand-in also binds unscheduled pods to itself (pods/binding) and runs them.
 */
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from "@kubernetes/client-node";
import type { Logger } from "../../lib/log/index.ts";
import { createHttpClient } from "../../lib/runtime/index.ts";
import type { JsonObject } from "../kube/json.ts";
import { rfc3339 } from "./pod-lifecycle.ts";

/**
 * 240 × 250 ms = 60 s, as long as the tests wait for anything: a real API server's restart (tests/e2e-real's
 * compactAll) took 5 to 15 s here and more on a loaded machine; a real kubelet retries without end.
 */
const UNREACHABLE_ATTEMPTS = 240;
const UNREACHABLE_RETRY_MS = 250;
const WATCH_RESTART_MS = 1_000;

export interface NodeApiOptions {
  server: string;
  caPem: string;
  token: string;
  /** The user name in the client configuration (shows in nothing but errors). */
  user: string;
  log: Logger;
}

export interface PodHandlers {
  onPod(pod: V1Pod): void;
  onDelete(pod: V1Pod): void;
}

export interface NodeApi {
  /** Starts the pod informer; resolves once the first list was delivered. */
  watchPods(handlers: PodHandlers): Promise<void>;
  patchStatus(namespace: string, name: string, status: JsonObject): Promise<"ok" | "gone">;
  /** Registers (or re-registers) this node with a Ready condition, as a kubelet does at start. */
  registerNode(nodeName: string, hostIP: string): Promise<void>;
  /**
   * Binds an unscheduled pod to this node (the sandbox has no scheduler, so the kubelet binds what it runs):
   * "gone" when the pod no longer exists, "taken" when it is already bound or being deleted (409).
   */
  bind(namespace: string, name: string, uid: string, nodeName: string): Promise<"ok" | "gone" | "taken">;
  /** The kubelet's last word on a pod being deleted gracefully: delete it now, if it is still that pod (uid). */
  finishDeletion(namespace: string, name: string, uid: string): Promise<void>;
  /** Stops the informer and ends status patch retries (a patch under way may still finish). */
  stopWatching(): Promise<void>;
  /** Releases the HTTPS connections; call after the last patch. */
  close(): void;
}

function kubeConfigFor(options: NodeApiOptions): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [
      { name: "sim", server: options.server, caData: Buffer.from(options.caPem).toString("base64") },
    ],
    users: [{ name: options.user, token: options.token }],
    contexts: [{ name: "sim", cluster: "sim", user: options.user }],
    currentContext: "sim",
  });
  return config;
}

export function openNodeApi(options: NodeApiOptions): NodeApi {
  const { log } = options;
  const http = createHttpClient({ trust: { kind: "ca", caPem: options.caPem }, timeoutMs: 15_000 });
  let stopped = false;
  let stopInformer: () => Promise<void> = () => Promise.resolve();
  const podPath = (namespace: string, name: string) =>
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
  // Retried while the API server cannot be reached (a cut connection, a restart), as a kubelet retries: every call
  // here is safe to repeat (binding and the final delete carry the pod's uid; registration tolerates 409).
  const call = async (method: string, path: string, body: unknown, contentType = "application/json") => {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await http.fetch(`${options.server}${path}`, {
          method,
          headers: { authorization: `Bearer ${options.token}`, "content-type": contentType },
          body: JSON.stringify(body),
        });
        return { ok: response.ok, status: response.status, text: await response.text() };
      } catch (error) {
        if (stopped || attempt >= UNREACHABLE_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, UNREACHABLE_RETRY_MS));
      }
    }
  };
  const refused = (what: string, answer: { status: number; text: string }) =>
    new Error(`${what}: the API server answered ${answer.status} ${answer.text.slice(0, 300)}`);
  return {
    async watchPods(handlers) {
      const config = kubeConfigFor(options);
      const api = config.makeApiClient(CoreV1Api);
      const informer = makeInformer(config, "/api/v1/pods", () => api.listPodForAllNamespaces());
      informer.on("add", handlers.onPod);
      informer.on("update", handlers.onPod);
      informer.on("delete", handlers.onDelete);
      informer.on("error", (error: unknown) => {
        if (stopped) return;
        log.warn("pod watch failed, restarting it", { error });
        setTimeout(() => {
          if (!stopped) void informer.start();
        }, WATCH_RESTART_MS);
      });
      stopInformer = () => informer.stop();
      await informer.start();
    },
    async patchStatus(namespace, name, status) {
      const answer = await call(
        "PATCH",
        `${podPath(namespace, name)}/status`,
        { status },
        "application/strategic-merge-patch+json",
      );
      if (answer.status === 404) return "gone";
      if (!answer.ok)
        log.warn("pod status patch refused", { pod: `${namespace}/${name}`, status: answer.status });
      return "ok";
    },
    async registerNode(nodeName, hostIP) {
      const node = {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
          name: nodeName,
          labels: { "kubernetes.io/hostname": nodeName, "kubernetes.io/os": "linux" },
        },
      };
      const created = await call("POST", "/api/v1/nodes", node);
      // 409: registered before (a restarted node stand-in keeps its Node, as a kubelet does).
      if (!created.ok && created.status !== 409) throw refused(`registering node ${nodeName}`, created);
      const now = rfc3339(new Date());
      const status = {
        status: {
          conditions: [
            {
              type: "Ready",
              status: "True",
              reason: "KubeletReady",
              message: "kubelet stand-in is posting ready status",
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
          addresses: [
            { type: "InternalIP", address: hostIP },
            { type: "Hostname", address: nodeName },
          ],
        },
      };
      const path = `/api/v1/nodes/${encodeURIComponent(nodeName)}/status`;
      const patched = await call("PATCH", path, status, "application/strategic-merge-patch+json");
      if (!patched.ok) throw refused(`reporting the status of node ${nodeName}`, patched);
    },
    async bind(namespace, name, uid, nodeName) {
      const binding = {
        apiVersion: "v1",
        kind: "Binding",
        // The uid is a precondition: a pod re-created under the same name is not bound by mistake.
        metadata: { name, namespace, uid },
        target: { apiVersion: "v1", kind: "Node", name: nodeName },
      };
      const answer = await call("POST", `${podPath(namespace, name)}/binding`, binding);
      if (answer.status === 404) return "gone";
      if (answer.status === 409) return "taken";
      if (!answer.ok) throw refused(`binding pod ${namespace}/${name} to ${nodeName}`, answer);
      return "ok";
    },
    async finishDeletion(namespace, name, uid) {
      const answer = await call("DELETE", podPath(namespace, name), {
        apiVersion: "v1",
        kind: "DeleteOptions",
        gracePeriodSeconds: 0,
        preconditions: { uid },
      });
      // 404: already gone; 409: the name now belongs to a new pod (the uid precondition protected it).
      if (!answer.ok && answer.status !== 404 && answer.status !== 409)
        throw refused(`finishing the deletion of pod ${namespace}/${name}`, answer);
    },
    async stopWatching() {
      stopped = true;
      await stopInformer();
    },
    close: () => http.close(),
  };
}

/** What every container on a node sees besides its own env: PATH, the API server's service variables, extras. */
export function nodeBaseEnv(server: string, extraEnv: Record<string, string> = {}): Record<string, string> {
  const url = new URL(server);
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    KUBERNETES_SERVICE_HOST: url.hostname.replace(/^\[|\]$/g, ""),
    KUBERNETES_SERVICE_PORT: url.port || "443",
    ...extraEnv,
  };
}

/** What runs a node's pods: the kubelet stand-in's workers, or the fleet's in-process inits. */
export interface NodeRuntime {
  /** A pod this node is to run (never one being deleted); starting one that already runs is up to the runtime. */
  run(pod: V1Pod): void;
  /** Stops what runs for the pod with this uid (nothing if it does not run here); resolves once stopped. */
  stop(namespace: string, name: string, uid: string): Promise<void>;
}

export interface NodeAgentOptions {
  nodeName: string;
  hostIP: string;
  /** Also bind unscheduled pods to this node and run them (the kubelet stand-in; the sandbox has no scheduler). */
  claimUnscheduled: boolean;
  log: Logger;
}

/** Registers the node and starts its pod watch (see the file comment); resolves once the first list was seen. */
export async function runNodeAgent(
  api: NodeApi,
  runtime: NodeRuntime,
  options: NodeAgentOptions,
): Promise<void> {
  const { nodeName, log } = options;
  /** uids whose deletion this node is finishing now (one attempt at a time, whatever events arrive meanwhile). */
  const finishing = new Set<string>();
  const finish = (namespace: string, name: string, uid: string, graceLeft: boolean) => {
    if (finishing.has(uid)) return;
    finishing.add(uid);
    const pod = `${namespace}/${name}`;
    void (async () => {
      await runtime.stop(namespace, name, uid);
      // With no grace left the API server removes the pod in the same request that marked it: nothing to confirm.
      if (graceLeft) await api.finishDeletion(namespace, name, uid);
    })()
      .catch((error: unknown) => log.warn("finishing a pod's deletion failed", { pod, error }))
      .finally(() => finishing.delete(uid));
  };
  const onPod = (pod: V1Pod) => {
    const { namespace = "", name = "", uid = "" } = pod.metadata ?? {};
    const boundTo = pod.spec?.nodeName ?? "";
    if (boundTo && boundTo !== nodeName) {
      // Bound elsewhere (another node stand-in's pod, or a binding race lost): not ours to run.
      void runtime.stop(namespace, name, uid);
      return;
    }
    if (!boundTo && !options.claimUnscheduled) return;
    if (pod.metadata?.deletionTimestamp) {
      // An unbound pod is deleted by the API server at once; a bound one waits for its node.
      if (boundTo) finish(namespace, name, uid, pod.metadata.deletionGracePeriodSeconds !== 0);
      else void runtime.stop(namespace, name, uid);
      return;
    }
    if (!boundTo)
      void api.bind(namespace, name, uid, nodeName).catch((error: unknown) => {
        log.warn("binding the pod to this node failed", { pod: `${namespace}/${name}`, error });
      });
    runtime.run(pod);
  };
  const onDelete = (pod: V1Pod) => {
    const { namespace = "", name = "", uid = "" } = pod.metadata ?? {};
    void runtime.stop(namespace, name, uid);
  };
  await api.registerNode(nodeName, options.hostIP);
  await api.watchPods({ onPod, onDelete });
}
