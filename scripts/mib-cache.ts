// Parses the MIB modules once so that the tree cache (src/mib/tree-cache.ts) ships with
// the built code: run by `npm run build` and `prepare`.

import { loadMibs } from '../src/mib/loader.js';

const tree = loadMibs();
console.log(`MIB tree cached: ${tree.added.length} objects`);
