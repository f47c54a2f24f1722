/** How bundle problems are shown: one line each, naming the thing and the fix. */
import type { BundleProblem } from '../../../bundle/verify.ts';

export function printProblems(problems: readonly BundleProblem[], json: boolean): void {
  for (const p of problems) {
    if (json) process.stdout.write(`${JSON.stringify({ type: 'bundle-problem', ...p })}\n`);
    else process.stderr.write(`${p.subject}: ${p.message}; ${p.fix}\n`);
  }
}
