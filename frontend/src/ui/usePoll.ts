/** Polling from a view: the admin page's jobs, an import's progress. */
import { useEffect, useRef } from "preact/hooks";

/** Calls `tick` every `intervalMs` while `active`, never overlapping two calls. */
export function usePoll(tick: () => Promise<void>, intervalMs: number, active: boolean): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const loop = async () => {
      try {
        await latest.current();
      } finally {
        if (!stopped) timer = setTimeout(() => void loop(), intervalMs);
      }
    };
    timer = setTimeout(() => void loop(), intervalMs);
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [active, intervalMs]);
}
