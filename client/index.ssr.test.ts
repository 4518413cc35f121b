// Runs in Node with no DOM: importing the client during server-side rendering must be harmless.
import { describe, expect, it } from 'vitest';

describe('server-side rendering', () => {
  it('importing the entries touches no browser API', async () => {
    expect(typeof window).toBe('undefined');
    const client = await import('./index.ts');
    expect(typeof client.startIdleLogout).toBe('function');
    const scriptTag = await import('./script-tag.ts');
    expect(scriptTag.handle).toBeUndefined();
  });

  it('starting without a window says what to do instead', async () => {
    const { startIdleLogout } = await import('./index.ts');
    expect(() => startIdleLogout()).toThrow(/on the client, not during server-side rendering/);
  });
});
