import repl from "node:repl";
import { inspect } from "node:util";
import { createRuntime, describeInitialLoad, describeReload, ScriptError, ScriptValue, type GraftRuntime } from "../host-api/index.js";
import type { CliOptions } from "./io.js";

export interface ReplOptions extends CliOptions {
  /** The script whose scope the prompt evaluates in; default: the first loaded file. */
  file?: string;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  terminal: boolean;
}

const HELP = {
  file: "Evaluate in another script's scope: .file <script> (without one: which script, and the list)",
  files: "List the loaded scripts, and those that failed to load with why",
  reload: "Reload changed scripts now, or re-run the ones named even if unchanged: .reload [script...]",
  leaks: "Retired class versions still alive after a full GC, with the paths that hold them",
};

/**
 * `graft repl <folder>`: loads the folder, watches it (every save is reported as the demo
 * server reports it), and reads code at a prompt, evaluated in one script's own module
 * scope: its classes, functions, variables and imports, as they are in its running version.
 * Resolves when the prompt is closed (.exit, Ctrl-D, end of input); the runtime is disposed.
 */
export async function startRepl(folder: string, options: ReplOptions): Promise<void> {
  const print = (lines: string[]): void => void options.output.write(`${lines.join("\n")}\n`);
  const runtime = await createRuntime({ scripts: folder, watch: true, host: options.host, ...(options.timeout ? { timeout: options.timeout } : {}) });
  print(describeInitialLoad(runtime.initialReport));
  let current = options.file ?? runtime.files()[0];
  if (current !== undefined && !runtime.files().includes(current)) {
    print([`${current} is not loaded (loaded: ${runtime.files().join(", ") || "none"}); evaluating in ${runtime.files()[0] ?? "no script"}`]);
    current = runtime.files()[0];
  }
  const promptFor = (): string => `graft ${current ?? "(no script)"}> `;
  print([`Code typed here runs in the scope of ${current ?? "(no script loaded yet)"}; .file <script> switches, .help lists the commands.`]);

  const server = repl.start({
    prompt: promptFor(),
    input: options.input,
    output: options.output,
    terminal: options.terminal,
    ignoreUndefined: false,
    preview: false,
    eval: (code, _context, _filename, callback) => {
      if (code.trim() === "") return callback(null, undefined);
      if (current === undefined || !runtime.files().includes(current)) {
        return callback(new Error(`no script to evaluate in: ${current ? `${current} is not loaded` : "none is loaded"}; pick one with .file <script>`), undefined);
      }
      try {
        callback(null, runtime.evaluate(current, code));
      } catch (error) {
        if (error instanceof ScriptError && error.scriptName === "SyntaxError" && endsEarly(code, error)) {
          return callback(new repl.Recoverable(error), undefined);
        }
        callback(shownError(error), undefined);
      }
    },
    writer: (value: unknown) => {
      const shown = value instanceof ScriptValue && !value.isReference ? value.toHost() : value;
      return inspect(shown, { colors: options.terminal });
    },
  });
  const above = (lines: string[]): void => {
    print(lines);
    server.displayPrompt(true);
  };
  runtime.on("reload", (report) => above(describeReload(report)));
  defineCommands(server, runtime, {
    current: () => current,
    switchTo: (file) => {
      current = file;
      server.setPrompt(promptFor());
    },
    print,
  });
  await new Promise<void>((resolve) => server.once("exit", resolve));
  runtime.dispose();
}

interface ReplState {
  current(): string | undefined;
  switchTo(file: string): void;
  print(lines: string[]): void;
}

function defineCommands(server: repl.REPLServer, runtime: GraftRuntime, state: ReplState): void {
  server.defineCommand("file", {
    help: HELP.file,
    action(name: string) {
      const file = name.trim();
      if (file === "") {
        state.print([`evaluating in ${state.current() ?? "(no script)"}; loaded: ${runtime.files().join(", ") || "none"}`]);
      } else if (runtime.files().includes(file)) {
        state.switchTo(file);
      } else {
        state.print([`${file} is not loaded (loaded: ${runtime.files().join(", ") || "none"})`]);
      }
      this.displayPrompt();
    },
  });
  server.defineCommand("files", {
    help: HELP.files,
    action() {
      const lines = runtime.files().map((file) => `  ${file}`);
      for (const failure of runtime.failures()) {
        const state = /^not (loaded|applied):/.test(failure.message) ? "" : failure.running ? "its previous version runs: " : "not loaded: ";
        lines.push(`  ${failure.file}: ${state}${failure.message}`);
      }
      state.print(lines.length > 0 ? lines : ["no scripts"]);
      this.displayPrompt();
    },
  });
  server.defineCommand("reload", {
    help: HELP.reload,
    action(names: string) {
      const files = names.trim() === "" ? undefined : names.trim().split(/\s+/);
      // The "reload" listener prints what changed; nothing changed prints nothing there.
      // Named scripts re-run even if unchanged, as the demo's @reload <file> does.
      runtime.reload(files, { force: files !== undefined }).then(
        (report) => {
          if (report.files.length + report.removed.length + report.errors.length === 0) state.print(["nothing changed on disk"]);
          this.displayPrompt();
        },
        (error: unknown) => {
          state.print([`reload failed: ${error instanceof Error ? error.message : String(error)}`]);
          this.displayPrompt();
        },
      );
    },
  });
  server.defineCommand("leaks", {
    help: HELP.leaks,
    action() {
      const leaks = runtime.leaks();
      state.print(leaks.length === 0 ? ["no leaks: no retired class version is alive after a full GC"] : leaks.map((leak) => leak.text));
      this.displayPrompt();
    },
  });
}

/** A syntax error at the very end of the input: the line goes on (`let x =`), so read more. */
function endsEarly(code: string, error: ScriptError): boolean {
  const position = error.position;
  if (!position) return false;
  const lines = code.replace(/\s+$/, "").split("\n");
  return position.line > lines.length || (position.line === lines.length && position.column > lines[lines.length - 1]!.length);
}

/** The error as the prompt shows it: its message and the script stack, not a dump of its fields. */
function shownError(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const shown = new Error(error.message);
  Object.defineProperty(shown, "name", { value: error.name, enumerable: false });
  shown.stack = error.stack;
  return shown;
}
