// The HTTP front end is loaded only by an agent that serves HTTP: an agent without
// `http:` never loads prom-client (some 2 MiB of heap), as issue 17 keeps heavy
// libraries away from an idle agent; one with `http:` loads it at start.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { ROOT } from '../helpers/harness.js';
import { packagesLoaded } from '../helpers/packages-loaded.js';

const PROM = /\/node_modules\/(prom-client)\//;

describe('HTTP front end: loaded only when asked for', function () {
  this.timeout(120_000);
  const harness = pathToFileURL(path.join(ROOT, 'dist/test/helpers/harness.js')).href;
  const http = pathToFileURL(path.join(ROOT, 'dist/src/config/http.js')).href;
  /** a script that starts an agent (with `settings`, a JS expression) and stops it */
  const agent = (settings: string) =>
    `const { startTestAgent } = await import('${harness}'); const { defaultHttpSettings } = await import('${http}');
     const a = await startTestAgent({ settings: ${settings} }); await a.stop();`;

  it('an agent without http: loads no prom-client', async () => {
    expect(await packagesLoaded(agent('{}'), PROM)).to.deep.equal([]);
  });

  it('an agent with http: loads it at start', async () => {
    expect(await packagesLoaded(agent("{ http: defaultHttpSettings([{ host: '127.0.0.1', port: 0 }]) }"), PROM)).to.deep.equal(['prom-client']);
  });
});
