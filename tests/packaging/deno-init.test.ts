// The init program under Deno (`deno run cmd/init.ts` with net/env/read/write permissions, the source as is): serve() falls back to
// node:https, and a push from the controller's own pusher over mutual TLS still ends in a token file that the
// sandbox Vault accepts, with the secret_id's CIDR binding proving Deno called Vault from the pod IP.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Sandbox, startSandbox } from "../../sim/sandbox/index.ts";
import { startProcess, type TestProcess } from "../support/processes.ts";
import { freshStateDir } from "../support/state-dir.ts";
import { type ControllerSide, controllerSide, SAMPLE_ROLE } from "./support/controller-side.ts";
import { ROOT } from "./support/tools.ts";

// Deno starts from TypeScript source on a busy 2-core machine (bun 1.4 ignores bunfig's timeout).
setDefaultTimeout(180_000);

const POD_IP = "127.7.0.20";
const DENO = join(ROOT, "node_modules/.bin/deno");

let dir = "";
let sandbox: Sandbox | undefined;
let controller: ControllerSide | undefined;
let init: TestProcess | undefined;

beforeAll(async () => {
  if (!existsSync(DENO)) throw new Error(`${DENO} is missing: run npm install (deno is a dev dependency)`);
  dir = freshStateDir("packaging-deno-");
  sandbox = await startSandbox({ dir: join(dir, "sandbox"), podIpPrefix: "127.7" });
  controller = await controllerSide(sandbox);
});

afterAll(async () => {
  await init?.stop();
  controller?.close();
  await sandbox?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("deno run cmd/init.ts receives a push over mutual TLS and writes a token Vault accepts", async () => {
  if (!sandbox || !controller) throw new Error("the sandbox did not start");
  const tokenPath = join(dir, "pod", "vault-token");
  // The narrowest permissions that work (no --allow-sys, --allow-run or --allow-ffi): what the README documents.
  init = startProcess(
    DENO,
    ["run", "--allow-net", "--allow-env", "--allow-read", "--allow-write", "cmd/init.ts"],
    {
      cwd: ROOT,
      logPath: join(dir, "init.log"),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NO_COLOR: "1",
        VAULT_ROLE_ID: sandbox.description.approles[SAMPLE_ROLE]?.roleId,
        VAULT_ROLE_NAME: SAMPLE_ROLE,
        POD_IP,
        LISTEN_ADDRESS: `${POD_IP}:50000`,
        VAULT_ADDR: sandbox.description.vault.addr,
        CONTROLLER_CA_CERT: sandbox.description.pki.caCert,
        TOKEN_PATH: tokenPath,
        TIMEOUT: "3m",
      },
    },
  );
  await init.waitForOutput("waiting for the controller's push", 150_000);

  const outcome = await controller.pushTo(POD_IP);
  expect(outcome.kind).toBe("delivered");
  expect(await init.exited()).toBe(0);

  const file = JSON.parse(readFileSync(tokenPath, "utf8")) as { clientToken: string; accessor: string };
  expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
  expect(outcome.kind === "delivered" && outcome.tokenAccessor).toBe(file.accessor);
  const self = await controller.lookupSelf(file.clientToken);
  expect(self.accessor).toBe(file.accessor);
  expect(self.policies).toContain(SAMPLE_ROLE);
  expect(init.output()).not.toContain(file.clientToken);
});
