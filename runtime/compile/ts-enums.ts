import { forEachValueRead } from "./value-reads.js";
import type * as ESTree from "estree";
import type { EnumValues, NamespaceScope, Stripper, TsNode } from "./ts-node.js";
import { nextCharacter } from "./ts-text.js";

/**
 * `enum E { A, B = "b", C = f() }` becomes, as TypeScript emits it (const enums too: a
 * file compiled alone cannot inline them into its importers),
 *   `var E = (function (E) { E[E["A"] = 0] = "A"; E["B"] = "b"; E[E["C"] = f()] = "C"; return E; })(E || {});`
 * written over the enum's own text, so that a computed initialiser stays where it is (the
 * later passes rewrite what it imports). Constant initialisers are folded (numbers, strings,
 * operators, members of this and earlier enums); a member without one counts on from the
 * one before. The tree gets a `var E = [computed initialisers]` in its place: what the later
 * passes need to see (the binding, and the code that runs).
 */
export function lowerEnum(stripper: Stripper, node: TsNode): TsNode {
  const name = node.id.name as string;
  const values = stripper.enums.get(name) ?? new Map<string, number | string | undefined>();
  stripper.enums.set(name, values);
  const body = node.body as TsNode;
  const computed: TsNode[] = [];
  const source = stripper.source;
  stripper.edit((out) => out.overwrite(node.start, body.start + 1, `var ${name} = (function (${name}) {`));
  let previous: string | undefined;
  for (const member of body.members as TsNode[]) {
    const id = member.id as TsNode;
    const memberName = enumMemberName(id, member.computed === true);
    if (memberName === undefined) {
      throw stripper.error("an enum member's name must be a name or a string", id.start, "write the member's name as a name or a string literal");
    }
    const key = JSON.stringify(memberName);
    const initializer = member.initializer ? stripper.visit(member.initializer as TsNode, member) : null;
    if (initializer) {
      const value = fold(initializer, values, stripper.enums);
      values.set(memberName, value);
      if (value !== undefined) {
        stripper.edit((out) => out.overwrite(member.start, member.end, memberText(name, key, value)));
      } else {
        computed.push(initializer);
        stripper.edit((out) => {
          out.overwrite(member.start, initializer.start, `${name}[${name}[${key}] = `);
          out.appendLeft(initializer.end, `] = ${key};`);
        });
        qualifyMemberReferences(stripper, initializer, name, values);
      }
    } else {
      const before = previous === undefined ? -1 : values.get(previous);
      const value = typeof before === "number" ? before + 1 : undefined;
      values.set(memberName, value);
      const text = value !== undefined ? memberText(name, key, value) : `${name}[${name}[${key}] = ${name}[${JSON.stringify(previous)}] + 1] = ${key};`;
      stripper.edit((out) => out.overwrite(member.start, member.end, text));
    }
    previous = memberName;
    const comma = nextCharacter(source, member.end);
    if (source[comma] === ",") stripper.edit((out) => out.overwrite(comma, comma + 1, " "));
  }
  stripper.edit((out) => out.overwrite(body.end - 1, node.end, `return ${name}; })(${name} || {});`));
  const init = { type: "ArrayExpression", elements: computed, start: body.start, end: body.end };
  const declarator = { type: "VariableDeclarator", id: node.id, init, definite: false, start: node.id.start, end: node.end };
  return { type: "VariableDeclaration", kind: "var", declarations: [declarator], declare: false, start: node.start, end: node.end, enumOf: name };
}

/** `A`, `"a b"`, `["a"]` or `` [`a`] ``: the member's name. */
function enumMemberName(id: TsNode, computed: boolean): string | undefined {
  if (id.type === "Identifier" && !computed) return id.name as string;
  if (id.type === "Literal" && typeof id.value === "string") return id.value;
  if (id.type === "TemplateLiteral" && id.expressions.length === 0) return (id.quasis[0].value.cooked as string | null) ?? undefined;
  return undefined;
}

function memberText(name: string, key: string, value: number | string): string {
  if (typeof value === "string") return `${name}[${key}] = ${JSON.stringify(value)};`;
  return `${name}[${name}[${key}] = ${numberLiteral(value)}] = ${key};`;
}

function numberLiteral(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
  return Object.is(value, -0) ? "-0" : String(value);
}

/** The value of a constant enum initialiser, as TypeScript folds it; undefined if it is computed at run time. */
function fold(node: TsNode, own: Map<string, number | string | undefined>, enums: EnumValues): number | string | undefined {
  switch (node.type) {
    case "Literal":
      return typeof node.value === "number" || typeof node.value === "string" ? node.value : undefined;
    case "TemplateLiteral":
      return node.expressions.length === 0 ? ((node.quasis[0].value.cooked as string | null) ?? undefined) : undefined;
    case "ParenthesizedExpression":
      return fold(node.expression, own, enums);
    case "Identifier":
      return own.get(node.name);
    case "MemberExpression": {
      const members = node.object.type === "Identifier" ? enums.get(node.object.name) : undefined;
      const property = node.computed ? (node.property.type === "Literal" && typeof node.property.value === "string" ? node.property.value : undefined) : node.property.name;
      return members && property !== undefined ? members.get(property) : undefined;
    }
    case "UnaryExpression": {
      const value = fold(node.argument, own, enums);
      if (typeof value !== "number") return undefined;
      return node.operator === "-" ? -value : node.operator === "+" ? value : node.operator === "~" ? ~value : undefined;
    }
    case "BinaryExpression": {
      const left = fold(node.left, own, enums);
      const right = fold(node.right, own, enums);
      if (left === undefined || right === undefined) return undefined;
      if (node.operator === "+" && (typeof left === "string" || typeof right === "string")) return `${left}${right}`;
      if (typeof left !== "number" || typeof right !== "number") return undefined;
      return binary(node.operator as string, left, right);
    }
    default:
      return undefined;
  }
}

function binary(operator: string, a: number, b: number): number | undefined {
  switch (operator) {
    case "+": return a + b;
    case "-": return a - b;
    case "*": return a * b;
    case "/": return a / b;
    case "%": return a % b;
    case "**": return a ** b;
    case "<<": return a << b;
    case ">>": return a >> b;
    case ">>>": return a >>> b;
    case "&": return a & b;
    case "|": return a | b;
    case "^": return a ^ b;
    default: return undefined;
  }
}

/**
 * In a computed initialiser a member's bare name means the member (`B = A * f()` reads
 * `E.A`): written as `E.A`, and renamed in the tree so that no later pass takes it for a
 * binding of that name (an import, say).
 */
function qualifyMemberReferences(stripper: Stripper, initializer: TsNode, name: string, members: Map<string, unknown>): void {
  forEachValueRead(initializer as unknown as ESTree.Node, (node, parent) => {
    if (!members.has(node.name)) return;
    const { start, end } = node as unknown as TsNode;
    const qualified = `${name}.${node.name}`;
    const shorthand = parent?.type === "Property" && parent.shorthand;
    stripper.edit((out) => out.overwrite(start, end, shorthand ? `${node.name}: ${qualified}` : qualified, { contentOnly: true }));
    node.name = qualified;
  });
}
