#!/usr/bin/env node
// The graft command line: `graft check <folder>`, `graft repl <folder>`.
import { readFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { check } from "./check.js";
import { loadHostOption } from "./host-option.js";
import { startRepl } from "./repl.js";

const USAGE = `usage:
  graft --version | --help
  graft check <scripts-folder> [--host <module>] [--timeout <ms>]
      Load every script once; print each error (file:line:column, code frame, what to do).
      Exit code 0 when every script loads, 1 when any fails, 2 for a usage error.
  graft repl <scripts-folder> [--file <script>] [--host <module>] [--timeout <ms>]
      Load and watch the folder; evaluate code typed at the prompt in a script's own scope
      (.file <script> switches, .help lists the commands, .exit or Ctrl-D quits).

  --host <module>   an ES module whose default export is the object scripts import from "host"
  --timeout <ms>    limit for any one evaluation or call (default 1000)`;

/** graft's own version, from the package.json above this file (dist/cli/ installed, cli/ from the sources). */
function version(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (manifest.name === "graft" && manifest.version) return manifest.version;
    } catch {
      // no package.json here: look further up
    }
    if (path.dirname(dir) === dir) return "unknown";
  }
}

/** The command line parsed; a usage error (an unknown option, a missing value) names what was given. */
function parse(argv: string[]): ReturnType<typeof parseOptions> | string {
  try {
    return parseOptions(argv);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const option = /'(-[^']*)'/.exec(message)?.[1];
    const code = (error as { code?: string }).code;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) return `unknown option '${option}'`;
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) return `option '${option}' needs a value`;
    return message.split("\n")[0]!;
  }
}

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      host: { type: "string" },
      timeout: { type: "string" },
      file: { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
}

async function main(argv: string[]): Promise<number> {
  const parsed = parse(argv);
  if (typeof parsed === "string") {
    console.error(`graft: ${parsed}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, folder, ...extra] = positionals;
  if (values.version) {
    console.log(`graft ${version()}`);
    return 0;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if ((command !== "check" && command !== "repl") || folder === undefined || extra.length > 0) {
    console.error(command === undefined ? USAGE : `graft: ${command !== "check" && command !== "repl" ? `unknown command '${command}'` : folder === undefined ? "which scripts folder?" : `unexpected '${extra.join(" ")}'`}\n${USAGE}`);
    return 2;
  }
  const folderInfo = await stat(folder).catch(() => undefined);
  if (!folderInfo?.isDirectory()) {
    console.error(`graft: the scripts folder '${folder}' (${path.resolve(folder)}) ${folderInfo ? "is not a folder" : "does not exist"}; give the folder of scripts: graft ${command} <scripts-folder>`);
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
