import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { readmeBlock, ROOT } from "./readme.js";

describe("README", () => {
  it("the embedding example runs as written against the built package", async () => {
    const code = await readmeBlock("## Embed graft in your host", "js");
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
