// Runs an action at most once per interval; calls in between are dropped
// (no trailing call). Used for refreshing the policy when the window
// regains focus.

export interface Throttled {
  /** Runs the action unless it ran less than the interval ago; true when it ran. */
  (): boolean;
  /** Forgets the last run, so the next call runs at once. */
  reset(): void;
}

export function throttle(action: () => void, intervalMs: number, now: () => number = () => Date.now()): Throttled {
  let last: number | null = null;
  const call = (() => {
    const time = now();
    if (last !== null && time - last < intervalMs) return false;
    last = time;
    action();
    return true;
  }) as Throttled;
  call.reset = () => {
    last = null;
  };
  return call;
}
