/**
 * Failed-login throttling: a token bucket per client address. Each unknown
 * bearer token takes one token from its address's bucket; an empty bucket
 * means 429 with Retry-After until one has refilled. Valid tokens never take
 * from the bucket. Kept in memory (per replica): it slows a guesser, it is
 * not an account lock-out.
 *
 * The bucket is checked before a presented token is looked up, otherwise a
 * throttled guesser would still learn whether its next guess was right.
 * Behind a reverse proxy every client shares the proxy's address unless
 * the proxy is named with --trust-proxy (the client is then read from
 * X-Forwarded-For).
 */

export interface LoginLimiterOptions {
  /** Failures an address may make in a burst (default 10). */
  burst?: number | undefined;
  /** One failure is forgiven every this many ms (default 6000: 10 a minute). */
  refillMs?: number | undefined;
  /** Addresses tracked at most; the least recently failed are dropped first (default 10000). */
  maxAddresses?: number | undefined;
  /** Clock (tests). */
  now?: (() => number) | undefined;
}

export interface LoginLimiter {
  /** Undefined when `address` may try; else the seconds until it may. */
  retryAfter(address: string): number | undefined;
  /** Records a failed login from `address`. */
  failed(address: string): void;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createLoginLimiter(options: LoginLimiterOptions = {}): LoginLimiter {
  const burst = options.burst ?? 10;
  const refillMs = options.refillMs ?? 6000;
  const maxAddresses = options.maxAddresses ?? 10_000;
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on every failure keeps the
  // least recently failed address first, the one to drop when full.
  const buckets = new Map<string, Bucket>();

  function current(address: string): Bucket | undefined {
    const b = buckets.get(address);
    if (!b) return undefined;
    const t = now();
    const refilled = Math.min(burst, b.tokens + (t - b.at) / refillMs);
    if (refilled >= burst) {
      buckets.delete(address);
      return undefined;
    }
    return { tokens: refilled, at: t };
  }

  return {
    retryAfter(address) {
      const b = current(address);
      if (!b || b.tokens >= 1) return undefined;
      return Math.max(1, Math.ceil(((1 - b.tokens) * refillMs) / 1000));
    },
    failed(address) {
      const b = current(address) ?? { tokens: burst, at: now() };
      buckets.delete(address);
      buckets.set(address, { tokens: Math.max(0, b.tokens - 1), at: b.at });
      if (buckets.size > maxAddresses) buckets.delete(buckets.keys().next().value!);
    },
  };
}
