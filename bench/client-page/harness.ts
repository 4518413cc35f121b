// The timed loop, loaded as its own script by every page of `npm run bench:client`, so the three
// setups run the very same code and the per-function call counts of a setup's own script (read
// with V8's precise coverage) never include the harness.

/** Each event is created inside the timed loop, as a browser creates one per input. */
const makers: Record<string, (i: number) => Event> = {
  pointermove: (i) =>
    new PointerEvent('pointermove', { bubbles: true, cancelable: true, composed: true, pointerId: 1, pointerType: 'mouse', isPrimary: true, clientX: i & 511, clientY: 200 }),
  mousemove: (i) => new MouseEvent('mousemove', { bubbles: true, cancelable: true, composed: true, clientX: i & 511, clientY: 200 }),
  keydown: () => new KeyboardEvent('keydown', { bubbles: true, cancelable: true, composed: true, key: 'a', code: 'KeyA' }),
};

export interface BenchHarness {
  /**
   * Dispatches `count` events on `document`, cycling through `types`; returns the loop's ms. Each
   * event is created inside the loop, unless `reuse`: then one event per type, made before the
   * timer starts, is dispatched again and again (what is left is dispatch plus the listeners).
   */
  dispatchEvents(types: readonly string[], count: number, reuse?: boolean): number;
  /** Resolves once the setup under test is live (its listeners attached, its session known). */
  ready: Promise<void>;
  /** The setup's own check that its listener ran, as text; called after dispatching. */
  check(): Promise<{ ok: boolean; detail: string }>;
}

declare global {
  interface Window {
    benchHarness: BenchHarness;
  }
}

function dispatchEvents(types: readonly string[], count: number, reuse = false): number {
  const make = types.map((type) => {
    const maker = makers[type];
    if (!maker) throw new Error(`bench: no maker for event type "${type}"`);
    if (!reuse) return maker;
    const event = maker(0);
    return () => event;
  });
  const k = make.length;
  const target = document;
  const startedAt = performance.now();
  for (let i = 0; i < count; i++) target.dispatchEvent(make[i % k]!(i));
  return performance.now() - startedAt;
}

window.benchHarness = {
  dispatchEvents,
  ready: Promise.resolve(),
  check: async () => ({ ok: false, detail: 'the setup script did not install its check' }),
};
