/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for `promtool check metrics`-style
 * checks where promtool itself is not installed: every family has HELP and TYPE before its samples, sample lines
 * parse, only counters (and untyped) end in _total, histogram buckets are cumulative and end in +Inf matching _count.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  for (const suffix of ["", "_bucket", "_sum", "_count"]) {
    if (!sample.endsWith(suffix)) continue;
    const family = families.get(sample.slice(0, sample.length - suffix.length));
    if (family) return family;
  }
  return undefined;
}

export function parseExposition(text: string): { families: Map<string, Family>; problems: string[] } {
  const families = new Map<string, Family>();
  const problems: string[] = [];
  const help = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name = "", rest = ""] = meta;
      if (kind === "HELP") help.set(name, rest);
      else if (families.has(name)) problems.push(`${name}: TYPE given twice`);
      else families.set(name, { name, type: rest, help: help.get(name) ?? "", samples: [] });
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) {
      problems.push(`unparseable line: ${line}`);
      continue;
    }
    const [, name = "", labelText = "", valueText = ""] = match;
    const labels: Record<string, string> = {};
    for (const label of labelText.matchAll(LABEL)) labels[label[1] ?? ""] = label[2] ?? "";
    // prom-client writes NaN as "Nan"; Prometheus' parser (Go's ParseFloat) reads nan in any case, so we do too.
    const isNaNText = valueText.toLowerCase() === "nan";
    const value =
      valueText === "+Inf"
        ? Infinity
        : valueText === "-Inf"
          ? -Infinity
          : isNaNText
            ? NaN
            : Number(valueText);
    if (Number.isNaN(value) && !isNaNText) problems.push(`${name}: bad value ${valueText}`);
    const family = familyOf(name, families);
    if (!family) problems.push(`${name}: sample before its TYPE line`);
    else family.samples.push({ name, labels, value });
  }
  for (const family of families.values()) problems.push(...lintFamily(family));
  return { families, problems };
}

function lintFamily(family: Family): string[] {
  const problems: string[] = [];
  if (!family.help) problems.push(`${family.name}: no HELP text`);
  if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(family.type))
    problems.push(`${family.name}: unknown type ${family.type}`);
  if (family.type === "counter" && !family.name.endsWith("_total"))
    problems.push(`${family.name}: counter without _total`);
  if (family.type === "histogram") {
    const series = new Map<string, Sample[]>();
    for (const sample of family.samples.filter((s) => s.name.endsWith("_bucket"))) {
      const { le: _le, ...rest } = sample.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), sample]);
    }
    for (const [key, buckets] of series) {
      const bounds = buckets.map((bucket) =>
        Number(bucket.labels.le === "+Inf" ? Infinity : bucket.labels.le),
      );
      if (bounds.at(-1) !== Infinity) problems.push(`${family.name}${key}: no +Inf bucket`);
      for (let index = 1; index < buckets.length; index++) {
        if ((bounds[index] ?? 0) <= (bounds[index - 1] ?? 0))
          problems.push(`${family.name}${key}: buckets out of order`);
        if ((buckets[index]?.value ?? 0) < (buckets[index - 1]?.value ?? 0))
          problems.push(`${family.name}${key}: not cumulative`);
      }
      const count = family.samples.find((s) => s.name.endsWith("_count") && JSON.stringify(s.labels) === key);
      if (count?.value !== buckets.at(-1)?.value)
        problems.push(`${family.name}${key}: _count differs from +Inf bucket`);
    }
  }
  return problems;
}
