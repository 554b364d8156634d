import type { QuickJSContext } from "quickjs-emscripten-core";
import { describe, expect, it } from "vitest";
import { countGcObjects, forceFullGc, type GcTarget } from "../runtime/heap/gc.js";
import { VmMemory } from "../runtime/heap/memory.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * gc() leaves the kernel realm's permanent objects out of its walk (runtime/heap/gc.ts,
 * permanent-objects.ts). Scripts cannot run code in that realm (test/hostile-scripts.test.ts
 * "graft's kernel realm"), but gc() must not depend on it: whatever is done to the realm,
 * every object set aside must stay alive and listed, and a collection that sets them aside
 * must free exactly what one walking everything frees.
 */
/**
 * Redefines all it can reach from the kernel realm's global. Scripts can no longer run code
 * there (its function constructors refuse: values.js refuseCodeFromStrings), so the host runs
 * this in the kernel's context: gc() must stay right whatever happens to that realm.
 */
const ATTACK = `(() => {
  // What the attack uses, taken before its first round replaces the global's vars.
  const { ownKeys, setPrototypeOf } = Reflect;
  const { getOwnPropertyDescriptor, defineProperty, getPrototypeOf } = Object;
  const StillSet = Set;
  const StillString = String;
  return function attack(kernelGlobal, round) {
  const seen = new StillSet();
  const todo = [kernelGlobal, kernelGlobal.Function, getPrototypeOf(function* () {})];
  let changed = 0;
  while (todo.length > 0 && seen.size < 5000) {
    const object = todo.pop();
    if ((typeof object !== "object" && typeof object !== "function") || object === null || seen.has(object)) continue;
    seen.add(object);
    for (const key of ownKeys(object)) {
      // Replacing the kernel realm's global undefined breaks graft's kernel.
      if (object === kernelGlobal && key === "undefined") continue;
      const descriptor = getOwnPropertyDescriptor(object, key);
      if (descriptor === undefined) continue;
      if ("value" in descriptor) todo.push(descriptor.value);
      else todo.push(descriptor.get, descriptor.set);
      const fresh = { round, key: StillString(key), cycle: null };
      fresh.cycle = fresh;
      // A frozen global's var is replaced by defineProperty in this QuickJS build: the values it held must not be set aside.
      try { defineProperty(object, key, { value: fresh }); changed++; } catch {}
      try { defineProperty(object, key, { get: () => fresh, set: () => {} }); changed++; } catch {}
      try { if (delete object[key]) changed++; } catch {}
      try { object[key] = fresh; } catch {}
    }
    todo.push(getPrototypeOf(object));
    try { if (setPrototypeOf(object, { round })) changed++; } catch {}
  }
  return changed;
  };
})()`;

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
  it("code that redefines all it can reach in the kernel realm (its frozen global's vars too) leaves every set-aside object alive and listed once; a full walk frees nothing more", async () => {
    const folder = await scriptsFolder({ "keep.ts": `export class Keep { n = 1; }\nexport const kept = [new Keep(), new Keep()];` });
    const runtime = await runtimeFor(folder);
    const kernelContext = (runtime as unknown as { kernelContext: QuickJSContext }).kernelContext;
    const inspector = (runtime as unknown as { heapTools: { inspector: InspectorInternals } }).heapTools.inspector;
    runtime.heap.gc();
    const permanent = inspector.permanent!;
    expect(permanent.lockedDown).toBe(true);
    expect(permanent.addresses.length).toBeGreaterThan(500);
    let changedTotal = 0;
    const attack = kernelContext.unwrapResult(kernelContext.evalCode(ATTACK));
    for (let round = 0; round < 3; round++) {
      const roundHandle = kernelContext.newNumber(round);
      const result = kernelContext.callFunction(attack, kernelContext.undefined, kernelContext.global, roundHandle);
      roundHandle.dispose();
      if (result.error) {
        const thrown = kernelContext.dump(result.error);
        result.error.dispose();
        attack.dispose();
        throw new Error(`the attack failed: ${JSON.stringify(thrown)}`);
      }
      changedTotal += kernelContext.getNumber(result.value);
      result.value.dispose();
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
    attack.dispose();
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
