import { parseSync } from "oxc-parser";
import { positionAt, type ScriptPosition } from "./errors.js";

/** A name a TypeScript file exports, as tsc sees it, with what declares it. */
export interface TypeScriptExport {
  name: string;
  /** What the name is, in words: "interface SpeedActor", "type alias Id", "`declare const` z". */
  what: string;
  /** Where the declaration (or, for a re-export, the export) is written in the source. */
  position: ScriptPosition;
}

/** What a TypeScript file exports as tsc sees it: its names, and its `export type * from` (every name of those files, as a type). */
export interface TypeScriptExports {
  names: Map<string, TypeScriptExport>;
  typeStars: { specifier: string; position: ScriptPosition }[];
}

type AstNode = { type: string; start: number; end: number } & Record<string, unknown>;

/**
 * Every name a TypeScript file exports as tsc sees it (types and values), read from its
 * source. Type stripping removes the exports that the file alone shows to be types
 * (interfaces, type aliases, `declare`d values, namespaces of types only, `export type`);
 * a name this lists that the compiled module does not export is one of those: the module
 * linker (runtime/reload/module-link.ts) elides it across files, as tsc does for the whole
 * program. Only asked for when linking meets a name the compiled modules do not export.
 * JavaScript files export nothing beyond what their code does: an empty map.
 */
export function typeScriptExports(file: string, source: string): TypeScriptExports {
  const exports = new Map<string, TypeScriptExport>();
  const typeStars: TypeScriptExports["typeStars"] = [];
  if (!file.endsWith(".ts")) return { names: exports, typeStars };
  const parsed = parseSync(file, source, { sourceType: "module", lang: "ts" });
  // The file compiled, so it parses; a parser that disagrees gives no type names (link errors stay).
  if (parsed.errors.length > 0) return { names: exports, typeStars };
  const body = parsed.program.body as unknown as AstNode[];
  /** Top-level declarations by name (for `export { T }` of a local one: the declaration says what it is). */
  const localTypes = new Map<string, { what: string; start: number }>();
  for (const statement of body) {
    const declaration = statement.type === "ExportNamedDeclaration" || statement.type === "ExportDefaultDeclaration" ? (statement.declaration as AstNode | null) : statement;
    if (!declaration) continue;
    for (const declared of declaredNames(declaration)) localTypes.set(declared.name, declared);
  }
  const add = (name: string, what: string, start: number): void => {
    if (!exports.has(name)) exports.set(name, { name, what, position: positionAt(source, start, file) });
  };
  for (const statement of body) {
    if (statement.type === "ExportNamedDeclaration") {
      const declaration = statement.declaration as AstNode | null;
      if (declaration) {
        for (const declared of declaredNames(declaration)) add(declared.name, declared.what, declared.start);
        continue;
      }
      const typeOnly = statement.exportKind === "type";
      for (const specifier of statement.specifiers as AstNode[]) {
        const local = nameOf(specifier.local as AstNode);
        const exported = nameOf(specifier.exported as AstNode);
        const localType = statement.source ? undefined : localTypes.get(local);
        if (localType) add(exported, localType.what, localType.start);
        else if (typeOnly || specifier.exportKind === "type") add(exported, `'${exported}', exported as a type`, specifier.start);
        else add(exported, `'${exported}', exported`, specifier.start);
      }
    } else if (statement.type === "ExportDefaultDeclaration") {
      const declaration = statement.declaration as AstNode;
      const declared = declaredNames(declaration)[0];
      add("default", declared ? declared.what : "export default", declared ? declared.start : statement.start);
    } else if (statement.type === "ExportAllDeclaration" && statement.exported) {
      add(nameOf(statement.exported as AstNode), `export * as '${nameOf(statement.exported as AstNode)}'`, statement.start);
    } else if (statement.type === "ExportAllDeclaration" && statement.exportKind === "type") {
      typeStars.push({ specifier: String((statement.source as AstNode).value), position: positionAt(source, statement.start, file) });
    }
  }
  return { names: exports, typeStars };
}

/** The names a declaration binds, each with what it is in words (types, values and `declare`d ones alike). */
function declaredNames(node: AstNode): { name: string; what: string; start: number }[] {
  const declare = node.declare === true ? "`declare` " : "";
  const id = node.id as AstNode | null | undefined;
  const named = (kind: string): { name: string; what: string; start: number }[] =>
    id && id.type === "Identifier" ? [{ name: id.name as string, what: `${declare}${kind} ${id.name as string}`, start: node.start }] : [];
  switch (node.type) {
    case "TSInterfaceDeclaration":
      return named("interface");
    case "TSTypeAliasDeclaration":
      return named("type alias");
    case "TSEnumDeclaration":
      return named(node.const === true ? "const enum" : "enum");
    case "TSModuleDeclaration":
      return named("namespace");
    case "ClassDeclaration":
      return named(node.abstract === true ? "abstract class" : "class");
    case "FunctionDeclaration":
    case "TSDeclareFunction":
      return named("function");
    case "VariableDeclaration":
      return (node.declarations as AstNode[]).flatMap((declarator) => {
        const target = declarator.id as AstNode;
        return target.type === "Identifier" ? [{ name: target.name as string, what: `${declare}${node.kind as string} ${target.name as string}`, start: node.start }] : [];
      });
    default:
      return [];
  }
}

function nameOf(node: AstNode): string {
  return node.type === "Identifier" ? (node.name as string) : String(node.value);
}
