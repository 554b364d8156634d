import { CompileError, positionAt } from "./errors.js";

/**
 * Bounds how deeply a script nests before any parser sees it. oxc-parser recurses on
 * the native stack without a guard (a few thousand levels of
 * `(`, `[` or `a ? b :` kill Node with SIGSEGV), and QuickJS's parser, although it checks
 * its own stack, spends far more host stack per level than that check sees (about 1.5 KB
 * per `[` against 64 bytes), so a few hundred levels overflow V8's stack from inside the
 * VM. Scripts never come near these limits; generated or hostile ones are refused here,
 * with a position, instead.
 *
 * The scan is lexical and linear (strings, comments, templates and regular expressions
 * are told apart from code the way the grammar does), and counts at each point:
 * - bracket levels: `(`, `[`, `{` and template substitutions;
 * - nesting without brackets, per open level and statement: prefix and right-associative
 *   operators, `?`/`:`, arrows, `if`/`else`/loops/labels, TypeScript `<`, `keyof`,
 *   `extends` (each one level deeper in the syntax tree);
 * - chains that parsers build in a loop but later passes recurse on (`a.b.c`, `a + b + c`,
 *   `f()()`), at half a level each (the transform walks the syntax tree recursively in JS).
 */
export const MAX_BRACKET_DEPTH = 256;
export const MAX_NESTING = 1000;

/** Chains weigh half a level: the counters are in halves. */
const LEVEL = 2;
const CHAIN = 1;

/** Binary operators that associate to the left (parsed in a loop): chains. */
const LEFT_BINARY = new Set([
  "+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", ">>>", "&&", "||", "??", "==", "!=", "===", "!==", ">", "<=", ">=", ".", "?.",
]);
/** Punctuators, longest first within each first character. */
const PUNCTUATORS = [
  ">>>=", "...", "===", "!==", "**=", "<<=", ">>=", ">>>", "&&=", "||=", "??=",
  "=>", "==", "!=", "<=", ">=", "&&", "||", "??", "?.", "++", "--", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "**", "<<", ">>",
];
/** Second characters of multi-character punctuators. */
const OPERATOR_CONTINUATIONS = new Set([..."=&|?.+-*<>"].map((character) => character.charCodeAt(0)));
const NESTING_WORDS = new Set([
  "typeof", "void", "delete", "new", "await", "yield", "if", "else", "for", "while", "do", "with", "keyof", "extends", "infer", "in", "instanceof",
]);
/** Words after which an expression is expected, so `/` starts a regular expression. */
const EXPRESSION_BEFORE = new Set([
  ...NESTING_WORDS, "return", "throw", "case", "of", "as", "satisfies", "export", "default",
]);
/** Words that continue the expression of the previous line (no automatic semicolon before them). */
const CONTINUING_WORDS = new Set(["in", "instanceof", "as", "satisfies", "else", "of", "extends", "implements"]);
/** Keywords that nest statements without braces. */
const STATEMENT_WORDS = new Set(["if", "else", "for", "while", "do", "with"]);
/** Words after a statement that continue the statement around it. */
const STATEMENT_CONTINUATIONS = new Set(["else", "while", "catch", "finally"]);
/** Keywords whose parenthesis heads a statement: `if (x)` is followed by its body. */
const STATEMENT_HEADS = new Set(["if", "for", "while", "with"]);

const enum Kind {
  /** `(`, `[`, a `{` that is a block or class body. */
  Plain,
  /** The `(` of `if`/`for`/`while`/`with`. */
  Head,
  /** A `{` in expression position (object literal): after its `}` comes an operator. */
  ObjectLiteral,
  /** A template substitution `${`: its `}` resumes the template text. */
  Template,
}

interface Level {
  kind: Kind;
  /** Units counted here since the last `,` or `;` (or statement boundary). */
  units: number;
  /** Units of statements nested without braces (`if (a) if (b)`, `else if`), which a `;` ends only if no `else` follows. */
  statements: number;
}

/** Throws CompileError when `source` nests deeper than graft lets a parser see. */
export function checkNesting(file: string, source: string): void {
  new NestingScan(file, source).run();
}

class NestingScan {
  private readonly levels: Level[] = [{ kind: Kind.Plain, units: 0, statements: 0 }];
  /** A `;` or a block's `}` ended a statement here, unless an `else` (or the like) comes next. */
  private statementEnd: Level | undefined;
  /** The units of every open level, plus LEVEL per open bracket. */
  private total = 0;
  private position = 0;
  private tokenStart = 0;
  /** The last significant token ("" at the start), and whether it ends an operand. */
  private previous = "";
  private beforePrevious = "";
  private previousEndsOperand = false;
  private newlineSince = false;

  constructor(
    private readonly file: string,
    private readonly source: string,
  ) {}

  run(): void {
    const source = this.source;
    const length = source.length;
    if (source.startsWith("#!")) this.skipLine();
    while (this.position < length) {
      const code = source.charCodeAt(this.position);
      this.tokenStart = this.position;
      if (code === 10 || code === 13 || code === 0x2028 || code === 0x2029) {
        this.newlineSince = true;
        this.position++;
      } else if (code === 32 || code === 9 || code === 11 || code === 12 || code === 0xa0 || code === 0xfeff || (code > 127 && /\s/.test(source[this.position]!))) {
        this.position++;
      } else if (code === 47 /* / */ && source.charCodeAt(this.position + 1) === 47) {
        this.skipLine();
      } else if (code === 47 && source.charCodeAt(this.position + 1) === 42) {
        const end = source.indexOf("*/", this.position + 2);
        const stop = end === -1 ? length : end + 2;
        if (/[\n\r\u2028\u2029]/.test(source.slice(this.position, stop))) this.newlineSince = true;
        this.position = stop;
      } else if (code === 39 || code === 34) {
        this.statementBreak(true);
        this.skipString(code);
        this.token("string", true);
      } else if (code === 96 /* ` */) {
        this.statementBreak(false);
        this.position++;
        this.templateText();
      } else if (isWordStart(code)) {
        const word = this.readWord();
        this.word(word);
      } else if (isDigit(code) || (code === 46 && isDigit(source.charCodeAt(this.position + 1)))) {
        this.statementBreak(true);
        this.readNumber();
        this.token("0", true);
      } else if (code === 47 && this.regexAllowed() && this.readRegex()) {
        this.statementBreak(false);
        this.token("/re/", true);
      } else {
        this.punctuator(this.readPunctuator());
      }
    }
  }

  private fail(message: string): never {
    throw new CompileError(
      `nested too deeply: ${message}, the most graft lets a parser see`,
      this.file,
      positionAt(this.source, this.tokenStart, this.file),
      "split the expression or data into smaller parts (named variables, functions or separate statements)",
    );
  }

  private add(units: number, statement = false): void {
    const level = this.levels[this.levels.length - 1]!;
    if (statement) level.statements += units;
    else level.units += units;
    this.total += units;
    if (this.total > MAX_NESTING * LEVEL) this.fail(`this expression or statement is more than ${MAX_NESTING} levels deep`);
  }

  private reset(statementsToo = false): void {
    const level = this.levels[this.levels.length - 1]!;
    this.total -= level.units;
    level.units = 0;
    if (statementsToo) this.resetStatements(level);
  }

  private resetStatements(level: Level): void {
    this.total -= level.statements;
    level.statements = 0;
  }

  private open(kind: Kind): void {
    this.levels.push({ kind, units: 0, statements: 0 });
    if (this.levels.length - 1 > MAX_BRACKET_DEPTH) this.fail(`more than ${MAX_BRACKET_DEPTH} levels of brackets ((, [, {, \${) at this point`);
    this.add(LEVEL);
  }

  /** Closes the innermost level; returns its kind (Plain for a stray closer). */
  private close(): Kind {
    if (this.levels.length === 1) return Kind.Plain;
    const level = this.levels.pop()!;
    this.total -= level.units + level.statements;
    if (this.statementEnd === level) this.statementEnd = undefined;
    this.add(CHAIN);
    return level.kind;
  }

  /** Records a significant token; first ends the statement if a line break did (ASI). */
  private token(text: string, endsOperand: boolean): void {
    this.beforePrevious = this.previous;
    this.previous = text;
    this.previousEndsOperand = endsOperand;
    this.newlineSince = false;
  }

  /**
   * Called before each significant token. An operand, a line break, then something that
   * cannot continue it: a new statement (automatic semicolon). A statement that ended
   * (`;`, a block's `}`) without `else` after it ends the statements nested around it.
   */
  private statementBreak(startsStatement: boolean, text = ""): void {
    if (this.statementEnd !== undefined) {
      if (!STATEMENT_CONTINUATIONS.has(text)) {
        this.resetStatements(this.statementEnd);
        // After a block's `}` (a function or class declaration, an `if` body), a new statement
        // starts afresh: the closed brackets' chain units belong to the statement that ended.
        if (startsStatement && this.statementEnd === this.levels[this.levels.length - 1]) this.reset();
      }
      this.statementEnd = undefined;
    }
    if (this.newlineSince && this.previousEndsOperand && startsStatement) this.reset(true);
  }

  private word(word: string): void {
    this.statementBreak(!CONTINUING_WORDS.has(word), word);
    if (NESTING_WORDS.has(word)) {
      this.add(LEVEL, STATEMENT_WORDS.has(word));
      this.token(word, false);
    } else {
      this.token(word, !EXPRESSION_BEFORE.has(word));
    }
  }

  private punctuator(text: string): void {
    const startsStatement = text === "{" || text === "!" || text === "~" || text === "++" || text === "--" || text === "@";
    this.statementBreak(startsStatement, text);
    let endsOperand = false;
    switch (text) {
      case "(":
        this.open(STATEMENT_HEADS.has(this.previous) || (this.previous === "await" && this.beforePrevious === "for") ? Kind.Head : Kind.Plain);
        break;
      case "[":
        this.open(Kind.Plain);
        break;
      case "{":
        this.open(this.expressionExpected() ? Kind.ObjectLiteral : Kind.Plain);
        break;
      case ")":
        endsOperand = this.close() !== Kind.Head;
        break;
      case "]":
        this.close();
        endsOperand = true;
        break;
      case "}": {
        const kind = this.close();
        if (kind === Kind.Template) {
          this.templateText();
          return;
        }
        endsOperand = kind === Kind.ObjectLiteral;
        if (kind === Kind.Plain) this.statementEnd = this.levels[this.levels.length - 1];
        break;
      }
      case ",":
        this.reset();
        break;
      case ";":
        this.reset();
        this.statementEnd = this.levels[this.levels.length - 1];
        break;
      case "++":
      case "--":
        this.add(this.previousEndsOperand ? CHAIN : LEVEL);
        endsOperand = this.previousEndsOperand;
        break;
      default:
        // Prefix operators, assignments, `**`, `?`, `:`, `=>`, `...` and `<` nest; a
        // left-associative binary operator after an operand chains.
        this.add(LEFT_BINARY.has(text) && this.previousEndsOperand ? CHAIN : LEVEL);
        break;
    }
    this.token(text, endsOperand);
  }

  /** Whether the grammar expects an expression here (then `{` is an object, `/` a regex). */
  private expressionExpected(): boolean {
    if (this.previousEndsOperand) return false;
    const previous = this.previous;
    if (previous === "" || previous === ";" || previous === "}" || previous === ")" || previous === "=>" || previous === "else" || previous === "do") {
      return false;
    }
    if (previous === "{") return this.levels[this.levels.length - 1]!.kind === Kind.ObjectLiteral;
    return true;
  }

  private regexAllowed(): boolean {
    return !this.previousEndsOperand; // `(a) / b` divides; the `)` of `if (...)` ends no operand
  }

  /** Reads template text up to `${` (opening a level) or the closing backtick. */
  private templateText(): void {
    const source = this.source;
    while (this.position < source.length) {
      const code = source.charCodeAt(this.position);
      if (code === 92 /* \ */) {
        this.position += 2;
      } else if (code === 96) {
        this.position++;
        this.token("`", true);
        return;
      } else if (code === 36 /* $ */ && source.charCodeAt(this.position + 1) === 123) {
        this.tokenStart = this.position;
        this.position += 2;
        this.open(Kind.Template);
        this.token("${", false);
        return;
      } else {
        this.position++;
      }
    }
  }

  private skipLine(): void {
    const source = this.source;
    while (this.position < source.length) {
      const code = source.charCodeAt(this.position);
      if (code === 10 || code === 13 || code === 0x2028 || code === 0x2029) return;
      this.position++;
    }
  }

  private skipString(quote: number): void {
    const source = this.source;
    this.position++;
    while (this.position < source.length) {
      const code = source.charCodeAt(this.position);
      if (code === 92) this.position += 2;
      else if (code === quote) {
        this.position++;
        return;
      } else if (code === 10 || code === 13) return; // unterminated: the parser will say so
      else this.position++;
    }
  }

  /** A regular expression literal up to its closing `/` and flags; false if none on this line. */
  private readRegex(): boolean {
    const source = this.source;
    let index = this.position + 1;
    let inClass = false;
    while (index < source.length) {
      const code = source.charCodeAt(index);
      if (code === 10 || code === 13 || code === 0x2028 || code === 0x2029) return false;
      if (code === 92) index += 2;
      else {
        if (code === 91) inClass = true;
        else if (code === 93) inClass = false;
        else if (code === 47 && !inClass) {
          index++;
          while (index < source.length && isWordPart(source.charCodeAt(index))) index++;
          this.position = index;
          return true;
        }
        index++;
      }
    }
    return false;
  }

  private readWord(): string {
    const source = this.source;
    const start = this.position;
    this.position++;
    while (this.position < source.length && isWordPart(source.charCodeAt(this.position))) this.position++;
    return source.slice(start, this.position);
  }

  private readNumber(): void {
    const source = this.source;
    this.position++;
    while (this.position < source.length) {
      const code = source.charCodeAt(this.position);
      if (isWordPart(code) || code === 46) this.position++;
      else if ((code === 43 || code === 45) && /[eE]/.test(source[this.position - 1]!) && !/^0[xX]/.test(source.slice(this.tokenStart, this.tokenStart + 2))) this.position++;
      else break;
    }
  }

  private readPunctuator(): string {
    const source = this.source;
    if (!OPERATOR_CONTINUATIONS.has(source.charCodeAt(this.position + 1))) {
      this.position++;
      return source[this.position - 1]!;
    }
    for (const candidate of PUNCTUATORS) {
      if (source.startsWith(candidate, this.position)) {
        // `a?.5:b` is `?` then `.5`.
        if (candidate === "?." && isDigit(source.charCodeAt(this.position + 2))) break;
        this.position += candidate.length;
        return candidate;
      }
    }
    this.position++;
    return source[this.position - 1]!;
  }
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isWordStart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 36 || code === 95 || code === 35 /* # */ || code === 92 || (code > 127 && code !== 0x2028 && code !== 0x2029 && code !== 0xa0 && code !== 0xfeff);
}

function isWordPart(code: number): boolean {
  return isWordStart(code) || isDigit(code);
}
