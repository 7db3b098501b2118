// The status page's files, served by the agent itself (no CDN: the page works on a host
// without Internet access): web/ of the package, and uPlot from its npm package.
// Read once at start; they are small (about 70 KB together).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  type: string;
  body: Buffer;
}

/** The package's web/ directory (this file runs from dist/src/http/). */
const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../web');

/** Every asset by URL path. */
export function loadAssets(): Map<string, Asset> {
  const require = createRequire(import.meta.url);
  const files: Array<[string, string, string]> = [
    ['/', path.join(WEB, 'status.html'), 'text/html; charset=utf-8'],
    ['/assets/status.js', path.join(WEB, 'status.js'), 'text/javascript; charset=utf-8'],
    ['/assets/status.css', path.join(WEB, 'status.css'), 'text/css; charset=utf-8'],
    ['/assets/uPlot.min.js', require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['/assets/uPlot.min.css', require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
  ];
  return new Map(files.map(([url, file, type]) => [url, { type, body: readFileSync(file) }]));
}
