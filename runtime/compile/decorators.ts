import { createRequire } from "node:module";
import MagicString from "magic-string";
import type * as TypeScript from "typescript";
import { parseSync } from "oxc-parser";
import { walk } from "estree-walker";
import type * as ESTree from "estree";
import { CompileError, syntaxError } from "./errors.js";
import { lowerPrivateNames } from "./private-names.js";
import type { AnyNode, Node, TopLevelClass } from "./class-nodes.js";
import { mapOfEdits, type EncodedSourceMap, type SourceMapInput } from "./source-map.js";

/**
 * TC39 (TypeScript 5) decorators, lowered by TypeScript's own transform: QuickJS does not
 * parse decorators, and oxc-transform (pinned) implements only the legacy ones. It runs on
 * the module function module-transform made, where each top-level class is already a class
 * expression passed to graft (`__graft.install(C, { "C": @dec class { ... } }["C"])`), so the
 * decorated class, whatever a class decorator returns, becomes the class's new version and
 * `C` inside the body still reaches the canonical class. TypeScript emits its helpers
 * (`__esDecorate`, `__runInitializers`, ...) ahead of the code; they are moved inside the
 * module function, so they are the module's own and `this` in them is undefined.
 */
export interface LoweredDecorators {
  code: string;
  /** Back to module-transform's output, applied in order. */
  maps: SourceMapInput[];
}

let typescript: typeof TypeScript | undefined;

/** TypeScript is loaded only when a script has decorators (it takes a few hundred ms). */
function loadTypeScript(): typeof TypeScript {
  typescript ??= createRequire(import.meta.url)("typescript") as typeof TypeScript;
  return typescript;
}

/** `code` is module-transform's output: `(function (<api>) {"use strict"; ... })` (or a generator function). */
export function lowerDecorators(file: string, code: string, api: string, userPrivateNames: Set<string>): LoweredDecorators {
  const ts = loadTypeScript();
  const result = ts.transpileModule(code, {
    fileName: file.replace(/\.(ts|mjs)$/, ".js"),
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      allowJs: true,
      sourceMap: true,
      inlineSources: false,
      removeComments: false,
      experimentalDecorators: false,
      useDefineForClassFields: true,
    },
  });
  const error = result.diagnostics?.find((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error);
  if (error) {
    const message = ts.flattenDiagnosticMessageText(error.messageText, "\n");
    throw new CompileError(`cannot lower the decorators: ${message}`, file, undefined, "check the decorator syntax (TC39 decorators)");
  }
  const output = result.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, "\n");
  // The module function module-transform made: `(function (api) {`, or a generator, or async.
  const wrapper = output.search(new RegExp(`\\((async )?function\\*? ?\\(${api}\\) \\{`));
  const strict = output.indexOf(`"use strict";`, wrapper);
  if (wrapper < 0 || strict < 0) throw new Error(`graft: TypeScript's decorator output for ${file} has no module function`);
  const out = new MagicString(output);
  lowerAccessorStorage(file, output, out, api, userPrivateNames);
  const afterStrict = strict + `"use strict";`.length;
  // Symbol.metadata is not in this QuickJS build: without it decorators get no metadata object.
  out.appendLeft(afterStrict, `\nif (typeof Symbol.metadata !== "symbol") Object.defineProperty(Symbol, "metadata", { value: Symbol.for("Symbol.metadata") });\n`);
  if (wrapper > 0) out.move(0, wrapper, afterStrict);
  const tsMap = result.sourceMapText!;
  return { code: out.toString(), maps: [mapOfEdits(out, file), () => JSON.parse(tsMap) as EncodedSourceMap] };
}

/**
 * TypeScript turns `accessor x` into a private `#x_accessor_storage` and a getter/setter
 * pair: in a top-level class that private storage is lowered like the class's own private
 * fields were (private-names.ts), so it survives edits. The classes are found by the static
 * block module-transform put at the top of each (`static { api.early(C, this); }`).
 */
function lowerAccessorStorage(file: string, code: string, out: MagicString, api: string, userPrivateNames: Set<string>): void {
  if (!code.includes("_accessor_storage")) return;
  const parsed = parseSync(file.replace(/\.(ts|mjs)$/, ".js"), code, { sourceType: "script" });
  if (parsed.errors.length > 0) throw syntaxError(file, code, parsed.errors[0]!);
  const program = parsed.program as unknown as ESTree.Program;
  const classes: TopLevelClass[] = [];
  let statement: Node | null = null;
  walk(program, {
    enter(node, parent) {
      const n = node as AnyNode;
      if (statement === null && parent?.type === "BlockStatement" && n.type.endsWith("Statement")) statement = n;
      if ((n.type === "ClassExpression" || n.type === "ClassDeclaration") && statement) {
        const binding = earlyBinding(n, api);
        if (binding) classes.push({ name: binding, binding, node: n, statement });
      }
    },
    leave(node) {
      if (node === statement) statement = null;
    },
  });
  lowerPrivateNames(file, code, program, out, classes, api, (name, classNode) => (userPrivateNames.has(name) ? undefined : accessorOf(classNode, name)))();
}

/**
 * For TypeScript's storage of `accessor x` (read by its getter `get x() { return this.#storage; }`):
 * "#x_accessor_storage", the name the class's field list uses for it (field-initialisers.ts).
 */
function accessorOf(classNode: AnyNode, storage: string): string | undefined {
  for (const element of (classNode.body as unknown as { body: AnyNode[] }).body) {
    if (element.type !== "MethodDefinition" || element.kind !== "get" || (element.key as AnyNode).type !== "Identifier") continue;
    const [statement] = ((element.value as AnyNode).body as unknown as { body: AnyNode[] }).body;
    const read = statement?.type === "ReturnStatement" ? (statement.argument as AnyNode | null) : null;
    const property = read?.type === "MemberExpression" ? (read.property as AnyNode) : undefined;
    if (property?.type === "PrivateIdentifier" && property.name === storage) return `#${(element.key as AnyNode).name as string}_accessor_storage`;
  }
  return undefined;
}

/** `C` of the `static { api.early(C, ...) }` block module-transform puts first in a top-level class. */
function earlyBinding(node: AnyNode, api: string): string | undefined {
  for (const element of (node.body as unknown as { body: AnyNode[] }).body) {
    if (element.type !== "StaticBlock") continue;
    const [first] = element.body as AnyNode[];
    const call = first?.type === "ExpressionStatement" ? (first.expression as AnyNode) : undefined;
    const callee = call?.type === "CallExpression" ? (call.callee as AnyNode) : undefined;
    if (callee?.type !== "MemberExpression" || (callee.object as AnyNode).type !== "Identifier" || ((callee.object as AnyNode).name as string) !== api) continue;
    if (((callee.property as AnyNode).name as string) !== "early") continue;
    const target = (call!.arguments as AnyNode[])[0];
    if (target?.type === "Identifier") return target.name as string;
  }
  return undefined;
}
