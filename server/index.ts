// idle-logout/server — the public server API. Web standards only: runs on Node, Bun, Deno, Workers.
export {
  createIdleSession,
  type ActiveSession,
  type IdleSession,
  type IdleSessionEnv,
  type IdleSessionVariables,
  type RequiredSessionEnv,
  type SessionSummary,
  type SignInArguments,
  type SignInOptions,
} from './idle-session.ts';
export { BACKGROUND_HEADER } from '../protocol/index.ts';
export {
  type EndedSession,
  type IdleSessionOptions,
  type SessionCookieOptions,
} from './options.ts';
export type { EndReason } from './session.ts';
export { IdleSessionOptionsError } from './option-checks.ts';
export { MemorySessionStore, type MemorySessionStoreOptions } from './memory-store.ts';
export {
  SessionStoreFullError,
  SessionStoreUnavailableError,
  type ExpiredSession,
  type RemovalMark,
  type RemovedSession,
  type RevokeSelection,
  type SessionDisplay,
  type SessionLookupResult,
  type SessionRecord,
  type SessionStore,
  type StoredSession,
} from './store.ts';
