/**
 * What `tug sync` shows a person: the plan (dry run), progress while it
 * runs (an overall line with images done/total, bytes, rate and ETA, plus a
 * line per finished image), and the summary with every failure and its reason.
 */
import type { Estimate } from '../sync/estimate.ts';
import type { ItemResult, SyncEvent } from '../sync/execute.ts';
import type { Plan } from '../sync/plan.ts';
import { SyncTally } from '../sync/tally.ts';
import { formatBytes, formatElapsed, formatRate } from './format.ts';
import { transportLine } from './progress.ts';

type Mode = 'tty' | 'plain' | 'json' | 'quiet';
const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

export function printPlan(plan: Plan, estimate: Estimate, json: boolean): void {
  if (json) {
    for (const [i, item] of plan.items.entries()) out(JSON.stringify({ type: 'plan-item', ...item, bytes: estimate.perItem.get(i)?.bytes ?? 0 }));
    out(JSON.stringify({ type: 'plan', counts: plan.counts, bytes: estimate.bytes, blobs: estimate.blobs }));
    return;
  }
  for (const [i, item] of plan.items.entries()) {
    const e = estimate.perItem.get(i);
    const extra = item.action === 'copy' ? ` (${e?.error ? `cannot estimate: ${e.error}` : `${formatBytes(e?.bytes ?? 0)} in ${e?.blobs ?? 0} new blobs`})` : '';
    out(`${item.action.padEnd(5)} ${item.source} -> ${item.destination}: ${item.reason}${extra}`);
  }
  const c = plan.counts;
  out(`Plan: ${c.copy} to copy, ${c.retag} to retag, ${c.skip} up to date, ${c.fail} failed; ${formatBytes(estimate.bytes)} in ${estimate.blobs} blobs would move. Nothing was written (dry run).`);
}

export interface SyncProgress {
  onEvent(e: SyncEvent): void;
  done(): void;
}

/** `of`: the plan, or the number of its items (a sync run in batches knows only that up front). */
export async function createSyncProgress(mode: Mode, of: Plan | number): Promise<SyncProgress> {
  const total = typeof of === 'number' ? of : of.items.length;
  const started = Date.now();
  let done = 0;
  let bytes = 0;
  const active = new Map<number, string>();
  const overall = () => {
    const elapsed = Date.now() - started;
    const perImage = done > 0 ? elapsed / done : 0;
    const eta = done > 0 && done < total ? ` ETA ${formatElapsed(Math.round(perImage * (total - done)))}` : '';
    return `[${done}/${total}] images, ${formatBytes(bytes)} moved, ${formatRate(bytes, elapsed)}${eta}${active.size ? `; copying ${[...active.values()].slice(0, 3).join(', ')}${active.size > 3 ? ', ...' : ''}` : ''}`;
  };
  const finishLine = (r: ItemResult) => {
    const mark = r.status === 'failed' ? 'FAILED' : r.status;
    const detail = r.status === 'failed' ? `: ${r.error}` : r.status === 'skipped' ? '' : ` (${r.platforms.join(', ')}; ${formatBytes(r.bytes)} in ${r.seconds.toFixed(1)} s)`;
    return `${mark} ${r.source} -> ${r.destination}${detail}`;
  };
  /** Retries, resumes and notices from the registries, as a line. */
  const transportEventLine = (e: SyncEvent): string | undefined => (e.type === 'copy' && e.event.type === 'transport' ? transportLine(e.event.event) : undefined);
  const count = (e: SyncEvent) => {
    if (e.type === 'copy' && e.event.type === 'blob-done' && (e.event.outcome === 'copied' || e.event.outcome === 'rewritten')) bytes += e.event.size;
    if (e.type === 'item-start') active.set(e.index, e.item.source);
    if (e.type === 'item-done') {
      done++;
      active.delete(e.index);
    }
  };

  if (mode === 'json') {
    return {
      onEvent: (e) => {
        if (e.type === 'copy' && e.event.type === 'blob-progress') return;
        out(JSON.stringify(e.type === 'item-done' ? { type: 'item-done', index: e.index, ...e.result } : e));
      },
      done: () => {},
    };
  }
  if (mode === 'quiet') {
    return {
      onEvent: (e) => {
        count(e);
        if (e.type === 'item-done' && e.result.status === 'failed') err(finishLine(e.result));
      },
      done: () => {},
    };
  }
  if (mode === 'tty') {
    const { createLogUpdate } = await import('log-update');
    const live = createLogUpdate(process.stderr, { showCursor: true });
    const timer = setInterval(() => live(overall()), 200);
    timer.unref();
    return {
      onEvent: (e) => {
        count(e);
        const line = e.type === 'item-done' && e.result.status !== 'skipped' ? finishLine(e.result) : transportEventLine(e);
        if (line) {
          live.clear();
          err(line);
          live(overall());
        }
      },
      done: () => {
        clearInterval(timer);
        live.clear();
        live.done();
      },
    };
  }
  const timer = setInterval(() => err(overall()), 5000);
  timer.unref();
  return {
    onEvent: (e) => {
      count(e);
      const line = e.type === 'item-done' ? finishLine(e.result) : transportEventLine(e);
      if (line) err(line);
    },
    done: () => clearInterval(timer),
  };
}

/** `of`: every result, or their tally (src/sync/tally.ts). */
export function printSummary(of: readonly ItemResult[] | SyncTally, ms: number, mode: Mode): void {
  if (mode === 'json') return;
  const t = of instanceof SyncTally ? of : SyncTally.of(of);
  const by = (s: ItemResult['status']) => t.statuses[s];
  const { bytes, rewritten, failed } = t;
  out(`Synced ${t.images} images in ${formatElapsed(ms)}: ${by('copied')} copied, ${by('retagged')} retagged, ${by('skipped')} up to date, ${by('failed')} failed${by('not-run') ? `, ${by('not-run')} not run` : ''}; ${formatBytes(bytes)} moved (${formatRate(bytes, ms)}).`);
  if (rewritten > 0) out(`Rewrote ${rewritten} blob${rewritten === 1 ? '' : 's'} the destination stored with wrong bytes.`);
  if (failed.length) {
    out('Failed:');
    for (const f of failed) out(`  ${f.source} -> ${f.destination}: ${f.error}`);
  }
}
