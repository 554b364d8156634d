import MagicString from "magic-string";

/**
 * A MagicString over `code` for the compile step's edits, with its chunk indexes in arrays.
 *
 * magic-string finds the chunk that starts or ends at an offset in two plain objects keyed by
 * offset (`byStart`, `byEnd`), written at every split. V8 keeps such sparse integer keys as
 * dictionary elements, ~0.25 us a store: a compile of the 200-line fixture splits ~215 times,
 * and that was ~6 % of its time. A holey array of the code's length holds the same keys at
 * ~0.015 us a store. magic-string (pinned) reads and writes both only by integer offset, so an
 * array is the same to it; a version without them keeps its own. The arrays are 16 bytes a
 * character: once the edits are done, `editsDone` drops them.
 */
export function editsOf(code: string): MagicString {
  const out = new MagicString(code);
  const internals = out as unknown as { byStart?: unknown; byEnd?: unknown };
  if (isPlainIndex(internals.byStart) && isPlainIndex(internals.byEnd)) {
    internals.byStart = asArray(internals.byStart, code.length);
    internals.byEnd = asArray(internals.byEnd, code.length);
  }
  return out;
}

/**
 * Drops the chunk indexes of edits that are done: only editing uses them (not `toString` or
 * `generateMap`), and the compiled script keeps its MagicString for its source map, made at
 * the first question (and the compile cache keeps the script). An edit after this throws.
 */
export function editsDone(out: MagicString): MagicString {
  const internals = out as unknown as { byStart?: unknown; byEnd?: unknown };
  if (Array.isArray(internals.byStart) && Array.isArray(internals.byEnd)) {
    internals.byStart = null;
    internals.byEnd = null;
  }
  return out;
}

function isPlainIndex(value: unknown): value is Record<number, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asArray(index: Record<number, unknown>, length: number): unknown[] {
  const array: unknown[] = new Array(length + 1);
  for (const key of Object.keys(index)) array[Number(key)] = index[Number(key)];
  return array;
}
