// `bun run build` for real: scripts/build.ts compiles each program, the executable runs, and its root filesystem
// holds exactly what a FROM scratch image needs (the binary, the glibc files ldd lists, passwd/group for uid
// 65532, empty /proc and /tmp). The arm64 cross-compile yields an aarch64 executable carrying our program.
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { freshStateDir } from "../support/state-dir.ts";
import { type BuildContext, buildContext, listTree, type Program } from "./support/build.ts";
import { ROOT, run, runOk } from "./support/tools.ts";

// Compiles take seconds each on a busy 2-core machine (bun 1.4 ignores bunfig's timeout).
setDefaultTimeout(240_000);

const UID = 65532;
const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** Shared objects the dynamic loader would map for `binary` on this host, read independently of the build script. */
async function lddLibraries(binary: string): Promise<string[]> {
  const text = await runOk("ldd", [binary]);
  return text
    .split("\n")
    .map((line) => line.match(/(\/\S+)\s+\(0x[0-9a-f]+\)/)?.[1])
    .filter((path): path is string => path !== undefined)
    .map((path) => path.replace(/^\//, ""));
}

function parentDirs(path: string): string[] {
  const parts = path.split("/").slice(0, -1);
  return parts.map((_, i) => `${parts.slice(0, i + 1).join("/")}/`);
}

async function checkRootfs(context: BuildContext, program: Program): Promise<void> {
  const root = context.rootfs(program);
  const libraries = await lddLibraries(context.binary(program));
  // Bun links glibc's loader, libc, libm, libpthread and libdl (environment notes); nothing else may sneak in.
  expect(libraries.map((l) => l.split("/").pop())).toEqual(
    expect.arrayContaining(["libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2"]),
  );
  expect(libraries.some((l) => /ld-linux-x86-64\.so\.2$/.test(l))).toBe(true);
  const expected = new Set([program, "etc/", "etc/passwd", "etc/group", "proc/", "tmp/"]);
  for (const library of libraries) {
    expected.add(library);
    for (const dir of parentDirs(library)) expected.add(dir);
  }
  expect(listTree(root)).toEqual([...expected].sort());

  for (const library of libraries)
    expect(readFileSync(join(root, library)).equals(readFileSync(`/${library}`))).toBe(true);
  const binary = join(root, program);
  expect(statSync(binary).mode & 0o777).toBe(0o755);
  expect(statSync(binary).size).toBe(statSync(context.binary(program)).size);
  expect(statSync(join(root, "tmp")).mode & 0o7777).toBe(0o1777);

  const passwd = readFileSync(join(root, "etc/passwd"), "utf8").trim().split("\n");
  const user = passwd.map((line) => line.split(":")).find((fields) => fields[2] === String(UID));
  expect(user?.[3]).toBe(String(UID));
  expect(user?.[0]).toBe("nonroot");
  const group = readFileSync(join(root, "etc/group"), "utf8").trim().split("\n");
  expect(group.map((line) => line.split(":")).find((fields) => fields[2] === String(UID))?.[0]).toBe(
    "nonroot",
  );
}

describe.each(["init", "controller"] as const)("scripts/build.ts --targets x64 --only %s", (program) => {
  test(`the ${program} root filesystem holds exactly the binary, its glibc files, passwd/group and mount points`, async () => {
    expect(existsSync(join(ROOT, `cmd/${program}.ts`))).toBe(true);
    await checkRootfs(await buildContext(program), program);
  });

  test(`the compiled ${program} runs: with no configuration it lists what is missing and exits 2`, async () => {
    const context = await buildContext(program);
    const result = await run(context.binary(program), [], { env: { PATH: "/usr/bin:/bin" } });
    expect(`${result.status} ${result.stderr}`).toMatch(/^2 /);
    const required = program === "init" ? ["VAULT_ROLE_ID"] : ["VAULT_TOKEN", "VAULT_ADDR", "CLUSTER_KEY"];
    for (const name of required) expect(result.stderr).toContain(name);
  });
});

describe("cross-compiling", () => {
  test("--targets arm64 builds an aarch64 Linux executable that embeds the init program", async () => {
    const outdir = freshStateDir("packaging-arm64-");
    scratch.push(outdir);
    const log = await runOk(process.execPath, [
      "scripts/build.ts",
      "--targets",
      "arm64",
      "--only",
      "init",
      "--outdir",
      outdir,
    ]);
    const binary = join(outdir, "linux-arm64", "init");
    expect(log).toContain(binary);
    const bytes = readFileSync(binary);
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
    expect(bytes[4]).toBe(2); // ELFCLASS64
    expect(bytes.readUInt16LE(18)).toBe(183); // e_machine EM_AARCH64
    expect(bytes.includes("/lib/ld-linux-aarch64.so.1")).toBe(true);
    // The program itself, not only the runtime: a log text of lib/init.
    expect(bytes.includes("waiting for the controller's push")).toBe(true);
    // No x64 rootfs is laid out for a foreign target (ldd cannot read it).
    expect(existsSync(join(outdir, "rootfs"))).toBe(false);
  });
});
