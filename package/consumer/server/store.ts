// A third-party store's test file: the shipped contract suite, typed (run by Vitest in a real project).
import { MemorySessionStore } from 'idle-logout/server';
import { describeSessionStoreContract, type StoreUnderTest } from 'idle-logout/server/testing';

const makeStore = async (): Promise<StoreUnderTest> => ({ store: new MemorySessionStore() });
export const run = (): void => describeSessionStoreContract('MemorySessionStore', makeStore);
