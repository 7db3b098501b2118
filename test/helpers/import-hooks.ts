// Module hooks (node:module register) that append every module URL resolved to a file, so a
// test can tell which modules a process loaded. Registered by import-recorder.ts.

import { appendFileSync } from 'node:fs';

let file = '';

/** Called by register() with its data: where to write. */
export function initialize(data: { file: string }): void {
  file = data.file;
}

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>;

/** Records the URL each import resolves to. */
export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string }> {
  const r = await next(specifier, context);
  appendFileSync(file, `${r.url}\n`);
  return r;
}
