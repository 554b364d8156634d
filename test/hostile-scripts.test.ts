import { describe, expect, it } from "vitest";
import { ScriptError, type ReloadError } from "../host-api/index.js";
import { checkNesting, MAX_BRACKET_DEPTH, MAX_NESTING } from "../runtime/compile/nesting.js";
import { CompileError } from "../runtime/compile/errors.js";
import { runtimeFor, scriptsFolder } from "./helpers.js";

const WORKING = `export class Box { hello() { return "ok"; } }`;

/** Each makes `depth` levels of one kind of nesting, as a whole script. */
const NESTINGS: Record<string, (depth: number) => string> = {
  arrays: (depth) => `export const x = ${"[".repeat(depth)}${"]".repeat(depth)};`,
  objects: (depth) => `export const x = ${"{a:".repeat(depth)}1${"}".repeat(depth)};`,
  arrows: (depth) => `export const x = ${"(()=>".repeat(depth)}1${")".repeat(depth)};`,
  templates: (depth) => `export const x = ${"`${".repeat(depth)}1${"}`".repeat(depth)};`,
  parentheses: (depth) => `export const x = ${"(".repeat(depth)}1${")".repeat(depth)};`,
  negations: (depth) => `export const x = ${"!".repeat(depth)}1;`,
  conditionals: (depth) => `export const x = ${"1?".repeat(depth)}1${":1".repeat(depth)};`,
  "if statements": (depth) => `${"if (1)\n".repeat(depth)};\nexport const x = 1;`,
  "else if chains": (depth) => `let y = 0;\nif (y) y = 1;\n${"else if (y) y = 1;\n".repeat(depth / 2)}export const x = y;`,
  "generic types": (depth) => `export const x: ${"Array<".repeat(depth)}number${">".repeat(depth)} = [];`,
  "member chains": (depth) => `const a: any = {};\nexport const x = () => a${"\n  .b".repeat(depth)};`,
};

async function reloadWith(source: string) {
  const folder = await scriptsFolder({ "box.ts": WORKING });
  const runtime = await runtimeFor(folder, { timeout: 300 });
  const box = runtime.getClass("box.ts", "Box").new();
  await folder.write("box.ts", source);
  const report = await runtime.reload(["box.ts"]);
  expect(box.call("hello").toHost()).toBe("ok");
  return { report, runtime, folder };
}

describe("item 1: deeply nested saves are refused before any parser sees them", () => {
  // Before the nesting scan, each of these killed Node (SIGSEGV in oxc-parser's parseSync
  // or oxc-transform) or overflowed V8's stack inside QuickJS's parser.
  for (const [kind, make] of Object.entries(NESTINGS)) {
    it(`${kind}, 100,000 levels: a clear error at file:line:col, the old version keeps running`, async () => {
      const { report } = await reloadWith(make(100_000));
      expect(report.ok).toBe(false);
      const error = report.errors[0]!;
      expect(error.message).toMatch(/^nested too deeply: /);
      expect(error.position?.file).toBe("box.ts");
      expect(error.text).toMatch(/^box\.ts:\d+:\d+: nested too deeply/);
      expect(error.text).toContain("split the expression or data into smaller parts");
    });
  }

  it("runtime.evaluate() refuses deeply nested code the same way", async () => {
    const folder = await scriptsFolder({ "box.ts": WORKING });
    const runtime = await runtimeFor(folder);
    for (const make of [NESTINGS.arrays!, NESTINGS.negations!, NESTINGS.conditionals!]) {
      const code = make(50_000).replace(/^export const x = /, "");
      expect(() => runtime.evaluate("box.ts", code)).toThrow(/nested too deeply/);
    }
    expect(runtime.evaluate("box.ts", "[[1]].length").toHost()).toBe(1);
  });

  it("a deeply nested file present at start-up is reported, and the others load", async () => {
    const folder = await scriptsFolder({ "deep.ts": NESTINGS.arrays!(20_000), "box.ts": WORKING });
    const runtime = await runtimeFor(folder);
    expect(runtime.files()).toEqual(["box.ts"]);
    expect(runtime.failures()[0]).toMatchObject({ file: "deep.ts", position: { file: "deep.ts", line: 1 } });
    expect(runtime.failures()[0]!.message).toMatch(/more than 256 levels of brackets/);
  });

  it("nesting just inside the limits loads, runs and reloads (the limits keep every parser and QuickJS safe)", async () => {
    const brackets = MAX_BRACKET_DEPTH - 2;
    const folder = await scriptsFolder({
      "arrays.ts": `export function depth() { let x: any = ${"[".repeat(brackets)}${"]".repeat(brackets)}; let n = 0; while (Array.isArray(x) && x.length) { x = x[0]; n++; } return n; }`,
      "arrows.ts": `export const run = () => ${"(()=>".repeat(brackets - 1)}7${")()".repeat(brackets - 1)};`,
      "negations.ts": `export const yes = ${"!".repeat(MAX_NESTING - 11)}0;`,
      "chain.ts": `export const sum = 0${" + 1".repeat(1900)};`,
    });
    const runtime = await runtimeFor(folder, { timeout: 2000 });
    expect(runtime.failures()).toEqual([]);
    expect(runtime.exports("arrays.ts").depth!.invoke().toHost()).toBe(brackets - 1);
    expect(runtime.exports("arrows.ts").run!.invoke().toHost()).toBe(7);
    expect(runtime.exports("negations.ts").yes!.toHost()).toBe(true);
    expect(runtime.exports("chain.ts").sum!.toHost()).toBe(1900);
    const report = await runtime.reload(["arrays.ts", "arrows.ts", "negations.ts", "chain.ts"]);
    expect(report.errors).toEqual([]);
  });
});

describe("the nesting scan reads code as the grammar does", () => {
  const accepts = (source: string): void => expect(() => checkNesting("a.ts", source)).not.toThrow();
  const refuses = (source: string): CompileError => {
    try {
      checkNesting("a.ts", source);
    } catch (error) {
      expect(error).toBeInstanceOf(CompileError);
      return error as CompileError;
    }
    throw new Error("expected the nesting scan to refuse the source");
  };

  it("brackets inside strings, comments, regular expressions and template text do not count", () => {
    const many = 2000;
    accepts(`const s = "${"(".repeat(many)}";`);
    accepts(`const s = '${"[".repeat(many)}';`);
    accepts(`// ${"{".repeat(many)}\nconst x = 1;`);
    accepts(`/* ${"(".repeat(many)} */ const x = 1;`);
    accepts(`const r = /${"\\(".repeat(many)}/g;`);
    accepts(`const r = /[${"(".repeat(many)}]/;`);
    accepts(`const t = \`${"(".repeat(many)}\${1}${"[".repeat(many)}\`;`);
    accepts(`if (x) /${"\\[".repeat(many)}/.test(y);`);
    accepts(`const o = { a: 1 } / 2; const r = x ? /${"\\(".repeat(many)}/ : 0;`);
  });

  it("the same brackets as code count, wherever a parser would see them", () => {
    const deep = `${"[".repeat(400)}${"]".repeat(400)}`;
    expect(refuses(`const a = 4 / ${deep} / 2;`).message).toMatch(/brackets/);
    expect(refuses(`const a = {} / ${deep} / 2;`).message).toMatch(/brackets/);
    expect(refuses(`const a = (1) / ${deep} / 2;`).message).toMatch(/brackets/);
    expect(refuses(`const t = \`\${${deep}}\`;`).message).toMatch(/brackets/);
    expect(refuses(`const t = \`\${\`\${\`\${${deep}}\`}\`}\`;`).message).toMatch(/brackets/);
  });

  it("statements end at automatic semicolons, so long files of short statements are fine", () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `const v${i} = a.b(c) + d\nv${i}.x = !v${i}.y`).join("\n");
    accepts(lines);
    const members = Array.from({ length: 5000 }, (_, i) => `  m${i}(): number { return this.v + ${i} }\n  f${i}: string = "x"`).join("\n");
    accepts(`class Big {\n${members}\n}`);
  });

  it("a line break does not hide nesting that the grammar continues", () => {
    expect(refuses(`const x = a\n${"+ a\n".repeat(20_000)};`).message).toMatch(/levels deep/);
    expect(refuses(`const x =\n${"!\n".repeat(2000)}a;`).message).toMatch(/levels deep/);
    expect(refuses(`${"if (a)\n".repeat(2000)};`).message).toMatch(/levels deep/);
    expect(refuses(`${"for await (const a of b)\n".repeat(2000)};`).message).toMatch(/levels deep/);
    expect(refuses(`${"label: ".repeat(2000)};`).message).toMatch(/levels deep/);
  });

  it("names the position where the limit is crossed", () => {
    const error = refuses(`const a = 1;\nconst b = ${"(".repeat(300)}1${")".repeat(300)};`);
    expect(error.position).toEqual({ file: "a.ts", line: 2, column: 11 + MAX_BRACKET_DEPTH });
  });
});

describe("item 2: a stack overflow inside the VM leaves no trace", () => {
  const DEEP = `export class Deep {
  depth(n: number): number { return n <= 0 ? 0 : 1 + this.depth(n - 1); }
  parse(kind: string, n: number): unknown {
    const code = "[".repeat(n) + "]".repeat(n);
    if (kind === "eval") return (0, eval)(code);
    if (kind === "Function") return new Function("return " + code)();
    if (kind === "JSON") return JSON.parse(code);
    let a: unknown[] = [];
    for (let i = 0; i < n; i++) a = [a];
    return JSON.stringify(a).length;
  }
}`;

  it("code that overflows V8's stack from inside QuickJS fails clearly, again and again, and ordinary recursion keeps working in every runtime", async () => {
    const folder = await scriptsFolder({ "deep.ts": DEEP });
    const first = await runtimeFor(folder, { timeout: 2000 });
    const second = await runtimeFor(folder, { timeout: 2000 });
    const deep = first.getClass("deep.ts", "Deep").new();
    expect(deep.call("depth", 250).toHost()).toBe(250);
    for (let round = 0; round < 12; round++) {
      for (const kind of ["eval", "Function", "JSON", "stringify"]) {
        let thrown: unknown;
        try {
          deep.call("parse", kind, 50_000);
        } catch (error) {
          thrown = error;
        }
        // Before: a raw RangeError from inside the WASM, and the emscripten stack pointer
        // left where the overflow unwound it, until every call failed with "stack overflow".
        expect(thrown).toBeInstanceOf(ScriptError);
        expect((thrown as ScriptError).message).toMatch(/stack overflow/);
      }
    }
    expect(deep.call("depth", 250).toHost()).toBe(250);
    expect(second.getClass("deep.ts", "Deep").new().call("depth", 250).toHost()).toBe(250);
    const report = await first.reload(["deep.ts"]);
    expect(report.errors).toEqual([]);
    first.dispose();
    expect(second.getClass("deep.ts", "Deep").new().call("depth", 250).toHost()).toBe(250);
    const third = await runtimeFor(folder, { timeout: 2000 });
    expect(third.getClass("deep.ts", "Deep").new().call("depth", 250).toHost()).toBe(250);
  });

  it("unbounded recursion is QuickJS's own RangeError, with the script's line", async () => {
    const folder = await scriptsFolder({ "deep.ts": DEEP });
    const runtime = await runtimeFor(folder);
    const deep = runtime.getClass("deep.ts", "Deep").new();
    expect(() => deep.call("depth", 1e9)).toThrow(/stack overflow at deep\.ts:2:/);
    expect(deep.call("depth", 250).toHost()).toBe(250);
  });
});

describe("item 7: a promise chain that reschedules itself", () => {
  const CHAINS: Record<string, string> = {
    // The timeout rejects the job it stops; this chain carries on through rejections.
    "one that survives the timeout": `export let spins = 0;
export function start() {
  const again = (): void => { Promise.resolve().then(() => { spins++; }).finally(again); };
  again();
  return "started";
}
export const ping = () => "pong";`,
    "a plain one": `export let spins = 0;
export function start() {
  const again = (): Promise<void> => Promise.resolve().then(() => { spins++; return again(); });
  again();
  return "started";
}
export const ping = () => "pong";`,
    "an async loop that fans out": `export let spins = 0;
async function spin(): Promise<void> { for (;;) { spins++; await null; if (spins % 1000 === 0) void spin(); } }
export function start() { void spin(); return "started"; }
export const ping = () => "pong";`,
  };
  for (const [kind, source] of Object.entries(CHAINS)) {
    it(`${kind}: stopped at the timeout, reported once on 'error' with its file, and no later call runs it`, async () => {
      const folder = await scriptsFolder({ "loop.ts": source });
      const runtime = await runtimeFor(folder, { timeout: 200 });
      const errors: ReloadError[] = [];
      runtime.on("error", (error) => errors.push(error));
      const exports = runtime.exports("loop.ts");
      expect(exports.start!.invoke().toHost()).toBe("started");
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(/a promise job .* ran longer than the timeout of 200 ms and was stopped/);
      expect(errors[0]!.file).toBe("loop.ts");
      expect(errors[0]!.text).toMatch(/^loop\.ts\b/);
      const spinsAfterStop = runtime.exports("loop.ts").spins!.toHost() as number;
      expect(spinsAfterStop).toBeGreaterThan(0);
      // Before: every later call ran the chain again for a whole timeout, silently.
      for (let i = 0; i < 5; i++) expect(exports.ping!.invoke().toHost()).toBe("pong");
      expect(runtime.exports("loop.ts").spins!.toHost()).toBe(spinsAfterStop);
      expect(errors).toHaveLength(1);
    });
  }
});

describe("graft's kernel realm: scripts cannot run code in it", () => {
  it("a host function's constructor (and its prototype's, and Reflect.construct of it) refuses to compile code there; reloads and calls keep working", async () => {
    const probe = `import { hostFn } from "host";
const attempts: [string, () => unknown][] = [
  ["constructor", () => (hostFn as any).constructor("return this")()],
  ["prototype's constructor", () => Object.getPrototypeOf(hostFn).constructor("return this")()],
  ["Reflect.construct", () => Reflect.construct((hostFn as any).constructor, ["return globalThis"])()],
  ["constructor of the constructor", () => (hostFn as any).constructor.constructor("return this")()],
];
export function probe(): string[] {
  return attempts.map(([name, attempt]) => {
    try {
      const kernelGlobal = attempt() as any;
      Object.defineProperty(kernelGlobal, "JSON", { value: { stringify: () => "[]", parse: () => ({}) } });
      return name + ": reached";
    } catch (error) {
      return name + ": " + String(error);
    }
  });
}
export function own(): boolean { return Function("return this")() === globalThis; }
export class Keep { hi() { return "hi"; } }`;
    const folder = await scriptsFolder({ "probe.ts": probe });
    const runtime = await runtimeFor(folder, { host: { hostFn: () => 1 } });
    const answers = runtime.exports("probe.ts").probe!.invoke().toHost() as string[];
    expect(answers).toHaveLength(4);
    for (const answer of answers) expect(answer).toMatch(/^[^:]+: TypeError: graft: code cannot be compiled from a string in graft's kernel realm/);
    // The script's own realm still compiles code.
    expect(runtime.exports("probe.ts").own!.invoke().toHost()).toBe(true);
    await folder.write("probe.ts", probe.replace(`"hi"`, `"hello"`));
    const report = await runtime.reload(["probe.ts"]);
    expect(report.errors).toEqual([]);
    expect(runtime.getClass("probe.ts", "Keep").new().call("hi").toHost()).toBe("hello");
    runtime.dispose();
  });
});
