/**
 * The part of Go's text/template that scripts pass to `skopeo inspect
 * --format`: literal text, `{{.Field}}` / `{{.A.B}}` and `{{json .}}` /
 * `{{json .Field}}`, with `{{- ` / ` -}}` trimming. Anything else (range,
 * if, pipelines, functions) is refused with one line rather than printed
 * wrong. Values print as Go prints them: strings bare, lists as `[a b]`,
 * maps as `map[k:v]`, absent fields as `<no value>`.
 */
import { TugError } from '../errors/index.ts';

const ACTION = /\{\{(-\s)?\s*(.*?)\s*(\s-)?\}\}/gs;
const FIELD = /^\.(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?$/;

function lookup(data: unknown, path: string): unknown {
  let value: unknown = data;
  for (const key of path.split('.').filter(Boolean)) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function goText(value: unknown): string {
  if (value === undefined) return '<no value>';
  if (value === null) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goText).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${goText(v)}`).join(' ')}]`;
  }
  return String(value);
}

/** Renders `template` over `data`; throws a USAGE TugError naming the action it cannot run. */
export function renderGoTemplate(template: string, data: unknown): string {
  let out = '';
  let last = 0;
  for (const m of template.matchAll(ACTION)) {
    let text = template.slice(last, m.index);
    if (m[1]) text = text.replace(/\s+$/, '');
    out += text;
    last = m.index + m[0].length;
    if (m[3]) {
      const rest = template.slice(last);
      last += rest.length - rest.replace(/^\s+/, '').length;
    }
    const action = m[2]!;
    const json = /^json\s+(\S+)$/.exec(action);
    if (json && FIELD.test(json[1]!)) out += JSON.stringify(lookup(data, json[1]!) ?? null);
    else if (FIELD.test(action)) out += goText(lookup(data, action));
    else
      throw new TugError('USAGE', `--format: tug does not run the template action {{${action}}}`, {
        hint: 'use fields ({{.Digest}}, {{.Name}}, {{.Labels.version}}) and {{json .}} / {{json .Field}}; pipe JSON to jq for more',
      });
  }
  return out + template.slice(last);
}
