import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { GraftRuntime, ScriptValue } from "../host-api/index.js";
import { CHUNK_SIZE, FoundObjectsCore } from "../runtime/heap/found-objects.js";
import { growVm, HOG_SCRIPT } from "./grown-vm.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * Issue 8: findInstances returns its values held by one VM array. A value the host keeps
 * must not keep the whole result alive in the VM: once the host drops the others (without
 * disposing them), the VM lets go of them too, a chunk of 16 at a time (CHUNK_SIZE in
 * runtime/heap/found-objects.ts), also of values the host had used.
 */

setFlagsFromString("--expose-gc");
const hostGc = runInNewContext("gc") as () => void;

const SCRIPT = [
  "export class Item { constructor(public n: number) {} }",
  "let items: Item[] = [];",
  "let refs: WeakRef<Item>[] = [];",
  "export function make(count: number): void { items = Array.from({ length: count }, (_, n) => new Item(n)); refs = items.map((item) => new WeakRef(item)); }",
  "export function drop(): void { items = []; }",
  "export function alive(): number { return refs.filter((ref) => ref.deref() !== undefined).length; }",
].join("\n");

/** Collects the host's heap until the script sees at most `expected` items alive (finalizers run as tasks). */
async function aliveAfterHostGc(runtime: Awaited<ReturnType<typeof runtimeFor>>, alive: ScriptValue, expected: number): Promise<number> {
  let count = Number.POSITIVE_INFINITY;
  for (let attempt = 0; attempt < 50 && count > expected; attempt++) {
    hostGc();
    await new Promise((resolve) => setTimeout(resolve, 10));
    runtime.gc();
    count = alive.invoke().toHost() as number;
  }
  return count;
}

describe("findInstances results are released a chunk at a time", () => {
  it("one kept value keeps at most its chunk alive; the others (used or not) are let go", async () => {
    const folder = await scriptsFolder({ "items.ts": SCRIPT });
    const runtime = await runtimeFor(folder);
    const { Item, make, drop, alive } = runtime.exports("items.ts");
    make!.invoke(1000).dispose();
    let found: ScriptValue[] | undefined = runtime.findInstances(Item!);
    expect(found).toHaveLength(1000);
    // Some values are used (each makes a handle of its own), then dropped without dispose().
    const usedSum = found.slice(0, 40).reduce((sum, value) => sum + (value.get("n").toHost() as number), 0);
    expect(usedSum).toBe((39 * 40) / 2);
    const kept = found.find((value) => value.read("n") === 500)!;
    found = undefined;
    drop!.invoke().dispose();
    const count = await aliveAfterHostGc(runtime, alive!, 16);
    expect(count).toBeLessThanOrEqual(16);
    expect(count).toBeGreaterThanOrEqual(1);
    expect(kept.read("n")).toBe(500);
    kept.dispose();
    expect(await aliveAfterHostGc(runtime, alive!, 0)).toBe(0);
  });
});

describe("findInstances results are released a chunk at a time after the VM memory grew (64 MB buffer, 300k objects)", () => {
  // One class per story, each with its own pool: findInstances of one finds only that story's objects.
  const POOLS = [
    "export class Small { constructor(public n: number) {} }",
    "export class Crossing { constructor(public n: number) {} }",
    "export class Big { constructor(public n: number) {} }",
    "const classes = { Small, Crossing, Big };",
    "type Kind = keyof typeof classes;",
    "const pools: Partial<Record<Kind, { items: object[]; refs: WeakRef<object>[] }>> = {};",
    "export function make(kind: Kind, count: number): void { const items = Array.from({ length: count }, (_, n) => new classes[kind](n)); pools[kind] = { items, refs: items.map((item) => new WeakRef(item)) }; }",
    "export function drop(kind: Kind): void { pools[kind]!.items = []; }",
    "export function alive(kind: Kind): number { return pools[kind]!.refs.filter((ref) => ref.deref() !== undefined).length; }",
  ].join("\n");

  interface Released {
    count: number;
    usedSum: number;
    /** Objects still alive while one value is kept (its chunk: CHUNK_SIZE when full). */
    aliveWhileKept: number;
    /** GC objects freed by dropping the script's pool and all values but one, per gc(). */
    gcFreed: number;
    keptN: unknown;
    aliveAfterDispose: number;
    /** GC objects freed by disposing the kept value as well. */
    gcFreedAtEnd: number;
  }

  let runtime: GraftRuntime;
  let items: Record<string, ScriptValue>;
  let small: Released;
  /** Found (and some used) before growth, released after it. */
  let crossing: { found: ScriptValue[] | undefined };

  function find(kind: string, count: number): { found: ScriptValue[] | undefined } {
    items.make!.invoke(kind, count).dispose();
    const found = runtime.findInstances(items[kind]!);
    expect(found).toHaveLength(count);
    return { found };
  }

  /** Uses 40 values, keeps the middle one, drops the rest without dispose(), then the script drops its pool. */
  async function release(kind: string, held: { found: ScriptValue[] | undefined }): Promise<Released> {
    const found = held.found!;
    held.found = undefined;
    const count = found.length;
    const probe = runtime.evaluate("items.ts", `() => alive(${JSON.stringify(kind)})`);
    // Its first call makes the built-ins it uses (filter, deref): before the count, not in it.
    expect(probe.invoke().toHost()).toBe(count);
    const gcHeld = runtime.gc().after;
    const usedSum = found.slice(0, 40).reduce((sum, value) => sum + (value.get("n").toHost() as number), 0);
    let kept: ScriptValue | undefined = found[count >> 1]!;
    found.length = 0;
    items.drop!.invoke(kind).dispose();
    const aliveWhileKept = await aliveAfterHostGc(runtime, probe, CHUNK_SIZE);
    const gcKept = runtime.gc().after;
    const keptN = kept.read("n");
    kept.dispose();
    kept = undefined;
    const aliveAfterDispose = await aliveAfterHostGc(runtime, probe, 0);
    const gcFreedAtEnd = gcKept - runtime.gc().after;
    probe.dispose();
    return { count, usedSum, aliveWhileKept, gcFreed: gcHeld - gcKept, keptN, aliveAfterDispose, gcFreedAtEnd };
  }

  const expected = (count: number): Released => ({
    count,
    usedSum: (39 * 40) / 2,
    aliveWhileKept: CHUNK_SIZE,
    // The pool's objects but the kept chunk's (the pool's array is replaced by an empty one).
    gcFreed: count - CHUNK_SIZE,
    keptN: count >> 1,
    aliveAfterDispose: 0,
    // The kept chunk's objects, the result's array, and the shape the class's instances shared.
    gcFreedAtEnd: CHUNK_SIZE + 2,
  });

  beforeAll(async () => {
    const folder = await scriptsFolder({ "items.ts": POOLS, "hog.ts": HOG_SCRIPT }, "file");
    runtime = await runtimeFor(folder, { timeout: 20_000 }, "file");
    items = runtime.exports("items.ts");
    small = await release("Small", find("Small", 1000));
    crossing = find("Crossing", 1000);
    expect(crossing.found!.slice(0, 40).every((value, index) => value.read("n") === index)).toBe(true);
    growVm(runtime);
  });

  afterAll(() => {
    for (const value of Object.values(items)) value.dispose();
  });

  it("a small result: the same release after growth as before", async () => {
    expect(small).toEqual(expected(1000));
    expect(await release("Small", find("Small", 1000))).toEqual(small);
  });

  it("a result found before growth and released after it", async () => {
    expect(await release("Crossing", crossing)).toEqual(expected(1000));
  });

  it("300k found objects: all but the kept chunk freed, then the rest", async () => {
    expect(await release("Big", find("Big", 300_000))).toEqual(expected(300_000));
  });
});

describe("releasing what the host dropped runs from Node's event loop", () => {
  it("a failure there is reported on the runtime's error event, never thrown into the event loop (which would end the host)", async () => {
    const folder = await scriptsFolder({ "items.ts": SCRIPT });
    const runtime = await runtimeFor(folder);
    const reported: string[] = [];
    runtime.on("error", (error) => reported.push(error.text));
    const { Item, make } = runtime.exports("items.ts");
    make!.invoke(200).dispose();
    const release = vi.spyOn(FoundObjectsCore.prototype, "releaseDropped").mockImplementation(() => {
      throw new Error("VM memory unreadable");
    });
    try {
      let found: ScriptValue[] | undefined = runtime.findInstances(Item!);
      expect(found).toHaveLength(200);
      const kept = found[0]!;
      found = undefined;
      for (let attempt = 0; attempt < 50 && reported.length === 0; attempt++) {
        hostGc();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(release).toHaveBeenCalled();
      expect(reported[0]).toMatch(/^graft could not release values the host dropped: VM memory unreadable/);
      // The runtime goes on answering.
      expect(kept.read("n")).toBe(0);
      expect(runtime.findInstances(Item!)).toHaveLength(200);
    } finally {
      release.mockRestore();
    }
  });
});
