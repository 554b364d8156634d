import { TraceMap, originalPositionFor, LEAST_UPPER_BOUND } from "@jridgewell/trace-mapping";

export interface EncodedSourceMap {
  version: number;
  sources: (string | null)[];
  names: string[];
  mappings: string;
  sourcesContent?: (string | null)[];
  file?: string | null;
}

interface LineColumn {
  line: number; // 1-based
  column: number; // 1-based
}

/**
 * Maps positions in the code QuickJS runs back to the script as written, through the
 * chain of transforms (module rewrite, then type stripping). Maps are parsed lazily:
 * they are only needed when something goes wrong.
 */
export class SourceMapper {
  private traces: TraceMap[] | null = null;

  constructor(private readonly maps: EncodedSourceMap[]) {}

  original(position: LineColumn): LineColumn {
    this.traces ??= this.maps.map((map) => new TraceMap(map as ConstructorParameters<typeof TraceMap>[0]));
    let current = { line: position.line, column: position.column - 1 };
    for (const trace of this.traces) {
      let mapped = originalPositionFor(trace, current);
      if (mapped.line === null) mapped = originalPositionFor(trace, { ...current, bias: LEAST_UPPER_BOUND });
      if (mapped.line === null || mapped.column === null) break;
      current = { line: mapped.line, column: mapped.column };
    }
    return { line: current.line, column: current.column + 1 };
  }
}
