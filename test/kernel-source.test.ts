import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { VmCallError } from "../runtime/kernel/kernel.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** A line of one of the in-VM kernel's files (1-based). */
function vmLine(file: string, line: number): string | undefined {
  return readFileSync(new URL(`../runtime/kernel/vm/${file}`, import.meta.url), "utf8").split("\n")[line - 1];
}

describe("the in-VM kernel as source", () => {
  it("names its own file and real line in a VM stack", async () => {
    const runtime = await runtimeFor(await scriptsFolder({ "a.ts": "export class A {}" }));
    runtime.kernel.begin();
    let thrown: unknown;
    try {
      runtime.kernel.begin();
    } catch (error) {
      thrown = error;
    } finally {
      runtime.kernel.rollback();
    }
    expect(thrown).toBeInstanceOf(VmCallError);
    const stack = String((thrown as VmCallError & { vmError: { stack?: string } }).vmError.stack);
    const frame = /at begin \(graft:runtime\/kernel\/vm\/(kernel-journal\.js):(\d+):\d+\)/.exec(stack);
    expect(frame, stack).not.toBeNull();
    expect(vmLine(frame![1]!, Number(frame![2]))).toContain("a reload transaction is already open");
  });
});

describe("the in-VM kernel's parts", () => {
  it("keep what the kernel holds out of the realm's global bindings (only stateless part functions are global)", async () => {
    const runtime = await runtimeFor(await scriptsFolder({ "a.ts": "export class A {}" }));
    const context = runtime.kernelContext;
    // What a script reaching this realm's Function constructor can read: its global bindings.
    const probe = `[
      typeof state, typeof files, typeof classMeta, typeof txn, typeof retiredRefs, typeof disposeQueue,
      typeof kernelJournal, kernelJournal().inTransaction(),
    ].join(",")`;
    const result = context.unwrapResult(context.evalCode(probe, "probe.js"));
    const seen = context.getString(result);
    result.dispose();
    // A part called from outside makes state of its own: the kernel's journal is untouched.
    expect(seen).toBe("undefined,undefined,undefined,undefined,undefined,undefined,function,false");
    runtime.kernel.begin();
    try {
      const again = context.unwrapResult(context.evalCode("kernelJournal().inTransaction()", "probe.js"));
      expect(context.dump(again)).toBe(false);
      again.dispose();
    } finally {
      runtime.kernel.rollback();
    }
  });
});

/** What a script that reached the kernel's realm could replace there, the three first. */
const SABOTAGE = `
  const broken = (what) => function () { throw new Error("sabotaged " + what); };
  const replaced = [
    [Map.prototype, "get"], [Reflect, "construct"], [Array.prototype, "push"],
    [Map.prototype, "set"], [Set.prototype, "has"], [WeakMap.prototype, "get"], [Array.prototype, "filter"],
    [Array.prototype, Symbol.iterator], [Object.getPrototypeOf([][Symbol.iterator]()), "next"],
    [Object, "defineProperty"], [Object, "keys"], [Reflect, "ownKeys"], [JSON, "stringify"], [WeakRef.prototype, "deref"],
  ];
  // Index loops: this script breaks array iteration for itself too.
  // The realm is frozen: each overwrite is refused (a TypeError, caught here), or taken by
  // an instance only (Object.prototype's properties define own ones when assigned on an
  // inheriting object).
  const attempt = (change) => { try { change(); } catch {} };
  for (let i = 0; i < replaced.length; i++) attempt(() => { replaced[i][0][replaced[i][1]] = broken(String(replaced[i][1])); });
  attempt(() => { Object.prototype.get = broken("an inherited descriptor getter"); });
  attempt(() => { Object.defineProperty(Object.prototype, "get", { get: broken("a getter on Object.prototype") }); });
  attempt(() => { globalThis.Map = broken("Map"); });
  attempt(() => { globalThis.TypeError = broken("TypeError"); });
  // graft's captured intrinsics are global consts of this realm: rebinding them fails.
  const names = ["SafeMap", "SafeArray", "list", "ownKeys", "bare"];
  for (let i = 0; i < names.length; i++) {
    try { (0, eval)(names[i] + " = () => { throw new Error('sabotaged'); }"); } catch {}
  }
  let none = !("get" in Object.prototype) && globalThis.Map.name === "Map";
  for (let i = 0; i < replaced.length; i++) none = none && replaced[i][0][replaced[i][1]].name !== "";
  none;
`;

/** Load, construct, reload (patch, add, remove, retire), a failed reload, queries: what a host sees. */
async function hostSession(sabotage: boolean): Promise<unknown[]> {
  const folder = await scriptsFolder({
    "base.ts": `export class Base { kind() { return "base"; } }`,
    "a.ts": `import { Base } from "./base";\nexport class A extends Base { hello() { return "v1"; } old() {} }\nexport class B extends Base {}\n`,
  });
  const runtime = await runtimeFor(folder);
  if (sabotage) {
    const context = runtime.kernelContext;
    const result = context.unwrapResult(context.evalCode(SABOTAGE, "sabotage.js"));
    const took = context.dump(result);
    result.dispose();
    expect(took, "no overwrite reached the kernel realm (it is frozen)").toBe(true);
  }
  const seen: unknown[] = [];
  const A = runtime.getClass("a.ts", "A");
  const early = A.new();
  seen.push(early.call("hello").toHost(), early.call("kind").toHost());
  seen.push(inspect(early), inspect(A), inspect(runtime.evaluate("a.ts", `({ "odd key": "it's\\n", list: [1, 2], f() {} })`)));
  await folder.write("a.ts", `import { Base } from "./base";\nexport class A extends Base { hello() { return "v2"; } added() { return 2; } }\n`);
  const report = await runtime.reload(["a.ts"]);
  seen.push(report.ok, report.errors.map((error) => error.message), report.patched, report.retired);
  seen.push(early.call("hello").toHost(), early.call("added").toHost(), early.get("old").toHost(), A.new().call("hello").toHost());
  await folder.write("a.ts", `export class A { hello() { return "v3"; } }\nthrow new Error("nope");\n`);
  const failed = await runtime.reload(["a.ts"]);
  seen.push(failed.ok, failed.errors.map((error) => error.message.split("\n")[0]));
  seen.push(early.call("hello").toHost(), early.call("kind").toHost(), A.version);
  const base = runtime.getClass("base.ts", "Base");
  seen.push(runtime.findSubclasses(base).map((cls) => `${cls.file}#${cls.name}`));
  seen.push(runtime.findSubclasses(base, { includeRetired: true }).map((cls) => `${cls.file}#${cls.name} retired=${cls.retired}`));
  seen.push(Object.keys(runtime.exports("a.ts")));
  return seen;
}

describe("the kernel's captured intrinsics", () => {
  it("a script that tries to overwrite Map.prototype.get, Reflect.construct and Array.prototype.push in the kernel's realm changes nothing", async () => {
    const clean = await hostSession(false);
    const sabotaged = await hostSession(true);
    expect(clean).toContain("v2");
    expect(sabotaged).toEqual(clean);
  });
});
