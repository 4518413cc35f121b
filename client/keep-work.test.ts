// @vitest-environment happy-dom
import 'fake-indexeddb/auto';
import { clear, createStore, get, keys, set } from 'idb-keyval';
import { Window } from 'happy-dom';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { type WorkKeeperOptions, createWorkKeeper } from './keep-work.ts';

const form = `
  <form data-idle-logout-keep>
    <input id="title">
    <textarea name="body"></textarea>
    <select data-idle-logout-keep="colour"><option>red</option><option>green</option></select>
    <select id="tags" multiple><option>a</option><option>b</option><option>c</option></select>
    <input type="checkbox" name="topics" value="news">
    <input type="checkbox" name="topics" value="sport" checked>
    <input type="radio" name="size" id="size-s" value="s" checked>
    <input type="radio" name="size" id="size-l" value="l">
    <input type="password" id="password">
    <input type="hidden" id="csrf" value="token-123">
    <input type="file" id="upload">
    <input id="otp" autocomplete="one-time-code">
    <input id="card" autocomplete="cc-number">
    <fieldset data-idle-logout-skip><input id="ssn"></fieldset>
    <button id="send">Send</button>
  </form>
  <input id="outside">`;

const $ = <T extends Element = HTMLInputElement>(selector: string) => document.querySelector(selector) as unknown as T;

/** What a person does on the form before going idle. */
function fillIn(): void {
  $('#title').value = 'Draft title';
  $<HTMLTextAreaElement>('[name=body]').value = 'Long text';
  $<HTMLSelectElement>('[data-idle-logout-keep=colour]').value = 'green';
  const tags = $<HTMLSelectElement>('#tags');
  tags.options[0]!.selected = true;
  tags.options[2]!.selected = true;
  $('[value=news]').checked = true;
  $('[value=sport]').checked = false;
  $('#size-l').checked = true;
  $('#password').value = 'hunter2-secret';
  $('#otp').value = '424242';
  $('#card').value = '4111111111111111';
  $('#ssn').value = 'AB123456C';
  $('#outside').value = 'not marked';
}

/** Signing out and in again: a brand-new page with the same form. */
function newPage(html = form): void {
  document.body.innerHTML = html;
}

function keeper(options: Partial<WorkKeeperOptions> = {}) {
  return createWorkKeeper({ document, pageKey: '/compose', ...options });
}

beforeEach(() => newPage());
afterEach(() => clear());

describe('createWorkKeeper', () => {
  test('saves marked fields and restores them on a fresh page, then forgets them', async () => {
    fillIn();
    expect(await keeper().save()).toBe(6);
    newPage();
    expect(await keeper().restore()).toBe(6);

    expect($('#title').value).toBe('Draft title');
    expect($<HTMLTextAreaElement>('[name=body]').value).toBe('Long text');
    expect($<HTMLSelectElement>('[data-idle-logout-keep=colour]').value).toBe('green');
    expect(Array.from($<HTMLSelectElement>('#tags').selectedOptions, (o) => o.value)).toEqual(['a', 'c']);
    expect($('[value=news]').checked).toBe(true);
    expect($('[value=sport]').checked).toBe(false);
    expect($('#size-l').checked).toBe(true);
    expect($('#size-s').checked).toBe(false);
    expect($('#outside').value).toBe('');

    expect(await keys()).toEqual([]);
    expect(await keeper().restore()).toBe(0);
  });

  test('never stores passwords, hidden, file, one-time-code, card or skipped fields', async () => {
    fillIn();
    await keeper().save();
    const stored = JSON.stringify(await get(['idle-logout-work', '', '/compose']));
    expect(stored).toContain('Draft title');
    for (const secret of ['hunter2-secret', 'token-123', '424242', '4111111111111111', 'AB123456C', 'not marked']) {
      expect(stored).not.toContain(secret);
    }
    newPage();
    await keeper().restore();
    expect($('#password').value).toBe('');
    expect($('#ssn').value).toBe('');
  });

  test('restoring dispatches bubbling input and change events', async () => {
    fillIn();
    await keeper().save();
    newPage();
    const heard: string[] = [];
    for (const type of ['input', 'change']) {
      document.body.addEventListener(type, (event) => heard.push(`${type}:${(event.target as Element).id || (event.target as HTMLInputElement).name || (event.target as HTMLInputElement).value}`));
    }
    await keeper().restore();
    expect(heard).toContain('input:title');
    expect(heard).toContain('change:title');
    expect(heard).toContain('input:body');
    expect(heard).toContain('change:tags');
    expect(heard).toContain('change:size-l');
    expect(heard).toContain('change:topics');
    // Unchanged boxes and the radio that got unchecked hear nothing, as with a click.
    expect(heard).not.toContain('change:size-s');
  });

  test('sets values the way typing does, so React-style value trackers see the change', async () => {
    fillIn();
    await keeper().save();
    newPage();
    const input = $('#title');
    // What react-dom does: shadow `value` on the instance and remember what was set through it.
    const native = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(input), 'value')!;
    let tracked = '';
    Object.defineProperty(input, 'value', {
      configurable: true,
      get() {
        return native.get!.call(this);
      },
      set(value: string) {
        tracked = value;
        native.set!.call(this, value);
      },
    });
    let frameworkSawChange = false;
    input.addEventListener('input', () => (frameworkSawChange = input.value !== tracked));
    await keeper().restore();
    expect(input.value).toBe('Draft title');
    expect(frameworkSawChange).toBe(true);
  });

  test("one user's work is never restored for another", async () => {
    fillIn();
    await keeper({ userKey: 'alice' }).save();
    newPage();
    expect(await keeper({ userKey: 'bob' }).restore()).toBe(0);
    expect(await keeper().restore()).toBe(0);
    expect($('#title').value).toBe('');
    expect(await keeper({ userKey: 'alice' }).restore()).toBe(6);
    expect($('#title').value).toBe('Draft title');
  });

  test('work belongs to its page (location.pathname by default) and waits there', async () => {
    const happyDOM = (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM;
    happyDOM.setURL('http://localhost/compose');
    fillIn();
    expect(await createWorkKeeper({ document }).save()).toBe(6);
    // Signed in again, the person lands on the home page first: nothing there to restore.
    happyDOM.setURL('http://localhost/home');
    newPage('<input id="title" data-idle-logout-keep>');
    expect(await createWorkKeeper({ document }).restore()).toBe(0);
    expect($('#title').value).toBe('');
    happyDOM.setURL('http://localhost/compose');
    newPage();
    expect(await createWorkKeeper({ document }).restore()).toBe(6);
  });

  test('keeps what it could not restore yet, and forgets each field once restored', async () => {
    fillIn();
    await keeper().save();
    newPage('<div data-idle-logout-keep><input id="title"></div>');
    expect(await keeper().restore()).toBe(1);
    expect($('#title').value).toBe('Draft title');
    newPage();
    expect(await keeper().restore()).toBe(5);
    expect($('#title').value).toBe('');
    expect($<HTMLTextAreaElement>('[name=body]').value).toBe('Long text');
    expect(await keys()).toEqual([]);
  });

  test('clear forgets saved work', async () => {
    fillIn();
    const kept = keeper();
    await kept.save();
    await kept.clear();
    newPage();
    expect(await kept.restore()).toBe(0);
    expect($('#title').value).toBe('');
  });

  test('work older than maxAgeMs is thrown away, not restored', async () => {
    fillIn();
    await keeper().save();
    const key = ['idle-logout-work', '', '/compose'];
    const saved = await get(key);
    await set(key, { ...saved, savedAt: Date.now() - 2 * 60 * 60 * 1000 });
    newPage();
    expect(await keeper({ maxAgeMs: 60 * 60 * 1000 }).restore()).toBe(0);
    expect($('#title').value).toBe('');
    expect(await keys()).toEqual([]);
    expect(() => keeper({ maxAgeMs: 0 })).toThrow(/maxAgeMs must be a positive number/);
  });

  test('works with a custom idb-keyval store and storage key', async () => {
    const store = createStore('my-app', 'drafts');
    fillIn();
    await keeper({ store, storageKey: 'drafts' }).save();
    expect(await keys()).toEqual([]);
    expect(await keys(store)).toEqual([['drafts', '', '/compose']]);
    newPage();
    expect(await keeper().restore()).toBe(0);
    expect(await keeper({ store, storageKey: 'drafts' }).restore()).toBe(6);
    await clear(store);
  });

  test('a custom selector picks the fields', async () => {
    newPage('<input id="a" class="keep"><input id="b">');
    $('#a').value = 'kept';
    $('#b').value = 'dropped';
    expect(await keeper({ selector: '.keep' }).save()).toBe(1);
    newPage('<input id="a" class="keep"><input id="b">');
    await keeper({ selector: '.keep' }).restore();
    expect($('#a').value).toBe('kept');
    expect($('#b').value).toBe('');
  });

  test('a field with no key, or two fields with one key, is an error that says what to do', async () => {
    newPage('<input data-idle-logout-keep>');
    await expect(keeper().save()).rejects.toThrow(/cannot keep a <input> with no key; give it data-idle-logout-keep/);
    newPage('<div data-idle-logout-keep><input name="item"><input name="item"></div>');
    await expect(keeper().save()).rejects.toThrow(/two kept fields share the key "item"/);
  });

  test('saves nothing when there is nothing to keep', async () => {
    newPage('<p>No form here</p>');
    expect(await keeper().save()).toBe(0);
    expect(await keys()).toEqual([]);
  });

  test('a radio saved as a string (as earlier builds did) is restored', async () => {
    await set(['idle-logout-work', '', '/compose'], { savedAt: Date.now(), fields: { size: 'l' } });
    expect(await keeper().restore()).toBe(1);
    expect($('#size-l').checked).toBe(true);
    expect($('#size-s').checked).toBe(false);
  });

  test('an empty field is neither stored nor counted as kept', async () => {
    newPage('<input id="title" data-idle-logout-keep><textarea id="body" data-idle-logout-keep></textarea>');
    expect(await keeper().save()).toBe(0);
    expect(await keys()).toEqual([]);
    $('#title').value = 'Only this';
    expect(await keeper().save()).toBe(1);
    expect((await get(['idle-logout-work', '', '/compose'])).fields).toEqual({ title: 'Only this' });
  });
});

describe('several tabs of one page saving at the same sign-out', () => {
  const page = '<input id="title" data-idle-logout-keep><textarea id="draft" data-idle-logout-keep></textarea>';
  /** Another tab: its own document with the same form, the same page key. */
  function tab() {
    const win = new Window({ url: 'https://app.test/compose' });
    win.document.body.innerHTML = page;
    const doc = win.document as unknown as Document;
    const field = (id: string) => doc.getElementById(id) as HTMLInputElement;
    return {
      keeper: createWorkKeeper({ document: doc, pageKey: '/compose' }),
      /** The user types: the value changes and `input` fires, at `at`. */
      type(id: string, value: string, at: number) {
        vi.spyOn(Date, 'now').mockReturnValue(at);
        field(id).value = value;
        field(id).dispatchEvent(new win.Event('input', { bubbles: true }) as unknown as Event);
        vi.restoreAllMocks();
      },
    };
  }
  const restored = async () => {
    newPage(page);
    await keeper().restore();
    return { title: $('#title').value, draft: $('#draft').value };
  };

  test('a draft in one of three tabs survives the others, in every order of saving', async () => {
    for (const order of [[0, 1, 2], [1, 0, 2], [1, 2, 0]]) {
      const tabs = [tab(), tab(), tab()];
      tabs[0]!.type('draft', 'Dear Sir', Date.now());
      const counts = await Promise.all(order.map((i) => tabs[i]!.keeper.save()));
      expect(counts[order.indexOf(0)]).toBe(1);
      expect(counts.filter((n) => n === 0)).toHaveLength(2); // the empty tabs kept nothing, and say so
      expect(await restored()).toEqual({ title: '', draft: 'Dear Sir' });
    }
  });

  test('different fields from different tabs are merged', async () => {
    const [a, b] = [tab(), tab()];
    a.type('title', 'Complaint', Date.now());
    b.type('draft', 'Dear Sir', Date.now());
    await Promise.all([a.keeper.save(), b.keeper.save()]);
    expect(await restored()).toEqual({ title: 'Complaint', draft: 'Dear Sir' });
  });

  test('two drafts of one field: the one edited last wins, whichever tab saves last', async () => {
    const [early, late] = [tab(), tab()];
    early.type('draft', 'first thoughts', 1_000);
    late.type('draft', 'second thoughts', 2_000);
    await late.keeper.save();
    await early.keeper.save();
    expect((await restored()).draft).toBe('second thoughts');
  });
});
