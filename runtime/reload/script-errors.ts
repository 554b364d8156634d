import type { SourceMapper } from "../compile/index.js";
import type { SourcePosition } from "./reload-report.js";
import { SCOPE_EVALUATOR } from "../compile/module-transform.js";
import { formatBytes } from "../format-bytes.js";

export interface MappedError {
  name: string;
  message: string;
  /** The first stack frame that is in a script, as written. */
  position?: SourcePosition;
  /** The VM stack with every script frame mapped to file:line:column as written. */
  stack: string;
}

/** Finds the source map of one evaluated version, by the file name QuickJS saw. */
export type MapperLookup = (evaluatedName: string) => { file: string; mapper: SourceMapper } | undefined;

const FRAME = /^(\s*at )(?:(.*?) \()?([^()\s]+?):(\d+):(\d+)\)?\s*$/;

/** `commands/rehash.ts?v=3`: the name graft gives QuickJS for version 3 of a file. */
export function evaluatedName(file: string, version: number): string {
  return `${file}?v=${version}`;
}

/** Maps a VM error (as dumped: name, message, stack) to positions in the scripts as written. */
export function mapVmError(dumped: unknown, lookup: MapperLookup): MappedError {
  const record = (dumped && typeof dumped === "object" ? dumped : { message: String(dumped) }) as Record<string, unknown>;
  const name = typeof record.name === "string" ? record.name : "Error";
  const message = typeof record.message === "string" ? record.message : String(record.message ?? dumped);
  const stackText = typeof record.stack === "string" ? record.stack : "";
  let position: SourcePosition | undefined;
  let inGraft = false;
  const lines = stackText.split("\n").filter((line) => line.trim() !== "").map((line) => {
    const match = FRAME.exec(line);
    if (!match) return inGraft ? null : line;
    const [, prefix, fn, evaluated, lineText, columnText] = match;
    // Frames from runtime.evaluate()'s entry into a module's scope on are graft's plumbing.
    if (fn === SCOPE_EVALUATOR) inGraft = true;
    if (inGraft) return null;
    const found = lookup(evaluated!);
    if (!found) {
      return evaluated!.startsWith("graft:") ? null : line;
    }
    const original = found.mapper.original({ line: Number(lineText), column: Number(columnText) });
    const mapped = { file: found.file, line: original.line, column: original.column };
    position ??= mapped;
    const where = `${mapped.file}:${mapped.line}:${mapped.column}`;
    return fn ? `${prefix}${fn} (${where})` : `${prefix}${where}`;
  }).filter((line): line is string => line !== null);
  // The native generator step graft runs a module's top level through.
  while (lines.length > 0 && /^\s*at next \(native\)$/.test(lines[lines.length - 1]!)) lines.pop();
  return { name, message, position, stack: lines.join("\n") };
}

/** A few lines of source around a position, with a caret under the column. */
export function codeFrame(source: string, line: number, column: number, context = 2): string {
  const lines = source.split(/\r?\n/);
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? ">" : " ";
    out.push(`${marker} ${String(n).padStart(width)} | ${lines[n - 1] ?? ""}`);
    if (n === line) out.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, column - 1))}^`);
  }
  return out.join("\n");
}

/** What went wrong in words a designer can act on. */
/** What a VM's state says about how a call ended: for explainVmError. */
export interface VmOutcome {
  timedOut: boolean;
  memoryExhausted: boolean;
  options: { timeout: number; memoryLimit: number };
}

export function explainVmError(mapped: MappedError, vm: VmOutcome): { message: string; hint: string } {
  const text = `${mapped.name}: ${mapped.message}`;
  if (mapped.name === "InternalError" && mapped.message === "interrupted" && vm.timedOut) {
    return {
      message: `timed out: the script ran longer than ${vm.options.timeout} ms and was stopped`,
      hint: "look for an infinite loop or very long computation at this line",
    };
  }
  // With no memory left QuickJS cannot build the error object and throws null.
  if (mapped.message === "out of memory" || (vm.memoryExhausted && mapped.stack === "" && (mapped.message === "null" || mapped.message === "undefined"))) {
    return {
      message: `out of memory: the script went over the VM memory limit (${formatBytes(vm.options.memoryLimit)})`,
      hint: "look for an unbounded array, string or object growing here",
    };
  }
  if (/stack overflow|Maximum call stack/i.test(mapped.message)) {
    return { message: `${text} (unbounded recursion?)`, hint: "look for a function that calls itself without an end condition" };
  }
  if (mapped.name === "SyntaxError") return { message: text, hint: "fix the syntax and save again" };
  return { message: text, hint: "fix the error and save again" };
}
