/**
 * A compile worker (parallel-compile.ts starts it): compiles the scripts it is sent and
 * sends back each one's parts as data, or its CompileError.
 */
import { parentPort } from "node:worker_threads";
import { compileParts, CompileError, type CompileOptions } from "./index.js";
import { partsAsData, type CompileJob, type CompileOutcome } from "./parallel-compile.js";

interface Request {
  jobs: CompileJob[];
  options: CompileOptions;
}

parentPort!.on("message", ({ jobs, options }: Request) => {
  const outcomes = jobs.map((job): CompileOutcome => {
    try {
      return { kind: "compiled", parts: partsAsData(compileParts(job.file, job.source, options)) };
    } catch (error) {
      if (error instanceof CompileError) return { kind: "error", message: error.message, file: error.file, position: error.position, hint: error.hint };
      return { kind: "failed", message: error instanceof Error ? error.stack ?? error.message : String(error) };
    }
  });
  parentPort!.postMessage(outcomes);
});
