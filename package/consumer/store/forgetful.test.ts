// A store that breaks the contract: its get never hides a session past its deadline. The shipped
// suite must fail it (package/pack.test.ts expects failures from this file).
import { MemorySessionStore, type SessionRecord, type SessionStore } from 'idle-logout/server';
import { describeSessionStoreContract } from 'idle-logout/server/testing';

class ForgetfulStore implements SessionStore {
  readonly #inner = new MemorySessionStore();
  readonly #records = new Map<string, SessionRecord>();
  async get(key: string): Promise<SessionRecord | undefined> {
    return this.#records.get(key);
  }
  async create(key: string, record: SessionRecord): Promise<void> {
    this.#records.set(key, record);
    await this.#inner.create(key, record);
  }
  extend: SessionStore['extend'] = (...args) => this.#inner.extend(...args);
  delete: SessionStore['delete'] = (...args) => this.#inner.delete(...args);
  takeExpired: SessionStore['takeExpired'] = (...args) => this.#inner.takeExpired(...args);
}

describeSessionStoreContract('ForgetfulStore', async () => ({ store: new ForgetfulStore() }));
