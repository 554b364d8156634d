import { describe, expect, it } from "vitest";
import type { LeakReport } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

const GHOST = `export class Ghost { boo() { return "boo"; } }`;
const SPIRIT = `export class Spirit { boo() { return "whoosh"; } }`;

describe("leaks(): the ghost story", () => {
  it("reports a retired class held by another script's global, naming that global", async () => {
    const folder = await scriptsFolder({ "a.ts": GHOST, "b.ts": `import { Ghost } from "./a"; globalThis.keep ??= Ghost;` });
    const runtime = await runtimeFor(folder);
    await folder.write("a.ts", SPIRIT);
    expect((await runtime.reload(["a.ts"])).retired.map((r) => r.name)).toEqual(["Ghost"]);
    const leaks = runtime.leaks();
    expect(leaks).toHaveLength(1);
    expect(leaks[0]).toMatchObject({ name: "Ghost", file: "a.ts", version: 1, retired: true });
    expect(leaks[0]!.retainedSize).toBeGreaterThan(0);
    const path = leaks[0]!.paths[0]!;
    expect(path.text.split("\n")[0]).toBe("Ghost  class, retired (a.ts v1)");
    expect(path.text).toContain("<- global 'keep' of context b.ts   [root]");
    expect(leaks[0]!.text).toContain("Ghost  class, retired (a.ts v1): alive after a full GC");
  });

  it("reports nothing when no one holds the old class, and the class really dies", async () => {
    const folder = await scriptsFolder({ "a.ts": GHOST, "b.ts": `import { Ghost } from "./a"; export const seen = typeof Ghost;` });
    const runtime = await runtimeFor(folder);
    const watch = runtime.evaluate("b.ts", "(cls) => { globalThis.ghostRef = new WeakRef(cls); }");
    const ghost = runtime.getClass("a.ts", "Ghost");
    watch.invoke(ghost).dispose();
    watch.dispose();
    ghost.dispose();
    await folder.write("a.ts", SPIRIT);
    await runtime.reload(["a.ts"]);
    expect(runtime.leaks()).toEqual([]);
    expect(runtime.evaluate("b.ts", "globalThis.ghostRef.deref() === undefined").toHost()).toBe(true);
  });

  it("names the closure variable a leak goes through", async () => {
    const folder = await scriptsFolder({
      "a.ts": GHOST,
      "b.ts": `import { Ghost } from "./a";\nconst remembered = Ghost;\nglobalThis.haunt ??= function haunt() {\n  return remembered;\n};\n`,
    });
    const runtime = await runtimeFor(folder);
    await folder.write("a.ts", SPIRIT);
    await runtime.reload(["a.ts"]);
    const [leak] = runtime.leaks();
    expect(leak?.paths[0]?.text).toMatch(/<- closure variable 'remembered' of function haunt \(b\.ts:3\)/);
    expect(leak?.paths[0]?.text).toContain("<- global 'haunt' of context b.ts   [root]");
  });

  it("reports a superseded version that user code still holds through an old method", async () => {
    // A method that uses super keeps its class version (its home object) alive.
    const folder = await scriptsFolder({ "a.ts": `export class Thing { hello() { return super.toString(); } }`, "b.ts": `export const box = {};` });
    const runtime = await runtimeFor(folder);
    const keep = runtime.evaluate("b.ts", "(cls) => { globalThis.oldHello = cls.prototype.hello; }");
    const thing = runtime.getClass("a.ts", "Thing");
    keep.invoke(thing).dispose();
    keep.dispose();
    await folder.write("a.ts", `export class Thing { hello() { return 2; } }`);
    await runtime.reload(["a.ts"]);
    const leaks = runtime.leaks();
    expect(leaks.map((leak) => [leak.name, leak.version, leak.retired])).toEqual([["Thing", 1, false]]);
    expect(leaks[0]!.text).toContain("superseded");
    expect(leaks[0]!.paths[0]!.text).toContain("global 'oldHello' of context b.ts");
  });

  it("emits an opt-in leak event after reloads", async () => {
    const folder = await scriptsFolder({ "a.ts": GHOST, "b.ts": `import { Ghost } from "./a"; globalThis.keep ??= Ghost;` });
    const runtime = await runtimeFor(folder);
    const seen: string[] = [];
    runtime.on("leak", (leaks: LeakReport[]) => { seen.push(...leaks.map((leak) => leak.name)); });
    await folder.write("a.ts", SPIRIT);
    await runtime.reload(["a.ts"]);
    expect(seen).toEqual(["Ghost"]);
  });
});

describe("heap queries", () => {
  it("findInstances, retainers and dynamic subclasses", async () => {
    const folder = await scriptsFolder({
      "base.ts": `export class Base {}`,
      "make.ts": `import { Base } from "./base";
export class Kid extends Base {}
globalThis.kids = [new Kid(), new Kid()];
export function makeClass() { return class Runtime extends Base {}; }
globalThis.made = makeClass();`,
    });
    const runtime = await runtimeFor(folder);
    const Kid = runtime.getClass("make.ts", "Kid");
    const instances = runtime.findInstances(Kid);
    expect(instances).toHaveLength(2);
    expect(instances.every((instance) => instance.instanceOf(Kid))).toBe(true);
    const paths = runtime.retainers(instances[0]!);
    expect(paths[0]!.text).toMatch(/^Kid\n  <- element \[0\] of Array\n  <- global 'kids' of context make\.ts {3}\[root\]$/);
    // the host's own hold is a path too, last
    expect(paths.at(-1)!.text).toBe("Kid\n  held directly from outside the heap (a ScriptValue held by the host (Kid), from findInstances())   [root]");
    const Base = runtime.getClass("base.ts", "Base");
    expect(runtime.findSubclasses(Base).map((cls) => cls.name)).toEqual(["Kid"]);
    expect(runtime.findSubclasses(Base, { dynamic: true }).map((cls) => cls.get("name").toHost()).sort()).toEqual(["Kid", "Runtime"]);
    const top = runtime.heap.topClasses(50);
    expect(top.find((row) => row.name === "Kid")?.count).toBe(2);
  });
});

describe("roots attributed to the host", () => {
  it("a leak held by a host ScriptValue says so, with the call that made it, and where the host made it with debugHandles", async () => {
    const folder = await scriptsFolder({ "a.ts": GHOST });
    const runtime = await runtimeFor(folder, { debugHandles: true });
    // A class handle does not hold its class (issue 20); an instance the host keeps does.
    const held = runtime.getClass("a.ts", "Ghost").new();
    await folder.write("a.ts", SPIRIT);
    await runtime.reload(["a.ts"]);
    const [leak] = runtime.leaks();
    expect(leak?.name).toBe("Ghost");
    expect(leak?.paths[0]?.text).toMatch(/<- prototype of Ghost {3}\[root: a ScriptValue held by the host \(Ghost\), from new\(\), created at .*heap-leaks\.test\.ts:\d+:\d+\]/);
    held.dispose();
    expect(runtime.leaks()).toEqual([]);
  });
});
