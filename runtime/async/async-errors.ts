import { codeFrame, type MappedError } from "../reload/script-errors.js";
import type { ReloadError } from "../reload/reload-report.js";
import type { AsyncFailure } from "./scheduler.js";

export interface AsyncErrorContext {
  mapError(dumped: unknown): MappedError;
  sourceOf(file: string): string | undefined;
  timeout: number;
}

const WHAT: Record<AsyncFailure["origin"], string> = {
  setTimeout: "a setTimeout callback",
  setInterval: "a setInterval callback",
  queueMicrotask: "a queueMicrotask callback",
  "promise job": "a promise job (an async function or then-callback)",
};

/**
 * The "error" event for script code the event loop ran: what failed (and which file made
 * the timer), where as file:line:column with a code frame, the script's stack.
 */
export function describeAsyncFailure(failure: AsyncFailure, context: AsyncErrorContext): ReloadError {
  const what = `${WHAT[failure.origin]}${failure.file ? ` from ${failure.file}` : ""}`;
  const mapped = failure.dumped === undefined ? undefined : context.mapError(failure.dumped);
  const interrupted = mapped === undefined || (mapped.name === "InternalError" && mapped.message === "interrupted");
  let message: string;
  let hint: string;
  if (failure.overran !== undefined) {
    message = `${what} ran ${failure.overran} ms, longer than the timeout of ${context.timeout} ms, inside builtins (where the timeout cannot stop it)`;
    hint = "look for long computations in builtins (big strings, bigints, sorts, JSON) in it";
  } else if (failure.timedOut && interrupted) {
    message = `${what} ran longer than the timeout of ${context.timeout} ms and was stopped`;
    hint = failure.origin === "promise job"
      ? "look for an async loop or a then-chain that keeps scheduling itself; the promise it was running is rejected"
      : "look for an infinite loop or very long computation in it";
  } else if (failure.outOfMemory && mapped !== undefined && isOutOfMemory(mapped)) {
    message = `${what} ran out of memory (the VM is full to its memoryLimit)`;
    hint = "look for an unbounded array, string, object or timer chain growing in it, or create the runtime with a larger memoryLimit";
  } else {
    message = `${what} threw ${mapped ? `${mapped.name}: ${mapped.message}` : "an error"}`;
    hint = "fix the error and save; the host keeps running";
  }
  if (failure.consequence) message += `; ${failure.consequence}`;
  const position = mapped?.position;
  const file = position?.file ?? failure.file ?? "";
  const source = position ? context.sourceOf(position.file) : undefined;
  const frame = position && source ? codeFrame(source, position.line, position.column) : undefined;
  const where = position ? `${position.file}:${position.line}:${position.column}: ` : failure.file ? `${failure.file}: ` : "";
  let text = `${where}${message}\n${frame ? `${frame}\n` : ""}${hint}.`;
  if (mapped?.stack) text += `\n${mapped.stack}`;
  return { file, message, position, frame, text, origin: failure.origin };
}

/** QuickJS's out-of-memory error, or the null it throws when it had no memory to build one (only read so while the VM's memory was refused). */
function isOutOfMemory(mapped: MappedError): boolean {
  if (mapped.stack === "" && (mapped.message === "null" || mapped.message === "undefined")) return true;
  return mapped.name === "InternalError" && mapped.message === "out of memory";
}
