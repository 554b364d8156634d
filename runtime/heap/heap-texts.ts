/**
 * The texts the heap decoder gives edges and nodes, interned into the snapshot's string
 * table once each: constant names, atoms (the runtime's, shared by every context),
 * JSStrings cut for naming, and "get key" / "set key" for accessors.
 */
import { ATOM_TAG_INT } from "./layout.js";
import type { StringTable } from "./heap-data.js";
import type { VmMemory } from "./memory.js";
import { SPECIAL } from "./shape-table.js";

/** Names the decoder gives once or more per object of some kind: looked up by index, not hashed each time. */
const HOT_TEXTS = ["prototype", "(shape)", "(closure variable)", "value", "realm", "home object", "code", "frame"];
export const HOT = { prototype: 0, shape: 1, closureVariable: 2, value: 3, realm: 4, homeObject: 5, code: 6, frame: 7 } as const;

export class HeapTexts {
  /** Per atom: 1 + the string id of its text (0: not read yet), and its SPECIAL value. */
  private atomNames = new Int32Array(1 << 12);
  private atomSpecial = new Uint8Array(1 << 12);
  /** String id of a property key -> string id of "get key" / "set key". */
  private readonly getterNames = new Map<number, number>();
  private readonly setterNames = new Map<number, number>();
  private readonly fixed = new Map<string, number>();
  private readonly hotIds = new Int32Array(HOT_TEXTS.length).fill(-1);
  /** JSString address -> string id of its text cut at 80 characters (a function's `name` is its name atom's string, shared by every context). */
  private readonly stringIds = new Map<number, number>();

  constructor(
    private readonly memory: VmMemory,
    private readonly strings: StringTable,
  ) {}

  /** A constant edge or node name, interned once. */
  text(text: string): number {
    let id = this.fixed.get(text);
    if (id === undefined) {
      id = this.strings.intern(text);
      this.fixed.set(text, id);
    }
    return id;
  }

  /** A hot text's string id, interned on first use (as text() would, in the same order). */
  hot(index: number): number {
    const known = this.hotIds[index]!;
    return known !== -1 ? known : (this.hotIds[index] = this.text(HOT_TEXTS[index]!));
  }

  /** The string id of a JSString's text, cut at 80 characters. */
  stringId(address: number): number {
    let id = this.stringIds.get(address);
    if (id === undefined) {
      id = this.strings.intern(this.memory.string(address, 80));
      this.stringIds.set(address, id);
    }
    return id;
  }

  /** The string id of any atom's text (a number for an integer atom). */
  atomText(atom: number): number {
    return atom < ATOM_TAG_INT ? this.atomName(atom) : this.strings.intern(this.memory.atom(atom));
  }

  /** The string id of a (non-integer) atom's text, read once. */
  atomName(atom: number): number {
    if (atom >= this.atomNames.length) this.growAtoms(atom);
    const known = this.atomNames[atom]!;
    if (known !== 0) return known - 1;
    const text = this.memory.atom(atom);
    const id = this.strings.intern(text);
    this.atomNames[atom] = id + 1;
    this.atomSpecial[atom] = text === "constructor" ? SPECIAL.constructor : text === "prototype" ? SPECIAL.prototype : text === "name" ? SPECIAL.name : SPECIAL.none;
    return id;
  }

  /** The SPECIAL value of an atom atomName has read. */
  special(atom: number): number {
    return this.atomSpecial[atom]!;
  }

  /** "get key" for an accessor's getter edge, interned once per key. */
  getterName(key: number): number {
    return this.accessorName(this.getterNames, "get", key);
  }

  /** "set key" for an accessor's setter edge, interned once per key. */
  setterName(key: number): number {
    return this.accessorName(this.setterNames, "set", key);
  }

  private accessorName(names: Map<number, number>, verb: string, key: number): number {
    let id = names.get(key);
    if (id === undefined) {
      id = this.strings.intern(`${verb} ${this.strings.get(key)}`);
      names.set(key, id);
    }
    return id;
  }

  private growAtoms(atom: number): void {
    const size = Math.max(atom + 1, this.atomNames.length * 2);
    const names = new Int32Array(size);
    names.set(this.atomNames);
    this.atomNames = names;
    const special = new Uint8Array(size);
    special.set(this.atomSpecial);
    this.atomSpecial = special;
  }
}
