import { describe, expect, it } from "vitest";
import vm from "node:vm";
import ts from "typescript";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/**
 * graft lowers TC39 decorators itself (runtime/compile/decorators.ts, applied by the
 * kernel's runtime/kernel/vm/decorators.js). Each scenario here runs twice: lowered by
 * TypeScript 5.9 (the reference: a devDependency, never a runtime one) in a Node context, and
 * loaded by graft; both logs must be the same, event for event. The scenarios log what a
 * decorator sees and when each initializer runs; the classes are in functions and at the top
 * level of the script (graft lowers those differently).
 */
const PRELUDE = `const log = [];
const show = (v) => typeof v === "function" ? "fn:" + (v.name || "anon") : typeof v === "symbol" ? String(v) : JSON.stringify(v);
function ctx(c) {
  return [c.kind, typeof c.name === "symbol" ? String(c.name) : c.name, c.static, c.private,
    c.access ? Object.keys(c.access).sort().join("/") : "-", typeof c.metadata, typeof c.addInitializer].join(" ");
}
`;

const SCENARIOS: Record<string, string> = {
  "every kind, application order, initializer order": `
function trace(tag) {
  log.push("eval " + tag);
  return (value, context) => {
    log.push("apply " + tag + ": " + ctx(context) + " value=" + show(value));
    context.addInitializer(function () { log.push("extra " + tag + " this=" + (typeof this === "function" ? "class " + this.name : "instance")); });
    if (context.kind === "field") return function (v) { log.push("init " + tag + " " + show(v)); return v + 1; };
    if (context.kind === "accessor") return { init(v) { log.push("init " + tag + " " + show(v)); return v * 10; } };
    if (context.kind === "method") return function (...args) { log.push("call " + tag); return value.apply(this, args); };
  };
}
@trace("class")
class Thing {
  @trace("a") @trace("b") method() { return "m"; }
  @trace("field") field = (log.push("field value"), 1);
  plain = (log.push("plain value"), 2);
  @trace("acc") accessor acc = 3;
  @trace("get") get g() { return 4; }
  @trace("set") set s(v) { log.push("set " + v); }
  @trace("smethod") static sm() { return 5; }
  @trace("sfield") static sf = (log.push("sfield value"), 6);
  static after = (log.push("static after"), 7);
}
log.push("defined");
const t = new Thing();
log.push("built " + t.field + " " + t.plain + " " + t.acc + " " + t.g + " " + Thing.sf);
log.push(t.method());
t.s = 9;
t.acc = 11;
log.push("acc " + t.acc);
`,
  "class decorator returning a replacement, metadata inherited": `
function meta(key, value) { return (_, context) => { context.metadata[key] = value; }; }
function replace(cls, context) {
  log.push("replace " + context.name);
  // At the top level \`this\` is the class graft keeps, which has the replacement's members; elsewhere the replacement.
  context.addInitializer(function () { log.push("class extra: wrapped " + this.wrapped); });
  const Wrapped = class extends cls { static wrapped = true; describe() { return "wrapped " + super.describe(); } };
  return Wrapped;
}
@meta("base", 1)
class Base { @meta("x", 2) x = 1; describe() { return "base"; } }
@replace @meta("sub", 3)
class Sub extends Base {
  @meta("y", 4) y = 2;
  static self() { return Sub; }
  static made = (log.push("made: Sub is " + typeof Sub), 0);
  describe() { return "sub:" + super.describe(); }
}
const M = Symbol.metadata ?? Symbol.for("Symbol.metadata");
log.push(JSON.stringify(Object.entries(Base[M])), JSON.stringify(Object.entries(Sub[M])), String(Object.getPrototypeOf(Sub[M]) === Base[M]));
log.push(new Sub().describe(), String(Sub.wrapped), String(Sub.self() === Sub), Sub.name);
`,
  "access objects, private fields, static private fields, computed keys": `
const kept = [];
function keep(_, context) { kept.push(context); context.addInitializer(function () { log.push("extra " + String(context.name) + " has=" + context.access.has(this)); }); }
const key = Symbol("k");
function make() {
  class Box {
    @keep #secret = 1;
    @keep static #count = 5;
    @keep [key] = "sym";
    @keep ["comp" + "uted"] = "c";
    @keep visible = 2;
    static peek(b) { return b.#secret; }
    static count() { return Box.#count; }
  }
  return Box;
}
const Box = make();
const b = new Box();
for (const context of kept) {
  const target = context.static ? Box : b;
  if (context.kind === "field") {
    log.push(ctx(context) + " get=" + show(context.access.get(target)));
    context.access.set(target, 42);
  }
}
log.push("after set " + Box.peek(b) + " " + Box.count() + " " + b[key] + " " + b.computed + " " + b.visible);
log.push(String(kept[0].access.has({})));
`,
  "private fields of a class written at the script's top level (the kernel's slots there)": `
const kept = [];
function bump(_, context) {
  kept.push(context);
  context.addInitializer(function () { log.push("extra " + context.name + " " + context.access.get(this)); });
  return (v) => (v ?? 0) + 100;
}
class Purse {
  @bump #coins = 1;
  @bump #empty;
  @bump static #bank = 5;
  static read(p) { return [p.#coins, p.#empty, Purse.#bank].join(","); }
}
const p = new Purse();
log.push(Purse.read(p));
for (const context of kept) context.access.set(context.static ? Purse : p, 7);
log.push(Purse.read(p), kept.map((c) => ctx(c) + " " + c.access.has(c.static ? Purse : p) + " " + c.access.has({})).join(" | "));
`,
  "private methods, getters and setters of a class in a function": `
function wrapped(tag) {
  return (value, context) => {
    log.push("apply " + tag + ": " + ctx(context) + " value=" + show(value));
    context.addInitializer(function () { log.push("extra " + tag + " has=" + context.access.has(this)); });
    return function (...args) { log.push("call " + tag + " " + args.join(",")); return value.apply(this, args); };
  };
}
function make() {
  class Vault {
    @wrapped("m") #open(code) { return "opened " + code + " by " + this.owner; }
    @wrapped("g") get #balance() { return this.amount; }
    @wrapped("s") set #balance(v) { this.amount = v; }
    @wrapped("sm") static #audit(n) { return "audit " + n; }
    owner = "ann";
    amount = 3;
    use(code) { this.#balance = this.#balance + 1; return [this.#open(code), this.#balance, Vault.#audit(code)].join(" / "); }
    static open(v) { return v.#open; }
  }
  return Vault;
}
const Vault = make();
const v = new Vault();
log.push(v.use(7));
log.push(typeof Vault.open(v), String(Vault.open(v) === Vault.open(new Vault())));
try { Vault.open({}); } catch (error) { log.push(error.constructor.name); }
`,
  "accessor decorators replace get and set; addInitializer after decoration throws": `
let late;
function observed(target, context) {
  late = context;
  return {
    get() { const v = target.get.call(this); log.push("get " + context.name + " " + v); return v; },
    set(v) { log.push("set " + context.name + " " + v); target.set.call(this, v); },
  };
}
class Unit { @observed accessor hp = 5; @observed static accessor total = 1; accessor plain; }
const u = new Unit();
u.hp = u.hp + 1;
Unit.total++;
log.push(String(u.plain), String(Object.keys(u).length));
try { late.addInitializer(() => {}); log.push("no throw"); } catch (error) { log.push(error.constructor.name); }
`,
  "bad decorator results are TypeErrors": `
for (const [name, make] of [
  ["method returns 1", () => { class A { @((v) => 1) m() {} } }],
  ["field returns {}", () => { class A { @((v) => ({})) f = 1; } }],
  ["accessor returns 1", () => { class A { @((v) => 1) accessor a = 1; } }],
  ["class returns 1", () => { @((v) => 1) class A {} }],
  ["addInitializer(1)", () => { class A { @((v, c) => { c.addInitializer(1); }) m() {} } }],
]) {
  try { make(); log.push(name + ": ok"); } catch (error) { log.push(name + ": " + error.constructor.name); }
}
`,
};

function typescriptLog(source: string): string[] {
  const lowered = ts.transpileModule(PRELUDE + source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.None, experimentalDecorators: false, useDefineForClassFields: true },
  }).outputText;
  const context = vm.createContext({});
  vm.runInContext(`Object.defineProperty(Symbol, "metadata", { value: Symbol.for("Symbol.metadata") });`, context);
  return vm.runInContext(`${lowered}\nlog`, context) as string[];
}

async function graftLog(source: string, where: "top level" | "in a function"): Promise<string[]> {
  const body = where === "top level" ? `${PRELUDE}${source}\nglobalThis.result = log;\n` : `(function () {\n${PRELUDE}${source}\nglobalThis.result = log;\n})();\n`;
  const folder = await scriptsFolder({ "scenario.js": body });
  const runtime = await runtimeFor(folder);
  expect(runtime.initialReport.errors).toEqual([]);
  return runtime.evaluate("scenario.js", "globalThis.result").toHost() as string[];
}

describe("TC39 decorators as TypeScript 5.9 lowers them", () => {
  for (const [name, source] of Object.entries(SCENARIOS)) {
    it(name, async () => {
      const expected = typescriptLog(source);
      expect(expected.length).toBeGreaterThan(3);
      expect(await graftLog(source, "top level")).toEqual(expected);
      expect(await graftLog(source, "in a function")).toEqual(expected);
    });
  }
});
