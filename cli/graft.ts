#!/usr/bin/env node
// The graft command line: `graft check <folder>`, `graft repl <folder>`.
import { parseArgs } from "node:util";
import { check } from "./check.js";
import { loadHostOption } from "./host-option.js";
import { startRepl } from "./repl.js";

const USAGE = `usage:
  graft check <scripts-folder> [--host <module>] [--timeout <ms>]
      Load every script once; print each error (file:line:column, code frame, what to do).
      Exit code 0 when every script loads, 1 when any fails, 2 for a usage error.
  graft repl <scripts-folder> [--file <script>] [--host <module>] [--timeout <ms>]
      Load and watch the folder; evaluate code typed at the prompt in a script's own scope
      (.file <script> switches, .help lists the commands, .exit or Ctrl-D quits).

  --host <module>   an ES module whose default export is the object scripts import from "host"
  --timeout <ms>    limit for any one evaluation or call (default 1000)`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: "string" },
      timeout: { type: "string" },
      file: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, folder, ...extra] = positionals;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if ((command !== "check" && command !== "repl") || folder === undefined || extra.length > 0) {
    console.error(command === undefined ? USAGE : `graft: ${command !== "check" && command !== "repl" ? `unknown command '${command}'` : folder === undefined ? "which scripts folder?" : `unexpected '${extra.join(" ")}'`}\n${USAGE}`);
    return 2;
  }
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(timeout > 0)) {
    console.error(`graft: --timeout must be a number of milliseconds, got '${values.timeout}'`);
    return 2;
  }
  const options = { host: await loadHostOption(values.host), ...(timeout ? { timeout } : {}) };
  if (command === "check") {
    return check(folder, options, { out: (line) => console.log(line), error: (line) => console.error(line) });
  }
  await startRepl(folder, { ...options, ...(values.file ? { file: values.file } : {}), input: process.stdin, output: process.stdout, terminal: Boolean(process.stdin.isTTY && process.stdout.isTTY) });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`graft: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 2;
  },
);
