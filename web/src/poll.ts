import { useEffect } from "preact/hooks";

// Loads with `load` now and, while `again(result)` says so, every `ms` after each answer: the
// live views (a running run, its charts, a served model's drift). Stops when the component
// unmounts or a dependency changes; a failed load goes to `fail` and stops.
export function usePoll<T>(
  load: () => Promise<T>,
  apply: (result: T) => void,
  fail: (e: Error) => void,
  again: (result: T) => boolean,
  ms: number,
  deps: unknown[],
) {
  useEffect(() => {
    let stop = false;
    let timer = 0;
    const tick = () =>
      load().then(
        (r) => {
          if (stop) return;
          apply(r);
          if (again(r)) timer = window.setTimeout(tick, ms);
        },
        (e) => !stop && fail(e),
      );
    tick();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, deps);
}
