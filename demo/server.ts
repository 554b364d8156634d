#!/usr/bin/env node
// The demo MUD: `npm start` (or `npm start -- --port 5000`; `-- --items 100000` starts with a world of game
// size for the wizards' @heap and @leaks; `-- --inspect[=port]` serves Chrome DevTools, default port 9229). Ctrl-C stops it cleanly.
import { parseArgs } from "node:util";
import { MAX_CRATES } from "./admin.js";
import { GameServer } from "./game.js";

// `--inspect` alone means the default port, as with node.
const args = process.argv.slice(2).map((arg) => (arg === "--inspect" ? "--inspect=9229" : arg));
const { values } = parseArgs({
  args,
  options: {
    inspect: { type: "string" },
    port: { type: "string", default: "4000" },
    scripts: { type: "string", default: "scripts" },
    wizards: { type: "string", default: "wizard,admin" },
    host: { type: "string", default: "127.0.0.1" },
    items: { type: "string", default: "0" },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, got '${values.port}'`);
  process.exit(2);
}

const items = Number(values.items);
if (!Number.isInteger(items) || items < 0 || items > MAX_CRATES) {
  console.error(`--items must be a whole number of crates from 0 to ${MAX_CRATES}, got '${values.items}'`);
  process.exit(2);
}

const inspect = values.inspect === undefined ? undefined : Number(values.inspect);
if (inspect !== undefined && (!Number.isInteger(inspect) || inspect < 0 || inspect > 65535)) {
  console.error(`--inspect takes a port number (--inspect=9229; 0 picks a free one), got '${values.inspect}'`);
  process.exit(2);
}

let game: GameServer;
try {
  game = await GameServer.start({
    port,
    host: values.host,
    scripts: values.scripts,
    wizards: values.wizards.split(",").map((name) => name.trim().toLowerCase()).filter(Boolean),
    items,
    ...(inspect !== undefined ? { inspect } : {}),
  });
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") console.error(`port ${port} is already in use; pick another with: npm start -- --port 4001`);
  else console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

let stopping = false;
const stop = (): void => {
  if (stopping) {
    console.error("stopping anyway");
    process.exit(130);
  }
  stopping = true;
  console.log("\nstopping: closing connections and disposing the VM");
  game.stop().then(
    () => {
      console.log("stopped");
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
