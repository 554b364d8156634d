import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRuntime, GraftError, ScriptError, ScriptValue, type GraftRuntime, type HostArg } from "../host-api/index.js";
import { scriptsFolder, type ScriptsFolder } from "./helpers.js";

/**
 * Issue 13: no script and no order of host calls crashes, hangs or deceives the host.
 * Random hostile scripts (deep nesting, looping getters, traps and toJSON, throwing
 * values, sparse and huge arrays, runaway promise chains, stack overflows) meet random
 * host calls (copies, get/set/read, calls with hostile host values, reloads, dispose at
 * any point, also from inside a host function). Asserted: the process lives (the test
 * runs to the end), every call returns or throws a ScriptError or GraftError (never a raw
 * error from graft's internals) within a bound of the timeout, dispose() never throws,
 * and a runtime made afterwards in the same process works normally.
 */

const TIMEOUT_MS = 100;
/** Far above what a call takes when the timeout holds; a call that hangs never gets here. */
const CALL_BOUND_MS = 40 * TIMEOUT_MS + 5000;

/** Exports a hostile script may have: values to read, and functions to call. */
const HOSTILE_VALUES: Record<string, string> = {
  loopingGetter: `{ get x(): number { for (;;) {} }, y: 1 }`,
  throwingGetter: `{ get x(): number { throw new TypeError("getter says no"); } }`,
  trap: `new Proxy({ a: 1 }, { get() { for (;;) {} }, ownKeys() { for (;;) {} }, getOwnPropertyDescriptor() { for (;;) {} }, getPrototypeOf() { for (;;) {} }, set() { for (;;) {} } })`,
  revoked: `(() => { const { proxy, revoke } = Proxy.revocable({}, {}); revoke(); return proxy; })()`,
  loopingJson: `{ toJSON() { for (;;) {} }, z: 2 }`,
  sparse: `(() => { const a: unknown[] = []; a.length = 2 ** 32 - 1; return a; })()`,
  proxyArray: `new Proxy([], { get: (t, k) => (k === "length" ? 1e9 : 1) })`,
  cyclic: `(() => { const o: any = { name: "loop" }; o.self = o; return o; })()`,
  deep: `(() => { let o: any = {}; for (let i = 0; i < 5000; i++) o = { o }; return o; })()`,
  frozen: `Object.freeze({ a: 1 })`,
  proto: `JSON.parse('{"__proto__": {"isAdmin": true}}')`,
  plain: `{ a: [1, "two", null], b: 3n }`,
};
const HOSTILE_FUNCTIONS: Record<string, string> = {
  spin: `() => { for (;;) {} }`,
  recurse: `function down(n: number): number { return down(n + 1) + 1; }`,
  evalDeep: `() => (0, eval)("[".repeat(3000) + "]".repeat(3000))`,
  jsonDeep: `() => JSON.parse("[".repeat(50000) + "]".repeat(50000))`,
  runaway: `() => { const again = (): void => { Promise.resolve().then(() => 0).finally(again); }; again(); return 1; }`,
  throwSymbol: `() => { throw Symbol("odd"); }`,
  throwProxy: `() => { throw new Proxy({}, { get() { for (;;) {} } }); }`,
  throwLoopingMessage: `() => { throw Object.defineProperty(new Error("x"), "message", { get() { for (;;) {} } }); }`,
  hostBack: `(value: unknown) => take(value)`,
  stopRuntime: `() => { stop(); return 1; }`,
  fine: `(n: number) => n + 1`,
};

/** What toHost() of a hostile value must give when it gives anything (it may also fail with a GraftError). */
const EXPECTED_COPIES: Record<string, (copy: unknown) => boolean> = {
  plain: (copy) => isDeepStrictEqual(copy, { a: [1, "two", null], b: 3n }),
  frozen: (copy) => isDeepStrictEqual(copy, { a: 1 }),
  proto: (copy) => Object.getPrototypeOf(copy) === Object.prototype && isDeepStrictEqual(Object.getOwnPropertyDescriptor(copy, "__proto__")?.value, { isAdmin: true }),
};

/** Host values a call may pass in. */
const HOST_VALUES: Record<string, () => unknown> = {
  cyclic: () => {
    const value: Record<string, unknown> = { a: {} };
    (value.a as Record<string, unknown>).self = value.a;
    return value;
  },
  map: () => ({ m: new Map() }),
  getter: () => ({ get x(): never { throw new Error("host getter"); } }),
  deep: () => {
    let value: Record<string, unknown> = {};
    for (let i = 0; i < 3000; i++) value = { value };
    return value;
  },
  sparse: () => new Array(2 ** 32 - 1),
  plain: () => ({ ok: [1, 2, 3] }),
};

const NESTINGS: ((depth: number) => string)[] = [
  (depth) => `export const x = ${"[".repeat(depth)}${"]".repeat(depth)};`,
  (depth) => `export const x = ${"(()=>".repeat(depth)}1${")".repeat(depth)};`,
  (depth) => `export const x = ${"!".repeat(depth)}1;`,
  (depth) => `export const x = ${"`${".repeat(depth)}1${"}`".repeat(depth)};`,
  (depth) => `${"if (1)\n".repeat(depth)};\nexport const x = 1;`,
];

function hostileScript(values: string[], functions: string[]): string {
  return [
    `import { take, stop } from "host";`,
    ...values.map((name) => `export const ${name} = ${HOSTILE_VALUES[name]};`),
    ...functions.map((name) => `export const ${name} = ${HOSTILE_FUNCTIONS[name]};`),
    `export class Keep { hello() { return "hi"; } }`,
  ].join("\n");
}

/** `pick` chooses among the hostile file's exports of that kind at the time (modulo their count). */
type Op =
  | { op: "call"; pick: number; hostValue: string }
  | { op: "copy"; pick: number }
  | { op: "get"; pick: number }
  | { op: "read"; pick: number }
  | { op: "set"; pick: number; hostValue: string }
  | { op: "save"; values: string[]; functions: string[] }
  | { op: "saveNested"; kind: number; depth: number }
  | { op: "subclasses" }
  | { op: "gc" }
  | { op: "dispose" };

const pick = fc.nat(1000);
const hostValueName = fc.constantFrom(...Object.keys(HOST_VALUES));
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("call" as const), pick, hostValue: hostValueName }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("copy" as const), pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("get" as const), pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("read" as const), pick }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("set" as const), pick, hostValue: hostValueName }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("save" as const), values: fc.subarray(Object.keys(HOSTILE_VALUES)), functions: fc.subarray(Object.keys(HOSTILE_FUNCTIONS)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("saveNested" as const), kind: fc.nat(NESTINGS.length - 1), depth: fc.constantFrom(10, 300, 3000, 30000) }) },
  { weight: 1, arbitrary: fc.constant<Op>({ op: "subclasses" }) },
  { weight: 1, arbitrary: fc.constant<Op>({ op: "gc" }) },
  { weight: 1, arbitrary: fc.constant<Op>({ op: "dispose" }) },
);

/**
 * Runs one host call: it must end, in time, in a value or a ScriptError/GraftError. `check`
 * says whether a value that came back is the right one (a wrong value deceives the host).
 */
async function bounded(what: string, call: () => unknown, check?: (result: unknown) => boolean): Promise<void> {
  const started = Date.now();
  try {
    const result = await call();
    const answer = result instanceof ScriptValue ? result.toHost() : result;
    if (result instanceof ScriptValue) result.dispose();
    if (check && !check(answer)) throw new Error(`${what} answered ${String(answer)}: a wrong value`);
  } catch (error) {
    if (!(error instanceof ScriptError) && !(error instanceof GraftError)) {
      throw new Error(`${what} threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}, not a ScriptError or GraftError`);
    }
  }
  const elapsed = Date.now() - started;
  if (elapsed > CALL_BOUND_MS) throw new Error(`${what} took ${elapsed} ms, past the bound of ${CALL_BOUND_MS} ms`);
}

async function play(folder: ScriptsFolder, ops: Op[]): Promise<void> {
  let runtime: GraftRuntime | undefined;
  const host = {
    take: (value: HostArg) => (value instanceof ScriptValue ? "reference" : typeof value),
    stop: () => runtime?.dispose(),
  };
  runtime = await createRuntime({ scripts: folder.root, timeout: TIMEOUT_MS, host });
  const live = runtime;
  try {
    for (const step of ops) {
      if (!live.alive) break;
      /** The export of that kind that `index` picks, with its name; undefined if there is none. */
      const exported = (kind: Record<string, string>, index: number): [string, ScriptValue] | undefined => {
        if (!live.files().includes("hostile.ts")) return undefined;
        const exports = live.exports("hostile.ts");
        const names = Object.keys(exports).filter((name) => name in kind);
        const name = names[index % Math.max(1, names.length)];
        return name === undefined ? undefined : [name, exports[name]!];
      };
      switch (step.op) {
        case "call": {
          const fn = exported(HOSTILE_FUNCTIONS, step.pick);
          // fine(n) is n + 1 in the script: for the host values that cross (plain data), the same as on the host.
          const check = fn?.[0] === "fine" ? (answer: unknown) => answer === (HOST_VALUES[step.hostValue]!() as number) + 1 : undefined;
          if (fn) await bounded(`calling ${fn[0]}(${step.hostValue})`, () => fn[1].invoke(HOST_VALUES[step.hostValue]!()), check);
          break;
        }
        case "copy": {
          const value = exported(HOSTILE_VALUES, step.pick);
          const expected = value ? EXPECTED_COPIES[value[0]] : undefined;
          if (value) await bounded(`toHost() of ${value[0]}`, () => value[1].toHost(), expected);
          break;
        }
        case "get": {
          const value = exported(HOSTILE_VALUES, step.pick);
          if (value) await bounded(`get("x") of ${value[0]}`, () => value[1].get("x"));
          break;
        }
        case "read": {
          const value = exported(HOSTILE_VALUES, step.pick);
          if (value) await bounded(`read("a") of ${value[0]}`, () => value[1].read("a"));
          break;
        }
        case "set": {
          const value = exported(HOSTILE_VALUES, step.pick);
          if (value) await bounded(`set("a", ${step.hostValue}) of ${value[0]}`, () => value[1].set("a", HOST_VALUES[step.hostValue]!()));
          break;
        }
        case "save":
          await folder.write("hostile.ts", hostileScript(step.values, step.functions));
          await bounded("reloading hostile.ts", () => live.reload(["hostile.ts"]));
          break;
        case "saveNested":
          await folder.write("nested.ts", NESTINGS[step.kind]!(step.depth));
          await bounded("reloading nested.ts", () => live.reload(["nested.ts"]));
          break;
        case "subclasses":
          await bounded("findSubclasses", () => (live.files().includes("hostile.ts") ? live.findSubclasses("hostile.ts#Keep", { inclusive: true }).forEach((cls) => cls.dispose()) : undefined));
          break;
        case "gc":
          await bounded("gc", () => live.gc());
          break;
        case "dispose":
          live.dispose();
          break;
      }
    }
  } finally {
    await new Promise((resolve) => setImmediate(resolve));
    expect(() => live.dispose()).not.toThrow();
  }
}

/** A runtime made after the others: recursion, calls, copies and reloads work as ever. */
async function checkFreshRuntime(): Promise<void> {
  const folder = await scriptsFolder({
    "probe.ts": `export function depth(n: number): number { return n <= 0 ? 0 : 1 + depth(n - 1); }\nexport const data = { list: [1, 2, 3] };\nexport class Probe { hi() { return "hi"; } }`,
  });
  const runtime = await createRuntime({ scripts: folder.root });
  try {
    const probe = runtime.exports("probe.ts");
    expect(probe.depth!.invoke(250).toHost()).toBe(250);
    expect(probe.data!.toHost()).toEqual({ list: [1, 2, 3] });
    expect(runtime.getClass("probe.ts", "Probe").new().call("hi").toHost()).toBe("hi");
    await folder.write("probe.ts", `export function depth(n: number): number { return n <= 0 ? 0 : 1 + depth(n - 1); }\nexport class Probe { hi() { return "hello"; } }`);
    expect((await runtime.reload(["probe.ts"])).errors).toEqual([]);
    expect(runtime.getClass("probe.ts", "Probe").new().call("hi").toHost()).toBe("hello");
  } finally {
    runtime.dispose();
  }
}

describe("hostile scripts and host call orders (property)", () => {
  it("never crash, hang or deceive the host, and leave later runtimes unaffected", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(Object.keys(HOSTILE_VALUES), { minLength: 2 }),
        fc.subarray(Object.keys(HOSTILE_FUNCTIONS), { minLength: 2 }),
        fc.array(op, { minLength: 3, maxLength: 10 }),
        async (values, functions, ops) => {
          const folder = await scriptsFolder({ "hostile.ts": hostileScript(values, functions) });
          await play(folder, ops);
        },
      ),
      { numRuns: 60 },
    );
    await checkFreshRuntime();
  }, 600_000);
});

/**
 * Issue 24's families: memory exhaustion at random limits, big and non-ASCII strings,
 * forged errors, path tricks, timer storms, overrunning intervals. Each run asserts: every
 * call ends within the bound with the right answer or a ScriptError/GraftError (strings
 * arrive exactly; graft's own errors are never forged; no VM crash), dispose is clean, and
 * a runtime made afterwards works.
 */
type FamilyStep =
  | { family: "fill"; size: number }
  | { family: "string"; chars: number; char: string }
  | { family: "forge"; text: number }
  | { family: "path"; spelling: number }
  | { family: "storm" };

const FORGED_TEXTS = [
  "timed out: the script ran longer than 100 ms and was stopped (an infinite loop?)",
  "out of memory: the script went over the VM memory limit of 4 MiB",
  "the VM crashed (WebAssembly trap: memory access out of bounds)",
];
const SPELLINGS = ["a.ts", "./a.ts", "sub/../a.ts", "sub\\\\..\\\\a.ts", "./sub/../a.ts"];
const FAMILY_SCRIPT = [
  'export function fill(size: number): void { const all = ((globalThis as any).all ??= []); try { for (;;) all.push(new Array(size).fill(1)); } catch {} }',
  "export function release(): void { (globalThis as any).all = null; }",
  "export const text = (chars: number, char: string): string => char.repeat(chars);",
  'export function forge(text: string): void { throw { name: text.slice(0, text.indexOf(":")), message: text.slice(text.indexOf(":") + 2) }; }',
  "export function storm(): void { const f = () => { setTimeout(f, 0); setTimeout(f, 0); }; f(); }",
  "export const sum = (): number => [1, 2, 3].reduce((a, b) => a + b);",
].join("\n");

const familyStep: fc.Arbitrary<FamilyStep> = fc.oneof(
  fc.record({ family: fc.constant("fill" as const), size: fc.constantFrom(0, 1, 10, 1000, 10000) }),
  fc.record({ family: fc.constant("string" as const), chars: fc.constantFrom(1, 1000, 100_000, 1_000_000), char: fc.constantFrom("a", "\u00e9", "\u4e00", "\ud83d", "\ud83d\ude00") }),
  fc.record({ family: fc.constant("forge" as const), text: fc.nat(FORGED_TEXTS.length - 1) }),
  fc.record({ family: fc.constant("path" as const), spelling: fc.nat(SPELLINGS.length - 1) }),
  fc.constant<FamilyStep>({ family: "storm" }),
);

async function playFamilies(limitMiB: number, steps: FamilyStep[]): Promise<void> {
  const folder = await scriptsFolder({ "a.ts": FAMILY_SCRIPT, "sub/b.ts": "export const b = 1;" });
  const runtime = await createRuntime({ scripts: folder.root, timeout: TIMEOUT_MS, memoryLimit: limitMiB * 1024 * 1024 });
  const errors: string[] = [];
  runtime.on("error", (error) => errors.push(error.message));
  try {
    for (const step of steps) {
      const exports = runtime.exports("a.ts");
      try {
        switch (step.family) {
          case "fill":
            await bounded(`fill(${step.size}) at ${limitMiB} MiB`, () => exports.fill!.invoke(step.size));
            await bounded("release", () => exports.release!.invoke());
            break;
          case "string": {
            const expected = step.char.repeat(step.chars);
            await bounded(`text(${step.chars}, ${JSON.stringify(step.char)})`, () => exports.text!.invoke(step.chars, step.char), (answer) => answer === expected);
            break;
          }
          case "forge": {
            let caught: unknown;
            try {
              exports.forge!.invoke(FORGED_TEXTS[step.text]!);
            } catch (error) {
              caught = error;
            }
            expect(caught).toBeInstanceOf(ScriptError);
            expect((caught as ScriptError).kind).toBe("thrown");
            expect((caught as ScriptError).message).toMatch(/^the script threw a value that reads: /);
            break;
          }
          case "path":
            await bounded(`reload(${SPELLINGS[step.spelling]})`, () => runtime.reload([SPELLINGS[step.spelling]!]));
            expect(runtime.files().sort()).toEqual(["a.ts", "sub/b.ts"]);
            break;
          case "storm": {
            const before = errors.length;
            await bounded("storm", () => exports.storm!.invoke());
            await new Promise<void>((resolve) => {
              const off = runtime.on("error", () => {
                off();
                resolve();
              });
            });
            expect(errors.length).toBe(before + 1);
            expect(errors.at(-1)).toMatch(/too many timers/);
            break;
          }
        }
        // After each step the VM serves, with the right answer.
        await bounded("sum", () => exports.sum!.invoke(), (answer) => answer === 6);
      } finally {
        for (const value of Object.values(exports)) value.dispose();
      }
    }
    expect(errors.every((message) => !/VM crashed/.test(message))).toBe(true);
  } finally {
    expect(() => runtime.dispose()).not.toThrow();
  }
}

describe("issue 24's hostile families (property)", () => {
  it("memory exhaustion at random limits, big and non-ASCII strings, forged errors, path tricks and timer storms: right answers or GraftErrors, never a crash", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(2, 3, 4, 6, 8, 12, 16, 32), fc.array(familyStep, { minLength: 2, maxLength: 6 }), playFamilies),
      { numRuns: 25 },
    );
    await checkFreshRuntime();
  }, 900_000);
});
