// The public entry of `idle-logout/client`. Importing it touches no browser API (safe during
// server-side rendering); everything starts with `startIdleLogout()`.
export { startIdleLogout } from './start.ts';
export type {
  DialogOptions,
  IdleLogoutEvent,
  IdleLogoutEvents,
  IdleLogoutHandle,
  IdleLogoutHost,
  IdleLogoutOptions,
  Phase,
  SignedOutReason,
} from './start.ts';
export type { IdleLogoutSnapshot } from './external-store.ts';
export { IdleLogoutOptionsError } from './options.ts';
export { DEFAULT_ACTIVITY_EVENTS } from './activity.ts';
export { inactivityNotice } from './strings.ts';
export type { DialogStrings } from './strings.ts';
export { createWorkKeeper } from './keep-work.ts';
export type { WorkKeeper, WorkKeeperOptions } from './keep-work.ts';
// Types of the host's parts (IdleLogoutHost), for tests and unusual hosts. The shared record and its
// changes are opaque to them: a store keeps what it is given, a tab sync passes it on.
import type { SessionChange, SessionRecord } from './core.ts';
import type { SharedStore as Store } from './shared-state.ts';
export type SharedStore = Store<SessionRecord, SessionChange>;
export type { SessionChange, SessionRecord, ServerResult } from './core.ts';
export type { TabSync, TabSyncFactory, TabSyncHandlers } from './tab-sync.ts';
export type { Timers } from './timers.ts';
export type { Transport } from './transport.ts';
