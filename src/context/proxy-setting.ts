/**
 * What a stored `proxy` setting (SystemContext.proxy as a sync file's
 * registry or a Registry resource's `spec.proxy` writes it) may be:
 * `none`, or `http(s)://HOST[:PORT]` and nothing else. User info is
 * refused: neither place holds secrets, so an authenticating proxy is given
 * in HTTPS_PROXY / HTTP_PROXY instead. One check for both, kept here at the
 * bottom of the tree so that api/ and sync/ share it without importing the
 * registry client, which parses the value again when it connects
 * (distribution/proxy.ts).
 */

/** Why `text` is not a stored proxy setting, as the end of one line ("proxy ..."); undefined when it is. */
export function storedProxyProblem(text: string): string | undefined {
  const expected = '(expected http://HOST:PORT, https://HOST:PORT or none)';
  if (text === 'none') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `is not a URL ${expected}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme ${url.protocol.slice(0, -1)} is not supported ${expected}`;
  if (url.username || url.password) return 'must not carry user:password (this setting is not secret): give an authenticating proxy in HTTPS_PROXY / HTTP_PROXY instead';
  if (url.hostname === '' || url.pathname !== '/' || url.search || url.hash) return `must be only a scheme, a host and a port ${expected}`;
  return undefined;
}
