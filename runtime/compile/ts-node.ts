import type MagicString from "magic-string";
import type { CompileError } from "./errors.js";

/** A node of oxc's TypeScript-ESTree tree, TypeScript's nodes included. */
export type TsNode = { type: string; start: number; end: number } & Record<string, any>;

/** The constant members of the enums seen so far, by enum name (merged declarations share one entry); undefined: computed at run time. */
export type EnumValues = Map<string, Map<string, number | string | undefined>>;

/** The namespace whose body is being stripped: what its `export`s become. */
export interface NamespaceScope {
  /** The namespace object's parameter name inside its function. */
  name: string;
  /** Names this block of the namespace exports. */
  exports: Set<string>;
  exportDeclaration(stripper: Stripper, node: TsNode): TsNode;
}

/** What the parts of type stripping (enums, namespaces, elision) use of the stripper (strip-types.ts). */
export interface Stripper {
  readonly source: string;
  readonly enums: EnumValues;
  namespace: NamespaceScope | null;
  /** Names exported by each namespace so far (merged declarations see each other's). */
  readonly namespaceExports: Map<string, Set<string>>;
  /** Names a class, function, `let` or `const` of the statement list being stripped binds. */
  readonly lexicalNames: Set<string>;
  edit(change: (out: MagicString) => void): void;
  error(message: string, at: number, hint: string): CompileError;
  visit(node: TsNode, parent: TsNode | null): TsNode | null;
  visitList(node: TsNode, key: string): void;
  removeStatement(node: TsNode): null;
}
