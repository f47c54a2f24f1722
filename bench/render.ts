/**
 * Re-renders docs/benchmarks.md from bench/results/latest.json without
 * re-running anything (after a change to the report's wording or to how
 * targets are judged): every figure still comes from that recorded run.
 *
 *   npm run -s env -- node bench/render.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchmarksMarkdown } from './report.ts';
import type { BenchResults } from './results.ts';
import { judgeTargets } from './results.ts';

const json = fileURLToPath(new URL('results/latest.json', import.meta.url));
const results = JSON.parse(readFileSync(json, 'utf8')) as BenchResults;
results.targets = judgeTargets(results.runs);
writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url)), benchmarksMarkdown(results));
process.stdout.write(`rendered docs/benchmarks.md from the run of ${results.date} (scale ${results.dataSet.scale})\n`);
