import { isJsonModule } from "../compile/json-module.js";

/**
 * Whether an import's `type` attribute fits the file it resolved to (ES's
 * HostLoadImportedModule with import attributes): a JSON file is imported `with { type:
 * "json" }` and nothing else is, as in Node and browsers, so data never runs as code by
 * accident. A mismatch is the importer's link error: what, and what to write instead.
 */
export function importTypeProblem(specifier: string, type: string | undefined, resolved: string): { message: string; hint: string } | undefined {
  const json = isJsonModule(resolved);
  if (type === undefined && !json) return undefined;
  if (type === "json" && json) return undefined;
  if (type === undefined) {
    return {
      message: `syntax error: '${specifier}' is a JSON module: import it with { type: "json" }`,
      hint: `write import data from "${specifier}" with { type: "json" }; the data is its default export`,
    };
  }
  if (type === "json") {
    return {
      message: `syntax error: '${specifier}' is imported with { type: "json" }, but ${resolved} is not a .json file`,
      hint: `remove the type attribute to import a script, or import the .json file`,
    };
  }
  return {
    message: `syntax error: unsupported import type "${type}" for '${specifier}'`,
    hint: `the one import type is "json" (for .json files); scripts are imported without one`,
  };
}
