import { describe, expect, it } from "vitest";
import { ScriptError } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * A failed call is placed where Node and browsers place it: at what is called (`nope()` at
 * `nope`, `holder.missing()` at `missing`, `new Nothing()` at `new`), in .js and .ts files
 * alike, not at the `(` QuickJS itself reports.
 */
describe("where a failed call is reported", () => {
  const lines = [
    "const holder: any = {};",
    "export function plain(): void {",
    "  (globalThis as any).nope( 1);",
    "}",
    "export function member(): void {",
    "  holder . missing(2);",
    "}",
    "export function construct(): void {",
    "  new (globalThis as any).Nothing(3);",
    "}",
    "export function optional(): void {",
    "  const f: any = 5; f?.(4);",
    "}",
  ];

  function positionOf(call: () => unknown): string {
    try {
      call();
    } catch (error) {
      expect(error).toBeInstanceOf(ScriptError);
      return /at ([\w.]+:\d+:\d+)$/.exec((error as Error).message)?.[1] ?? (error as Error).message;
    }
    throw new Error("the call did not throw");
  }

  for (const file of ["calls.ts", "calls.js"]) {
    it(`in ${file}`, async () => {
      const typescript = file.endsWith(".ts");
      const source = typescript ? lines.join("\n") : lines.map((line) => line.replace(/: (any|void)/g, "").replace(/ as any/g, "")).join("\n");
      const runtime = await runtimeFor(await scriptsFolder({ [file]: source }));
      const exports = runtime.exports(file);
      const column = (line: number, text: string): string => `${file}:${line}:${source.split("\n")[line - 1]!.indexOf(text) + 1}`;
      expect(positionOf(() => exports.plain!.invoke())).toBe(column(3, "nope"));
      expect(positionOf(() => exports.member!.invoke())).toBe(column(6, "missing"));
      expect(positionOf(() => exports.construct!.invoke())).toBe(column(9, "new"));
      expect(positionOf(() => exports.optional!.invoke())).toBe(column(12, "f?.("));
    });
  }
});
