// CheckpointSaver with a fake clock and a real Checkpoint file in a temporary directory:
// when a batch is saved at once, when it waits for the second to be over, what flush()
// and cancel() do, and a write that fails.

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Checkpoint } from '../../src/state/checkpoint.js';
import { CheckpointSaver, type SaverClock } from '../../src/state/checkpoint-saver.js';

interface Body {
  n: number;
}

const isBody = (v: unknown): v is Body => typeof (v as Body | null)?.n === 'number';

/** Time moves only when the test says; timers run only when the test runs them. */
class FakeClock implements SaverClock {
  t = 10_000;
  timers: Array<{ fn: () => void; ms: number; cancelled: boolean }> = [];
  now(): number {
    return this.t;
  }
  later(fn: () => void, ms: number): () => void {
    const timer = { fn, ms, cancelled: false };
    this.timers.push(timer);
    return () => (timer.cancelled = true);
  }
  pending(): number[] {
    return this.timers.filter((x) => !x.cancelled).map((x) => x.ms);
  }
  /** Runs the timers not cancelled, as setTimeout would once their time is over. */
  fire(): void {
    const due = this.timers.filter((x) => !x.cancelled);
    this.timers = [];
    for (const x of due) x.fn();
  }
}

describe('CheckpointSaver', () => {
  let dir: string;
  let checkpoint: Checkpoint<Body>;
  let clock: FakeClock;
  let built: Array<number | undefined>;
  let savedAt: number[];
  let logged: string[];
  let saver: CheckpointSaver<Body, number>;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'madman-saver-'));
    checkpoint = new Checkpoint(dir, 'test', isBody);
    clock = new FakeClock();
    built = [];
    savedAt = [];
    logged = [];
    const log = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    saver = new CheckpointSaver(
      checkpoint,
      (position) => {
        built.push(position);
        return { n: position ?? -1 };
      },
      log,
      (at) => savedAt.push(at),
      clock,
    );
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saves the first batch at once, then waits out the second and saves the latest position', async () => {
    saver.saved(1, false);
    await saver.idle();
    expect(checkpoint.load()).to.deep.equal({ n: 1 });
    expect(savedAt).to.deep.equal([10_000]);

    clock.t = 10_400;
    saver.saved(2, false);
    clock.t = 10_700;
    saver.saved(3, false);
    await saver.idle();
    expect(checkpoint.load()).to.deep.equal({ n: 1 });
    // one timer, for what was left of the second at the first deferred batch
    expect(clock.pending()).to.deep.equal([600]);

    clock.t = 11_000;
    clock.fire();
    await saver.idle();
    expect(checkpoint.load()).to.deep.equal({ n: 3 });
    expect(built).to.deep.equal([1, 3]);
    expect(savedAt).to.deep.equal([10_000, 11_000]);
  });

  it('saves at once when only the position moved, even within the second', async () => {
    saver.saved(1, false);
    clock.t = 10_100;
    saver.saved(2, true);
    await saver.idle();
    expect(checkpoint.load()).to.deep.equal({ n: 2 });
    expect(savedAt).to.deep.equal([10_000, 10_100]);
    expect(clock.pending()).to.deep.equal([]);
  });

  it('saves at once when a second has passed since the last save', async () => {
    saver.saved(1, false);
    clock.t = 11_000;
    saver.saved(2, false);
    await saver.idle();
    expect(checkpoint.load()).to.deep.equal({ n: 2 });
    expect(clock.pending()).to.deep.equal([]);
  });

  it('a timer that finds the position already saved does not save again', async () => {
    saver.saved(1, false);
    clock.t = 10_500;
    saver.saved(2, false);
    clock.t = 10_600;
    saver.save(5); // e.g. a counters clear
    clock.t = 11_000;
    clock.fire();
    expect(built).to.deep.equal([1, 5]);
    await saver.idle();
    expect(checkpoint.load()).to.deep.equal({ n: 5 });
  });

  it('flush() drops the pending save and saves the position given', async () => {
    saver.saved(1, false);
    await saver.idle();
    clock.t = 10_200;
    saver.saved(2, false);
    clock.t = 10_300;
    saver.flush(7);
    expect(clock.pending()).to.deep.equal([]);
    await saver.idle();
    expect(checkpoint.load()).to.deep.equal({ n: 7 });
    expect(built).to.deep.equal([1, 7]);
    expect(savedAt).to.deep.equal([10_000, 10_300]);
  });

  it('a write still running when flush() saves synchronously never lands over it', async () => {
    saver.saved(1, false); // written on the thread pool
    saver.flush(9); // at stop: synchronously, while that write may still be running
    await saver.idle();
    expect(checkpoint.load()).to.deep.equal({ n: 9 });
    // and the late write's success is not reported after the newer save
    expect(savedAt).to.deep.equal([10_000]);
  });

  it('cancel() drops the pending save without saving', async () => {
    saver.saved(1, false);
    clock.t = 10_200;
    saver.saved(2, false);
    saver.cancel();
    expect(clock.pending()).to.deep.equal([]);
    await saver.idle();
    expect(checkpoint.load()).to.deep.equal({ n: 1 });
    expect(built).to.deep.equal([1]);
  });

  it('saves nothing when there is no body yet', async () => {
    const empty = new CheckpointSaver<Body, number>(checkpoint, () => undefined, pino({ level: 'silent' }), (at) => savedAt.push(at), clock);
    empty.saved(1, true);
    await saver.idle();
    expect(checkpoint.load()).to.equal(undefined);
    expect(savedAt).to.deep.equal([]);
  });

  it('logs a write that fails, and keeps the position for the next try', async () => {
    saver.saved(1, false);
    await saver.idle();
    rmSync(dir, { recursive: true, force: true });
    clock.t = 10_500;
    saver.saved(2, false);
    clock.t = 11_000;
    clock.fire();
    await saver.idle();
    expect(logged.map((l) => (JSON.parse(l) as { msg: string; file: string }).msg)).to.deep.equal(['cannot write checkpoint']);
    expect((JSON.parse(logged[0]!) as { file: string }).file).to.equal(checkpoint.file);
    expect(savedAt).to.deep.equal([10_000]);
    // the last successful save is still a second ago and more: the next batch is saved at once
    saver.saved(3, false);
    expect(built).to.deep.equal([1, 2, 3]);
    expect(clock.pending()).to.deep.equal([]);
  });
});
