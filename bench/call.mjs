// call_overhead_ratio: ScriptValue.call vs raw quickjs-emscripten callFunction, same method,
// same argument, interleaved batches in one process.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { newQuickJSWASMModuleFromVariant } from "quickjs-emscripten-core";
import variant from "@jitl/quickjs-wasmfile-release-sync";
import { createRuntime } from "graft";
import { median, percentile, script200, tempDir } from "./fixtures.mjs";

const BATCH = 5000;

/**
 * graft: `unit.call("skill2", i)` on an instance of the fixture's Unit3, the number result
 * read on the host. Raw: the same class evaluated in a bare quickjs-emscripten context, and
 * what a host writes without graft for the same call: getProp the method, newNumber the
 * argument, callFunction, check the error, getNumber the result, dispose the three handles.
 * Batches alternate (graft, raw, graft, ...); the figure is the median of per-round ratios.
 */
export async function benchCall({ rounds = 40 } = {}) {
  const dir = tempDir("call");
  writeFileSync(path.join(dir, "units.ts"), script200(1));
  const runtime = await createRuntime({ scripts: dir });
  const unit = runtime.getClass("units.ts", "Unit3").new();

  const module = await newQuickJSWASMModuleFromVariant(variant);
  const vm = module.newRuntime();
  const context = vm.newContext();
  const source = script200(1, { typescript: false }).replaceAll("export class", "class") + "\nglobalThis.unit = new Unit3();\n";
  context.unwrapResult(context.evalCode(source, "units.js")).dispose();
  const rawUnit = context.getProp(context.global, "unit");

  const graftBatch = () => {
    let sum = 0;
    const started = performance.now();
    for (let i = 0; i < BATCH; i++) sum += unit.call("skill2", i).toHost();
    return [performance.now() - started, sum];
  };
  const rawBatch = () => {
    let sum = 0;
    const started = performance.now();
    for (let i = 0; i < BATCH; i++) {
      const fn = context.getProp(rawUnit, "skill2");
      const arg = context.newNumber(i);
      const result = context.callFunction(fn, rawUnit, arg);
      if (result.error) {
        const error = context.dump(result.error);
        result.error.dispose();
        throw new Error(String(error?.message ?? error));
      }
      sum += context.getNumber(result.value);
      result.value.dispose();
      arg.dispose();
      fn.dispose();
    }
    return [performance.now() - started, sum];
  };

  try {
    for (let i = 0; i < 3; i++) {
      graftBatch();
      rawBatch();
    }
    const ratios = [];
    const graftUs = [];
    const rawUs = [];
    for (let round = 0; round < rounds; round++) {
      // alternate which side goes first, so neither always runs on a warmer cache
      const [g, gSum] = round % 2 === 0 ? graftBatch() : [0, 0];
      const [r, rSum] = rawBatch();
      const [g2, g2Sum] = round % 2 === 1 ? graftBatch() : [0, 0];
      const graftMs = g + g2;
      if (gSum + g2Sum !== rSum) throw new Error("call bench: graft and raw calls disagree");
      ratios.push(graftMs / r);
      graftUs.push((graftMs / BATCH) * 1000);
      rawUs.push((r / BATCH) * 1000);
    }
    return {
      call_overhead_ratio: median(ratios),
      detail: { graft_call_us: median(graftUs), raw_call_us: median(rawUs), calls_per_side: BATCH * rounds, ratio_of_fastest_batches: Math.min(...graftUs) / Math.min(...rawUs), ratio_p10: percentile(ratios, 0.1), ratio_p90: percentile(ratios, 0.9) },
    };
  } finally {
    rawUnit.dispose();
    context.dispose();
    vm.dispose();
    runtime.dispose();
  }
}
