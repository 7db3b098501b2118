// `node --import THIS` with MADMAN_IMPORTS=FILE: every module the process resolves is
// appended to FILE (import-hooks.ts).

import { register } from 'node:module';

const file = process.env.MADMAN_IMPORTS;
if (file) register('./import-hooks.js', import.meta.url, { data: { file } });
