import type { Domain } from "./session.js";

const ok = () => ({});

/**
 * Domains DevTools' Node frontend switches on when it opens, that graft has nothing for:
 * they answer without error (so the frontend starts cleanly) and send no events. What a
 * user would start from them (CPU profiles) answers an error saying graft does not offer it.
 */
export function quietDomains(): Record<string, Domain> {
  const refuse = (what: string) => () => {
    throw new Error(`graft does not offer ${what}`);
  };
  return {
    Profiler: { methods: { enable: ok, disable: ok, setSamplingInterval: ok, start: refuse("CPU profiles"), stop: refuse("CPU profiles"), startPreciseCoverage: refuse("code coverage"), takePreciseCoverage: refuse("code coverage"), stopPreciseCoverage: ok } },
    NodeRuntime: { methods: { enable: ok, disable: ok, notifyWhenWaitingForDisconnect: ok } },
    NodeWorker: { methods: { enable: ok, disable: ok } },
    Network: { methods: { enable: ok, disable: ok, setAttachDebugStack: ok, setBlockedURLs: ok, emulateNetworkConditionsByRule: ok, overrideNetworkState: ok, clearAcceptedEncodingsOverride: ok, setCacheDisabled: ok, setExtraHTTPHeaders: ok, setUserAgentOverride: ok } },
    Target: { methods: { setAutoAttach: ok, setDiscoverTargets: ok } },
  };
}
