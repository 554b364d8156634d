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

/**
 * How a script's call ended, as graft saw it (the VM's state), never as the thrown value
 * says: a script can throw `{ name: "timed out", message: "the script ran longer..." }`.
 */
export type ScriptErrorKind = "thrown" | "timeout" | "out of memory";

/** How graft's own reports of a call begin (see thrownText). */
const GRAFT_REPORT = /^(timed out|out of memory|VM out of memory|the VM crashed|stack overflow)\b/i;

/**
 * The text of a value a script threw, marked when it reads like one of graft's own reports
 * ("timed out: ...", "out of memory: ..."), so that a thrown value never passes for one.
 */
export function thrownText(text: string): string {
  return GRAFT_REPORT.test(text) ? `the script threw a value that reads: ${text}` : text;
}

/** Whether a call that threw `mapped` ended by the timeout (the VM stopped it, not a thrown look-alike). */
export function endedByTimeout(mapped: MappedError, vm: VmOutcome): boolean {
  return mapped.name === "InternalError" && mapped.message === "interrupted" && vm.timedOut;
}

/**
 * Whether a call that threw `mapped` ran out of memory: QuickJS's error (an InternalError
 * "out of memory", or null when it had no memory to build one) while the VM's memory was
 * refused during the call. The error alone proves nothing (scripts can make an
 * InternalError); QuickJS's refusal of one allocation larger than memoryLimit, which grows
 * nothing, stays the script's "InternalError: out of memory".
 */
export function endedOutOfMemory(mapped: MappedError, vm: VmOutcome): boolean {
  if (!vm.memoryExhausted) return false;
  if (mapped.stack === "" && (mapped.message === "null" || mapped.message === "undefined")) return true;
  return mapped.name === "InternalError" && mapped.message === "out of memory";
}

export function explainVmError(mapped: MappedError, vm: VmOutcome): { message: string; hint: string } {
  const text = thrownText(`${mapped.name}: ${mapped.message}`);
  if (endedByTimeout(mapped, vm)) {
    return {
      message: `timed out: the script ran longer than ${vm.options.timeout} ms and was stopped`,
      hint: "look for an infinite loop or very long computation at this line",
    };
  }
  // With no memory left QuickJS cannot build the error object and throws null.
  if (endedOutOfMemory(mapped, vm)) {
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
