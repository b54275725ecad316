// The controller program under Deno (`deno run cmd/controller.ts`, the source as is) against the sandbox with
// in-cluster service-account auth: @kubernetes/client-node's informer over HTTPS with a private CA, Vault, the
// node:https fallback of serve() for /readyz, and the pusher all work, so an annotated pod run by the kubelet
// stand-in gets a token Vault accepts. Permissions are the narrowest set that works, which documents them.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type Sandbox, startSandbox } from "../../sim/sandbox/index.ts";
import { controllerEnv } from "../../sim/sandbox/workloads.ts";
import { startProcess, type TestProcess } from "../support/processes.ts";
import { freshStateDir } from "../support/state-dir.ts";
import { type ControllerSide, controllerSide, SAMPLE_ROLE } from "./support/controller-side.ts";
import { servePod, waitUntilReady } from "./support/served-pod.ts";
import { ROOT } from "./support/tools.ts";

// Deno starts from TypeScript source on a busy 2-core machine (bun 1.4 ignores bunfig's timeout).
setDefaultTimeout(240_000);

/** client-node reads the OS user and host name, hence --allow-sys; nothing runs subprocesses or FFI. */
const DENO_CONTROLLER_PERMISSIONS = [
  "--allow-net",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-sys",
];
const DENO = join(ROOT, "node_modules/.bin/deno");
const CONTROLLER_IP = "127.7.201.1";
const NAMESPACE = "team-a";

let dir = "";
let sandbox: Sandbox | undefined;
let vaultSide: ControllerSide | undefined;
let controller: TestProcess | undefined;

beforeAll(async () => {
  if (!existsSync(DENO)) throw new Error(`${DENO} is missing: run npm install (deno is a dev dependency)`);
  dir = freshStateDir("packaging-deno-controller-");
  sandbox = await startSandbox({
    dir: join(dir, "sandbox"),
    podIpPrefix: "127.7.2",
    initRestartBackoffMs: 500,
  });
  vaultSide = await controllerSide(sandbox);
});

afterAll(async () => {
  await controller?.stop();
  vaultSide?.close();
  await sandbox?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("deno run cmd/controller.ts serves a kubelet-run pod whose init then holds a token Vault accepts", async () => {
  if (!sandbox || !vaultSide) throw new Error("the sandbox did not start");
  const env = controllerEnv(sandbox.description, 0, {
    POD_IP: CONTROLLER_IP,
    METRICS_LISTEN: `${CONTROLLER_IP}:8080`,
    HEALTH_LISTEN: `${CONTROLLER_IP}:8081`,
    RAFT_DIR: join(dir, "raft"),
    HOME: process.env.HOME ?? "/root",
    NO_COLOR: "1",
  });
  controller = startProcess(DENO, ["run", ...DENO_CONTROLLER_PERMISSIONS, "cmd/controller.ts"], {
    cwd: ROOT,
    env,
    logPath: join(dir, "controller.log"),
  });
  await waitUntilReady(controller, `http://${CONTROLLER_IP}:8081/readyz`);
  const served = await servePod(sandbox, NAMESPACE, "deno-app", controller.logPath);
  expect(served.initExitCode).toBe(0);
  expect(served.podIp).toStartWith("127.7.2.");
  const self = await vaultSide.lookupSelf(served.token.clientToken);
  expect(self.accessor).toBe(served.token.accessor);
  expect(self.policies).toContain(SAMPLE_ROLE);
  expect(controller.output()).toContain('"msg":"delivered"');
  expect(controller.output()).not.toContain(served.token.clientToken);
});
