import { describe, expect, it } from "vitest";
import { GraftError, type GraftRuntime, type ReloadError, type ReloadReport } from "../host-api/index.js";
import { runtimeFor, scriptsFolder, waitFor } from "./helpers.js";

/**
 * Issue 24: a call whose time goes into one compute-only C builtin (QuickJS asks its
 * interrupt handler only between bytecodes, and these allocate nothing as they go) ran
 * seconds to minutes past `timeout`, and then succeeded. runtime/vm/wasm-deadline.ts puts a
 * countdown on every loop of the QuickJS module, and the module traps once the call has run
 * 1.5x timeout + 50 ms: the VM is then crashed (a WebAssembly instance stopped in the middle
 * of C code cannot be trusted), with a GraftError of kind "timeout" that names what ran.
 * `reloadOnCrash` restarts it from the files on disk. The outcomes are asserted here; the
 * time bound is asserted by test/hostile.property.test.ts, the figures are in bench/.
 */

const HEAVY = [
  "export let counter = 0;",
  "export const bump = (): number => ++counter;",
  'export function search(): number { return "a".repeat(2 ** 20).indexOf("a".repeat(2 ** 14) + "b"); }',
  "export function bigint(): number { let n = 0; for (let i = 0; i < 30; i++) n += ((1n << 400000n) - 1n).toString().length; return n; }",
  "export function stringify(): number { return JSON.stringify(new Array(2 ** 22).fill(12345)).length; }",
  "export function copy(): number { const a = new Array(2 ** 22).fill(1); for (let i = 0; i < 20; i++) a.copyWithin(1, 0); return a.length; }",
  "export const holder = { get heavy(): number { return ((1n << 400000n) - 1n).toString().length; } };",
  "export function later(): void { setInterval(() => { ((1n << 400000n) - 1n).toString(); }, 5); }",
  "export function job(): void { Promise.resolve().then(() => ((1n << 400000n) - 1n).toString()); }",
  "export const ok = (): number => 42;",
].join("\n");

const STOPPED = /^the VM crashed: timed out: (.+) ran longer than the timeout of 100 ms inside a built-in function/;

async function heavyRuntime(options: { reloadOnCrash?: boolean } = {}): Promise<{ runtime: GraftRuntime; errors: ReloadError[] }> {
  const folder = await scriptsFolder({ "heavy.ts": HEAVY });
  const runtime = await runtimeFor(folder, { timeout: 100, ...options });
  const errors: ReloadError[] = [];
  runtime.on("error", (error) => errors.push(error));
  return { runtime, errors };
}

function caught(call: () => unknown): Error & { kind?: string } {
  try {
    call();
  } catch (error) {
    return error as Error;
  }
  throw new Error("the call returned");
}

describe("a call stuck in a compute-only builtin is stopped from outside", () => {
  for (const name of ["search", "bigint"]) {
    it(`${name}: the caller gets a GraftError of kind "timeout" naming the call and the file, reported once, and every later call is refused`, async () => {
      const { runtime, errors } = await heavyRuntime();
      const exports = runtime.exports("heavy.ts");
      const error = caught(() => exports[name]!.invoke());
      expect(error).toBeInstanceOf(GraftError);
      expect(error.kind).toBe("timeout");
      expect(error.message).toMatch(STOPPED);
      expect(error.message).toMatch(/^the VM crashed: timed out: the host call invoke\(\) \(in heavy\.ts:\d+/);
      expect(error.message).toMatch(/reloadOnCrash: true/);
      expect(caught(() => exports.ok!.invoke()).message).toMatch(STOPPED);
      await waitFor(() => errors.length > 0, 10_000, "the crash's error event");
      expect(errors).toHaveLength(1);
      expect(errors[0]!.origin).toBe("vm");
      expect(errors[0]!.file).toBe("heavy.ts");
      expect(() => runtime.dispose()).not.toThrow();
    });
  }

  // These allocate as they go while VM memory still grows: then the refused growth stops them
  // at the deadline (test/builtin-deadline.test.ts), else the outside stop does.
  for (const name of ["stringify", "copy"]) {
    it(`${name}: stopped as a timeout either way, never a late result`, async () => {
      const { runtime } = await heavyRuntime();
      const error = caught(() => runtime.exports("heavy.ts")[name]!.invoke());
      expect(error.kind).toBe("timeout");
      expect(error.message).toMatch(error instanceof GraftError ? STOPPED : /^timed out: the script ran longer than 100 ms/);
      runtime.dispose();
    });
  }

  it("a getter the host reads: the same, naming the get", async () => {
    const { runtime } = await heavyRuntime();
    const holder = runtime.exports("heavy.ts").holder!;
    const error = caught(() => holder.get("heavy"));
    expect(error.kind).toBe("timeout");
    expect(error.message).toMatch(/^the VM crashed: timed out: the host call get\('heavy'\) \(in heavy\.ts:\d+/);
    runtime.dispose();
  });

  it("an interval callback: reported once as the VM crash naming the callback, and no timer is left", async () => {
    const { runtime, errors } = await heavyRuntime();
    runtime.exports("heavy.ts").later!.invoke().dispose();
    const crash = await waitFor(() => errors[0], 20_000, "the crash's error event");
    expect(crash.origin).toBe("vm");
    expect(crash.message).toMatch(/^the VM crashed: timed out: the setInterval callback of heavy\.ts \(in heavy\.ts:\d+/);
    // Cleared with the VM (no timer is left to fire and report again), and reported once.
    expect(runtime.scheduler.pendingTimers).toBe(0);
    expect(errors).toHaveLength(1);
    runtime.dispose();
  });

  it("a promise job the call queued: the call fails as the crash, naming the promise jobs", async () => {
    const { runtime } = await heavyRuntime();
    const error = caught(() => runtime.exports("heavy.ts").job!.invoke());
    expect(error.kind).toBe("timeout");
    expect(error.message).toMatch(/^the VM crashed: timed out: promise jobs \(in heavy\.ts:\d+/);
    runtime.dispose();
  });

  it("a file's top level, reloading: reload() rejects with the crash, naming the file's top level", async () => {
    const folder = await scriptsFolder({ "box.ts": "export class Box { v(): number { return 1; } }" });
    const runtime = await runtimeFor(folder, { timeout: 100 });
    await folder.write("box.ts", 'export const n = "a".repeat(2 ** 20).indexOf("a".repeat(2 ** 14) + "b");\nexport class Box { v(): number { return 2; } }');
    const rejection = await runtime.reload(["box.ts"]).then(
      () => undefined,
      (error: Error & { kind?: string }) => error,
    );
    expect(rejection).toBeInstanceOf(GraftError);
    expect(rejection!.kind).toBe("timeout");
    expect(rejection!.message).toMatch(/^the VM crashed: timed out: the top level of box\.ts \(in box\.ts:1/);
    runtime.dispose();
  });
});

describe("reloadOnCrash", () => {
  it("restarts a crashed VM from the files on disk: the error event says the state is lost, a reload event follows, and calls work again", async () => {
    const { runtime, errors } = await heavyRuntime({ reloadOnCrash: true });
    const reloads: ReloadReport[] = [];
    runtime.on("reload", (report) => reloads.push(report));
    const old = runtime.exports("heavy.ts");
    expect(old.bump!.invoke().toHost()).toBe(1);
    expect(old.bump!.invoke().toHost()).toBe(2);
    const error = caught(() => old.bigint!.invoke());
    expect(error.kind).toBe("timeout");
    expect(error.message).toMatch(/graft restarts it from the files on disk \(reloadOnCrash\): every script's state is lost/);
    const report = await waitFor(() => reloads[0], 20_000, "the restarted world's load");
    expect(report.ok).toBe(true);
    expect(report.files).toContain("heavy.ts");
    expect(errors).toHaveLength(1);
    expect(errors[0]!.origin).toBe("vm");
    expect(errors[0]!.message).toMatch(/every script's state is lost/);
    // The new world: fresh state (the counter starts again), the old values stay dead.
    const fresh = runtime.exports("heavy.ts");
    expect(fresh.bump!.invoke().toHost()).toBe(1);
    expect(fresh.ok!.invoke().toHost()).toBe(42);
    expect(caught(() => old.ok!.invoke()).message).toMatch(STOPPED);
    expect(runtime.files()).toEqual(["heavy.ts"]);
    // A second crash restarts again.
    expect(caught(() => fresh.search!.invoke()).kind).toBe("timeout");
    await waitFor(() => reloads[1], 20_000, "the second restart's load");
    expect(runtime.exports("heavy.ts").ok!.invoke().toHost()).toBe(42);
    expect(() => runtime.dispose()).not.toThrow();
  });

  it("an interval that crashes the VM: the restarted world serves, and the interval is gone with the old state", async () => {
    const { runtime, errors } = await heavyRuntime({ reloadOnCrash: true });
    const reloads: ReloadReport[] = [];
    runtime.on("reload", (report) => reloads.push(report));
    runtime.exports("heavy.ts").later!.invoke().dispose();
    await waitFor(() => reloads[0], 20_000, "the restarted world's load");
    expect(errors.filter((error) => error.origin === "vm")).toHaveLength(1);
    expect(runtime.scheduler.pendingTimers).toBe(0);
    expect(runtime.exports("heavy.ts").ok!.invoke().toHost()).toBe(42);
    runtime.dispose();
  });

  it("is checked: not a boolean is a GraftError", async () => {
    const folder = await scriptsFolder({ "a.ts": "export const a = 1;" });
    await expect(runtimeFor(folder, { reloadOnCrash: "yes" as unknown as boolean })).rejects.toThrow(/option 'reloadOnCrash' must be true or false/);
  });
});

describe("reloadOnCrash, when the files on disk crash the restarted VM", () => {
  it("reports it once and does not restart again", async () => {
    const folder = await scriptsFolder({ "heavy.ts": HEAVY, "later.ts": "export const fine = 1;" });
    const runtime = await runtimeFor(folder, { timeout: 100, reloadOnCrash: true });
    const errors: ReloadError[] = [];
    runtime.on("error", (error) => errors.push(error));
    // Saved but not reloaded (no watcher): only the restarted VM loads it, and its top level is stuck in a builtin.
    await folder.write("later.ts", 'export const n = "a".repeat(2 ** 20).indexOf("a".repeat(2 ** 14) + "b");');
    expect(caught(() => runtime.exports("heavy.ts").bigint!.invoke()).kind).toBe("timeout");
    const again = await waitFor(() => errors.find((error) => /does not restart it again/.test(error.message)), 20_000, "the restarted VM's crash");
    expect(again.message).toMatch(/^the VM that graft restarted crashed while it loaded the files on disk, so graft does not restart it again: the VM crashed: timed out: the top level of later\.ts/);
    expect(errors.filter((error) => error.origin === "vm")).toHaveLength(2);
    expect(() => runtime.files()).toThrow(/^the VM crashed: timed out: the top level of later\.ts/);
    expect(() => runtime.dispose()).not.toThrow();
  });
});

describe("a host value built in a realm whose prototype has a setter stuck in a builtin", () => {
  it("is stopped from outside too (building a big value is not: test/host-reads-guarded.test.ts)", async () => {
    const folder = await scriptsFolder({
      "trap.ts": [
        'Object.defineProperty(Object.prototype, "poison", { set(_v: unknown) { "a".repeat(2 ** 20).indexOf("a".repeat(2 ** 14) + "b"); }, configurable: true });',
        "export const take = (_o: unknown): number => 1;",
      ].join("\n"),
    });
    const runtime = await runtimeFor(folder, { timeout: 100 });
    const error = caught(() => runtime.exports("trap.ts").take!.invoke({ poison: 1 }));
    expect(error).toBeInstanceOf(GraftError);
    expect(error.kind).toBe("timeout");
    expect(error.message).toMatch(/^the VM crashed: timed out: .* \(in trap\.ts:1/);
    runtime.dispose();
  });
});
