/**
 * Credentials in URLs. A configured URL with `user:password@` would be printed wherever the URL is (logs, error
 * messages stored in the database, the gate answer), so SecBot refuses it at start; a URL that arrives in a webhook
 * payload is kept without its userinfo before it is stored or passed on. Pure functions, no I/O.
 */

/** Why `value` cannot be a configured service URL, or null if it can. Never quotes the value. */
export function configuredUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
  if (url.username || url.password) {
    return 'must not carry credentials (user:password@ before the host); SecBot prints this URL in logs and errors, so tokens go in their own variables';
  }
  return null;
}

/** `value` without `user:password@`; anything that is not a URL with userinfo comes back unchanged. */
export function withoutUserinfo(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  if (!url.username && !url.password) return value;
  url.username = '';
  url.password = '';
  return url.toString();
}
