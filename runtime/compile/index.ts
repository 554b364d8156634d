import { editsDone, editsOf } from "./edits.js";
import { parseScript, parseSnippet } from "./strip-types.js";
import { rewriteModule, transformSnippet, type ImportSite, type ModuleEntries } from "./module-transform.js";
import { mapOfEdits, SourceMapper, type SourceMapInput } from "./source-map.js";
import { callOpenings } from "./call-sites.js";
import { positionAt, type ScriptPosition } from "./errors.js";
import { checkNesting } from "./nesting.js";
import { mayReadImportsAtTopLevel } from "./top-level-reads.js";
import { lowerClasses, type DecoratorMode } from "./class-lowering.js";
import { checkReservedNames } from "./reserved-names.js";
import { hideModuleArguments } from "./module-arguments.js";
import { isJsonModule, jsonModuleCode } from "./json-module.js";

export { CompileError, type ScriptPosition } from "./errors.js";
export type { DecoratorMode } from "./class-lowering.js";
export { checkNesting } from "./nesting.js";
export { SourceMapper } from "./source-map.js";
export type { ModuleEntries } from "./module-transform.js";

export interface CompiledImport {
  specifier: string;
  /** The `type` import attribute, if any (`"json"` for a JSON module). */
  type?: string;
  /** Where the import is written, in the code the module rewrite was given (`positionOf` maps it to the script). */
  offset: number;
}

/** What compiling a script gives, as plain data. */
export interface CompiledModule {
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
  /**
   * Evaluating the top level may read an import (conservatively: see top-level-reads.ts);
   * when false, a change of an import computes nothing new here and the file is not re-run.
   */
  mayReadImportsAtTopLevel: boolean;
  /** Each top-level class's source text as written (types stripped), by class name. */
  classSources: Record<string, string>;
}

export interface CompiledScript extends CompiledModule {
  /** Maps positions in `code` back to `source`. */
  mapper: SourceMapper;
  /** Where an offset of `entries` (in the code the module rewrite was given) is in the script as written. */
  positionOf(offset: number): ScriptPosition;
  /** Where an offset of the type-stripped code (what the kernel is told of fields) is in `source`. */
  strippedPosition(offset: number): ScriptPosition;
}

export interface CompileOptions {
  /** TC39 decorators (the default), or TypeScript's experimentalDecorators. */
  decorators?: DecoratorMode;
}

/** Turns a script (`.ts`, `.js`, `.mjs`) into the form graft evaluates. Throws CompileError. */
export function compileScript(file: string, source: string, options: CompileOptions = {}): CompiledScript {
  return assembleScript(compileParts(file, source, options));
}

/**
 * A compiled script as data (what a compile worker sends back): the compiled code and what
 * it imports and exports, and the code of each stage with the maps that lead back from it.
 */
export interface CompiledParts extends CompiledModule {
  /** From the code QuickJS runs back to the source, pass by pass. */
  maps: SourceMapInput[];
  /** The code the module rewrite was given; `maps` from `mapsFrom` on lead back from it. */
  moduleStage: { code: string; mapsFrom: number };
  /** The type-stripped code (what the kernel is told of fields), and where its maps start. */
  strippedStage: { code: string; mapsFrom: number };
  /** Offsets in the source (call-sites.ts): [a call's open paren, the call's start, ...]. */
  callOpenings: number[];
}

/**
 * The passes of compileScript, without building its lookups. Throws CompileError.
 *
 * The script is parsed once (a `.ts` file as TypeScript; a `.js` one with legacy parameter
 * decorators twice: legacy-decorators.ts). Type stripping blanks TypeScript's type-only
 * syntax on that tree and writes what needs code (strip-types.ts), so every offset of the
 * tree stays an offset of the source; every later pass (reserved names, module `arguments`,
 * class lowering with decorators and `accessor` fields, the module rewrite) reads that one
 * tree and edits its text in one MagicString, so one map leads from the module function back
 * to the source. Nothing parses another pass's output.
 */
export function compileParts(file: string, source: string, options: CompileOptions = {}): CompiledParts {
  if (isJsonModule(file)) {
    // Its module code is graft's own (the value as its default export): compiled as a .js
    // file, and known by the JSON text (what a reload compares and error frames show).
    const parts = compileParts(`${file}.js`, jsonModuleCode(file, source), options);
    return { ...parts, file, source, callOpenings: [] };
  }
  checkNesting(file, source);
  const mode = options.decorators ?? "standard";
  const parsed = parseScript(file, source, mode);
  // The source with its types blanked out: the same offsets and lines as the source.
  const { code, program } = parsed;
  checkReservedNames(file, code, program, positionsIn(file, code, []));
  const out = editsOf(code);
  parsed.edit(out);
  hideModuleArguments(code, program, out);
  const module = rewriteModule(file, code, program, out);
  const classes = lowerClasses(file, code, program, out, "__graft", mode, parsed.textOf);
  const shape = module.finish({ unnamed: classes.unnamed, setup: classes.decorators.setup, fieldArguments: classes.fieldArguments });
  classes.decorators.classes();
  const maps = [mapOfEdits(editsDone(out), file)];
  return {
    file,
    source,
    code: out.toString(),
    imports: shape.imports.map((site: ImportSite) => (site.type === undefined ? { specifier: site.specifier, offset: site.offset } : { specifier: site.specifier, offset: site.offset, type: site.type })),
    exportNames: shape.exportNames,
    entries: shape.entries,
    classNames: shape.classNames,
    importedBindings: shape.importedBindings,
    topLevelAwait: shape.topLevelAwait,
    mayReadImportsAtTopLevel: mayReadImportsAtTopLevel(program),
    classSources: classes.sources,
    maps,
    moduleStage: { code, mapsFrom: maps.length },
    strippedStage: { code, mapsFrom: maps.length },
    callOpenings: callOpenings(program, code, parsed.calls),
  };
}

/** A CompiledScript from its parts (made here or by a compile worker). */
export function assembleScript(parts: CompiledParts): CompiledScript {
  const { maps, moduleStage, strippedStage, callOpenings, ...module } = parts;
  return {
    ...module,
    mapper: new SourceMapper(maps, { source: module.source, openings: callOpenings }),
    positionOf: positionsIn(module.file, moduleStage.code, maps.slice(moduleStage.mapsFrom)),
    strippedPosition: positionsIn(module.file, strippedStage.code, maps.slice(strippedStage.mapsFrom)),
  };
}

/** REPL code for `script`'s own scope (TypeScript if the script is): throws CompileError. */
export function compileSnippet(script: CompiledScript, code: string): string {
  checkNesting(script.file, code);
  const parsed = parseSnippet(script.file, code);
  const out = editsOf(parsed.code);
  parsed.edit(out);
  return transformSnippet(parsed.program, out, script.importedBindings);
}

/**
 * Positions in `code` as written in the script, through `maps`; the maps are decoded once,
 * at the first question (positions are asked for only when something is reported).
 */
function positionsIn(file: string, code: string, maps: SourceMapInput[]): (offset: number) => ScriptPosition {
  let mapper: SourceMapper | undefined;
  return (offset) => {
    const generated = positionAt(code, offset, file);
    if (maps.length === 0) return generated;
    mapper ??= new SourceMapper(maps);
    return { file, ...mapper.original(generated) };
  };
}
