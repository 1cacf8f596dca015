import { describe, expect, it } from 'vitest';
import type { Results, TurnsMeasured } from './measured.ts';
import { buildRows, renderTables } from './report.ts';

const turns = (turnsPerS: number): TurnsMeasured =>
  ({ turns_per_s: turnsPerS, agent_connections: 20, failures: 0, result: { p50_ms: 1, p99_ms: 2 } }) as unknown as TurnsMeasured;

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
});
