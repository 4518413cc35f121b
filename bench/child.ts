/**
 * Runs a measurement when its file is the process's entry: as a child of bench/server.ts it sends
 * the result (or the error) over IPC; run by hand it prints JSON. `count` comes from argv[2].
 */
export function runWhenMain(moduleUrl: string, measure: (count: number) => Promise<unknown>, defaultCount: number): void {
  const entry = process.argv[1];
  if (entry === undefined || !moduleUrl.endsWith(entry.replace(/\\/g, '/'))) return;
  measure(Number(process.argv[2] ?? defaultCount)).then(
    (result) => (process.send ? process.send(result) : console.log(JSON.stringify(result))),
    (error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      if (process.send) process.send({ error: message });
      else console.error(message);
      process.exitCode = 1;
    },
  );
}
