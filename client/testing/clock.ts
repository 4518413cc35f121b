// One clock for the simulated tabs and the server app they talk to (client/testing/tabs.ts), and
// `settle()` to let promise chains run between steps.
import type { Timers } from '../timers.ts';
import { T0 } from '../../server/testing/deadline-rule.ts';

export { T0 };

/** Lets promise chains (storage, fetch, channel) run; real waiting is at most a few ms. */
export async function settle(rounds = 6): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** One clock for every tab and the server; timers fire in time order as it advances. */
export class FakeClock implements Timers {
  now = T0;
  /** How many timers have fired so far. */
  fired = 0;
  private nextId = 1;
  readonly pending = new Map<number, { at: number; callback: () => void }>();
  setTimeout = (callback: () => void, delayMs: number): number => {
    const id = this.nextId++;
    this.pending.set(id, { at: this.now + Math.max(0, delayMs), callback });
    return id;
  };
  clearTimeout = (id: unknown): void => {
    this.pending.delete(id as number);
  };
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await settle();
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.pending) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.pending.delete(next[0]);
      this.now = Math.max(this.now, next[1].at);
      this.fired++;
      next[1].callback();
    }
    this.now = end;
    await settle();
  }
  /** The machine sleeps: the clock jumps and no timer runs (they fire late, on wake). */
  sleep(ms: number): void {
    this.now += ms;
  }
}
