import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const read = (file: string): string => readFileSync(path.join(ROOT, file), "utf8");

describe("docs/architecture.md stays a true map", () => {
  const architecture = read("docs/architecture.md");

  it("names only files that exist", () => {
    const named = [...architecture.matchAll(/`((?:runtime|host-api|test|bench|docs)\/[\w./-]+\.(?:ts|js|mjs|md))`/g)].map((match) => match[1]!);
    expect(named.length).toBeGreaterThan(30);
    expect(named.filter((file) => !existsSync(path.join(ROOT, file)))).toEqual([]);
  });

  it("has a row for every rule of docs/rules.md", () => {
    const rules = [...read("docs/rules.md").matchAll(/^- \*\*([A-Z]\d+)\b/gm)].map((match) => match[1]!);
    expect(rules).toContain("R13");
    const rows = new Set([...architecture.matchAll(/^\| ([A-Z]\d+) /gm)].map((match) => match[1]!));
    expect(rules.filter((rule) => !rows.has(rule))).toEqual([]);
  });
});
