import { walk } from "estree-walker";
import type * as ESTree from "estree";
import { CompileError, type ScriptPosition } from "./errors.js";
import { namesNoBinding } from "./identifier-role.js";

/**
 * The names graft's compile passes generate: `__default` (an anonymous default export),
 * `__graft…` (the loader's API and every lowering's helpers), `__import<n>` and
 * `__namespace<n>` (a module's imports). A script that used one would silently meet the
 * generated code, so such a name is refused with its position.
 */
const NAMES = String.raw`__default|__graft[\w$]*|__import\d+|__namespace\d+`;
const MENTIONED = new RegExp(String.raw`(?<![\w$])(?:${NAMES})(?![\w$])`);
const RESERVED = new RegExp(`^(?:${NAMES})$`);


/** Throws a CompileError if `code` (types stripped, parsed as `program`) uses a name graft reserves as an identifier. */
export function checkReservedNames(file: string, code: string, program: ESTree.Program, positionOf: (offset: number) => ScriptPosition): void {
  // A text scan first: almost no file mentions such a name, and then nothing is walked.
  if (!MENTIONED.test(code)) return;
  let found: { name: string; start: number } | undefined;
  walk(program, {
    enter(node, parent, key) {
      if (found) return this.skip();
      if (node.type !== "Identifier" || !RESERVED.test(node.name) || namesNoBinding(parent, typeof key === "string" ? key : null)) return;
      found = { name: node.name, start: (node as ESTree.Identifier & { start: number }).start };
    },
  });
  if (!found) return;
  throw new CompileError(
    `the name '${found.name}' is reserved: graft's compile step generates names starting with __graft, __import<n>, __namespace<n> and the name __default`,
    file,
    positionOf(found.start),
    `rename '${found.name}' and save again`,
  );
}
