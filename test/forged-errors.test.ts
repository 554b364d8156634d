import { describe, expect, it } from "vitest";
import { ScriptError } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** Issue 24, row 13: the errors graft makes cannot be forged by a value a script throws. */
describe("graft's reports and look-alikes a script throws", () => {
  function caught(call: () => unknown): ScriptError {
    try {
      call();
    } catch (error) {
      expect(error).toBeInstanceOf(ScriptError);
      return error as ScriptError;
    }
    throw new Error("the call did not throw");
  }

  it("a thrown look-alike of the timeout or the out-of-memory report is marked as thrown; the real ones are kind 'timeout' and 'out of memory'", async () => {
    const folder = await scriptsFolder({
      "a.ts": [
        'export function fakeTimeout(): void { throw { name: "timed out", message: "the script ran longer than 300 ms and was stopped (an infinite loop?)" }; }',
        'export function fakeMemory(): void { throw new (globalThis as any).InternalError("out of memory"); }',
        'export function fakePlain(): void { const e = new Error("out of memory"); e.name = "InternalError"; throw e; }',
        "export function spin(): void { for (;;) {} }",
        "export function hoard(): void { const all: unknown[] = []; for (;;) all.push(new Array(1000).fill(1)); }",
      ].join("\n"),
    });
    const runtime = await runtimeFor(folder, { timeout: 300, memoryLimit: 8 * 1024 * 1024 });
    const exports = runtime.exports("a.ts");

    const fakeTimeout = caught(() => exports.fakeTimeout!.invoke());
    expect(fakeTimeout.kind).toBe("thrown");
    expect(fakeTimeout.message).toMatch(/^the script threw a value that reads: timed out: the script ran longer/);
    for (const fake of [caught(() => exports.fakeMemory!.invoke()), caught(() => exports.fakePlain!.invoke())]) {
      expect(fake.kind).toBe("thrown");
      expect(fake.message).toMatch(/^InternalError: out of memory at a\.ts:\d+:\d+$/);
    }

    const timeout = caught(() => exports.spin!.invoke());
    expect(timeout.kind).toBe("timeout");
    expect(timeout.message).toMatch(/^timed out: the script ran longer than 300 ms/);
    // Filling 8 MiB takes longer than 300 ms on a loaded machine: a runtime of its own, with time to fill.
    const roomy = await runtimeFor(folder, { timeout: 60_000, memoryLimit: 8 * 1024 * 1024 });
    const hoard = roomy.exports("a.ts").hoard!;
    const memory = caught(() => hoard.invoke());
    expect(memory.kind).toBe("out of memory");
    expect(memory.message).toMatch(/^out of memory: the script went over the VM memory limit of 8 MiB/);
    for (const value of Object.values(exports)) value.dispose();
  });

  it("a reload whose top level throws a look-alike reports it as thrown", async () => {
    const folder = await scriptsFolder({ "a.ts": "export const x = 1;" });
    const runtime = await runtimeFor(folder, { timeout: 300 });
    await folder.write("a.ts", 'throw { name: "timed out", message: "the script ran longer than 300 ms and was stopped" };');
    const report = await runtime.reload(["a.ts"]);
    expect(report.errors[0]!.message).toMatch(/^the script threw a value that reads: timed out/);
  });
});

/** Issue 24, row 10: error texts and stacks are bounded in size. */
describe("big thrown values", () => {
  it("an error with an 8 MiB stack and a 1 MiB message, a 1 MiB thrown string and an object holding one cross as bounded texts", async () => {
    const folder = await scriptsFolder({
      "a.ts": [
        'export function bigError(): void { const e = new Error("m".repeat(1024 * 1024)); Object.defineProperty(e, "stack", { value: "    at x (a.ts:1:1)\\n".repeat(400000) }); throw e; }',
        'export function bigString(): void { throw "s".repeat(1024 * 1024); }',
        'export function bigObject(): void { throw { text: "o".repeat(1024 * 1024) }; }',
      ].join("\n"),
    });
    const runtime = await runtimeFor(folder, { timeout: 5000 });
    const exports = runtime.exports("a.ts");
    const error = caughtError(() => exports.bigError!.invoke());
    expect(error.message.length).toBeLessThan(9 * 1024);
    expect(error.message).toMatch(/… \(\d+ more characters\)/);
    expect(error.scriptStack.length).toBeLessThan(20 * 1024);
    const text = caughtError(() => exports.bigString!.invoke());
    expect(text.message.length).toBeLessThan(9 * 1024);
    const object = caughtError(() => exports.bigObject!.invoke());
    expect(object.message).toMatch(/a non-Error object was thrown \(too large to show: \d+ characters as a copy\)/);
    for (const value of Object.values(exports)) value.dispose();
  });
});

function caughtError(call: () => unknown): ScriptError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(ScriptError);
    return error as ScriptError;
  }
  throw new Error("the call did not throw");
}
