/** Small scans of TypeScript source text, for the syntax that is no node of its own (`?`, `!`, `,`). */

/** The offset of the next character at or after `from` that is neither white space nor in a comment. */
export function nextCharacter(source: string, from: number): number {
  let at = from;
  while (at < source.length) {
    const code = source.charCodeAt(at);
    if (code === 47 /* / */ && source.charCodeAt(at + 1) === 47) {
      const lineEnd = source.slice(at).search(/[\n\r\u2028\u2029]/);
      at = lineEnd < 0 ? source.length : at + lineEnd;
    } else if (code === 47 && source.charCodeAt(at + 1) === 42 /* * */) {
      const close = source.indexOf("*/", at + 2);
      at = close < 0 ? source.length : close + 2;
    } else if (/\s/.test(source[at]!)) {
      at++;
    } else {
      return at;
    }
  }
  return at;
}
