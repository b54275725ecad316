/**
 * Reading the files that configuration names (VAULT_CACERT, CONTROLLER_CA_CERT, VAULT_CLIENT_CERT/KEY,
 * ALLOWED_ROLES_FILE), at start-up, with errors that name the variable and the path.
 *
 * Contract: every failure is a ConfigError (exit code 2): missing, unreadable, empty, or not the PEM expected.
 * The contents of a key file never appear in an error.
 */
import { readFile } from "node:fs/promises";
import { type AllowList, parseAllowList } from "./allow-list/index.ts";
import type { AllowListSource } from "./controller.ts";
import { ConfigError } from "./errors.ts";

export type PemKind = "certificate" | "private key";

const PEM_BLOCK: Record<PemKind, RegExp> = {
  certificate: /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/,
  "private key": /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]+?-----END (?:[A-Z]+ )?PRIVATE KEY-----/,
};

function fail(variable: string, problem: string, fix: string): never {
  throw new ConfigError([{ variable, problem, fix }], "configuration file");
}

async function readText(variable: string, path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      fail(
        variable,
        `the file ${path} does not exist`,
        "mount the file (e.g. from a Secret or ConfigMap) or correct the path",
      );
    if (code === "EACCES")
      fail(
        variable,
        `the file ${path} cannot be read (permission denied)`,
        "make it readable by the container's user (runAsUser)",
      );
    if (code === "EISDIR") fail(variable, `${path} is a directory`, "give the path of the file inside it");
    fail(
      variable,
      `the file ${path} cannot be read (${code ?? "unknown error"})`,
      "check that the path and the volume mount are right",
    );
  }
}

/** Reads a PEM file and checks that it holds at least one block of the expected kind. */
export async function readPemFile(
  variable: string,
  path: string,
  kind: PemKind = "certificate",
): Promise<string> {
  const contents = await readText(variable, path);
  if (contents.trim() === "") fail(variable, `the file ${path} is empty`, `put the PEM ${kind} in it`);
  if (!PEM_BLOCK[kind].test(contents))
    fail(
      variable,
      `the file ${path} holds no PEM ${kind}`,
      `it must contain "-----BEGIN ${kind === "certificate" ? "CERTIFICATE" : "PRIVATE KEY"}-----" ... "-----END ...-----" blocks`,
    );
  return contents;
}

/** The allow-list, from ALLOWED_ROLES (already parsed) or from the file ALLOWED_ROLES_FILE names. */
export async function loadAllowList(source: AllowListSource): Promise<AllowList> {
  if (source.kind === "inline") return source.list;
  return parseAllowList(
    await readText("ALLOWED_ROLES_FILE", source.path),
    `ALLOWED_ROLES_FILE (${source.path})`,
  );
}
