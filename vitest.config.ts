import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // The demo imports "graft" like any host; tests run it against the sources.
    alias: { graft: path.resolve(import.meta.dirname, "host-api/index.ts") },
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
