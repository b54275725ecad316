/**
 * The allow-list text (ALLOWED_ROLES or the file named by ALLOWED_ROLES_FILE): which namespaces and service
 * accounts may receive secret_ids of which AppRoles. Deny by default: the original let any pod ask for any role.
 *
 * Format: entries separated by newlines or ";", each `<namespace>[/<serviceAccount>]: <role>[, <role>...]`;
 * namespace, service account and role may use `*` globs; `#` starts a comment that runs to the end of the line.
 *
 * Contract: `parseAllowList` reports every bad entry at once in a ConfigError naming the source setting and the
 * entry's line; an empty list is valid (and denies everything).
 */
import { ConfigError, type ConfigProblem } from "../errors.ts";
import { compileGlob, type Glob } from "./glob.ts";

export interface AllowListEntry {
  /** The entry as written, for explanations. */
  text: string;
  line: number;
  namespace: Glob;
  serviceAccount: Glob;
  roles: Glob[];
}

export interface AllowList {
  /** The setting it came from ("ALLOWED_ROLES", or "ALLOWED_ROLES_FILE"), named in every explanation. */
  source: string;
  entries: AllowListEntry[];
}

const NAMESPACE_GLOB = /^[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?$/;
const SERVICE_ACCOUNT_GLOB = /^[a-z0-9*]([-a-z0-9.*]*[a-z0-9*])?$/;
const ROLE_GLOB = /^[A-Za-z0-9._*-]+( [A-Za-z0-9._*-]+)*$/;
const FORMAT_FIX =
  'write entries as "<namespace>[/<serviceAccount>]: <role>[, <role>...]", e.g. "payments/api: payments-reader, payments-writer" or "team-*: *"';

function entryProblems(subject: string, roles: string): string[] {
  const problems: string[] = [];
  const [namespace = "", serviceAccount, ...rest] = subject.split("/").map((s) => s.trim());
  if (rest.length > 0) problems.push("it has more than one '/' before the ':'");
  if (!NAMESPACE_GLOB.test(namespace)) problems.push(`"${namespace}" is not a namespace name or glob`);
  if (serviceAccount !== undefined && !SERVICE_ACCOUNT_GLOB.test(serviceAccount))
    problems.push(`"${serviceAccount}" is not a service account name or glob`);
  const roleList = roles.split(",").map((r) => r.trim());
  if (roleList.every((r) => r === "")) problems.push("it names no AppRole after the ':'");
  for (const role of roleList.filter((r) => r !== ""))
    if (!ROLE_GLOB.test(role) || role === "." || role === "..")
      problems.push(`"${role}" is not an AppRole name or glob`);
  return problems;
}

function splitEntries(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const withoutComment = rawLine.split("#", 1)[0] ?? "";
    for (const part of withoutComment.split(";")) {
      const entry = part.trim();
      if (entry !== "") out.push({ text: entry, line: index + 1 });
    }
  });
  return out;
}

export function parseAllowList(text: string, source = "ALLOWED_ROLES"): AllowList {
  const entries: AllowListEntry[] = [];
  const problems: ConfigProblem[] = [];
  for (const { text: entry, line } of splitEntries(text)) {
    const colon = entry.indexOf(":");
    const where = `line ${line}, entry "${entry}"`;
    if (colon < 0) {
      problems.push({
        variable: source,
        problem: `${where} has no ':' between who and which AppRoles`,
        fix: FORMAT_FIX,
      });
      continue;
    }
    const subject = entry.slice(0, colon).trim();
    const roles = entry.slice(colon + 1);
    const found = entryProblems(subject, roles);
    if (found.length > 0) {
      problems.push({ variable: source, problem: `${where}: ${found.join("; ")}`, fix: FORMAT_FIX });
      continue;
    }
    const [namespace = "", serviceAccount = "*"] = subject.split("/").map((s) => s.trim());
    entries.push({
      text: entry,
      line,
      namespace: compileGlob(namespace),
      serviceAccount: compileGlob(serviceAccount),
      roles: roles
        .split(",")
        .map((r) => r.trim())
        .filter((r) => r !== "")
        .map(compileGlob),
    });
  }
  if (problems.length > 0) throw new ConfigError(problems, `allow-list (${source})`);
  return { source, entries };
}
