import type * as ESTree from "estree";

/** What the compile step's class passes share (class-lowering.ts and the passes it runs). */
export type Node = ESTree.Node & { start: number; end: number };
export type AnyNode = Node & Record<string, unknown>;

export interface TopLevelClass {
  name: string;
  /** An expression for the class graft keeps, when the kernel is asked by it instead of by name. */
  binding?: string;
  node: AnyNode;
  /** The top-level statement holding the class: what a class needs is declared before it. */
  statement: Node;
}

/** A prefix that occurs nowhere in the code, so no name made with it can meet a user's. */
export function uniquePrefix(code: string, base: string): string {
  let prefix = base;
  while (code.includes(prefix)) prefix = `${prefix}_`;
  return prefix;
}
