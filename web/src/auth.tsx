/** The signed-in token: localStorage-backed, cleared by sign-out or any 401. */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { getToken, onUnauthorized, setToken } from './api/client.ts';

interface Auth {
  token: string | null;
  /** Why the user was sent back to sign-in (a 401), once. */
  reason: string | null;
  signIn(token: string): void;
  signOut(reason?: string | null): void;
}

const Ctx = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setTokenState] = useState<string | null>(getToken);
  const [reason, setReason] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const signOut = useCallback(
    (why: string | null = null) => {
      setToken(null);
      setTokenState(null);
      setReason(why);
      queryClient.clear();
    },
    [queryClient],
  );
  const signIn = useCallback((t: string) => {
    setToken(t);
    setReason(null);
    setTokenState(t);
  }, []);
  useEffect(() => onUnauthorized((msg) => { if (getToken()) signOut(msg); }), [signOut]);
  const value = useMemo(() => ({ token, reason, signIn, signOut }), [token, reason, signIn, signOut]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAuth(): Auth {
  const v = useContext(Ctx);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}
