/** `redis://host:port[/db]` (or rediss://); anything else is refused with the value shown. */
export function parseQueueUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`queue: expected redis://host:port, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new Error(`queue: expected redis://host:port, got '${url}'`);
  return url;
}
