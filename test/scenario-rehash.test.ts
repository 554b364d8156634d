import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

const BASE = `
export class Command {
  static verbs = [];
  describe() { return "command " + this.constructor.verbs.join("/"); }
}
`;

const REHASH_V1 = `
import { Command } from "./base.js";
export class Rehash extends Command {
  static verbs = ["rehash"];
  constructor() { super(); this.count = 0; }
  execute() { this.count++; return "rehashed v1 #" + this.count; }
}
`;

const REHASH_V2 = `
import { Command } from "./base.js";
export class Rehash extends Command {
  static verbs = ["rehash", "rh"];
  constructor() { super(); this.count = 0; this.mode = "fast"; }
  execute() { this.count++; return "rehashed v2 #" + this.count + " " + this.mode; }
  spawn() { return new Rehash(); }
}
`;

describe("the scenario graft exists for", () => {
  it("patches Rehash in place: same class, old instance runs new code, new fields only on new instances, old version collected", async () => {
    const folder = await scriptsFolder({ "commands/base.js": BASE, "commands/rehash.js": REHASH_V1 });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.files()).toEqual(["commands/base.js", "commands/rehash.js"]);

    const Command = runtime.getClass("commands/base.js", "Command");
    const [Rehash] = runtime.findSubclasses(Command);
    expect(runtime.findSubclasses(Command)).toHaveLength(1);
    expect(Rehash!.name).toBe("Rehash");
    expect(Rehash!.get("verbs").toHost()).toEqual(["rehash"]);
    const old = Rehash!.new();
    expect(old.call("execute").toHost()).toBe("rehashed v1 #1");

    // Keep WeakRefs to v1's method and v1's constructor inside the VM, to prove they die.
    const watch = runtime.evaluate("commands/rehash.js", "(fn) => { globalThis.v1Execute = new WeakRef(fn); }");
    const prototype = Rehash!.get("prototype");
    const v1Execute = prototype.get("execute");
    watch.invoke(v1Execute).dispose();
    for (const value of [v1Execute, prototype, watch]) value.dispose();

    await folder.write("commands/rehash.js", REHASH_V2);
    const report = await runtime.reload(["commands/rehash.js"]);
    expect(report.errors).toEqual([]);
    expect(report.patched.map((p) => p.name)).toEqual(["Rehash"]);
    expect(report.patched[0]!.prototype.changed).toContain("execute");
    expect(report.patched[0]!.prototype.added).toContain("spawn");

    const after = runtime.findSubclasses(Command);
    expect(after).toHaveLength(1);
    expect(after[0]!.isSame(Rehash!)).toBe(true);
    expect(Rehash!.get("verbs").toHost()).toEqual(["rehash", "rh"]);
    expect(Rehash!.version).toBe(2);

    // the old instance runs the new method, keeps its state and gets no new field
    expect(old.call("execute").toHost()).toBe("rehashed v2 #2 undefined");
    expect(old.get("mode").toHost()).toBeUndefined();
    // new instances get the new field
    const fresh = Rehash!.new();
    expect(fresh.get("mode").toHost()).toBe("fast");
    // `new Rehash()` inside new code builds the existing class
    const spawned = old.call("spawn");
    expect(spawned.instanceOf(Rehash!)).toBe(true);
    expect(spawned.get("constructor").isSame(Rehash!)).toBe(true);
    expect(spawned.get("mode").toHost()).toBe("fast");
    expect(spawned.call("describe").toHost()).toBe("command rehash/rh");

    runtime.gc();
    const alive = runtime.evaluate("commands/rehash.js", "globalThis.v1Execute.deref() === undefined");
    expect(alive.toHost()).toBe(true);
  });
});
