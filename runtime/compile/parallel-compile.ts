/**
 * Compiling many scripts at once (start-up, a checkout) on worker threads, so that the
 * thread that owns the VM can do its own part of the work (making the scripts' contexts)
 * meanwhile. Each worker gets an equal share of the scripts in one message.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { assembleScript, CompileError, type CompileOptions, type CompiledParts, type CompiledScript, type ScriptPosition } from "./index.js";

export interface CompileJob {
  file: string;
  source: string;
}

/** What a worker sends back for one script. */
export type CompileOutcome =
  | { kind: "compiled"; parts: CompiledParts }
  | { kind: "error"; message: string; file: string; position: ScriptPosition | undefined; hint: string }
  | { kind: "failed"; message: string };

/** Fewer scripts than this compile faster on the calling thread than a worker starts. */
export const PARALLEL_COMPILE_MIN_SCRIPTS = 400;
const MAX_WORKERS = 4;

/** The worker's code as built (dist); absent when graft runs from its TypeScript sources. */
const WORKER_FILE = fileURLToPath(new URL("./compile-worker.js", import.meta.url));

/** Compile workers started by this process so far (what a host can check its start-up used). */
export let compileWorkersStarted = 0;

/** Parts with their source maps made, so that they cross to another thread as plain data. */
export function partsAsData(parts: CompiledParts): CompiledParts {
  return { ...parts, maps: parts.maps.map((map) => (typeof map === "function" ? map() : map)) };
}

/**
 * Starts compiling `jobs` on worker threads; undefined when that would not pay (few scripts,
 * one core) or cannot be done (no built worker). The promise gives one outcome per job, in order.
 */
export function compileInParallel(jobs: CompileJob[], options: CompileOptions): Promise<CompileOutcome[]> | undefined {
  const workers = Math.min(MAX_WORKERS, availableParallelism() - 1, Math.floor(jobs.length / (PARALLEL_COMPILE_MIN_SCRIPTS / 2)));
  if (jobs.length < PARALLEL_COMPILE_MIN_SCRIPTS || workers < 1 || !existsSync(WORKER_FILE)) return undefined;
  const share = Math.ceil(jobs.length / workers);
  const shares = Array.from({ length: workers }, (_, index) => runWorker(jobs.slice(index * share, (index + 1) * share), options));
  return Promise.all(shares).then((outcomes) => outcomes.flat());
}

function runWorker(jobs: CompileJob[], options: CompileOptions): Promise<CompileOutcome[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_FILE);
    compileWorkersStarted++;
    worker.once("message", (outcomes: CompileOutcome[]) => {
      resolve(outcomes);
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`graft: a compile worker exited (code ${code}) before it answered`)));
    worker.postMessage({ jobs, options });
  });
}

/** A worker's compile outcome as compileScript's: the script, or its CompileError thrown. */
export function scriptOf(outcome: CompileOutcome): CompiledScript {
  if (outcome.kind === "compiled") return assembleScript(outcome.parts);
  if (outcome.kind === "error") throw new CompileError(outcome.message, outcome.file, outcome.position, outcome.hint);
  throw new Error(`graft: a compile worker failed: ${outcome.message}`);
}
