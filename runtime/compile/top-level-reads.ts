import type * as ESTree from "estree";

/**
 * Whether evaluating a module's top level may read one of its imports (R13, issue 18): when
 * it may not, re-running the module after an import changed computes nothing new (its
 * functions and methods read imports as live bindings when they run), so the reload planner
 * leaves it running. Decided conservatively from the parse: the top level may read an import
 * unless it only declares (imports, exports, functions, classes, variables) and every
 * expression evaluated while it runs is one that runs no code and names no import: literals,
 * local names, function and arrow expressions, object and array literals of those, and
 * classes whose `extends`, computed keys, decorators, static fields and static blocks are
 * such expressions too. Anything else (a call, `new`, a member read that could be a getter,
 * an operator that could call `valueOf`, destructuring, `import * as`, an expression
 * statement, a loop) counts as a read.
 */
export function mayReadImportsAtTopLevel(program: ESTree.Program): boolean {
  const imported = new Set<string>();
  for (const statement of program.body) {
    if (statement.type !== "ImportDeclaration") continue;
    for (const specifier of statement.specifiers) {
      // A namespace object is replaced when the exporter's names change: its holder re-runs.
      if (specifier.type === "ImportNamespaceSpecifier") return true;
      imported.add(specifier.local.name);
    }
  }
  const inert = new InertCheck(imported);
  return !program.body.every((statement) => inert.statement(statement));
}

class InertCheck {
  constructor(private readonly imported: Set<string>) {}

  statement(node: ESTree.Node): boolean {
    switch (node.type) {
      case "ImportDeclaration":
      case "FunctionDeclaration":
      case "EmptyStatement":
      case "ExportAllDeclaration":
        return true;
      case "ExportNamedDeclaration":
        return node.declaration ? this.statement(node.declaration) : true;
      case "ExportDefaultDeclaration": {
        const declaration = node.declaration as ESTree.Node;
        if (declaration.type === "FunctionDeclaration") return true;
        if (declaration.type === "ClassDeclaration") return this.classBody(declaration);
        return this.expression(declaration);
      }
      case "ClassDeclaration":
        return this.classBody(node);
      case "VariableDeclaration":
        return node.declarations.every((declarator) => declarator.id.type === "Identifier" && (declarator.init == null || this.expression(declarator.init)));
      default:
        return false;
    }
  }

  private expression(node: ESTree.Node): boolean {
    switch (node.type) {
      case "Literal":
        return true;
      case "Identifier":
        return !this.imported.has(node.name);
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        return true;
      case "ClassExpression":
        return this.classBody(node);
      case "TemplateLiteral":
        return node.expressions.length === 0;
      case "UnaryExpression":
        // typeof, void and ! convert nothing; a sign only on a literal (no valueOf to call).
        if (node.operator === "typeof" || node.operator === "void" || node.operator === "!") return this.expression(node.argument);
        return (node.operator === "-" || node.operator === "+") && node.argument.type === "Literal";
      case "ArrayExpression":
        return node.elements.every((element) => element === null || (element.type !== "SpreadElement" && this.expression(element)));
      case "ObjectExpression":
        return node.properties.every((property) => {
          if (property.type !== "Property") return false;
          if (property.computed && !this.expression(property.key)) return false;
          // Methods, getters and setters run later; a value is evaluated now.
          return property.kind !== "init" || property.method || this.expression(property.value);
        });
      case "ParenthesizedExpression" as string:
        return this.expression((node as unknown as { expression: ESTree.Node }).expression);
      default:
        return false;
    }
  }

  /** A class's parts evaluated when it is defined: heritage, decorators, computed keys, static fields and blocks. */
  private classBody(node: ESTree.Class): boolean {
    if (hasDecorators(node)) return false;
    if (node.superClass && !this.expression(node.superClass)) return false;
    for (const member of node.body.body) {
      if (hasDecorators(member)) return false;
      if (member.type === "StaticBlock") {
        if (member.body.length > 0) return false;
        continue;
      }
      if ("computed" in member && member.computed && !this.expression(member.key)) return false;
      if (member.type === "PropertyDefinition" && member.static && member.value && !this.expression(member.value)) return false;
      if ((member.type as string) === "AccessorProperty" && (member as unknown as { static: boolean; value: ESTree.Node | null }).static) {
        const value = (member as unknown as { value: ESTree.Node | null }).value;
        if (value && !this.expression(value)) return false;
      }
    }
    return true;
  }
}

function hasDecorators(node: object): boolean {
  const decorators = (node as { decorators?: unknown[] }).decorators;
  return Array.isArray(decorators) && decorators.length > 0;
}
