/**
 * Runs the Vault stand-in on its own, for people driving it with curl or the vault CLI:
 *   bun sim/vault/main.ts --dir /tmp/vault-sim [--host 127.0.0.1] [--port 8200]
 * Writes the root token to <dir>/root-token (mode 0600; tokens never go to logs) and prints VAULT_ADDR, VAULT_CACERT
 * and VAULT_TOKEN export lines to paste into a shell, then serves until SIGINT/SIGTERM.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startVaultSim } from "./index.ts";

const { values } = parseArgs({
  options: { dir: { type: "string" }, host: { type: "string" }, port: { type: "string" } },
});
if (!values.dir) {
  console.error("usage: bun sim/vault/main.ts --dir <state dir> [--host 127.0.0.1] [--port 8200]");
  process.exit(2);
}
const port = Number(values.port ?? "8200");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number (0-65535), got ${JSON.stringify(values.port)}`);
  process.exit(2);
}
const sim = await startVaultSim({ dir: values.dir, hostname: values.host ?? "127.0.0.1", port });
const tokenPath = join(values.dir, "root-token");
await writeFile(tokenPath, sim.rootToken, { mode: 0o600 });
console.log(
  `export VAULT_ADDR=${sim.addr}\nexport VAULT_CACERT=${sim.caCertPath}\nexport VAULT_TOKEN="$(cat ${tokenPath})"`,
);
const shutdown = () => {
  sim.stop().then(() => process.exit(0));
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
