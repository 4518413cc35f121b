/**
 * A promise that starts its work only when someone awaits it (or calls then/catch/finally), and
 * at most once. What `c.var.getSession()` returns is one: a route that never reads the session costs no store
 * call, so pages and assets still load while the store is down. The pattern of sindresorhus's
 * p-lazy: `await` on a Promise subclass calls its `then`, which starts the work.
 *
 * @example
 * const session = new LazyPromise(() => store.get(key, Date.now())); // nothing happens yet
 * await session; // now it runs
 */
export class LazyPromise<T> extends Promise<T> {
  // then() on a derived promise returns a plain Promise, not another lazy one.
  static override get [Symbol.species]() {
    return Promise;
  }

  #start: (() => Promise<T>) | undefined;
  #started: Promise<T> | undefined;

  constructor(start: () => Promise<T>) {
    super((resolve) => resolve(undefined as T)); // never observed: then/catch are overridden
    this.#start = start;
  }

  /** Whether anyone has asked for the value yet. */
  get started(): boolean {
    return this.#started !== undefined;
  }

  #run(): Promise<T> {
    if (this.#started === undefined) {
      const start = this.#start!;
      this.#start = undefined;
      this.#started = start();
    }
    return this.#started;
  }

  override then<A = T, B = never>(onFulfilled?: ((value: T) => A | PromiseLike<A>) | null, onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
    return this.#run().then(onFulfilled, onRejected);
  }

  override catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.#run().catch(onRejected);
  }
}
