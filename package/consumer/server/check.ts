// Runs the three protocol routes against the app and prints each status, as JSON.
import { app, idle } from './app.js';

const origin = 'http://app.test';
const sameOrigin = { 'Sec-Fetch-Site': 'same-origin', Origin: origin };
const statuses: Record<string, number> = {};

statuses['status signed out'] = (await app.request(`${origin}/session`)).status;
const signIn = await app.request(`${origin}/login`, { method: 'POST', headers: { ...sameOrigin, 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'alice' }) });
statuses['sign in'] = signIn.status;
const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
statuses.status = (await app.request(`${origin}/session`, { headers: { cookie } })).status;
statuses.keepalive = (await app.request(`${origin}/session/keepalive`, { method: 'POST', headers: { ...sameOrigin, cookie, 'Content-Type': 'application/json' }, body: '{"idleMs":0}' })).status;
statuses.logout = (await app.request(`${origin}/session/logout`, { method: 'POST', headers: { ...sameOrigin, cookie } })).status;
statuses['status after logout'] = (await app.request(`${origin}/session`, { headers: { cookie } })).status;
idle.close();
console.log(JSON.stringify(statuses));
