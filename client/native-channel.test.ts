// The script-tag file's stand-in for the broadcast-channel package, on Node's native
// BroadcastChannel (the same API as the browser's).
import { afterEach, describe, expect, it } from 'vitest';
import { BroadcastChannel as StandIn } from './native-channel.ts';

const opened: { close(): void }[] = [];
const open = <T extends { close(): void }>(channel: T): T => (opened.push(channel), channel);
afterEach(() => opened.splice(0).forEach((channel) => channel.close()));

/** The next message a channel hears (as the package's onmessage gets it: the data alone). */
const nextMessage = (channel: StandIn) => new Promise<unknown>((resolve) => (channel.onmessage = resolve));

describe('native-channel (the script tag’s broadcast-channel)', () => {
  it('carries data between two channels of one name, and not to another name', async () => {
    const [a, b, other] = [open(new StandIn('n1')), open(new StandIn('n1')), open(new StandIn('n2'))];
    let otherHeard = false;
    other.onmessage = () => (otherHeard = true);
    const heard = nextMessage(b);
    await a.postMessage({ kind: 'stay', at: 1 });
    expect(await heard).toEqual({ kind: 'stay', at: 1 });
    expect(otherHeard).toBe(false);
  });

  it("speaks the package's envelope both ways, so script-tag and npm tabs hear each other", async () => {
    const standIn = open(new StandIn('n3'));
    const raw = open(new globalThis.BroadcastChannel('n3'));
    const rawHeard = new Promise<unknown>((resolve) => (raw.onmessage = (event) => resolve(event.data)));
    await standIn.postMessage({ kind: 'activity', at: 2 });
    expect(await rawHeard).toMatchObject({ type: 'message', data: { kind: 'activity', at: 2 } });
    const heard = nextMessage(standIn);
    raw.postMessage({ type: 'internal', data: 'ignored' }); // the package's own traffic is not ours
    raw.postMessage({ time: Date.now() * 1000, type: 'message', data: { kind: 'sign-out' } });
    expect(await heard).toEqual({ kind: 'sign-out' });
  });

  it('rejects instead of throwing once closed, and throws where there is no BroadcastChannel', async () => {
    const channel = new StandIn('n4');
    channel.close();
    await expect(channel.postMessage(1)).rejects.toThrow();
    const native = globalThis.BroadcastChannel;
    try {
      (globalThis as { BroadcastChannel?: unknown }).BroadcastChannel = undefined;
      expect(() => new StandIn('n5')).toThrow();
    } finally {
      globalThis.BroadcastChannel = native;
    }
  });
});
