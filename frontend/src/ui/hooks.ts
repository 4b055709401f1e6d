/** Hooks that connect the framework-free core objects to Preact views. */
import { useCallback, useEffect, useState } from "preact/hooks";
import { ReauthGate } from "../core/reauth";
import { api } from "./api";

/** Re-render on every notification of `subscribe` (pass a stable, memoised function). */
export function useSubscribe(subscribe: (fn: () => void) => () => void): void {
  const [, setTick] = useState(0);
  useEffect(() => subscribe(() => setTick((t) => t + 1)), [subscribe]);
}

/**
 * A gate that requests answered 401 wait on while the calling view is mounted (it shows the
 * sign-in dialog while `expired`); unmounting fails whatever still waits.
 */
export function useReauthGate(): ReauthGate {
  const [gate] = useState(() => new ReauthGate());
  useSubscribe(useCallback((fn) => gate.subscribe(fn), [gate]));
  useEffect(() => {
    const uninstall = api.onUnauthorized(() => gate.wait());
    return () => {
      uninstall();
      gate.giveUp();
    };
  }, [gate]);
  return gate;
}
