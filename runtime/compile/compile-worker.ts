/**
 * A compile worker (parallel-compile.ts starts it): compiles each chunk of scripts it is
 * sent and sends back each one's parts as data, or its CompileError.
 */
import { parentPort } from "node:worker_threads";
import type { CompileOptions } from "./index.js";
import { compileOutcome, type CompileJob } from "./parallel-compile.js";

interface Request {
  jobs: CompileJob[];
  options: CompileOptions;
}

parentPort!.on("message", ({ jobs, options }: Request) => {
  parentPort!.postMessage(jobs.map((job) => compileOutcome(job, options, true)));
});
