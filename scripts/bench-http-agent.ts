// madman for the HTTP benchmark, in a process of its own: N synthetic channels (as the
// walk benchmark's, plus three error codes each), SNMP on a free loopback UDP port and
// HTTP on a free loopback TCP port. Prints one JSON line when listening:
// {"port":…,"http":"http://127.0.0.1:…/"}. With a Postfix log as third argument it
// reads that log instead (--from-start), for the comparison with postfix_exporter.
//
//   node dist/scripts/bench-http-agent.js CHANNELS STATE_DIR [POSTFIX_LOG]

import { startAgent } from '../src/agent.js';
import { defaults } from '../src/config/config.js';
import { defaultHttpSettings } from '../src/config/http.js';
import { silentLogger } from '../src/log.js';
import { MailSystem } from '../src/model/mail-system.js';
import { filledModel, stopWithBenchmark } from './bench-agent-process.js';

const channels = Number(process.argv[2]);
const stateDir = process.argv[3];
const postfixLog = process.argv[4];
if (!Number.isInteger(channels) || channels < 0 || !stateDir) {
  console.error('usage: bench-http-agent CHANNELS STATE_DIR [POSTFIX_LOG]');
  process.exit(2);
}

let model: MailSystem;
if (postfixLog) model = new MailSystem();
else {
  model = filledModel(channels).model;
  for (const app of model.applications.values()) {
    for (const ch of app.mta?.channels.values() ?? []) {
      model.countError(ch, '4.7.1', 'inbound', 3);
      model.countError(ch, '5.1.1', 'outbound', 2);
      model.countError(ch, '5.7.1', 'inbound', 1);
    }
  }
}
const settings = {
  ...defaults(),
  listen: ['udp:127.0.0.1:0'],
  stateDir,
  http: defaultHttpSettings([{ host: '127.0.0.1', port: 0 }]),
  ...(postfixLog ? { fromStart: true, postfix: { log: postfixLog, queueInterval: 60, contentFilterServices: [] } } : {}),
};
const agent = await startAgent(settings, silentLogger, { model });
stopWithBenchmark(agent);
console.log(JSON.stringify({ port: agent.endpoints[0]!.port, http: agent.http!.urls[0] }));
