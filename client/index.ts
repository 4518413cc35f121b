// The public entry of `idle-logout/client`. Importing it touches no browser API (safe during
// server-side rendering); everything starts with `startIdleLogout()`.
export { startIdleLogout } from './start.ts';
export type {
  DialogOptions,
  IdleLogoutEvent,
  IdleLogoutEvents,
  IdleLogoutHandle,
  IdleLogoutOptions,
  Phase,
  SignedOutReason,
} from './start.ts';
export type { IdleLogoutSnapshot } from './external-store.ts';
export { DEFAULT_ACTIVITY_EVENTS } from './activity.ts';
export { inactivityNotice } from './strings.ts';
export type { DialogStrings } from './strings.ts';
export { createWorkKeeper } from './keep-work.ts';
export type { WorkKeeper, WorkKeeperOptions } from './keep-work.ts';
// Types of the injectables, for tests and unusual hosts.
export type { SharedStore } from './shared-state.ts';
export type { TabSync, TabSyncFactory, TabSyncHandlers } from './tab-sync.ts';
export type { Timers } from './timers.ts';
export type { Transport } from './transport.ts';
export type { Patch, ServerResult, SharedRecord } from './core.ts';
