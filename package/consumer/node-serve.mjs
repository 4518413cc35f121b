// Node serves the Quick start app (compiled by tsc into out/) with Hono's Node adapter, as the README says.
import { serve } from '@hono/node-server';
import app from './out/runtime/quick-start.js';

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) });
