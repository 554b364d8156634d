import type MagicString from "magic-string";
import type * as ESTree from "estree";
import type { AnyNode, Node, TopLevelClass } from "./class-nodes.js";

/**
 * What each top-level class tells the kernel of the instance fields this version declares,
 * as the last arguments of the call that installs it (module-transform.ts):
 * `__graft.install(C, class {...}, '[["gold",120],["hp",140]]', { __proto__: null, init() { switch (arguments[0]) { case 0: return (10); ... } } })`.
 * The keys (with their offsets) are one string constant: the kernel compares it with the
 * committed version's and reads it only when it differs. When a new version adds a field,
 * the kernel runs its initialiser on every live instance before commit (`this` = the
 * instance): `init` with the field's index, an object-literal method whose prototype the
 * kernel sets to the class's parent prototype, so `super.x` in an initialiser reads what it
 * would in the class. One method for all of a class's fields (QuickJS compiles every function
 * of the module code up front, ~10 us each); `arguments[0]` because an initialiser cannot
 * name `arguments`, so no binding it reads is shadowed. Private names of top-level classes
 * are lowered (private-names.ts), so the initialisers read the same outside the class body.
 * Fields with computed keys are left out: their key is known only when the class runs.
 * Offsets are in the code given (types stripped): the engine maps one only to report a failure.
 */
export function fieldArguments(out: MagicString, classes: TopLevelClass[]): Map<AnyNode, string> {
  const found = new Map<AnyNode, string>();
  for (const target of classes) {
    const body = target.node.body as unknown as Node & { body: AnyNode[] };
    const keys: [string, number][] = [];
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
      initialisers.push(`case ${keys.length}: return (${value ? out.slice(value.start, value.end) : "undefined"});`);
      keys.push([name, element.start]);
    }
    if (keys.length === 0) continue;
    found.set(target.node, `, ${JSON.stringify(JSON.stringify(keys))}, { __proto__: null, init() { switch (arguments[0]) { ${initialisers.join(" ")} } } }`);
  }
  return found;
}
