import { walk } from "estree-walker";
import type * as ESTree from "estree";
import type { Node } from "./class-nodes.js";

/**
 * Where each call in a script opens its arguments, and where the call starts: QuickJS places
 * a call (in an error's stack, `console.trace`, a failed call's "not a function") at the `(`
 * of its arguments, where Node and browsers point at what is called (`log(x)` at `log`,
 * `console.trace(x)` at `trace`, `new Foo()` at `new`). Flat pairs of offsets in the code:
 * [open paren, where the call is placed, ...].
 */
export function callOpenings(program: ESTree.Program, code: string): number[] {
  const pairs: number[] = [];
  walk(program, {
    enter(node) {
      if (node.type !== "CallExpression" && node.type !== "NewExpression") return;
      const call = node as unknown as Node & { callee: Node & { property?: Node }; typeArguments?: Node | null };
      const paren = openParenAfter(code, (call.typeArguments ?? call.callee).end, call.end);
      const placed = node.type === "CallExpression" && call.callee.type === "MemberExpression" ? call.callee.property!.start : call.start;
      if (paren >= 0 && paren !== placed) pairs.push(paren, placed);
    },
  });
  return pairs;
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
