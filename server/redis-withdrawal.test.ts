import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWithdrawal, WITHDRAWAL_WINDOW_MS } from './redis-withdrawal.ts';

describe('createWithdrawal', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  function setup(limitMs: number) {
    const signals: AbortSignal[] = [];
    const commands = createWithdrawal(limitMs, (signal) => (signals.push(signal), signals.length));
    return { commands, signals };
  }

  it('gives the commands of one window one signal, and the next window a new one', () => {
    const { commands, signals } = setup(2_000);
    expect(commands.current()).toBe(1);
    vi.advanceTimersByTime(WITHDRAWAL_WINDOW_MS - 1);
    expect(commands.current()).toBe(1);
    vi.advanceTimersByTime(1);
    expect(commands.current()).toBe(2);
    expect(signals).toHaveLength(2);
  });

  it('aborts a window no sooner than the bound after its last command, and no later than a window after that', () => {
    const { commands, signals } = setup(2_000);
    commands.current(); // the window opens at 0
    vi.advanceTimersByTime(WITHDRAWAL_WINDOW_MS - 1);
    commands.current(); // its last command, at 9
    vi.advanceTimersByTime(2_000);
    expect(signals[0]!.aborted).toBe(false); // 2 009: exactly the bound after the last command
    vi.advanceTimersByTime(1);
    expect(signals[0]!.aborted).toBe(true);
  });

  it('aborts every window with the same reason, not a new DOMException (and its stack trace) each', () => {
    const { commands, signals } = setup(2_000);
    commands.current();
    vi.advanceTimersByTime(WITHDRAWAL_WINDOW_MS);
    commands.current();
    vi.advanceTimersByTime(2_000 + 2 * WITHDRAWAL_WINDOW_MS);
    expect(signals.map((signal) => signal.aborted)).toEqual([true, true]);
    expect(signals[0]!.reason).toBeInstanceOf(Error);
    expect(signals[1]!.reason).toBe(signals[0]!.reason);
  });

  it('makes nothing while no command is given', () => {
    const { commands, signals } = setup(2_000);
    commands.current();
    vi.advanceTimersByTime(60_000);
    expect(signals).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('lets a window hold any number of queued commands without Node warning of a listener leak', async () => {
    vi.useRealTimers();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const { commands, signals } = setup(2_000);
    commands.current();
    for (let i = 0; i < 50; i++) signals[0]!.addEventListener('abort', () => {}, { once: true }); // as node-redis does per queued command
    await new Promise((resolve) => setTimeout(resolve, 10)); // Node emits warnings on a later tick
    process.off('warning', onWarning);
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
  });
});
