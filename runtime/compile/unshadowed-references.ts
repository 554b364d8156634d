import isReference from "is-reference";
import type * as ESTree from "estree";
import { declaresNames } from "./value-reads.js";

type AnyNode = ESTree.Node & Record<string, unknown>;

/** A reference found by `unshadowedReferences`, with the node it is in. */
export interface FoundReference {
  node: ESTree.Identifier;
  parent: ESTree.Node;
}

/**
 * The references to the module's imported names in `program` (the statements the module
 * rewrite removes left out), in the order estree-walker visits them, when nothing in the
 * program could declare one of those names again. Then each of them reads the import, and
 * the module rewrite needs no scope analysis (periscopic, a second walk of every node).
 * Undefined when a name is written where a declaration binds one (a variable, a function's
 * name or parameter, a class name, a catch parameter, anything inside their patterns): a
 * shadowing declaration may exist, and scopes decide.
 */
export function unshadowedReferences(program: ESTree.Program, names: ReadonlyMap<string, unknown>): FoundReference[] | undefined {
  const found: FoundReference[] = [];
  for (const statement of program.body) {
    if (isRemovedStatement(statement)) continue;
    if (!collect(statement as AnyNode, program, false, names, found)) return undefined;
  }
  return found;
}

/** The statements the module rewrite removes (their names are not references it rewrites). */
export function isRemovedStatement(node: ESTree.Node): boolean {
  return node.type === "ImportDeclaration" || node.type === "ExportAllDeclaration" || (node.type === "ExportNamedDeclaration" && !node.declaration);
}

/** Adds the references under `node`; false when one of `names` is written in a declaring position. */
function collect(node: AnyNode, parent: ESTree.Node, declaring: boolean, names: ReadonlyMap<string, unknown>, found: FoundReference[]): boolean {
  if (node.type === "Identifier") {
    const name = (node as unknown as ESTree.Identifier).name;
    if (names.has(name)) {
      if (declaring) return false;
      if (isReference(node, parent)) found.push({ node: node as unknown as ESTree.Identifier, parent });
    }
  }
  for (const key in node) {
    const value = node[key] as AnyNode | AnyNode[] | null;
    if (value === null || typeof value !== "object") continue;
    const childDeclaring = declaring || declaresNames(node, key);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const child = value[i];
        if (child !== null && typeof child === "object" && typeof child.type === "string" && !collect(child, node, childDeclaring, names, found)) return false;
      }
    } else if (typeof value.type === "string" && !collect(value, node, childDeclaring, names, found)) {
      return false;
    }
  }
  return true;
}
