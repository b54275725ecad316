/**
 * Pod status reports of the fleet node: strategic-merge PATCHes of `pods/status` over HTTPS with the node's bearer
 * token, exactly what a kubelet sends. Answers "gone" when the pod no longer exists; retries while the API server
 * is unreachable (chaos runs restart it), then gives up with the last error.
 */
import { createHttpClient } from "../../lib/runtime/index.ts";
import type { JsonObject } from "../kube/json.ts";

const PATCH_ATTEMPTS = 20;
const PATCH_RETRY_MS = 250;

export interface StatusReporter {
  patch(namespace: string, name: string, status: JsonObject): Promise<"ok" | "gone">;
  close(): void;
}

export function createStatusReporter(
  api: { server: string; caPem: string; token: string },
  isStopped: () => boolean,
  onRefused: (pod: string, status: number) => void,
): StatusReporter {
  const http = createHttpClient({ trust: { kind: "ca", caPem: api.caPem }, timeoutMs: 15_000 });
  return {
    async patch(namespace, name, status) {
      const url = `${api.server}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/status`;
      for (let attempt = 1; ; attempt++) {
        try {
          const response = await http.fetch(url, {
            method: "PATCH",
            headers: {
              authorization: `Bearer ${api.token}`,
              "content-type": "application/strategic-merge-patch+json",
            },
            body: JSON.stringify({ status }),
          });
          await response.arrayBuffer();
          if (response.status === 404) return "gone";
          if (!response.ok) onRefused(`${namespace}/${name}`, response.status);
          return "ok";
        } catch (error) {
          if (isStopped() || attempt >= PATCH_ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, PATCH_RETRY_MS));
        }
      }
    },
    close: () => http.close(),
  };
}
