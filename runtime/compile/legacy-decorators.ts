import type MagicString from "magic-string";
import { walk } from "estree-walker";
import type * as ESTree from "estree";
import { CompileError, positionAt } from "./errors.js";
import { parseModule } from "./module-transform.js";
import type { AnyNode, Node, TopLevelClass } from "./class-nodes.js";

/**
 * TypeScript's `experimentalDecorators` (createRuntime({ decorators: "legacy" })), for
 * top-level classes: the decorators are taken off the class and applied right after it is
 * defined, to the class graft keeps, as TypeScript's own emit applies them:
 *   `@d method() {}`       -> `api.decorate([d], C.prototype, "method", null)`
 *   `@d static field = 1`  -> `api.decorate([d], C, "field", void 0)`
 *   `m(@p x)`              -> `p` joins m's list as `api.param(0, p)`
 *   `@c class C`, `constructor(@i x)` -> `api.decorateClass([c, api.param(0, i)], C)`
 * so a method decorator's replacement is what the class's prototype holds, version after
 * version. Decorator expressions are moved as text, as the module rewrite's first step
 * left them (what they import read from the exporter's namespace).
 */
export function lowerLegacyDecorators(file: string, code: string, out: MagicString, classes: TopLevelClass[], api: string): void {
  for (const target of classes) {
    const calls: string[] = [];
    const take = (decorators: Node[] | undefined): string[] =>
      (decorators ?? []).map((decorator) => {
        const expression = (decorator as unknown as { expression: Node }).expression;
        // As the module rewrite left it (what it imports already rewritten).
        const text = `(${out.slice(expression.start, expression.end)})`;
        out.remove(decorator.start, decorator.end);
        return text;
      });
    const params = (fn: AnyNode | undefined): string[] =>
      ((fn?.params as AnyNode[] | undefined) ?? []).flatMap((param, index) => take(param.decorators as Node[] | undefined).map((expression) => `${api}.param(${index}, ${expression})`));
    const binding = bindingOf(target);
    const body = target.node.body as unknown as { body: AnyNode[] };
    let constructorParams: string[] = [];
    for (const element of body.body) {
      const fn = element.type === "MethodDefinition" ? (element.value as AnyNode) : undefined;
      if (element.kind === "constructor") {
        constructorParams = params(fn);
        continue;
      }
      const decorators = [...take(element.decorators as Node[] | undefined), ...params(fn)];
      if (decorators.length === 0) continue;
      const key = element.key as AnyNode;
      if (element.computed || key.type === "PrivateIdentifier") {
        throw new CompileError(
          "graft applies legacy decorators to members with a plain name only",
          file,
          positionAt(code, element.start, file),
          "give the member a plain name, or use TC39 decorators (the default)",
        );
      }
      const name = key.type === "Identifier" ? (key.name as string) : String((key as unknown as ESTree.Literal).value);
      const owner = element.static === true ? binding : `${binding}.prototype`;
      calls.push(`${api}.decorate([${decorators.join(", ")}], ${owner}, ${JSON.stringify(name)}, ${element.type === "MethodDefinition" ? "null" : "void 0"});`);
    }
    const classDecorators = [...take(target.node.decorators as Node[] | undefined), ...constructorParams];
    if (classDecorators.length > 0) calls.push(`${api}.decorateClass([${classDecorators.join(", ")}], ${binding});`);
    if (calls.length > 0) out.appendLeft(target.statement.end, `\n${calls.join("\n")}`);
  }
}

/** The name module-transform binds the class to. */
function bindingOf(target: TopLevelClass): string {
  return target.name === "default" && !(target.node.id as ESTree.Identifier | null) ? "__default" : target.name;
}

/**
 * A parameter decorator comes right after `(` or `,` (member decorators follow `{`, `;`, `}`
 * or another member): a script without this never has one. Comments may match too (then
 * the parse below finds none, at the cost of a second parse).
 */
const MAY_DECORATE_PARAMETER = /[(,]\s*@/;

/**
 * The parse of a script in legacy-decorator mode. Parameter decorators (`m(@inject x)`) are
 * TypeScript syntax that type stripping keeps, so a script with some parses only as
 * TypeScript; everything else must still parse as JavaScript, with its early errors (a
 * TypeScript parse accepts `export { Number }`, and in a `.js` file type annotations). So a
 * script that may have one is parsed as TypeScript, and its code with the parameter
 * decorators blanked out must parse as JavaScript too: such scripts are parsed twice.
 */
export function parseWithParameterDecorators(file: string, code: string): ESTree.Program {
  if (!MAY_DECORATE_PARAMETER.test(code)) return parseModule(file, code, "js");
  let program: ESTree.Program;
  try {
    program = parseModule(file, code, "ts");
  } catch {
    // Reported as JavaScript's error (the script is JavaScript but for parameter decorators).
    return parseModule(file, code, "js");
  }
  let blanked = code;
  walk(program, {
    enter(node) {
      const params = (node as AnyNode).params as AnyNode[] | undefined;
      if (!params || !/Function/.test(node.type)) return;
      for (const param of params) {
        for (const decorator of (param.decorators as Node[] | undefined) ?? []) {
          blanked = blanked.slice(0, decorator.start) + " ".repeat(decorator.end - decorator.start) + blanked.slice(decorator.end);
        }
      }
    },
  });
  // The TypeScript parse's tree is the one used: it has the decorators to lower.
  parseModule(file, blanked, "js");
  return program;
}
