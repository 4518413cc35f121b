// The demo's settings from the environment, checked so a typo fails loudly at start.
export interface DemoConfig {
  port: number;
  idleTimeoutMs: number;
  warningMs: number;
  sessionStore: 'memory' | 'redis';
  redisUrl: string;
}

function integerFrom(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return value;
}

export function demoConfigFrom(env: Record<string, string | undefined>): DemoConfig {
  const sessionStore = env.SESSION_STORE ?? 'memory';
  if (sessionStore !== 'memory' && sessionStore !== 'redis') {
    throw new Error(`SESSION_STORE must be "memory" or "redis", got ${JSON.stringify(sessionStore)}`);
  }
  return {
    port: integerFrom(env, 'PORT', 3000),
    idleTimeoutMs: integerFrom(env, 'IDLE_TIMEOUT_MS', 300_000),
    warningMs: integerFrom(env, 'WARNING_MS', 60_000),
    sessionStore,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  };
}
