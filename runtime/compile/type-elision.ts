import { forEachValueRead } from "./value-reads.js";
import type * as ESTree from "estree";
import type { EnumValues, NamespaceScope, Stripper, TsNode } from "./ts-node.js";
import { isInstantiated, patternNames } from "./ts-namespaces.js";

/** What a TypeScript file's top level declares: values (what runs) and types (what stripping removes). */
export interface TopLevelNames {
  values: Set<string>;
  types: Set<string>;
}

/** Read from the tree as parsed, before stripping removes the type-only declarations. */
export function topLevelNames(body: TsNode[]): TopLevelNames {
  const values = new Set<string>();
  const types = new Set<string>();
  for (const statement of body) {
    const node = (statement.type === "ExportNamedDeclaration" || statement.type === "ExportDefaultDeclaration") && statement.declaration ? (statement.declaration as TsNode) : statement;
    const add = (name: string | undefined, isValue: boolean): void => {
      if (name !== undefined) (isValue ? values : types).add(name);
    };
    switch (node.type) {
      case "ImportDeclaration":
        for (const specifier of node.specifiers as TsNode[]) add(specifier.local.name, node.importKind !== "type" && specifier.importKind !== "type");
        break;
      case "TSImportEqualsDeclaration":
        add(node.id.name, node.importKind !== "type");
        break;
      case "VariableDeclaration": {
        const names: string[] = [];
        for (const declarator of node.declarations as TsNode[]) patternNames(declarator.id, names);
        for (const name of names) add(name, !node.declare);
        break;
      }
      case "FunctionDeclaration":
      case "ClassDeclaration":
      case "TSEnumDeclaration":
        add(node.id?.name, !node.declare);
        break;
      case "TSModuleDeclaration": {
        let id = node.id as TsNode;
        while (id.type === "TSQualifiedName") id = id.left;
        if (id.type === "Identifier") add(id.name, isInstantiated(node) && !node.global);
        break;
      }
      case "TSDeclareFunction":
      case "TSInterfaceDeclaration":
      case "TSTypeAliasDeclaration":
        add(node.id?.name, false);
        break;
    }
  }
  return { values, types };
}

/**
 * What TypeScript removes because the file alone shows it is only a type, once the types
 * are stripped: an import none of whose bindings the code reads as a value (nor exports),
 * `import X = A.B` when X is not read, and `export { T }` / `export default T` of a local
 * type. `export { X }` of a name the file declares nowhere is JavaScript's early error.
 */
export function elideTypeOnlyNames(stripper: Stripper, program: TsNode, names: TopLevelNames): void {
  const body = program.body as TsNode[];
  const read = new Set<string>();
  const exported = new Set<string>();
  const needsReads = body.some((statement) => (statement.type === "ImportDeclaration" && statement.specifiers.length > 0) || statement.importEquals);
  if (needsReads) {
    for (const statement of body) {
      if (statement.type === "ImportDeclaration") continue;
      if (statement.type === "ExportNamedDeclaration" && !statement.declaration) {
        if (!statement.source) for (const specifier of statement.specifiers as TsNode[]) exported.add(specifier.local.name);
        continue;
      }
      forEachValueRead(statement as unknown as ESTree.Node, (node) => read.add(node.name));
    }
  }
  const used = (name: string): boolean => read.has(name) || exported.has(name);
  program.body = body.filter((statement) => {
    if (statement.type === "ImportDeclaration") {
      const written = statement.specifiers.length + ((statement.typeOnlySpecifiers as number | undefined) ?? 0);
      if (written === 0) return true;
      statement.specifiers = (statement.specifiers as TsNode[]).filter((specifier) => used(specifier.local.name));
      if (statement.specifiers.length > 0) return true;
      stripper.removeStatement(statement);
      return false;
    }
    if (statement.importEquals && !used(statement.declarations[0].id.name)) {
      statement.elided = true;
      stripper.removeStatement(statement);
      return false;
    }
    if (statement.type === "ExportNamedDeclaration" && !statement.declaration && !statement.source) {
      const specifiers = statement.specifiers as TsNode[];
      statement.specifiers = specifiers.filter((specifier) => {
        const local = specifier.local.type === "Identifier" ? (specifier.local.name as string) : String(specifier.local.value);
        if (names.values.has(local)) return true;
        if (names.types.has(local)) return false;
        throw stripper.error(`syntax error: Export '${local}' is not defined`, specifier.local.start, "fix the syntax and save again");
      });
      if (specifiers.length === 0 || statement.specifiers.length > 0) return true;
      stripper.removeStatement(statement);
      return false;
    }
    if (statement.type === "ExportDefaultDeclaration" && statement.declaration.type === "Identifier") {
      const name = statement.declaration.name as string;
      if (names.types.has(name) && !names.values.has(name)) {
        stripper.removeStatement(statement);
        return false;
      }
    }
    return true;
  });
}
