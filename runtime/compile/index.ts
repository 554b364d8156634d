import { stripTypes } from "./strip-types.js";
import { transformModule, transformSnippet, type ImportSite, type ModuleEntries } from "./module-transform.js";
import { SourceMapper, type EncodedSourceMap } from "./source-map.js";
import { CompileError, positionAt, type ScriptPosition } from "./errors.js";
import { checkNesting } from "./nesting.js";
import { lowerClasses, type DecoratorMode } from "./class-lowering.js";
import { lowerDecorators } from "./decorators.js";

export { CompileError, type ScriptPosition } from "./errors.js";
export type { DecoratorMode } from "./class-lowering.js";
export { checkNesting } from "./nesting.js";
export { SourceMapper } from "./source-map.js";
export type { ModuleEntries } from "./module-transform.js";

export interface CompiledImport {
  specifier: string;
  /** Where the import is written in the script as the designer wrote it. */
  position: ScriptPosition;
}

export interface CompiledScript {
  file: string;
  source: string;
  /** Function-wrapped JavaScript for QuickJS. */
  code: string;
  imports: CompiledImport[];
  exportNames: string[];
  /** Import and export entries, for link-time resolution. */
  entries: ModuleEntries;
  classNames: string[];
  /** Imported local names -> the expression that reads them, for code evaluated in the module's scope. */
  importedBindings: Record<string, string>;
  /** The top level awaits: evaluating it returns a promise the reload waits for. */
  topLevelAwait: boolean;
  /** Maps positions in `code` back to `source`. */
  mapper: SourceMapper;
  /** Where an offset of `entries` (in the stripped code) is in the script as written. */
  positionOf(offset: number): ScriptPosition;
  /** Where an offset of the type-stripped code (what the kernel is told of fields) is in `source`. */
  strippedPosition(offset: number): ScriptPosition;
}

/** Turns a script (`.ts`, `.js`, `.mjs`) into the form graft evaluates. Throws CompileError. */
export interface CompileOptions {
  /** TC39 decorators (the default), or TypeScript's experimentalDecorators. */
  decorators?: DecoratorMode;
}

export function compileScript(file: string, source: string, options: CompileOptions = {}): CompiledScript {
  checkNesting(file, source);
  const stripped = stripTypes(file, source);
  const { lowered: classes, typescript, privateNames } = mapErrorPosition(() => lowerClasses(file, stripped.code, "__graft", options.decorators ?? "standard"), stripped.map);
  const shape = transformModule(file, classes ? classes.code : stripped.code);
  const decorators = typescript ? lowerDecorators(file, shape.code, "__graft", privateNames) : null;
  const maps: EncodedSourceMap[] = [...(decorators?.maps ?? []), shape.map];
  if (classes) maps.push(classes.map);
  if (stripped.map) maps.push(stripped.map);
  const mapper = new SourceMapper(maps);
  const strippedMapper = stripped.map ? new SourceMapper([stripped.map]) : null;
  return {
    file,
    source,
    code: decorators ? decorators.code : shape.code,
    imports: shape.imports.map((site: ImportSite) => ({
      specifier: site.specifier,
      position: originalImportPosition(file, stripped.code, site.offset, strippedMapper),
    })),
    exportNames: shape.exportNames,
    entries: shape.entries,
    classNames: shape.classNames,
    importedBindings: shape.importedBindings,
    topLevelAwait: shape.topLevelAwait,
    mapper,
    positionOf: (offset) => originalImportPosition(file, stripped.code, offset, strippedMapper),
    strippedPosition: (offset) => originalImportPosition(file, stripped.code, offset, strippedMapper),
  };
}

/** REPL code for `script`'s own scope (TypeScript if the script is): throws CompileError. */
export function compileSnippet(script: CompiledScript, code: string): string {
  checkNesting(script.file, code);
  return transformSnippet(script.file, stripTypes(script.file, code).code, script.importedBindings);
}

/** A CompileError raised on stripped code, with its position moved to the source as written. */
function mapErrorPosition<T>(step: () => T, map: EncodedSourceMap | null): T {
  try {
    return step();
  } catch (error) {
    if (!(error instanceof CompileError) || !error.position || !map) throw error;
    const position = { file: error.file, ...new SourceMapper([map]).original(error.position) };
    throw new CompileError(error.message, error.file, position, error.hint);
  }
}

function originalImportPosition(file: string, code: string, offset: number, mapper: SourceMapper | null): ScriptPosition {
  const generated = positionAt(code, offset, file);
  if (!mapper) return generated;
  return { file, ...mapper.original(generated) };
}
