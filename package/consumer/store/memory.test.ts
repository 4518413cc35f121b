// A store author's test file: the shipped contract suite against a store (here the package's own).
import { MemorySessionStore } from 'idle-logout/server';
import { describeSessionStoreContract, type StoreUnderTest } from 'idle-logout/server/testing';

const makeStore = async (): Promise<StoreUnderTest> => ({ store: new MemorySessionStore() });
describeSessionStoreContract('MemorySessionStore', makeStore);
