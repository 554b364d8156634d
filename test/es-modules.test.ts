import { describe, expect, it } from "vitest";
import { runtimeFor, scriptsFolder } from "./helpers.js";

/** Loads `files` and returns the errors of the load, one line each ("file: message"). */
async function loadErrors(files: Record<string, string>): Promise<string[]> {
  const runtime = await runtimeFor(await scriptsFolder(files));
  return runtime.initialReport.errors.map((error) => `${error.file}: ${error.message}`);
}

describe("ES modules: early errors are SyntaxErrors before anything runs", () => {
  it.each([
    ["two top-level functions of one name", "function f() {} function f() {}"],
    ["a var and a function of one name", "var f; function f() {}"],
    ["a let and a function of one name", "let f = 1; function f() {}"],
    ["a lexical name declared twice in a block", "{ function f() {} let f; }"],
    ["importing a binding named eval", `import { eval } from "./lib.js";`],
    ["importing a binding named arguments", `import { x as arguments } from "./lib.js";`],
    ["one name bound by two imports", `import { x, y as x } from "./lib.js";`],
    ["exporting an undeclared name", "export { Number };"],
  ])("%s", async (_, code) => {
    const errors = await loadErrors({
      "lib.js": `export const x = 1, y = 2; globalThis.ran = true;`,
      "main.js": `${code}\nthrow new Error("main ran");`,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^main\.js: syntax error: /);
  });
});

describe("ES modules: anonymous default exports are named default", () => {
  it("a function declaration, a generator, a function, an arrow and a class expression", async () => {
    const folder = await scriptsFolder({
      "fn.js": `export default function () { return 1; }`,
      "gen.js": `export default function* () {}`,
      "expr.js": `export default (function () {});`,
      "arrow.js": `export default () => 2;`,
      "cls.js": `export default (class {});`,
      "named.js": `export default (function inner() {});`,
      "main.js": `import fn from "./fn.js"; import gen from "./gen.js"; import expr from "./expr.js";
        import arrow from "./arrow.js"; import cls from "./cls.js"; import named from "./named.js";
        export const names = [fn.name, gen.name, expr.name, arrow.name, cls.name, named.name, fn(), arrow()];`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.exports("main.js").names!.toHost()).toEqual(["default", "default", "default", "default", "default", "inner", 1, 2]);
  });

  it("a class whose static name() method is its own keeps it, across reloads", async () => {
    const folder = await scriptsFolder({
      "cls.js": `export default class { static name() { return "method"; } }`,
      "plain.js": `export class Plain { static name = "field"; } export class Named {}`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    const exports = runtime.exports("cls.js");
    expect(exports.default!.call("name").toHost()).toBe("method");
    expect(runtime.exports("plain.js").Plain!.get("name").toHost()).toBe("field");
    expect(runtime.exports("plain.js").Named!.get("name").toHost()).toBe("Named");
    // The next version drops the static name: the class is called what its definition says.
    await folder.write("cls.js", `export default class { static other() { return 1; } }`);
    await folder.write("plain.js", `export class Plain {} export class Named { static name() { return "now a method"; } }`);
    const report = await runtime.reload(["cls.js", "plain.js"]);
    expect(report.errors).toEqual([]);
    expect(runtime.exports("cls.js").default!.get("name").toHost()).toBe("default");
    expect(runtime.exports("plain.js").Plain!.get("name").toHost()).toBe("Plain");
    expect(runtime.exports("plain.js").Named!.call("name").toHost()).toBe("now a method");
  });
});

describe("ES modules: imports and re-exports resolve when the batch links", () => {
  it("importing a name the module does not export is a SyntaxError of the importer at its line, and nothing of the batch runs", async () => {
    const ran: string[] = [];
    const folder = await scriptsFolder({
      "lib.js": `import { log } from "host"; log("lib"); export const present = 1;`,
      "main.js": `import { log } from "host";\nimport { present, missing } from "./lib.js";\nlog("main");`,
    });
    const runtime = await runtimeFor(folder, { host: { log: (line: unknown) => ran.push(String(line)) } });
    const errors = runtime.initialReport.errors;
    expect(errors.map((error) => error.file)).toEqual(["main.js"]);
    expect(errors[0]!.message).toMatch(/^syntax error: imports 'missing' of lib\.js, which does not export it/);
    expect(errors[0]!.position).toMatchObject({ file: "main.js", line: 2 });
    expect(ran).toEqual(["lib"]);
    expect(runtime.files()).toEqual(["lib.js"]);

    // A reload whose batch has the error changes nothing; exporting the name fixes it.
    ran.length = 0;
    await folder.write("lib.js", `import { log } from "host"; log("lib v2"); export const present = 2;`);
    await folder.write("main.js", `import { log } from "host"; import { missing } from "./lib.js"; log("main " + missing);`);
    const failed = await runtime.reload(["lib.js", "main.js"]);
    expect(failed.ok).toBe(false);
    expect(ran).toEqual([]);
    expect(runtime.exports("lib.js").present!.toHost()).toBe(1);
    await folder.write("lib.js", `import { log } from "host"; log("lib v3"); export const present = 3, missing = "found";`);
    const fixed = await runtime.reload(["lib.js", "main.js"]);
    expect(fixed.errors).toEqual([]);
    expect(ran).toEqual(["lib v3", "main found"]);
  });

  it("a re-export of a missing name, and default through export *, are SyntaxErrors", async () => {
    const errors = await loadErrors({
      "empty.js": `export const other = 1; export default 2;`,
      "re.js": `export { absent } from "./empty.js";`,
      "star.js": `export * from "./empty.js";`,
      "uses-star.js": `import value from "./star.js";`,
    });
    expect(errors).toEqual([
      expect.stringMatching(/^re\.js: syntax error: re-exports 'absent' of empty\.js, which does not export it/),
      expect.stringMatching(/^uses-star\.js: syntax error: imports 'default' of star\.js, which does not export it/),
    ]);
  });

  it("a name two export * give different bindings of is ambiguous: an import of it fails, the namespace leaves it out", async () => {
    const folder = await scriptsFolder({
      "a.js": `export const shared = "a", onlyA = 1;`,
      "b.js": `export const shared = "b", onlyB = 2;`,
      "both.js": `export * from "./a.js"; export * from "./b.js";`,
      "ns.js": `import * as ns from "./both.js"; export const keys = Object.keys(ns);`,
      "bad.js": `import { shared } from "./both.js";`,
    });
    const runtime = await runtimeFor(folder);
    const errors = runtime.initialReport.errors.map((error) => `${error.file}: ${error.message}`);
    expect(errors).toEqual([expect.stringMatching(/^bad\.js: syntax error: imports 'shared' of both\.js is ambiguous/)]);
    expect(runtime.exports("ns.js").keys!.toHost()).toEqual(["onlyA", "onlyB"]);
  });

  it("the same binding through two export * is not ambiguous; namespaces re-exported two ways are one binding", async () => {
    const folder = await scriptsFolder({
      "base.js": `export const value = 42;`,
      "one.js": `export * from "./base.js"; import * as ns from "./base.js"; export { ns };`,
      "two.js": `export * from "./base.js"; export * as ns from "./base.js";`,
      "both.js": `export * from "./one.js"; export * from "./two.js";`,
      "main.js": `import { value, ns } from "./both.js"; import * as base from "./base.js"; export const seen = [value, ns === base, ns.value];`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.exports("main.js").seen!.toHost()).toEqual([42, true, 42]);
  });

  it("export * through a cycle of re-exports resolves the name where it is bound (no stack overflow)", async () => {
    const folder = await scriptsFolder({
      "a.js": `export * from "./b.js"; export * from "./c.js";`,
      "b.js": `export { foo } from "./a.js";`,
      "c.js": `export let foo = 42; export function bump() { foo++; }`,
      "main.js": `import { foo, bump } from "./a.js"; import * as b from "./b.js"; export function read() { bump(); return [foo, b.foo]; }`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.exports("main.js").read!.invoke().toHost()).toEqual([43, 43]);
  });

  it("imports written after an `export { } from` are rewritten like the others", async () => {
    const folder = await scriptsFolder({
      "lib.js": `export const a = 333, b = 444;`,
      "main.js": `export { a } from "./lib.js";\nimport { b } from "./lib.js";\nexport const seen = b;\nexport function later() { return b + 1; }`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.exports("main.js").seen!.toHost()).toBe(444);
    expect(runtime.exports("main.js").later!.invoke().toHost()).toBe(445);
    expect(runtime.exports("main.js").a!.toHost()).toBe(333);
  });
});

describe("ES modules: import cycles link before they evaluate", () => {
  it("hoisted functions and re-exports of a module are readable before it runs", async () => {
    const ran: string[] = [];
    const folder = await scriptsFolder({
      // a.js sorts first, so graft evaluates b.js (which a.js imports) first.
      "a.js": `import { log } from "host"; import { fromB } from "./b.js"; export function fromA() { return "A"; } export { fromB as again }; log("a " + fromB());`,
      "b.js": `import { log } from "host"; import { fromA, again } from "./a.js"; export function fromB() { return "B"; } log("b " + fromA() + again());`,
    });
    const runtime = await runtimeFor(folder, { host: { log: (line: unknown) => ran.push(String(line)) } });
    expect(runtime.initialReport.errors).toEqual([]);
    expect(ran).toEqual(["b AB", "a B"]);
  });

  it("a let read before its module has run is in its temporal dead zone, through the namespace too", async () => {
    const folder = await scriptsFolder({
      "a.js": `import { early } from "./b.js"; export let late = 1;`,
      "b.js": `import * as a from "./a.js";
        let seen;
        try { Object.keys(a); seen = "keys read"; } catch (error) { seen = error.constructor.name; }
        export const early = seen;`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.exports("b.js").early!.toHost()).toBe("ReferenceError");
  });
});

describe("ES modules: the module namespace object", () => {
  it("is a non-extensible null-prototype object of sorted, non-configurable, writable data properties, tagged Module", async () => {
    const folder = await scriptsFolder({
      "lib.js": `export let zeta = 1, alpha = 2; export default 3; export function bump() { alpha++; }`,
      "main.js": `import * as ns from "./lib.js";
        "use strict";
        const attempt = (fn) => { try { fn(); return "ok"; } catch (error) { return error.constructor.name; } };
        export function facts() {
          const descriptor = Object.getOwnPropertyDescriptor(ns, "alpha");
          return {
            keys: Reflect.ownKeys(ns).map(String),
            extensible: Object.isExtensible(ns),
            proto: Object.getPrototypeOf(ns),
            tag: Object.prototype.toString.call(ns),
            descriptor: [descriptor.value, descriptor.writable, descriptor.enumerable, descriptor.configurable],
            set: attempt(() => { ns.alpha = 5; }),
            add: attempt(() => { ns.added = 5; }),
            remove: attempt(() => { delete ns.alpha; }),
            removeMissing: attempt(() => { delete ns.missing; }),
            redefine: Reflect.defineProperty(ns, "alpha", { value: 9 }),
            defineSame: Reflect.defineProperty(ns, "alpha", { value: ns.alpha, writable: true, enumerable: true, configurable: false }),
            freeze: attempt(() => Object.freeze(ns)),
            preventExtensions: attempt(() => Object.preventExtensions(ns)),
            setPrototype: attempt(() => Object.setPrototypeOf(ns, {})),
            setPrototypeNull: Reflect.setPrototypeOf(ns, null),
            has: ["alpha" in ns, "missing" in ns],
            live: (ns.bump(), ns.alpha),
          };
        }`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.initialReport.errors).toEqual([]);
    expect(runtime.exports("main.js").facts!.invoke().toHost()).toEqual({
      keys: ["alpha", "bump", "default", "zeta", "Symbol(Symbol.toStringTag)"],
      extensible: false,
      proto: null,
      tag: "[object Module]",
      descriptor: [2, true, true, false],
      set: "TypeError",
      add: "TypeError",
      remove: "TypeError",
      removeMissing: "ok",
      redefine: false,
      defineSame: true,
      freeze: "TypeError",
      preventExtensions: "ok",
      setPrototype: "TypeError",
      setPrototypeNull: true,
      has: [true, false],
      live: 3,
    });
  });

  it("is one object per file for every importer, also after a reload that keeps the exported names", async () => {
    const folder = await scriptsFolder({
      "lib.js": `export const value = 1;`,
      "one.js": `import * as ns from "./lib.js"; export const held = ns;`,
      "two.js": `import * as ns from "./lib.js"; import { held } from "./one.js"; export function same() { return ns === held; } export function read() { return held.value; }`,
    });
    const runtime = await runtimeFor(folder);
    expect(runtime.exports("two.js").same!.invoke().toHost()).toBe(true);
    await folder.write("lib.js", `export const value = 2;`);
    expect((await runtime.reload(["lib.js"])).errors).toEqual([]);
    expect(runtime.exports("two.js").read!.invoke().toHost()).toBe(2);
    expect(runtime.exports("two.js").same!.invoke().toHost()).toBe(true);
  });
});

describe("ES modules: thrown values", () => {
  it("an object of a class that is no Error is reported with its class name", async () => {
    const errors = await loadErrors({ "a.js": `function Test262Error(message) { this.message = message; }\nthrow new Test262Error("boom");` });
    expect(errors).toEqual(["a.js: Test262Error: boom"]);
  });
});

describe("ES modules: an importer that no longer links when an export goes", () => {
  it("keeps its running version and is listed in failures(); the edit that removed the export applies", async () => {
    const folder = await scriptsFolder({
      "a.js": `export class Ghost {}`,
      "b.js": `import { Ghost } from "./a.js"; export const held = Ghost; export function name() { return held.name; }`,
    });
    const runtime = await runtimeFor(folder);
    await folder.write("a.js", `export class Spirit {}`);
    const report = await runtime.reload(["a.js"]);
    expect(report.errors).toEqual([]);
    expect(report.retired.map((retired) => retired.name)).toEqual(["Ghost"]);
    expect(report.warnings).toEqual([expect.stringMatching(/^b\.js was not re-run: syntax error: imports 'Ghost' of a\.js, which does not export it/)]);
    expect(runtime.failures()).toEqual([expect.objectContaining({ file: "b.js", running: true })]);
    expect(runtime.exports("b.js").name!.invoke().toHost()).toBe("Ghost");
    await folder.write("b.js", `import { Spirit } from "./a.js"; export const held = Spirit; export function name() { return held.name; }`);
    expect((await runtime.reload(["b.js"])).errors).toEqual([]);
    expect(runtime.failures()).toEqual([]);
    expect(runtime.exports("b.js").name!.invoke().toHost()).toBe("Spirit");
  });
});

describe("ES modules: evaluation order", () => {
  it("a file's imports evaluate in the order it imports them, not in path order", async () => {
    const ran: string[] = [];
    const folder = await scriptsFolder({
      "a.js": `import { log } from "host"; log("a");`,
      "m.js": `import { log } from "host"; import "./z.js"; import "./a.js"; log("m");`,
      "z.js": `import { log } from "host"; import "./y.js"; log("z");`,
      "y.js": `import { log } from "host"; log("y");`,
    });
    const runtime = await runtimeFor(folder, { host: { log: (line: unknown) => ran.push(String(line)) } });
    expect(runtime.initialReport.errors).toEqual([]);
    expect(ran).toEqual(["y", "z", "a", "m"]);
  });
});
