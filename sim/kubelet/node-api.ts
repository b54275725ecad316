/**
 * A node stand-in's conversation with the API server, shared by the kubelet stand-in and sim/fleet: a
 * @kubernetes/client-node 1.4.0 informer over every pod (restarted a second after a failure), and strategic-merge
 * PATCHes of `pods/status` over HTTPS with the node's bearer token, retried while the API server is unreachable
 * (chaos tests restart it). `patchStatus` answers "gone" when the pod no longer exists.
 */
import { CoreV1Api, KubeConfig, makeInformer, type V1Pod } from "@kubernetes/client-node";
import type { Logger } from "../../lib/log/index.ts";
import { createHttpClient } from "../../lib/runtime/index.ts";
import type { JsonObject } from "../kube/json.ts";

const STATUS_PATCH_ATTEMPTS = 20;
const STATUS_PATCH_RETRY_MS = 250;
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
      const url = `${options.server}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/status`;
      for (let attempt = 1; ; attempt++) {
        try {
          const response = await http.fetch(url, {
            method: "PATCH",
            headers: {
              authorization: `Bearer ${options.token}`,
              "content-type": "application/strategic-merge-patch+json",
            },
            body: JSON.stringify({ status }),
          });
          if (response.status === 404) return "gone";
          if (!response.ok)
            log.warn("pod status patch refused", { pod: `${namespace}/${name}`, status: response.status });
          return "ok";
        } catch (error) {
          if (stopped || attempt >= STATUS_PATCH_ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, STATUS_PATCH_RETRY_MS));
        }
      }
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
