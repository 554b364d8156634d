import { readFile } from "node:fs/promises";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "..");

/** Every fenced block (language, code) of the README section under `heading`, up to the next heading of its level. */
export async function readmeBlocks(heading: string): Promise<{ lang: string; code: string }[]> {
  const readme = await readFile(path.join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`README has no heading '${heading}'`);
  const level = heading.slice(0, heading.indexOf(" ") + 1);
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^${level}`, "m"));
  const section = end === -1 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((match) => ({ lang: match[1]!, code: match[2]! }));
}

/** The first ```lang block under the README heading `heading`, exactly as the README shows it. */
export async function readmeBlock(heading: string, lang: string): Promise<string> {
  const block = (await readmeBlocks(heading)).find((candidate) => candidate.lang === lang);
  if (!block) throw new Error(`README has no ${lang} block under '${heading}'`);
  return block.code;
}
