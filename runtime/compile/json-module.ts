import { CompileError, positionAt } from "./errors.js";

/** Whether a module file is a JSON module (data a script imports `with { type: "json" }`). */
export function isJsonModule(file: string): boolean {
  return file.endsWith(".json");
}

/**
 * The module a JSON file is, as ES module code: its parsed value as the default export and
 * nothing else (JSON modules, ECMA-262 with import attributes). The text is checked here
 * first, so a syntax error names the file, line and column; the VM parses it again with its
 * own JSON.parse (a fresh context's, which no script can reach), so the value is made in the VM.
 * Throws CompileError.
 */
export function jsonModuleCode(file: string, source: string): string {
  const problem = findJsonError(source);
  if (problem) {
    throw new CompileError(
      `syntax error: ${problem.message} (JSON)`,
      file,
      positionAt(source, problem.offset, file),
      "fix the JSON (double-quoted keys and strings, no trailing commas or comments) and save again",
    );
  }
  return `export default JSON.parse(${JSON.stringify(source)});\n`;
}

/** Deeper data is refused (the VM's parser would run out of stack long before a designer's table needs it). */
const MAX_JSON_DEPTH = 1000;

interface JsonProblem {
  offset: number;
  message: string;
}

/** The first syntax error of JSON text (RFC 8259, as JSON.parse reads it), or undefined. */
export function findJsonError(text: string): JsonProblem | undefined {
  let at = 0;
  const fail = (message: string, offset = at): never => {
    throw { offset, message } satisfies JsonProblem;
  };
  const describe = (): string => (at >= text.length ? "end of input" : `character ${JSON.stringify(text[at])}`);
  const skipSpace = (): void => {
    while (at < text.length && (text[at] === " " || text[at] === "\t" || text[at] === "\n" || text[at] === "\r")) at++;
  };
  const expect = (char: string, what: string): void => {
    if (text[at] !== char) fail(`expected ${what}, found ${describe()}`);
    at++;
  };
  const string = (): void => {
    at++; // the opening quote
    for (;;) {
      if (at >= text.length) fail("unterminated string");
      const code = text.charCodeAt(at);
      if (code === 0x22) {
        at++;
        return;
      }
      if (code < 0x20) fail("control character in a string (write it as an escape, e.g. \\n)");
      if (code === 0x5c) {
        const escape = text[at + 1];
        if (escape === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) fail("bad \\u escape: four hex digits expected");
          at += 6;
        } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) {
          at += 2;
        } else {
          fail(`bad escape \\${escape ?? ""} in a string`);
        }
        continue;
      }
      at++;
    }
  };
  const number = (): void => {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(at, at + 400));
    if (!match || match[0] === "-") fail(`unexpected ${describe()}`);
    at += match![0].length;
  };
  const value = (depth: number): void => {
    if (depth > MAX_JSON_DEPTH) fail(`nested more than ${MAX_JSON_DEPTH} levels deep`);
    skipSpace();
    const char = text[at];
    if (char === "{") {
      at++;
      skipSpace();
      if (text[at] === "}") {
        at++;
        return;
      }
      for (;;) {
        skipSpace();
        if (text[at] !== '"') fail(`expected a double-quoted property name, found ${describe()}`);
        string();
        skipSpace();
        expect(":", "':' after a property name");
        value(depth + 1);
        skipSpace();
        if (text[at] === ",") {
          at++;
          skipSpace();
          if (text[at] === "}") fail("trailing comma in an object");
          continue;
        }
        expect("}", "',' or '}' after a property value");
        return;
      }
    }
    if (char === "[") {
      at++;
      skipSpace();
      if (text[at] === "]") {
        at++;
        return;
      }
      for (;;) {
        value(depth + 1);
        skipSpace();
        if (text[at] === ",") {
          at++;
          skipSpace();
          if (text[at] === "]") fail("trailing comma in an array");
          continue;
        }
        expect("]", "',' or ']' after an array element");
        return;
      }
    }
    if (char === '"') return string();
    for (const word of ["true", "false", "null"]) {
      if (text.startsWith(word, at)) {
        at += word.length;
        return;
      }
    }
    if (char === "-" || (char !== undefined && char >= "0" && char <= "9")) return number();
    if (char === "/") fail("comments are not JSON");
    fail(at >= text.length ? "unexpected end of input: a value was expected" : `unexpected ${describe()}`);
  };
  try {
    value(0);
    skipSpace();
    if (at < text.length) fail(`unexpected ${describe()} after the value`);
    return undefined;
  } catch (thrown) {
    if (thrown && typeof thrown === "object" && "offset" in thrown) return thrown as JsonProblem;
    throw thrown;
  }
}
