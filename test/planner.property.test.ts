import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planLoad, planReruns, planRetries, stepAction, type ChangedModule, type PlanView, type RunningModule } from "../runtime/reload/planner.js";
import type { Pending } from "../runtime/reload/failure-ledger.js";
import type { ReadOutcome } from "../runtime/files/script-files.js";
import { compileScript } from "../runtime/compile/index.js";

// The reload planner on its own (issue 18 points 1, 2 and 7): no VM, thousands of generated
// histories (edits, broken saves, deletes, restores, import cycles, batches) checked against
// a model that states the rule directly, as a least fixpoint over every running file.

const HOST = "host";
const NAMES = ["a", "b", "c"];

interface ModelFile extends RunningModule {
  dependencies: string[];
  dynamicImports: string[];
  exportNames: string[];
}

interface State {
  running: Map<string, ModelFile>;
  /** Files whose newest text failed: the text it failed with (a running file's own source: it failed as it runs). */
  failing: Map<string, string | undefined>;
}

function viewOf(state: State): PlanView {
  return {
    running: (file) => state.running.get(file),
    importersOf: (file) => [...state.running].filter(([, entry]) => entry.dependencies.includes(file) || entry.dynamicImports!.includes(file)).map(([path]) => path).sort(),
    failing: (file) => (state.failing.has(file) ? { source: state.failing.get(file) } : undefined),
  };
}

/** The rule, stated as a least fixpoint: which running files a batch re-runs, and which it orphans. */
function model(state: State, changed: ChangedModule[], removed: string[]): { reruns: Set<string>; orphans: Set<string> } {
  const edited = new Map(changed.map((module) => [module.path, module]));
  const gone = new Set(removed);
  const namesChanged = (file: string): boolean => {
    const running = state.running.get(file);
    const edit = edited.get(file);
    if (!edit) return running!.reexportsNamespaces;
    if (!running || edit.reexportsNamespaces || running.reexportsNamespaces) return true;
    return [...running.exportNames].sort().join() !== [...edit.exportNames].sort().join();
  };
  const orphans = new Set<string>();
  for (const [file, entry] of state.running) {
    if (edited.has(file) || gone.has(file)) continue;
    const lost = [...entry.dependencies, ...entry.dynamicImports].find((dependency) => gone.has(dependency));
    if (lost !== undefined) orphans.add(`${file}->${lost}`);
  }
  const orphaned = new Set([...orphans].map((pair) => pair.split("->")[0]!));
  const reruns = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const [file, entry] of state.running) {
      if (edited.has(file) || gone.has(file) || orphaned.has(file) || reruns.has(file)) continue;
      if (state.failing.has(file) && state.failing.get(file) !== entry.source) continue;
      if (entry.dependencies.some((dependency) => dependency !== HOST && !state.running.has(dependency) && !edited.has(dependency))) continue;
      const trigger = entry.dynamicImports.some((dependency) => edited.has(dependency) || reruns.has(dependency)) || entry.dependencies.some((dependency) => (edited.has(dependency) || reruns.has(dependency)) && (entry.mayReadImportsAtTopLevel || namesChanged(dependency)));
      if (trigger) {
        reruns.add(file);
        grew = true;
      }
    }
  }
  return { reruns, orphans };
}

const fileName = (index: number): string => `f${index}.ts`;

const moduleArb = (files: number) =>
  fc.record({
    dependencies: fc.uniqueArray(fc.oneof(fc.nat({ max: files - 1 }).map(fileName), fc.constant(HOST)), { maxLength: 3 }),
    dynamicImports: fc.uniqueArray(fc.nat({ max: files - 1 }).map(fileName), { maxLength: 1 }),
    exportNames: fc.subarray(NAMES),
    mayReadImportsAtTopLevel: fc.boolean(),
    reexportsNamespaces: fc.boolean().map((value) => value && Math.random() < 0.3),
    text: fc.nat({ max: 3 }),
  });

type Step =
  | { kind: "batch"; edits: { file: number; module: ReturnType<typeof moduleArbValue> }[]; removed: number[] }
  | { kind: "break"; file: number; text: number }
  | { kind: "restore"; file: number };
type ModuleValue = { dependencies: string[]; dynamicImports: string[]; exportNames: string[]; mayReadImportsAtTopLevel: boolean; reexportsNamespaces: boolean; text: number };
function moduleArbValue(): ModuleValue {
  throw new Error("type only");
}

const historyArb = fc.integer({ min: 2, max: 9 }).chain((files) =>
  fc.record({
    files: fc.constant(files),
    initial: fc.array(fc.option(moduleArb(files), { nil: undefined }), { minLength: files, maxLength: files }),
    steps: fc.array(
      fc.oneof(
        fc.record({
          kind: fc.constant("batch" as const),
          edits: fc.array(fc.record({ file: fc.nat({ max: files - 1 }), module: moduleArb(files) }), { maxLength: 3 }),
          removed: fc.uniqueArray(fc.nat({ max: files - 1 }), { maxLength: 2 }),
        }),
        fc.record({ kind: fc.constant("break" as const), file: fc.nat({ max: files - 1 }), text: fc.nat({ max: 3 }) }),
        fc.record({ kind: fc.constant("restore" as const), file: fc.nat({ max: files - 1 }) }),
      ),
      { minLength: 1, maxLength: 12 },
    ),
  }),
);

function runningOf(module: ModuleValue, file: string): ModelFile {
  return {
    dependencies: module.dependencies.filter((dependency) => dependency !== file),
    dynamicImports: module.dynamicImports.filter((dependency) => dependency !== file && !module.dependencies.includes(dependency)),
    source: `${file}#${module.text}`,
    exportNames: module.exportNames,
    mayReadImportsAtTopLevel: module.mayReadImportsAtTopLevel,
    reexportsNamespaces: module.reexportsNamespaces,
  };
}

describe("the reload planner, against a model", () => {
  it("re-runs exactly the running files a fresh load could compute differently, over thousands of histories", () => {
    let plans = 0;
    fc.assert(
      fc.property(historyArb, ({ initial, steps }) => {
        const state: State = { running: new Map(), failing: new Map() };
        initial.forEach((module, index) => {
          if (module) state.running.set(fileName(index), runningOf(module, fileName(index)));
        });
        for (const step of steps as Step[]) {
          if (step.kind === "break") {
            // A broken save: the file fails as it is on disk (running or not).
            state.failing.set(fileName(step.file), `${fileName(step.file)}#broken${step.text}`);
            continue;
          }
          if (step.kind === "restore") {
            // The broken edit undone: it reads as its running version again.
            const running = state.running.get(fileName(step.file));
            if (running) state.failing.set(fileName(step.file), running.source);
            else state.failing.delete(fileName(step.file));
            continue;
          }
          const edits = new Map(step.edits.map(({ file, module }) => [fileName(file), runningOf(module as ModuleValue, fileName(file))]));
          const removed = step.removed.map(fileName).filter((file) => state.running.has(file) && !edits.has(file));
          const changed = [...edits].map(([path, entry]) => ({ path, exportNames: entry.exportNames, reexportsNamespaces: entry.reexportsNamespaces }));
          const plan = planReruns(viewOf(state), changed, removed);
          plans++;
          const expected = model(state, changed, removed);
          expect(new Set(plan.reruns)).toEqual(expected.reruns);
          expect(plan.reruns.length).toBe(expected.reruns.size);
          expect(new Set(plan.orphans.map(([file, lost]) => `${file}->${lost}`))).toEqual(expected.orphans);
          // Commit: the batch's files run as written, deleted ones are gone, orphans wait on what they lost.
          for (const [path, entry] of edits) {
            state.running.set(path, entry);
            state.failing.delete(path);
          }
          for (const file of removed) {
            state.running.delete(file);
            state.failing.delete(file);
          }
          for (const [file] of plan.orphans) state.failing.set(file, state.running.get(file)!.source);
        }
      }),
      { numRuns: 3000 },
    );
    expect(plans).toBeGreaterThan(3000);
  });

  it("a file that only declares functions and methods reading an import is not re-run; one whose top level reads it is", () => {
    const running = (dependencies: string[], reads: boolean, exportNames = ["x"]): ModelFile => ({ dependencies, dynamicImports: [], source: "", exportNames, mayReadImportsAtTopLevel: reads, reexportsNamespaces: false });
    const state: State = {
      running: new Map([
        ["leaf.ts", running([], false)],
        ["lazy.ts", running(["leaf.ts"], false)],
        ["eager.ts", running(["leaf.ts"], true)],
        ["above-lazy.ts", running(["lazy.ts"], true)],
        ["above-eager.ts", running(["eager.ts"], true)],
      ]),
      failing: new Map(),
    };
    expect(planReruns(viewOf(state), [{ path: "leaf.ts", exportNames: ["x"], reexportsNamespaces: false }], []).reruns.sort()).toEqual(["above-eager.ts", "eager.ts"]);
    // Other names exported: every importer re-runs (a fresh load would link it differently), and what reads them at its top level.
    expect(planReruns(viewOf(state), [{ path: "leaf.ts", exportNames: ["x", "y"], reexportsNamespaces: false }], []).reruns.sort()).toEqual(["above-eager.ts", "above-lazy.ts", "eager.ts", "lazy.ts"]);
  });
});

describe("the retry planner, against a model", () => {
  const ledgerArb = fc.integer({ min: 1, max: 8 }).chain((files) =>
    fc.record({
      pending: fc.array(
        fc.record({
          text: fc.option(fc.nat({ max: 2 }), { nil: undefined }),
          retryOn: fc.uniqueArray(fc.nat({ max: files - 1 }).map(fileName), { maxLength: 3 }),
          epoch: fc.nat({ max: 3 }),
          retryAlways: fc.boolean(),
          disk: fc.oneof(fc.constant("missing" as const), fc.constant("invalid" as const), fc.nat({ max: 2 })),
          running: fc.boolean(),
          justFailed: fc.boolean().map((value) => value && Math.random() < 0.3),
        }),
        { minLength: files, maxLength: files },
      ),
      changedAt: fc.array(fc.nat({ max: 4 }), { minLength: files, maxLength: files }),
    }),
  );

  it("retries what changed, what always retries, what an import it waits on changed since, and what waits on those", () => {
    fc.assert(
      fc.property(ledgerArb, ({ pending, changedAt }) => {
        const failing: [string, Pending][] = pending.map((entry, index) => [
          fileName(index),
          { error: { file: fileName(index), message: "m", text: "t" }, source: entry.text === undefined ? undefined : `text${entry.text}`, retryOn: entry.retryOn, epoch: entry.epoch, retryAlways: entry.retryAlways },
        ]);
        const onDisk = new Map<string, ReadOutcome>(
          pending.map((entry, index) => [fileName(index), entry.disk === "missing" ? { kind: "missing" } : entry.disk === "invalid" ? { kind: "invalid", reason: "binary", hint: "h" } : { kind: "source", source: `text${entry.disk}` }] as [string, ReadOutcome]),
        );
        const justFailed = new Set(pending.flatMap((entry, index) => (entry.justFailed ? [fileName(index)] : [])));
        for (const file of justFailed) onDisk.delete(file);
        const changedSince = (file: string, epoch: number): boolean => (changedAt[Number(file.slice(1, -3))] ?? 0) > epoch;
        const plan = planRetries(failing, onDisk, { justFailed, isRunning: (file) => pending[Number(file.slice(1, -3))]!.running, changedSince });

        // The model: each rule on its own, then the closure over "waits on a retried file".
        const expected = new Set<string>();
        const removals: string[] = [];
        const forgotten: string[] = [];
        failing.forEach(([file, entry], index) => {
          const disk = pending[index]!.disk;
          if (justFailed.has(file)) return;
          if (disk === "missing") return void (pending[index]!.running ? removals : forgotten).push(file);
          const diskText = disk === "invalid" ? undefined : `text${disk}`;
          if (entry.retryAlways || diskText !== entry.source || entry.retryOn.some((dependency) => changedSince(dependency, entry.epoch))) expected.add(file);
        });
        for (let grew = true; grew; ) {
          grew = false;
          failing.forEach(([file, entry], index) => {
            const readable = typeof pending[index]!.disk === "number";
            if (!expected.has(file) && !justFailed.has(file) && readable && entry.retryOn.some((dependency) => expected.has(dependency))) {
              expected.add(file);
              grew = true;
            }
          });
        }
        expect(plan.retries).toEqual([...expected].sort());
        expect(plan.removals).toEqual(removals.sort());
        expect(plan.forgotten.sort()).toEqual(forgotten.sort());
        // Nothing of a batch that just failed is tried again in the same reload (R12).
        expect(plan.retries.filter((file) => justFailed.has(file))).toEqual([]);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("the start-up and retry planner, against a model", () => {
  // Each file of a folder: running as on disk already (a retry's view), a candidate (it
  // compiled and resolved), or one that failed to compile or is missing (not a candidate).
  const folderArb = fc.integer({ min: 1, max: 10 }).chain((files) =>
    fc.array(
      fc.record({
        state: fc.constantFrom("running", "candidate", "candidate", "candidate", "broken"),
        imports: fc.uniqueArray(fc.oneof(fc.nat({ max: files - 1 }).map(fileName), fc.constant(HOST)), { maxLength: 3 }),
        throws: fc.boolean().map((value) => value && Math.random() < 0.2),
      }),
      { minLength: files, maxLength: files },
    ),
  );

  /** Whether `from` imports `to`, directly or through other candidates. */
  const reaches = (from: string, to: string, importsOf: (file: string) => string[], candidates: Set<string>): boolean => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      for (const next of importsOf(stack.pop()!)) {
        if (next === to) return true;
        if (candidates.has(next) && !seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return false;
  };

  it("loads every file (an import cycle as one) after what it imports, and a file runs exactly when a fresh load of the folder could run it", () => {
    let plans = 0;
    fc.assert(
      fc.property(folderArb, (folder) => {
        const files = folder.map((_, index) => fileName(index));
        const importsOf = (file: string): string[] => folder[Number(file.slice(1, -3))]!.imports.filter((dependency) => dependency !== file);
        const candidates = new Set(files.filter((file) => folder[Number(file.slice(1, -3))]!.state === "candidate"));
        const runningBefore = new Set(files.filter((file) => folder[Number(file.slice(1, -3))]!.state === "running"));
        const throws = (file: string): boolean => folder[Number(file.slice(1, -3))]!.throws;
        const plan = planLoad([...candidates], importsOf);
        plans++;

        // Every candidate in exactly one step; a step's files are one strongly connected part of the import graph.
        const stepOf = new Map<string, number>();
        plan.steps.forEach((step, index) => step.files.forEach((file) => stepOf.set(file, index)));
        expect([...stepOf.keys()].sort()).toEqual([...candidates].sort());
        expect(plan.steps.flatMap((step) => step.files)).toHaveLength(candidates.size);
        for (const a of candidates) {
          for (const b of candidates) {
            const together = a === b || (reaches(a, b, importsOf, candidates) && reaches(b, a, importsOf, candidates));
            expect(stepOf.get(a) === stepOf.get(b), `${a} and ${b} on one cycle: ${together}`).toBe(together);
          }
        }
        // What a step imports from other candidates is loaded by an earlier step; its needs are exactly its imports from outside it.
        plan.steps.forEach((step, index) => {
          const inStep = new Set(step.files);
          const outside = new Set(step.files.flatMap((file) => importsOf(file).filter((dependency) => dependency !== HOST && !inStep.has(dependency))));
          expect(new Set(step.needs)).toEqual(outside);
          for (const need of step.needs) if (candidates.has(need)) expect(stepOf.get(need)!).toBeLessThan(index);
        });

        // Executed as the engine does: a step runs when its needs run, and commits unless one of its files throws.
        const runs = new Set(runningBefore);
        const waitsOn = new Map<string, string>();
        for (const step of plan.steps) {
          const action = stepAction(step, { runsAsOnDisk: (file) => runs.has(file), ranInThisPlan: () => false });
          expect(action.kind).not.toBe("skip");
          if (action.kind === "wait") {
            expect(step.needs).toContain(action.on);
            expect(runs.has(action.on)).toBe(false);
            for (const file of step.files) waitsOn.set(file, action.on);
            continue;
          }
          if (!step.files.some(throws)) for (const file of step.files) runs.add(file);
        }

        // The model: the largest set of files that can run, each with every file of its cycle, none throwing, and all it imports running.
        const model = new Set([...runningBefore, ...candidates]);
        for (let shrank = true; shrank; ) {
          shrank = false;
          for (const file of candidates) {
            if (!model.has(file)) continue;
            const cycle = [...candidates].filter((other) => other === file || (reaches(file, other, importsOf, candidates) && reaches(other, file, importsOf, candidates)));
            const can = cycle.every((member) => !throws(member) && model.has(member) && importsOf(member).every((dependency) => dependency === HOST || model.has(dependency)));
            if (!can) {
              model.delete(file);
              shrank = true;
            }
          }
        }
        expect([...runs].sort()).toEqual([...model].sort());
        // A file that waits names an import that does not run.
        for (const [file, on] of waitsOn) {
          expect(runs.has(file)).toBe(false);
          expect(runs.has(on)).toBe(false);
        }
      }),
      { numRuns: 3000 },
    );
    expect(plans).toBe(3000);
  });

  it("skips a step whose files all ran their text on disk during the plan already, and waits on the first need that does not run", () => {
    const step = { kind: "group" as const, files: ["a.ts", "b.ts"], removed: [], needs: ["x.ts", "y.ts"] };
    expect(stepAction(step, { runsAsOnDisk: () => true, ranInThisPlan: (file) => file === "a.ts" })).toEqual({ kind: "run" });
    expect(stepAction(step, { runsAsOnDisk: () => false, ranInThisPlan: () => true })).toEqual({ kind: "skip" });
    expect(stepAction(step, { runsAsOnDisk: (file) => file === "x.ts", ranInThisPlan: () => false })).toEqual({ kind: "wait", on: "y.ts" });
    expect(stepAction({ ...step, kind: "batch" }, { runsAsOnDisk: () => true, ranInThisPlan: () => true })).toEqual({ kind: "run" });
  });
});

describe("whether a top level may read an import while it evaluates", () => {
  const reads = (code: string): boolean => compileScript("m.ts", `import { dep } from "./dep";\n${code}`).mayReadImportsAtTopLevel;

  it("declarations whose code runs later do not read it", () => {
    expect(reads(`export function f() { return dep; }`)).toBe(false);
    expect(reads(`export class A { m() { return dep; } x = dep; get g() { return dep; } static s() { return dep; } }`)).toBe(false);
    expect(reads(`export const f = () => dep, o = { m() { return dep; }, n: 1, k: "s" }, list = [1, () => dep];`)).toBe(false);
    expect(reads(`const local = 1;\nexport class B extends Object {}\nexport { dep as again };\nexport default function () { return dep; }`)).toBe(false);
    expect(reads(`interface I { x: number }\nexport type T = I;\nexport const n: number = -1;`)).toBe(false);
  });

  it("extends, static initialisers, top-level calls, decorators and reads do", () => {
    expect(reads(`export class A extends dep {}`)).toBe(true);
    expect(reads(`export class A { static s = dep; }`)).toBe(true);
    expect(reads(`export class A { static { void 0; } }`)).toBe(true);
    expect(reads(`export class A { [dep] = 1; }`)).toBe(true);
    expect(reads(`function f() { return dep; }\nexport const v = f();`)).toBe(true);
    expect(reads(`export const v = dep;`)).toBe(true);
    expect(reads(`export const v = { x: dep };`)).toBe(true);
    expect(reads(`export const v = \`\${1}\`;`)).toBe(true);
    expect(reads(`export const { a } = { a: 1 };`)).toBe(true);
    expect(reads(`console.log("loaded");`)).toBe(true);
    expect(reads(`export const n = Math.PI;`)).toBe(true);
    expect(reads(`function deco(value: unknown) { return value; }\nexport class A { @deco m() {} }`)).toBe(true);
    expect(compileScript("m.ts", `import * as ns from "./dep";\nexport function f() { return ns; }`).mayReadImportsAtTopLevel).toBe(true);
  });
});
