// Every option the SDK cannot use fails the same way: one error class, a message that names what
// to change (the script tag's data attributes too: script-tag.test.ts).
import { describe, expect, it } from 'vitest';
import { IdleLogoutOptionsError, resolveOptions, type IdleLogoutOptions } from './options.ts';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('IdleLogoutOptionsError', () => {
  it('is what every option check throws, a TypeError whose message names the option', () => {
    for (const [options, name] of [
      [{ endpoint: '' }, '`endpoint`'],
      [{ activityThrottleMs: -1 }, '`activityThrottleMs`'],
      [{ beforeSignOutTimeoutMs: Number.NaN }, '`beforeSignOutTimeoutMs`'],
      [{ revocationCheckMs: Infinity }, '`revocationCheckMs`'],
    ] as const) {
      const error = thrown(() => resolveOptions(options));
      expect(error).toBeInstanceOf(IdleLogoutOptionsError);
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).name).toBe('IdleLogoutOptionsError');
      expect((error as Error).message).toContain(name);
    }
  });

  it('valid options pass with their defaults filled in', () => {
    expect(resolveOptions({ activityThrottleMs: 0 })).toMatchObject({ endpoint: '/session', activityThrottleMs: 0, revocationCheckMs: 60_000, channelName: 'idle-logout' });
    expect(resolveOptions({ dialog: false, countdownInTitle: false })).toMatchObject({ dialog: false, countdownInTitle: false, activityDismissesWarning: false });
  });

  it("reads only the options' own names: startIdleLogout passes the host's parts in the same object", () => {
    const resolved = resolveOptions({ signedOutUrl: '/out', now: () => 0 } as IdleLogoutOptions);
    expect(resolved.signedOutUrl).toBe('/out');
    expect(resolved).not.toHaveProperty('now');
  });
});
