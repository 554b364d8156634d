import { TraceMap, originalPositionFor, LEAST_UPPER_BOUND } from "@jridgewell/trace-mapping";
import type MagicString from "magic-string";

export interface EncodedSourceMap {
  version: number;
  sources: (string | null)[];
  names: string[];
  mappings: string;
  sourcesContent?: (string | null)[];
  file?: string | null;
}

/**
 * A pass's source map, or how to make it: maps are only read when something is reported,
 * so the passes hand over their edits and the map is generated at the first question.
 */
export type SourceMapInput = EncodedSourceMap | (() => EncodedSourceMap);

/** The map of `edits` (a pass's MagicString over `file`'s code), generated when first asked for. */
export function mapOfEdits(edits: MagicString, file: string): () => EncodedSourceMap {
  let map: EncodedSourceMap | undefined;
  return () => (map ??= edits.generateMap({ hires: true, source: file, includeContent: false }) as unknown as EncodedSourceMap);
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

  constructor(private readonly maps: SourceMapInput[]) {}

  original(position: LineColumn): LineColumn {
    this.traces ??= this.maps.map((map) => new TraceMap((typeof map === "function" ? map() : map) as ConstructorParameters<typeof TraceMap>[0]));
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
