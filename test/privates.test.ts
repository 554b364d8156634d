import { describe, expect, it } from "vitest";
import { ScriptError } from "../host-api/index.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** Version `n` of a class with every kind of private member; each version computes differently. */
function counterSource(n: number): string {
  return `import { Base } from "./base";
export class Counter extends Base {
  static #made = 0;
  #count: number;
  #log: string[] = [];
  label = "c" + Counter.#made;
  constructor(start: number) {
    super();
    this.#count = start;
    Counter.#made++;
  }
  get #scaled(): number { return this.#count * ${n}; }
  set #scaled(value: number) { this.#count = value / ${n}; }
  #bump(by: number): number {
    this.#count += by;
    this.#log.push("v${n}+" + by);
    return this.#count;
  }
  static #describe(c: Counter): string { return "v${n}:" + c.#count; }
  bump(by: number) { return this.#bump(by); }
  scaled() { return this.#scaled; }
  setScaled(value: number) { this.#scaled = value; return this.#count; }
  log() { return this.#log.slice(); }
  describe() { return Counter.#describe(this); }
  kind() { return "v${n} " + super.kind(); }
  swap(other: Counter) { [this.#count, other.#count] = [other.#count, this.#count]; }
  static made() { return Counter.#made; }
  static isCounter(value: object) { return #count in value; }
  static peek(value: any) { return value.#count; }
  static callBump(value: any) { return value.#bump(1); }
}
`;
}

const BASE = `export class Base { kind() { return "base"; } }`;

describe("#private members survive edits", () => {
  it("existing instances keep their private state across many edits and run each new version's code", async () => {
    const folder = await scriptsFolder({ "base.ts": BASE, "counter.ts": counterSource(1) });
    const runtime = await runtimeFor(folder);
    const Counter = runtime.getClass("counter.ts", "Counter");
    const a = Counter.new(10);
    const b = Counter.new(20);
    expect(a.call("bump", 1).toHost()).toBe(11);
    expect(Counter.call("made").toHost()).toBe(2);
    for (let n = 2; n <= 12; n++) {
      await folder.write("counter.ts", counterSource(n));
      const report = await runtime.reload(["counter.ts"]);
      expect(report.errors).toEqual([]);
      // the state is still there, and the code that reads it is version n's
      const before = a.call("bump", 0).toHost() as number;
      expect(a.call("bump", 2).toHost()).toBe(before + 2);
      expect(a.call("scaled").toHost()).toBe((before + 2) * n);
      expect(a.call("setScaled", 4 * n).toHost()).toBe(4);
      expect(a.call("describe").toHost()).toBe(`v${n}:4`);
      expect(a.call("kind").toHost()).toBe(`v${n} base`);
      expect(Counter.call("isCounter", a).toHost()).toBe(true);
      expect(b.call("bump", 0).toHost()).toBe(20);
      // a new instance of version n works beside the old ones
      const c = Counter.new(7);
      c.call("swap", a);
      expect(c.call("bump", 0).toHost()).toBe(4);
      expect(a.call("bump", 0).toHost()).toBe(7);
      a.call("setScaled", 4 * n);
    }
    const expectedLog = ["v1+1"];
    for (let n = 2; n <= 12; n++) expectedLog.push(`v${n}+0`, `v${n}+2`, `v${n}+0`);
    expect(a.call("log").toHost()).toEqual(expectedLog);
    // a static private field takes each version's initial value, like public static data
    expect(Counter.call("made").toHost()).toBe(1);
  });

  it("brand checks throw TypeError for objects the class did not build", async () => {
    const folder = await scriptsFolder({
      "base.ts": BASE,
      "counter.ts": counterSource(1),
      "other.ts": `import { Counter } from "./counter";\nexport class Fake { count = 1; }\nexport function probe(fn: string) { try { return (Counter as any)[fn]({ count: 1 }); } catch (e: any) { return e.constructor.name + ": " + e.message; } }`,
    });
    const runtime = await runtimeFor(folder);
    const Counter = runtime.getClass("counter.ts", "Counter");
    expect(() => Counter.call("peek", runtime.getClass("other.ts", "Fake").new())).toThrow(ScriptError);
    expect(() => Counter.call("peek", runtime.getClass("other.ts", "Fake").new())).toThrow(/TypeError: Cannot read private member #count/);
    expect(() => Counter.call("callBump", {})).toThrow(/TypeError/);
    expect(() => Counter.call("isCounter", 3)).toThrow(/TypeError: Cannot use 'in' operator/);
    expect(Counter.call("isCounter", {}).toHost()).toBe(false);
    const probe = runtime.exports("other.ts").probe!;
    expect(probe.invoke("peek").toHost()).toMatch(/^TypeError: Cannot read private member #count/);
    // a subclass is not a receiver of the class's static private members
    await folder.write("sub.ts", `export class S { static #k = 1; static k() { return this.#k; } }\nexport class Sub extends S {}`);
    await runtime.reload(["sub.ts"]);
    expect(runtime.getClass("sub.ts", "S").call("k").toHost()).toBe(1);
    expect(() => runtime.getClass("sub.ts", "Sub").call("k")).toThrow(/TypeError: Cannot read private member #k/);
  });

  it("no reflection from another file reaches private state", async () => {
    const folder = await scriptsFolder({
      "base.ts": BASE,
      "counter.ts": counterSource(1),
      "spy.ts": `import { Counter } from "./counter";
export function spy() {
  const c = new Counter(42);
  const seen: string[] = [];
  const look = (label: string, target: object) => {
    for (const key of Reflect.ownKeys(target)) seen.push(label + ":" + String(key));
    for (const key in target) seen.push(label + " in:" + key);
  };
  look("instance", c);
  look("prototype", Counter.prototype);
  look("class", Counter);
  look("base prototype", Object.getPrototypeOf(Counter.prototype));
  seen.push("json:" + JSON.stringify(c));
  const text = JSON.stringify(Object.getOwnPropertyDescriptors(Counter.prototype), (k, v) => typeof v === "function" ? String(v) : v);
  seen.push("mentions 42:" + (text.includes("42") || JSON.stringify(c).includes("42")));
  return seen;
}`,
    });
    const runtime = await runtimeFor(folder);
    const seen = runtime.exports("spy.ts").spy!.invoke().toHost() as string[];
    expect(seen.filter((entry) => entry.startsWith("instance"))).toEqual(["instance:label", "instance in:label"]);
    expect(seen.filter((entry) => entry.startsWith("prototype:")).sort()).toEqual(
      ["constructor", "bump", "scaled", "setScaled", "log", "describe", "kind", "swap"].map((key) => `prototype:${key}`).sort(),
    );
    expect(seen.filter((entry) => entry.startsWith("class:")).sort()).toEqual(
      ["length", "name", "prototype", "toString", "made", "isCounter", "peek", "callBump"].map((key) => `class:${key}`).sort(),
    );
    expect(seen).toContain(`json:{"label":"c0"}`);
    expect(seen).toContain("mentions 42:false");
  });

  it("a private method's super and a private getter's errors behave as written", async () => {
    const folder = await scriptsFolder({
      "a.ts": `class Root { greet() { return "root"; } static make() { return "root-make"; } }
export class A extends Root {
  #n = 1;
  get #only() { return this.#n; }
  #greet() { return "a>" + super.greet(); }
  static #make() { return "A>" + super.make(); }
  greet() { return this.#greet(); }
  static make() { return A.#make(); }
  write() { (this as any).#only = 3; }
  callMethodAsValue() { const f = this.#greet; return f.call(this); }
  assignMethod() { (this as any).#greet = () => 1; }
}`,
    });
    const runtime = await runtimeFor(folder);
    const A = runtime.getClass("a.ts", "A");
    const a = A.new();
    expect(a.call("greet").toHost()).toBe("a>root");
    expect(A.call("make").toHost()).toBe("A>root-make");
    expect(a.call("callMethodAsValue").toHost()).toBe("a>root");
    expect(() => a.call("write")).toThrow(/TypeError: '#only' was defined without a setter/);
    expect(() => a.call("assignMethod")).toThrow(/TypeError: Private method #greet is not writable/);
  });

  it("errors inside lowered private members name the line as written", async () => {
    const folder = await scriptsFolder({
      "a.ts": `export class A {\n  #n = 1;\n  #fail() {\n    throw new Error("boom " + this.#n);\n  }\n  run() { return this.#fail(); }\n}\n`,
    });
    const runtime = await runtimeFor(folder);
    const a = runtime.getClass("a.ts", "A").new();
    try {
      a.call("run");
      expect.unreachable();
    } catch (error) {
      expect((error as ScriptError).message).toContain("boom 1");
      expect((error as ScriptError).stack).toMatch(/a\.ts:4:\d+/);
    }
  });

  it("a rolled-back reload puts a static private field's value back", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A { static #v = "one"; static v() { return A.#v; } }` });
    const runtime = await runtimeFor(folder);
    const A = runtime.getClass("a.ts", "A");
    await folder.write("a.ts", `export class A { static #v = "two"; static v() { return A.#v; } }\nthrow new Error("no");`);
    const report = await runtime.reload(["a.ts"]);
    expect(report.ok).toBe(false);
    expect(A.call("v").toHost()).toBe("one");
  });

  it("classes made by a function keep native private members (one brand per evaluation)", async () => {
    const folder = await scriptsFolder({
      "f.ts": `export function make() { return class { #x = 1; static read(o: any) { return o.#x; } }; }
export function crossRead() { const A = make(), B = make(); try { return A.read(new B()); } catch (e: any) { return e.constructor.name; } }`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.exports("f.ts").crossRead!.invoke().toHost()).toBe("TypeError");
  });

  it("optional chaining into a private member is refused with a position, and the running version stays", async () => {
    const folder = await scriptsFolder({ "a.ts": `export class A { #x = 1; get(o?: A) { return 1; } }` });
    const runtime = await runtimeFor(folder);
    await folder.write("a.ts", `export class A {\n  #x = 1;\n  get(o?: A) { return o?.#x; }\n}`);
    const report = await runtime.reload(["a.ts"]);
    expect(report.errors[0]!.message).toMatch(/optional chaining into a private member/);
    expect(report.errors[0]!.position).toMatchObject({ file: "a.ts", line: 3 });
    expect(runtime.getClass("a.ts", "A").new().call("get").toHost()).toBe(1);
  });
});
