// `npm run demo`: the demo on Node, on the embedded memory store unless SESSION_STORE says otherwise.
import { readFile } from 'node:fs/promises';
import { serve } from '@hono/node-server';
import { createDemoApp } from './app.ts';
import { demoConfigFrom } from './config.ts';
import { createDemoStore } from './store.ts';

const config = demoConfigFrom(process.env);
const dist = new URL('../dist/', import.meta.url);

// `npm run demo` builds before it starts, so each built file is read from disk once.
const builtFiles = new Map<string, Promise<string | undefined>>();
function readBuiltFile(path: string): Promise<string | undefined> {
  let file = builtFiles.get(path);
  if (!file) builtFiles.set(path, (file = readFile(new URL(path, dist), 'utf8').catch(() => undefined)));
  return file;
}

const sessions = await createDemoStore(config);
const { app, idle } = createDemoApp({
  store: sessions.store,
  idleTimeoutMs: config.idleTimeoutMs,
  warningMs: config.warningMs,
  ...(config.trustedProtoHeader ? { trustedProtoHeader: config.trustedProtoHeader } : {}),
  readBuiltFile,
  revocationCheckMs: config.revocationCheckMs,
  onSessionEnd: (ended) => console.log(`session of ${ended.subject} ended: ${ended.reason}`),
});

const server = serve({ fetch: app.fetch, port: config.port }, (info) => {
  console.log(`idle-logout demo on http://localhost:${info.port} (store: ${config.sessionStore}${config.trustedProtoHeader ? ', trusting X-Forwarded-Proto' : ''}, idle ${config.idleTimeoutMs} ms, warning ${config.warningMs} ms)`);
});

function shutDown(): void {
  idle.close();
  server.close(() => {
    sessions.close().finally(() => process.exit(0));
  });
}
process.on('SIGINT', shutDown);
process.on('SIGTERM', shutDown);
