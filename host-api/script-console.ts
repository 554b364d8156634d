import type { ConsoleCall, ValueDescription, ValueInspector } from "../runtime/inspect/value-inspector.js";
import type { MappedError } from "../runtime/reload/script-errors.js";
import type { ConsoleEntry, ConsoleOutput } from "./types.js";

/** One frame of a console call's stack, mapped to the script as written (1-based line and column). */
export interface ConsoleFrame {
  functionName: string;
  file: string;
  line: number;
  column: number;
}

/** What taps (the DevTools inspector) get of a console call: the call (its handles borrowed) and what the host printed. */
export type ConsoleTap = (call: ConsoleCall, entry: ConsoleEntry, frames: ConsoleFrame[]) => void;

const STDERR_TYPES = new Set(["warning", "error", "trace", "assert"]);
const FRAME = /^\s*at (?:(.*?) \()?([^()\s]+?):(\d+):(\d+)\)?\s*$/;

/**
 * Scripts' console calls: formatted once, printed through the `console` option of
 * createRuntime (default: the host's stdout, or stderr for warnings and errors, with the
 * script's file and line), and handed to taps (attached DevTools sessions).
 */
export class ScriptConsole {
  private readonly taps = new Set<ConsoleTap>();

  constructor(
    /** Reads VM values as DevTools' remote objects (the inspector's too). */
    readonly values: ValueInspector,
    private readonly mapStack: (dumped: unknown) => MappedError,
    private readonly output: ConsoleOutput | false | undefined,
  ) {
    values.onConsole = (call) => this.called(call);
  }

  /** Adds a tap; returns its removal. */
  tap(tap: ConsoleTap): () => void {
    this.taps.add(tap);
    return () => this.taps.delete(tap);
  }

  private called(call: ConsoleCall): void {
    const mapped = this.mapStack({ name: "Error", message: "console", stack: call.stack });
    const frames = parseFrames(mapped.stack);
    const described = call.args.map((arg) => this.values.describe(arg, true));
    let text = formatArguments(described);
    if (call.type === "assert") text = text === "" ? "Assertion failed" : `Assertion failed: ${text}`;
    if (call.type === "table" && call.table) text = formatTable(call.table);
    if (call.type === "trace") text = `Trace${text === "" ? "" : `: ${text}`}\n${mapped.stack}`;
    const position = mapped.position;
    const entry: ConsoleEntry = { type: call.type, file: call.file, line: position?.line, column: position?.column, text, stack: mapped.stack };
    for (const tap of this.taps) {
      try {
        tap(call, entry, frames);
      } catch (error) {
        console.error("graft: a console tap failed", error);
      }
    }
    if (this.output === false) return;
    try {
      (this.output ?? printToStdio)(entry);
    } catch (error) {
      // The host's printer failing is the host's bug, not the script's: the script carries on.
      console.error("graft: the console option threw", error);
    }
  }
}

/** The default output: `[file:line] text`, warnings, errors, traces and failed asserts to stderr. */
export function printToStdio(entry: ConsoleEntry): void {
  const where = entry.line === undefined ? entry.file : `${entry.file}:${entry.line}`;
  const line = `[${where}] ${entry.text}\n`;
  (STDERR_TYPES.has(entry.type) ? process.stderr : process.stdout).write(line);
}

function parseFrames(stack: string): ConsoleFrame[] {
  const frames: ConsoleFrame[] = [];
  for (const line of stack.split("\n")) {
    const match = FRAME.exec(line);
    if (!match) continue;
    frames.push({ functionName: match[1] ?? "", file: match[2]!, line: Number(match[3]), column: Number(match[4]) });
  }
  return frames;
}

/** Node's rules, roughly: a first string argument's %s %d %i %f %o %O %j %c are substituted; the rest joined by spaces. */
export function formatArguments(args: ValueDescription[]): string {
  const parts: string[] = [];
  let rest = args;
  const first = args[0];
  if (first?.type === "string" && typeof first.value === "string" && first.value.includes("%")) {
    let index = 1;
    const text = first.value.replace(/%([sdifoOjc%])/g, (match, letter: string) => {
      if (letter === "%") return "%";
      if (index >= args.length) return match;
      const value = args[index++]!;
      if (letter === "c") return "";
      if (letter === "d" || letter === "i") return value.type === "number" ? String(letter === "i" ? Math.trunc(Number(value.value)) : value.value) : "NaN";
      if (letter === "f") return value.type === "number" ? String(value.value) : "NaN";
      return letter === "s" && value.type === "string" ? String(value.value) : plainText(value);
    });
    parts.push(text);
    rest = args.slice(index);
  } else if (first) {
    parts.push(first.type === "string" ? String(first.value) : plainText(first));
    rest = args.slice(1);
  }
  for (const value of rest) parts.push(value.type === "string" ? String(value.value) : plainText(value));
  return parts.join(" ");
}

interface PreviewProperty {
  name: string;
  type: string;
  value?: string;
  subtype?: string;
}

/** A value as one line: primitives as Node prints them, objects as `Class { a: 1, ... }` from their preview. */
function plainText(value: ValueDescription): string {
  if (value.type === "undefined") return "undefined";
  if (value.type === "string") return `'${String(value.value)}'`;
  if (value.subtype === "null") return "null";
  if (value.type === "number" || value.type === "boolean") return value.description ?? String(value.value);
  if (value.type === "object" && value.subtype !== "error" && value.preview) {
    const preview = value.preview as { properties: PreviewProperty[]; overflow: boolean };
    const array = value.subtype === "array";
    const items = preview.properties.map((property) => {
      const text = property.type === "accessor" ? "[Getter]" : property.type === "string" ? `'${property.value ?? ""}'` : (property.value ?? property.type);
      return array ? text : `${property.name}: ${text}`;
    });
    if (preview.overflow) items.push("...");
    if (array) return `${value.description ?? "Array"} [ ${items.join(", ")} ]`;
    const name = value.className && value.className !== "Object" ? `${value.className} ` : "";
    return items.length === 0 ? `${name}{}` : `${name}{ ${items.join(", ")} }`;
  }
  return value.description ?? value.type;
}

function formatTable(table: { header: string[]; rows: string[][] }): string {
  const widths = table.header.map((title, column) => Math.max(title.length, ...table.rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) => `│ ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(" │ ")} │`;
  const rule = (left: string, middle: string, right: string) => `${left}${widths.map((width) => "─".repeat(width + 2)).join(middle)}${right}`;
  return [rule("┌", "┬", "┐"), line(table.header), rule("├", "┼", "┤"), ...table.rows.map(line), rule("└", "┴", "┘")].join("\n");
}
