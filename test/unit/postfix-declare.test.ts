// PostfixLog.declare(): the queue's MTA made before any line carries the name the log's
// lines give it, so they land on that row (docs/postfix.md, "The queue's MTA from the start").

import os from 'node:os';
import { expect } from 'chai';
import { MailSystem } from '../../src/model/mail-system.js';
import { PostfixLog } from '../../src/sources/postfix/apply.js';
import { parseMessage } from '../../src/sources/postfix/parse.js';
import { checkpointCopy } from './postfix-support.js';

const names = (m: MailSystem) => [...m.applications.values()].map((a) => `${a.index} ${a.name}`);
const CONNECT = 'Nov 29 17:04:47 mx postfix/smtpd[101]: connect from client.example[192.0.2.7]';

describe('unit: PostfixLog.declare', function () {
  it('a file line from the declared host lands on the declared row, keeping the version until master names one', function () {
    const model = new MailSystem();
    const log = new PostfixLog(model);
    const app = log.declare('postfix', 'mx', 'Postfix 3.7.11')!;
    expect(names(model)).to.deep.equal([`${app.index} postfix MTA on mx`]);
    expect([app.version, app.operStatus, app.description]).to.deep.equal(['Postfix 3.7.11', 'up', 'Postfix mail transfer agent (syslog_name postfix) on mx']);
    log.line(CONNECT);
    expect(names(model)).to.deep.equal([`${app.index} postfix MTA on mx`]);
    expect(app.inboundAssociations).to.equal(1);
    expect(log.queueContext('postfix')?.app).to.equal(app);
  });

  it('journal: undefined host means the name a line without a host field gets (this machine\'s)', function () {
    const model = new MailSystem();
    const log = new PostfixLog(model);
    const app = log.declare('postfix', undefined)!;
    expect(app.name).to.equal(`postfix MTA on ${os.hostname()}`);
    expect(app.version).to.equal('');
    log.apply(parseMessage('postfix/smtpd', 101, 'connect from client.example[192.0.2.7]', Date.now())!);
    expect(names(model)).to.deep.equal([`${app.index} postfix MTA on ${os.hostname()}`]);
  });

  it('keeps an MTA of that syslog_name already known (restored), whatever its host', function () {
    const first = new MailSystem();
    const log1 = new PostfixLog(first);
    log1.line(CONNECT);
    const model = checkpointCopy(first);
    const log = new PostfixLog(model);
    log.restore(JSON.parse(JSON.stringify(log1.snapshot())));
    const app = log.declare('postfix', 'other-name', 'Postfix 3.7.11')!;
    expect(names(model)).to.deep.equal([`${app.index} postfix MTA on mx`]);
    // another syslog_name is another instance
    expect(log.declare('postfix-out', 'mx')!.name).to.equal('postfix-out MTA on mx');
    expect(model.applications.size).to.equal(2);
  });
});
