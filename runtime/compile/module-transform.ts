import { parseSync } from "oxc-parser";
import type MagicString from "magic-string";
import { editsDone, editsOf } from "./edits.js";
import { analyze, type Scope } from "periscopic";
import { walk } from "estree-walker";
import isReference from "is-reference";
import type * as ESTree from "estree";
import { syntaxError } from "./errors.js";
import { topLevelFunctionNames } from "./top-level-functions.js";
import { mapOfEdits, type SourceMapInput } from "./source-map.js";
import { importTypeOf } from "./import-attributes.js";
import { isRemovedStatement, unshadowedReferences } from "./unshadowed-references.js";

/** An import found in a script, by specifier, with where it was written (stripped code). */
export interface ImportSite {
  specifier: string;
  offset: number;
  /** The `type` import attribute (`with { type: "json" }`), if any. */
  type?: string;
}

/**
 * What a module imports and exports, as ES's import and export entries, for link-time
 * resolution (runtime/reload/module-link.ts). `request` indexes `ModuleShape.imports`; offsets are
 * where the entry is written, in the stripped code.
 */
export interface ModuleEntries {
  /**
   * Named and default imports (namespace imports need no resolution). `valueUse`: where the
   * code first reads the binding (not counting `export { local }`); unset when it never does
   * (an import kept only to be re-exported, which may be a type: the linker elides it).
   */
  imports: { request: number; importName: string; offset: number; local: string; valueUse?: number }[];
  /** Export name -> the local binding it exports (`*default*` for `export default <expression>`). */
  local: Record<string, string>;
  /** Re-exports of another module's export; importName "*" re-exports its namespace. */
  indirect: { exportName: string; request: number; importName: string; offset: number }[];
  /** `export * from`, in order. */
  stars: { request: number; offset: number }[];
}

export interface ModuleShape {
  /** Function-wrapped code: `(function (__graft) { ... })`. */
  code: string;
  map: SourceMapInput;
  /** Specifiers in the order `__graft.require(i)` uses them. */
  imports: ImportSite[];
  /** Names this module exports, known statically (`export *` adds more at link time). */
  exportNames: string[];
  entries: ModuleEntries;
  /** Top-level classes graft keeps identity for, in definition order. */
  classNames: string[];
  /** Imported local names -> the expression that reads them (what code evaluated in the module's scope must use). */
  importedBindings: Record<string, string>;
  /** The top level awaits: the module function is async and returns its evaluation's promise. */
  topLevelAwait: boolean;
}

type Node = ESTree.Node & { start: number; end: number };
type AnyNode = Node & Record<string, unknown>;

const GRAFT = "__graft";
/** The module's `import.meta` and `import()`, bound once so that they outlive `__graft`. */
const META = "__graftMeta";
const DYNAMIC_IMPORT = "__graftImport";
/**
 * `import` not followed by what starts an import declaration's clause (a name, `{`, `*`, a
 * string): where `import.meta` or `import()` may be. Keywords cannot be written with escapes.
 */
const MAY_USE_IMPORT_EXPRESSION = /(?<![\w$])import(?![\w$])(?!\s*[\w${*"'])/;
/** The function that runs REPL code in a module's scope; its stack frames are graft's, not the script's. */
export const SCOPE_EVALUATOR = "__graftEvaluate";

/**
 * Rewrites an ES module (types already stripped) into a function whose scope can be
 * collected once nothing uses it. QuickJS keeps native modules forever, so graft never
 * evaluates one: imports become reads of stable namespace objects (live bindings),
 * exports become getters, and top-level classes bind to graft's canonical class so that
 * every version patches the same object (R4, R8).
 */
export function transformModule(file: string, code: string, parsed?: ESTree.Program): ModuleShape {
  const program = parsed ?? parseModule(file, code);
  const out = editsOf(code);
  const shape = rewriteModule(file, code, program, out).finish();
  return { ...shape, code: out.toString(), map: mapOfEdits(editsDone(out), file) };
}

/** What the compile step's class lowering tells the module rewrite (class-lowering.ts). */
export interface LoweredClassFacts {
  /** `const A = class Named {}` whose inner name class lowering removed: bound as anonymous class expressions. */
  unnamed: ReadonlySet<unknown>;
  /** Statements the module's prologue runs before its code (what the lowered classes use). */
  setup: readonly string[];
  /** By class node: what the call installing a top-level class passes after it (its instance fields, field-initialisers.ts). */
  fieldArguments?: ReadonlyMap<unknown, string>;
}

/** The second step of a module rewrite, run once the classes are lowered in the same edits. */
export interface ModuleRewrite {
  finish(lowered?: LoweredClassFacts): Omit<ModuleShape, "code" | "map">;
}

/**
 * The module rewrite as edits in `out` (over `code`, which `program` parses), in two steps
 * around class lowering, which edits the same classes: this first step removes the import
 * and export statements and rewrites every reference to an imported binding, `import.meta`
 * and `import()`, so that code the class lowering copies (field initialisers, legacy
 * decorators) is copied rewritten; `finish` binds the top-level classes to canonical
 * classes (its insertions go around the class lowering's) and wraps the module.
 */
export function rewriteModule(file: string, code: string, program: ESTree.Program, out: MagicString): ModuleRewrite {
  /** Class rewrites, made by `finish`. */
  const classRewrites: ((lowered: LoweredClassFacts) => void)[] = [];
  /** Statements run before the module's own code (its function declarations are hoisted above them). */
  const setup: string[] = [];
  const imports: ImportSite[] = [];
  const importIndex = new Map<string, number>();
  const requestOf = (specifier: string, offset: number, declaration?: ESTree.Node): number => {
    const type = declaration && importTypeOf(file, code, declaration);
    // A module request is its specifier and its attributes (ES's ModuleRequest Record).
    const key = type === undefined ? specifier : `${specifier}\0${type}`;
    let index = importIndex.get(key);
    if (index === undefined) {
      index = imports.length;
      importIndex.set(key, index);
      imports.push(type === undefined ? { specifier, offset } : { specifier, offset, type });
    }
    return index;
  };
  /** The module namespace object of a request (`import * as`, `export * as`), made once in the prologue. */
  const namespaceOf = (request: number): string => {
    namespaceRequests.add(request);
    return `__namespace${request}`;
  };
  const namespaceRequests = new Set<number>();
  const entries: ModuleEntries = { imports: [], local: Object.create(null) as Record<string, string>, indirect: [], stars: [] };
  /** Imported local names -> the import entry, for `import { a } from "./x"; export { a }` (a re-export in ES). */
  const importEntries = new Map<string, { request: number; importName: string }>();

  /** local name -> expression that reads the imported binding */
  const importedBindings = new Map<string, string>();
  const namespaceLocals: string[] = [];
  const exportGetters: string[] = [];
  const exportNames: string[] = [];
  const classNames: string[] = [];
  const addExport = (exported: string, expression: string): void => {
    exportNames.push(exported);
    exportGetters.push(`${JSON.stringify(exported)}: () => ${expression}`);
  };

  for (const statement of program.body as AnyNode[]) {
    switch (statement.type) {
      case "ImportDeclaration": {
        const declaration = statement as unknown as ESTree.ImportDeclaration & Node;
        const source = declaration.source.value as string;
        const request = requestOf(source, declaration.start, declaration);
        const ns = `__import${request}`;
        for (const specifier of declaration.specifiers) {
          const { start } = specifier as typeof specifier & Node;
          if (specifier.type === "ImportNamespaceSpecifier") {
            namespaceLocals.push(`const ${specifier.local.name} = ${namespaceOf(request)};`);
            importEntries.set(specifier.local.name, { request, importName: "*" });
          } else {
            const imported = specifier.type === "ImportDefaultSpecifier" ? "default" : nameOf(specifier.imported);
            importedBindings.set(specifier.local.name, memberAccess(ns, imported));
            entries.imports.push({ request, importName: imported, offset: start, local: specifier.local.name });
            importEntries.set(specifier.local.name, { request, importName: imported });
          }
        }
        out.remove(declaration.start, declaration.end);
        break;
      }
      case "ExportNamedDeclaration": {
        const declaration = statement as unknown as ESTree.ExportNamedDeclaration & Node;
        if (declaration.declaration) {
          const inner = declaration.declaration as AnyNode;
          out.remove(declaration.start, inner.start);
          for (const name of declaredNames(inner)) {
            addExport(name, name);
            entries.local[name] = name;
          }
          classRewrites.push((lowered) => rewriteTopLevelClass(inner, lowered));
        } else if (declaration.source) {
          const request = requestOf(declaration.source.value as string, declaration.start, declaration);
          const ns = `__import${request}`;
          for (const specifier of declaration.specifiers) {
            const importName = nameOf(specifier.local);
            addExport(nameOf(specifier.exported), memberAccess(ns, importName));
            entries.indirect.push({ exportName: nameOf(specifier.exported), request, importName, offset: (specifier as typeof specifier & Node).start });
          }
          out.remove(declaration.start, declaration.end);
        } else {
          for (const specifier of declaration.specifiers) {
            const local = nameOf(specifier.local);
            const exportName = nameOf(specifier.exported);
            addExport(exportName, importedBindings.get(local) ?? local);
            const imported = importEntries.get(local);
            if (imported) entries.indirect.push({ exportName, ...imported, offset: (specifier as typeof specifier & Node).start });
            else entries.local[exportName] = local;
          }
          out.remove(declaration.start, declaration.end);
        }
        break;
      }
      case "ExportAllDeclaration": {
        const declaration = statement as unknown as ESTree.ExportAllDeclaration & Node;
        const request = requestOf(declaration.source.value as string, declaration.start, declaration);
        if (declaration.exported) {
          const exportName = nameOf(declaration.exported);
          addExport(exportName, namespaceOf(request));
          entries.indirect.push({ exportName, request, importName: "*", offset: declaration.start });
        } else {
          entries.stars.push({ request, offset: declaration.start });
        }
        out.remove(declaration.start, declaration.end);
        break;
      }
      case "ExportDefaultDeclaration": {
        const declaration = statement as unknown as ESTree.ExportDefaultDeclaration & Node;
        const inner = declaration.declaration as AnyNode;
        const innerId = inner.id as ESTree.Identifier | null | undefined;
        entries.local["default"] = (inner.type === "FunctionDeclaration" || inner.type === "ClassDeclaration") && innerId ? innerId.name : "*default*";
        if ((inner.type === "FunctionDeclaration" || inner.type === "ClassDeclaration") && inner.id) {
          out.remove(declaration.start, inner.start);
          addExport("default", (inner.id as ESTree.Identifier).name);
          classRewrites.push((lowered) => rewriteTopLevelClass(inner, lowered));
        } else if (inner.type === "ClassDeclaration" || inner.type === "ClassExpression") {
          out.remove(declaration.start, inner.start);
          addExport("default", "__default");
          classRewrites.push((lowered) => rewriteClass(inner, "default", "__default", lowered));
        } else if (inner.type === "FunctionDeclaration") {
          out.remove(declaration.start, inner.start);
          // `function (` -> `function __default(`: name the anonymous function.
          const keywordEnd = code.indexOf("(", inner.start);
          out.appendLeft(keywordEnd, " __default");
          addExport("default", "__default");
          // ES names it "default", which cannot be a binding's name.
          setup.push(`${GRAFT}.nameDefault(__default);`);
        } else if (isAnonymousFunctionDefinition(inner)) {
          // A property definition names an anonymous function or class after its key, as
          // `export default` does (and leaves a class with a static `name` member alone).
          out.overwrite(declaration.start, inner.start, "const __default = { default: ");
          out.appendLeft(inner.end, " }.default");
          addExport("default", "__default");
        } else {
          out.overwrite(declaration.start, inner.start, "const __default = ");
          addExport("default", "__default");
        }
        break;
      }
      default:
        classRewrites.push((lowered) => rewriteTopLevelClass(statement, lowered));
    }
  }

  function rewriteTopLevelClass(node: AnyNode, lowered: LoweredClassFacts): void {
    if (node.type === "ClassDeclaration" && node.id) {
      const name = (node.id as ESTree.Identifier).name;
      rewriteClass(node, name, name, lowered);
    } else if (node.type === "VariableDeclaration") {
      const declarators = node.declarations as (ESTree.VariableDeclarator & Node)[];
      if (declarators.length !== 1) return;
      const declarator = declarators[0]!;
      const init = declarator.init as AnyNode | null;
      if (declarator.id.type !== "Identifier" || !init || init.type !== "ClassExpression" || (init.id && !lowered.unnamed.has(init))) return;
      const name = declarator.id.name;
      classNames.push(name);
      out.appendLeft(init.start, `${GRAFT}.define(${JSON.stringify(name)}, `);
      out.appendRight(init.end, `${lowered.fieldArguments?.get(init) ?? ""})`);
    }
  }

  /**
   * `class X extends B {}` -> `let X = __graft.cls("X"); __graft.install(X, class extends B {});`
   * The class body no longer binds X itself, so every `X` inside it reaches the canonical class.
   */
  function rewriteClass(node: AnyNode, name: string, binding: string, lowered: LoweredClassFacts): void {
    classNames.push(name);
    const head = `let ${binding} = ${GRAFT}.cls(${JSON.stringify(name)}); ${GRAFT}.install(${binding}, `;
    const id = node.id as Node | null;
    // Decorators are lowered by class lowering (decorators.ts), which removes them.
    const written = (node.decorators as Node[] | undefined) ?? [];
    const keyword = written.length > 0 ? code.indexOf("class", written[written.length - 1]!.end) : node.start;
    out.appendLeft(keyword, head);
    out.overwrite(keyword, id ? id.end : keyword + "class".length, "class");
    // Links the class before its static initialisers run, so they can construct it: first in
    // the body, before what class lowering put there.
    const body = node.body as Node;
    if (mayRunCodeWhileDefined(node)) out.prependLeft(body.start + 1, ` static { ${GRAFT}.early(${binding}, this); }`);
    // Before what follows the class (legacy decorators are applied after it).
    out.prependLeft(node.end, `${lowered.fieldArguments?.get(node) ?? ""});`);
  }

  const firstReads = rewriteImportedReferences(program, out, importedBindings);
  for (const entry of entries.imports) {
    const read = firstReads.get(entry.local);
    if (read !== undefined) entry.valueUse = read;
  }
  // Text checks first: most files neither await at top level nor use import.meta or import(),
  // and then the tree is not walked for them.
  const usesImportCall = MAY_USE_IMPORT_EXPRESSION.test(code) && rewriteImportMeta(program, out);

  return { finish };

  function finish(lowered: LoweredClassFacts = { unnamed: new Set(), setup: [] }): Omit<ModuleShape, "code" | "map"> {
    for (const rewrite of classRewrites) rewrite(lowered);
    const topLevelAwait = code.includes("await") && hasTopLevelAwait(program);

    // A direct eval in the module's own scope: runtime.evaluate(file, code) (a REPL) sees every
    // top-level binding. The kernel keeps it for the current version only, so a superseded
    // version's scope is still collected (R11). A direct eval keeps every binding of the scope
    // alive, so once the top level has run, `__graft` (the loader's per-version API, needed
    // only while the module is defined) is dropped; what code may use later (import.meta,
    // import()) has bindings of its own. A module that awaits at top level becomes an async
    // function: the reload engine waits for it.
    //
    // The module is a generator in two steps, as ES links modules before evaluating any:
    // the first step (up to the `yield`) makes its exports readable (hoisted functions
    // callable, `let` and classes in their temporal dead zone) for every module of the
    // batch; the second runs the module's code.
    const prologue: string[] = [
      `(${topLevelAwait ? "async " : ""}function* (${GRAFT}) {"use strict"; ${GRAFT}.scope(function ${SCOPE_EVALUATOR}(__graftCode) { return eval(__graftCode); });`,
      // import() gives a promise of the script's own realm (the kernel's answer is adopted); the
      // wrapper is made only for a module that calls import() (REPL code of another gets the kernel's promise).
      usesImportCall
        ? `const ${META} = ${GRAFT}.meta, ${DYNAMIC_IMPORT} = ((load) => async (specifier, options) => load(specifier, options))(${GRAFT}.dynamicImport);`
        : `const ${META} = ${GRAFT}.meta, ${DYNAMIC_IMPORT} = ${GRAFT}.dynamicImport;`,
    ];
    imports.forEach((_, index) => prologue.push(`const __import${index} = ${GRAFT}.require(${index});`));
    // Exports first: a module that imports its own namespace sees every name in it.
    prologue.push(`${GRAFT}.exports({${exportGetters.join(", ")}});`);
    for (const request of namespaceRequests) prologue.push(`const __namespace${request} = ${GRAFT}.namespace(${request});`);
    prologue.push(...namespaceLocals);
    prologue.push(...lowered.setup, ...setup);
    prologue.push(`yield;`);
    out.prepend(prologue.join(" "));
    // The version's top-level functions, for the kernel to watch weakly once it is replaced (leaks()).
    const functions = topLevelFunctionNames(program);
    const handOver = functions.length > 0 ? `${GRAFT}.functions({${functions.map((name) => `${name}: ${name}`).join(", ")}}); ` : "";
    out.append(`\n;${handOver}${GRAFT} = undefined;\n})`);
    return {
      imports,
      exportNames,
      entries,
      classNames,
      importedBindings: Object.fromEntries(importedBindings),
      topLevelAwait,
    };
  }
}

/**
 * Whether defining a top-level class may run code before the class is installed, code that
 * could see the canonical class not yet linked to the new version (R8): a static block, a
 * static field whose initialiser is more than literal data, a private name or `accessor`
 * (class lowering adds static blocks for them), a decorator, or what graft does not know.
 * Only such a class gets the early link (a static block: one more function for QuickJS to
 * compile on every reload); for the others, install links it before anything can look.
 * Computed keys run before any static block, so the early link never preceded them.
 */
function mayRunCodeWhileDefined(node: AnyNode): boolean {
  if ((node.decorators as Node[] | undefined)?.length) return true;
  for (const element of (node.body as unknown as { body: AnyNode[] }).body) {
    if ((element.decorators as Node[] | undefined)?.length || (element.key as AnyNode | undefined)?.type === "PrivateIdentifier") return true;
    if (element.type === "MethodDefinition") continue;
    if (element.type !== "PropertyDefinition") return true;
    if (element.static === true && element.value && !isLiteralData(element.value as AnyNode)) return true;
  }
  return false;
}

/** A literal, or an array or object literal of literals: evaluating it runs no code and reads no binding. */
function isLiteralData(node: AnyNode): boolean {
  switch (node.type) {
    case "Literal":
      return true;
    case "TemplateLiteral":
      return (node.expressions as unknown[]).length === 0;
    case "UnaryExpression":
      return (node.operator === "-" || node.operator === "+") && (node.argument as AnyNode).type === "Literal" && typeof (node.argument as ESTree.Literal).value === "number";
    case "ArrayExpression":
      return (node.elements as (AnyNode | null)[]).every((element) => element === null || isLiteralData(element));
    case "ObjectExpression":
      return (node.properties as AnyNode[]).every((property) => property.type === "Property" && property.kind === "init" && property.computed !== true && property.method !== true && property.shorthand !== true && isLiteralData(property.value as AnyNode));
    default:
      return false;
  }
}

/**
 * `code` parsed as an ES module, with its early errors: duplicate lexical names, `var f;
 * function f() {}`, `import { eval }`, exporting an undeclared name are SyntaxErrors before it runs.
 */
export function parseModule(file: string, code: string, lang: "js" | "ts" = "js", showSemanticErrors = true): ESTree.Program {
  const parsed = parseSync(file.replace(/\.ts$/, ".js"), code, { sourceType: "module", lang, showSemanticErrors });
  if (parsed.errors.length > 0) throw syntaxError(file, code, parsed.errors[0]!);
  return parsed.program as unknown as ESTree.Program;
}

/**
 * Code typed at a REPL for one module (types already stripped), made ready for the
 * module's own eval: references to the module's imports become reads of the exporters'
 * namespaces, as they are in the module's code.
 */
export function transformSnippet(program: ESTree.Program, out: MagicString, importedBindings: Record<string, string>): string {
  rewriteImportedReferences(program, out, new Map(Object.entries(importedBindings)), false);
  rewriteImportMeta(program, out);
  return out.toString();
}

function memberAccess(object: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${object}.${key}` : `${object}[${JSON.stringify(key)}]`;
}

/** IsAnonymousFunctionDefinition: a function, arrow or class expression without a name, parentheses aside. */
function isAnonymousFunctionDefinition(node: AnyNode): boolean {
  let inner = node;
  // oxc keeps parentheses as nodes of their own (not in ESTree's types).
  while ((inner.type as string) === "ParenthesizedExpression") inner = inner.expression as AnyNode;
  if (inner.type === "ArrowFunctionExpression") return true;
  return (inner.type === "FunctionExpression" || inner.type === "ClassExpression") && !inner.id;
}

function nameOf(node: ESTree.Identifier | ESTree.Literal): string {
  return node.type === "Identifier" ? node.name : String(node.value);
}

function declaredNames(node: AnyNode): string[] {
  if (node.type === "VariableDeclaration") {
    const names: string[] = [];
    for (const declarator of node.declarations as ESTree.VariableDeclarator[]) collectPatternNames(declarator.id, names);
    return names;
  }
  const id = node.id as ESTree.Identifier | null | undefined;
  return id ? [id.name] : [];
}

function collectPatternNames(pattern: ESTree.Pattern, names: string[]): void {
  switch (pattern.type) {
    case "Identifier":
      names.push(pattern.name);
      break;
    case "ObjectPattern":
      for (const property of pattern.properties) {
        collectPatternNames(property.type === "RestElement" ? property.argument : property.value, names);
      }
      break;
    case "ArrayPattern":
      for (const element of pattern.elements) if (element) collectPatternNames(element, names);
      break;
    case "RestElement":
      collectPatternNames(pattern.argument, names);
      break;
    case "AssignmentPattern":
      collectPatternNames(pattern.left, names);
      break;
    default:
      break;
  }
}

/**
 * Replaces each reference to an imported binding with a read of the exporter's namespace.
 * In a module the imports are declared at its top level; in a REPL snippet they are
 * declared nowhere in it (`declaredHere` false): a name the snippet declares itself shadows them.
 * Returns where each imported binding is first read.
 */
function rewriteImportedReferences(program: ESTree.Program, out: MagicString, bindings: Map<string, string>, declaredHere = true): Map<string, number> {
  const firstReads = new Map<string, number>();
  if (bindings.size === 0) return firstReads;
  const rewrite = (node: ESTree.Identifier, parent: ESTree.Node, replacement: string): void => {
    const { start, end } = node as unknown as Node;
    if (!firstReads.has(node.name)) firstReads.set(node.name, start);
    if (parent.type === "Property" && parent.shorthand && parent.value === node) {
      out.overwrite(start, end, `${node.name}: ${replacement}`, { contentOnly: true });
    } else if (parent.type === "CallExpression" && parent.callee === node) {
      out.overwrite(start, end, `(0, ${replacement})`, { contentOnly: true });
    } else if (parent.type === "TaggedTemplateExpression" && parent.tag === node) {
      out.overwrite(start, end, `(0, ${replacement})`, { contentOnly: true });
    } else {
      out.overwrite(start, end, replacement, { contentOnly: true });
    }
  };
  // Most modules never declare an imported name again: then every reference reads the import.
  const unshadowed = declaredHere ? unshadowedReferences(program, bindings) : undefined;
  if (unshadowed) {
    for (const { node, parent } of unshadowed) rewrite(node, parent, bindings.get(node.name)!);
    return firstReads;
  }
  // periscopic leaves the scope it opens for `export { a } from "./x"` open, so every
  // declaration after one would land in it: analyse without those (they are removed anyway).
  program = { ...program, body: program.body.filter((node) => !(node.type === "ExportNamedDeclaration" && node.source)) };
  const { map, scope: moduleScope } = analyze(program);
  const importScope = declaredHere ? moduleScope : null;
  let scope: Scope = moduleScope;
  walk(program, {
    enter(node, parent) {
      if (isRemovedStatement(node)) {
        this.skip();
        return;
      }
      const nodeScope = map.get(node);
      if (nodeScope) scope = nodeScope;
      if (node.type !== "Identifier" || !parent) return;
      const replacement = bindings.get(node.name);
      if (replacement === undefined) return;
      if (!isReference(node, parent)) return;
      if ((scope.find_owner(node.name) ?? null) !== importScope) return;
      rewrite(node, parent, replacement);
    },
    leave(node) {
      if (map.has(node) && scope.parent) scope = scope.parent;
    },
  });
  return firstReads;
}

/** Whether the module's own top level awaits (`await`, `for await`), outside any function. */
function hasTopLevelAwait(program: ESTree.Program): boolean {
  let found = false;
  walk(program, {
    enter(node) {
      // A function's awaits are its own: its body is not walked.
      if (found || node.type === "FunctionDeclaration" || node.type === "FunctionExpression" || node.type === "ArrowFunctionExpression") return this.skip();
      if (node.type === "AwaitExpression" || (node.type === "ForOfStatement" && node.await)) found = true;
    },
  });
  return found;
}

/** `import.meta` -> the per-version meta object graft hands each module; `import()` -> graft's loader. Returns whether import() is called. */
function rewriteImportMeta(program: ESTree.Program, out: MagicString): boolean {
  let importCall = false;
  walk(program, {
    enter(node) {
      if (node.type === "MetaProperty" && node.meta.name === "import") {
        const { start, end } = node as unknown as Node;
        out.overwrite(start, end, META);
      } else if (node.type === "ImportExpression") {
        const { start } = node as unknown as Node;
        out.overwrite(start, start + "import".length, DYNAMIC_IMPORT);
        importCall = true;
      }
    },
  });
  return importCall;
}
