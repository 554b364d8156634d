import type * as ESTree from "estree";
import type { Node } from "./class-nodes.js";

type Call = Node & { callee: Node & { property?: Node }; typeArguments?: Node | null };

/**
 * Where each call in a script opens its arguments, and where the call starts: QuickJS places
 * a call (in an error's stack, `console.trace`, a failed call's "not a function") at the `(`
 * of its arguments, where Node and browsers point at what is called (`log(x)` at `log`,
 * `console.trace(x)` at `trace`, `new Foo()` at `new`). Flat pairs of offsets in the code:
 * [open paren, where the call is placed, ...]. `calls`: the tree's calls when a walk that
 * visits every node found them (type stripping does); otherwise the tree is walked here.
 */
export function callOpenings(program: ESTree.Program, code: string, calls: readonly { type: string }[] = callsIn(program)): number[] {
  const pairs: number[] = [];
  for (const node of calls) {
    const call = node as unknown as Call;
    const paren = openParenAfter(code, (call.typeArguments ?? call.callee).end, call.end);
    const placed = node.type === "CallExpression" && call.callee.type === "MemberExpression" ? call.callee.property!.start : call.start;
    if (paren >= 0 && paren !== placed) pairs.push(paren, placed);
  }
  return pairs;
}

/** The `CallExpression` and `NewExpression` nodes of a tree, in source order. */
export function callsIn(program: ESTree.Program): Node[] {
  const calls: Node[] = [];
  collectCalls(program as unknown as Record<string, unknown>, calls);
  return calls;
}

// A plain recursive walk: this runs over every node of a file, and estree-walker's
// per-node context and replacement checks cost twice as much.
function collectCalls(node: Record<string, unknown>, calls: Node[]): void {
  if (node.type === "CallExpression" || node.type === "NewExpression") calls.push(node as unknown as Node);
  for (const key in node) {
    const value = node[key] as Record<string, unknown> | Record<string, unknown>[] | null;
    if (value === null || typeof value !== "object") continue;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const child = value[i];
        if (child !== null && typeof child === "object" && typeof child.type === "string") collectCalls(child, calls);
      }
    } else if (typeof value.type === "string") {
      collectCalls(value, calls);
    }
  }
}

/** The offset of the `(` after `from` (skipping blanks, comments and `?.`), or -1. */
function openParenAfter(code: string, from: number, end: number): number {
  let at = from;
  while (at < end) {
    const char = code[at]!;
    if (char === "(") return at;
    if (char === "/" && code[at + 1] === "*") at = code.indexOf("*/", at + 2) + 2;
    else if (char === "/" && code[at + 1] === "/") at = code.indexOf("\n", at);
    else if (char === "?" && code[at + 1] === ".") at += 2;
    else if (/\s/.test(char)) at++;
    else return -1;
    if (at <= 0) return -1;
  }
  return -1;
}
