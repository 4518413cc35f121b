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
  create: SessionStore['create'] = async (key, record, maxPerSubject) => {
    this.#records.set(key, record);
    return this.#inner.create(key, record, maxPerSubject);
  };
  extend: SessionStore['extend'] = (...args) => this.#inner.extend(...args);
  delete: SessionStore['delete'] = (...args) => this.#inner.delete(...args);
  takeExpired: SessionStore['takeExpired'] = (...args) => this.#inner.takeExpired(...args);
  listSubject: SessionStore['listSubject'] = (...args) => this.#inner.listSubject(...args);
  revoke: SessionStore['revoke'] = (...args) => this.#inner.revoke(...args);
  update: SessionStore['update'] = (...args) => this.#inner.update(...args);
}

describeSessionStoreContract('ForgetfulStore', async () => ({ store: new ForgetfulStore() }));
