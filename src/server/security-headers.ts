/**
 * Headers on every response, API and console alike (OWASP Secure Headers).
 *
 * The Content-Security-Policy is what the console (web/dist, Vite + React +
 * antd) needs and no more: its scripts and styles are files from this origin;
 * antd's CSS-in-JS inserts <style> elements at run time, hence style-src
 * 'unsafe-inline' (there is no inline script, so script-src stays 'self');
 * the favicon is a data: URL. It talks to this server only (connect-src).
 * test/web/console.test.ts fails on any CSP violation the console reports.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  // frame-ancestors for browsers that predate CSP 2.
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};
