import type MagicString from "magic-string";
import type * as ESTree from "estree";
import type { AnyNode, Node, TopLevelClass } from "./class-nodes.js";

/**
 * Tells the kernel, from a static block at the top of each top-level class, the instance
 * fields this version declares and how to initialise each on an object that lacks it:
 * `static { api.fields("C", [["gold", offset], ...], () => ({ "gold"() { return (10); } })) }`.
 * When a new version adds a field, the kernel runs its initialiser on every live instance
 * at commit (`this` = the instance). The initialisers are built only then (the arrow is
 * called on demand), as object-literal methods whose prototype the kernel sets to the
 * class's parent prototype, so `super.x` in an initialiser reads what it would in the class.
 * Fields with computed keys are left out: their key is known only when the class runs.
 * Offsets are in the code given (types stripped): the engine maps one only to report a failure.
 */
export function emitFieldInitialisers(out: MagicString, classes: TopLevelClass[], api: string): void {
  for (const target of classes) {
    const body = target.node.body as unknown as Node & { body: AnyNode[] };
    const keys: string[] = [];
    const initialisers: string[] = [];
    for (const element of body.body) {
      const accessor = (element.type as string) === "AccessorProperty";
      if ((element.type !== "PropertyDefinition" && !accessor) || element.static === true || element.computed === true) continue;
      const key = element.key as AnyNode;
      let name = key.type === "PrivateIdentifier" ? `#${key.name as string}` : key.type === "Identifier" ? (key.name as string) : String((key as unknown as ESTree.Literal).value);
      // `accessor x` keeps its value in the kernel's private field #x_accessor_storage (private-names.ts, decorators.ts).
      if (accessor) {
        if (key.type !== "Identifier") continue;
        name = `#${name}_accessor_storage`;
      }
      const value = element.value as Node | null;
      keys.push(`[${JSON.stringify(name)}, ${element.start}]`);
      initialisers.push(`${JSON.stringify(name)}() { return (${value ? out.slice(value.start, value.end) : "undefined"}); }`);
    }
    if (keys.length === 0) continue;
    out.appendRight(body.start + 1, `static { ${api}.fields(${JSON.stringify(target.name)}, [${keys.join(", ")}], () => ({ __proto__: null, ${initialisers.join(", ")} })); } `);
  }
}
