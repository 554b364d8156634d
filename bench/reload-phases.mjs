// Where the time of one reload goes: runtime.reload(["units.ts"]) of the 200-line, 5-class
// fixture, split into phases by timing graft's own methods (wrapped on their prototypes), and
// optionally another build of graft beside it, edit by edit in the same process. Per reload,
// its time outside the phases (whole less their sum) and V8's collections within it; the host
// holds an instance of each class, as in the reload figure, and the compile cache must not answer:
//   node bench/figure.mjs reload-phases [--quick] [--against <checkout of another build, built>]
import { writeFileSync } from "node:fs";
import path from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { newQuickJSWASMModuleFromVariant } from "quickjs-emscripten-core";
import variant from "@jitl/quickjs-wasmfile-release-sync";
import { holdUnits, percentile, script200, unitsFolder } from "./fixtures.mjs";

const WARMUP = 30;

/** The phases that do not overlap: a reload's time outside them is its whole time less their sum. */
const TOP_LEVEL = new Set([
  "read",
  "compile (host: TypeScript to module code)",
  "instantiate (QuickJS compiles the module code, links it)",
  "evaluate (the module runs; its classes are grafted)",
  "commit (kernel)",
  "QuickJS compiles and runs the module (02d7ae9's ReloadEngine.evaluate)",
]);

/**
 * What each phase is, as [label, module under dist/, class, method]. Nested phases overlap
 * their parents (compile.parse is inside compile). A build without a module or method
 * (an older one) just has no row for it.
 */
const PHASES = [
  ["read", "runtime/reload/candidate-reader.js", "CandidateReader", "readSettled"],
  ["compile (host: TypeScript to module code)", "runtime/reload/candidate-reader.js", "CandidateReader", "candidateFrom"],
  ["instantiate (QuickJS compiles the module code, links it)", "runtime/reload/executor.js", "TransactionExecutor", "instantiate"],
  ["  of it, the kernel's link (instantiateModule)", "runtime/kernel/kernel.js", "Kernel", "instantiateModule"],
  ["evaluate (the module runs; its classes are grafted)", "runtime/reload/executor.js", "TransactionExecutor", "evaluate"],
  ["commit (kernel)", "runtime/kernel/kernel.js", "Kernel", "commit"],
  // The first release's layout (02d7ae9), for a side-by-side run against it.
  ["compile (host: TypeScript to module code)", "runtime/reload-engine.js", "ReloadEngine", "compile"],
  ["QuickJS compiles and runs the module (02d7ae9's ReloadEngine.evaluate)", "runtime/reload-engine.js", "ReloadEngine", "evaluate"],
];

/** Wraps the phases' methods of the build at `root`; returns the build's createRuntime and its per-reload timings. */
async function instrument(root) {
  const timings = new Map();
  let current = null;
  for (const [label, file, className, method] of PHASES) {
    let module;
    try {
      module = await import(pathToFileURL(path.join(root, "dist", file)).href);
    } catch {
      continue;
    }
    const proto = module[className]?.prototype;
    const original = proto?.[method];
    if (typeof original !== "function") continue;
    proto[method] = function (...args) {
      const started = performance.now();
      const add = () => current?.set(label, (current.get(label) ?? 0) + performance.now() - started);
      const result = original.apply(this, args);
      if (result && typeof result.then === "function") return result.finally(add);
      add();
      return result;
    };
  }
  const { createRuntime } = await import(pathToFileURL(path.join(root, "dist/host-api/index.js")).href);
  // The compile cache must never answer here (every edit is a new text); a build without one reads 0.
  const cacheHits = await import(pathToFileURL(path.join(root, "dist/runtime/compile/compile-cache.js")).href).then(
    (module) => () => module.compileCacheStats().hits,
    () => () => 0,
  );
  const push = (label, ms) => (timings.get(label) ?? timings.set(label, []).get(label)).push(ms);
  const windows = [];
  return {
    createRuntime,
    cacheHits,
    begin: () => (current = new Map()),
    end: (started, ended) => {
      let phases = 0;
      for (const [label, ms] of current) {
        push(label, ms);
        if (TOP_LEVEL.has(label)) phases += ms;
      }
      push("whole reload", ended - started);
      // Per reload: p50(whole) - the sum of the phases' p50s overstates it under load, where each
      // phase's p50 is well below its mean.
      push("outside the phases, per reload", ended - started - phases);
      windows.push([started, ended]);
      current = null;
    },
    /** V8's collections (as [start, end] times) inside each reload, once their entries have arrived. */
    collected: (collections) => {
      for (const [started, ended] of windows) {
        push("of it, V8's collections", collections.reduce((sum, [from, to]) => sum + Math.max(0, Math.min(to, ended) - Math.max(from, started)), 0));
      }
    },
    timings,
  };
}

const mean = (samples) => samples.reduce((sum, value) => sum + value, 0) / samples.length;

export async function benchReloadPhases({ edits = 200, against } = {}) {
  const builds = [{ name: "this build", root: path.resolve(import.meta.dirname, "..") }];
  if (against) builds.push({ name: path.resolve(against), root: path.resolve(against) });
  const sides = [];
  for (const build of builds) {
    const instrumented = await instrument(build.root);
    const { dir, file } = unitsFolder("phases");
    const runtime = await instrumented.createRuntime({ scripts: dir });
    // A host holds instances across reloads, as in the reload figure (bench/reload.mjs).
    sides.push({ ...build, ...instrumented, runtime, file, units: holdUnits(runtime) });
  }
  // QuickJS alone, the same edit as plain JavaScript: compiled and evaluated in a context made
  // for it (as the reload figure's yardstick), and in one kept context (no context made).
  const quickjs = (await newQuickJSWASMModuleFromVariant(variant)).newRuntime();
  const kept = quickjs.newContext();
  const floors = { fresh: [], kept: [] };
  const bare = (n, fresh) => {
    const source = `{\n${script200(n, { typescript: false }).replaceAll("export class", "class")}\nglobalThis.answer = new Unit0().answer();\n}`;
    const started = performance.now();
    const context = fresh ? quickjs.newContext() : kept;
    context.unwrapResult(context.evalCode(source, "units.js")).dispose();
    const elapsed = performance.now() - started;
    if (fresh) context.dispose();
    return elapsed;
  };
  const collections = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) collections.push([entry.startTime, entry.startTime + entry.duration]);
  });
  observer.observe({ entryTypes: ["gc"] });
  const hitsBefore = sides.map((side) => side.cacheHits());
  try {
    for (let n = 1; n <= WARMUP + edits; n++) {
      // Alternate which build goes first.
      const order = n % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        writeFileSync(side.file, script200(n));
        side.begin();
        const started = performance.now();
        const report = await side.runtime.reload(["units.ts"]);
        const ended = performance.now();
        if (!report.ok) throw new Error(`reload-phases (${side.name}): ${report.errors[0].text}`);
        if (report.patched.length !== 5) throw new Error(`reload-phases (${side.name}): expected 5 patched classes, got ${report.patched.length}`);
        if (n > WARMUP) side.end(started, ended);
        else side.begin();
      }
      const fresh = bare(n, true);
      const inKept = bare(n, false);
      if (n > WARMUP) {
        floors.fresh.push(fresh);
        floors.kept.push(inKept);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20)); // the last collections' entries
    for (const side of sides) side.collected(collections);
    sides.forEach((side, index) => {
      if (side.cacheHits() !== hitsBefore[index]) throw new Error(`reload-phases (${side.name}): the compile cache answered ${side.cacheHits() - hitsBefore[index]} compiles; every edit must be a new text`);
    });
    const p50s = (side) =>
      Object.fromEntries(
        [...new Set([...PHASES.map(([label]) => label), "whole reload", "outside the phases, per reload", "of it, V8's collections"])].filter((label) => side.timings.has(label)).map((label) => [label, percentile(side.timings.get(label), 0.5)]),
      );
    const [self, other] = sides;
    const result = {
      reload_p50_ms: percentile(self.timings.get("whole reload"), 0.5),
      detail: {
        samples: edits,
        phases_p50_ms: p50s(self),
        quickjs_compile_evaluate_new_context_p50_ms: percentile(floors.fresh, 0.5),
        quickjs_compile_evaluate_kept_context_p50_ms: percentile(floors.kept, 0.5),
        outside_phases_mean_ms: mean(self.timings.get("outside the phases, per reload")),
        collections_mean_ms: mean(self.timings.get("of it, V8's collections")),
        reloads_with_a_collection: self.timings.get("of it, V8's collections").filter((ms) => ms > 0).length,
      },
    };
    if (other) {
      result.detail.against = other.name;
      result.detail.against_phases_p50_ms = p50s(other);
      result.detail.vs_against = result.reload_p50_ms / percentile(other.timings.get("whole reload"), 0.5);
    }
    return result;
  } finally {
    observer.disconnect();
    for (const side of sides) side.runtime.dispose();
    kept.dispose();
    quickjs.dispose();
  }
}
