import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRuntime, type GraftRuntime, type ScriptClass, type ScriptValue } from "../host-api/index.js";
import { scriptsFolder, type ScriptsFolder } from "./helpers.js";

/**
 * Issue 8: no sequence of host calls, reloads, async work, heap queries, memory growth and
 * dispose aborts the process, and the answers stay right all along. A small model of the
 * world is the oracle: which classes are defined (findSubclasses), what each held instance
 * answers (its class's current code, or its last code once retired), and which retired
 * classes leaks() must report (exactly those the host still holds).
 */

type Variant = { kind: "class"; n: number } | { kind: "none" } | { kind: "syntax" } | { kind: "throws" };
type FileName = "a.ts" | "b.ts";
const FILES: FileName[] = ["a.ts", "b.ts"];
const CLASS_OF: Record<FileName, string> = { "a.ts": "A", "b.ts": "B" };

function source(file: FileName, variant: Variant): string {
  const name = CLASS_OF[file];
  switch (variant.kind) {
    case "class":
      return `import { Base } from "./base";\nexport class ${name} extends Base {\n  value(): string { return "${name}${variant.n}"; }\n}\n`;
    case "none":
      return `export const nothing = 1;\n`;
    case "syntax":
      return `export class ${name} {\n  value( { return 1; }\n}\n`;
    case "throws":
      return `throw new Error("top-level failure in ${file}");\nexport class ${name} {}\n`;
  }
}

const SUPPORT = {
  "base.ts": `export class Base { kind(): string { return "base"; } }\n`,
  "slow.ts": [
    `import { later } from "host";`,
    `export async function echo(value: number): Promise<number> { const got = await later(value); return got * 2; }`,
    `const kept: ArrayBuffer[] = [];`,
    `export function grow(megabytes: number): number { kept.push(new ArrayBuffer(megabytes * 1024 * 1024)); return kept.length; }`,
  ].join("\n"),
};

type Op =
  | { op: "reload"; file: FileName; variant: Variant }
  | { op: "construct"; file: FileName }
  | { op: "call"; index: number }
  | { op: "drop"; index: number }
  | { op: "holdClass"; file: FileName }
  | { op: "async"; value: number }
  | { op: "tick" }
  | { op: "gc" }
  | { op: "subclasses" }
  | { op: "instances"; file: FileName }
  | { op: "leaks" }
  | { op: "snapshot" }
  | { op: "grow" };

const variant: fc.Arbitrary<Variant> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 99 }).map((n): Variant => ({ kind: "class", n })) },
  { weight: 2, arbitrary: fc.constant<Variant>({ kind: "none" }) },
  { weight: 1, arbitrary: fc.constant<Variant>({ kind: "syntax" }) },
  { weight: 1, arbitrary: fc.constant<Variant>({ kind: "throws" }) },
);
const file = fc.constantFrom<FileName>(...FILES);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("reload" as const), file, variant }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("construct" as const), file }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("call" as const), index: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("drop" as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("holdClass" as const), file }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("async" as const), value: fc.integer({ min: 0, max: 1000 }) }) },
  { weight: 2, arbitrary: fc.constant({ op: "tick" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "gc" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "subclasses" as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("instances" as const), file }) },
  { weight: 1, arbitrary: fc.constant({ op: "leaks" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "snapshot" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "grow" as const }) },
);

/** One class identity graft created: its file, the version number of its last code, and that code's answer. */
interface ModelClass {
  id: number;
  file: FileName;
  answer: string;
  version: number;
  retired: boolean;
}

interface Held {
  value: ScriptValue;
  cls: ModelClass;
  isClass: boolean;
}

class World {
  private nextId = 1;
  current: Partial<Record<FileName, ModelClass>> = {};
  held: Held[] = [];
  pending: { promise: Promise<unknown>; expected: number }[] = [];
  grown = 0;

  constructor(
    readonly runtime: GraftRuntime,
    readonly folder: ScriptsFolder,
  ) {
    this.current["a.ts"] = { id: this.nextId++, file: "a.ts", answer: "A0", version: 1, retired: false };
  }

  async apply(step: Op): Promise<void> {
    const runtime = this.runtime;
    switch (step.op) {
      case "reload": {
        await this.folder.write(step.file, source(step.file, step.variant));
        const report = await runtime.reload([step.file]);
        const before = this.current[step.file];
        if (step.variant.kind === "syntax" || step.variant.kind === "throws") {
          expect(report.ok).toBe(false);
          expect(report.errors[0]?.file).toBe(step.file);
          return; // nothing of the running version changes (R3)
        }
        expect(report.errors).toEqual([]);
        if (step.variant.kind === "none") {
          if (before) before.retired = true;
          delete this.current[step.file];
          expect(report.retired.map((retired) => retired.name)).toEqual(before ? [CLASS_OF[step.file]] : []);
          return;
        }
        const answer = `${CLASS_OF[step.file]}${step.variant.n}`;
        if (before) {
          before.answer = answer;
          before.version++;
        } else {
          this.current[step.file] = { id: this.nextId++, file: step.file, answer, version: 1, retired: false };
        }
        return;
      }
      case "construct": {
        const cls = this.current[step.file];
        if (!cls) {
          expect(() => runtime.getClass(step.file, CLASS_OF[step.file])).toThrow(/defines no top-level class|is not loaded|no script/);
          return;
        }
        const klass = runtime.getClass(step.file, CLASS_OF[step.file]);
        this.held.push({ value: klass.new(), cls, isClass: false });
        klass.dispose();
        return;
      }
      case "holdClass": {
        const cls = this.current[step.file];
        if (!cls) return;
        this.held.push({ value: runtime.getClass(step.file, CLASS_OF[step.file]), cls, isClass: true });
        return;
      }
      case "call": {
        if (this.held.length === 0) return;
        const held = this.held[step.index % this.held.length]!;
        if (held.isClass) {
          const made = held.value.new();
          expect(made.call("value").toHost()).toBe(held.cls.answer);
          made.dispose();
        } else {
          expect(held.value.call("value").toHost()).toBe(held.cls.answer);
          expect(held.value.call("kind").toHost()).toBe("base");
        }
        return;
      }
      case "drop": {
        if (this.held.length === 0) return;
        const [held] = this.held.splice(step.index % this.held.length, 1);
        held!.value.dispose();
        return;
      }
      case "async": {
        const slow = runtime.exports("slow.ts");
        const echo = slow.echo!;
        const promise = echo.invoke(step.value);
        for (const value of Object.values(slow)) value.dispose();
        const settled = (promise as ScriptValue & { promise?: () => Promise<ScriptValue> }).promise?.();
        if (settled) this.pending.push({ promise: settled.then((value) => value.toHost()), expected: step.value * 2 });
        else promise.dispose();
        return;
      }
      case "tick": {
        // The model's step of time: lets the host's later() timers and the VM's jobs run between calls (the point of the step, not a wait for something).
        await new Promise((resolve) => setTimeout(resolve, 1));
        const done = this.pending.splice(0);
        for (const { promise, expected } of done) expect(await promise).toBe(expected);
        return;
      }
      case "gc": {
        const { before, after } = runtime.gc();
        expect(after).toBeLessThanOrEqual(before);
        return;
      }
      case "subclasses": {
        const found = runtime.findSubclasses("base.ts#Base") as ScriptClass[];
        const expected = FILES.filter((name) => this.current[name]).map((name) => CLASS_OF[name]);
        expect(found.map((cls) => cls.name)).toEqual(expected);
        for (const cls of found) cls.dispose();
        return;
      }
      case "instances": {
        const cls = this.current[step.file];
        if (!cls) return;
        const klass = runtime.getClass(step.file, CLASS_OF[step.file]);
        const instances = runtime.findInstances(klass);
        const mine = this.held.filter((held) => !held.isClass && held.cls === cls);
        // The host is the only holder of instances: findInstances finds exactly those, and no prototypes.
        expect(instances).toHaveLength(mine.length);
        for (const held of mine) expect(instances.some((instance) => instance.isSame(held.value))).toBe(true);
        for (const instance of instances) instance.dispose();
        klass.dispose();
        return;
      }
      case "leaks": {
        const leaks = runtime.leaks();
        const heldRetired = new Set(this.held.filter((held) => held.cls.retired).map((held) => `${held.cls.file} v${held.cls.version}`));
        const reported = new Set(leaks.filter((leak) => leak.retired).map((leak) => `${leak.file} v${leak.version}`));
        expect([...reported].sort()).toEqual([...heldRetired].sort());
        return;
      }
      case "snapshot": {
        const graph = runtime.heap.snapshot();
        expect(graph.nodes.length).toBeGreaterThan(100);
        return;
      }
      case "grow": {
        if (this.grown >= 3) return;
        this.grown++;
        const slow = runtime.exports("slow.ts");
        expect(slow.grow!.invoke(24).toHost()).toBe(this.grown);
        for (const value of Object.values(slow)) value.dispose();
        return;
      }
    }
  }
}

describe("any interleaving of host calls, reloads, async work, heap queries and dispose", () => {
  it("never aborts the process, and every answer matches the model", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), fc.boolean(), async (ops, disposeMidway) => {
        const folder = await scriptsFolder({ ...SUPPORT, "a.ts": source("a.ts", { kind: "class", n: 0 }), "b.ts": source("b.ts", { kind: "none" }) });
        const runtime = await createRuntime({
          scripts: folder.root,
          timeout: 10_000,
          host: { later: (value: unknown) => new Promise((resolve) => setTimeout(() => resolve(value), 0)) },
        });
        const world = new World(runtime, folder);
        world.current["a.ts"]!.answer = "A0";
        const stopAt = disposeMidway ? Math.floor(ops.length / 2) : ops.length;
        try {
          for (const step of ops.slice(0, stopAt)) await world.apply(step);
        } finally {
          // Dispose with whatever is in flight: held values, pending host promises, queued jobs.
          runtime.dispose();
        }
        for (const held of world.held) expect(() => held.value.call("value")).toThrow(/disposed/);
        for (const { promise } of world.pending) await promise.then(() => undefined, (error: unknown) => expect(String(error)).toMatch(/disposed/));
        // The host's own later() promises settle after dispose; nothing may run in the VM then.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }),
      { numRuns: 25 },
    );
  });
});
