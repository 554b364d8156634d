import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

const DECORATORS = `export const seen: string[] = [];
export function logged<T extends (...args: any[]) => any>(method: T, context: ClassMethodDecoratorContext) {
  seen.push(\`\${context.kind} \${String(context.name)} static=\${context.static} private=\${context.private}\`);
  return function (this: any, ...args: any[]) { return "logged(" + method.apply(this, args) + ")"; } as unknown as T;
}
export function doubled(_value: undefined, context: ClassFieldDecoratorContext) {
  seen.push(\`\${context.kind} \${String(context.name)}\`);
  return (initial: number) => initial * 2;
}
export function upper(getter: () => string, context: ClassGetterDecoratorContext) {
  seen.push(\`\${context.kind} \${String(context.name)}\`);
  return function (this: any) { return getter.call(this).toUpperCase(); };
}
export function clamp(setter: (v: number) => void, context: ClassSetterDecoratorContext) {
  seen.push(\`\${context.kind} \${String(context.name)}\`);
  return function (this: any, v: number) { setter.call(this, Math.min(v, 100)); };
}
export const registry: Function[] = [];
export function registered(cls: Function, context: ClassDecoratorContext) {
  seen.push(\`\${context.kind} \${String(context.name)}\`);
  (context.metadata as any).registered = true;
  context.addInitializer(function (this: any) { registry.push(this); });
}
export function tagged(tag: string) {
  return (_: unknown, context: ClassMemberDecoratorContext) => { (context.metadata as any)[String(context.name)] = tag; };
}
export function withAccess(_: undefined, context: ClassFieldDecoratorContext) {
  context.addInitializer(function (this: any) { this.readBack = context.access.get(this); });
}
`;

const hero = (greeting: string) => `import { logged, doubled, upper, clamp, registered, tagged, withAccess } from "./decorators";
@registered
export class Hero {
  @doubled hp = 10;
  readBack = 0;
  @withAccess mana = 7;
  #level = 1;
  name = "ann";
  @logged greet(other: string) { return "${greeting} " + other + " at level " + this.#level; }
  @logged static make() { return new Hero(); }
  @upper get title() { return "sir " + this.name; }
  @clamp set level(v: number) { this.#level = v; }
  @tagged("meta") note() { return 1; }
  static meta() { return (Hero as any)[Symbol.metadata]; }
}
`;

describe("TC39 decorators load and reload", () => {
  it("method, field, getter, setter and class decorators, addInitializer, context and metadata", async () => {
    const folder = await scriptsFolder({ "decorators.ts": DECORATORS, "hero.ts": hero("hi") });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    const Hero = runtime.getClass("hero.ts", "Hero");
    const h = Hero.new();
    expect(h.call("greet", "bob").toHost()).toBe("logged(hi bob at level 1)");
    expect(h.get("hp").toHost()).toBe(20);
    expect(h.get("readBack").toHost()).toBe(7);
    expect(h.get("title").toHost()).toBe("SIR ANN");
    h.set("level", 500);
    expect(h.call("greet", "x").toHost()).toBe("logged(hi x at level 100)");
    expect(Hero.call("make").toHost()).toBe("logged([object Object])");
    expect(Hero.new().toHost()).toEqual({ hp: 20, mana: 7, readBack: 7, name: "ann" });
    const seen = runtime.exports("decorators.ts").seen!.toHost() as string[];
    expect(seen).toEqual(
      expect.arrayContaining(["method greet static=false private=false", "method make static=true private=false", "field hp", "getter title", "setter level", "class Hero"]),
    );
    expect(Hero.call("meta").toHost()).toEqual({ registered: true, note: "meta" });
    // the class decorator's initializer saw the class graft keeps (same object as the host's)
    expect(runtime.evaluate("decorators.ts", "registry.length").toHost()).toBe(1);
    expect(runtime.evaluate("decorators.ts", "registry[0]").isSame(Hero)).toBe(true);
  });

  it("a decorated method edited keeps working on old instances, with the decorated replacement installed", async () => {
    const folder = await scriptsFolder({ "decorators.ts": DECORATORS, "hero.ts": hero("hi") });
    const runtime = await runtimeFor(folder);
    const Hero = runtime.getClass("hero.ts", "Hero");
    const old = Hero.new();
    old.set("level", 3);
    for (const greeting of ["hello", "hey", "yo"]) {
      await folder.write("hero.ts", hero(greeting));
      const report = await runtime.reload(["hero.ts"]);
      expect(report.errors).toEqual([]);
      expect(old.call("greet", "bob").toHost()).toBe(`logged(${greeting} bob at level 3)`);
      expect(runtime.getClass("hero.ts", "Hero").isSame(Hero)).toBe(true);
      expect(old.instanceOf(Hero)).toBe(true);
    }
  });

  it("a class decorator is not dropped, and errors in decorated code name the line as written", async () => {
    const folder = await scriptsFolder({
      "a.ts": `function sealedClass(cls: Function, ctx: ClassDecoratorContext) { (globalThis as any).decorated = ctx.name; }\n@sealedClass\nexport class A {\n  run() {\n    throw new Error("boom");\n  }\n}\n`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.evaluate("a.ts", "globalThis.decorated").toHost()).toBe("A");
    try {
      runtime.getClass("a.ts", "A").new().call("run");
      expect.unreachable();
    } catch (error) {
      expect((error as Error).stack).toMatch(/a\.ts:5:\d+/);
    }
  });
});

describe("legacy decorators (createRuntime({ decorators: \"legacy\" }))", () => {
  const LEGACY = `export const calls: string[] = [];
export function logged(target: any, key: string, descriptor: PropertyDescriptor) {
  calls.push("method " + key + (typeof target === "function" ? " static" : ""));
  const inner = descriptor.value;
  descriptor.value = function (this: any, ...args: any[]) { return "logged(" + inner.apply(this, args) + ")"; };
  return descriptor;
}
export function prop(target: any, key: string) { calls.push("property " + key); }
export function param(target: any, key: string | undefined, index: number) { calls.push("param " + String(key) + " " + index); }
export const registry: Function[] = [];
export function register(cls: Function) { registry.push(cls); }
`;
  const shop = (word: string) => `import { logged, prop, param, register } from "./legacy";
@register
export class Shop {
  @prop stock = 3;
  constructor(@param name?: string) {}
  @logged sell(@param item: string) { return "${word} " + item; }
  @logged static open() { return "open"; }
}
`;

  it("member, parameter and class decorators apply to the class graft keeps, and reload", async () => {
    const folder = await scriptsFolder({ "legacy.ts": LEGACY, "shop.ts": shop("sold") });
    const runtime = await runtimeFor(folder, { decorators: "legacy" });
    expect(runtime.initialReport.errors).toEqual([]);
    const Shop = runtime.getClass("shop.ts", "Shop");
    const old = Shop.new();
    expect(old.call("sell", "cake").toHost()).toBe("logged(sold cake)");
    expect(Shop.call("open").toHost()).toBe("logged(open)");
    expect(runtime.exports("legacy.ts").calls!.toHost()).toEqual(["property stock", "param sell 0", "method sell", "method open static", "param undefined 0"]);
    expect(runtime.evaluate("legacy.ts", "registry[0]").isSame(Shop)).toBe(true);
    await folder.write("shop.ts", shop("gave"));
    const report = await runtime.reload(["shop.ts"]);
    expect(report.errors).toEqual([]);
    expect(old.call("sell", "tea").toHost()).toBe("logged(gave tea)");
  });

  it("a legacy class decorator that replaces the class is refused clearly; decorators in the wrong mode do not load", async () => {
    const folder = await scriptsFolder({
      "a.ts": `function replace(cls: any) { return class extends cls {}; }\n@replace\nexport class A {}\n`,
    });
    const runtime = await runtimeFor(folder, { decorators: "legacy" });
    expect(runtime.initialReport.errors[0]!.message).toMatch(/legacy class decorator of A returned another class/);
    const standard = await runtimeFor(await scriptsFolder({ "shop.ts": shop("x"), "legacy.ts": LEGACY }));
    expect(standard.initialReport.errors[0]!.file).toBe("shop.ts");
  });
});

describe("accessor fields", () => {
  const unit = (extra: string) => `export const log: string[] = [];
function observed<T>(target: ClassAccessorDecoratorTarget<any, T>, context: ClassAccessorDecoratorContext<any, T>) {
  return {
    get(this: any) { return target.get.call(this); },
    set(this: any, value: T) { log.push(String(context.name) + "=" + String(value)); target.set.call(this, value); },
    init(value: T) { return value; },
  };
}
export class Unit {
  accessor count = 1;
  @observed accessor hp = 5;
  static accessor made = 0;
${extra}
}
`;

  it("keep their values across edits (decorated or not) and reach live instances when a version adds one", async () => {
    const folder = await scriptsFolder({ "unit.ts": unit("  describe() { return 'v1 ' + this.count + '/' + this.hp; }") });
    const runtime = await runtimeFor(folder);
    const Unit = runtime.getClass("unit.ts", "Unit");
    const old = Unit.new();
    old.set("count", 7);
    old.set("hp", 9);
    expect(old.call("describe").toHost()).toBe("v1 7/9");
    await folder.write("unit.ts", unit("  accessor mana = 3;\n  describe() { return 'v2 ' + this.count + '/' + this.hp + '/' + this.mana; }"));
    const report = await runtime.reload(["unit.ts"]);
    expect(report.errors).toEqual([]);
    expect(old.call("describe").toHost()).toBe("v2 7/9/3");
    old.set("hp", 11);
    expect(runtime.exports("unit.ts").log!.toHost()).toEqual(["hp=11"]);
    expect(runtime.evaluate("unit.ts", "Reflect.ownKeys(new Unit())").toHost()).toEqual([]);
  });
});

describe("TC39 decorators are graft's own lowering", () => {
  const LIB = `export const seen: string[] = [];
export function doubled(_: undefined, context: ClassFieldDecoratorContext) { seen.push("doubled " + String(context.name)); return (v: number) => v * 2; }
export function tag(label: string) {
  return (value: any, context: ClassMethodDecoratorContext) => function (this: any, ...args: any[]) { return label + ":" + value.apply(this, args); };
}
export function wrap(cls: any, context: ClassDecoratorContext) {
  context.addInitializer(function (this: any) { seen.push("class ready " + this.name + " " + this.version); });
  return class extends cls { wrapped() { return "wrapped " + cls.name; } };
}
`;
  const unit = (version: number, extra = "") => `import { doubled, tag, wrap } from "./lib";
@wrap
export class Unit {
  static version = ${version};
  @doubled hp = ${version};
  @tag("v${version}") speak() { return "speak " + this.hp; }
  @doubled #gold = ${version * 10};
  gold() { return this.#gold; }
${extra}}
export function makeLocal(label: string) {
  @wrap class Local { @tag(label) hello() { return "local"; } static version = 0; }
  return new Local();
}
`;

  it("a decorated class edited keeps its instances and gets the re-decorated members, its replacement installed", async () => {
    const folder = await scriptsFolder({ "lib.ts": LIB, "unit.ts": unit(1) });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    const Unit = runtime.getClass("unit.ts", "Unit");
    const old = Unit.new();
    expect(old.get("hp").toHost()).toBe(2);
    expect(old.call("speak").toHost()).toBe("v1:speak 2");
    expect(old.call("wrapped").toHost()).toBe("wrapped Unit");
    expect(old.call("gold").toHost()).toBe(20);
    await folder.write("unit.ts", unit(2, "  @doubled mana = 5;\n"));
    const report = await runtime.reload(["unit.ts"]);
    expect(report.errors).toEqual([]);
    expect(runtime.getClass("unit.ts", "Unit").isSame(Unit)).toBe(true);
    // the old instance keeps its state, gets the new decorated method and the new field (its decorator's initializer applied)
    expect(old.call("speak").toHost()).toBe("v2:speak 2");
    expect(old.get("mana").toHost()).toBe(10);
    expect(old.call("wrapped").toHost()).toBe("wrapped Unit");
    expect(Unit.new().get("hp").toHost()).toBe(4);
    // a decorated private field keeps its value across the edit (the kernel's slot), new instances get the new one
    expect(old.call("gold").toHost()).toBe(20);
    expect(Unit.new().call("gold").toHost()).toBe(40);
    const seen = runtime.exports("lib.ts").seen!.toHost() as string[];
    // the class decorator's initializer saw the class graft keeps, once per version, after its statics were installed
    expect(seen.filter((line) => line.startsWith("class ready Unit"))).toEqual(["class ready Unit 1", "class ready Unit 2"]);
    // a decorated class made in a function: a new decoration each call, with that call's decorator arguments
    expect(runtime.exports("unit.ts").makeLocal!.invoke("a").call("hello").toHost()).toBe("a:local");
    expect(runtime.exports("unit.ts").makeLocal!.invoke("b").call("wrapped").toHost()).toBe("wrapped Local");
  });

  it("an edit of the file that exports the decorators re-decorates the classes that use them, on live instances", async () => {
    const folder = await scriptsFolder({ "lib.ts": LIB, "unit.ts": unit(1) });
    const runtime = await runtimeFor(folder);
    const old = runtime.getClass("unit.ts", "Unit").new();
    expect(old.call("speak").toHost()).toBe("v1:speak 2");
    await folder.write("lib.ts", LIB.replace(`return label + ":" + value.apply(this, args);`, `return label + "!" + value.apply(this, args);`));
    const report = await runtime.reload(["lib.ts"]);
    expect(report.errors).toEqual([]);
    expect(report.files).toContain("unit.ts");
    expect(old.call("speak").toHost()).toBe("v1!speak 2");
  });

  it("a field a new version adds whose initialiser is a decorated class (or has accessors) reaches live instances lowered", async () => {
    const shelf = (extra: string) => `function named(cls: any, context: ClassDecoratorContext) { (cls as any).label = "named " + String(context.name); }\nexport class Shelf {\n  size = 1;\n${extra}}\n`;
    const folder = await scriptsFolder({ "shelf.ts": shelf("") });
    const runtime = await runtimeFor(folder);
    const old = runtime.getClass("shelf.ts", "Shelf").new();
    await folder.write("shelf.ts", shelf("  kind = @named class Box { accessor lid = 2; };\n  accessor spare = class { accessor count = 3; };\n"));
    const report = await runtime.reload(["shelf.ts"]);
    expect(report.errors).toEqual([]);
    expect(old.get("kind").get("label").toHost()).toBe("named Box");
    expect(old.get("kind").new().get("lid").toHost()).toBe(2);
    expect(old.get("spare").new().get("count").toHost()).toBe(3);
  });

  it("refuses the forms it does not lower with a CompileError at the member, and says what to write", async () => {
    const cases: [string, string, number, RegExp][] = [
      ["a.ts", `function d(..._: any[]) {}\nexport function f() {\n  class A extends Object {\n    @d #m() { return super.toString(); }\n  }\n}\n`, 4, /decorator on the private method #m that uses `super`/],
      ["e.ts", `function d(..._: any[]) {}\nexport class E {\n  @d #m() {}\n}\n`, 3, /decorator on the private method #m of a top-level class/],
      ["b.ts", `function d(..._: any[]) {}\nexport class B {\n  @d get #x() { return 1; }\n}\n`, 3, /decorator on the private getter #x/],
      ["c.ts", `export class C {\n  accessor ["x"] = 1;\n}\n`, 2, /`accessor` with a computed or quoted name/],
      ["d.ts", `function d(..._: any[]) {}\nexport async function f(k: Promise<string>) {\n  @d class D {\n    [await k] = 1;\n  }\n}\n`, 4, /`await` or `yield`/],
    ];
    for (const [file, source, line, message] of cases) {
      const folder = await scriptsFolder({ [file]: source });
      const runtime = await runtimeFor(folder);
      const [error] = runtime.initialReport.errors;
      expect(error?.message, file).toMatch(message);
      expect(error?.position, file).toMatchObject({ file, line });
    }
  });
});

describe("TC39 decorators on every way a class is written", () => {
  it("declarations, exports before and after the decorator, default exports, class expressions, several declarators, legacy-mode accessors", async () => {
    const folder = await scriptsFolder({
      "lib.ts": `export const names: string[] = [];\nexport function named(cls: any, context: ClassDecoratorContext) { names.push(String(context.name)); context.addInitializer(function (this: any) { this.tagged = true; }); }\n` +
        `export function twice(method: any) { return function (this: any, ...args: any[]) { return method.apply(this, args) * 2; }; }\n`,
      "a.ts": `import { named, twice } from "./lib";\n@named export class A { @twice n() { return 1; } }\n`,
      "b.ts": `import { named, twice } from "./lib";\nexport @named class B { @twice n() { return 2; } }\n`,
      "c.ts": `import { named, twice } from "./lib";\nexport default @named class { @twice n() { return 3; } }\n`,
      "d.ts": `import { named, twice } from "./lib";\nexport const D = @named class { @twice n() { return 4; } };\n`,
      "e.ts": `import { named, twice } from "./lib";\nexport let x = 1, E = @named class { @twice n() { return 5; } };\n`,
      "f.ts": `import { named, twice } from "./lib";\nexport class Outer { static make() { const Inner = @named class { @twice n() { return 6; } }; return new Inner(); } }\n`,
      // TypeScript parameter properties become fields first in the body (strip-types.ts)
      "g.ts": `import { twice } from "./lib";\nexport class G {\n  @twice n(): number { return this.x; }\n  constructor(private x: number = 7) {}\n  accessor z: number = 1;\n}\n`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.getClass("a.ts", "A").new().call("n").toHost()).toBe(2);
    expect(runtime.getClass("b.ts", "B").new().call("n").toHost()).toBe(4);
    expect(runtime.getClass("c.ts", "default").new().call("n").toHost()).toBe(6);
    expect(runtime.getClass("d.ts", "D").new().call("n").toHost()).toBe(8);
    expect(runtime.exports("e.ts").E!.new().call("n").toHost()).toBe(10);
    expect(runtime.getClass("f.ts", "Outer").call("make").call("n").toHost()).toBe(12);
    expect(runtime.getClass("g.ts", "G").new().call("n").toHost()).toBe(14);
    for (const [file, name] of [["a.ts", "A"], ["b.ts", "B"], ["c.ts", "default"], ["d.ts", "D"]] as const) {
      expect(runtime.getClass(file, name).get("tagged").toHost(), file).toBe(true);
    }
    expect((runtime.exports("lib.ts").names!.toHost() as string[]).sort()).toEqual(["A", "B", "D", "E", "Inner", "default"]);
    const legacy = await runtimeFor(await scriptsFolder({ "u.ts": `export class U { accessor hp = 3; static accessor n = 1; }\n` }), { decorators: "legacy" });
    const u = legacy.getClass("u.ts", "U").new();
    u.set("hp", 4);
    expect([u.get("hp").toHost(), legacy.getClass("u.ts", "U").get("n").toHost()]).toEqual([4, 1]);
  });
});
