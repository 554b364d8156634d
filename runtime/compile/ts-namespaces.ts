import { forEachValueRead } from "./value-reads.js";
import type * as ESTree from "estree";
import type { EnumValues, NamespaceScope, Stripper, TsNode } from "./ts-node.js";

/** Whether a namespace holds any value (one of types only is removed as a whole, as TypeScript does). */
export function isInstantiated(node: TsNode): boolean {
  if (node.declare) return false;
  const body = node.body as TsNode | null;
  if (!body) return false;
  if (body.type === "TSModuleDeclaration") return isInstantiated(body);
  return (body.body as TsNode[]).some(isValueStatement);
}

function isValueStatement(statement: TsNode): boolean {
  if (statement.declare) return false;
  switch (statement.type) {
    case "TSInterfaceDeclaration":
    case "TSTypeAliasDeclaration":
    case "TSDeclareFunction":
      return false;
    case "TSModuleDeclaration":
      return isInstantiated(statement);
    case "TSImportEqualsDeclaration":
      return statement.importKind !== "type";
    case "ExportNamedDeclaration":
      return statement.declaration ? isValueStatement(statement.declaration) : false;
    default:
      return true;
  }
}

/**
 * `namespace N { export const x = 1; }` becomes, as TypeScript emits it,
 *   `var N; (function (N) { const x = 1; N.x = x; })(N || (N = {}));`
 * (`namespace A.B {}` nests one function per name; a namespace exported from another is
 * `(function (I) {...})(I = N.I || (N.I = {}))`), written over the namespace's own text: its
 * body stays where it is, stripped like any code, and in the tree a function expression
 * called with the namespace's name holds it. An exported `let`/`var` is a live property of
 * the namespace object (an accessor pair); a later block of a merged namespace reads the
 * names the earlier ones exported as `N.name`.
 */
export function lowerNamespace(stripper: Stripper, node: TsNode, parent: TsNode | null): TsNode {
  const names: string[] = [];
  let body = node.body as TsNode;
  const collect = (id: TsNode): void => {
    if (id.type === "TSQualifiedName") {
      collect(id.left);
      names.push(id.right.name);
    } else names.push(id.name);
  };
  collect(node.id);
  while (body.type === "TSModuleDeclaration") {
    collect(body.id);
    body = body.body;
  }
  const outer = stripper.namespace;
  const exportedFrom = outer && parent?.type === "ExportNamedDeclaration" ? outer.name : null;
  const first = names[0]!;
  const declare = exportedFrom !== null || !stripper.lexicalNames.has(first);
  const header = names.map((name, i) => (i === 0 ? (declare ? `var ${name}; ` : ";") : `let ${name}; `) + `(function (${name}) {`).join(" ");
  const footer = names
    .map((name, i) => {
      const holder = i === 0 ? exportedFrom : names[i - 1]!;
      return holder ? `})(${name} = ${holder}.${name} || (${holder}.${name} = {}));` : `})(${name} || (${name} = {}));`;
    })
    .reverse()
    .join(" ");
  stripper.edit((out) => out.overwrite(node.start, body.start + 1, header));

  const path = [...(outer ? [outer.name] : []), ...names];
  const exportsOf = (depth: number): Set<string> => {
    const key = path.slice(0, depth).join(".");
    const names = stripper.namespaceExports.get(key) ?? new Set<string>();
    stripper.namespaceExports.set(key, names);
    return names;
  };
  // `namespace A.B` exports B from A: a later `namespace A { ... B ... }` reads `A.B`.
  for (let depth = path.length - names.length + 1; depth < path.length; depth++) exportsOf(depth).add(path[depth]!);
  const earlier = exportsOf(path.length);
  const scope = namespaceScope(names.at(-1)!);
  stripper.namespace = scope;
  try {
    stripper.visitList(body, "body");
  } finally {
    stripper.namespace = outer;
  }
  if (earlier.size > 0) qualifyEarlierExports(stripper, body.body as TsNode[], names.at(-1)!, earlier);
  for (const name of scope.exports) earlier.add(name);
  stripper.edit((out) => out.overwrite(body.end - 1, node.end, footer));

  let statements = body.body as TsNode[];
  for (let i = names.length - 1; i >= 0; i--) {
    const call = {
      type: "CallExpression",
      callee: functionOf(names[i]!, node.id.start, statements, body),
      arguments: [],
      optional: false,
      start: node.start,
      end: node.end,
    };
    if (i > 0 || !declare) {
      statements = [{ type: "ExpressionStatement", expression: call, start: node.start, end: node.end }];
      continue;
    }
    const id = { type: "Identifier", name: names[0], start: node.id.start, end: node.id.start + names[0]!.length };
    const declarator = { type: "VariableDeclarator", id, init: call, definite: false, start: node.id.start, end: node.end };
    return { type: "VariableDeclaration", kind: "var", declarations: [declarator], declare: false, start: node.start, end: node.end, namespaceOf: first };
  }
  return { ...statements[0]!, namespaceOf: first };
}

function functionOf(param: string, at: number, statements: TsNode[], body: TsNode): TsNode {
  return {
    type: "FunctionExpression",
    id: null,
    params: [{ type: "Identifier", name: param, start: at, end: at }],
    body: { type: "BlockStatement", body: statements, start: body.start, end: body.end },
    generator: false,
    async: false,
    expression: false,
    start: body.start,
    end: body.end,
  };
}

function namespaceScope(name: string): NamespaceScope {
  const exports = new Set<string>();
  return {
    name,
    exports,
    exportDeclaration(stripper, node) {
      const declaration = node.declaration as TsNode;
      stripper.edit((out) => out.remove(node.start, declaration.start));
      const assignments: string[] = [];
      const names = declaredNames(declaration);
      for (const local of names) {
        exports.add(local);
        if (declaration.namespaceOf && !declaration.enumOf) continue; // its call assigns it
        if (declaration.type === "VariableDeclaration" && declaration.kind !== "const" && !declaration.enumOf && !declaration.importEquals) {
          const value = local === "v" ? "w" : "v";
          assignments.push(`Object.defineProperty(${name}, ${JSON.stringify(local)}, { get: () => ${local}, set: (${value}) => { ${local} = ${value}; }, enumerable: true, configurable: true });`);
        } else {
          assignments.push(`${name}.${local} = ${local};`);
        }
      }
      if (assignments.length > 0) stripper.edit((out) => out.appendLeft(node.end, ` ${assignments.join(" ")}`));
      return declaration;
    },
  };
}

function declaredNames(node: TsNode): string[] {
  if (node.namespaceOf) return [node.namespaceOf as string];
  if (node.type === "VariableDeclaration") {
    const names: string[] = [];
    for (const declarator of node.declarations as TsNode[]) patternNames(declarator.id, names);
    return names;
  }
  return node.id ? [node.id.name as string] : [];
}

export function patternNames(pattern: TsNode, names: string[]): void {
  switch (pattern.type) {
    case "Identifier":
      names.push(pattern.name);
      break;
    case "ObjectPattern":
      for (const property of pattern.properties as TsNode[]) patternNames(property.type === "RestElement" ? property.argument : property.value, names);
      break;
    case "ArrayPattern":
      for (const element of pattern.elements as (TsNode | null)[]) if (element) patternNames(element, names);
      break;
    case "RestElement":
      patternNames(pattern.argument, names);
      break;
    case "AssignmentPattern":
      patternNames(pattern.left, names);
      break;
  }
}

/** In a later block of a merged namespace, a name an earlier block exported (and this one does not declare) is the namespace's: `N.name`. */
function qualifyEarlierExports(stripper: Stripper, statements: TsNode[], name: string, earlier: Set<string>): void {
  const own = new Set<string>();
  for (const statement of statements) for (const local of declaredNames(statement)) own.add(local);
  const program = { type: "Program", body: statements, sourceType: "module" } as unknown as ESTree.Node;
  forEachValueRead(program, (node, parent) => {
    if (!earlier.has(node.name) || own.has(node.name)) return;
    const { start, end } = node as unknown as TsNode;
    const qualified = `${name}.${node.name}`;
    const shorthand = parent?.type === "Property" && parent.shorthand;
    stripper.edit((out) => out.overwrite(start, end, shorthand ? `${node.name}: ${qualified}` : qualified, { contentOnly: true }));
    node.name = qualified;
  });
}
