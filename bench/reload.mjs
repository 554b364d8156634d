// reload_p50_ms / reload_p99_ms: runtime.reload(file) of an edited 200-line, 5-class script.
import { writeFileSync } from "node:fs";
import { newQuickJSWASMModuleFromVariant } from "quickjs-emscripten-core";
import variant from "@jitl/quickjs-wasmfile-release-sync";
import { createRuntime } from "graft";
import { compileCacheStats } from "../dist/runtime/compile/compile-cache.js";
import { answerOf, holdUnits, percentile, script200, unitsFolder } from "./fixtures.mjs";

const WARMUP = 30;

/**
 * The write happens before the clock starts: only `runtime.reload(["units.ts"])` is timed.
 * Beside it, edit by edit: QuickJS's own compile + evaluate of the same edit (as plain
 * JavaScript, its classes declared in a fresh bare context), what a reload cannot go below.
 */
export async function benchReload({ edits = 200 } = {}) {
  const { dir, file } = unitsFolder("reload");
  const runtime = await createRuntime({ scripts: dir });
  const quickjs = (await newQuickJSWASMModuleFromVariant(variant)).newRuntime();
  const bare = [];
  const bareEvaluate = (n) => {
    const source = script200(n, { typescript: false }).replaceAll("export class", "class") + "\nglobalThis.answer = new Unit0().answer();\n";
    const started = performance.now();
    const context = quickjs.newContext();
    context.unwrapResult(context.evalCode(source, "units.js")).dispose();
    const elapsed = performance.now() - started;
    context.dispose();
    return elapsed;
  };
  try {
    // A host holds instances across reloads, as a game server would.
    const units = holdUnits(runtime);
    const hitsBefore = compileCacheStats().hits;
    const samples = [];
    const engine = [];
    for (let n = 1; n <= WARMUP + edits; n++) {
      writeFileSync(file, script200(n));
      const started = performance.now();
      const report = await runtime.reload(["units.ts"]);
      const elapsed = performance.now() - started;
      if (!report.ok) throw new Error(report.errors[0].text);
      if (report.patched.length !== 5) throw new Error(`reload bench: expected 5 patched classes, got ${report.patched.length}`);
      const bareMs = bareEvaluate(n);
      if (n > WARMUP) {
        bare.push(bareMs);
        samples.push(elapsed);
        engine.push(report.durationMs);
      }
    }
    // Every edit is a new text: the compile cache must not have answered (bench/README.md).
    if (compileCacheStats().hits !== hitsBefore) throw new Error(`reload bench: the compile cache answered ${compileCacheStats().hits - hitsBefore} compiles`);
    const last = WARMUP + edits;
    units.forEach((unit, c) => {
      if (unit.call("answer").toHost() !== answerOf(last) + c) throw new Error(`reload bench: edit ${last} is not live on Unit${c}`);
    });
    return {
      reload_p50_ms: percentile(samples, 0.5),
      reload_p99_ms: percentile(samples, 0.99),
      detail: {
        samples: samples.length,
        engine_p50_ms: percentile(engine, 0.5),
        quickjs_compile_evaluate_p50_ms: percentile(bare, 0.5),
        reload_vs_quickjs: percentile(samples, 0.5) / percentile(bare, 0.5),
      },
    };
  } finally {
    runtime.dispose();
    quickjs.dispose();
  }
}
