import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "./readme.js";

describe("the published types (types/graft.d.ts)", () => {
  it("agree with the implementation: test/public-types.ts type-checks", async () => {
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const args = [tsc, "--noEmit", "--strict", "--target", "ES2022", "--lib", "ES2022,ESNext.Disposable", "--module", "NodeNext", "--moduleResolution", "NodeNext", "--types", "node", "--skipLibCheck", path.join(ROOT, "test", "public-types.ts")];
    const result = await promisify(execFile)(process.execPath, args, { cwd: ROOT, timeout: 120_000 }).catch((error: { stdout: string }) => error);
    expect(result.stdout.split("\n").filter((line) => line.includes("error TS"))).toEqual([]);
  }, 130_000);
});
