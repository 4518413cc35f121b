// Node serves an app compiled by tsc into out/ (the Quick start's unless another is named) with
// Hono's Node adapter, as the README says.
import { serve } from '@hono/node-server';

const { default: app } = await import(process.argv[2] ?? './out/runtime/quick-start.js');
serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) });
