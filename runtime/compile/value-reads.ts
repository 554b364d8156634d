import isReference from "is-reference";
import type * as ESTree from "estree";

type AnyNode = ESTree.Node & Record<string, unknown>;

/** Where an identifier (or a pattern of them) under `parent`'s `key` declares names instead of reading one. */
export function declaresNames(parent: ESTree.Node | null, key: string): boolean {
  if (parent === null) return false;
  switch (parent.type) {
    case "VariableDeclarator":
    case "ClassDeclaration":
    case "ClassExpression":
      return key === "id";
    case "FunctionDeclaration":
    case "FunctionExpression":
      return key === "id" || key === "params";
    case "ArrowFunctionExpression":
      return key === "params";
    case "CatchClause":
      return key === "param";
    default:
      return false;
  }
}

/**
 * Calls `read` for every identifier under `root` that reads a binding by name (no scopes:
 * a shadowing local counts as a read of the outer name). Declared names are not reads, but
 * the defaults and computed keys of a declaring pattern are, and so is `root` itself when it
 * is an identifier (an enum member's initialiser `B = A`); `parent` is null there.
 */
export function forEachValueRead(root: ESTree.Node, read: (node: ESTree.Identifier, parent: ESTree.Node | null) => void): void {
  visit(root as AnyNode, null, "", read);
}

// A plain recursive walk (estree-walker's order: keys as they come, arrays in order).
function visit(node: AnyNode, parent: ESTree.Node | null, key: string, read: (node: ESTree.Identifier, parent: ESTree.Node | null) => void): void {
  if (declaresNames(parent, key)) {
    readsInPattern(node, read);
    return;
  }
  if (node.type === "Identifier" && (parent === null || isReference(node, parent))) read(node as unknown as ESTree.Identifier, parent);
  for (const childKey in node) {
    const value = node[childKey] as AnyNode | AnyNode[] | null;
    if (value === null || typeof value !== "object") continue;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const child = value[i];
        if (child !== null && typeof child === "object" && typeof child.type === "string") visit(child, node, childKey, read);
      }
    } else if (typeof value.type === "string") {
      visit(value, node, childKey, read);
    }
  }
}

/** The reads inside a declaring pattern: its defaults, computed keys and (TypeScript's legacy) parameter decorators. */
function readsInPattern(pattern: AnyNode, read: (node: ESTree.Identifier, parent: ESTree.Node | null) => void): void {
  for (const decorator of (pattern.decorators as AnyNode[] | undefined) ?? []) visit(decorator, pattern, "decorators", read);
  const node = pattern as ESTree.Pattern;
  switch (node.type) {
    case "AssignmentPattern":
      readsInPattern(node.left as AnyNode, read);
      visit(node.right as AnyNode, node, "right", read);
      break;
    case "ObjectPattern":
      for (const property of node.properties) {
        if (property.type === "RestElement") readsInPattern(property.argument as AnyNode, read);
        else {
          if (property.computed) visit(property.key as AnyNode, property, "key", read);
          readsInPattern(property.value as AnyNode, read);
        }
      }
      break;
    case "ArrayPattern":
      for (const element of node.elements) if (element) readsInPattern(element as AnyNode, read);
      break;
    case "RestElement":
      readsInPattern(node.argument as AnyNode, read);
      break;
    default:
      break;
  }
}
