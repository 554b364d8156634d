import { describe, expect, it } from "vitest";
import { GROUP_STEPS } from "../runtime/reload/executor.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * Start-up runs its files in shared kernel transactions, GROUP_STEPS files at most, each file
 * behind a savepoint (TransactionExecutor.beginGroup): a file that fails is rolled back to its
 * savepoint alone, and the others of its group commit together, as if each had been its own
 * transaction.
 */
describe("start-up groups: files share a kernel transaction, a failing one is undone alone", () => {
  const count = GROUP_STEPS + 20;
  /** Two failing files: one in the first group, one in the second; each has an importer that waits on it. */
  const failing = new Set([5, GROUP_STEPS + 7]);
  const waiting = new Set([...failing].map((index) => index + 1));
  const name = (index: number): string => `c${String(index).padStart(3, "0")}`;

  function scripts(broken: boolean): Record<string, string> {
    const files: Record<string, string> = { "base.ts": `export class Base {\n  hello(): string { return "base"; }\n}\n` };
    for (let index = 0; index < count; index++) {
      const lines = [`import { Base } from "./base";`];
      if (waiting.has(index)) lines.push(`import { C${index - 1} } from "./${name(index - 1)}";`, `export const before = C${index - 1}.name;`);
      lines.push(`export class C${index} extends Base {\n  n(): number { return ${index}; }\n}`);
      if (failing.has(index)) {
        // What a failed version did is undone: its class, its exports, its hot.data.
        lines.push(`export const seen = import.meta.hot.data.touched ?? "untouched";`);
        lines.push(`import.meta.hot.data.touched = "by the failed version";`);
        if (broken) lines.push(`throw new Error("${name(index)} fails at its top level");`);
      }
      files[`${name(index)}.ts`] = lines.join("\n") + "\n";
    }
    return files;
  }

  it("commits every other file, with its class and its report, and fails the broken ones and their importers alone", async () => {
    const folder = await scriptsFolder(scripts(true));
    const runtime = await runtimeFor(folder);
    const loaded = Array.from({ length: count }, (_, index) => index).filter((index) => !failing.has(index) && !waiting.has(index));
    expect(runtime.files()).toEqual(["base.ts", ...loaded.map((index) => `${name(index)}.ts`)]);
    const failures = runtime.failures();
    expect(failures.map((failure) => failure.file).sort()).toEqual([...failing, ...waiting].map((index) => `${name(index)}.ts`).sort());
    for (const index of failing) expect(failures.find((failure) => failure.file === `${name(index)}.ts`)!.text).toContain(`${name(index)} fails at its top level`);
    for (const index of waiting) expect(failures.find((failure) => failure.file === `${name(index)}.ts`)!.text).toContain(`${name(index - 1)}.ts`);

    // The start-up report has one created class per loaded file, in load order: the groups' commits.
    expect(runtime.initialReport.patched.map((patch) => `${patch.name}${patch.created ? "+" : ""}`)).toEqual(["Base+", ...loaded.map((index) => `C${index}+`)]);
    const found = runtime.findSubclasses("base.ts#Base");
    expect(found.map((cls) => cls.new().call("n").toHost())).toEqual(loaded);
    for (const cls of found) cls.dispose();

    // The failed versions left nothing: fixed, they load as if they had never run.
    for (const [file, source] of Object.entries(scripts(false))) await folder.write(file, source);
    const report = await runtime.reload([...failing].map((index) => `${name(index)}.ts`));
    expect(report.errors).toEqual([]);
    expect(runtime.failures()).toEqual([]);
    for (const index of failing) expect(runtime.exports(`${name(index)}.ts`)["seen"]!.toHost()).toBe("untouched");
    const all = runtime.findSubclasses("base.ts#Base");
    expect(all.map((cls) => cls.new().call("n").toHost())).toEqual(Array.from({ length: count }, (_, index) => index));
    for (const cls of all) cls.dispose();
  });

  it("a file that awaits at its top level runs in a transaction of its own between groups", async () => {
    const files: Record<string, string> = { "base.ts": `export class Base {}\n` };
    for (let index = 0; index < 10; index++) {
      files[`${name(index)}.ts`] = index === 4
        ? `import { Base } from "./base";\nexport class C4 extends Base {}\nexport const value = await new Promise((resolve) => setTimeout(() => resolve(4), 1));\n`
        : `import { Base } from "./base";\nexport class C${index} extends Base {}\nexport const value = ${index};\n`;
    }
    const folder = await scriptsFolder(files);
    const runtime = await runtimeFor(folder);
    expect(runtime.failures()).toEqual([]);
    expect(runtime.initialReport.patched.map((patch) => patch.name)).toEqual(["Base", ...Array.from({ length: 10 }, (_, index) => `C${index}`)]);
    expect(Array.from({ length: 10 }, (_, index) => runtime.exports(`${name(index)}.ts`)["value"]!.toHost())).toEqual(Array.from({ length: 10 }, (_, index) => index));
  });
});
