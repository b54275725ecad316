/**
 * Scratch directories under the repository's .state/ (ignored by git), created on demand: a clean clone has no
 * .state/ yet, and tests must pass there exactly as in a working tree.
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { join, resolve } from "node:path";

const STATE = resolve(import.meta.dir, "../../.state");

export function freshStateDir(prefix: string): string {
  mkdirSync(STATE, { recursive: true });
  return mkdtempSync(join(STATE, prefix));
}
