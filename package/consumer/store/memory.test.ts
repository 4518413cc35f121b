// A store author's test file: the shipped contract suite against a store (here the package's own).
import { MemorySessionStore } from 'idle-logout/server';
import { describeSessionStoreContract, type ContractStoreOptions, type StoreUnderTest } from 'idle-logout/server/testing';

const makeStore = async (options?: ContractStoreOptions): Promise<StoreUnderTest> => ({ store: new MemorySessionStore(options) });
describeSessionStoreContract('MemorySessionStore', makeStore);
