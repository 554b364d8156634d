import { spawn, type ChildProcess } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MudClient, SCRIPTS } from "./demo-client.js";
import { waitFor } from "./helpers.js";

const ROOT = path.resolve(import.meta.dirname, "..");
let child: ChildProcess | undefined;
let folder: string | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  child = undefined;
  if (folder) await rm(folder, { recursive: true, force: true });
  folder = undefined;
});

describe("the demo server as a process (what npm start runs)", () => {
  it("starts on --port, serves players, and stops cleanly on Ctrl-C (SIGINT)", async () => {
    folder = await mkdtemp(path.join(tmpdir(), "graft-mud-"));
    await cp(SCRIPTS, folder, { recursive: true });
    // demo/server.ts from source (tsx maps "graft" to host-api/ through tsconfig paths), as npm start runs dist/demo/server.js.
    const server = spawn(process.execPath, ["--import", "tsx", "demo/server.ts", "--port", "0", "--scripts", folder], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    child = server;
    let stdout = "";
    let stderr = "";
    server.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    server.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));

    const port = Number(await waitFor(() => /listening on 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1], 20_000, `the server to listen; stderr: ${stderr}`));
    expect(stdout).toMatch(/^\[load\] \d+ scripts, \d+ classes in \d+ ms/);
    const ann = await MudClient.connect(port, "Ann");
    expect(await ann.command("look")).toContain("== Town Square ==");

    // Ctrl-C with a player still connected.
    server.kill("SIGINT");
    const started = Date.now();
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(stdout).toContain("stopping: closing connections and disposing the VM");
    expect(stdout).toContain("stopped");
    expect(stderr).toBe("");
    await waitFor(() => !ann.connected, 2000, "the client to be disconnected");
  });

  it("serves Chrome DevTools with --inspect=<port> and says how to attach", async () => {
    folder = await mkdtemp(path.join(tmpdir(), "graft-mud-"));
    await cp(SCRIPTS, folder, { recursive: true });
    const server = spawn(process.execPath, ["--import", "tsx", "demo/server.ts", "--port", "0", "--inspect=0", "--scripts", folder], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    child = server;
    let stdout = "";
    server.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    const address = await waitFor(() => /\[inspect\] Chrome DevTools can attach to the scripts on (127\.0\.0\.1:\d+)/.exec(stdout)?.[1], 20_000, "the inspector to listen");
    // The how-to-attach lines are written after the address, maybe in a later chunk.
    await waitFor(() => stdout.includes("chrome://inspect") || undefined, 20_000, "how to attach, with chrome://inspect");
    const targets = (await (await fetch(`http://${address}/json/list`)).json()) as { webSocketDebuggerUrl: string; title: string }[];
    expect(targets).toHaveLength(1);
    expect(stdout).toContain(targets[0]!.webSocketDebuggerUrl);
    expect(targets[0]!.title).toContain(folder);
    server.kill("SIGINT");
    await new Promise((resolve) => server.once("exit", resolve));
  });

  it("says clearly when the port is taken", async () => {
    folder = await mkdtemp(path.join(tmpdir(), "graft-mud-"));
    await cp(SCRIPTS, folder, { recursive: true });
    const net = await import("node:net");
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const server = spawn(process.execPath, ["--import", "tsx", "demo/server.ts", "--port", String(port), "--scripts", folder], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      child = server;
      let stderr = "";
      server.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => server.once("exit", (exitCode) => resolve(exitCode)));
      expect(code).toBe(1);
      expect(stderr).toContain(`port ${port} is already in use; pick another with: npm start -- --port`);
    } finally {
      blocker.close();
    }
  });
});
