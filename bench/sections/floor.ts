/**
 * floor_ms: what one push cannot go below. The same calls the product makes, back to back, by a minimal client
 * against the sandbox Vault: mint a response-wrapped secret_id bound to the pod address (controller token, kept-alive
 * connection, as the controller's Vault client), one HTTPS POST with the controller's client certificate to a
 * trivial TLS endpoint on the pod address (fresh connection, as the pusher), then, from the pod address on a fresh
 * connection (a new init process has no pool), lookup + unwrap + AppRole login. p50/p99 over >= 200 iterations.
 */
import { readFileSync } from "node:fs";
import { type RunningServer, serve } from "../../lib/runtime/index.ts";
import { selfSignedLeaf } from "../../lib/tls/index.ts";
import { openVaultClient } from "../../lib/vault/index.ts";
import { openControllerSide } from "../support/controller-side.ts";
import { percentiles } from "../support/stats.ts";
import { type Section, sampleCount } from "./types.ts";

const POD_IP = "127.7.50.1";
const MIN_ITERATIONS = 200;

async function trivialInitEndpoint(clientCaPem: string): Promise<RunningServer> {
  const leaf = await selfSignedLeaf({
    commonName: POD_IP,
    ipSans: [POD_IP],
    ttlMs: 3_600_000,
    usages: ["server"],
  });
  return serve({
    hostname: POD_IP,
    port: 50000,
    tls: { ...leaf, clientCaPem, requireClientCert: true },
    fetch: async (request) => {
      await request.text();
      return Response.json({ tokenAccessor: "floor", secretIdAccessor: "floor" });
    },
  });
}

export const floorSection: Section<"floor_ms"> = {
  key: "floor_ms",
  name: "floor",
  goal: "— (the reference the push latency is judged against)",
  anchor: "5 Vault/TLS round trips on loopback; any push costs at least this",
  async run(context) {
    const iterations = sampleCount(context, MIN_ITERATIONS * 2, MIN_ITERATIONS);
    context.progress(`floor: ${iterations} iterations of mint + POST + lookup + unwrap + login`);
    const { description } = await context.sandbox("shared");
    const controller = await openControllerSide(description);
    const endpoint = await trivialInitEndpoint(readFileSync(description.pki.caCert, "utf8"));
    const roleId = String(description.approles["demo-app"]?.roleId);
    const samples: number[] = [];
    try {
      for (let i = 0; i < iterations; i++) {
        const began = performance.now();
        const wrap = await controller.mint("demo-app", POD_IP);
        const answer = await controller.push(POD_IP, wrap);
        if (answer.status !== 200) throw new Error(`the trivial endpoint answered ${answer.status}`);
        const pod = openVaultClient({
          addr: description.vault.addr,
          caPem: controller.vaultCaPem,
          localAddress: POD_IP,
        });
        try {
          await pod.lookupWrapping(wrap.wrappingToken);
          const unwrapped = await pod.unwrap(wrap.wrappingToken);
          await pod.approleLogin(roleId, unwrapped.secretId);
        } finally {
          pod.close();
        }
        samples.push(performance.now() - began);
      }
    } finally {
      await endpoint.stop(true);
      controller.close();
    }
    const notes = [
      `${iterations} iterations${iterations < MIN_ITERATIONS ? ` (below the ${MIN_ITERATIONS} asked for)` : ""}; lib/vault and lib/runtime clients, no controller machinery`,
    ];
    return { value: percentiles(samples), mode: "minimal client", notes };
  },
};
