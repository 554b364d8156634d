import { describe, expect, it } from "vitest";
import { ScriptError, type GraftRuntime } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * Issue 8 item 4: QuickJS's memory limit cannot hold on this build (its allocator counts
 * malloc_usable_size, which is 0 under emscripten), so graft caps the runtime's own linear
 * memory. A runaway allocation must end as "out of memory" with the VM's memory bounded by
 * the limit, and the runtime must keep serving.
 */

const MIB = 1024 * 1024;
const INITIAL_VM_MEMORY = 16 * MIB;

function vmMemoryBytes(runtime: GraftRuntime): number {
  return (runtime as unknown as { vm: { emscriptenModule: { HEAPU8: Uint8Array } } }).vm.emscriptenModule.HEAPU8.byteLength;
}

const BOMBS = {
  "bomb.ts": [
    "export function arrays(): void { const hoard: string[][] = []; for (;;) hoard.push(new Array(100000).fill('x')); }",
    "export function strings(): void { const hoard: string[] = []; let s = 'x'; for (;;) { s = s + s.slice(0, 4096) + hoard.length; hoard.push(s); } }",
    "export function objects(): void { const hoard: object[] = []; for (let i = 0; ; i++) hoard.push({ i, next: hoard[i - 1] }); }",
    "export function ok(): number { return 42; }",
  ].join("\n"),
};

describe("runaway allocation (memoryLimit 64 MiB)", () => {
  for (const bomb of ["arrays", "strings", "objects"]) {
    it(`stops a loop of ${bomb} as out of memory, within the limit, and keeps serving`, async () => {
      const folder = await scriptsFolder(BOMBS);
      const runtime = await runtimeFor(folder, { memoryLimit: 64 * MIB, timeout: 20_000 });
      const exports = runtime.exports("bomb.ts");
      let caught: unknown;
      try {
        exports[bomb]!.invoke().dispose();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ScriptError);
      // Where QuickJS could still build an error, it says where; with nothing left it throws null.
      expect((caught as ScriptError).message).toMatch(/^out of memory: the script went over the VM memory limit of 64 MiB( at bomb\.ts:\d+:\d+| \(QuickJS had no memory left to record where\))$/);
      expect(vmMemoryBytes(runtime)).toBeLessThanOrEqual(INITIAL_VM_MEMORY + 64 * MIB);
      expect(exports.ok!.invoke().toHost()).toBe(42);
      const { after } = runtime.gc();
      expect(after).toBeLessThan(10_000);
      for (const value of Object.values(exports)) value.dispose();
    });
  }

  it("a top-level bomb fails the reload, leaves the old version running, and a second runtime is unaffected", async () => {
    const folder = await scriptsFolder({ "box.ts": "export class Box { hello(): string { return 'v1'; } }" });
    const runtime = await runtimeFor(folder, { memoryLimit: 32 * MIB, timeout: 20_000 });
    const neighbour = await runtimeFor(await scriptsFolder({ "n.ts": "export const big = (n: number) => new Array(n).fill(1).length;" }), { memoryLimit: 256 * MIB, timeout: 20_000 });
    await folder.write("box.ts", "const hoard: number[][] = [];\nfor (;;) hoard.push(new Array(50000).fill(1));\nexport class Box {}");
    const report = await runtime.reload(["box.ts"]);
    expect(report.errors[0]?.message).toMatch(/out of memory/);
    const box = runtime.getClass("box.ts", "Box").new();
    expect(box.call("hello").toHost()).toBe("v1");
    box.dispose();
    expect(vmMemoryBytes(runtime)).toBeLessThanOrEqual(INITIAL_VM_MEMORY + 32 * MIB);
    // Each runtime has its own memory: the neighbour can still use more than the first one's limit.
    const big = runtime === neighbour ? undefined : neighbour.exports("n.ts").big!;
    expect(big!.invoke(8_000_000).toHost()).toBe(8_000_000);
    big!.dispose();
  });
});
