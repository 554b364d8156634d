import { transformSync } from "oxc-transform";
import { syntaxError } from "./errors.js";
import type { EncodedSourceMap } from "./source-map.js";

export interface StrippedSource {
  code: string;
  /** Maps the stripped code back to the TypeScript source; null when nothing was stripped. */
  map: EncodedSourceMap | null;
}

export function isTypeScript(file: string): boolean {
  return file.endsWith(".ts");
}

/** Removes TypeScript syntax. JavaScript files pass through untouched. */
export function stripTypes(file: string, source: string): StrippedSource {
  if (!isTypeScript(file)) return { code: source, map: null };
  const result = transformSync(file, source, {
    sourcemap: true,
    lang: "ts",
    sourceType: "module",
    typescript: { onlyRemoveTypeImports: false },
  });
  const error = result.errors.find((e) => e.severity === "Error");
  if (error) throw syntaxError(file, source, error);
  if (!result.map) throw new Error(`oxc-transform returned no source map for ${file}`);
  return { code: result.code, map: result.map as EncodedSourceMap };
}
