// A short fixed-seed run of each fuzz target (`npm run fuzz` runs long ones): mutated
// real Net-SNMP datagrams (plain and keyed SNMPv3) against the UDP agent, mutated
// AgentX PDUs from a master against the subagent, mutated config, secrets and view
// lines against the config reader. No crash, no exception escaping a handler, no answer
// without the community (or, for SNMPv3, without authentication, Reports aside), the
// agent still answering, the heap flat (a generous bound: the run is short).

import { expect } from 'chai';
import { fuzzAgentx } from '../fuzz/agentx-target.js';
import { fuzzConfig } from '../fuzz/config-target.js';
import { fuzzSnmp } from '../fuzz/snmp-target.js';

const HEAP_BOUND_MIB = 20;

describe('e2e: fuzzing, a short fixed-seed run of each target', function () {
  this.timeout(180000);

  it('SNMP over UDP: 400 mutated datagrams (seed 17)', async () => {
    const r = await fuzzSnmp({ count: 400, seed: 17 });
    expect(r.violations).to.deep.equal([]);
    expect(r.cases).to.equal(400);
    // the fuzz gets past the community and past USM, so the engine itself is fuzzed
    expect(r.detail!['v1/v2c/v3 datagrams answered']).to.be.greaterThan(20);
    expect(r.detail!['keyed SNMPv3 answered']).to.be.greaterThan(20);
    expect(r.heapGrowthMiB).to.be.below(HEAP_BOUND_MIB);
  });

  it('AgentX from the master: 300 mutated PDUs (seed 17)', async () => {
    const r = await fuzzAgentx({ count: 300, seed: 17 });
    expect(r.violations).to.deep.equal([]);
    expect(r.cases).to.equal(300);
    expect(r.answered).to.be.greaterThan(50);
    expect(r.heapGrowthMiB).to.be.below(HEAP_BOUND_MIB);
  });

  it('config, secrets and view lines: 120 mutated files (seed 17)', async () => {
    const r = await fuzzConfig({ count: 120, seed: 17 });
    expect(r.violations).to.deep.equal([]);
    expect(r.cases).to.equal(120);
    expect(r.answered).to.be.greaterThan(0); // some mutants are still valid
    expect(r.heapGrowthMiB).to.be.below(HEAP_BOUND_MIB);
  });
});
