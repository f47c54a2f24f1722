import { useMemo } from 'react';
import { formatBytes } from '../format.ts';
import { useI18n } from '../i18n.tsx';

/** Counts in the user's language's digits and grouping (`1,234`), sizes in binary units as everywhere in Tugboat (`1.5 MiB`). */
export function useNumbers(): { count: (n: number) => string; bytes: (n: number) => string } {
  const { lang } = useI18n();
  return useMemo(() => {
    const f = new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en-US');
    return { count: (n: number) => f.format(n), bytes: (n: number) => formatBytes(n) };
  }, [lang]);
}
