import { walk } from "estree-walker";
import isReference from "is-reference";
import type * as ESTree from "estree";

type Binding = { parent: string; key: string };
/** Where an identifier (or a pattern of them) declares names instead of reading one. */
const BINDINGS: Binding[] = [
  { parent: "VariableDeclarator", key: "id" },
  { parent: "FunctionDeclaration", key: "id" },
  { parent: "FunctionDeclaration", key: "params" },
  { parent: "FunctionExpression", key: "id" },
  { parent: "FunctionExpression", key: "params" },
  { parent: "ArrowFunctionExpression", key: "params" },
  { parent: "ClassDeclaration", key: "id" },
  { parent: "ClassExpression", key: "id" },
  { parent: "CatchClause", key: "param" },
];

function declares(parent: ESTree.Node | null, key: string | number | symbol | null | undefined): boolean {
  return parent !== null && BINDINGS.some((binding) => binding.parent === parent.type && binding.key === key);
}

/**
 * Calls `read` for every identifier under `root` that reads a binding by name (no scopes:
 * a shadowing local counts as a read of the outer name). Declared names are not reads, but
 * the defaults and computed keys of a declaring pattern are.
 */
export function forEachValueRead(root: ESTree.Node, read: (node: ESTree.Identifier, parent: ESTree.Node) => void): void {
  const visitor = {
    enter(this: { skip(): void }, node: ESTree.Node, parent: ESTree.Node | null, key: string | number | symbol | null | undefined) {
      if (declares(parent, key)) {
        this.skip();
        readsInPattern(node);
        return;
      }
      if (node.type === "Identifier" && parent && isReference(node, parent)) read(node, parent);
    },
  };
  const readsInPattern = (pattern: ESTree.Node): void => {
    // A parameter's decorators (TypeScript's legacy ones) are read.
    for (const decorator of (pattern as { decorators?: ESTree.Node[] }).decorators ?? []) walk(decorator, visitor);
    switch (pattern.type) {
      case "AssignmentPattern":
        readsInPattern(pattern.left);
        walk(pattern.right, visitor);
        break;
      case "ObjectPattern":
        for (const property of pattern.properties) {
          if (property.type === "RestElement") readsInPattern(property.argument);
          else {
            if (property.computed) walk(property.key, visitor);
            readsInPattern(property.value);
          }
        }
        break;
      case "ArrayPattern":
        for (const element of pattern.elements) if (element) readsInPattern(element);
        break;
      case "RestElement":
        readsInPattern(pattern.argument);
        break;
      default:
        break;
    }
  };
  walk(root, visitor);
}
