/**
 * Label selectors as the API server parses them (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/):
 * equality (`=`, `==`, `!=`), set (`in`, `notin`) and existence (`key`, `!key`) requirements joined by commas, all of
 * which must hold. `!=` and `notin` also match objects without the key, as documented.
 */
import { apiErrors } from "../status.ts";

export type Labels = Readonly<Record<string, string>>;
export type LabelPredicate = (labels: Labels) => boolean;

type Operator = "=" | "!=" | "in" | "notin" | "exists" | "!exists";
interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const TOKEN = /\s*(==|!=|=|!|\(|\)|,|[^\s=!(),]+)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match?.[1]) {
      if (text.slice(start).trim() === "") break;
      throw parseError(text, `unexpected character at ${start}`);
    }
    tokens.push(match[1]);
  }
  return tokens;
}

function parseError(selector: string, why: string) {
  return apiErrors.badRequest(`unable to parse requirement: found '${why}' in label selector "${selector}"`);
}

function checkKey(selector: string, key: string | undefined): string {
  if (!key || !KEY.test(key)) throw parseError(selector, `invalid label key ${JSON.stringify(key ?? "")}`);
  return key;
}

function checkValue(selector: string, value: string): string {
  if (!VALUE.test(value)) throw parseError(selector, `invalid label value ${JSON.stringify(value)}`);
  return value;
}

class Parser {
  private position = 0;
  constructor(
    private readonly selector: string,
    private readonly tokens: string[],
  ) {}

  private peek(): string | undefined {
    return this.tokens[this.position];
  }
  private next(): string | undefined {
    return this.tokens[this.position++];
  }
  private isValueToken(token: string | undefined): token is string {
    return token !== undefined && !["==", "!=", "=", "!", "(", ")", ","].includes(token);
  }

  requirements(): Requirement[] {
    const out: Requirement[] = [];
    while (this.peek() !== undefined) {
      out.push(this.requirement());
      const separator = this.next();
      if (separator !== undefined && separator !== ",") throw parseError(this.selector, separator);
    }
    return out;
  }

  private requirement(): Requirement {
    if (this.peek() === "!") {
      this.next();
      return { key: checkKey(this.selector, this.next()), operator: "!exists", values: [] };
    }
    const key = checkKey(this.selector, this.next());
    const operator = this.peek();
    if (operator === undefined || operator === ",") return { key, operator: "exists", values: [] };
    this.next();
    if (operator === "=" || operator === "==" || operator === "!=") {
      const value = this.isValueToken(this.peek()) ? (this.next() ?? "") : "";
      return { key, operator: operator === "!=" ? "!=" : "=", values: [checkValue(this.selector, value)] };
    }
    if (operator === "in" || operator === "notin") return { key, operator, values: this.valueSet() };
    throw parseError(this.selector, operator);
  }

  private valueSet(): string[] {
    if (this.next() !== "(") throw parseError(this.selector, "expected '(' after in/notin");
    const values: string[] = [];
    for (;;) {
      const token = this.peek();
      if (this.isValueToken(token)) values.push(checkValue(this.selector, this.next() ?? ""));
      else values.push("");
      const after = this.next();
      if (after === ")") return values;
      if (after !== ",") throw parseError(this.selector, after ?? "end of selector, expected ')'");
    }
  }
}

function matches(requirement: Requirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  const value = labels[requirement.key];
  switch (requirement.operator) {
    case "exists":
      return has;
    case "!exists":
      return !has;
    case "=":
    case "in":
      return has && requirement.values.includes(value ?? "");
    case "!=":
    case "notin":
      return !has || !requirement.values.includes(value ?? "");
  }
}

/** Parses `selector`; throws a 400 Status error on bad syntax. An empty selector matches everything. */
export function parseLabelSelector(selector: string | undefined | null): LabelPredicate {
  if (!selector?.trim()) return () => true;
  const requirements = new Parser(selector, tokenize(selector)).requirements();
  return (labels) => requirements.every((requirement) => matches(requirement, labels));
}
