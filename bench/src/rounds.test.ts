import { describe, expect, it } from 'vitest';
import type { TurnsMeasured } from './measured.ts';
import { medianRounds, type Measured } from './rounds.ts';

const turns = (turnsPerS: number, failures = 0): Measured =>
  ({ column: 'direct', turns_per_s: turnsPerS, failures, failure_samples: failures ? [`wrong at ${turnsPerS}`] : [] }) as unknown as TurnsMeasured;

describe('medianRounds', () => {
  it("reports each column's median round by the workload's figure", () => {
    const picked = medianRounds({ direct: [turns(300), turns(100), turns(200)], node: [turns(50)] }, 'turns');
    expect((picked.direct as TurnsMeasured).turns_per_s).toBe(200);
    expect((picked.node as TurnsMeasured).turns_per_s).toBe(50);
  });

  it('takes the lower middle of an even count', () => {
    const picked = medianRounds({ direct: [turns(400), turns(100), turns(300), turns(200)] }, 'turns');
    expect((picked.direct as TurnsMeasured).turns_per_s).toBe(200);
  });

  it('keeps the wrong answers of every round on the reported one', () => {
    const picked = medianRounds({ direct: [turns(300), turns(100, 2), turns(200)] }, 'turns');
    expect(picked.direct!.failures).toBe(2);
    expect(picked.direct!.failure_samples).toEqual(['wrong at 100']);
  });
});
