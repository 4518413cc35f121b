// Setup 1: one listener that does nothing, per dispatched type, where idle-logout listens (window,
// capture, passive) — the floor every activity listener is compared with.
const types = new URLSearchParams(location.search).get('types')?.split(',') ?? [];
const doNothing = (): void => {};
for (const type of types) window.addEventListener(type, doNothing, { passive: true, capture: true });
window.benchHarness.check = async () => ({ ok: types.length > 0, detail: `no-op listener on window for ${types.join(', ')}` });
export {};
