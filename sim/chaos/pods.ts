/**
 * The chaos run's pods as the API server reports them (uid, address, init restarts), read through one list call and
 * validated, plus whether each one's token file exists in its fleet volume directory.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as v from "valibot";
import { kubeCaller } from "../../bench/support/pod-traffic.ts";
import { BENCH_LABEL, INIT_CONTAINER, TOKEN_VOLUME } from "../../bench/support/pods.ts";
import type { Fleet } from "../fleet/index.ts";
import type { Sandbox } from "../sandbox/index.ts";

export const CHAOS_NAMESPACE = "team-b";
export const CHAOS_ROLE = "demo-app";
const TOKEN_FILE = "vault-token";

const PodListSchema = v.object({
  items: v.array(
    v.object({
      metadata: v.object({ name: v.string(), uid: v.string() }),
      status: v.optional(
        v.object({
          podIP: v.optional(v.string()),
          initContainerStatuses: v.optional(
            v.array(v.object({ name: v.string(), restartCount: v.optional(v.number(), 0) })),
          ),
        }),
      ),
    }),
  ),
});

export interface ChaosPod {
  name: string;
  uid: string;
  podIP: string | undefined;
  /** Runs of the vault init container: restarts + 1. */
  initRuns: number;
  served: boolean;
}

/** True once the pod's init has written its token file into the pod's volume. */
export function tokenWritten(fleet: Fleet, name: string): boolean {
  const volume = fleet.volumeDirFor(CHAOS_NAMESPACE, name, TOKEN_VOLUME);
  return volume !== undefined && existsSync(join(volume, TOKEN_FILE));
}

export async function listChaosPods(sandbox: Sandbox, fleet: Fleet): Promise<ChaosPod[]> {
  const path = `/api/v1/namespaces/${CHAOS_NAMESPACE}/pods?labelSelector=${encodeURIComponent(BENCH_LABEL)}`;
  const parsed = v.safeParse(PodListSchema, await kubeCaller(sandbox).call("GET", path));
  if (!parsed.success)
    throw new Error(
      `the API server's pod list has an unexpected shape at ${v.getDotPath(parsed.issues[0]) ?? "the top"}: ${parsed.issues[0].message}`,
    );
  return parsed.output.items.map((pod) => {
    const { name, uid } = pod.metadata;
    const init = pod.status?.initContainerStatuses?.find((s) => s.name === INIT_CONTAINER);
    return {
      name,
      uid,
      podIP: pod.status?.podIP,
      initRuns: (init?.restartCount ?? 0) + 1,
      served: tokenWritten(fleet, name),
    };
  });
}
