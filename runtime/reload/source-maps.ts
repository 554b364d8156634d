import type { SourceMapper } from "../compile/index.js";
import { mapVmError, type MappedError } from "./script-errors.js";

/** Source maps kept per file, for stacks of code that still runs from older versions. */
const VERSIONS_KEPT_PER_FILE = 16;

/**
 * The source map of each evaluated version, by the name QuickJS saw (`file?v=3`): a stack
 * names the file, line and column as written, also for code of an older version still running.
 */
export class SourceMapRegistry {
  private readonly maps = new Map<string, { file: string; mapper: SourceMapper }>();
  private readonly versionsOf = new Map<string, string[]>();

  /** A version being evaluated (a transaction may still roll it back: `forget`). */
  register(name: string, file: string, mapper: SourceMapper): void {
    this.maps.set(name, { file, mapper });
  }

  forget(name: string): void {
    this.maps.delete(name);
  }

  /** A version that committed: kept with the file's latest VERSIONS_KEPT_PER_FILE. */
  committed(file: string, name: string): void {
    const names = this.versionsOf.get(file) ?? [];
    names.push(name);
    while (names.length > VERSIONS_KEPT_PER_FILE) this.maps.delete(names.shift()!);
    this.versionsOf.set(file, names);
  }

  mapError(dumped: unknown): MappedError {
    return mapVmError(dumped, (name) => this.maps.get(name));
  }

  /** A position in evaluated code (by the name QuickJS saw) as "file:line" as written. */
  locate(evaluatedName: string, line: number, column: number): string | undefined {
    const found = this.maps.get(evaluatedName);
    if (!found) return undefined;
    return `${found.file}:${found.mapper.original({ line, column }).line}`;
  }
}
