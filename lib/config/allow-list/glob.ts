/**
 * `*` globs for allow-list entries: `*` matches any run of characters (none included); everything else is literal.
 * Used for namespaces, service accounts, roles and WATCH_NAMESPACES.
 */

export interface Glob {
  pattern: string;
  matches(value: string): boolean;
}

export function compileGlob(pattern: string): Glob {
  if (!pattern.includes("*")) return { pattern, matches: (value) => value === pattern };
  const source = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  const regex = new RegExp(`^${source}$`, "s");
  return { pattern, matches: (value) => regex.test(value) };
}
