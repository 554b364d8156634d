/**
 * Compiling many scripts at once (start-up, a checkout) on worker threads, so that the
 * thread that owns the VM can do its own part of the work (making the scripts' contexts)
 * meanwhile, and then help: the scripts are a queue of small chunks that each worker, and
 * the calling thread once it is free, take from until none is left.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { assembleScript, compileParts, CompileError, type CompileOptions, type CompiledParts, type CompiledScript, type ScriptPosition } from "./index.js";
import { cachedCompile, rememberCompile } from "./compile-cache.js";

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

/** Scripts a worker (or the calling thread) takes from the queue at a time. */
const CHUNK = 16;

/** A compile under way on workers (compileInParallel). */
export interface ParallelCompile {
  /**
   * Compiles scripts still queued on the calling thread, a chunk at a time (letting the
   * workers' answers in between), then waits for the workers' last chunks. Every job's
   * outcome, in order; rejects if a worker failed (the caller then compiles on its own).
   */
  finish(): Promise<CompileOutcome[]>;
}

/**
 * Starts compiling `jobs` on worker threads; undefined when that would not pay (few scripts,
 * one core) or cannot be done (no built worker). Nothing is compiled on the calling thread
 * until it calls `finish()`.
 */
export function compileInParallel(jobs: CompileJob[], options: CompileOptions): ParallelCompile | undefined {
  const workers = Math.min(MAX_WORKERS, availableParallelism() - 1, Math.floor(jobs.length / (PARALLEL_COMPILE_MIN_SCRIPTS / 2)));
  if (jobs.length < PARALLEL_COMPILE_MIN_SCRIPTS || workers < 1 || !existsSync(WORKER_FILE)) return undefined;
  const outcomes = new Array<CompileOutcome>(jobs.length);
  let next = 0;
  const claim = (): [number, number] | undefined => {
    if (next >= jobs.length) return undefined;
    const start = next;
    next = Math.min(jobs.length, next + CHUNK);
    return [start, next];
  };
  const working = Array.from({ length: workers }, () => runWorker(jobs, options, outcomes, claim));
  // A worker's failure is seen by finish(); until then it must not count as unhandled.
  const done = Promise.all(working);
  done.catch(() => {});
  return {
    async finish() {
      for (let chunk = claim(); chunk !== undefined; chunk = claim()) {
        for (let index = chunk[0]; index < chunk[1]; index++) outcomes[index] = compileRemembered(jobs[index]!, options);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await done;
      return outcomes;
    },
  };
}

/** What compiling one script gives, as a worker sends it (`asData`: source maps made now, to cross threads). */
export function compileOutcome(job: CompileJob, options: CompileOptions, asData: boolean): CompileOutcome {
  try {
    const parts = compileParts(job.file, job.source, options);
    return { kind: "compiled", parts: asData ? partsAsData(parts) : parts };
  } catch (error) {
    if (error instanceof CompileError) return { kind: "error", message: error.message, file: error.file, position: error.position, hint: error.hint };
    return { kind: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}

/**
 * Compiles on this thread, through the process's compile cache (compile-cache.ts): the
 * parts, or the CompileError as an outcome. Anything else thrown is graft's own failure and
 * is thrown on.
 */
export function compileRemembered(job: CompileJob, options: CompileOptions): CompileOutcome {
  const cached = cachedCompile(job.file, job.source, options);
  if (cached) return cached;
  let outcome: CompileOutcome;
  try {
    outcome = { kind: "compiled", parts: compileParts(job.file, job.source, options) };
  } catch (error) {
    if (!(error instanceof CompileError)) throw error;
    outcome = { kind: "error", message: error.message, file: error.file, position: error.position, hint: error.hint };
  }
  remember(job, options, outcome);
  return outcome;
}

function remember(job: CompileJob, options: CompileOptions, outcome: CompileOutcome): void {
  if (outcome.kind !== "failed") rememberCompile(job.file, job.source, options, outcome);
}

/** One worker: takes chunks from the queue until it is empty, each one message there and back. */
function runWorker(jobs: CompileJob[], options: CompileOptions, outcomes: CompileOutcome[], claim: () => [number, number] | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_FILE);
    compileWorkersStarted++;
    let chunk = claim();
    const send = (): void => {
      if (chunk === undefined) {
        resolve();
        void worker.terminate();
        return;
      }
      worker.postMessage({ jobs: jobs.slice(chunk[0], chunk[1]), options });
    };
    worker.on("message", (answered: CompileOutcome[]) => {
      for (let i = 0; i < answered.length; i++) {
        outcomes[chunk![0] + i] = answered[i]!;
        remember(jobs[chunk![0] + i]!, options, answered[i]!);
      }
      chunk = claim();
      send();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (chunk !== undefined) reject(new Error(`graft: a compile worker exited (code ${code}) before it answered`));
    });
    send();
  });
}

/** A worker's compile outcome as compileScript's: the script, or its CompileError thrown. */
export function scriptOf(outcome: CompileOutcome): CompiledScript {
  if (outcome.kind === "compiled") return assembleScript(outcome.parts);
  if (outcome.kind === "error") throw new CompileError(outcome.message, outcome.file, outcome.position, outcome.hint);
  throw new Error(`graft: a compile worker failed: ${outcome.message}`);
}
