import { describe, expect, it } from 'vitest';
import type { IdleMeasured, Results, StreamMeasured, TurnsMeasured } from './measured.ts';
import { buildRows, ratio, renderTables } from './report.ts';

const stream = (charsPerS: number): StreamMeasured => ({ chars_per_s: charsPerS, failures: 0 }) as unknown as StreamMeasured;

const turns = (turnsPerS: number): TurnsMeasured =>
  ({ turns_per_s: turnsPerS, agent_connections: 20, failures: 0, result: { p50_ms: 1, p99_ms: 2 } }) as unknown as TurnsMeasured;

const idle = (asRead: number, collected: number, stillOpen = 10_000, requested = 10_000): IdleMeasured =>
  ({
    rss_per_socket_kib: asRead,
    rss_per_socket_collected_kib: collected,
    still_open: stillOpen,
    failures: 0,
    opened: { requested, opened: stillOpen, refused: 0, errors: 0, open_ms: 3000 },
  }) as unknown as IdleMeasured;

const turnsRow = (results: Results) => buildRows(results, ['node'], []).find((r) => r.figure === 'turns/s')!;

describe('report', () => {
  it('gives gateway/DIRECT, and gateway/FLOOR when the floor was measured', () => {
    const row = turnsRow({ turns: { direct: turns(1000), 'floor-node': turns(500), node: turns(400) } });
    expect(row.base.direct).toBe(1000);
    expect(row.floor.node).toBe(500);
    expect(row.gateway.node).toBe(400);
    expect(row.ratio.node).toBe(0.4);
    expect(row.floorRatio.node).toBe(0.8);
    expect(row.pass.node).toBe(true);
  });

  it('shows FLOOR columns only when a floor was measured', () => {
    const withFloor = renderTables(buildRows({ turns: { direct: turns(1000), 'floor-node': turns(500), node: turns(400) } }, ['node'], []), ['node'], []);
    const header = withFloor.split('\n')[0]!;
    expect(header).toContain('| FLOOR node | gateway node | node/DIRECT | node/FLOOR |');
    expect(withFloor).toContain('| turns | turns/s | 1000 | 500 | 400 | 0.40 | 0.80 |');

    const without = renderTables(buildRows({ turns: { direct: turns(1000), node: turns(300) } }, ['node'], []), ['node'], []);
    expect(without).not.toContain('FLOOR');
    expect(without).toContain('| turns | turns/s | 1000 | 300 | 0.30 | ≥ 0.4 × DIRECT | FAIL |');
  });

  it('judges idle RSS per socket after a full GC, and shows the figure as read beside it', () => {
    const rows = buildRows({ idle: { 'bare-node': idle(5, 3), node: idle(9, 4) } }, [], ['node']);
    const collected = rows.find((r) => r.figure === 'RSS per socket KiB, after a full GC')!;
    expect(collected.ratio.node).toBe(1.33);
    expect(collected.pass.node).toBe(true);
    const asRead = rows.find((r) => r.figure.startsWith('RSS per socket KiB, as read'))!;
    expect(asRead.ratio.node).toBe(1.8);
    expect(asRead.pass.node).toBeUndefined();

    const over = buildRows({ idle: { 'bare-node': idle(5, 3), node: idle(6, 4.6) } }, [], ['node']);
    expect(over.find((r) => r.figure === 'RSS per socket KiB, after a full GC')!.pass.node).toBe(false);
    // A socket lost fails it whatever the memory.
    const lost = buildRows({ idle: { 'bare-node': idle(5, 3), node: idle(5, 3, 9_999) } }, [], ['node']);
    expect(lost.find((r) => r.figure === 'RSS per socket KiB, after a full GC')!.pass.node).toBe(false);
  });

  it('shows a ratio near its target precisely enough to tell which side it is on', () => {
    expect(ratio(5999, 10_000, 0.6)).toBe(0.5999);
    expect(ratio(6004, 10_000, 0.6)).toBe(0.6004);
    expect(ratio(6000, 10_000, 0.6)).toBe(0.6);
    expect(ratio(6789, 10_000, 0.6)).toBe(0.68);
    expect(ratio(15_004, 10_000, 1.5)).toBe(1.5004);
    expect(ratio(5999, 10_000)).toBe(0.6);

    const table = (gateway: number) => renderTables(buildRows({ stream: { direct: stream(10_000), node: stream(gateway) } }, ['node'], []), ['node'], []);
    expect(table(5999)).toContain('| stream | content chars/s | 10000 | 5999 | 0.5999 | ≥ 0.6 × DIRECT | FAIL |');
    expect(table(6000)).toContain('| stream | content chars/s | 10000 | 6000 | 0.60 | ≥ 0.6 × DIRECT | pass |');
    expect(table(7000)).toContain('| stream | content chars/s | 10000 | 7000 | 0.70 | ≥ 0.6 × DIRECT | pass |');
  });

  it('marks a verdict that rests on a window with outside load: pass? and FAIL?', () => {
    const suspect = (m: TurnsMeasured) => ({ ...m, suspect: true }) as TurnsMeasured;
    const render = (results: Results) => renderTables(buildRows(results, ['node'], []), ['node'], []);
    expect(render({ turns: { direct: turns(1000), node: suspect(turns(500)) } })).toContain('| turns | turns/s | 1000 | 500 | 0.50 | ≥ 0.4 × DIRECT | pass? |');
    // DIRECT's window counts as much as the gateway's.
    expect(render({ turns: { direct: suspect(turns(1000)), node: turns(300) } })).toContain('| 0.30 | ≥ 0.4 × DIRECT | FAIL? |');
    expect(render({ turns: { direct: turns(1000), node: turns(500) } })).toContain('| 0.50 | ≥ 0.4 × DIRECT | pass |');
  });

  it('shows counts as whole numbers', () => {
    const table = renderTables(buildRows({ turns: { direct: turns(1000), node: turns(500) } }, ['node'], []), ['node'], []);
    expect(table).toContain('| turns | TCP connections to the agent | 20 | 20 |');
    expect(table).toContain('| turns | wrong answers | 0 | 0 |');
  });

  it('misses the idle target when fewer sockets than it asks for were opened', () => {
    const row = (requested: number, idleSockets: number) =>
      buildRows({ idle: { 'bare-node': idle(5, 3, requested, requested), node: idle(6, 4, requested, requested) } }, [], ['node'], idleSockets).find(
        (r) => r.figure === 'sockets held',
      )!;
    expect(row(10_000, 10_000).pass.node).toBe(true);
    expect(row(5_000, 10_000).pass.node).toBe(false);
    expect(row(5_000, 10_000).target).toBe('all 10,000');
    // A quick run asks for what it opened.
    expect(row(1_000, 0).pass.node).toBe(true);
  });
});
