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

/**
 * Texts kept per file (and compile options), the least recently used dropped first: enough
 * for a save undone a few times over, while a file edited a thousand times holds no more
 * than this. Without it a reload loop kept every edit's outcome (~51 KB of host heap each
 * for the 200-line bench script) up to MAX_BYTES: the host heap grew with every reload.
 */
export const TEXTS_KEPT_PER_FILE = 4;

const entries = new Map<string, { outcome: CachedOutcome; bytes: number; file: string }>();
/** The keys of `entries` per file and options, oldest first. */
const keysOfFile = new Map<string, string[]>();
let heldBytes = 0;
let hits = 0;

function fileKeyOf(file: string, options: CompileOptions): string {
  return `${options.decorators ?? "standard"}\0${file}`;
}

function keyOf(file: string, source: string, options: CompileOptions): string {
  return `${fileKeyOf(file, options)}\0${source}`;
}

/** The kept outcome of compiling `source` as `file`, if any (it counts as recently used). */
export function cachedCompile(file: string, source: string, options: CompileOptions): CachedOutcome | undefined {
  const key = keyOf(file, source, options);
  const entry = entries.get(key);
  if (entry === undefined) return undefined;
  entries.delete(key);
  entries.set(key, entry);
  const keys = keysOfFile.get(entry.file)!;
  keys.push(...keys.splice(keys.indexOf(key), 1));
  hits++;
  return entry.outcome;
}

/** Keeps what compiling `source` as `file` gave. */
export function rememberCompile(file: string, source: string, options: CompileOptions, outcome: CachedOutcome): void {
  const key = keyOf(file, source, options);
  const bytes = 2 * (key.length + (outcome.kind === "compiled" ? outcome.parts.code.length + outcome.parts.moduleStage.code.length : outcome.message.length));
  if (bytes > MAX_BYTES / 4) return;
  if (entries.has(key)) drop(key);
  const fileKey = fileKeyOf(file, options);
  entries.set(key, { outcome, bytes, file: fileKey });
  heldBytes += bytes;
  const keys = keysOfFile.get(fileKey) ?? [];
  keys.push(key);
  keysOfFile.set(fileKey, keys);
  while (keys.length > TEXTS_KEPT_PER_FILE) drop(keys[0]!);
  for (const oldest of entries.keys()) {
    if (heldBytes <= MAX_BYTES) break;
    drop(oldest);
  }
}

function drop(key: string): void {
  const entry = entries.get(key);
  if (entry === undefined) return;
  entries.delete(key);
  heldBytes -= entry.bytes;
  const keys = keysOfFile.get(entry.file)!;
  keys.splice(keys.indexOf(key), 1);
  if (keys.length === 0) keysOfFile.delete(entry.file);
}

/** How many compiled texts the process keeps, and how many compiles it has answered so far (for tests). */
export function compileCacheStats(): { size: number; hits: number } {
  return { size: entries.size, hits };
}

/** Forgets every kept outcome (for tests and benchmarks that measure compiling). */
export function clearCompileCache(): void {
  entries.clear();
  keysOfFile.clear();
  heldBytes = 0;
}
