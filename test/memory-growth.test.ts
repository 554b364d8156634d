import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { GraftRuntime, ScriptClass, ScriptValue } from "../host-api/index.js";
import { HOG_SCRIPT, vmMemoryBytes } from "./grown-vm.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** Issue 8: every public answer must be the same after the VM's linear memory has grown (see grown-vm.ts). */

const SCRIPTS = {
  "shapes.ts": [
    "export class Shape { area(): number { return 0; } }",
    "export class Square extends Shape { constructor(public side = 2) { super(); } area(): number { return this.side * this.side; } }",
    "export class Cube extends Square { volume(): number { return this.side ** 3; } }",
    "export const cube = new Cube(3);",
  ].join("\n"),
  "commands/base.ts": "export class Command { static verbs: string[] = []; execute(): string { return ''; } }",
  "commands/look.ts": "import { Command } from './base';\nexport class Look extends Command { static verbs = ['look']; execute(): string { return 'You look.'; } }",
  "commands/say.ts": "import { Command } from './base';\nexport class Say extends Command { static verbs = ['say']; execute(): string { return 'You say.'; } }",
  "ghost.ts": "export class Ghost { boo(): string { return 'boo'; } }",
  "holder.ts": "import { Ghost } from './ghost';\nexport const held = Ghost;\n(globalThis as any).keep ??= Ghost;",
  "crowd.ts": [
    "export class Crowd { constructor(public n: number) {} }",
    "export const members = Array.from({ length: 250 }, (_, n) => new Crowd(n));",
    "// A class made at run time: a ScriptValue to the host, not a ScriptClass.",
    "export const Made = (() => class Made extends Crowd {})();",
    "export const made = [new Made(1), new Made(2)];",
  ].join("\n"),
  "async.ts": [
    "import { fetchValue } from 'host';",
    "export async function later(n: number): Promise<number> { await null; return n * 2; }",
    "export async function viaHost(): Promise<number> { return (await fetchValue()) * 2; }",
    "export function timer(ms: number): Promise<number> { return new Promise((resolve) => setTimeout(() => resolve(ms), ms)); }",
    "export function fails(n: number): never { throw new RangeError('bad ' + n); }",
    "export function big(count: number): number[] { return Array.from({ length: count }, (_, i) => i); }",
  ].join("\n"),
  "hog.ts": HOG_SCRIPT,
};
const HOST = { fetchValue: async (): Promise<number> => 21 };

/** Answers that cross the boundary by other paths: promises (a script's, a host function's, a timer's), a thrown error, a large copy. */
async function crossingAnswers(runtime: GraftRuntime): Promise<Record<string, unknown>> {
  const scripts = runtime.exports("async.ts");
  const settled = async (value: ScriptValue): Promise<unknown> => {
    const result = await value.promise();
    value.dispose();
    const copy = result.toHost();
    result.dispose();
    return copy;
  };
  try {
    let thrown: unknown;
    try {
      scripts.fails!.invoke(7);
    } catch (error) {
      const { name, message, position } = error as { name: string; message: string; position?: unknown };
      thrown = { name, message, position };
    }
    const big = scripts.big!.invoke(100_000);
    const copied = big.toHost() as number[];
    big.dispose();
    return {
      later: await settled(scripts.later!.invoke(3)),
      viaHost: await settled(scripts.viaHost!.invoke()),
      timer: await settled(scripts.timer!.invoke(5)),
      thrown,
      big: { length: copied.length, sum: copied.reduce((sum, n) => sum + n, 0) },
    };
  } finally {
    for (const value of Object.values(scripts)) value.dispose();
  }
}

/** Instances of graft's and run-time classes: counts, and what holds one of them. */
function crowdAnswers(runtime: GraftRuntime): Record<string, unknown> {
  const crowd = runtime.exports("crowd.ts");
  // Not held by the host: the module's own binding holds it.
  crowd.made!.dispose();
  try {
    const members = runtime.findInstances(crowd.Crowd!);
    const membersN = members.map((value) => value.read("n") as number).sort((a, b) => a - b);
    for (const value of members) value.dispose();
    const made = runtime.findInstances(crowd.Made!);
    const second = made.find((value) => value.read("n") === 2)!;
    const answer = {
      members: membersN.length,
      membersN: membersN.join(),
      made: made.length,
      madeAreCrowd: made.every((value) => value.instanceOf(crowd.Crowd!)),
      // The script's array holds it, and so does the host's own findInstances() handle (a hold
      // the host should see); the query's own handle and result array are not counted.
      madeRetainers: runtime.retainers(second).map((path) => path.text),
    };
    for (const value of made) value.dispose();
    return answer;
  } finally {
    for (const value of Object.values(crowd)) value.dispose();
  }
}

function names(values: ScriptValue[]): string[] {
  const result = values.map((value) => (value as ScriptClass).name);
  for (const value of values) value.dispose();
  return result;
}

/** Every public API that reads the VM, answered as plain data. */
async function answers(runtime: GraftRuntime): Promise<Record<string, unknown>> {
  const Command = runtime.getClass("commands/base.ts", "Command");
  const Shape = runtime.getClass("shapes.ts", "Shape");
  const Cube = runtime.getClass("shapes.ts", "Cube");
  const exports = runtime.exports("shapes.ts");
  const cube = exports.cube!;
  try {
    const instances = runtime.findInstances(Shape);
    const instanceReport = { count: instances.length, includesCube: instances.some((value) => value.isSame(cube)) };
    for (const value of instances) value.dispose();
    const held = runtime.exports("holder.ts").held!;
    const retainers = runtime.retainers(held).map((path) => path.text);
    held.dispose();
    const snapshot = runtime.heap.snapshot();
    const snapshotFile = path.join(tmpdir(), `graft-growth-${process.pid}-${Date.now()}.heapsnapshot`);
    await runtime.heap.write(snapshotFile);
    const written = JSON.parse(readFileSync(snapshotFile, "utf8")) as { snapshot: { node_count: number } };
    rmSync(snapshotFile);
    const leaks = runtime.leaks();
    return {
      files: runtime.files(),
      exportKeys: Object.keys(exports).sort(),
      subclasses: names(runtime.findSubclasses(Command)),
      inclusive: names(runtime.findSubclasses(Command, { inclusive: true })),
      byReference: names(runtime.findSubclasses("commands/base.ts#Command")),
      withRetired: names(runtime.findSubclasses(Command, { includeRetired: true })),
      dynamic: names(runtime.findSubclasses(Shape, { dynamic: true })),
      instances: instanceReport,
      cubeVolume: cube.call("volume").toHost(),
      cubeIsShape: cube.instanceOf(Shape),
      cubeRead: cube.read("side"),
      cubeCopy: cube.toHost(),
      newCube: (() => {
        const made = Cube.new(4);
        const volume = made.call("volume").toHost();
        made.dispose();
        return volume;
      })(),
      verbs: Command.get("verbs").toHost(),
      evaluated: runtime.evaluate("shapes.ts", "[1, 2, 3].map((n) => n * 2)").toHost(),
      leaks,
      retainers,
      snapshotHasGhost: snapshot.nodes.some((node) => node.name === "Ghost"),
      // Ids are stable across snapshots of one runtime: the memory growing moves nothing. Every
      // node named Ghost (the class and its version), by id: the list's order is QuickJS's.
      ghostIds: snapshot.nodes.filter((node) => node.name === "Ghost").map((node) => snapshot.ids[node.index]!).sort((a, b) => a - b),
      // Every node of the snapshot, and the file's synthetic root.
      writtenAsSnapshot: written.snapshot.node_count === snapshot.nodeCount + 1,
      topClasses: runtime.heap.topClasses(1000).filter((row) => ["Cube", "Crowd", "Made"].includes(row.name)),
      crowd: crowdAnswers(runtime),
    };
  } finally {
    for (const value of Object.values(exports)) value.dispose();
    Command.dispose();
    Shape.dispose();
    Cube.dispose();
  }
}

async function grownWorld(): Promise<{ runtime: GraftRuntime; before: Record<string, unknown> }> {
  const folder = await scriptsFolder(SCRIPTS);
  const runtime = await runtimeFor(folder, { timeout: 20_000, host: HOST });
  // A retired class held by another script's global: leaks() must report it.
  await folder.write("ghost.ts", "export class Spirit {}");
  await runtime.reload(["ghost.ts"]);
  return { runtime, before: { ...(await answers(runtime)), crossing: await crossingAnswers(runtime) } };
}

async function allAnswers(runtime: GraftRuntime): Promise<Record<string, unknown>> {
  return { ...(await answers(runtime)), crossing: await crossingAnswers(runtime) };
}

describe("answers after the VM memory grows (issue 8)", () => {
  it("a sanity baseline: the small heap gives the answers the world defines", async () => {
    const { before } = await grownWorld();
    expect(before.subclasses).toEqual(["Look", "Say"]);
    expect(before.inclusive).toEqual(["Command", "Look", "Say"]);
    expect(before.byReference).toEqual(["Look", "Say"]);
    expect(before.dynamic).toEqual(expect.arrayContaining(["Square", "Cube"]));
    expect(before.instances).toEqual({ count: 1, includesCube: true });
    expect(before.leaks).toEqual([
      expect.objectContaining({ name: "Ghost", file: "ghost.ts", version: 1, retired: true, text: expect.stringContaining("  <- global 'keep' of context holder.ts   [root]") }),
    ]);
    expect(before.writtenAsSnapshot).toBe(true);
    expect(before.topClasses).toEqual([
      { name: "Crowd", count: 250 },
      { name: "Made", count: 2 },
      { name: "Cube", count: 1 },
    ]);
    expect(before.crowd).toEqual({
      members: 252,
      membersN: [1, 2, ...Array.from({ length: 250 }, (_, n) => n)].sort((a, b) => a - b).join(),
      made: 2,
      madeAreCrowd: true,
      madeRetainers: [
        expect.stringMatching(/^Made\n {2}<- element \[1\] of Array\n {2}<- closure variable 'made' of the top level of crowd\.ts\n/),
        expect.stringMatching(/^Made\n {2}held directly from outside the heap \(a ScriptValue held by the host \(Made\), from findInstances\(\)\)/),
      ],
    });
    expect(before.cubeVolume).toBe(27);
    expect(before.newCube).toBe(64);
    expect(before.crossing).toEqual({
      later: 6,
      viaHost: 42,
      timer: 5,
      // The error is placed at the `new` that made it, as Node places it (call-sites.ts).
      thrown: { name: "ScriptError", message: "RangeError: bad 7 at async.ts:5:49", position: { file: "async.ts", line: 5, column: 49 } },
      big: { length: 100_000, sum: (99_999 * 100_000) / 2 },
    });
  });

  it("after a script allocates a 64 MB ArrayBuffer", async () => {
    const { runtime, before } = await grownWorld();
    const grownFrom = vmMemoryBytes(runtime);
    const hog = runtime.exports("hog.ts");
    hog.buffer!.invoke(64).dispose();
    expect(vmMemoryBytes(runtime)).toBeGreaterThan(grownFrom + 48 * 1024 * 1024);
    expect(await allAnswers(runtime)).toEqual(before);
    for (const value of Object.values(hog)) value.dispose();
  });

  it("after a script makes 300k objects in one call, and again once they are freed", async () => {
    const { runtime, before } = await grownWorld();
    const grownFrom = vmMemoryBytes(runtime);
    const hog = runtime.exports("hog.ts");
    expect(hog.objects!.invoke(300_000).toHost()).toBe(300_000);
    expect(vmMemoryBytes(runtime)).toBeGreaterThan(grownFrom);
    expect(runtime.gc().after).toBeGreaterThan(300_000);
    expect(await allAnswers(runtime)).toEqual(before);
    hog.release!.invoke().dispose();
    expect(runtime.gc().after).toBeLessThan(300_000);
    expect(await allAnswers(runtime)).toEqual(before);
    for (const value of Object.values(hog)) value.dispose();
  });

});
