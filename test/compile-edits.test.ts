import { describe, expect, it } from "vitest";
import MagicString from "magic-string";
import { editsDone, editsOf } from "../runtime/compile/edits.js";

/** runtime/compile/edits.ts: the compile step's MagicString keeps its chunk indexes in arrays. */
describe("the compile step's edits (editsOf)", () => {
  const code = "class A {\n  x: number = 1;\n  m(a: string): void { return; }\n}\n";
  const edit = (out: MagicString): MagicString => {
    out.remove(13, 21); // ": number"
    out.remove(31, 39); // ": string"
    out.remove(40, 46); // ": void"
    out.overwrite(0, 5, "let A = class", { contentOnly: true });
    out.appendLeft(9, " static { early(this); }");
    out.prependRight(0, "/* head */ ");
    out.appendRight(code.length, "// end");
    out.move(28, 30, 10);
    return out;
  };

  it("gives the same text and map as a plain MagicString", () => {
    const plain = edit(new MagicString(code));
    const fast = edit(editsOf(code));
    expect(fast.toString()).toBe(plain.toString());
    expect(fast.slice(9, 30)).toBe(plain.slice(9, 30));
    expect(fast.generateMap({ hires: true }).mappings).toBe(plain.generateMap({ hires: true }).mappings);
  });

  it("indexes chunks by offset in arrays, not in objects with dictionary elements", () => {
    const internals = editsOf(code) as unknown as { byStart: unknown; byEnd: unknown };
    expect(Array.isArray(internals.byStart)).toBe(true);
    expect(Array.isArray(internals.byEnd)).toBe(true);
  });

  it("drops the indexes once the edits are done (a compiled script keeps its edits for its map); the map is still made", () => {
    const plain = edit(new MagicString(code));
    const done = editsDone(edit(editsOf(code)));
    const internals = done as unknown as { byStart: unknown; byEnd: unknown };
    expect(internals.byStart).toBeNull();
    expect(internals.byEnd).toBeNull();
    expect(done.toString()).toBe(plain.toString());
    expect(done.generateMap({ hires: true }).mappings).toBe(plain.generateMap({ hires: true }).mappings);
    expect(() => done.remove(1, 2)).toThrow();
  });

  it("refuses to split an edited chunk as magic-string does (removing blanks relies on it)", () => {
    const out = editsOf(code);
    out.overwrite(10, 30, "x = 1;");
    expect(() => out.remove(13, 21)).toThrow(/Cannot split a chunk that has already been edited/);
  });
});
