/**
 * `bun run sim/fleet/main.ts --sandbox <dir>/sandbox.json`: the fleet node in the foreground, against a running
 * sandbox (`bun run sandbox`), until SIGINT/SIGTERM. Pods with `spec.nodeName: fleet-node` get in-process init
 * endpoints on 127.2.x.y:50000.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { FLEET_IP_PREFIX, FLEET_NODE_NAME, startFleet } from "./index.ts";

const { values } = parseArgs({
  options: {
    sandbox: { type: "string", default: ".state/sandbox/sandbox.json" },
    "node-name": { type: "string", default: FLEET_NODE_NAME },
    "ip-prefix": { type: "string", default: FLEET_IP_PREFIX },
    "pods-dir": { type: "string" },
  },
});
const description = JSON.parse(readFileSync(values.sandbox, "utf8")) as {
  kubernetes: { server: string; caCert: string; token: string };
};
const podsDir = values["pods-dir"] ?? join(dirname(values.sandbox), "fleet-pods");
const fleet = await startFleet({
  server: description.kubernetes.server,
  caPem: readFileSync(description.kubernetes.caCert, "utf8"),
  token: description.kubernetes.token,
  podsDir,
  nodeName: values["node-name"],
  podIpPrefix: values["ip-prefix"],
});
console.log(
  `fleet node ${fleet.nodeName} ready: pods bound to it get ${values["ip-prefix"]}.x.y:50000; files under ${podsDir}`,
);
const shutdown = async () => {
  await fleet.stop();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
