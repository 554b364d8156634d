import type * as ESTree from "estree";
import { CompileError, positionAt } from "./errors.js";

/** An import attribute as oxc parses it (`with { type: "json" }`). */
interface ImportAttributeNode {
  key: { type: string; name?: string; value?: unknown };
  value: { value?: unknown };
  start: number;
}

/**
 * The `type` an import or re-export declares with import attributes, or undefined. `type`
 * is the one attribute graft (like Node and browsers) supports: any other key is a
 * SyntaxError before anything runs, as the import-attributes spec asks of a host. Whether
 * the type fits the file imported is decided when imports are resolved.
 */
export function importTypeOf(file: string, code: string, declaration: ESTree.Node): string | undefined {
  const attributes = (declaration as unknown as { attributes?: ImportAttributeNode[] | null }).attributes ?? [];
  let type: string | undefined;
  for (const attribute of attributes) {
    const key = attribute.key.type === "Identifier" ? attribute.key.name : String(attribute.key.value);
    if (key !== "type") {
      throw new CompileError(
        `syntax error: unsupported import attribute '${key}'`,
        file,
        positionAt(code, attribute.start, file),
        `the only import attribute is type ("json" for a JSON file: with { type: "json" }); remove '${key}'`,
      );
    }
    type = String(attribute.value.value);
  }
  return type;
}
