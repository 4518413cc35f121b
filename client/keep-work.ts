/**
 * Keeps what people typed across an idle sign-out (WCAG 2.2 SC 2.2.5, "re-authenticating"): save
 * the values of marked form fields before signing out, restore them after the next sign-in.
 * Opt-in, because the values sit in IndexedDB, unencrypted, until restored, cleared or too old.
 */
import { del, get, update } from 'idb-keyval';
import { check } from './options.ts';

/**
 * idb-keyval's `UseStore` (what its `createStore` returns), spelled out: idb-keyval is bundled into
 * the published client, so its shipped types must not import the package. `tsc` checks the two
 * agree where this one is passed to idb-keyval below.
 */
export type UseStore = <T>(txMode: IDBTransactionMode, callback: (store: IDBObjectStore) => T | PromiseLike<T>) => Promise<T>;

export interface WorkKeeperOptions {
  document: Document;
  /**
   * Fields to keep, or containers (a form, a fieldset, any element) whose fields to keep.
   * Default `[data-idle-logout-keep]`. Fields inside a container marked `data-idle-logout-skip` are left out.
   */
  selector?: string;
  /** First part of the idb-keyval key. Default `"idle-logout-work"`. */
  storageKey?: string;
  /**
   * Who the work belongs to (a user id, not a secret). Work is only restored for the same key, so
   * one person's draft never appears for the next person on a shared computer. Default: none.
   */
  userKey?: string;
  /** Which page the work belongs to. Default: `location.pathname` at the time of each call. */
  pageKey?: string;
  /** Saved work older than this is thrown away instead of restored. Default 24 hours. */
  maxAgeMs?: number;
  /** An idb-keyval store from `createStore(dbName, storeName)`, to namespace it. Default: idb-keyval's own. */
  store?: UseStore;
}

export interface WorkKeeper {
  /**
   * Saves the fields that hold something (an empty one is not work), merged per field with what
   * other tabs of the page saved: a value is replaced only by one edited later, never by an
   * unedited or empty field of another tab. Resolves to the number of this page's fields kept.
   */
  save(): Promise<number>;
  /**
   * Puts saved values back into the fields on this page, dispatching `input` and `change` so
   * frameworks notice; forgets what it restored and keeps the rest (the form may be on a page
   * visited later). Resolves to the number of fields restored.
   */
  restore(): Promise<number>;
  /** Forgets the work saved for this user and page. */
  clear(): Promise<void>;
}

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
type SavedValue = string | string[];
interface SavedWork {
  savedAt: number;
  fields: Record<string, SavedValue>;
  /** When each field was last edited (input in that tab), 0 if never: the later edit wins a merge. */
  editedAt?: Record<string, number>;
}

const FIELDS = 'input,select,textarea';
const KEY_ATTRIBUTE = 'data-idle-logout-keep';
// Never stored, whatever the markup says: secrets, files, and inputs that hold no typing.
const SKIPPED_TYPES = /^(password|hidden|file|submit|reset|button|image)$/;
const SECRET_AUTOCOMPLETE = /password|one-time-code|cc-/;

/**
 * Creates a keeper for the marked fields of `document`. Call `save()` from the SDK's before-sign-out
 * hook and `restore()` once the page has rendered after sign-in.
 *
 * Keys: each field's `data-idle-logout-keep` value, else (radios: name first) its id or name.
 * Checkboxes and radios sharing a key are one group.
 *
 * @example
 * // <textarea data-idle-logout-keep="message"></textarea>
 * const keeper = createWorkKeeper({ document, userKey: currentUser.id });
 * startIdleLogout({ ..., beforeSignOut: async () => { await keeper.save(); } });
 * await keeper.restore();
 */
export function createWorkKeeper(options: WorkKeeperOptions): WorkKeeper {
  const {
    document: doc,
    selector = `[${KEY_ATTRIBUTE}]`,
    storageKey = 'idle-logout-work',
    userKey = '',
    maxAgeMs = 24 * 60 * 60 * 1000,
    store,
  } = options;
  check(maxAgeMs > 0, `maxAgeMs must be a positive number of ms, got ${maxAgeMs}`);

  const recordKey = (): IDBValidKey => [storageKey, userKey, options.pageKey ?? doc.location.pathname];
  // When this tab's user last edited each field. Several tabs of one page save at the same sign-out;
  // this decides whose value of a field is kept. `input` fires for every kind of field.
  const edits = new WeakMap<EventTarget, number>();
  doc.addEventListener('input', (event) => edits.set(event.target!, Date.now()), true);

  /** The kept fields, grouped by key. Throws `IdleLogoutOptionsError` when a field has no key or two fields share one. */
  function collect(): Map<string, Field[]> {
    const groups = new Map<string, Field[]>();
    const seen = new Set<Element>();
    for (const match of doc.querySelectorAll(selector)) {
      const fields = match.matches(FIELDS) ? [match] : match.querySelectorAll(FIELDS);
      for (const element of fields) {
        const field = element as Field;
        if (
          seen.has(field) ||
          SKIPPED_TYPES.test(field.type) ||
          SECRET_AUTOCOMPLETE.test(field.getAttribute('autocomplete') ?? '') ||
          field.closest('[data-idle-logout-skip]')
        ) {
          continue;
        }
        seen.add(field);
        const key =
          field.getAttribute(KEY_ATTRIBUTE) ||
          (field.type === 'radio' ? field.name || field.id : field.id || field.name);
        check(!!key, `cannot keep a <${field.localName}> with no key; give it ${KEY_ATTRIBUTE}="…", an id or a name`);
        const group = groups.get(key);
        if (!group) groups.set(key, [field]);
        else {
          // Checkboxes and radios sharing a key are one group; any other pair is a mistake.
          check(group[0]!.type === field.type && /^(checkbox|radio)$/.test(field.type), `two kept fields share the key "${key}"; give each its own ${KEY_ATTRIBUTE}="…" value`);
          group.push(field);
        }
      }
    }
    return groups;
  }

  return {
    async save() {
      const mine: [string, SavedValue, number][] = [];
      for (const [key, group] of collect()) {
        const first = group[0]!;
        // Checkboxes and radios: the checked values (a radio's one), so unticking one of several that
        // start ticked is kept too. (Earlier builds saved a radio's value as a string: restoreGroup reads both.)
        const value =
          first.type === 'checkbox' || first.type === 'radio'
            ? (group as HTMLInputElement[]).filter((box) => box.checked).map((box) => box.value)
            : first.type === 'select-multiple'
                ? Array.from((first as HTMLSelectElement).selectedOptions, (option) => option.value)
                : first.value;
        if (value.length) mine.push([key, value, Math.max(0, ...group.map((field) => edits.get(field) ?? 0))]);
      }
      if (!mine.length) return 0;
      // One read-write transaction: tabs saving at the same moment merge instead of overwriting.
      await update<SavedWork>(
        recordKey(),
        (saved) => {
          const fresh = saved && Date.now() - saved.savedAt <= maxAgeMs;
          const fields = fresh ? saved.fields : {};
          const editedAt = (fresh && saved.editedAt) || {};
          for (const [key, value, at] of mine) {
            if (key in fields && at <= (editedAt[key] ?? 0)) continue; // another tab's edit is as new
            fields[key] = value;
            editedAt[key] = at;
          }
          return { savedAt: Date.now(), fields, editedAt };
        },
        store,
      );
      return mine.length;
    },

    async restore() {
      const key = recordKey();
      const saved = await get<SavedWork>(key, store);
      if (!saved) return 0;
      if (!(Date.now() - saved.savedAt <= maxAgeMs)) {
        await del(key, store);
        return 0;
      }
      const left = { ...saved.fields };
      let count = 0;
      for (const [fieldKey, group] of collect()) {
        if (!(fieldKey in left)) continue;
        restoreGroup(group, left[fieldKey]!);
        delete left[fieldKey];
        count++;
      }
      if (Object.keys(left).length === 0) await del(key, store);
      // (update, not set: the SDK already ships idb-keyval's update, and nothing else needs set)
      else if (count) await update(key, () => ({ ...saved, fields: left }) satisfies SavedWork, store);
      return count;
    },

    clear: () => del(recordKey(), store),
  };
}

function restoreGroup(group: Field[], value: SavedValue): void {
  const first = group[0]!;
  if (first.type === 'checkbox' || first.type === 'radio') {
    for (const box of group as HTMLInputElement[]) {
      const checked = Array.isArray(value) ? value.includes(box.value) : value === box.value;
      // Only boxes that change hear events, as from a click; a radio is unchecked by checking
      // another in its group, and hears nothing.
      if (box.checked !== checked && (checked || box.type === 'checkbox')) assign(box, 'checked', checked);
    }
  } else if (first.type === 'select-multiple') {
    for (const option of (first as HTMLSelectElement).options) {
      option.selected = Array.isArray(value) && value.includes(option.value);
    }
    notify(first);
  } else if (typeof value === 'string') {
    assign(first, 'value', value);
  }
}

// React replaces `value` and `checked` on each input instance to track them, and ignores an `input`
// event when the tracked value already matches (react-dom's inputValueTracking). Setting through
// the prototype's setter, as a user's typing does, leaves the tracker behind so React sees a change.
function assign(field: Field, property: 'value' | 'checked', value: string | boolean): void {
  const setter = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(field), property)?.set;
  if (setter) setter.call(field, value);
  else Object.assign(field, { [property]: value });
  notify(field);
}

function notify(field: Field): void {
  field.dispatchEvent(new Event('input', { bubbles: true }));
  field.dispatchEvent(new Event('change', { bubbles: true }));
}
