/**
 * A refused create shown in the user's language: each 422 cause whose field
 * the form knows gets that field's own message (the server's English stays
 * out of the Chinese UI); a name that exists marks the name field; the rest
 * is the whole error, worded by describeError, for the form's alert.
 */
import type { FormInstance } from 'antd';
import { ApiError } from '../../api/client.ts';
import { describeError, type ErrorText } from '../../api/errorText.ts';
import type { MessageKey, Translate } from '../../i18n.tsx';

/** Server field path -> [form field, its message]. */
export type FieldMessages = Readonly<Record<string, readonly [string, MessageKey]>>;

/** Sets the fields' errors; returns what no field shows (undefined when the fields say it all). */
export function showServerErrors(form: FormInstance, err: unknown, fields: FieldMessages, name: { field: string; value: string }, t: Translate): ErrorText | undefined {
  const described = describeError(err, t);
  if (!(err instanceof ApiError)) return described;
  const set = new Map<string, string>();
  let loose = false;
  for (const c of err.causes) {
    const f = c.field !== undefined ? fields[c.field] : undefined;
    if (f) set.set(f[0], t(f[1]));
    else loose = true;
  }
  if (err.status?.reason === 'AlreadyExists') set.set(name.field, t('admin.exists', { name: name.value }));
  form.setFields([...set].map(([name, message]) => ({ name, errors: [message] })));
  return set.size === 0 || loose ? described : undefined;
}
