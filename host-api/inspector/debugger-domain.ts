import { createHash } from "node:crypto";
import { ProtocolError } from "./remote-objects.js";
import type { ContextChange, ScriptContext } from "./script-contexts.js";
import type { Domain, SessionContext } from "./session.js";

const NO_PAUSING = "graft does not pause scripts: breakpoints, pausing and stepping are not offered (Sources is read-only). Use console.log, or runtime.evaluate in the Console";

/**
 * The Debugger domain, read-only: each running script version is announced (scriptParsed)
 * with its file URL and its source as the designer wrote it (TypeScript), which is what
 * every stack graft reports is mapped to, so stack links open the right line. Pausing,
 * breakpoints and stepping answer a CDP error saying so, and the first such request of a
 * session also puts a warning saying so in the Console (as a console.warn; the Node frontend
 * does not enable Log): the DevTools frontend drops a breakpoint whose request failed
 * without telling the user why.
 */
export function debuggerDomain(session: SessionContext): Domain {
  const { runtime, contexts } = session;
  let stop: (() => void) | undefined;

  const announce = (context: ScriptContext): void => {
    const source = runtime.engine.sourceOf(context.file) ?? "";
    const lines = source.split("\n");
    session.event("Debugger.scriptParsed", {
      scriptId: context.scriptId,
      url: context.url,
      startLine: 0,
      startColumn: 0,
      endLine: lines.length - 1,
      endColumn: lines[lines.length - 1]!.length,
      executionContextId: context.id,
      hash: createHash("sha256").update(source).digest("hex"),
      isModule: true,
      length: source.length,
      sourceMapURL: "",
      hasSourceURL: false,
      scriptLanguage: "JavaScript",
      embedderName: context.url,
    });
  };
  let warned = false;
  const refuse = (): never => {
    if (!warned) {
      warned = true;
      session.event("Runtime.consoleAPICalled", { type: "warning", args: [{ type: "string", value: NO_PAUSING }], executionContextId: 0, timestamp: Date.now() });
    }
    throw new ProtocolError(NO_PAUSING);
  };
  // The frontend marks itself "pausing" when it asks to pause (its pause button greys out)
  // until the VM reports paused or resumed: "resumed" puts it back to running.
  const refusePause = (): never => {
    session.event("Debugger.resumed", {});
    return refuse();
  };
  const close = () => {
    stop?.();
    stop = undefined;
  };
  return {
    methods: {
      enable() {
        if (!stop) {
          for (const context of contexts.all()) announce(context);
          stop = contexts.onChange((change: ContextChange) => {
            if ("created" in change) announce(change.created);
          });
        }
        return { debuggerId: "graft" };
      },
      disable() {
        close();
        return {};
      },
      getScriptSource(params) {
        const context = contexts.byScriptId(params.scriptId);
        if (!context) throw new ProtocolError(`No script for id: ${String(params.scriptId)} (it may belong to a version that has been replaced)`);
        return { scriptSource: runtime.engine.sourceOf(context.file) ?? "" };
      },
      // The frontend sends its stored choice when it opens; "none" is the only one graft keeps.
      setPauseOnExceptions: (params) => (params.state === "none" ? {} : refuse()),
      setAsyncCallStackDepth: () => ({}),
      setBlackboxPatterns: () => ({}),
      setBlackboxExecutionContexts: () => ({}),
      setBreakpointsActive: () => ({}),
      setSkipAllPauses: () => ({}),
      setInstrumentationBreakpoint: refuse,
      setBreakpointByUrl: refuse,
      setBreakpoint: refuse,
      setBreakpointOnFunctionCall: refuse,
      getPossibleBreakpoints: () => ({ locations: [] }),
      pause: refusePause,
      resume: refuse,
      stepOver: refuse,
      stepInto: refuse,
      stepOut: refuse,
      continueToLocation: refuse,
      evaluateOnCallFrame: refuse,
      setScriptSource: () => {
        throw new ProtocolError("graft does not edit scripts from DevTools: save the file, and graft reloads it");
      },
    },
    close,
  };
}
