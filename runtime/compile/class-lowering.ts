import { parseSync } from "oxc-parser";
import MagicString from "magic-string";
import type * as ESTree from "estree";
import { syntaxError } from "./errors.js";
import type { EncodedSourceMap } from "./source-map.js";
import { lowerPrivateNames } from "./private-names.js";
import { emitFieldInitialisers } from "./field-initialisers.js";

/**
 * What graft's compile step changes in the top-level classes of a script (types already
 * stripped), before the module rewrite binds them to canonical classes: private names
 * become slots kept across versions (private-names.ts), and each class tells the kernel
 * its instance fields, with initialisers it can run on live instances (field-initialisers.ts).
 */
export interface LoweredClasses {
  code: string;
  map: EncodedSourceMap;
}

export type Node = ESTree.Node & { start: number; end: number };
export type AnyNode = Node & Record<string, unknown>;

export interface TopLevelClass {
  name: string;
  node: AnyNode;
  /** The top-level statement holding the class: what a class needs is declared before it. */
  statement: Node;
}

/** Returns null when the script has no top-level class to change. `api` is the module's loader API. */
export function lowerClasses(file: string, code: string, api: string): LoweredClasses | null {
  if (!code.includes("class")) return null;
  const parsed = parseSync(file.replace(/\.ts$/, ".js"), code, { sourceType: "module" });
  if (parsed.errors.length > 0) throw syntaxError(file, code, parsed.errors[0]!);
  const program = parsed.program as unknown as ESTree.Program & Node;
  const classes = topLevelClasses(program);
  if (classes.length === 0) return null;
  const out = new MagicString(code);
  const wrapPrivateFields = lowerPrivateNames(file, code, program, out, classes, api);
  emitFieldInitialisers(out, classes, api);
  wrapPrivateFields();
  if (!out.hasChanged()) return null;
  const map = out.generateMap({ hires: true, source: file, includeContent: false });
  return { code: out.toString(), map: map as unknown as EncodedSourceMap };
}

/** The classes module-transform binds to canonical classes (same forms, same names). */
function topLevelClasses(program: ESTree.Program): TopLevelClass[] {
  const found: TopLevelClass[] = [];
  const fromDeclaration = (node: AnyNode, statement: Node, defaultName?: string): void => {
    if (node.type === "ClassDeclaration" || (node.type === "ClassExpression" && defaultName)) {
      const id = node.id as ESTree.Identifier | null;
      const name = id ? id.name : defaultName;
      if (name) found.push({ name, node, statement });
    } else if (node.type === "VariableDeclaration") {
      const declarators = node.declarations as (ESTree.VariableDeclarator & Node)[];
      if (declarators.length !== 1) return;
      const declarator = declarators[0]!;
      const init = declarator.init as AnyNode | null;
      if (declarator.id.type !== "Identifier" || !init || init.type !== "ClassExpression" || init.id) return;
      found.push({ name: declarator.id.name, node: init, statement });
    }
  };
  for (const statement of program.body as AnyNode[]) {
    if (statement.type === "ExportNamedDeclaration" && statement.declaration) {
      fromDeclaration(statement.declaration as AnyNode, statement);
    } else if (statement.type === "ExportDefaultDeclaration") {
      fromDeclaration(statement.declaration as AnyNode, statement, "default");
    } else {
      fromDeclaration(statement, statement);
    }
  }
  return found;
}

/** A prefix that occurs nowhere in the code, so no name made with it can meet a user's. */
export function uniquePrefix(code: string, base: string): string {
  let prefix = base;
  while (code.includes(prefix)) prefix = `${prefix}_`;
  return prefix;
}
