// Where the time of one reload goes: runtime.reload(["units.ts"]) of the 200-line, 5-class
// fixture, split into phases by timing graft's own methods (wrapped on their prototypes), and
// optionally another build of graft beside it, edit by edit in the same process:
//   node bench/figure.mjs reload-phases [--quick] [--against <checkout of another build, built>]
import { writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { newQuickJSWASMModuleFromVariant } from "quickjs-emscripten-core";
import variant from "@jitl/quickjs-wasmfile-release-sync";
import { percentile, script200, unitsFolder } from "./fixtures.mjs";

const WARMUP = 30;

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
  return {
    createRuntime,
    begin: () => (current = new Map()),
    end: (total) => {
      for (const [label, ms] of current) (timings.get(label) ?? timings.set(label, []).get(label)).push(ms);
      (timings.get("whole reload") ?? timings.set("whole reload", []).get("whole reload")).push(total);
      current = null;
    },
    timings,
  };
}

export async function benchReloadPhases({ edits = 200, against } = {}) {
  const builds = [{ name: "this build", root: path.resolve(import.meta.dirname, "..") }];
  if (against) builds.push({ name: path.resolve(against), root: path.resolve(against) });
  const sides = [];
  for (const build of builds) {
    const instrumented = await instrument(build.root);
    const { dir, file } = unitsFolder("phases");
    const runtime = await instrumented.createRuntime({ scripts: dir });
    sides.push({ ...build, ...instrumented, runtime, file });
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
  try {
    for (let n = 1; n <= WARMUP + edits; n++) {
      // Alternate which build goes first.
      const order = n % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        writeFileSync(side.file, script200(n));
        side.begin();
        const started = performance.now();
        const report = await side.runtime.reload(["units.ts"]);
        const total = performance.now() - started;
        if (!report.ok) throw new Error(`reload-phases (${side.name}): ${report.errors[0].text}`);
        if (n > WARMUP) side.end(total);
        else side.begin();
      }
      const fresh = bare(n, true);
      const inKept = bare(n, false);
      if (n > WARMUP) {
        floors.fresh.push(fresh);
        floors.kept.push(inKept);
      }
    }
    const p50s = (side) =>
      Object.fromEntries(
        [...new Set([...PHASES.map(([label]) => label), "whole reload"])].filter((label) => side.timings.has(label)).map((label) => [label, percentile(side.timings.get(label), 0.5)]),
      );
    const [self, other] = sides;
    const result = {
      reload_p50_ms: percentile(self.timings.get("whole reload"), 0.5),
      detail: {
        samples: edits,
        phases_p50_ms: p50s(self),
        quickjs_compile_evaluate_new_context_p50_ms: percentile(floors.fresh, 0.5),
        quickjs_compile_evaluate_kept_context_p50_ms: percentile(floors.kept, 0.5),
      },
    };
    if (other) {
      result.detail.against = other.name;
      result.detail.against_phases_p50_ms = p50s(other);
      result.detail.vs_against = result.reload_p50_ms / percentile(other.timings.get("whole reload"), 0.5);
    }
    return result;
  } finally {
    for (const side of sides) side.runtime.dispose();
    kept.dispose();
    quickjs.dispose();
  }
}
