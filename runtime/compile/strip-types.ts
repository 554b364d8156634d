import type MagicString from "magic-string";
import type * as ESTree from "estree";
import { CompileError, positionAt } from "./errors.js";
import { parseModule } from "./module-transform.js";
import { parseWithParameterDecorators } from "./legacy-decorators.js";
import type { DecoratorMode } from "./class-lowering.js";
import { lowerEnum } from "./ts-enums.js";
import { isInstantiated, lowerNamespace, patternNames } from "./ts-namespaces.js";
import type { EnumValues, NamespaceScope, Stripper, TsNode } from "./ts-node.js";
import { elideTypeOnlyNames, topLevelNames } from "./type-elision.js";
import { nextCharacter } from "./ts-text.js";

/**
 * A script parsed once, as the later passes read it: `code` is the source with TypeScript's
 * type-only syntax blanked out with spaces (same length and lines, so every offset of the
 * tree is an offset of `code` and of the source), and `program` is the tree of that one
 * parse with TypeScript's nodes taken out, or turned into the JavaScript nodes that `edit`
 * writes for them (enums, namespaces, parameter properties, `import x =`).
 */
export interface ParsedScript {
  code: string;
  program: ESTree.Program;
  /** Writes the JavaScript of what is not just blanked, in the edits of the later passes. */
  edit(out: MagicString): void;
  /** The source between two offsets with its types taken out (not blanked): what `String(C)` shows of a class. */
  textOf(start: number, end: number): string;
  /** The tree's calls, when stripping visited every node (call-sites.ts needs them); undefined for JavaScript. */
  calls?: TsNode[];
}

export function isTypeScript(file: string): boolean {
  return file.endsWith(".ts");
}

/**
 * Parses a script: a `.js`/`.mjs` file as JavaScript (with its early errors), a `.ts` file
 * once as TypeScript, its types then stripped on that tree (what oxc-transform did with
 * `onlyRemoveTypeImports: false`, without a parse of its own). Throws CompileError.
 */
export function parseScript(file: string, source: string, decorators: DecoratorMode = "standard"): ParsedScript {
  if (!isTypeScript(file)) {
    const program = decorators === "legacy" ? parseWithParameterDecorators(file, source) : parseModule(file, source);
    return { code: source, program, edit() {}, textOf: (start, end) => source.slice(start, end) };
  }
  return new TypeStripper(file, source, decorators).strip(parseModule(file, source, "ts") as unknown as TsNode);
}

/** REPL code, TypeScript if its script is: parsed once, its types stripped (no module early errors: it is eval code). */
export function parseSnippet(file: string, code: string): ParsedScript {
  const program = parseModule(file, code, isTypeScript(file) ? "ts" : "js", false);
  if (!isTypeScript(file)) return { code, program, edit() {}, textOf: (start, end) => code.slice(start, end) };
  return new TypeStripper(file, code, "legacy", false).strip(program as unknown as TsNode);
}

/** Keys that hold only types, on JavaScript nodes. */
const TYPE_KEYS = new Set(["typeAnnotation", "returnType", "typeParameters", "typeArguments", "superTypeArguments"]);
/** Class member modifiers that are TypeScript's only. */
const TS_MODIFIERS = /(?<![\w$])(?:public|private|protected|readonly|override|abstract|declare)(?![\w$])/g;
const WORD = /[\p{ID_Continue}$\u200c\u200d]/u;
/** Statement lists: a statement removed from one leaves `;` so that the next cannot join the one before. */
const LIST_PARENTS = new Set(["Program", "BlockStatement", "StaticBlock", "SwitchCase", "TSModuleBlock", "ClassBody"]);

class TypeStripper implements Stripper {
  private readonly blanks: [number, number][] = [];
  /** Blank ranges by end: a statement whose end was blanked may need a `;` there. */
  private readonly blankStartByEnd = new Map<number, number>();
  /** Characters written into the blanks (`;`, a moved `)`). */
  private readonly written = new Map<number, string>();
  private readonly edits: ((out: MagicString) => void)[] = [];
  /** The calls visited (what call-sites.ts would otherwise walk the whole tree for). */
  private readonly calls: TsNode[] = [];
  readonly enums: EnumValues = new Map();
  /** The namespace whose body is being stripped, if any. */
  namespace: NamespaceScope | null = null;
  /** Names exported by each namespace so far (merged declarations see each other's). */
  readonly namespaceExports = new Map<string, Set<string>>();
  /** Names a class, function, `let` or `const` of the statement list being stripped binds (a namespace merged with one declares no `var`). */
  lexicalNames = new Set<string>();
  /** `import X = A.B` declarations, made `var` unless elided. */
  private readonly importEqualsDeclarations: TsNode[] = [];

  constructor(
    readonly file: string,
    readonly source: string,
    private readonly decorators: DecoratorMode,
    private readonly isModule = true,
  ) {}

  strip(program: TsNode): ParsedScript {
    const names = this.isModule ? topLevelNames(program.body as TsNode[]) : null;
    this.visitList(program, "body");
    if (names) elideTypeOnlyNames(this, program, names);
    for (const node of this.importEqualsDeclarations) {
      if (!node.elided) this.edit((out) => out.overwrite(node.start, node.start + "import".length, "var", { contentOnly: true }));
    }
    return {
      code: this.blankedCode(),
      program: program as unknown as ESTree.Program,
      edit: (out) => {
        this.edits.forEach((edit) => edit(out));
        this.removeBlanks(out);
      },
      textOf: (start, end) => this.textOf(start, end),
      calls: this.calls,
    };
  }

  edit(change: (out: MagicString) => void): void {
    this.edits.push(change);
  }

  error(message: string, at: number, hint: string): CompileError {
    return new CompileError(message, this.file, positionAt(this.source, at, this.file), hint);
  }

  blank(start: number, end: number): void {
    if (end <= start) return;
    this.blanks.push([start, end]);
    this.blankStartByEnd.set(end, start);
  }

  write(at: number, character: string): void {
    this.written.set(at, character);
  }

  /** Blanks a whole statement or class member, leaving `;` so that what follows starts anew. */
  removeStatement(node: TsNode): null {
    this.blank(node.start, node.end);
    this.write(node.start, ";");
    return null;
  }

  /** Visits the statements or members of `node[key]`, removing and replacing them. */
  visitList(node: TsNode, key: string): void {
    const list = node[key] as TsNode[];
    const kept: TsNode[] = [];
    const isList = LIST_PARENTS.has(node.type);
    const outerNames = this.lexicalNames;
    if (list.some((child) => child.type === "TSModuleDeclaration" || child.declaration?.type === "TSModuleDeclaration")) this.lexicalNames = lexicalNamesOf(list);
    for (const child of list) {
      const result = this.visit(child, node);
      if (result === null) continue;
      kept.push(result);
      // `a as T` then a line starting with `(`: the blanked end of a statement ends it.
      if (isList && this.source.charCodeAt(child.end - 1) !== 59 /* ; */) {
        const blankStart = this.blankStartByEnd.get(child.end);
        if (blankStart !== undefined && !this.written.has(blankStart)) this.write(blankStart, ";");
      }
    }
    // Parameter properties are the class's fields too, declared first (TypeScript's emit with `useDefineForClassFields`).
    if (node.parameterFields) kept.unshift(...(node.parameterFields as TsNode[]));
    node[key] = kept;
    this.lexicalNames = outerNames;
  }

  /** Strips `node` and what it holds: returns the node to keep (itself or what replaces it), or null to remove it. */
  visit(node: TsNode, parent: TsNode | null): TsNode | null {
    switch (node.type) {
      // The most numerous nodes, mostly with nothing to strip.
      case "Identifier":
        if (!node.typeAnnotation && !node.optional && !node.decorators?.length) return node;
        break;
      case "Literal":
      case "ThisExpression":
      case "Super":
      case "TemplateElement":
      case "PrivateIdentifier":
        return node;
    }
    if (node.declare === true) return this.removeStatement(node);
    switch (node.type) {
      case "TSInterfaceDeclaration":
      case "TSTypeAliasDeclaration":
      case "TSDeclareFunction":
      case "TSNamespaceExportDeclaration":
      case "TSIndexSignature":
      case "TSAbstractMethodDefinition":
      case "TSAbstractPropertyDefinition":
      case "TSAbstractAccessorProperty":
        return this.removeStatement(node);
      case "TSEnumDeclaration":
        return lowerEnum(this, node);
      case "TSModuleDeclaration":
        if (node.global || node.id.type === "Literal" || !isInstantiated(node)) return this.removeStatement(node);
        return lowerNamespace(this, node, parent);
      case "TSImportEqualsDeclaration":
        return this.importEquals(node);
      case "TSExportAssignment":
        throw this.error("`export =` is CommonJS, which graft's ES modules do not run", node.start, "write `export default` instead");
      case "ImportDeclaration":
        return this.importDeclaration(node);
      case "ExportNamedDeclaration":
        return this.exportNamed(node);
      case "ExportAllDeclaration":
        return node.exportKind === "type" ? this.removeStatement(node) : node;
      case "ExportDefaultDeclaration": {
        const inner = this.visit(node.declaration, node);
        if (inner === null) return this.removeStatement(node);
        node.declaration = inner;
        return node;
      }
      case "ClassDeclaration":
      case "ClassExpression":
        return this.visitClass(node);
      case "MethodDefinition":
      case "PropertyDefinition":
      case "AccessorProperty":
        return this.visitMember(node, parent);
      case "TSAsExpression":
      case "TSSatisfiesExpression":
        this.blank(node.expression.end, node.end);
        return this.visit(node.expression, parent);
      case "TSTypeAssertion":
        return this.typeAssertion(node, parent);
      case "TSNonNullExpression":
        this.blank(node.end - 1, node.end);
        return this.visit(node.expression, parent);
      case "TSInstantiationExpression":
        this.blank(node.typeArguments.start, node.typeArguments.end);
        return this.visit(node.expression, parent);
      case "TSParameterProperty":
        throw this.error("a parameter property belongs in a constructor", node.start, "declare the field in the class and assign it in the constructor");
      case "FunctionDeclaration":
      case "FunctionExpression":
      case "ArrowFunctionExpression":
        return this.visitFunction(node, null);
      case "TSEmptyBodyFunctionExpression":
        return null;
      case "CallExpression":
      case "NewExpression":
        this.calls.push(node);
        break;
      case "VariableDeclarator":
        // `let x!: number`: the `!` follows the name, once the type is blanked.
        if (node.definite && node.id.typeAnnotation) {
          const bang = this.source.lastIndexOf("!", node.id.typeAnnotation.start);
          this.blank(bang, bang + 1);
        }
        this.visitChildren(node);
        return node;
      case "Identifier":
      case "ObjectPattern":
      case "ArrayPattern":
      case "AssignmentPattern":
      case "RestElement":
        this.binding(node);
        break;
      default:
        if (node.type.startsWith("TS")) {
          throw this.error(`graft cannot strip the TypeScript syntax ${node.type} here`, node.start, "rewrite it without TypeScript-only syntax");
        }
    }
    this.visitChildren(node);
    return node;
  }

  /** Blanks the type-only keys of a JavaScript node and visits its other children. */
  visitChildren(node: TsNode, done?: string): void {
    for (const key in node) {
      const value = node[key];
      if (value === null || typeof value !== "object" || key === done) continue;
      if (TYPE_KEYS.has(key)) {
        if (typeof value.type === "string") this.blank(value.start, value.end);
        node[key] = null;
      } else if (Array.isArray(value)) {
        if (key === "body" || key === "consequent") this.visitList(node, key);
        else for (let i = 0; i < value.length; i++) if (value[i] && typeof value[i].type === "string") value[i] = this.visit(value[i], node);
      } else if (typeof value.type === "string") {
        node[key] = this.visit(value, node);
      }
    }
  }

  /**
   * A binding or parameter with a type annotation or `?`: both blanked, and the node's range
   * (which in TypeScript's tree covers them) cut back to what JavaScript's covers.
   */
  private binding(node: TsNode): void {
    const annotation = node.typeAnnotation as TsNode | null;
    if (!annotation && !node.optional) return;
    let cut = annotation ? annotation.start : node.end;
    if (node.optional) cut = this.source.lastIndexOf("?", cut - 1);
    this.blank(cut, annotation ? annotation.end : node.end);
    node.typeAnnotation = null;
    node.optional = false;
    let end = cut;
    while (end > node.start && /\s/.test(this.source[end - 1]!)) end--;
    node.end = end;
  }

  private importDeclaration(node: TsNode): TsNode | null {
    if (node.importKind === "type") return this.removeStatement(node);
    const specifiers = node.specifiers as TsNode[];
    if (specifiers.length > 0) {
      node.specifiers = specifiers.filter((specifier) => specifier.importKind !== "type");
      node.typeOnlySpecifiers = specifiers.length - node.specifiers.length;
    }
    return node;
  }

  private exportNamed(node: TsNode): TsNode | null {
    if (node.exportKind === "type") return this.removeStatement(node);
    if (node.declaration) {
      const inner = this.visit(node.declaration, node);
      if (inner === null) return this.removeStatement(node);
      node.declaration = inner;
      if (this.namespace) return this.namespace.exportDeclaration(this, node);
      return node;
    }
    if (this.namespace) throw this.error("a namespace exports its declarations only", node.start, "write `export` before the declaration instead");
    const specifiers = node.specifiers as TsNode[];
    node.specifiers = specifiers.filter((specifier) => specifier.exportKind !== "type");
    if (specifiers.length > 0 && node.specifiers.length === 0) return this.removeStatement(node);
    return node;
  }

  /** `import X = A.B` becomes `var X = A.B` (when X is read as a value: type-elision.ts decides). */
  private importEquals(node: TsNode): TsNode | null {
    if (node.importKind === "type") return this.removeStatement(node);
    const reference = node.moduleReference as TsNode;
    if (reference.type === "TSExternalModuleReference") {
      throw this.error("`import x = require(...)` is CommonJS, which graft's ES modules do not run", node.start, 'write `import x from "..."` instead');
    }
    const init = qualifiedToMember(reference);
    const declarator = { type: "VariableDeclarator", id: node.id, init, definite: false, start: node.id.start, end: node.end };
    const declaration = { type: "VariableDeclaration", kind: "var", declarations: [declarator], declare: false, start: node.start, end: node.end, importEquals: true };
    this.importEqualsDeclarations.push(declaration);
    return declaration;
  }

  private typeAssertion(node: TsNode, parent: TsNode | null): TsNode | null {
    const expression = node.expression as TsNode;
    this.blank(node.start, expression.start);
    // `() => <T>{ a: 1 }`: the object must not become the arrow's body block.
    if (parent?.type === "ArrowFunctionExpression" && parent.body === node && expression.type === "ObjectExpression") {
      this.write(node.start, "(");
      this.edit((out) => out.appendLeft(expression.end, ")"));
    }
    return this.visit(expression, parent);
  }

  private visitClass(node: TsNode): TsNode {
    const head = (node.decorators as TsNode[] | undefined)?.at(-1)?.end ?? node.start;
    const keyword = this.source.indexOf("class", head);
    if (node.abstract) this.blankModifiers(head, keyword);
    const implemented = node.implements as TsNode[] | undefined;
    if (implemented && implemented.length > 0) {
      this.blank(this.source.lastIndexOf("implements", implemented[0]!.start), implemented.at(-1)!.end);
      node.implements = [];
    }
    this.visitChildren(node);
    return node;
  }

  private visitMember(node: TsNode, parent: TsNode | null): TsNode | null {
    if (node.type === "MethodDefinition" && node.value.type === "TSEmptyBodyFunctionExpression") return this.removeStatement(node);
    const key = node.key as TsNode;
    if (node.accessibility || node.readonly || node.override) {
      this.blankModifiers((node.decorators as TsNode[] | undefined)?.at(-1)?.end ?? node.start, key.start);
    }
    const afterKey = node.computed ? this.source.indexOf("]", key.end) + 1 : key.end;
    if (node.optional) this.blankNext(afterKey, "?");
    if (node.definite) this.blankNext(afterKey, "!");
    if (node.type === "MethodDefinition") {
      node.decorators = (node.decorators as TsNode[]).map((decorator) => this.visit(decorator, node));
      if (node.computed) node.key = this.visit(key, node);
      node.value = this.visitFunction(node.value, node.kind === "constructor" ? (parent as TsNode) : null);
      return node;
    }
    this.visitChildren(node);
    return node;
  }

  /** Blanks the next `character` at or after `from` (skipping comments and spaces). */
  private blankNext(from: number, character: string): void {
    const at = nextCharacter(this.source, from);
    if (this.source[at] === character) this.blank(at, at + 1);
  }

  /** Blanks TypeScript's modifier words (`private`, `readonly`, ...) in `source[start, end)`. */
  blankModifiers(start: number, end: number): void {
    const text = this.source.slice(start, end);
    for (const match of text.matchAll(TS_MODIFIERS)) this.blank(start + match.index, start + match.index + match[0].length);
  }

  /**
   * A function's type parameters, `this` parameter and return type are blanked; a
   * constructor's parameter properties (`constructor(private x: number)`) become plain
   * parameters assigned to `this` first thing after `super()` (or first).
   */
  private visitFunction(node: TsNode, constructorOf: TsNode | null): TsNode {
    const params = node.params as TsNode[];
    const first = params[0];
    if (first?.type === "Identifier" && first.name === "this") {
      if (params[1]) this.blank(first.start, params[1].start);
      else {
        this.blank(first.start, first.end);
        this.blankNext(first.end, ",");
      }
      params.shift();
    }
    const assigned: string[] = [];
    for (let i = 0; i < params.length; i++) {
      let param = params[i]!;
      if (param.type === "TSParameterProperty") {
        if (!constructorOf) throw this.error("a parameter property belongs in a constructor", param.start, "declare the field in the class and assign it in the constructor");
        const inner = param.parameter as TsNode;
        this.blankModifiers(param.decorators.at(-1)?.end ?? param.start, inner.start);
        inner.decorators = param.decorators;
        const target = inner.type === "AssignmentPattern" ? inner.left : inner;
        assigned.push(target.name);
        param = inner;
      }
      if (param.decorators?.length > 0 && this.decorators !== "legacy") {
        throw this.error("parameter decorators are TypeScript's legacy (experimentalDecorators) decorators", param.decorators[0].start, 'create the runtime with { decorators: "legacy" }, or remove the parameter decorator');
      }
      params[i] = this.visit(param, node)!;
    }
    if (node.type === "ArrowFunctionExpression" && node.returnType) this.arrowReturnType(node);
    this.visitChildren(node, "params");
    if (assigned.length > 0) {
      this.assignParameterProperties(node, assigned);
      this.declareParameterFields(constructorOf!, assigned);
    }
    return node;
  }

  /** `(a): T => a` with a line break in the blanked type: `)` moves to the type's end, so no line break comes before `=>`. */
  private arrowReturnType(node: TsNode): void {
    const type = node.returnType as TsNode;
    if (!/[\n\r\u2028\u2029]/.test(this.source.slice(node.start, type.end))) return;
    const close = this.source.lastIndexOf(")", type.start);
    this.blank(close, close + 1);
    this.write(type.end - 1, ")");
  }

  /** `q;` first in the class body for each parameter property, as a field the later passes see (the kernel is told of it). */
  private declareParameterFields(classBody: TsNode, names: string[]): void {
    const at = classBody.start + 1;
    this.edit((out) => out.appendLeft(at, ` ${names.map((name) => `${name};`).join(" ")}`));
    classBody.parameterFields = names.map((name) => ({
      type: "PropertyDefinition",
      key: { type: "Identifier", name, start: at, end: at },
      value: null,
      computed: false,
      static: false,
      decorators: [],
      start: at,
      end: at,
    }));
  }

  private assignParameterProperties(node: TsNode, names: string[]): void {
    const body = node.body as TsNode;
    const superCall = (body.body as TsNode[]).find((statement) => statement.type === "ExpressionStatement" && statement.expression.type === "CallExpression" && statement.expression.callee.type === "Super");
    const text = names.map((name) => ` this.${name} = ${name};`).join("");
    const at = superCall ? superCall.end : body.start + 1;
    this.edit((out) => out.appendLeft(at, superCall && this.source[superCall.end - 1] !== ";" ? `;${text}` : text));
  }

  /**
   * The source of `[start, end)` with the blanked ranges cut out; a modifier's following
   * space goes with it, and a line that only held removed syntax goes too.
   */
  private textOf(start: number, end: number): string {
    const source = this.source;
    const blanks = this.blanks;
    let text = "";
    let at = start;
    // The first blank that may reach into [start, end) (sorted by start; a blank holds no other but a statement's).
    let low = 0;
    for (let high = blanks.length; low < high; ) {
      const middle = (low + high) >> 1;
      if (blanks[middle]![0] < start) low = middle + 1;
      else high = middle;
    }
    for (let i = Math.max(0, low - 1); i < blanks.length; i++) {
      const [from, to] = blanks[i]!;
      if (from >= end) break;
      if (to <= at) continue;
      text += source.slice(at, Math.max(from, at));
      at = Math.min(to, end);
      const last = text.charCodeAt(text.length - 1);
      if (last === 40 /* ( */ || last === 32 || last === 9 || last === 10) while (at < end && (source[at] === " " || source[at] === "\t")) at++;
    }
    text += source.slice(at, end);
    // A member removed whole left a blank line (it was written `;`): its line goes.
    let removedMember = false;
    for (const position of this.written.keys()) if (position >= start && position < end) removedMember = true;
    if (!removedMember) return text;
    const written = source.slice(start, end).split("\n");
    return text
      .split("\n")
      .filter((line, i, lines) => line.trim() !== "" || lines.length !== written.length || written[i]!.trim() === "")
      .join("\n");
  }

  /**
   * The blanks go from what QuickJS is given (it keeps a function's source text: spaces
   * would cost VM memory and compile time); their newlines stay, so lines and ASI are the
   * blanked code's, and so do the characters written into them. A blank between two word
   * characters keeps one space. One inside code an edit rewrote stays blank.
   */
  private removeBlanks(out: MagicString): void {
    const source = this.source;
    // The pieces to remove: blanks without their newlines and written characters, joined
    // with the spaces between them (fewer, longer removals: each one splits the edits).
    const pieces: [number, number][] = [];
    const add = (from: number, to: number): void => {
      const last = pieces[pieces.length - 1];
      if (last && /^[ \t]*$/.test(source.slice(last[1], from))) last[1] = to;
      else pieces.push([from, to]);
    };
    let reached = 0;
    for (const [start, end] of this.blanks) {
      if (end <= reached) continue;
      let from = Math.max(start, reached);
      reached = end;
      for (let i = from; i <= end; i++) {
        const code = i < end ? source.charCodeAt(i) : -1;
        if (i < end && code !== 10 && code !== 13 && code !== 0x2028 && code !== 0x2029 && !this.written.has(i)) continue;
        if (i > from) add(from, i);
        from = i + 1;
      }
    }
    for (const [from, to] of pieces) {
      const cut = from > 0 && to < source.length && WORD.test(source[from - 1]!) && WORD.test(source[to]!) ? from + 1 : from;
      if (to <= cut) continue;
      try {
        out.remove(cut, to);
      } catch {
        // Inside a member or statement an edit rewrote as a whole: it stays blank.
      }
    }
  }

  private blankedCode(): string {
    this.blanks.sort((a, b) => a[0] - b[0]);
    if (this.blanks.length === 0) return this.source;
    const source = this.source;
    const pieces: string[] = [];
    let at = 0;
    for (const [start, end] of this.blanks) {
      if (end <= at) continue;
      const from = Math.max(start, at);
      pieces.push(source.slice(at, from));
      const text = source.slice(from, end);
      pieces.push(/[\n\r\u2028\u2029]/.test(text) ? text.replace(/[^\n\r\u2028\u2029]/g, " ") : " ".repeat(text.length));
      at = end;
    }
    pieces.push(source.slice(at));
    const code = pieces.join("");
    if (this.written.size === 0) return code;
    // What is written goes into blanks: few characters, in order.
    const positions = [...this.written.keys()].sort((a, b) => a - b);
    let patched = "";
    let from = 0;
    for (const position of positions) {
      patched += code.slice(from, position) + this.written.get(position)!;
      from = position + 1;
    }
    return patched + code.slice(from);
  }

}

/** The names classes, functions, `let` and `const` of a statement list bind. */
function lexicalNamesOf(list: TsNode[]): Set<string> {
  const names = new Set<string>();
  for (const statement of list) {
    const node = statement.type === "ExportNamedDeclaration" || statement.type === "ExportDefaultDeclaration" ? (statement.declaration as TsNode | null) : statement;
    if (!node || node.declare) continue;
    if ((node.type === "ClassDeclaration" || node.type === "FunctionDeclaration") && node.id) names.add(node.id.name);
    if (node.type === "VariableDeclaration" && node.kind !== "var") {
      const bound: string[] = [];
      for (const declarator of node.declarations as TsNode[]) patternNames(declarator.id, bound);
      for (const name of bound) names.add(name);
    }
  }
  return names;
}

/** `A.B.C` (TypeScript's qualified name) as the member expression it reads. */
export function qualifiedToMember(node: TsNode): TsNode {
  if (node.type !== "TSQualifiedName") return node;
  return { type: "MemberExpression", object: qualifiedToMember(node.left), property: node.right, computed: false, optional: false, start: node.start, end: node.end };
}
