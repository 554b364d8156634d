import path from "node:path";
import { pathToFileURL } from "node:url";

/**
 * `--host <module>`: an ES module whose default export (or `host` export) is the object
 * scripts import from "host". Without it scripts get an empty "host" module, and the names
 * they import from it read undefined.
 */
export async function loadHostOption(file: string | undefined): Promise<object> {
  if (file === undefined) return {};
  const url = pathToFileURL(path.resolve(file)).href;
  let module: { default?: unknown; host?: unknown };
  try {
    module = (await import(url)) as { default?: unknown; host?: unknown };
  } catch (error) {
    throw new Error(`--host ${file}: cannot load the module (${path.resolve(file)}): ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  const host = module.default ?? module.host;
  if (host === null || typeof host !== "object") {
    throw new Error(`--host ${file}: the module must export the host object as its default export (export default { log, send })`);
  }
  return host;
}
