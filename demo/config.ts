// The demo's settings from the environment, checked so a typo fails loudly at start.
export interface DemoConfig {
  port: number;
  idleTimeoutMs: number;
  warningMs: number;
  /** The page's `data-revocation-check-ms`: how soon a session ended elsewhere leaves open tabs (undefined: the SDK's default, 60 s). */
  revocationCheckMs: number | undefined;
  sessionStore: 'memory' | 'redis';
  redisUrl: string;
  /** From TRUST_PROXY=1: the demo runs behind a TLS-terminating proxy that sets X-Forwarded-Proto. */
  trustedProtoHeader: 'x-forwarded-proto' | undefined;
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
  const trustProxy = env.TRUST_PROXY ?? '';
  if (trustProxy !== '' && trustProxy !== '0' && trustProxy !== '1') {
    throw new Error(`TRUST_PROXY must be "1" (behind a TLS-terminating proxy that sets X-Forwarded-Proto) or "0", got ${JSON.stringify(trustProxy)}`);
  }
  return {
    port: integerFrom(env, 'PORT', 3000),
    idleTimeoutMs: integerFrom(env, 'IDLE_TIMEOUT_MS', 300_000),
    warningMs: integerFrom(env, 'WARNING_MS', 60_000),
    revocationCheckMs: env.REVOCATION_CHECK_MS ? integerFrom(env, 'REVOCATION_CHECK_MS', 0) : undefined,
    sessionStore,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    trustedProtoHeader: trustProxy === '1' ? 'x-forwarded-proto' : undefined,
  };
}
