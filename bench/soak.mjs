// soak_reloads / soak_growth_pct / soak_leaks: 10,000 reloads of the 200-line fixture.
import { writeFileSync } from "node:fs";
import { createRuntime } from "graft";
import { answerOf, holdUnits, script200, unitsFolder, vmBytes } from "./fixtures.mjs";

const WARMUP = 20;

/**
 * A host holds an instance of each class and calls it after every reload, as a server would.
 * VM memory (`memory_used_size`) is read after `runtime.gc()` once the warm-up reloads have
 * brought graft's bookkeeping to its steady state, and again after the last reload.
 */
export async function benchSoak({ reloads = 10_000, onProgress } = {}) {
  const { dir, file } = unitsFolder("soak");
  const runtime = await createRuntime({ scripts: dir });
  try {
    const units = holdUnits(runtime);
    runtime.gc();
    const afterLoad = vmBytes(runtime);
    let start = 0;
    const curve = [];
    const started = performance.now();
    for (let n = 1; n <= WARMUP + reloads; n++) {
      writeFileSync(file, script200(n));
      const report = await runtime.reload(["units.ts"]);
      if (!report.ok) throw new Error(report.errors[0].text);
      const c = n % 5;
      if (units[c].call("answer").toHost() !== answerOf(n) + c) throw new Error(`soak: edit ${n} is not live`);
      if (n === WARMUP) {
        runtime.gc();
        start = vmBytes(runtime);
      } else if (n > WARMUP && (n - WARMUP) % 2000 === 0) {
        runtime.gc();
        curve.push(vmBytes(runtime));
        onProgress?.(n - WARMUP);
      }
    }
    const elapsed = performance.now() - started;
    runtime.gc();
    const end = vmBytes(runtime);
    const leaks = typeof runtime.leaks === "function" ? runtime.leaks() : null;
    return {
      soak_reloads: reloads,
      soak_growth_pct: ((end - start) / start) * 100,
      soak_leaks: leaks === null ? null : leaks.length,
      detail: {
        vm_bytes_after_load: afterLoad,
        vm_bytes_start: start,
        vm_bytes_end: end,
        vm_bytes_every_2000: curve,
        mean_reload_ms: elapsed / (WARMUP + reloads),
        leak_text: leaks?.slice(0, 3).map((leak) => leak.text) ?? null,
      },
    };
  } finally {
    runtime.dispose();
  }
}
