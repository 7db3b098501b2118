// The package version, read once from package.json (the CLI's --version, sysDescr,
// madmanAgentVersion), without loading anything else.

import { readFileSync } from 'node:fs';

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
