import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * Issue 24, rows 5 and 7: strings cross the boundary exactly. graft reads them from VM
 * memory (runtime/vm/vm-string.ts) instead of having the VM convert them to UTF-8: a big
 * non-ASCII string in a VM near its memoryLimit crossed as "" with no error, a lone
 * surrogate as U+FFFD, and a copy whose JSON text could not be converted threw a raw
 * "SyntaxError: Unexpected end of JSON input".
 */

const MIB = 1024 * 1024;
const BIG = 20 * MIB;

describe("strings across the boundary", () => {
  it("a 20 Mi-character non-ASCII string in a VM holding 20 MiB more arrives whole: as a result, as a host function's argument, inside a copy (8 Mi characters)", async () => {
    let received: unknown;
    const folder = await scriptsFolder({
      "a.ts": [
        'import { take } from "host";',
        "const hold: string[] = [];",
        `export function big(): string { hold.push("x".repeat(${BIG})); return "\\u00e9".repeat(${BIG}); }`,
        `export function pass(): void { take("\\u00e9".repeat(${BIG})); }`,
        `export function inObject(): unknown { return { text: "\\u00e9".repeat(${8 * MIB}) }; }`,
      ].join("\n"),
    });
    const runtime = await runtimeFor(folder, { memoryLimit: 64 * MIB, timeout: 20_000, host: { take: (text: unknown) => void (received = text) } });
    const { big, pass, inObject } = runtime.exports("a.ts");
    const expected = "\u00e9".repeat(BIG);
    const result = big!.invoke();
    expect((result.toHost() as string) === expected).toBe(true);
    pass!.invoke().dispose();
    expect(received === expected).toBe(true);
    result.dispose();
    const copied = inObject!.invoke();
    expect((copied.toHost() as { text: string }).text === "\u00e9".repeat(8 * MIB)).toBe(true);
    for (const value of [copied, big!, pass!, inObject!]) value.dispose();
  });

  it("lone surrogates and rope strings (built by +) arrive as the script has them", async () => {
    const folder = await scriptsFolder({
      "a.ts": [
        'export const lone = (): string => "a\\ud800b\\udc00";',
        'export function rope(): string { let s = "\\u00e9"; for (let i = 0; i < 200; i++) s = s + "\\u4e00" + i + "x".repeat(i); return s; }',
        'export const inArray = (): unknown => ["\\ud83d", "\\ude00\\u00ff"];',
      ].join("\n"),
    });
    const runtime = await runtimeFor(folder);
    const { lone, rope, inArray } = runtime.exports("a.ts");
    expect(lone!.invoke().toHost()).toBe("a\ud800b\udc00");
    let expected = "\u00e9";
    for (let i = 0; i < 200; i++) expected = expected + "\u4e00" + i + "x".repeat(i);
    expect(rope!.invoke().toHost()).toBe(expected);
    expect(inArray!.invoke().toHost()).toEqual(["\ud83d", "\ude00\u00ff"]);
    for (const value of [lone!, rope!, inArray!]) value.dispose();
  });

  it("a copy of 40 references to one 1 MiB string (40 MiB of copy text in a 64 MiB VM) arrives, or fails as a GraftError", async () => {
    const folder = await scriptsFolder({ "a.ts": 'export function refs(): unknown { const s = "\\u00e9".repeat(1024 * 1024); return new Array(40).fill(s); }' });
    const runtime = await runtimeFor(folder, { memoryLimit: 64 * MIB, timeout: 20_000 });
    const refs = runtime.exports("a.ts").refs!;
    const copied = refs.invoke().toHost() as string[];
    expect(copied).toHaveLength(40);
    expect(copied.every((text) => text === "\u00e9".repeat(MIB))).toBe(true);
    refs.dispose();
  });
});
