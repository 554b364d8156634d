import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { beforeEach, describe, expect, it } from "vitest";
import { createRuntime as createRuntimeFromSources } from "../host-api/index.js";
import { compileParts, type CompiledParts } from "../runtime/compile/index.js";
import { partsAsData, PARALLEL_COMPILE_MIN_SCRIPTS } from "../runtime/compile/parallel-compile.js";
import { ROOT } from "./readme.js";
import { scriptsFolder } from "./helpers.js";

/**
 * Start-up compiles big folders on worker threads (runtime/compile/parallel-compile.ts).
 * The workers run the built code (dist/), so these tests load graft from there; what they
 * compare it with is graft run from its sources, which compiles on the calling thread.
 */
const built = (module: string) => import(pathToFileURL(path.join(ROOT, "dist", module)).href);
const multicore = availableParallelism() >= 2;

/** Scripts that exercise every compile pass and its errors: the demo's, and some made to fail. */
function corpus(): { file: string; source: string }[] {
  const demo = ["commands", "world"].flatMap((folder) =>
    readdirSync(path.join(ROOT, "scripts", folder)).map((name) => ({ file: `${folder}/${name}`, source: readFileSync(path.join(ROOT, "scripts", folder, name), "utf8") })),
  );
  const made = [
    { file: "broken.ts", source: "export const a = 1;\n\nexport function f( {\n" },
    { file: "decorated.ts", source: "function logged(fn: any, context: ClassMethodDecoratorContext) { return fn; }\nexport class D {\n  #count = 0;\n  @logged inc(): number { return ++this.#count; }\n}\n" },
    { file: "fields.ts", source: "export class F {\n  gold = 10;\n  static all: string[] = [];\n  #secret = 'x';\n  get secret() { return this.#secret; }\n}\n" },
    { file: "duplicate.js", source: "let x = 1;\n\nlet x = 2;\nexport { x };\n" },
    { file: "reserved.ts", source: "const __graft = 1;\nexport default __graft;\n" },
    { file: "await.ts", source: "export const value = await Promise.resolve(3);\n" },
  ];
  const padding = Array.from({ length: PARALLEL_COMPILE_MIN_SCRIPTS }, (_, i) => ({ file: `pad/p${i}.ts`, source: `import { x${i % 3} } from "../x";\nexport const v${i}: number = x${i % 3} + ${i};\n` }));
  return [...demo, ...made, ...padding];
}

function inline(job: { file: string; source: string }): unknown {
  try {
    return { kind: "compiled", parts: partsAsData(compileParts(job.file, job.source)) };
  } catch (error) {
    const { message, file, position, hint } = error as { message: string; file: string; position: unknown; hint: string };
    return { kind: "error", message, file, position, hint };
  }
}

describe("compiling on worker threads", () => {
  // The texts of corpus() are the same in every test: without this, the process's compile cache answers them.
  beforeEach(async () => (await built("runtime/compile/compile-cache.js")).clearCompileCache());

  it.skipIf(!multicore)("gives each script exactly what compiling it on the calling thread gives: code, imports, exports, maps and stage positions, or the same error at the same place", async () => {
    const pool = await built("runtime/compile/parallel-compile.js");
    const { compileInParallel } = pool;
    const jobs = corpus();
    const compiling = compileInParallel(jobs, {});
    expect(compiling, "a folder this big compiles on workers").toBeDefined();
    // Scripts the calling thread compiled keep their source maps lazy: compared as data.
    const outcomes = ((await compiling.finish()) as { kind: string; parts?: CompiledParts }[]).map((outcome) =>
      outcome.parts ? { ...outcome, parts: partsAsData(outcome.parts) } : outcome,
    );
    expect(outcomes).toHaveLength(jobs.length);
    expect(outcomes.filter((outcome) => outcome.kind === "error")).toHaveLength(3);
    expect(outcomes).toEqual(jobs.map(inline));
  });

  it.skipIf(!multicore)("the calling thread takes scripts from the same queue once it asks for the outcomes (its own keep their source maps lazy)", async () => {
    const { compileInParallel } = await built("runtime/compile/parallel-compile.js");
    const jobs = corpus();
    // Asked at once: the worker is still starting, so this thread compiles the first chunks it takes.
    const outcomes = (await compileInParallel(jobs, {}).finish()) as { kind: string; parts?: CompiledParts }[];
    expect(outcomes).toHaveLength(jobs.length);
    expect(outcomes.every((outcome) => outcome !== undefined)).toBe(true);
    const here = outcomes.filter((outcome) => outcome.parts?.maps.some((map) => typeof map === "function"));
    expect(here.length).toBeGreaterThan(0);
  });

  it("is not used for a folder of a few scripts", async () => {
    const { compileInParallel } = await built("runtime/compile/parallel-compile.js");
    expect(compileInParallel(corpus().slice(0, 10), {})).toBeUndefined();
  });

  it.skipIf(!multicore)("start-up of a big folder loads and fails exactly as when graft compiles on one thread, and what loaded runs", async () => {
    const files: Record<string, string> = {
      "base.ts": "export class Command {\n  run(): string { return 'base'; }\n}\nexport const greeting: string = 'hi';\n",
      "broken.ts": "import { Command } from './base';\nexport class Broken extends Command {\n  run( { return 1; }\n}\n",
      "missing.ts": "import { nothing } from './base';\nexport const m = nothing;\n",
      "waits.ts": "import { Broken } from './broken';\nexport const w = Broken;\n",
      "decorated.ts": "function twice(fn: any) { return function (this: any) { return fn.call(this) + fn.call(this); }; }\nexport class D { @twice run(): string { return 'd'; } }\n",
    };
    for (let i = 0; i < PARALLEL_COMPILE_MIN_SCRIPTS; i++) {
      files[`commands/c${i}.ts`] = `import { Command, greeting } from "../base";\nexport class C${i} extends Command {\n  run(): string { return greeting + ${i}; }\n}\n`;
    }
    const folder = await scriptsFolder(files);
    const { createRuntime: createRuntimeFromBuild } = await built("host-api/index.js");
    const pool = await built("runtime/compile/parallel-compile.js");
    const workersBefore = pool.compileWorkersStarted as number;
    const onWorkers = await createRuntimeFromBuild({ scripts: folder.root });
    expect(pool.compileWorkersStarted, "the build's start-up compiled on workers").toBeGreaterThan(workersBefore);
    const onThread = await createRuntimeFromSources({ scripts: folder.root });
    try {
      const failures = (runtime: typeof onThread) => runtime.initialReport.errors.map((error) => error.text).sort();
      expect(failures(onWorkers)).toEqual(failures(onThread));
      expect(failures(onWorkers).join("\n")).toMatch(/broken\.ts:3:\d+: syntax error/);
      expect(onWorkers.files()).toEqual(onThread.files());
      expect(onWorkers.files()).toHaveLength(PARALLEL_COMPILE_MIN_SCRIPTS + 2);
      const last = PARALLEL_COMPILE_MIN_SCRIPTS - 1;
      expect(onWorkers.getClass(`commands/c${last}.ts`, `C${last}`).new().call("run").toHost()).toBe(`hi${last}`);
      expect(onWorkers.getClass("decorated.ts", "D").new().call("run").toHost()).toBe("dd");
    } finally {
      onWorkers.dispose();
      onThread.dispose();
    }
  });
});
