import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useDebounced } from './useDebounced.ts';

/**
 * A search box bound to the URL's `name` parameter (reload and back keep
 * it): `input` follows every keystroke, `value` is the trimmed text once
 * typing pauses for `ms`, and is what goes into the URL.
 */
export function useSearchParam(name: string, ms = 300): { input: string; setInput: (s: string) => void; value: string } {
  const [params, setParams] = useSearchParams();
  const [input, setInput] = useState(params.get(name) ?? '');
  const value = useDebounced(input.trim(), ms);
  useEffect(() => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    if (next.toString() !== params.toString()) setParams(next, { replace: true });
  }, [name, value, params, setParams]);
  return { input, setInput, value };
}
