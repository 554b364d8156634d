import { describe, expect, it } from "vitest";
import { createRuntime, type GraftRuntime, type ScriptValue } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

const SHAPE = `export class Shape { area(): number { return 0; } }`;
const SQUARE = (sides: number) => `import { Shape } from "./shape";\nexport class Square extends Shape { sides(): number { return super.area() + ${sides}; } }`;
const CUBE = `import { Square } from "./square";\nexport class Cube extends Square { faces(): number { return 6; } }`;
const WORLD = `import { Cube } from "./cube";\nexport const cube = new Cube();`;

async function shapes(extra: Record<string, string> = {}): Promise<{ runtime: GraftRuntime; write: (file: string, source: string) => Promise<void> }> {
  const folder = await scriptsFolder({ "shape.ts": SHAPE, "square.ts": SQUARE(4), "cube.ts": CUBE, "world.ts": WORLD, ...extra });
  const runtime = await runtimeFor(folder, { memoryLimit: 512 << 20, timeout: 20_000 });
  return { runtime, write: (file, source) => folder.write(file, source) };
}

function theCube(runtime: GraftRuntime): ScriptValue {
  return runtime.exports("world.ts").cube!;
}

/** findInstances(cls) for each class of the hierarchy: how many, and whether each is the one Cube. */
function census(runtime: GraftRuntime): Record<string, { count: number; allTheCube: boolean }> {
  const cube = theCube(runtime);
  const result: Record<string, { count: number; allTheCube: boolean }> = {};
  for (const [file, name] of [["shape.ts", "Shape"], ["square.ts", "Square"], ["cube.ts", "Cube"]] as const) {
    const found = runtime.findInstances(runtime.getClass(file, name));
    result[name] = { count: found.length, allTheCube: found.every((value) => value.isSame(cube)) };
    for (const value of found) value.dispose();
  }
  cube.dispose();
  return result;
}

const ONE_CUBE = { Shape: { count: 1, allTheCube: true }, Square: { count: 1, allTheCube: true }, Cube: { count: 1, allTheCube: true } };

describe("findInstances returns instances only", () => {
  it("finds the one Cube through a 3-level hierarchy, never a prototype", async () => {
    const { runtime } = await shapes();
    expect(census(runtime)).toEqual(ONE_CUBE);
  });

  it("still finds only the Cube after Square is reloaded, and holding the result leaks nothing", async () => {
    const { runtime, write } = await shapes();
    await write("square.ts", SQUARE(5));
    const report = await runtime.reload(["square.ts"]);
    expect(report.patched.map((patch) => patch.name)).toEqual(["Square"]);
    expect(census(runtime)).toEqual(ONE_CUBE);
    // The host keeps what findInstances gave it: no superseded Square version may be held by it.
    const held = runtime.findInstances(runtime.getClass("shape.ts", "Shape"));
    expect(held).toHaveLength(1);
    expect(held[0]!.call("sides").toHost()).toBe(5);
    expect(runtime.leaks()).toEqual([]);
  });

  it("excludes prototypes made outside graft: another function's prototype and a run-time class's", async () => {
    const { runtime } = await shapes({
      "extra.ts": `import { Shape } from "./shape";
function Legacy() {}
Legacy.prototype = Object.create(Shape.prototype);
export const legacy = Legacy;
export const Made = (() => class Made extends Shape {})();
export const made = new Made();
export const plain = Object.create(Shape.prototype);`,
    });
    const found = runtime.findInstances(runtime.getClass("shape.ts", "Shape"));
    const extra = runtime.exports("extra.ts");
    const cube = theCube(runtime);
    expect(found).toHaveLength(3);
    for (const expected of [cube, extra.made!, extra.plain!]) expect(found.some((value) => value.isSame(expected))).toBe(true);
  });
});

describe("leaks() and findInstances after the VM memory grew", () => {
  it("a 64 MB ArrayBuffer: findInstances finds the Cube, leaks() still sees a retired class held", async () => {
    const { runtime, write } = await shapes({
      "ghost.ts": `export class Ghost {}`,
      "keeper.ts": `import { Ghost } from "./ghost";\nglobalThis.keep ??= Ghost;\nexport const big = new ArrayBuffer(64 << 20);`,
    });
    expect(census(runtime)).toEqual(ONE_CUBE);
    await write("ghost.ts", `export class Spirit {}`);
    await runtime.reload(["ghost.ts"]);
    expect(runtime.leaks().map((leak) => [leak.name, leak.retired])).toEqual([["Ghost", true]]);
    runtime.evaluate("keeper.ts", "globalThis.keep = undefined").dispose();
    expect(runtime.leaks()).toEqual([]);
  });

  it("300k objects: findInstances counts exactly, leaks() reports the superseded version held and then nothing", async () => {
    const { runtime, write } = await shapes({
      "many.ts": `import { Square } from "./square";\nexport const squares = Array.from({ length: 100_000 }, () => new Square());\nexport const bags = Array.from({ length: 100_000 }, () => ({ tags: [1] }));\nglobalThis.firstSquare = squares[0];`,
    });
    const Square = runtime.getClass("square.ts", "Square");
    const squares = runtime.findInstances(Square);
    expect(squares).toHaveLength(100_001); // the Cube is a Square too
    for (const value of squares) value.dispose();
    // A method of the old version, kept by a script, holds that version alive.
    runtime.evaluate("many.ts", "globalThis.oldSides = firstSquare.sides").dispose();
    await write("square.ts", SQUARE(6));
    await runtime.reload(["square.ts"]);
    const leaks = runtime.leaks();
    expect(leaks.map((leak) => [leak.name, leak.version, leak.retired])).toEqual([["Square", 1, false]]);
    expect(leaks[0]!.paths[0]!.text).toContain("global 'oldSides' of context many.ts");
    runtime.evaluate("many.ts", "delete globalThis.oldSides").dispose();
    expect(runtime.leaks()).toEqual([]);
    expect(runtime.findInstances(runtime.getClass("shape.ts", "Shape"))).toHaveLength(100_001);
  });
});

describe("values found on the heap belong to the host like any ScriptValue", () => {
  const POOL = `export class Orb { constructor(public n: number) {} glow(): number { return this.n * 2; } }
globalThis.orbs = [new Orb(1), new Orb(2), new Orb(3)];
globalThis.watch = globalThis.orbs.map((orb) => new WeakRef(orb));
globalThis.aliveCount = () => globalThis.watch.filter((ref) => ref.deref() !== undefined).length;`;

  it("keeps what it holds alive until disposed, and lets it go after (also when it held the last reference)", async () => {
    const folder = await scriptsFolder({ "orbs.ts": POOL });
    const runtime = await runtimeFor(folder);
    const found = runtime.findInstances(runtime.getClass("orbs.ts", "Orb"));
    expect(found.map((orb) => orb.call("glow").toHost()).sort()).toEqual([2, 4, 6]);
    const alive = (): unknown => {
      runtime.gc();
      return runtime.evaluate("orbs.ts", "aliveCount()").toHost();
    };
    // The script still holds orb 1 when the host lets go of it; then the script drops all of them.
    const one = found.find((orb) => orb.read("n") === 1)!;
    one.dispose();
    runtime.evaluate("orbs.ts", "globalThis.orbs = []").dispose();
    expect(alive()).toBe(2);
    // The host was the last holder of these two: disposing one frees it, disposing the last frees the rest.
    const [first, second] = found.filter((orb) => orb !== one);
    first!.dispose();
    expect(alive()).toBe(1);
    second!.dispose();
    expect(alive()).toBe(0);
    expect(() => first!.call("glow")).toThrow(/disposed/);
  });

  it("stay usable after the VM memory grows, and the runtime disposes cleanly while the host holds them", async () => {
    const folder = await scriptsFolder({ "orbs.ts": POOL });
    const runtime = await createRuntime({ scripts: folder.root, memoryLimit: 512 << 20 });
    const found = runtime.findInstances(runtime.getClass("orbs.ts", "Orb"));
    const used = found[0]!;
    expect(typeof used.read("n")).toBe("number");
    runtime.evaluate("orbs.ts", "globalThis.big = new ArrayBuffer(64 << 20); 0").dispose();
    expect(found.map((orb) => orb.call("glow").toHost()).sort()).toEqual([2, 4, 6]);
    expect(found[1]!.isSame(found[1]!)).toBe(true);
    runtime.dispose();
    expect(() => found[2]!.read("n")).toThrow(/disposed/);
  });
});
