import type MagicString from "magic-string";
import { walk } from "estree-walker";
import type * as ESTree from "estree";
import { CompileError, positionAt } from "./errors.js";
import { uniquePrefix, type AnyNode, type Node, type TopLevelClass } from "./class-nodes.js";

/**
 * Private names (`#x`) of top-level classes, lowered to storage the kernel keeps per class
 * across versions.
 *
 * QuickJS brands private members per class evaluation, so the instances a version built
 * lack the next version's `#x`: their state would be lost at the first edit. For each
 * top-level class graft keeps identity for (the classes module-transform binds to a
 * canonical class), every reference to one of its private names becomes a call on a slot
 * the kernel hands out per (file, class, name) and keeps for the life of the class
 * (runtime/kernel/vm/privates.js): fields in a WeakMap, methods and accessors behind a
 * brand, static members keyed by the class. Nothing of it is a property of any object,
 * so no reflection reaches it, and only the file's own code holds the slots.
 *
 * - `#x = init` stays a native private field, `#x = slot.init(this, init)`, so fields are
 *   still initialised in declaration order (and private methods' brand before them); the
 *   native field only ever holds undefined.
 * - Private methods and accessors move into one static block at the top of the class body
 *   (object-literal methods named "#m", "get #d", "set #d"), before any static initialiser
 *   that could call them; the kernel gives those objects the class's parent as prototype, so
 *   `super` inside them reaches what it did in the class.
 * - `o.#x` -> `slot.get(o)`, `o.#x = v` -> `slot.set(o, v)`, `o.#x += v` / `o.#x++` /
 *   destructuring targets -> `slot.ref(o).value`, `o.#m(a)` -> `slot.call(o, a)`,
 *   `#x in o` -> `slot.has(o)`.
 * Classes nested in functions keep native private members (each evaluation is a new class).
 */

type PrivateKind = "field" | "method" | "accessor";
interface PrivateMember {
  kind: PrivateKind;
  isStatic: boolean;
  slot: string;
}
interface ClassScope {
  /** null for a class whose private names stay native */
  members: Map<string, PrivateMember> | null;
  names: Set<string>;
}

export interface PrivateNameLowering {
  /**
   * The last step, to run once every other edit of the classes is made: wrapping field
   * initialisers (`#x = slot.init(this, init)`), which must enclose what was lowered inside them.
   */
  wrapFields: () => void;
  /** The slot keeping an `accessor` field's value (its element in a top-level class). */
  accessorSlot: (element: AnyNode) => string | undefined;
  /** The slot of a private name (without `#`) of a top-level class. */
  memberSlot: (classNode: AnyNode, name: string) => string | undefined;
}

/** Lowers the private names of `classes` (top-level classes) in `out`. */
export function lowerPrivateNames(
  file: string,
  code: string,
  program: ESTree.Program,
  out: MagicString,
  classes: TopLevelClass[],
  api: string,
  /** The initial value of a field written without an initialiser, when it has one (a decorated field's: decorators.ts), read by `wrapFields`. */
  initialValue: ReadonlyMap<AnyNode, string> = new Map(),
): PrivateNameLowering {
  const privateElements = (node: AnyNode): AnyNode[] => privateElementsOf(node);
  const accessorSlots = new Map<AnyNode, string>();
  const memberSlots = new Map<AnyNode, Map<string, PrivateMember>>();
  const result: PrivateNameLowering = {
    wrapFields: () => {},
    accessorSlot: (element) => accessorSlots.get(element),
    memberSlot: (classNode, name) => memberSlots.get(classNode)?.get(name)?.slot,
  };
  const targets = classes.filter((target) => privateElements(target.node).length > 0 || accessorsOf(target.node).length > 0);
  if (targets.length === 0) return result;
  const prefix = uniquePrefix(code, "__graftP");
  const lowered = new Map<Node, Map<string, PrivateMember>>();
  const wrappers: (() => void)[] = [];
  targets.forEach((target, index) => {
    const members = prepareClass(target, `${prefix}${index}`);
    lowered.set(target.node, members);
    memberSlots.set(target.node, members);
  });

  function prepareClass(target: TopLevelClass, state: string): Map<string, PrivateMember> {
    const members = new Map<string, PrivateMember>();
    const elements = privateElements(target.node);
    const ownNames = new Set(elements.map((element) => (element.key as unknown as ESTree.PrivateIdentifier).name));
    const slots: string[] = [];
    for (const element of elements) {
      const name = (element.key as unknown as ESTree.PrivateIdentifier).name;
      const isStatic = element.static === true;
      const kind: PrivateKind = element.type === "MethodDefinition" ? (element.kind === "method" ? "method" : "accessor") : "field";
      // Decorated private fields are lowered by decorators.ts, with these slots as their access.
      if ((element.decorators as unknown[] | undefined)?.length && kind !== "field") {
        throw unsupported(file, code, element.start, `a decorator on the private member #${name} of a top-level class`);
      }
      if ((element.type as string) === "AccessorProperty") throw unsupported(file, code, element.start, `the auto-accessor #${name}`);
      if (members.has(name)) continue;
      const slot = `${state}_${members.size}`;
      members.set(name, { kind, isStatic, slot });
      const factory = kind === "field" ? "field" : kind === "method" ? "method" : "accessor";
      slots.push(`${slot} = ${state}.${isStatic ? "static" + factory[0]!.toUpperCase() + factory.slice(1) : factory}(${JSON.stringify(`#${name}`)})`);
    }
    // `accessor x` keeps its value in the private field #x_accessor_storage (decorators.ts
    // writes the getter and setter; field-initialisers.ts lists it under that name).
    for (const element of accessorsOf(target.node)) {
      const name = `${(element.key as unknown as ESTree.Identifier).name}_accessor_storage`;
      if (ownNames.has(name)) throw unsupported(file, code, element.start, `the accessor ${(element.key as unknown as ESTree.Identifier).name} beside a private name #${name}`);
      const slot = `${state}_${slots.length}`;
      accessorSlots.set(element, slot);
      slots.push(`${slot} = ${state}.${element.static === true ? "staticField" : "field"}(${JSON.stringify(`#${name}`)})`);
    }
    const owner = target.binding ?? JSON.stringify(target.name);
    out.appendLeft(target.statement.start, `const ${state} = ${api}.privates(${owner}), ${slots.join(", ")};\n`);

    const body = target.node.body as unknown as Node & { body: AnyNode[] };
    const at = body.start + 1;
    const methods = elements.filter((element) => element.type === "MethodDefinition");
    const instanceMethods = methods.filter((element) => element.static !== true);
    const staticMethods = methods.filter((element) => element.static === true);
    let head = "";
    if (instanceMethods.length > 0) {
      let brand = "graftBrand";
      while (ownNames.has(brand)) brand = `_${brand}`;
      head += `#${brand} = ${state}.brand(this); `;
    }
    head += `static { ${state}.bind(this, { __proto__: null, `;
    if (instanceMethods.length === 0) head += "}, { __proto__: null, ";
    out.appendLeft(at, head);
    const moveMethod = (element: AnyNode, separator: string): void => {
      const key = element.key as unknown as Node & ESTree.PrivateIdentifier;
      const fn = element.value as unknown as ESTree.FunctionExpression;
      const label = (element.kind === "get" ? "get " : element.kind === "set" ? "set " : "") + "#" + key.name;
      out.overwrite(element.start, key.end, `${fn.async ? "async " : ""}${fn.generator ? "*" : ""}${JSON.stringify(label)}`, { contentOnly: true });
      out.appendLeft(element.end, separator);
      out.move(element.start, element.end, at);
    };
    instanceMethods.forEach((element, i) => moveMethod(element, i === instanceMethods.length - 1 ? ", }, { __proto__: null, " : ", "));
    for (const element of staticMethods) moveMethod(element, ", ");
    out.appendRight(at, "}); } ");

    wrappers.push(() => {
      for (const element of elements) {
        if (element.type !== "PropertyDefinition") continue;
        const member = members.get((element.key as unknown as ESTree.PrivateIdentifier).name)!;
        const value = element.value as Node | null;
        if (value) {
          out.prependRight(value.start, `${member.slot}.init(this, `);
          out.appendLeft(value.end, ")");
        } else {
          out.appendLeft((element.key as unknown as Node).end, ` = ${member.slot}.init(this, ${initialValue.get(element) ?? "undefined"})`);
        }
      }
    });
    return members;
  }

  const scopes: ClassScope[] = [];
  const ancestors: AnyNode[] = [];
  walk(program, {
    enter(node, parent) {
      const n = node as AnyNode;
      ancestors.push(n);
      if (n.type === "ClassBody") {
        const names = new Set<string>();
        for (const element of n.body as AnyNode[]) {
          const key = element.key as AnyNode | undefined;
          if (key?.type === "PrivateIdentifier") names.add(key.name as string);
        }
        scopes.push({ members: lowered.get(parent as Node) ?? null, names });
        return;
      }
      if (n.type === "BinaryExpression" && (n.left as AnyNode).type === "PrivateIdentifier") {
        const member = resolve((n.left as AnyNode).name as string);
        if (!member) return;
        const right = n.right as Node;
        out.overwrite(n.start, right.start, `${member.slot}.has(`, { contentOnly: true });
        out.prependLeft(n.end, ")");
        return;
      }
      if (n.type !== "MemberExpression" || (n.property as AnyNode).type !== "PrivateIdentifier") return;
      const member = resolve((n.property as AnyNode).name as string);
      if (!member) return;
      if (n.optional) throw unsupported(file, code, n.start, "optional chaining into a private member (`?.#x`)");
      if (optionalBefore(n.object as AnyNode)) throw unsupported(file, code, n.start, "a private member after `?.` in an optional chain");
      lowerAccess(n, parent as AnyNode | null, member);
    },
    leave(node) {
      ancestors.pop();
      if ((node as AnyNode).type === "ClassBody") scopes.pop();
    },
  });

  function resolve(name: string): PrivateMember | undefined {
    for (let i = scopes.length - 1; i >= 0; i--) {
      const scope = scopes[i]!;
      if (scope.names.has(name)) return scope.members?.get(name);
    }
    return undefined;
  }

  function lowerAccess(n: AnyNode, parent: AnyNode | null, member: PrivateMember): void {
    const object = n.object as Node;
    const slot = member.slot;
    if (parent?.type === "AssignmentExpression" && parent.left === n) {
      if (parent.operator === "=") {
        const value = parent.right as Node;
        out.appendRight(object.start, `${slot}.set(`);
        out.overwrite(object.end, value.start, ", ", { contentOnly: true });
        out.prependLeft(value.end, ")");
        return;
      }
      asReference();
      return;
    }
    if (parent?.type === "UpdateExpression" || isPatternTarget(n, parent, ancestors[ancestors.length - 3] ?? null)) {
      asReference();
      return;
    }
    if (parent?.type === "TaggedTemplateExpression" && parent.tag === n) {
      throw unsupported(file, code, n.start, "a private member used as a template tag");
    }
    if (parent?.type === "CallExpression" && parent.callee === n) {
      if (parent.optional) throw unsupported(file, code, n.start, "an optional call of a private member (`o.#m?.()`)");
      const args = parent.arguments as Node[];
      const paren = code.indexOf("(", n.end);
      out.appendRight(object.start, `${slot}.call(`);
      out.overwrite(object.end, paren + 1, args.length > 0 ? ", " : "", { contentOnly: true });
      return;
    }
    out.appendRight(object.start, `${slot}.get(`);
    out.overwrite(object.end, n.end, ")", { contentOnly: true });

    function asReference(): void {
      out.appendRight(object.start, `${slot}.ref(`);
      out.overwrite(object.end, n.end, ").value", { contentOnly: true });
    }
  }

  result.wrapFields = () => {
    for (const wrap of wrappers) wrap();
  };
  return result;
}

/** The `accessor` fields with a plain name (the ones whose storage the kernel keeps). */
function accessorsOf(node: AnyNode): AnyNode[] {
  const body = node.body as unknown as { body: AnyNode[] };
  return body.body.filter((element) => (element.type as string) === "AccessorProperty" && (element.key as AnyNode).type === "Identifier" && element.computed !== true);
}

function privateElementsOf(node: AnyNode): AnyNode[] {
  const body = node.body as unknown as { body: AnyNode[] };
  return body.body.filter((element) => (element.key as AnyNode | undefined)?.type === "PrivateIdentifier");
}

/** Whether an optional link (`?.`) precedes this point of a member/call chain. */
function optionalBefore(node: AnyNode): boolean {
  for (let current: AnyNode | null = node; current; ) {
    if (current.type === "MemberExpression" || current.type === "CallExpression") {
      if (current.optional) return true;
      current = (current.type === "MemberExpression" ? current.object : current.callee) as AnyNode;
    } else {
      return false;
    }
  }
  return false;
}

/** A member expression written as an assignment target inside a destructuring pattern or a for-in/of head. */
function isPatternTarget(node: AnyNode, parent: AnyNode | null, grandparent: AnyNode | null): boolean {
  if (!parent) return false;
  switch (parent.type) {
    case "ArrayPattern":
    case "RestElement":
      return true;
    case "AssignmentPattern":
      return parent.left === node;
    case "Property":
      return parent.value === node && grandparent?.type === "ObjectPattern";
    case "ForOfStatement":
    case "ForInStatement":
      return parent.left === node;
    default:
      return false;
  }
}

function unsupported(file: string, code: string, offset: number, what: string): CompileError {
  return new CompileError(
    `graft cannot keep private state across reloads for ${what}`,
    file,
    positionAt(code, offset, file),
    "rewrite it with a plain access (for `o?.#x`: `o == null ? undefined : o.#x`), or move the class into a function",
  );
}
