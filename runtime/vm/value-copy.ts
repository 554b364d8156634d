/**
 * Decodes what the kernel's copyOut (runtime/kernel/vm/values.js) encodes: JSON whose
 * arrays are tagged, ["a", ...items] for an array, ["u"] undefined, ["n", text] NaN,
 * ±Infinity and -0, ["b", digits] a bigint, ["r", index] the value at `refs[index]` (passed
 * by reference). Objects are built with own data properties only: a key "__proto__" is an
 * own property, never the object's prototype.
 */
export function decodeCopy<R>(text: string, refs: readonly R[]): unknown {
  return decode(JSON.parse(text) as unknown, refs);
}

function decode<R>(node: unknown, refs: readonly R[]): unknown {
  if (node === null || typeof node !== "object") return node;
  if (Array.isArray(node)) {
    switch (node[0]) {
      case "a": {
        const items = new Array<unknown>(node.length - 1);
        for (let i = 1; i < node.length; i++) items[i - 1] = decode(node[i], refs);
        return items;
      }
      case "u":
        return undefined;
      case "n":
        return node[1] === "-0" ? -0 : Number(node[1]);
      case "b":
        return BigInt(node[1] as string);
      case "r":
        return refs[node[1] as number];
      default:
        throw new Error(`graft: unknown tag ${String(node[0])} in a copied value`);
    }
  }
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(node)) {
    const value = decode((node as Record<string, unknown>)[key], refs);
    if (key === "__proto__") Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
    else result[key] = value;
  }
  return result;
}
