import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
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

/** Every source file of the project, by path (what docs may name functions of). */
function sources(): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(path.join(ROOT, dir))) {
      const relative = `${dir}/${name}`;
      if (statSync(path.join(ROOT, relative)).isDirectory()) walk(relative);
      else if (/\.(ts|js|mjs)$/.test(name) && !name.endsWith(".d.ts")) found.set(relative, read(relative));
    }
  };
  for (const dir of ["runtime", "host-api", "cli", "demo", "bench", "tools"]) walk(dir);
  return found;
}

/** Whether `text` defines `name`: a function, class, variable, method, property or option of that name. */
function defines(text: string, name: string): boolean {
  const escaped = name.replace(/\$/g, "\\$");
  return new RegExp(
    `(?:function\\*?\\s+|class\\s+|const\\s+|let\\s+|interface\\s+|type\\s+|get\\s+|set\\s+|async\\s+|^\\s*(?:private\\s+|protected\\s+|readonly\\s+|static\\s+|public\\s+)*)${escaped}\\??\\s*[(<=:;{]|\\b${escaped}\\??\\s*:\\s*\\(|[,{]\\s*${escaped}\\s*[,}]`,
    "m",
  ).test(text);
}

/** Words in code spans of the docs that name no code of graft: ES spec operations, packages, HTTP headers, the DevTools protocol. */
const NOT_CODE = new Set(["ResolveExport", "ws", "Host", "package.json", "Domain.method"]);

describe("docs name functions and tests that exist", () => {
  const all = sources();
  const everything = [...all.values()].join("\n");

  for (const doc of ["docs/architecture.md", "docs/rules.md"]) {
    it(`${doc}: every function, class or Class.member in a code span is defined (Class.member in the file of the class)`, () => {
      const text = read(doc);
      const names = new Set([...text.matchAll(/`([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?)`/g)].map((match) => match[1]!).filter((name) => !NOT_CODE.has(name) && !/\.(?:ts|js|mjs|md|json)$/.test(name)));
      const missing = [...names].filter((name) => {
        const [owner, member] = name.split(".") as [string, string | undefined];
        if (member === undefined || !/^[A-Z]/.test(owner)) return !defines(everything, owner) && !(member === undefined || defines(everything, member));
        const home = [...all.values()].filter((source) => new RegExp(`class\\s+${owner}\\b`).test(source));
        return home.length === 0 || !home.some((source) => defines(source, member));
      });
      expect(names.size).toBeGreaterThan(doc === "docs/architecture.md" ? 80 : 0);
      expect(missing).toEqual([]);
    });
  }

  it("docs/architecture.md: every test title it quotes is a test of that file", () => {
    const architecture = read("docs/architecture.md");
    const quoted = [...architecture.matchAll(/`(test\/[\w./-]+\.test\.ts)`((?:,? "[^"]+")+)/g)].flatMap((match) =>
      [...match[2]!.matchAll(/"([^"]+)"/g)].map((title) => ({ file: match[1]!, title: title[1]! })),
    );
    expect(quoted.length).toBeGreaterThan(10);
    const missing = quoted.filter(({ file, title }) => {
      if (!existsSync(path.join(ROOT, file))) return true;
      // "... the rest of a title" quotes part of one.
      const part = title.replace(/^\.\.\.\s*/, "").replace(/\s*\.\.\.\s*/g, "\u0000").split("\u0000");
      const text = read(file);
      return !part.every((piece) => text.includes(piece));
    });
    expect(missing).toEqual([]);
  });
});
