import { readFile } from "node:fs/promises";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..");

/** The first ```lang block under the README heading `heading`, exactly as the README shows it. */
export async function readmeBlock(heading: string, lang: string): Promise<string> {
  const readme = await readFile(path.join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`README has no heading '${heading}'`);
  const match = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(readme.slice(start));
  if (!match) throw new Error(`README has no ${lang} block under '${heading}'`);
  return match[1]!;
}
