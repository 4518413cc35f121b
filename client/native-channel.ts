// The script-tag file's stand-in for the broadcast-channel package (vite.config.ts aliases it
// there). That file keeps only the package's native method, and with only that method the package
// is a wrapper around the platform's BroadcastChannel: this is the same wrapper, without the
// method chooser, options and fallbacks it can no longer use (1.4 KB of a 12 KB budget). It speaks
// the package's envelope ({ time, type: 'message', data }), so a tab running the script tag and one
// running the npm build on the same origin still hear each other.

/**
 * The part of the package's `BroadcastChannel` that client/tab-sync.ts uses. Throws where the
 * browser has no BroadcastChannel, as the package's chooser does; tab-sync.ts then goes on without.
 *
 * @example
 * const channel = new BroadcastChannel('idle-logout');
 * channel.onmessage = (data) => console.log(data);
 * await channel.postMessage({ kind: 'stay', at: Date.now() });
 */
export class BroadcastChannel {
  onmessage: ((data: unknown) => void) | null = null;
  readonly #channel: globalThis.BroadcastChannel;

  constructor(name: string) {
    this.#channel = new globalThis.BroadcastChannel(name);
    this.#channel.onmessage = ({ data }: MessageEvent<{ type?: unknown; data?: unknown } | null>) => {
      if (data?.type === 'message') this.onmessage?.(data.data);
    };
  }

  /** Resolves once posted; rejects (never throws: async) after close, like the package. */
  async postMessage(data: unknown): Promise<void> {
    this.#channel.postMessage({ time: Date.now() * 1000, type: 'message', data });
  }

  close(): void {
    this.#channel.close();
  }
}
