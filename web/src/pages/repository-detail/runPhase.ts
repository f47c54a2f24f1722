import type { RunPhase } from '../../../../src/api/types.ts';

/** The tag colour of a sync run's phase (history table and run log). */
export const PHASE_COLOR: Record<RunPhase, string> = { Succeeded: 'green', Failed: 'red', Running: 'processing', Queued: 'default', Interrupted: 'orange' };
