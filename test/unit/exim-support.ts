// The lines a real Exim 4.96 wrote (test/fixtures/exim), for the Exim unit tests.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/exim, found from dist/test/unit */
export const EXIM_FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/exim');

/** A fixture file's text. */
export const fixture = (name: string): string => readFileSync(path.join(EXIM_FIXTURES, name), 'utf8');
