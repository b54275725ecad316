/**
 * A parser for the subset of HCL that Vault policies use: `path "<glob>" { key = value ... }` blocks whose values
 * are strings, numbers, booleans, lists and `{ key = value }` maps, with #, // and block comments.
 *
 * Contract: returns the blocks in order or throws an Error naming the line and what was expected.
 */
export type HclValue = string | number | boolean | HclValue[] | { [key: string]: HclValue };

export interface HclBlock {
  type: string;
  label: string;
  body: Record<string, HclValue>;
}

type Token = { kind: "string" | "ident" | "number" | "punct"; text: string; line: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  while (i < source.length) {
    const ch = source[i] ?? "";
    if (ch === "\n") line += 1;
    if (/\s/.test(ch) || ch === ",") {
      if (ch === ",") tokens.push({ kind: "punct", text: ",", line });
      i += 1;
    } else if (ch === "#" || source.startsWith("//", i)) {
      while (i < source.length && source[i] !== "\n") i += 1;
    } else if (source.startsWith("/*", i)) {
      const end = source.indexOf("*/", i + 2);
      if (end < 0) throw new Error(`line ${line}: unterminated comment`);
      line += (source.slice(i, end).match(/\n/g) ?? []).length;
      i = end + 2;
    } else if (ch === '"') {
      let text = "";
      i += 1;
      while (i < source.length && source[i] !== '"') {
        if (source[i] === "\\" && i + 1 < source.length) i += 1;
        text += source[i];
        i += 1;
      }
      if (i >= source.length) throw new Error(`line ${line}: unterminated string`);
      i += 1;
      tokens.push({ kind: "string", text, line });
    } else if ("{}[]=".includes(ch)) {
      tokens.push({ kind: "punct", text: ch, line });
      i += 1;
    } else {
      const match = /^[A-Za-z0-9_.\-+*/]+/.exec(source.slice(i));
      if (!match) throw new Error(`line ${line}: unexpected character ${JSON.stringify(ch)}`);
      const text = match[0];
      tokens.push({ kind: /^-?\d+(\.\d+)?$/.test(text) ? "number" : "ident", text, line });
      i += text.length;
    }
  }
  return tokens;
}

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  done(): boolean {
    return this.position >= this.tokens.length;
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(expected: string): Token {
    const token = this.tokens[this.position];
    if (!token) throw new Error(`unexpected end of policy, expected ${expected}`);
    this.position += 1;
    return token;
  }

  private skipCommas(): void {
    while (this.peek()?.text === "," && this.peek()?.kind === "punct") this.position += 1;
  }

  private expect(text: string): void {
    const token = this.next(`"${text}"`);
    if (token.text !== text || token.kind !== "punct")
      throw new Error(`line ${token.line}: expected "${text}", found ${JSON.stringify(token.text)}`);
  }

  block(): HclBlock {
    this.skipCommas();
    const type = this.next("a block such as path");
    if (type.kind !== "ident")
      throw new Error(`line ${type.line}: expected a block name, found ${type.text}`);
    const label = this.next("a quoted label");
    if (label.kind !== "string")
      throw new Error(`line ${label.line}: expected a quoted path after ${type.text}`);
    return { type: type.text, label: label.text, body: this.object() };
  }

  private object(): Record<string, HclValue> {
    this.expect("{");
    const body: Record<string, HclValue> = {};
    for (;;) {
      this.skipCommas();
      const token = this.next('a key or "}"');
      if (token.kind === "punct" && token.text === "}") return body;
      if (token.kind !== "ident" && token.kind !== "string")
        throw new Error(`line ${token.line}: expected a key, found ${JSON.stringify(token.text)}`);
      if (this.peek()?.text === "{") {
        body[token.text] = this.object();
        continue;
      }
      this.expect("=");
      body[token.text] = this.value();
    }
  }

  private value(): HclValue {
    const token = this.peek();
    if (token?.kind === "punct" && token.text === "{") return this.object();
    const next = this.next("a value");
    if (next.kind === "string") return next.text;
    if (next.kind === "number") return Number(next.text);
    if (next.kind === "ident" && (next.text === "true" || next.text === "false")) return next.text === "true";
    if (next.kind === "punct" && next.text === "[") {
      const items: HclValue[] = [];
      for (;;) {
        this.skipCommas();
        if (this.peek()?.text === "]" && this.peek()?.kind === "punct") {
          this.position += 1;
          return items;
        }
        items.push(this.value());
      }
    }
    throw new Error(`line ${next.line}: unexpected ${JSON.stringify(next.text)}`);
  }
}

export function parseHcl(source: string): HclBlock[] {
  const parser = new Parser(tokenize(source));
  const blocks: HclBlock[] = [];
  while (!parser.done()) blocks.push(parser.block());
  return blocks;
}
