/** Form rules shared by the console's forms; messages through i18n. */
import type { FormRule } from 'antd';
import { REPOSITORY_PATH, TAG, isDuration, isName, isNamespace } from '../format.ts';
import type { Translate } from '../i18n.tsx';

/** Passes an empty value (leave that to `required`) or one whose trimmed text `test` accepts. */
function check(test: (v: string) => boolean, message: string): FormRule {
  return { validator: (_, v: string) => (!v || test(v.trim()) ? Promise.resolve() : Promise.reject(new Error(message))) };
}

export const rules = {
  required: (t: Translate): FormRule => ({ required: true, message: t('common.required') }),
  /** A DNS-1123 subdomain: object names. */
  name: (t: Translate) => check(isName, t('form.err.dns1123')),
  /** A DNS-1123 label: namespaces. */
  namespace: (t: Translate) => check(isNamespace, t('form.err.dns1123label')),
  path: (t: Translate) => check((v) => REPOSITORY_PATH.test(v), t('form.err.path')),
  tag: (t: Translate) => check((v) => TAG.test(v), t('form.err.tag')),
  /** A Go duration of at least `min` (`'10s'`; `minMs` its value). */
  duration: (t: Translate, min: string, minMs: number) => check((v) => isDuration(v, minMs), t('form.err.duration', { min })),
};
