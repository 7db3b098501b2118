// contrib/madman.yml, the example configuration: it passes --check-config as shipped; with
// every setting left out put back (a "#" directly followed by a setting), it still reads,
// so the examples are right too; and it names every key of the schema the loader checks
// files against (walked from configSchema(), so a key added anywhere must be documented).

import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { ALARM_NAMES } from '../../src/alarms/definitions.js';
import { configSchema, settingsFrom } from '../../src/config/config.js';
import { ROOT, run } from '../helpers/harness.js';
import { selfSigned } from '../helpers/probe-support.js';

const EXAMPLE = path.join(ROOT, 'contrib/madman.yml');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');

/** The file with its left-out settings put back: "#" followed by a non-space or by two spaces. */
export function uncommented(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/^(\s*)#(?=[^\s#]|\s\s)/, '$1'))
    .join('\n');
}

interface Schema {
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  then?: Schema;
  else?: Schema;
}

/** Every key path a schema allows: "a.b", "a[].c"; "*" for a map of any names. */
export function schemaPaths(s: Schema, prefix = ''): Set<string> {
  const out = new Set<string>();
  const add = (p: Set<string>) => p.forEach((x) => out.add(x));
  for (const [k, sub] of Object.entries(s.properties ?? {})) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.add(p);
    add(schemaPaths(sub, p));
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    out.add(`${prefix}.*`);
    add(schemaPaths(s.additionalProperties, `${prefix}.*`));
  }
  if (s.items) add(schemaPaths(s.items, `${prefix}[]`));
  for (const sub of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? []), s.then, s.else]) if (sub) add(schemaPaths(sub, prefix));
  return out;
}

/** Every key path of a YAML document, with map keys under `wild` parents written as "*". */
function documentPaths(node: Node | null | undefined, wild: Set<string>, prefix = '', out = new Set<string>()): Set<string> {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const p = wild.has(prefix) ? `${prefix}.*` : prefix ? `${prefix}.${key}` : key;
      out.add(p);
      documentPaths(pair.value as Node, wild, p, out);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) documentPaths(item as Node, wild, `${prefix}[]`, out);
  }
  return out;
}

describe('contrib/madman.yml', function () {
  this.timeout(30000);
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-contrib-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes madman agent --check-config as shipped', async () => {
    const r = await run('node', [CLI, 'agent', '--check-config', EXAMPLE]);
    expect(r.stderr).to.equal('');
    expect([r.code, r.stdout]).to.deep.equal([0, `${EXAMPLE}: OK\n`]);
  });

  it('with every left-out setting put back, still reads (the examples are valid)', () => {
    // The files the examples name must exist: the secrets file (owned by us, private) and
    // the HTTP front end's certificate and key.
    const secrets = path.join(dir, 'secrets');
    writeFileSync(secrets, 'createUser vault SHA-256 "another pass phrase" AES\nhttpUser nms a-long-password\nhttpToken 0123456789abcdef0123\n', { mode: 0o600 });
    const cert = selfSigned();
    const text = uncommented(readFileSync(EXAMPLE, 'utf8'))
      .replaceAll('/etc/madman/secrets', secrets)
      .replace('/etc/madman/http.crt', cert.certFile)
      .replace('/etc/madman/http.key', path.join(cert.dir, 'key.pem'));
    expect(text.split(secrets).length).to.equal(3);
    const f = path.join(dir, 'all.yml');
    writeFileSync(f, text);
    const s = settingsFrom({ config: f });
    // a few of what the examples say, as the agent takes them
    expect(s.probes?.map((p) => `${p.name} ${p.protocol} ${p.host}:${p.port}`)).to.deep.equal([
      'mx smtp 127.0.0.1:25',
      'imap imap 127.0.0.1:143',
      'directory ldap 127.0.0.1:389',
      'webmail http mail.example.org:443',
      'delivery roundtrip 127.0.0.1:143',
    ]);
    expect(s.security?.users.map((u) => u.name)).to.deep.equal(['monitor', 'vault']);
    expect(s.notify.sinks.map((k) => `${k.kind} ${k.host}:${k.port}`)).to.deep.equal([
      'trapsink nms.example.org:162',
      'trap2sink nms.example.org:162',
      'informsink nms.example.org:162',
      'trapsess nms.example.org:162',
      'trapsess nms.example.org:162',
    ]);
    expect(s.alarms.rules.find((r) => r.name === 'diskavail')).to.include({ threshold: 10, clearThreshold: 12, statInterval: 3600, warningInterval: 86400 });
    expect([s.http?.listen, s.http?.auth?.kinds, [...(s.http?.auth?.users.keys() ?? [])], s.http?.tls !== undefined]).to.deep.equal([[{ host: '127.0.0.1', port: 9169 }], ['basic', 'bearer'], ['nms'], true]);
    cert.remove();
  });

  it('names every key of the configuration schema, and no key the schema does not have', async () => {
    // The schema of the agent as shipped, read in a process of its own: tests register
    // sources of their own (test/helpers/tiny-source.ts) in this one.
    const config = pathToFileURL(path.join(ROOT, 'dist/src/config/config.js')).href;
    const r = await run('node', ['--input-type=module', '-e', `import { configSchema } from '${config}'; process.stdout.write(JSON.stringify(configSchema()));`]);
    expect(r.code, r.stderr).to.equal(0);
    const schema = schemaPaths(JSON.parse(r.stdout) as Schema);
    expect([...schemaPaths(configSchema() as Schema)], 'the schema in this process (with test sources) has them all').to.include.members([...schema]);
    const wild = new Set([...schema].filter((p) => p.endsWith('.*')).map((p) => p.slice(0, -2)));
    const doc = parseDocument(uncommented(readFileSync(EXAMPLE, 'utf8')), { uniqueKeys: true });
    expect(doc.errors.map((e) => e.message)).to.deep.equal([]);
    const named = documentPaths(doc.contents, wild);
    expect([...schema].filter((p) => !named.has(p)), 'schema keys the example does not name').to.deep.equal([]);
    expect([...named].filter((p) => !schema.has(p)), 'example keys the schema does not have').to.deep.equal([]);
    // the alarms are a map of names: each one is in it
    const alarms = doc.getIn(['alarms']);
    expect(isMap(alarms) ? alarms.items.map((p) => String((p.key as { value: unknown }).value)) : []).to.deep.equal([...ALARM_NAMES]);
  });
});
