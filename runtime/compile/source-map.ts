import { TraceMap, originalPositionFor, traceSegment, LEAST_UPPER_BOUND } from "@jridgewell/trace-mapping";
import type MagicString from "magic-string";

export interface EncodedSourceMap {
  version: number;
  sources: (string | null)[];
  names: string[];
  mappings: string;
  sourcesContent?: (string | null)[];
  file?: string | null;
  /** graft's own: the map of a MagicString's edits, with a segment for every character they kept. */
  x_graft_everyCharacter?: boolean;
}

/**
 * A pass's source map, or how to make it: maps are only read when something is reported,
 * so the passes hand over their edits and the map is generated at the first question.
 */
export type SourceMapInput = EncodedSourceMap | (() => EncodedSourceMap);

/** The map of `edits` (a pass's MagicString over `file`'s code), generated when first asked for. */
export function mapOfEdits(edits: MagicString, file: string): () => EncodedSourceMap {
  let map: EncodedSourceMap | undefined;
  return () => (map ??= { ...(edits.generateMap({ hires: true, source: file, includeContent: false }) as unknown as EncodedSourceMap), x_graft_everyCharacter: true });
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
  private traces: { trace: TraceMap; everyCharacter: boolean }[] | null = null;
  /** "line:column" (0-based column) of a call's open paren -> where the call is placed. */
  private callPlaces: Map<string, { line: number; column: number }> | null = null;

  /** `calls`: the source and its calls' [open paren, place] offsets (call-sites.ts), so a call is placed as Node places it. */
  constructor(
    private readonly maps: SourceMapInput[],
    private readonly calls?: { source: string; openings: number[] },
  ) {}

  original(position: LineColumn): LineColumn {
    this.traces ??= this.maps.map((input) => {
      const map = typeof input === "function" ? input() : input;
      return { trace: new TraceMap(map as ConstructorParameters<typeof TraceMap>[0]), everyCharacter: map.x_graft_everyCharacter === true };
    });
    let current = { line: position.line, column: position.column - 1 };
    for (const { trace, everyCharacter } of this.traces) {
      // A map of edits has a segment for every character they kept: a position without one
      // is in text a pass inserted, which (`__graftP0_0.ref(` before `this`) mostly wraps
      // the code after it, so it maps where that code is written.
      const inserted = everyCharacter && traceSegment(trace, current.line - 1, current.column)?.[0] !== current.column;
      let mapped = inserted ? originalPositionFor(trace, { ...current, bias: LEAST_UPPER_BOUND }) : originalPositionFor(trace, current);
      if (mapped.line === null && inserted) mapped = originalPositionFor(trace, current);
      if (mapped.line === null) mapped = originalPositionFor(trace, { ...current, bias: LEAST_UPPER_BOUND });
      if (mapped.line === null || mapped.column === null) break;
      current = { line: mapped.line, column: mapped.column };
    }
    const place = this.callPlaceAt(current);
    if (place) current = place;
    return { line: current.line, column: current.column + 1 };
  }

  private callPlaceAt(position: { line: number; column: number }): { line: number; column: number } | undefined {
    if (!this.calls || this.calls.openings.length === 0) return undefined;
    if (!this.callPlaces) {
      const { source, openings } = this.calls;
      const lineStarts = [0];
      for (let at = source.indexOf("\n"); at >= 0; at = source.indexOf("\n", at + 1)) lineStarts.push(at + 1);
      const lineColumn = (offset: number): { line: number; column: number } => {
        let low = 0;
        let high = lineStarts.length - 1;
        while (low < high) {
          const middle = (low + high + 1) >>> 1;
          if (lineStarts[middle]! <= offset) low = middle;
          else high = middle - 1;
        }
        return { line: low + 1, column: offset - lineStarts[low]! };
      };
      this.callPlaces = new Map();
      for (let i = 0; i + 1 < openings.length; i += 2) {
        const paren = lineColumn(openings[i]!);
        this.callPlaces.set(`${paren.line}:${paren.column}`, lineColumn(openings[i + 1]!));
      }
    }
    return this.callPlaces.get(`${position.line}:${position.column}`);
  }
}
