import type MagicString from "magic-string";
import { walk } from "estree-walker";
import type * as ESTree from "estree";
import { uniquePrefix } from "./class-nodes.js";
import { namesNoBinding } from "./identifier-role.js";

/**
 * `arguments` at a module's top level (outside any non-arrow function) names no binding of
 * the module: ES resolves it in the global scope (a ReferenceError, or a global of that
 * name). graft runs a module as a function, whose own `arguments` would hold graft's loader
 * API; each such reference becomes a call of a function declared in the module that looks
 * `arguments` up on the global object as ES would (`typeof arguments` gives "undefined").
 */
export function hideModuleArguments(code: string, program: ESTree.Program, out: MagicString): void {
  if (!code.includes("arguments")) return;
  const lookup = `${uniquePrefix(code, "__graftArguments")}`;
  let found = false;
  walk(program, {
    enter(node, parent, key) {
      // A function's own `arguments` is its own: its body is not walked.
      if (node.type === "FunctionDeclaration" || node.type === "FunctionExpression") return this.skip();
      if (node.type !== "Identifier" || node.name !== "arguments" || !parent) return;
      // `export { a as arguments }`, `import { arguments as a }`, `o.arguments`, `{ arguments: 1 }`: names, not references.
      if (namesNoBinding(parent, typeof key === "string" ? key : null)) return;
      const { start, end } = node as unknown as { start: number; end: number };
      found = true;
      if (parent.type === "UnaryExpression" && parent.operator === "typeof") {
        const unary = parent as unknown as { start: number; end: number };
        out.overwrite(unary.start, end, `${lookup}(true)`, { contentOnly: true });
      } else if (parent.type === "Property" && parent.shorthand) {
        out.overwrite(start, end, `arguments: ${lookup}(false)`, { contentOnly: true });
      } else {
        out.overwrite(start, end, `${lookup}(false)`, { contentOnly: true });
      }
    },
  });
  if (!found) return;
  out.append(
    `\nfunction ${lookup}(typeOnly) { if ("arguments" in globalThis) return typeOnly ? typeof globalThis.arguments : globalThis.arguments; if (typeOnly) return "undefined"; throw new ReferenceError("arguments is not defined"); }\n`,
  );
}
