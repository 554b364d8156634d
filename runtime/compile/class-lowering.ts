import type MagicString from "magic-string";
import { walk } from "estree-walker";
import isReference from "is-reference";
import type * as ESTree from "estree";
import { CompileError, positionAt } from "./errors.js";
import { lowerLegacyDecorators } from "./legacy-decorators.js";
import type { AnyNode, Node, TopLevelClass } from "./class-nodes.js";
import { lowerPrivateNames } from "./private-names.js";
import { fieldArguments } from "./field-initialisers.js";
import { prepareDecorators, type DecoratorLowering } from "./decorators.js";

/** "standard": TC39 decorators (TypeScript 5); "legacy": TypeScript's experimentalDecorators. */
export type DecoratorMode = "standard" | "legacy";

/**
 * What graft's compile step changes in the classes of a script (types already stripped), in
 * the edits the module rewrite makes too: in the top-level classes it binds to canonical
 * classes, private names become slots kept across versions (private-names.ts), and each
 * class tells the kernel its instance fields, with initialisers it can run on live instances
 * (field-initialisers.ts; the module rewrite passes them where it installs the class); in
 * every class, TC39 decorators and `accessor` fields are lowered (decorators.ts).
 */
export interface ClassLowering {
  /** Class expressions (`const A = class Named {}`) whose inner name was removed: the module rewrite binds them as anonymous ones. */
  unnamed: Set<unknown>;
  /** The decorators' last step, run after the module rewrite's (decorators.ts). */
  decorators: DecoratorLowering;
  /** Each top-level class's source text (types stripped), by name: what `String(C)` shows. */
  sources: Record<string, string>;
  /** What the call installing a top-level class passes after it: its instance fields (field-initialisers.ts). */
  fieldArguments: Map<unknown, string>;
}

/**
 * Lowers the classes of `code` (which `program` parses) as edits in `out`, made after the
 * module rewrite's first step (module-transform.ts rewriteModule). `api` is the module's
 * loader API.
 */
export function lowerClasses(file: string, code: string, program: ESTree.Program, out: MagicString, api: string, decorators: DecoratorMode, textOf: (start: number, end: number) => string = (start, end) => code.slice(start, end)): ClassLowering {
  const unnamed = new Set<unknown>();
  if (!code.includes("class")) return { unnamed, decorators: prepareDecorators(file, code, program, out, api, [], decorators), sources: {}, fieldArguments: new Map() };
  const classes = topLevelClasses(program, code);
  const decorated = decorators === "legacy" && code.includes("@") ? firstDecorator(program, new Set(classes.map((target) => target.node))) : undefined;
  if (decorated) {
    throw new CompileError("graft applies legacy decorators to top-level classes only", file, positionAt(code, decorated.start, file), "move the class to the top level of the file, or use TC39 decorators (the default)");
  }
  const privateInitial = new Map<AnyNode, string>();
  const lowering = prepareDecorators(file, code, program, out, api, classes, decorators, privateInitial);
  const sources: Record<string, string> = {};
  for (const target of classes) sources[target.name] = textOf(target.node.start, target.node.end);
  for (const target of classes) {
    if (target.node.type !== "ClassExpression" || !target.node.id) continue;
    unname(out, target.node, target.name, code);
    unnamed.add(target.node);
  }
  if (decorators === "legacy") lowerLegacyDecorators(file, code, out, classes, api);
  const privates = lowerPrivateNames(file, code, program, out, classes, api, privateInitial);
  lowering.members();
  const fields = fieldArguments(out, classes);
  privates.wrapFields();
  lowering.accessors(privates);
  return { unnamed, decorators: lowering, sources, fieldArguments: fields };
}

/** The first decorator outside the classes of `skip` (and their members). */
function firstDecorator(program: ESTree.Program, skip: Set<Node>): Node | undefined {
  let found: Node | undefined;
  let skipping = 0;
  walk(program, {
    enter(node) {
      if (found) return this.skip();
      if (skip.has(node as Node)) skipping++;
      const decorators = (node as AnyNode).decorators as Node[] | undefined;
      if (skipping === 0 && decorators?.length) found = decorators[0];
    },
    leave(node) {
      if (skip.has(node as Node)) skipping--;
    },
  });
  return found;
}

/** The classes module-transform binds to canonical classes (same forms, same names). */
function topLevelClasses(program: ESTree.Program, code: string): TopLevelClass[] {
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
      if (declarator.id.type !== "Identifier" || !init || init.type !== "ClassExpression") return;
      if (init.id && !canUnname(init, declarator.id.name, code)) return;
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

/**
 * `const A = class Named {...}`: graft keeps the class under `A` (module-transform binds
 * anonymous class expressions), so the expression loses its inner name: references to
 * `Named` inside the body become `A` (the class graft keeps, as `Named` was the class), and
 * a static block gives the class the name `Named`. Only when `A` is not written inside the
 * body (so that the rename cannot be captured by another binding).
 */
function canUnname(node: AnyNode, binding: string, code: string): boolean {
  return !new RegExp(`(^|[^\\w$])${binding.replace(/\$/g, "\\$")}($|[^\\w$])`, "u").test(code.slice(node.start, node.end));
}

function unname(out: MagicString, node: AnyNode, binding: string, code: string): void {
  const id = node.id as Node & ESTree.Identifier;
  const inner = id.name;
  out.remove(id.start - 1 >= 0 && code[id.start - 1] === " " ? id.start - 1 : id.start, id.end);
  walk(node.body as unknown as ESTree.Node, {
    enter(child, parent) {
      if (child.type !== "Identifier" || child.name !== inner || !parent || !isReference(child, parent)) return;
      const { start, end } = child as unknown as Node;
      const shorthand = parent.type === "Property" && parent.shorthand && parent.value === child;
      out.overwrite(start, end, shorthand ? `${inner}: ${binding}` : binding, { contentOnly: true });
    },
  });
  const body = node.body as unknown as Node;
  // Before what the other passes put at the top of the body (prependLeft goes first).
  out.prependLeft(body.start + 1, ` static { Object.defineProperty(this, "name", { value: ${JSON.stringify(inner)}, configurable: true }); }`);
}
