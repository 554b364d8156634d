import type * as ESTree from "estree";

/** An identifier that names a property, an imported or exported name, or a label: not a binding or a reference to one. */
export function namesNoBinding(parent: ESTree.Node | null, key: string | null | undefined): boolean {
  if (!parent) return false;
  switch (parent.type) {
    case "MemberExpression":
      return key === "property" && !parent.computed;
    case "Property":
      return key === "key" && !parent.computed && !parent.shorthand;
    case "MethodDefinition":
    case "PropertyDefinition":
      return key === "key" && !parent.computed;
    case "ImportSpecifier":
      return key === "imported";
    case "ExportSpecifier":
      return key === "exported";
    case "LabeledStatement":
    case "BreakStatement":
    case "ContinueStatement":
      return true;
    default:
      return false;
  }
}
