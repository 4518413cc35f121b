// Which session store the demo runs on, from SESSION_STORE (issue D adds "redis").
import { MemorySessionStore, type SessionStore } from '../server/index.ts';
import type { DemoConfig } from './config.ts';

export interface DemoStore {
  store: SessionStore;
  close(): Promise<void>;
}

export async function createDemoStore(config: DemoConfig): Promise<DemoStore> {
  if (config.sessionStore === 'redis') {
    throw new Error('SESSION_STORE=redis is not available yet');
  }
  return { store: new MemorySessionStore(), close: async () => {} };
}
