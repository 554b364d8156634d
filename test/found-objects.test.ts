import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newQuickJSWASMModuleFromVariant, type QuickJSContext, type QuickJSRuntime, type QuickJSSyncVariant } from "quickjs-emscripten-core";
import releaseSyncVariant from "@jitl/quickjs-wasmfile-release-sync";
import { forceFullGc, gcTargetOf, type GcTarget } from "../runtime/heap/gc.js";
import { addressOfHandle } from "../runtime/heap/handles.js";
import { holdObjects } from "../runtime/heap/found-objects.js";
import { findInstances } from "../runtime/heap/instances.js";
import { GC_HEADER, OBJECT } from "../runtime/heap/layout.js";
import { HeapReadError, VmMemory } from "../runtime/heap/memory.js";

/**
 * findInstances(..., takeReferences) raises each instance's ref_count during the walk and
 * holdObjects takes those references over: every path (a prototype the walk drops, a walk
 * that fails half-way, a holder array that cannot be made, a held group freed) leaves each
 * ref_count as it was, or the VM would leak the objects (and abort at dispose).
 */

let runtime: QuickJSRuntime;
let context: QuickJSContext;
let target: GcTarget;
let itemPrototype: number;

const COUNT = 2000;

beforeAll(async () => {
  const quickjs = await newQuickJSWASMModuleFromVariant(releaseSyncVariant as unknown as QuickJSSyncVariant);
  runtime = quickjs.newRuntime();
  context = runtime.newContext();
  target = gcTargetOf(runtime, context);
  // Sub.prototype's chain includes Item.prototype: the walk takes it, then drops it as a prototype.
  context.unwrapResult(context.evalCode(`class Item {} class Sub extends Item {} globalThis.keep = { Item, Sub, items: Array.from({ length: ${COUNT} }, (_, i) => i % 2 ? new Item() : new Sub()) };`)).dispose();
  const prototype = context.unwrapResult(context.evalCode("keep.Item.prototype"));
  itemPrototype = addressOfHandle(target, prototype)!;
  prototype.dispose();
});

afterAll(() => {
  context.dispose();
  runtime.dispose();
});

function refCounts(addresses: ArrayLike<number>): number[] {
  const memory = new VmMemory(target.module.HEAPU8, target.rtPointer);
  return Array.from(addresses, (address) => memory.i32(address + GC_HEADER.refCount));
}

function subPrototype(): number {
  const handle = context.unwrapResult(context.evalCode("keep.Sub.prototype"));
  const address = addressOfHandle(target, handle)!;
  handle.dispose();
  return address;
}

const makeArray = (count: number) => context.unwrapResult(context.evalCode(`new Array(${count}).fill(0)`));

describe("references taken by the instance walk", () => {
  it("are one per instance found, none for the prototype it dropped, and the holder array takes them over", () => {
    forceFullGc(target);
    const plain = findInstances(target, itemPrototype);
    expect(plain.addresses).toHaveLength(COUNT);
    const prototype = subPrototype();
    expect(plain.addresses).not.toContain(prototype);
    const before = refCounts(plain.addresses);
    const prototypeBefore = refCounts([prototype]);

    const taken = findInstances(target, itemPrototype, true);
    expect(Array.from(taken.addresses)).toEqual(Array.from(plain.addresses));
    expect(refCounts(taken.addresses)).toEqual(before.map((count) => count + 1));
    expect(refCounts([prototype])).toEqual(prototypeBefore);

    const held = holdObjects(context, taken.addresses, makeArray, true);
    expect(refCounts(taken.addresses)).toEqual(before.map((count) => count + 1));
    const array = held.core!.array;
    expect(context.getProp(array, "length").consume((length) => context.getNumber(length))).toBe(COUNT);
    const third = context.getProp(array, 2);
    expect(addressOfHandle(target, third)).toBe(taken.addresses[2]);
    third.dispose();
    held.core!.dispose();
    expect(refCounts(taken.addresses)).toEqual(before);
  });

  it("are given back when the holder array cannot be made", () => {
    forceFullGc(target);
    const taken = findInstances(target, itemPrototype, true);
    const before = refCounts(taken.addresses).map((count) => count - 1);
    expect(() =>
      holdObjects(context, taken.addresses, () => {
        throw new Error("no room for the array");
      }, true),
    ).toThrow("no room for the array");
    expect(refCounts(taken.addresses)).toEqual(before);
    // An array of the wrong length: refused after it was made, and freed.
    const again = findInstances(target, itemPrototype, true);
    expect(refCounts(again.addresses)).toEqual(before.map((count) => count + 1));
    expect(() => holdObjects(context, again.addresses, (count) => makeArray(count - 1), true)).toThrow(HeapReadError);
    expect(refCounts(again.addresses)).toEqual(before);
  });

  it("are given back when the walk fails half-way", () => {
    forceFullGc(target);
    const plain = findInstances(target, itemPrototype);
    const before = refCounts(plain.addresses);
    // A malformed shape pointer on the 1,001st instance: the walk has taken 1,000 references when it throws.
    const broken = plain.addresses[1000]!;
    const words = new Uint32Array(target.module.HEAPU8.buffer);
    const shape = words[(broken + OBJECT.shape) >>> 2]!;
    words[(broken + OBJECT.shape) >>> 2] = shape + 1;
    try {
      expect(() => findInstances(target, itemPrototype, true)).toThrow(HeapReadError);
    } finally {
      words[(broken + OBJECT.shape) >>> 2] = shape;
    }
    expect(refCounts(plain.addresses)).toEqual(before);
  });
});
