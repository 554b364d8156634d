import { writeFileSync } from "node:fs";
import path from "node:path";
import { createRuntime } from "graft";
import { newQuickJSWASMModuleFromVariant } from "quickjs-emscripten-core";
import variant from "@jitl/quickjs-wasmfile-release-sync";
import { script200, tempDir } from "./fixtures.mjs";

const ROUNDS = 5;
const CALLS = 20_000;

/**
 * A host->script method call with one number argument and a number result: through
 * ScriptValue.call, and through raw quickjs-emscripten (getProp + callFunction + getNumber,
 * disposing every handle), on the same class, interleaved in rounds.
 */
export async function benchCallOverhead() {
  const dir = tempDir("calls");
  writeFileSync(path.join(dir, "units.ts"), script200(0));
  const runtime = await createRuntime({ scripts: dir });
  const unit = runtime.getClass("units.ts", "Unit0").new();

  const quickjs = await newQuickJSWASMModuleFromVariant(variant);
  const context = quickjs.newContext();
  const rawUnit = context.unwrapResult(
    context.evalCode(`new (class Unit0 { hp = 100; skill1(level) { const base = this.hp * 2; return base + level; } })()`),
  );
  const graftCall = () => {
    let sum = 0;
    for (let i = 0; i < CALLS; i++) sum += unit.call("skill1", i).toHost();
    return sum;
  };
  const rawCall = () => {
    let sum = 0;
    for (let i = 0; i < CALLS; i++) {
      const fn = context.getProp(rawUnit, "skill1");
      const arg = context.newNumber(i);
      const result = context.callFunction(fn, rawUnit, arg);
      sum += context.getNumber(result.value);
      result.value.dispose();
      arg.dispose();
      fn.dispose();
    }
    return sum;
  };
  graftCall();
  rawCall();
  const graftTimes = [];
  const rawTimes = [];
  for (let round = 0; round < ROUNDS; round++) {
    let started = performance.now();
    graftCall();
    graftTimes.push(performance.now() - started);
    started = performance.now();
    rawCall();
    rawTimes.push(performance.now() - started);
  }
  rawUnit.dispose();
  context.dispose();
  runtime.dispose();
  const best = (times) => Math.min(...times);
  return {
    call_graft_us: (best(graftTimes) / CALLS) * 1000,
    call_raw_us: (best(rawTimes) / CALLS) * 1000,
    call_overhead_ratio: best(graftTimes) / best(rawTimes),
  };
}
