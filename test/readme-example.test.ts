import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");

/** The first js block under "## Embed graft in your host", exactly as the README shows it. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(path.join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Embed graft in your host"));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error("README has no js block under '## Embed graft in your host'");
  return match[1]!;
}

describe("README", () => {
  it("the embedding example runs as written against the built package", async () => {
    const code = await readmeExample();
    expect(code.split("\n").filter((line) => line.trim() !== "").length).toBeLessThanOrEqual(16);
    // Inside the package folder, so that `import "graft"` resolves to the build (npm test builds first).
    const file = path.join(ROOT, `.readme-example-${process.pid}.mjs`);
    await writeFile(file, code);
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [file], { cwd: ROOT, timeout: 30_000 });
      expect(stderr).toBe("");
      expect(stdout).toContain("Look [ 'look', 'l' ]");
      expect(stdout).toContain("Say [ 'say', \"'\" ]");
    } finally {
      await rm(file, { force: true });
    }
  });
});
