// loop_countdown_slowdown: what the outside stop's loop countdown (runtime/vm/wasm-deadline.ts)
// costs compute-heavy script code: the same scripts in two bare quickjs-emscripten runtimes
// of one process, one on the pinned module as graft repairs it without the countdown, one
// with it, batches alternating.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { newQuickJSWASMModuleFromVariant, newVariant } from "quickjs-emscripten-core";
import variant from "@jitl/quickjs-wasmfile-release-sync";
import { repairQuickJSWasm } from "../dist/runtime/vm/wasm-patch.js";
import { addLoopDeadline } from "../dist/runtime/vm/wasm-deadline.js";
import { median, percentile } from "./fixtures.mjs";

/** Interpreter-bound (calls, property reads, arithmetic) and builtin-bound (sort, string, JSON, bigint) work. */
const WORK = {
  interpreter: `(() => {
    class P { constructor(x, y) { this.x = x; this.y = y; } len() { return Math.sqrt(this.x * this.x + this.y * this.y); } }
    let sum = 0;
    for (let i = 0; i < 300000; i++) sum += new P(i % 17, i % 13).len();
    const fib = (n) => (n < 2 ? n : fib(n - 1) + fib(n - 2));
    return sum + fib(22);
  })()`,
  builtins: `(() => {
    const a = Array.from({ length: 100000 }, (_, i) => (i * 7919) % 100003);
    a.sort((x, y) => x - y);
    const text = JSON.stringify(a);
    const back = JSON.parse(text);
    const s = "ab".repeat(200000).split("").reverse().join("");
    return back.length + s.indexOf("ba") + ((1n << 20000n) - 1n).toString().length;
  })()`,
};

async function quickjsFrom(bytes) {
  const module = await newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmBinary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }));
  const runtime = module.newRuntime();
  const context = runtime.newContext();
  return { runtime, context };
}

export async function benchLoopCountdown({ rounds = 20 } = {}) {
  const wasm = readFileSync(createRequire(import.meta.url).resolve("@jitl/quickjs-wasmfile-release-sync/wasm"));
  const repaired = repairQuickJSWasm(Uint8Array.from(wasm));
  const plain = await quickjsFrom(repaired);
  const counted = await quickjsFrom(addLoopDeadline(repaired));
  const run = (side, code) => {
    const started = performance.now();
    const value = side.context.getNumber(side.context.unwrapResult(side.context.evalCode(code)).consume((handle) => handle.dup()));
    return [performance.now() - started, value];
  };
  const detail = {};
  const ratios = {};
  try {
    for (const [name, code] of Object.entries(WORK)) {
      run(plain, code);
      run(counted, code);
      const perRound = [];
      const plainMs = [];
      const countedMs = [];
      for (let round = 0; round < rounds; round++) {
        // alternate which side goes first
        const [c1, cv] = round % 2 === 0 ? run(counted, code) : [0, 0];
        const [p, pv] = run(plain, code);
        const [c2, cv2] = round % 2 === 1 ? run(counted, code) : [0, 0];
        if (cv + cv2 !== pv) throw new Error("countdown bench: the two modules disagree");
        perRound.push((c1 + c2) / p);
        plainMs.push(p);
        countedMs.push(c1 + c2);
      }
      ratios[name] = median(perRound);
      detail[name] = { plain_ms: median(plainMs), countdown_ms: median(countedMs), ratio: ratios[name], ratio_p10: percentile(perRound, 0.1), ratio_p90: percentile(perRound, 0.9) };
    }
    return { loop_countdown_slowdown: Math.max(...Object.values(ratios)), detail };
  } finally {
    for (const side of [plain, counted]) {
      side.context.dispose();
      side.runtime.dispose();
    }
  }
}
