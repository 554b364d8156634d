import type MagicString from "magic-string";
import { walk } from "estree-walker";
import type * as ESTree from "estree";
import { CompileError, positionAt } from "./errors.js";
import { uniquePrefix, type AnyNode, type Node, type TopLevelClass } from "./class-nodes.js";
import type { PrivateNameLowering } from "./private-names.js";

/**
 * TC39 decorators (TypeScript 5's, the 2023 proposal) and `accessor` fields, lowered as
 * edits on the one parsed tree; the kernel applies them (runtime/kernel/vm/decorators.js,
 * which lists the calls). For each class with decorators or `accessor` fields:
 *
 * - its decorator expressions, with what they import already rewritten, are taken out and
 *   evaluated before the class, in document order, into one Decoration (`__graftDecorate(
 *   [classDecorators], [[kind, name, flags, [decorators]], ...])`);
 * - a top-level class graft keeps (module-transform binds it) gets its Decoration from a
 *   `const` before the class statement and is installed as `D.finish(class ...)`; its class
 *   extra initializers run after it is installed, with `this` the class graft keeps;
 * - any other class (in a function, or a class expression) becomes
 *   `((D, C) => C = D.finish(class ...))(__graftDecorate(...))`: one Decoration per
 *   evaluation, and `C` in its body is the decorated class, as the proposal binds it;
 * - the body gets `static { D.start(this, ...) }` first, `D.init(this, i, value)` as each
 *   decorated field's initialiser, and the extra initializers' calls where they run;
 * - `accessor x = v` becomes storage and a getter/setter pair: in a top-level class the
 *   storage is the kernel's private slot `#x_accessor_storage` (private-names.ts), so it
 *   survives edits; elsewhere a native private field.
 *
 * Not supported (a CompileError at the member): decorators on private methods, getters and
 * setters of a top-level class (the kernel keeps those in its own tables), or on an instance
 * one that uses `super` (it is kept as a static method); decorators on private
 * auto-accessors; an `accessor` with a computed or string key; `accessor #x` in a top-level
 * class; `await`/`yield` in the computed keys or `extends` of a decorated class that is not
 * at the top level. A decorated private field of a top-level class has the kernel's slot
 * as its `access`.
 */

type MemberKind = "method" | "getter" | "setter" | "field" | "accessor";

interface DecoratedMember {
  element: AnyNode;
  index: number;
  kind: MemberKind;
  isStatic: boolean;
  isPrivate: boolean;
  decorators: Node[];
  /** The decorators' expressions as the module rewrite left them (taken before they are removed). */
  expressions: string[];
}

interface DecoratedClass {
  node: AnyNode;
  /** The top-level class graft keeps, when this is one. */
  target?: TopLevelClass;
  /** How module-transform binds it: `install` (a class declaration) or `define` (`const A = class {}`). */
  form?: "install" | "define";
  decoration: string;
  /** It has decorators (a class with only `accessor` fields needs no Decoration). */
  decorated: boolean;
  /** The name an anonymous class expression would get from where it is written (`const A = class {}`). */
  contextualName?: string;
  members: DecoratedMember[];
  /** What the kernel's `start` is given for the private members: `{ i: { has, get, set } }`. */
  privateAccess: string[];
}

/** The steps of the lowering, each run at its point among the other passes' edits. */
export interface DecoratorLowering {
  /** What the module's prologue must declare (the kernel's `decorators`). */
  setup: string[];
  /**
   * Before field-initialisers.ts copies the fields' initialisers: the classes not at the top
   * level lowered; in the top-level ones, decorators removed and decorated initialisers wrapped.
   */
  members(): void;
  /** With the private fields' wrap (after the copies): top-level classes' `accessor` storage, in the kernel's slots. */
  accessors(privates: PrivateNameLowering): void;
  /** After the module rewrite bound the top-level classes: their class wrappers and `start`. */
  classes(): void;
}

export function prepareDecorators(
  file: string,
  code: string,
  program: ESTree.Program,
  out: MagicString,
  api: string,
  topLevel: TopLevelClass[],
  mode: "standard" | "legacy",
  /** Where a decorated private field of a top-level class without an initialiser gets its initial value (private-names.ts wraps it). */
  privateInitial: Map<AnyNode, string> = new Map(),
): DecoratorLowering {
  const found = code.includes("@") || code.includes("accessor") ? classesToLower(program, mode) : [];
  const none: DecoratorLowering = { setup: [], members() {}, accessors() {}, classes() {} };
  if (found.length === 0) return none;
  const prefix = uniquePrefix(code, "__graftD");
  const decorate = `${prefix}ecorate`;
  const byNode = new Map(topLevel.map((target) => [target.node as Node, target]));
  const classes: DecoratedClass[] = found.map(([node, name], i) => describeClass(file, code, node, byNode.get(node), `${prefix}${i}`, name));
  /** Native private names this lowering adds: unique in the script. */
  const ownPrivate = `${prefix}_`;
  /** The private-name slots of the top-level classes, once they are made. */
  let slots: PrivateNameLowering | undefined;

  return {
    setup: classes.some((cls) => cls.decorated) ? [`const ${decorate} = ${api}.decorators(Symbol);`] : [],
    members() {
      // Classes not at the top level are lowered whole here, innermost first (a class's edits
      // at its start must not be cleared by an enclosing one's), so that what field-initialisers.ts
      // copies of a top-level class's fields holds them lowered.
      for (const cls of [...classes].reverse()) {
        if (cls.target) continue;
        if (cls.decorated) lowerMembers(cls);
        for (const member of cls.members) if (member.kind === "accessor") lowerAccessor(cls, member, () => undefined);
        if (cls.decorated) wrapClass(cls);
      }
      for (const cls of classes) if (cls.target && cls.decorated) lowerMembers(cls);
    },
    accessors(privates) {
      slots = privates;
      for (const cls of classes) {
        if (!cls.target) continue;
        for (const member of cls.members) if (member.kind === "accessor") lowerAccessor(cls, member, privates.accessorSlot);
      }
    },
    classes() {
      for (const cls of classes) if (cls.target && cls.decorated) wrapClass(cls);
    },
  };

  function lowerMembers(cls: DecoratedClass): void {
    const D = cls.decoration;
    const body = (cls.node.body as unknown as { body: AnyNode[] }).body;
    for (const member of cls.members) {
      for (const decorator of member.decorators) {
        const expression = (decorator as unknown as { expression: Node }).expression;
        member.expressions.push(out.slice(expression.start, expression.end));
        out.remove(decorator.start, decorator.end);
      }
    }
    for (const member of cls.members) {
      const { element, index } = member;
      const key = element.key as AnyNode;
      if (element.computed) {
        out.prependRight(key.start, `${D}.key(${index}, `);
        out.appendLeft(key.end, ")");
      }
      const decorated = member.decorators.length > 0;
      if (decorated && member.isPrivate && member.kind !== "field" && member.kind !== "accessor") {
        privateFunction(cls, member);
        continue;
      }
      if (!decorated || (member.kind !== "field" && member.kind !== "accessor")) continue;
      const value = element.value as Node | null;
      if (value) {
        out.prependRight(value.start, `${D}.init(this, ${index}, `);
        out.appendLeft(value.end, ")");
      } else if (member.kind === "field" && cls.target && member.isPrivate) {
        // Its slot's initialiser (private-names.ts) encloses this one.
        privateInitial.set(element, `${D}.init(this, ${index}, undefined)`);
      } else if (member.kind === "field") {
        out.appendLeft(keyEnd(code, element), ` = ${D}.init(this, ${index}, undefined)`);
      }
      // The member's extra initializers, right after it is defined.
      out.appendLeft(element.end, member.isStatic ? `; static { ${D}.extra(this, ${index}); }` : `; #${ownPrivate}e${index} = ${D}.extra(this, ${index});`);
    }
    const decoratedMethods = (isStatic: boolean): boolean =>
      cls.members.some((member) => member.isStatic === isStatic && member.decorators.length > 0 && member.kind !== "field" && member.kind !== "accessor");
    // Written fields only: the fields type stripping declares for parameter properties are empty, at the body's start.
    const isField = (element: AnyNode): boolean => (element.type === "PropertyDefinition" || (element.type as string) === "AccessorProperty") && element.end > element.start;
    const closing = (cls.node.body as Node).end - 1;
    const before = (element: AnyNode | undefined, text: string): void => {
      if (element) out.prependRight(element.start, text);
      else out.prependRight(closing, text);
    };
    if (decoratedMethods(false)) before(body.find((element) => isField(element) && element.static !== true), `#${ownPrivate}i = ${D}.instance(this); `);
    if (decoratedMethods(true)) {
      before(body.find((element) => element.static === true && (isField(element) || element.type === "StaticBlock")), `static { ${D}.statics(); } `);
    }
    // A top-level class's class extra initializers run once it is installed (classes()).
    if (!cls.target && classDecorators(cls.node).length > 0) out.prependRight(closing, ` static { ${D}.end(); } `);
  }

  /**
   * `@d #m(a) { ... }` in a class inside a function: the function is kept as a static
   * private method (readable from the class's first static block, where the decorators get
   * it), and `#m` becomes a private getter (or getter/setter) that reaches the decorated
   * function: `get #m() { return D.private(i); }`, for a getter `D.callPrivate(i, this, [])`.
   */
  function privateFunction(cls: DecoratedClass, member: DecoratedMember): void {
    const { element, index, kind } = member;
    const D = cls.decoration;
    const key = element.key as AnyNode;
    const fn = element.value as AnyNode;
    const last = member.decorators[member.decorators.length - 1]!;
    const head = firstTokenAfter(code, last.end);
    const name = `#${key.name as string}`;
    const kept = `${fn.async ? "async " : ""}${fn.generator ? "*" : ""}#${privateFunctionName(D, index)}`;
    out.overwrite(head, key.end, `static ${kept}`, { contentOnly: true });
    const stat = member.isStatic ? "static " : "";
    const accessor =
      kind === "method"
        ? `${stat}get ${name}() { return ${D}.private(${index}); }`
        : kind === "getter"
          ? `${stat}get ${name}() { return ${D}.callPrivate(${index}, this, []); }`
          : `${stat}set ${name}(value) { ${D}.callPrivate(${index}, this, [value]); }`;
    out.appendLeft(element.end, ` ${accessor}`);
  }

  function lowerAccessor(cls: DecoratedClass, member: DecoratedMember, accessorSlot: (element: AnyNode) => string | undefined): void {
    const { element } = member;
    const key = element.key as AnyNode;
    const keyword = code.lastIndexOf("accessor", key.start);
    const name = key.type === "PrivateIdentifier" ? `#${key.name as string}` : (key.name as string);
    const storage = `#${ownPrivate}${key.type === "PrivateIdentifier" ? "p" : "a"}${key.name as string}`;
    const stat = member.isStatic ? "static " : "";
    const slot = cls.target ? accessorSlot(element) : undefined;
    // `accessor x` -> `#<storage>x` (the key stays where it is: what else edits it still applies).
    const keyText = key.type === "PrivateIdentifier" ? key.start + 1 : key.start;
    out.overwrite(keyword, keyText, storage.slice(0, storage.length - (key.name as string).length), { contentOnly: true });
    const value = element.value as Node | null;
    let get = `this.${storage}`;
    let set = `this.${storage} = value;`;
    const initial = member.decorators.length > 0 ? `${cls.decoration}.init(this, ${member.index}, undefined)` : "undefined";
    if (slot !== undefined) {
      if (value) {
        out.prependRight(value.start, `${slot}.init(this, `);
        out.appendLeft(value.end, ")");
      } else {
        out.appendLeft(key.end, ` = ${slot}.init(this, ${initial})`);
      }
      get = `${slot}.get(this)`;
      set = `${slot}.set(this, value);`;
    } else if (!value && member.decorators.length > 0) {
      out.appendLeft(key.end, ` = ${initial}`);
    }
    out.appendLeft(element.end, `; ${stat}get ${name}() { return ${get}; } ${stat}set ${name}(value) { ${set} }`);
  }

  function wrapClass(cls: DecoratedClass): void {
    const { node, target, decoration: D } = cls;
    const decorators = classDecorators(node);
    const decoratorList = decorators.map((decorator) => out.slice((decorator as unknown as { expression: Node }).expression.start, (decorator as unknown as { expression: Node }).expression.end));
    for (const decorator of decorators) out.remove(decorator.start, decorator.end);
    const specs = cls.members.map((member) => {
      const key = member.element.key as AnyNode;
      const name = member.element.computed ? "null" : JSON.stringify(memberName(key));
      return `[${JSON.stringify(member.kind)}, ${name}, ${(member.isStatic ? 1 : 0) | (member.isPrivate ? 2 : 0)}, [${member.expressions.join(", ")}]]`;
    });
    const make = `${decorate}([${decoratorList.join(", ")}], [${specs.join(", ")}])`;
    const body = node.body as Node;
    const keyword = code.indexOf("class", decorators.length > 0 ? decorators[decorators.length - 1]!.end : node.start);
    if (target) {
      // A top-level class's private fields are the kernel's slots (private-names.ts).
      for (const member of cls.members) {
        if (!member.isPrivate || member.decorators.length === 0) continue;
        const slot = slots?.memberSlot(node, ((member.element.key as AnyNode).name as string));
        if (slot === undefined) throw new Error(`graft: no slot for the private field of ${target.name}`);
        cls.privateAccess.push(`${member.index}: { has: (o) => ${slot}.has(o), get: (o) => ${slot}.get(o), set: (o, value) => { ${slot}.set(o, value); } }`);
      }
    }
    const access = cls.privateAccess.length > 0 ? `{ ${cls.privateAccess.join(", ")} }` : "undefined";
    if (target) {
      const binding = target.binding ?? (target.name === "default" && !node.id ? "__default" : target.name);
      // Before the module rewrite's own insertions there (the class's binding).
      out.prependLeft(target.statement.start, `const ${D} = ${make};\n`);
      out.prependLeft(body.start + 1, ` static { ${D}.start(this, ${JSON.stringify(target.name)}, ${access}); }`);
      out.appendLeft(keyword, `${D}.finish(`);
      out.prependLeft(node.end, ")");
      if (cls.form === "define") {
        out.prependLeft(node.start, `${D}.end(`);
        out.appendRight(node.end, ")");
      } else if (decorators.length > 0) {
        out.appendLeft(node.end, ` ${D}.end(${binding});`);
      }
      return;
    }
    // Elsewhere: one Decoration per evaluation; the class's own name binds the decorated class.
    const id = node.id as (Node & ESTree.Identifier) | null;
    const name = id ? id.name : cls.contextualName;
    const self = id ? `, ${id.name}` : "";
    const assignSelf = id ? `${id.name} = ` : "";
    const head = `((${D}${self}) => ${assignSelf}${D}.finish(class`;
    out.prependLeft(body.start + 1, ` static { ${assignSelf}${D}.start(this, ${name === undefined ? "undefined" : JSON.stringify(name)}, ${access}); }`);
    if (node.type === "ClassDeclaration" && id) {
      out.overwrite(keyword, id.end, `let ${id.name} = ${head}`);
      out.appendLeft(node.end, `))(${make});`);
    } else {
      out.overwrite(keyword, id ? id.end : keyword + "class".length, head);
      out.appendLeft(node.end, `))(${make})`);
    }
  }
}

/**
 * The classes to lower, outermost first, each with the name an anonymous class expression
 * gets from a variable declaration.
 */
function classesToLower(program: ESTree.Program, mode: "standard" | "legacy"): [AnyNode, string | undefined][] {
  const found: [AnyNode, string | undefined][] = [];
  walk(program, {
    enter(node, parent) {
      const n = node as AnyNode;
      if (n.type !== "ClassDeclaration" && n.type !== "ClassExpression") return;
      const elements = (n.body as unknown as { body: AnyNode[] }).body;
      const accessor = elements.some((element) => (element.type as string) === "AccessorProperty");
      const decorated = mode === "standard" && (classDecorators(n).length > 0 || elements.some((element) => ((element.decorators as Node[] | undefined) ?? []).length > 0));
      const declarator = parent?.type === "VariableDeclarator" && parent.init === node && parent.id.type === "Identifier" ? parent.id.name : undefined;
      if (accessor || decorated) found.push([n, declarator]);
    },
  });
  return found;
}

function classDecorators(node: AnyNode): Node[] {
  return (node.decorators as Node[] | undefined) ?? [];
}

function describeClass(file: string, code: string, node: AnyNode, target: TopLevelClass | undefined, decoration: string, contextualName: string | undefined): DecoratedClass {
  const members: DecoratedMember[] = [];
  const privateAccess: string[] = [];
  const fail = (element: AnyNode, what: string, hint: string): never => {
    throw new CompileError(`graft does not lower ${what}`, file, positionAt(code, element.start, file), hint);
  };
  for (const element of (node.body as unknown as { body: AnyNode[] }).body) {
    const decorators = (element.decorators as Node[] | undefined) ?? [];
    const accessor = (element.type as string) === "AccessorProperty";
    if (decorators.length === 0 && !accessor) continue;
    const key = element.key as AnyNode;
    const isPrivate = key.type === "PrivateIdentifier";
    const kind: MemberKind = accessor ? "accessor" : element.type === "PropertyDefinition" ? "field" : element.kind === "get" ? "getter" : element.kind === "set" ? "setter" : "method";
    const label = isPrivate ? `#${key.name as string}` : key.type === "Identifier" && !element.computed ? (key.name as string) : "this member";
    if (accessor && (element.computed || (key.type !== "Identifier" && !isPrivate))) {
      fail(element, `an \`accessor\` with a computed or quoted name (${label})`, "give the accessor a plain name, or write the getter and setter yourself");
    }
    const privateFunction = isPrivate && decorators.length > 0 && (kind === "method" || kind === "getter" || kind === "setter");
    if (privateFunction && target) fail(element, `a decorator on the private ${kind} ${label} of a top-level class`, "make the member public, decorate a private field, or move the class into a function");
    if (privateFunction && element.static !== true && usesSuper(element)) {
      fail(element, `a decorator on the private ${kind} ${label} that uses \`super\``, "make the member public, or call the parent's method from a public one");
    }
    if (accessor && isPrivate && decorators.length > 0) fail(element, `a decorator on the private auto-accessor ${label}`, "decorate a public accessor, or a private field");
    if (accessor && isPrivate && target) fail(element, `the auto-accessor ${label} of a top-level class`, "make the accessor public, or write a private field with a getter and setter");
    const index = members.length;
    members.push({ element, index, kind, isStatic: element.static === true, isPrivate, decorators, expressions: [] });
    if (isPrivate && decorators.length > 0 && !target) {
      const name = `#${key.name as string}`;
      const has = `has: (o) => ${name} in o`;
      const get = `get: (o) => o.${name}`;
      const set = `set: (o, value) => { o.${name} = value; }`;
      // A private method, getter or setter is kept as a static private method (privateFunction()): its function is `value`.
      const value = `value: this.#${privateFunctionName(decoration, index)}`;
      const parts = kind === "field" ? [has, get, set] : kind === "method" ? [has, get, value] : kind === "getter" ? [has, get, value] : [has, set, value];
      privateAccess.push(`${index}: { ${parts.join(", ")} }`);
    }
  }
  const decorated = classDecorators(node).length > 0 || members.some((member) => member.decorators.length > 0);
  if (!target && decorated) rejectSuspension(file, code, node);
  const form = target ? (target.node.type === "ClassExpression" && target.name !== "default" ? "define" : "install") : undefined;
  return { node, ...(target ? { target, form } : {}), ...(contextualName ? { contextualName } : {}), decoration, decorated, members, privateAccess };
}

/**
 * A class lowered into an arrow function: its `extends` and computed keys run inside it,
 * where `await` and `yield` mean nothing.
 */
function rejectSuspension(file: string, code: string, node: AnyNode): void {
  const parts: Node[] = [];
  if (node.superClass) parts.push(node.superClass as Node);
  for (const element of (node.body as unknown as { body: AnyNode[] }).body) if (element.computed) parts.push(element.key as Node);
  for (const part of parts) {
    walk(part as unknown as ESTree.Node, {
      enter(child) {
        if (/Function/.test(child.type)) return this.skip();
        if (child.type === "AwaitExpression" || child.type === "YieldExpression") {
          throw new CompileError(
            "graft does not lower `await` or `yield` in the `extends` clause or a computed key of a decorated class inside a function",
            file,
            positionAt(code, (child as unknown as Node).start, file),
            "compute the value into a variable before the class",
          );
        }
      },
    });
  }
}

/** The static private method keeping a decorated private method's, getter's or setter's function. */
function privateFunctionName(decoration: string, index: number): string {
  return `${decoration}_f${index}`;
}

/** Where the next token after `offset` starts (whitespace and comments skipped). */
function firstTokenAfter(code: string, offset: number): number {
  const rest = /^(?:\s|\/\/[^\n]*\n|\/\*[\s\S]*?\*\/)*/.exec(code.slice(offset))!;
  return offset + rest[0].length;
}

/** Whether a method's body uses `super` (for itself: nested functions and classes have their own). */
function usesSuper(element: AnyNode): boolean {
  let found = false;
  walk((element.value as AnyNode).body as unknown as ESTree.Node, {
    enter(node) {
      if (found || node.type === "FunctionDeclaration" || node.type === "FunctionExpression" || node.type === "ClassBody") return this.skip();
      if (node.type === "Super") found = true;
    },
  });
  return found;
}

function memberName(key: AnyNode): string {
  if (key.type === "PrivateIdentifier") return `#${key.name as string}`;
  if (key.type === "Identifier") return key.name as string;
  return String((key as unknown as ESTree.Literal).value);
}

/** Where a field's name ends (after `]` for a computed one): an initialiser goes after it. */
function keyEnd(code: string, element: AnyNode): number {
  const key = element.key as Node;
  return element.computed ? code.indexOf("]", key.end) + 1 : key.end;
}
