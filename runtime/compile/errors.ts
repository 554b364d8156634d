/** A position in a script as the designer wrote it (1-based line and column). */
export interface ScriptPosition {
  file: string;
  line: number;
  column: number;
}

/** A script could not be compiled: syntax error, unsupported construct, bad import. */
export class CompileError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly position: ScriptPosition | undefined,
    readonly hint: string,
  ) {
    super(message);
    this.name = "CompileError";
  }
}

/** Converts a 0-based offset into a 1-based line and column. */
export function positionAt(source: string, offset: number, file: string): ScriptPosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < source.length; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { file, line, column: offset - lineStart + 1 };
}

/** The part of an oxc diagnostic graft uses. */
export interface OxcDiagnostic {
  message: string;
  helpMessage?: string | null;
  labels?: { start: number }[] | null;
}

/** A syntax error reported by oxc (parser or transformer), at its position in `source`. */
export function syntaxError(file: string, source: string, diagnostic: OxcDiagnostic): CompileError {
  const offset = diagnostic.labels?.[0]?.start;
  return new CompileError(
    `syntax error: ${diagnostic.message}`,
    file,
    offset === undefined ? undefined : positionAt(source, offset, file),
    diagnostic.helpMessage ?? "fix the syntax and save again",
  );
}
