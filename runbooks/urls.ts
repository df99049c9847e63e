// URLs of runbook http steps: one with credentials in it (user:password@) is refused before an
// execution starts (they would be recorded in its history), and messages and dry-run plans show a
// URL without credentials, query or fragment (tokens live there). Pure string work: the workflow
// bundle includes it.

const USERINFO = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#]*@/;

/** Whether the URL carries a user name or password before its host. */
export function hasCredentials(url: string): boolean {
  return USERINFO.test(url);
}

/** The URL for a message or a plan: without credentials, query and fragment. */
export function displayUrl(url: string): string {
  return url.replace(USERINFO, '$1').replace(/[?#].*$/s, '');
}
