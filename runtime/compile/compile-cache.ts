/**
 * What compiling a script gave, kept for the process: runtimes that load the same folder
 * (shards of one world, a host restarting its runtime, a file saved back to an earlier
 * text) compile each text once. Compiling is a function of the file's name, its text and
 * the compile options alone, so an entry is valid as long as it is kept; only what a
 * worker or this thread compiled without a surprise (a CompileError is an answer too) is kept.
 */
import type { CompileOptions, CompiledParts, ScriptPosition } from "./index.js";

/** One script's compile outcome (parallel-compile.ts's CompileOutcome, without a worker's failure). */
export type CachedOutcome =
  | { kind: "compiled"; parts: CompiledParts }
  | { kind: "error"; message: string; file: string; position: ScriptPosition | undefined; hint: string };

/**
 * The cache holds at most about this many bytes of text (sources, compiled code and the
 * stages the maps lead back through, counted at 2 bytes a character), oldest dropped first:
 * 3,000 command scripts take ~15 MB.
 */
const MAX_BYTES = 48 * 1024 * 1024;

const entries = new Map<string, { outcome: CachedOutcome; bytes: number }>();
let heldBytes = 0;
let hits = 0;

function keyOf(file: string, source: string, options: CompileOptions): string {
  return `${options.decorators ?? "standard"}\0${file}\0${source}`;
}

/** The kept outcome of compiling `source` as `file`, if any (it counts as recently used). */
export function cachedCompile(file: string, source: string, options: CompileOptions): CachedOutcome | undefined {
  const key = keyOf(file, source, options);
  const entry = entries.get(key);
  if (entry === undefined) return undefined;
  entries.delete(key);
  entries.set(key, entry);
  hits++;
  return entry.outcome;
}

/** Keeps what compiling `source` as `file` gave. */
export function rememberCompile(file: string, source: string, options: CompileOptions, outcome: CachedOutcome): void {
  const key = keyOf(file, source, options);
  const bytes = 2 * (key.length + (outcome.kind === "compiled" ? outcome.parts.code.length + outcome.parts.moduleStage.code.length : outcome.message.length));
  if (bytes > MAX_BYTES / 4) return;
  const previous = entries.get(key);
  if (previous) heldBytes -= previous.bytes;
  entries.delete(key);
  entries.set(key, { outcome, bytes });
  heldBytes += bytes;
  for (const [oldest, entry] of entries) {
    if (heldBytes <= MAX_BYTES) break;
    entries.delete(oldest);
    heldBytes -= entry.bytes;
  }
}

/** How many compiled texts the process keeps, and how many compiles it has answered so far (for tests). */
export function compileCacheStats(): { size: number; hits: number } {
  return { size: entries.size, hits };
}

/** Forgets every kept outcome (for tests and benchmarks that measure compiling). */
export function clearCompileCache(): void {
  entries.clear();
  heldBytes = 0;
}
