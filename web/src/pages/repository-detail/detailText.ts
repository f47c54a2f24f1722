/**
 * The server's English findings of the tags, retention and health views,
 * worded in the user's language (issue 16: no English server text inside
 * the Chinese UI). Each is a table from what the server says to a message
 * key; the server's words stay as the detail (a tooltip or folded text).
 */
import type { RepositoryHealth } from '../../../../src/api/types.ts';
import type { ErrorText } from '../../api/errorText.ts';
import type { MessageKey, Translate } from '../../i18n.tsx';

/**
 * Why a tag list could not be read. The API gives only a sentence
 * (`metadata.error`, errorText of the registry's failure), so it is matched
 * in this order; the first match wins, the last row catches the rest.
 */
const TAG_LIST_FAILURES: readonly [RegExp, MessageKey][] = [
  [/certificate|\btls\b|x509|self[- ]signed/i, 'detail.tags.why.tls'],
  [/\b401\b|\b403\b|unauthori[sz]ed|denied|authenticat|credential/i, 'detail.tags.why.auth'],
  [/\b404\b|NAME_UNKNOWN|not found|does not exist|unknown repository/i, 'detail.tags.why.notFound'],
  [/timed? ?out|timeout|aborted/i, 'detail.tags.why.timeout'],
  [/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|EAI_AGAIN|connect|reach|socket|network|fetch failed/i, 'detail.tags.why.unreachable'],
  [/./, 'detail.tags.why.other'],
];

export function describeTagListError(message: string, t: Translate): ErrorText {
  const key = TAG_LIST_FAILURES.find(([re]) => re.test(message))?.[1] ?? 'detail.tags.why.other';
  return { text: t(key), detail: message };
}

/** A retention plan's `why` (src/server/retention.ts planRetention) to its message. */
const RETENTION_WHY: readonly [RegExp, (m: RegExpMatchArray, t: Translate) => string][] = [
  [/^a Repository mirrors to it$/, (_, t) => t('detail.ret.why.mirrored')],
  [/^not a version$/, (_, t) => t('detail.ret.why.notVersion')],
  [/^no creation time$/, (_, t) => t('detail.ret.why.noCreated')],
  [/^one of the newest (\d+)$/, (m, t) => t('detail.ret.why.newest', { n: m[1]! })],
  [/^its manifest is also a kept or mirrored image$/, (_, t) => t('detail.ret.why.shared')],
];

export function retentionWhy(why: string, t: Translate): ErrorText {
  for (const [re, say] of RETENTION_WHY) {
    const m = why.match(re);
    if (m) return { text: say(m, t), detail: why };
  }
  return { text: t('detail.ret.why.other'), detail: why };
}

/**
 * Why `status.health` is not Healthy, from its structure rather than its
 * English message (src/scheduler/health.ts healthOf decides it from the
 * two sides' answers; a sync sets only `pullable` and the failure).
 */
export function describeHealth(h: RepositoryHealth, t: Translate): ErrorText | undefined {
  const detail = h.message ?? h.mirror?.message ?? h.source?.message;
  const moved = h.source?.ok === true && h.state === 'Degraded';
  let key: MessageKey | undefined;
  if (h.state === 'Unhealthy') key = h.mirror && !h.mirror.ok ? 'detail.hl.mirrorDown' : 'detail.hl.sourceDown';
  else if (h.state === 'Degraded') key = moved ? 'detail.hl.moved' : 'detail.hl.sourceDownMirrorOk';
  else if (h.state === undefined && !h.pullable) key = 'detail.hl.syncFailed';
  if (!key) return undefined;
  return { text: t(key), ...(detail ? { detail } : {}) };
}
