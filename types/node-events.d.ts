// For the declarations build only (tsconfig.build.json compiles without Node's types, so that the
// shipped code cannot lean on Node by accident): the one Node API the Redis store uses, as
// @types/node declares it. Only redis-*.ts may import it (server/portability.test.ts).
declare module 'node:events' {
  export function setMaxListeners(n?: number, ...eventTargets: EventTarget[]): void;
}
