// The one way the server half checks its options (createIdleSession and the stores): each check
// throws one error class whose message names the option and says what to write instead.

/** A server option is wrong; the message says which and what to change. */
export class IdleSessionOptionsError extends TypeError {
  override readonly name = 'IdleSessionOptionsError';
}

/**
 * Throws `IdleSessionOptionsError` with `${owner}: ${message}` unless `ok`.
 *
 * @example
 * check(basePath.startsWith('/'), 'idle-logout', `basePath must start with "/", got ${JSON.stringify(basePath)}`);
 */
export function check(ok: boolean, owner: string, message: string): asserts ok {
  if (!ok) throw new IdleSessionOptionsError(`${owner}: ${message}`);
}

/**
 * `value` if it is an integer ≥ `min` (0: a duration that may be zero; 1: a positive count or
 * duration), else throws saying so.
 *
 * @example
 * const sweepIntervalMs = integerAtLeast(0, 'idle-logout', 'sweepIntervalMs', options.sweepIntervalMs ?? 1_000);
 */
export function integerAtLeast(min: 0 | 1, owner: string, name: string, value: number, unit = ''): number {
  const kind = min === 0 ? 'non-negative' : 'positive';
  check(Number.isInteger(value) && value >= min, owner, `${name} must be a ${kind} integer${unit}, got ${String(value)}`);
  return value;
}
