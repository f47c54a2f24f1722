/**
 * A failed request in the user's language (api/errorText.ts), with the
 * server's own message on hover: what every toast, alert and empty state
 * shows instead of `err.message`.
 */
import { useCallback } from 'react';
import { describeError, type ErrorSubject, type ErrorText as Described } from '../api/errorText.ts';
import { useI18n } from '../i18n.tsx';

export function useErrorText(): (err: unknown, subject?: ErrorSubject) => Described {
  const { t } = useI18n();
  return useCallback((err, subject) => describeError(err, t, subject), [t]);
}

/** `text` with the server's words as its tooltip (`prefix` in front, e.g. 加载失败：). */
export function ErrorText({ err, subject, prefix }: { err: unknown; subject?: ErrorSubject; prefix?: string }) {
  const d = useErrorText()(err, subject);
  return (
    <span title={d.detail} data-testid="error-text">
      {prefix}
      {d.text}
    </span>
  );
}
