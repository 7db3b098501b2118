// madman's version, from package.json: light enough for every command to read at start.

import { readFileSync } from 'node:fs';

/** The package's version (package.json). */
export const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
