import { describe, expect, it } from "vitest";
import { countGcObjects, forceFullGc, type GcTarget } from "../runtime/heap/gc.js";
import { VmMemory } from "../runtime/heap/memory.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * gc() leaves the kernel realm's permanent objects out of its walk (runtime/heap/gc.ts,
 * permanent-objects.ts). Scripts can reach that realm (a host function is made there, and
 * its constructor compiles code there): whatever a script does to it, every object set aside
 * must stay alive and listed, and a collection that sets them aside must free exactly what
 * one walking everything frees.
 */
const ATTACK = `import { hostFn } from "host";
export function attack(round: number): number {
  const KernelFunction = (hostFn as any).constructor;
  const kernelGlobal = KernelFunction("return this")();
  const seen = new Set<unknown>();
  const todo: unknown[] = [kernelGlobal, hostFn, KernelFunction, Object.getPrototypeOf(KernelFunction("return function* () {}")())];
  let changed = 0;
  while (todo.length > 0 && seen.size < 5000) {
    const object = todo.pop() as any;
    if ((typeof object !== "object" && typeof object !== "function") || object === null || seen.has(object)) continue;
    seen.add(object);
    for (const key of Reflect.ownKeys(object)) {
      // Replacing the kernel realm's global undefined breaks graft's kernel (a bug of its own, not the collector's).
      if (object === kernelGlobal && key === "undefined") continue;
      const descriptor = Object.getOwnPropertyDescriptor(object, key);
      if (descriptor === undefined) continue;
      if ("value" in descriptor) todo.push(descriptor.value);
      else todo.push(descriptor.get, descriptor.set);
      const fresh = { round, key: String(key), cycle: null as unknown };
      fresh.cycle = fresh;
      // A frozen global's var is replaced by defineProperty in this QuickJS build: the values it held must not be set aside.
      try { Object.defineProperty(object, key, { value: fresh }); changed++; } catch {}
      try { Object.defineProperty(object, key, { get: () => fresh, set: () => {} }); changed++; } catch {}
      try { if (delete object[key]) changed++; } catch {}
      try { object[key] = fresh; } catch {}
    }
    todo.push(Object.getPrototypeOf(object));
    try { if (Reflect.setPrototypeOf(object, { round })) changed++; } catch {}
  }
  return changed;
}
`;

interface InspectorInternals {
  permanent?: { addresses: Uint32Array; lockedDown: boolean };
  target: GcTarget;
}

function listed(target: GcTarget): Map<number, number> {
  const times = new Map<number, number>();
  new VmMemory(target.module.HEAPU8, target.rtPointer).forEachGcObject((address) => times.set(address, (times.get(address) ?? 0) + 1));
  return times;
}

describe("gc() with the kernel realm's permanent objects set aside", () => {
  it("a script that redefines all it can reach in the kernel realm (its frozen global's vars too) leaves every set-aside object alive and listed once; a full walk frees nothing more", async () => {
    const folder = await scriptsFolder({ "attack.ts": ATTACK });
    const runtime = await runtimeFor(folder, { host: { hostFn: () => 1 } });
    const inspector = (runtime as unknown as { heapTools: { inspector: InspectorInternals } }).heapTools.inspector;
    runtime.heap.gc();
    const permanent = inspector.permanent!;
    expect(permanent.lockedDown).toBe(true);
    expect(permanent.addresses.length).toBeGreaterThan(500);
    let changedTotal = 0;
    for (let round = 0; round < 3; round++) {
      // Later rounds may find the kernel's Function replaced: that is the script's business.
      try {
        changedTotal += runtime.exports("attack.ts").attack!.invoke(round).toHost() as number;
      } catch {
        // the script broke its own way in
      }
      const counts = runtime.heap.gc();
      expect(counts.after).toBe(countGcObjects(inspector.target));
      // The same objects set aside, each still a live object on the list, once.
      expect(inspector.permanent).toBe(permanent);
      const onList = listed(inspector.target);
      const missing = Array.from(permanent.addresses).filter((address) => onList.get(address) !== 1);
      expect(missing).toEqual([]);
      // QuickJS's own walk of everything frees nothing the collection with them set aside kept.
      forceFullGc(inspector.target);
      expect(countGcObjects(inspector.target)).toBe(counts.after);
    }
    // The kernel's frozen global really had vars replaced (else this tests nothing).
    expect(changedTotal).toBeGreaterThan(0);
    expect(runtime.heap.gc()).toEqual({ before: countGcObjects(inspector.target), after: countGcObjects(inspector.target) });
    expect(() => runtime.dispose()).not.toThrow();
  });

  it("after QuickJS's own collections reordered the list, gc() still sets each aside and puts it back once; the heap tools between collections agree with it", async () => {
    const folder = await scriptsFolder({
      "churn.ts": `export let keep: object[] = [];
export function churn(n: number): number { for (let i = 0; i < n; i++) { const a: any = { i }; const b = { a }; a.b = b; if (i % 7 === 0) keep.push(a); } return keep.length; }
export function drop(): void { keep = []; }
export class Item { n = 1; }
export const items = [new Item(), new Item()];`,
    });
    const runtime = await runtimeFor(folder, { timeout: 20_000 });
    const inspector = (runtime as unknown as { heapTools: { inspector: InspectorInternals } }).heapTools.inspector;
    const soundAfter = (counts: { before: number; after: number }): void => {
      expect(counts.after).toBe(countGcObjects(inspector.target));
      const onList = listed(inspector.target);
      expect(Array.from(inspector.permanent!.addresses).filter((address) => onList.get(address) !== 1)).toEqual([]);
      forceFullGc(inspector.target);
      expect(countGcObjects(inspector.target)).toBe(counts.after);
    };
    soundAfter(runtime.heap.gc());
    // The host's handles on the exports (keep among them) are let go, so that only the script holds what it keeps.
    const exported = runtime.exports("churn.ts");
    const { churn, drop } = exported;
    // Enough garbage cycles that QuickJS collects on its own while they are made, moving the set-aside objects it finds.
    expect(churn!.invoke(40_000).toHost()).toBeGreaterThan(5000);
    exported.keep!.dispose();
    soundAfter(runtime.heap.gc());
    const Item = runtime.getClass("churn.ts", "Item");
    const found = runtime.heap.findInstances(Item);
    expect(found).toHaveLength(2);
    found.forEach((item) => item.dispose());
    expect(runtime.heap.leaks()).toEqual([]);
    const graph = runtime.heap.snapshot();
    expect(graph.nodeCount).toBeGreaterThan(5000);
    drop!.invoke().dispose();
    const swept = runtime.heap.gc();
    expect(swept.before - swept.after).toBeGreaterThan(10_000);
    soundAfter(swept);
    expect(() => runtime.dispose()).not.toThrow();
  });
});
