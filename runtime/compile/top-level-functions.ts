import type * as ESTree from "estree";

/**
 * The module's top-level function bindings: function declarations (exported or not, and a
 * named or anonymous `export default function`, bound as `__default`) and `const`/`let`/`var`
 * bindings initialised with a function or arrow expression. The rewritten module hands them
 * to the kernel when its top level has run, which keeps them weakly: once a later version
 * replaces this one (or the file is deleted), any of them still alive after a full GC is
 * held by live data, and `leaks()` says by what.
 */
export function topLevelFunctionNames(program: ESTree.Program): string[] {
  const names: string[] = [];
  for (const statement of program.body) {
    let node: ESTree.Node = statement;
    if (node.type === "ExportNamedDeclaration" && node.declaration) node = node.declaration;
    if (node.type === "ExportDefaultDeclaration") {
      const inner = node.declaration;
      if (inner.type === "FunctionDeclaration") names.push(inner.id ? inner.id.name : "__default");
      else if (isFunctionExpression(inner as ESTree.Node)) names.push("__default");
      continue;
    }
    if (node.type === "FunctionDeclaration" && node.id) names.push(node.id.name);
    else if (node.type === "VariableDeclaration") {
      for (const declarator of node.declarations) {
        if (declarator.id.type === "Identifier" && declarator.init && isFunctionExpression(declarator.init)) names.push(declarator.id.name);
      }
    }
  }
  return [...new Set(names)];
}

function isFunctionExpression(node: ESTree.Node): boolean {
  let inner = node as ESTree.Node & { expression?: ESTree.Node };
  // oxc keeps parentheses as nodes of their own (not in ESTree's types).
  while ((inner.type as string) === "ParenthesizedExpression" && inner.expression) inner = inner.expression as typeof inner;
  return inner.type === "FunctionExpression" || inner.type === "ArrowFunctionExpression";
}
