// idle-logout/server/redis — the Redis (and Valkey) session store for several server instances.
// Web standards only, like idle-logout/server; the app brings its own node-redis client.
export {
  RedisSessionStore,
  type RedisNodeConnection,
  type RedisScriptOptions,
  type RedisSessionClient,
  type RedisSessionStoreOptions,
} from './redis-store.ts';
