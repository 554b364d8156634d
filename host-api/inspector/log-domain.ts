import type { Domain, SessionContext } from "./session.js";

/** The Log domain: graft's reported script errors (reload errors, timer and promise-job errors) as log entries. */
export function logDomain(session: SessionContext): Domain {
  let stop: (() => void) | undefined;
  const close = () => {
    stop?.();
    stop = undefined;
  };
  return {
    methods: {
      enable() {
        stop ??= session.runtime.tapErrors((error) => {
          const context = session.contexts.ofFile(error.position?.file ?? error.file);
          session.event("Log.entryAdded", {
            entry: {
              source: "javascript",
              level: "error",
              text: error.text,
              timestamp: Date.now(),
              url: context?.url ?? error.file,
              lineNumber: error.position ? error.position.line - 1 : undefined,
            },
          });
        });
        return {};
      },
      disable() {
        close();
        return {};
      },
      clear: () => ({}),
      startViolationsReport: () => ({}),
      stopViolationsReport: () => ({}),
    },
    close,
  };
}
