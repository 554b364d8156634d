// reload_p50_ms / reload_p99_ms: runtime.reload(file) of an edited 200-line, 5-class script.
import { writeFileSync } from "node:fs";
import { createRuntime } from "graft";
import { answerOf, holdUnits, percentile, script200, unitsFolder } from "./fixtures.mjs";

const WARMUP = 30;

/** The write happens before the clock starts: only `runtime.reload(["units.ts"])` is timed. */
export async function benchReload({ edits = 200 } = {}) {
  const { dir, file } = unitsFolder("reload");
  const runtime = await createRuntime({ scripts: dir });
  try {
    // A host holds instances across reloads, as a game server would.
    const units = holdUnits(runtime);
    const samples = [];
    const engine = [];
    for (let n = 1; n <= WARMUP + edits; n++) {
      writeFileSync(file, script200(n));
      const started = performance.now();
      const report = await runtime.reload(["units.ts"]);
      const elapsed = performance.now() - started;
      if (!report.ok) throw new Error(report.errors[0].text);
      if (report.patched.length !== 5) throw new Error(`reload bench: expected 5 patched classes, got ${report.patched.length}`);
      if (n > WARMUP) {
        samples.push(elapsed);
        engine.push(report.durationMs);
      }
    }
    const last = WARMUP + edits;
    units.forEach((unit, c) => {
      if (unit.call("answer").toHost() !== answerOf(last) + c) throw new Error(`reload bench: edit ${last} is not live on Unit${c}`);
    });
    return {
      reload_p50_ms: percentile(samples, 0.5),
      reload_p99_ms: percentile(samples, 0.99),
      detail: { samples: samples.length, engine_p50_ms: percentile(engine, 0.5) },
    };
  } finally {
    runtime.dispose();
  }
}
