// The rules of the idle-logout client, as one pure function: step(state, event, now) → { state,
// effects }. Nothing here touches the DOM, timers, storage or the network; the shells in this folder
// translate the outside world into events and carry out the effects. Every decision — which phase a
// tab shows, when it must wake up next, whether a keepalive is owed and who sends it, when to warn,
// when to sign out, how to back off after failures — is made here and tested in core.test.ts.
//
// Two kinds of state:
// - `SharedRecord`: one record per origin in IndexedDB, the source of truth for every tab. Tabs never
//   overwrite it blindly; they send a `Patch` that the storage shell applies with `applyPatch` inside
//   one read-write transaction, so concurrent tabs merge instead of clobbering each other.
// - `CoreState`: what this tab knows (its copy of the record, leadership, requests in flight, what
//   it has shown so far).
import { applyHold, holdAt, type HoldPatch, type Holds } from './hold.ts';

/** What a tab shows. `starting` lasts until the server (or a trustworthy stored record) answers. */
export type Phase = 'starting' | 'active' | 'warning' | 'signed-out';

/**
 * Why the session ended: the user was idle, asked to sign out, the server said so (401), or it was
 * ended elsewhere — from another browser, by the app, or replaced at the per-user limit (401
 * `session-revoked` / `session-replaced`).
 */
export type SignedOutReason = 'idle' | 'user' | 'server' | 'revoked';

/** The per-origin record kept in IndexedDB. All times are epoch ms on this machine's clock. */
export interface SharedRecord {
  v: 1;
  /** When the server will end the session unless extended; 0 = not known yet. */
  deadlineAt: number;
  /** The absolute lifetime end; no keepalive extends past it. */
  absoluteDeadlineAt: number;
  idleTimeoutMs: number;
  warningMs: number;
  /** Arrival time of the server answer the deadline comes from (the newest answer wins). */
  serverSeenAt: number;
  /** Request time of the status answer that (re)started this session view; older 401s are ignored. */
  epoch: number;
  /** Last real user activity in any tab (persisted coarsely, see ACTIVITY_PERSIST_STEP_MS). */
  lastActivityAt: number;
  /** First activity not yet covered by the deadline (valid only when > deadlineAt − idleTimeoutMs). */
  pendingSince: number;
  /** When some tab last claimed a keepalive (the claim is the right to send it; the answer may never come). */
  keepaliveClaimedAt: number;
  /** When some tab last claimed a revocation check. */
  checkClaimedAt: number;
  /** When some tab last pressed "stay signed in" (or its activity dismissed the warning). */
  stayAt: number;
  /** 0 while signed in. */
  signedOutAt: number;
  signedOutReason: SignedOutReason | null;
  /** Live and recently ended holds, by tab (hold.ts; absent in records of older versions). */
  holds?: Holds;
}

/**
 * The shared record and a change to it as the public types name them: a custom `SharedStore` or
 * `TabSync` keeps and passes them on as given (both are structured-cloneable); their fields are the
 * SDK's own and may change between versions.
 */
export interface SessionRecord {
  readonly v: number;
}
/** See `SessionRecord`. */
export interface SessionChange {
  readonly kind: string;
}

/** A change a tab wants to make to the shared record; applied atomically by `applyPatch`. */
export type Patch =
  | { kind: 'activity'; at: number }
  | { kind: 'stay'; at: number }
  | { kind: 'claim-keepalive' | 'claim-check'; at: number; minGapMs: number }
  | {
      kind: 'server';
      source: 'status' | 'keepalive';
      requestedAt: number;
      arrivedAt: number;
      remainingMs: number;
      absoluteRemainingMs: number;
      idleTimeoutMs: number;
      warningMs: number;
    }
  | { kind: 'sign-out'; at: number; reason: SignedOutReason; requestedAt?: number }
  | HoldPatch;

/** What a server request ended with, as the transport shell classifies it. */
export type ServerResult =
  | { type: 'live'; remainingMs: number; idleTimeoutMs: number; warningMs: number; absoluteRemainingMs: number }
  /** 401; `revoked`: the session was ended elsewhere (`session-revoked` / `session-replaced`). */
  | { type: 'signed-out'; revoked?: boolean }
  /** 503 (store unavailable), a 5xx, an answer that is not the protocol, or a network error: never success, never sign-out. */
  | { type: 'unreachable'; status: number }
  /**
   * A 4xx other than 401 (403 csrf, 404, 400, 413): the page and the server are not set up for each
   * other. Retrying soon will not help, so slowly; never success, never sign-out. `error` and
   * `message` come from the JSON body when it has them.
   */
  | { type: 'refused'; status: number; error?: string; message?: string };

export type RequestKind = 'status' | 'keepalive' | 'logout';

export type CoreEvent =
  | { type: 'start'; visible: boolean }
  /**
   * The shared record as just read. The shells read it whenever the timer fires or a wake-up event
   * arrives (visibilitychange, pageshow, resume, focus, online, another tab's notification) and when
   * the core asks (`read` effect); every event is followed by `decide`, so a read is also the moment
   * a tab looks again at what is due.
   */
  | { type: 'record-read'; record: SharedRecord | undefined }
  /** This tab's write of a patch of `kind` finished: the record after it, and whether the patch changed it. */
  | { type: 'record-written'; record: SharedRecord | undefined; kind: Patch['kind']; applied: boolean }
  | { type: 'visibility'; visible: boolean }
  | { type: 'leader'; isLeader: boolean }
  /** Real user input in this tab (already throttled by the activity shell). */
  | { type: 'activity'; at: number }
  | { type: 'stay' }
  | { type: 'sign-out' }
  /** The app's `beforeSignOut` hook finished (or timed out). */
  | { type: 'hook-done' }
  | { type: 'response'; kind: RequestKind; requestedAt: number; result: ServerResult };

/** Something a shell must do. */
export type Effect =
  | { type: 'read' }
  /** Apply the patch atomically to the shared record, answer with `record-written`, notify other tabs. */
  | { type: 'write'; patch: Patch }
  | { type: 'request'; kind: 'status' }
  | { type: 'request'; kind: 'keepalive'; idleMs: number }
  | { type: 'request'; kind: 'logout' }
  | { type: 'run-hook'; reason: SignedOutReason }
  /** The phase this tab shows changed. `stayed`: the warning closed because someone chose to stay. */
  | { type: 'phase'; phase: Phase; remainingMs: number; reason: SignedOutReason | null; stayed: boolean }
  /**
   * While warning: refresh the countdown (title, dialog); `visible` tabs also emit the `tick` event.
   * `notice`: why "stay signed in" cannot work now — `final`: the deadline is the absolute
   * lifetime; `unreachable`: this tab's last request could not reach the server (retrying).
   */
  | { type: 'countdown'; remainingMs: number; visible: boolean; notice?: 'final' | 'unreachable' }
  /** This tab's keepalive was answered: the server extended the session. */
  | { type: 'extended'; remainingMs: number }
  | { type: 'reachable'; reachable: boolean }
  /** The server refused a request (a configuration error): report it, once until a request succeeds. */
  | { type: 'error'; kind: RequestKind; status: number; error?: string; message?: string };

export interface CoreConfig {
  /** Whether input while the warning shows counts as "stay signed in". Default false. */
  activityDismissesWarning: boolean;
  /**
   * Whether the app gave a `beforeSignOut` hook. Every tab runs it once per sign-out before it
   * announces "signed out": the tab that carries out an idle or user sign-out runs it before
   * recording it (and before the logout request); every other tab, and after a 401, when it sees
   * the record signed out. So each tab can save its own work.
   */
  hasBeforeSignOut: boolean;
  /**
   * How often visible tabs ask the server whether the session still lives (`GET {base}`, which never
   * extends it), so a session ended elsewhere signs out here within this bound. 0/absent: never.
   */
  revocationCheckMs?: number;
}

export interface CoreState {
  config: CoreConfig;
  started: boolean;
  /** This tab's copy of the shared record (undefined until read). */
  sharedRecord: SharedRecord | undefined;
  /** Whether the record may be shown: a fresh server answer, or a stored record still in the future. */
  trusted: boolean;
  visible: boolean;
  isLeader: boolean;
  /** This tab's own last input (more precise than the persisted one), or the input a hold stands for (see `decide`). */
  localActivityAt: number;
  /** When this tab last read the shared record (or asked to). */
  readAt: number;
  inflight: RequestKind | null;
  awaitingClaim: boolean;
  /** Consecutive failures of the request being retried. */
  failures: number;
  /** When to retry the failed request (0 = nothing to retry). */
  retryAt: number;
  retryKind: RequestKind | null;
  reachable: boolean;
  /** A refusal (4xx) was reported and no request has succeeded since. */
  errorReported: boolean;
  /** A sign-out this tab is carrying out (hook running or write pending). */
  signingOut: SignedOutReason | null;
  /** This tab's `beforeSignOut` hook was started for the current sign-out / is still running. */
  hookStarted: boolean;
  hookRunning: boolean;
  /** What this tab has shown so far, so each change is announced once. */
  shownPhase: Phase;
  /** Warning start (deadline − warningMs) of the warning this tab shows, to recognise a "stay". */
  shownWarningAt: number;
  /** Wall minus monotonic time at the last step: it changes when the wall clock jumps (see `step`). */
  clockOffsetMs: number;
  /** When this tab saw the wall clock jump and asked the server for the time left (0 = not asked). */
  clockCheckAt: number;
}

export interface StepResult {
  state: CoreState;
  effects: Effect[];
  /** Epoch ms at which the shell must wake this tab (one one-shot timer); null = no timer needed. */
  wakeAt: number | null;
}

/**
 * Margin for everything between "a keepalive is owed" and "the server has it": the one-shot timer
 * (hidden tabs align timers to 1 s), a non-leader covering for a frozen leader (LEADER_GRACE_MS),
 * and the round trip.
 */
export const KEEPALIVE_SAFETY_MS = 10_000;
export const MIN_KEEPALIVE_INTERVAL_MS = 1_000;
/** A non-leader tab sends an owed keepalive itself once the leader is this late (frozen, discarded). */
export const LEADER_GRACE_MS = 3_000;
/** Input is written to IndexedDB at most this often per tab; idleMs may be up to this much too large,
 * which only makes the server deadline slightly earlier, never later. */
export const ACTIVITY_PERSIST_STEP_MS = 5_000;
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;
/** Retries after a refusal (4xx) back off to this: a misconfiguration is not fixed in seconds. */
export const REFUSED_BACKOFF_MAX_MS = 300_000;
/** Hidden tabs refresh the title countdown this often instead of every second. */
export const HIDDEN_COUNTDOWN_STEP_MS = 10_000;
/**
 * The wall clock moved this much more (or less) than the monotonic clock between two steps: it
 * jumped (NTP, the user set it) or the machine slept. Both clocks are read together, so real drift
 * is far below this.
 */
export const CLOCK_JUMP_MS = 1_000;
/** After a jump, phase changes wait this long at most for the server's answer, then the local deadline decides. */
export const CLOCK_CHECK_MS = 1_000;
/**
 * Input this long after the last read of the shared record also reads it again: a tab whose timer
 * ran late or whose notifications were missed (frozen, bfcached) catches up at the user's next
 * input, not only at its next wake-up event.
 */
export const REREAD_ON_INPUT_AFTER_MS = 5_000;

/**
 * The minimum time between two keepalives for the whole origin.
 *
 * A keepalive sent at k carries the latest input a, with a > k − I (input older than that would
 * have gone out with the previous keepalive, at most I earlier). The server then sets the deadline to
 * a + T, so the warning would start at a + T − W > k − I + T − W. The next keepalive leaves at the
 * latest at k + I (spacing) plus a lag L (timer, leader grace, round trip). An active user never sees
 * the warning when k + I + L ≤ k − I + T − W, i.e.
 *
 *     I = (T − W − L) / 2        with T = idleTimeoutMs, W = warningMs, L = KEEPALIVE_SAFETY_MS
 *
 * (defaults 300 s and 60 s → one keepalive per 115 s at most, and none without input).
 */
export function keepaliveIntervalMs(idleTimeoutMs: number, warningMs: number): number {
  return Math.max(MIN_KEEPALIVE_INTERVAL_MS, Math.floor((idleTimeoutMs - warningMs - KEEPALIVE_SAFETY_MS) / 2));
}

/** Delay before retry number `failures` (1, 2, 4 … 30 s, or … `maxMs`). */
export function backoffMs(failures: number, maxMs = BACKOFF_MAX_MS): number {
  return Math.min(maxMs, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
}

export function emptyRecord(): SharedRecord {
  return {
    v: 1,
    deadlineAt: 0,
    absoluteDeadlineAt: 0,
    idleTimeoutMs: 0,
    warningMs: 0,
    serverSeenAt: 0,
    epoch: 0,
    lastActivityAt: 0,
    pendingSince: 0,
    keepaliveClaimedAt: 0,
    checkClaimedAt: 0,
    stayAt: 0,
    signedOutAt: 0,
    signedOutReason: null,
  };
}

/**
 * A stored value as a record this version understands, or undefined (anything else is ignored). A
 * record written by the previous version (before a reload, or by a tab not yet reloaded) named the
 * claim times `keepaliveSentAt` and `checkSentAt` (or had no check time): they are read as the
 * claim times, so a keepalive claimed under the old name still spaces the next one.
 */
export function storedRecord(value: unknown): SharedRecord | undefined {
  if ((Object(value) as { v?: unknown }).v !== 1) return undefined; // (Object(): no error on null or a primitive)
  const { keepaliveSentAt, checkSentAt, ...record } = value as SharedRecord & { keepaliveSentAt?: number; checkSentAt?: number };
  return {
    ...record,
    keepaliveClaimedAt: Math.max(record.keepaliveClaimedAt || 0, keepaliveSentAt || 0),
    checkClaimedAt: Math.max(record.checkClaimedAt || 0, checkSentAt || 0),
  };
}

/** The time the current deadline already accounts for: input after it is not yet covered. */
function coveredUntil(r: SharedRecord): number {
  return r.deadlineAt - r.idleTimeoutMs;
}

/** Whether a keepalive could move the deadline: not once it is the absolute lifetime. */
function canExtend(r: SharedRecord): boolean {
  return r.deadlineAt < r.absoluteDeadlineAt;
}

/** Whether the record shows input that no keepalive has carried yet, and a keepalive could help. */
function hasPendingActivity(r: SharedRecord, localActivityAt = 0): boolean {
  const last = Math.max(r.lastActivityAt, localActivityAt);
  return r.deadlineAt > 0 && last > coveredUntil(r) && canExtend(r);
}

/**
 * Applies a patch to the stored record. Runs inside one IndexedDB read-write transaction, so it must
 * merge with whatever another tab wrote in between; returns the new record and whether it changed.
 */
export function applyPatch(stored: unknown, patch: Patch): { record: SharedRecord; applied: boolean } {
  const r = storedRecord(stored) ?? emptyRecord();
  const unchanged = { record: r, applied: false };
  switch (patch.kind) {
    case 'activity': {
      if (r.signedOutAt || patch.at <= r.lastActivityAt) return unchanged;
      const pendingSince = r.pendingSince > coveredUntil(r) ? r.pendingSince : patch.at;
      return { record: { ...r, lastActivityAt: patch.at, pendingSince }, applied: true };
    }
    case 'stay': {
      if (r.signedOutAt) return unchanged;
      return {
        record: {
          ...r,
          stayAt: Math.max(r.stayAt, patch.at),
          lastActivityAt: Math.max(r.lastActivityAt, patch.at),
          keepaliveClaimedAt: Math.max(r.keepaliveClaimedAt, patch.at),
        },
        applied: true,
      };
    }
    case 'claim-keepalive':
    case 'claim-check': {
      // Atomic "compare and set": of two tabs claiming at once, the second sees the first's claim.
      const key = patch.kind === 'claim-check' ? 'checkClaimedAt' : 'keepaliveClaimedAt';
      if (r.signedOutAt || patch.at < r[key] + patch.minGapMs) return unchanged;
      return { record: { ...r, [key]: patch.at }, applied: true };
    }
    case 'server': {
      const deadlineAt = patch.arrivedAt + patch.remainingMs;
      const fields = {
        deadlineAt,
        absoluteDeadlineAt: patch.arrivedAt + patch.absoluteRemainingMs,
        idleTimeoutMs: patch.idleTimeoutMs,
        warningMs: patch.warningMs,
        serverSeenAt: patch.arrivedAt,
      };
      if (r.signedOutAt) {
        // Signed out is final for this session. Only a status answer to a request made after the
        // sign-out can show a new session (the user signed in again); a keepalive never revives.
        if (patch.source !== 'status' || patch.requestedAt <= r.signedOutAt) return unchanged;
        return { record: { ...emptyRecord(), ...fields, epoch: patch.requestedAt }, applied: true };
      }
      // Answers can arrive out of order across tabs: the one that arrived last is the freshest.
      if (patch.arrivedAt < r.serverSeenAt) return unchanged;
      return { record: { ...r, ...fields }, applied: true };
    }
    case 'sign-out': {
      if (r.signedOutAt) return unchanged;
      // An idle sign-out only if the deadline really passed: another tab may have extended it.
      if (patch.reason === 'idle' && !(r.deadlineAt > 0 && patch.at >= r.deadlineAt)) return unchanged;
      // A 401 to a request made before a newer session was seen says nothing about that session.
      if (patch.requestedAt !== undefined && patch.requestedAt < r.epoch) return unchanged;
      return { record: { ...r, signedOutAt: patch.at, signedOutReason: patch.reason }, applied: true };
    }
    case 'hold': {
      const holds = !r.signedOutAt && applyHold(r.holds, patch, coveredUntil(r)); // a hold never outlives its session
      return holds ? { record: { ...r, holds }, applied: true } : unchanged;
    }
    default:
      return unchanged; // a kind of patch from a newer version of the SDK in another tab
  }
}

export function initialState(config: CoreConfig): CoreState {
  return {
    config,
    started: false,
    sharedRecord: undefined,
    trusted: false,
    visible: true,
    isLeader: false,
    localActivityAt: 0,
    readAt: 0,
    inflight: null,
    awaitingClaim: false,
    failures: 0,
    retryAt: 0,
    retryKind: null,
    reachable: true,
    errorReported: false,
    signingOut: null,
    hookStarted: false,
    hookRunning: false,
    shownPhase: 'starting',
    shownWarningAt: 0,
    clockOffsetMs: 0,
    clockCheckAt: 0,
  };
}

/** The phase a tab should show for this state at `now`. */
export function phaseAt(s: CoreState, now: number): Phase {
  const r = s.sharedRecord;
  if (!s.trusted || !r) return 'starting';
  if (r.signedOutAt) return 'signed-out';
  if (r.deadlineAt === 0) return 'starting';
  if (now >= r.deadlineAt) return 'signed-out';
  // "Stay" closes the warning only once the server has moved the deadline: a keepalive that failed
  // must not look like success (and at the absolute lifetime the warning rightly stays).
  if (now >= r.deadlineAt - r.warningMs) return 'warning';
  return 'active';
}

/** Time left until the shared deadline (0 once passed or signed out; null while unknown). */
export function remainingMsAt(s: CoreState, now: number): number | null {
  const r = s.sharedRecord;
  if (!s.trusted || !r || r.deadlineAt === 0) return null;
  if (r.signedOutAt) return 0;
  return Math.max(0, r.deadlineAt - now);
}

/**
 * The one transition function. `now` is the wall clock (epoch ms: deadlines survive sleep);
 * `monoNow` a monotonic clock (`performance.now()`) read at the same moment, or NaN to skip the
 * clock-jump check.
 */
export function step(state: CoreState, event: CoreEvent, now: number, monoNow = NaN): StepResult {
  const effects: Effect[] = [];
  let s: CoreState = { ...state };

  // The wall clock can jump (NTP, a user setting it): 60 s forward would put the local deadline in
  // the past and sign out someone typing. performance.now() does not jump, but stops during sleep
  // on most platforms, so a gap between the two is a jump or a sleep: either way the deadline on
  // this clock may be wrong, and the server (the source of truth) is asked for the time left. Phase
  // changes wait for its answer (see `actingPhase`): after a jump it re-bases the deadline; after a
  // sleep past the deadline it is a 401, so the tab still signs out as soon as it answers.
  // (Only while a session shows: the first steps are 'starting', so the first offset is never compared.)
  if (/^(active|warning)$/.test(s.shownPhase) && Math.abs(now - monoNow - s.clockOffsetMs) > CLOCK_JUMP_MS) {
    s.clockCheckAt = now;
    if (s.inflight !== 'status') send(s, effects, 'status');
  }
  if (monoNow === monoNow) s.clockOffsetMs = now - monoNow;

  switch (event.type) {
    case 'start':
      if (s.started) break;
      s.started = true;
      s.visible = event.visible;
      requestRead(s, effects, now);
      send(s, effects, 'status');
      break;
    case 'record-read':
    case 'record-written':
      s = takeRecord(s, event, now, effects);
      break;
    case 'visibility':
      s.visible = event.visible;
      break;
    case 'leader':
      s.isLeader = event.isLeader;
      break;
    case 'activity':
      s = onActivity(s, event.at, now, effects);
      // The "next input" check: a tab that has not read the record for a while reads it now.
      if (now - s.readAt >= REREAD_ON_INPUT_AFTER_MS) requestRead(s, effects, now);
      break;
    case 'stay':
      // At the absolute lifetime a keepalive cannot help: pressing (or Escape) sends nothing.
      if ((phaseAt(s, now) === 'warning' || phaseAt(s, now) === 'active') && canExtend(s.sharedRecord!)) s = stay(s, now, effects);
      break;
    case 'sign-out':
      if (phaseAt(s, now) !== 'signed-out' && !s.signingOut) s = beginSignOut(s, 'user', effects, now);
      break;
    case 'hook-done':
      s.hookRunning = false;
      if (s.signingOut && !s.sharedRecord?.signedOutAt) {
        effects.push({ type: 'write', patch: { kind: 'sign-out', at: now, reason: s.signingOut } });
      }
      break;
    case 'response':
      s = onResponse(s, event, now, effects);
      break;
  }

  return decide(s, now, effects);
}

function requestRead(s: CoreState, effects: Effect[], now: number): void {
  s.readAt = now;
  effects.push({ type: 'read' });
}

/** A record read, or left by this tab's write: this tab's copy of the shared state from now on. */
function takeRecord(s: CoreState, event: Extract<CoreEvent, { type: 'record-read' | 'record-written' }>, now: number, effects: Effect[]): CoreState {
  s.sharedRecord = storedRecord(event.record);
  const r = s.sharedRecord;
  // A stored record still in the future is this session's state (a reload, a new tab during
  // the warning): show it at once. A stored "signed out" or a passed deadline may belong to an
  // older session, so it waits for the server (no flash of "active", no wrong sign-out).
  if (!s.trusted && r && !r.signedOutAt && r.deadlineAt > now) s.trusted = true;
  if (event.type === 'record-read') s.readAt = now;
  else onWritten(s, event, now, effects);
  if (s.signingOut && r?.signedOutAt) s.signingOut = null; // another tab got there first
  return s;
}

/** What follows this tab's own write: a sign-out it made, or a claim it won or lost. */
function onWritten(s: CoreState, event: Extract<CoreEvent, { type: 'record-written' }>, now: number, effects: Effect[]): void {
  const { kind, applied } = event;
  const r = s.sharedRecord;
  // The server's answer (live or 401) is in the shared record now: the record can be shown.
  if (kind === 'server' || kind === 'sign-out') s.trusted = true;
  if (kind === 'sign-out' && s.signingOut) {
    // This tab made the transition: it alone tells the server (once for the origin). After a
    // 401 the server has already ended the session. A refused idle sign-out means another tab
    // extended the deadline meanwhile: carry on.
    if (applied && s.signingOut !== 'server') {
      endRetries(s); // a keepalive or status retry is moot now; the logout's own start from 1 s
      send(s, effects, 'logout');
    }
    s.signingOut = null;
    if (!r?.signedOutAt) s.hookStarted = false; // refused: a later sign-out runs the hook again
  }
  if (kind === 'claim-keepalive' || kind === 'claim-check') {
    s.awaitingClaim = false;
    if (applied && !s.inflight) {
      if (kind === 'claim-check') send(s, effects, 'status');
      else if (phaseAt(s, now) === 'active') send(s, effects, 'keepalive', idleMsAt(s, now));
    }
  }
}

/** Real input in this tab: it closes the warning (if configured so) or is written for the other tabs. */
function onActivity(s: CoreState, at: number, now: number, effects: Effect[]): CoreState {
  s.localActivityAt = Math.max(s.localActivityAt, at);
  const phase = phaseAt(s, now);
  if (phase === 'warning') return s.config.activityDismissesWarning ? stay(s, now, effects) : s;
  if (phase === 'signed-out' || s.signingOut) return s;
  const r = s.sharedRecord;
  // Write input to the shared record when it is the first not yet covered (other tabs, and the
  // leader, learn a keepalive is owed), and otherwise only every few seconds (IndexedDB cost).
  if (!r || !hasPendingActivity(r) || at - r.lastActivityAt >= ACTIVITY_PERSIST_STEP_MS) {
    effects.push({ type: 'write', patch: { kind: 'activity', at } });
  }
  return s;
}

function idleMsAt(s: CoreState, now: number): number {
  const last = Math.max(s.sharedRecord?.lastActivityAt ?? 0, s.localActivityAt);
  return Math.max(0, now - last);
}

function stay(s: CoreState, now: number, effects: Effect[]): CoreState {
  s.localActivityAt = Math.max(s.localActivityAt, now);
  effects.push({ type: 'write', patch: { kind: 'stay', at: now } });
  // An explicit "stay" is sent at once from this tab, whatever the spacing: the user asked for it.
  // The shared `stayAt` lets every tab say, when its warning closes, that someone chose to stay.
  if (s.inflight !== 'keepalive') send(s, effects, 'keepalive');
  return s;
}

function beginSignOut(s: CoreState, reason: SignedOutReason, effects: Effect[], now: number): CoreState {
  s.signingOut = reason;
  if (s.config.hasBeforeSignOut && !s.hookStarted) {
    s.hookStarted = true;
    s.hookRunning = true;
    effects.push({ type: 'run-hook', reason });
  } else effects.push({ type: 'write', patch: { kind: 'sign-out', at: now, reason } });
  return s;
}

function onResponse(s: CoreState, event: Extract<CoreEvent, { type: 'response' }>, now: number, effects: Effect[]): CoreState {
  const { kind, result } = event;
  if (s.inflight === kind) s.inflight = null;
  if (result.type === 'refused' && !s.errorReported) {
    s.errorReported = true;
    effects.push({ ...result, type: 'error', kind }); // the refusal as the transport gave it (status, error, message)
  }
  if (kind === 'logout') {
    // A logout that failed (offline, 503) leaves the server session alive until its idle timeout,
    // so it is retried while this page lives (it is idempotent); 200 or 401 ends it. The sign-out
    // itself is recorded already: nothing here holds up this tab or the others.
    return result.type === 'signed-out' ? endRetries(s) : retryLater(s, kind, result, now);
  }
  if (result.type === 'live') {
    endRetries(s);
    s.errorReported = false;
    if (!s.reachable) {
      s.reachable = true;
      effects.push({ type: 'reachable', reachable: true });
    }
    // The four figures by name: whatever else a custom Transport's answer carries must not be
    // written to the record that every tab reads and that storage keeps.
    const { remainingMs, absoluteRemainingMs, idleTimeoutMs, warningMs } = result;
    const patch: Patch = { remainingMs, absoluteRemainingMs, idleTimeoutMs, warningMs, kind: 'server', source: kind, requestedAt: event.requestedAt, arrivedAt: now };
    // The write merges the answer into the shared record; every tab (this one too) shows it from there.
    effects.push({ type: 'write', patch });
    // Never after `signed-out`: a late answer cannot revive a session that ended (applyPatch).
    if (kind === 'keepalive' && s.shownPhase !== 'signed-out' && !s.sharedRecord?.signedOutAt) effects.push({ type: 'extended', remainingMs: result.remainingMs });
    return s;
  }
  if (result.type === 'signed-out') {
    endRetries(s);
    s.signingOut = 'server'; // no hook first: the server has already ended the session
    // Past our own deadline (a sleep, checked with the server first) the session ended by being idle.
    // The server's word that the session was ended elsewhere comes first.
    const reason = result.revoked ? 'revoked' : s.sharedRecord && s.sharedRecord.deadlineAt && now >= s.sharedRecord.deadlineAt ? 'idle' : 'server';
    effects.push({ type: 'write', patch: { kind: 'sign-out', at: now, reason, requestedAt: event.requestedAt } });
    return s;
  }
  // Unreachable or refused: never success, never a sign-out. Keep the deadline we have and retry
  // with backoff; the deadline alone decides a sign-out. A refusal is not "unreachable".
  if (result.type === 'unreachable' && s.reachable) {
    s.reachable = false;
    effects.push({ type: 'reachable', reachable: false });
  }
  // A failed revocation check is not retried: the next interval's check is its retry, so the origin
  // sends one per interval also while the server is down (a clock check still retries).
  if (kind === 'status' && s.config.revocationCheckMs && s.shownPhase === 'active' && !s.clockCheckAt) return s;
  return retryLater(s, kind, result, now);
}

function endRetries(s: CoreState): CoreState {
  s.failures = 0;
  s.retryAt = 0;
  s.retryKind = null;
  return s;
}

function retryLater(s: CoreState, kind: RequestKind, result: ServerResult, now: number): CoreState {
  s.failures += 1;
  s.retryAt = now + backoffMs(s.failures, result.type === 'refused' ? REFUSED_BACKOFF_MAX_MS : BACKOFF_MAX_MS);
  s.retryKind = kind;
  return s;
}

/** Records the request as in flight and asks the shell to send it. */
function send(s: CoreState, effects: Effect[], kind: RequestKind, idleMs = 0): void {
  s.inflight = kind;
  effects.push(kind === 'keepalive' ? { type: 'request', kind, idleMs } : { type: 'request', kind });
}

/**
 * After every event: what is owed now, what to show, and when to wake up next — each in its own
 * part below, in this order (a sign-out at the deadline comes before any request it makes moot; the
 * phase is announced before the revocation check, which runs only while `active` shows).
 */
function decide(s: CoreState, now: number, effects: Effect[]): StepResult {
  if (!s.started) return { state: s, effects, wakeAt: null };
  if (s.shownPhase === 'signed-out') return { state: s, effects, wakeAt: retryLogout(s, now, effects) };
  let phase = actingPhase(s, now);
  signOutAtDeadline(s, phase, now, effects);
  holdAsInput(s, phase, now, effects);
  retryFailedRequest(s, phase, now, effects);
  const keepaliveDueAt = claimOwedKeepalive(s, phase, now, effects);
  runHookForSignOutElsewhere(s, effects);
  phase = announcePhase(s, phase, now, effects);
  const checkDueAt = claimRevocationCheck(s, phase, now, effects);
  return { state: s, effects, wakeAt: nextWakeAt(s, phase, now, [keepaliveDueAt, checkDueAt]) };
}

/**
 * A tab that has shown "signed out" is done with this session (the shell has torn it down): it
 * neither shows nor sends anything more, except that it retries its failed logout. Only while the
 * record still says signed out: once a tab has seen a new session (the user signed in again), a
 * logout would end that one. Returns when to wake up for the next retry (null: none).
 */
export function retryLogout(s: CoreState, now: number, effects: Effect[]): number | null {
  if (s.retryKind === 'logout' && s.retryAt <= now && !s.inflight) {
    s.retryAt = 0; // `failures` stays: the next failure backs off further
    s.retryKind = null;
    if (s.sharedRecord?.signedOutAt) send(s, effects, 'logout');
  }
  return s.retryKind === 'logout' ? s.retryAt : null;
}

/**
 * The phase this tab acts on. After a clock jump, nothing changes on the local deadline until the
 * server answered (an answer that arrived since is on the current clock), it cannot be reached, or
 * CLOCK_CHECK_MS passed: until then the phase shown stays (a recorded sign-out still counts).
 */
export function actingPhase(s: CoreState, now: number): Phase {
  const r = s.sharedRecord;
  if (s.clockCheckAt && (!s.reachable || (r && r.serverSeenAt >= s.clockCheckAt) || now >= s.clockCheckAt + CLOCK_CHECK_MS)) s.clockCheckAt = 0;
  return s.clockCheckAt && !r?.signedOutAt ? s.shownPhase : phaseAt(s, now);
}

/**
 * Deadline passed (also after sleep: the late timer or the wake-up event lands here) and nobody
 * recorded the sign-out yet: any tab does it; the write is conditional, so it stays idempotent.
 */
export function signOutAtDeadline(s: CoreState, phase: Phase, now: number, effects: Effect[]): void {
  if (phase === 'signed-out' && s.sharedRecord && !s.sharedRecord.signedOutAt && !s.signingOut) beginSignOut(s, 'idle', effects, now);
}

/**
 * Holds (hold.ts): a live lease is input at every moment and a lapsed or released one input at its
 * end, for every tab, as input in any tab is: keepalives are owed for it as for typing (the holding
 * tab's renewals wake every tab, so each looks again at least once per renewal). A warning while a
 * lease is live (the server could not be reached, or the hold came during it) is answered as "stay
 * signed in", unless the deadline is the absolute lifetime — by the leader, or by any tab once the
 * leader is LEADER_GRACE_MS late (frozen, or no Web Locks) since the warning began or the hold was
 * renewed (every tab looks again then), whichever came later.
 */
export function holdAsInput(s: CoreState, phase: Phase, now: number, effects: Effect[]): void {
  const r = s.sharedRecord;
  const held = holdAt(r?.holds, now);
  s.localActivityAt = Math.max(s.localActivityAt, held.inputAt);
  if (!r || !held.live || phase !== 'warning' || !canExtend(r)) return;
  const warningAt = r.deadlineAt - r.warningMs;
  if (r.stayAt < warningAt && (s.isLeader || now >= Math.max(warningAt, held.renewedAt) + LEADER_GRACE_MS)) stay(s, now, effects);
}

/** Sends a failed request again once its backoff is over, if it is still wanted. */
export function retryFailedRequest(s: CoreState, phase: Phase, now: number, effects: Effect[]): void {
  const { retryKind, sharedRecord: r } = s;
  if (!retryKind || retryKind === 'logout' || s.retryAt > now || s.inflight || phase === 'signed-out') return;
  s.retryAt = 0;
  s.retryKind = null;
  if (retryKind === 'status') {
    send(s, effects, 'status');
  } else if (
    // "stay" was chosen during this warning: keep trying; or input is still not covered.
    (phase === 'warning' && r && r.stayAt >= r.deadlineAt - r.warningMs) ||
    (phase === 'active' && r && hasPendingActivity(r, s.localActivityAt))
  ) {
    send(s, effects, 'keepalive', idleMsAt(s, now));
  }
}

/**
 * Keepalive owed? Only while active, with input not yet covered by the deadline, once per interval
 * for the origin. The leader claims it when due; any other tab covers after LEADER_GRACE_MS. The
 * claim is an atomic write (`applyPatch`): only the tab whose claim applied sends the keepalive.
 * Returns when it falls due (null: not owed, or claimed now — the claim's answer runs `decide` again).
 */
export function claimOwedKeepalive(s: CoreState, phase: Phase, now: number, effects: Effect[]): number | null {
  const r = s.sharedRecord;
  if (phase !== 'active' || !r || s.signingOut || !hasPendingActivity(r, s.localActivityAt)) return null;
  const intervalMs = keepaliveIntervalMs(r.idleTimeoutMs, r.warningMs);
  const spacedAt = Math.max(r.keepaliveClaimedAt, coveredUntil(r)) + intervalMs;
  const pendingSince = r.pendingSince > coveredUntil(r) ? r.pendingSince : s.localActivityAt || now;
  const owedAt = Math.max(spacedAt, pendingSince);
  const dueAt = s.isLeader ? owedAt : owedAt + LEADER_GRACE_MS;
  if (now < dueAt) return dueAt;
  if (!s.inflight && !s.awaitingClaim && !s.retryKind) {
    s.awaitingClaim = true;
    effects.push({ type: 'write', patch: { kind: 'claim-keepalive', at: now, minGapMs: intervalMs } });
  }
  return null;
}

/**
 * Signed out by another tab (or a 401): this tab saves its own work first — if it showed a live
 * session. A page opened after the sign-out has no work at risk, and saving its empty fields would
 * overwrite the work an earlier tab kept.
 */
export function runHookForSignOutElsewhere(s: CoreState, effects: Effect[]): void {
  const r = s.sharedRecord;
  const wasLive = /^(active|warning)$/.test(s.shownPhase);
  if (!r?.signedOutAt || !wasLive || !s.config.hasBeforeSignOut || s.hookStarted) return;
  s.hookStarted = true;
  s.hookRunning = true;
  effects.push({ type: 'run-hook', reason: r.signedOutReason ?? 'idle' });
}

/**
 * Announces a phase change once, and refreshes the countdown while the warning shows. `signed-out`
 * only once it is recorded and this tab's hook is done. Returns the phase now shown.
 */
export function announcePhase(s: CoreState, phase: Phase, now: number, effects: Effect[]): Phase {
  const r = s.sharedRecord;
  const shown = phase === 'signed-out' && (!r?.signedOutAt || s.hookRunning) ? s.shownPhase : phase;
  if (shown !== s.shownPhase) {
    const remainingMs = remainingMsAt(s, now) ?? 0;
    const stayed = s.shownPhase === 'warning' && shown === 'active' && !!r && r.stayAt >= s.shownWarningAt;
    effects.push({ type: 'phase', phase: shown, remainingMs, reason: shown === 'signed-out' ? (r?.signedOutReason ?? 'idle') : null, stayed });
    if (shown === 'warning' && r) s.shownWarningAt = r.deadlineAt - r.warningMs;
    s.shownPhase = shown;
  }
  if (shown === 'warning') {
    const notice = !canExtend(r!) ? 'final' : s.reachable ? undefined : 'unreachable';
    effects.push({ type: 'countdown', remainingMs: remainingMsAt(s, now) ?? 0, visible: s.visible, notice });
  }
  return shown;
}

/**
 * A session ended elsewhere (another browser, the app, the per-user limit) shows only in the
 * answer to a request, and an idle tab sends none: visible tabs ask `GET {base}` (which never
 * extends the session) once per interval for the origin, the claim making it one tab's job as for
 * keepalives. Any server answer (a keepalive too) proves the session lived then. Hidden tabs wait:
 * the shell re-reads on visibilitychange, and a tab that comes back checks if the interval passed.
 * Not during the warning: its deadline comes within warningMs anyway, "stay" asks the server, and
 * each answer would redraw the countdown (an extra tick). Returns when the next check falls due
 * (null: none, or claimed now).
 */
export function claimRevocationCheck(s: CoreState, phase: Phase, now: number, effects: Effect[]): number | null {
  const checkMs = s.config.revocationCheckMs;
  const r = s.sharedRecord;
  if (!checkMs || !s.visible || phase !== 'active' || !r || s.signingOut) return null;
  const dueAt = Math.max(r.checkClaimedAt, r.serverSeenAt) + checkMs;
  if (now < dueAt) return dueAt;
  if (!s.inflight && !s.awaitingClaim && !s.retryKind) {
    s.awaitingClaim = true;
    effects.push({ type: 'write', patch: { kind: 'claim-check', at: now, minGapMs: checkMs } });
  }
  return null; // the claim's answer (or the request's) runs decide again
}

/**
 * The next moment something can change without an outside event: a retry, the end of a clock
 * check, the warning, the deadline, the countdown's next step, and the times in `due` (keepalive,
 * revocation check). Null: no timer needed.
 */
export function nextWakeAt(s: CoreState, phase: Phase, now: number, due: (number | null)[]): number | null {
  const r = s.sharedRecord;
  const candidates: number[] = [];
  if (s.retryKind) candidates.push(s.retryAt);
  if (s.clockCheckAt) candidates.push(s.clockCheckAt + CLOCK_CHECK_MS);
  if (r && s.trusted && !r.signedOutAt && r.deadlineAt > 0) {
    if (phase === 'active' || phase === 'starting') candidates.push(r.deadlineAt - r.warningMs, r.deadlineAt);
    if (phase === 'warning') {
      const remaining = r.deadlineAt - now;
      // The countdown: on each whole second of remaining time while visible (a one-shot timer per
      // second, never an interval); hidden tabs only every HIDDEN_COUNTDOWN_STEP_MS for the title.
      const stepMs = s.visible ? 1_000 : HIDDEN_COUNTDOWN_STEP_MS;
      const nextStep = remaining > 0 ? now + (((remaining - 1) % stepMs) + 1) : now;
      candidates.push(Math.min(nextStep, r.deadlineAt));
    }
    for (const at of due) if (at !== null) candidates.push(at);
  }
  const future = candidates.filter((t) => t > now);
  return future.length ? Math.min(...future) : null;
}
