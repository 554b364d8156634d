import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { ScriptValue } from "../host-api/index.js";
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
