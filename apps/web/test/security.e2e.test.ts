/**
 * The dashboard exposed (issue 13): it listens on loopback unless told otherwise, and its GraphQL proxy
 * lends the server's API token only to a browser that logged in with that token (an http-only session
 * cookie), never to an anonymous caller, whatever headers it sends.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@rcn/test-utils';
import { WEB_ROOT, missing } from './_env';
import { TEST_TOKEN, startApi, startWeb, type ApiProc, type Proc } from './_servers';

const reason = missing();
if (reason && process.env.CI === 'true') throw new Error(`the dashboard's security tests need ${reason}`);
const describeE2E = reason ? describe.skip : describe;

interface GqlBody {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** Whether a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describeE2E('dashboard exposure and login', () => {
  let api: ApiProc;
  let web: Proc;

  beforeAll(async () => {
    api = await startApi();
    web = await startWeb(api.url);
  });

  afterAll(async () => {
    await web?.stop();
    await api?.stop();
    api?.cleanup();
  });

  const gql = async (headers: Record<string, string>, query: string) => {
    const r = await fetch(`${web.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    });
    return { status: r.status, body: (await r.json()) as GqlBody };
  };
  const CANCEL = 'mutation { cancelJob(id: "no-such-job") { id } }';

  it('never adds the server token for an anonymous caller, from any address it claims', async () => {
    const claims: Record<string, string>[] = [
      {},
      // Header simulation of a caller on another machine, and of one claiming to be local.
      { 'x-forwarded-for': '203.0.113.7', 'x-real-ip': '203.0.113.7' },
      { 'x-forwarded-for': '127.0.0.1', host: '127.0.0.1' },
    ];
    for (const headers of claims) {
      const r = await gql(headers, CANCEL);
      expect(r.body.errors?.[0]?.extensions?.code, JSON.stringify(r.body)).toBe('UNAUTHENTICATED');
    }
    // Queries stay public.
    expect((await gql({}, '{ runs { id } }')).body.errors).toBeUndefined();
  });

  it('exchanges the API token for an http-only session cookie that then authorises mutations', async () => {
    const login = (token: string) =>
      fetch(`${web.url}/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });
    expect((await login('wrong-token-000000000000000')).status).toBe(401);
    const ok = await login(TEST_TOKEN);
    expect(ok.status).toBe(200);
    const setCookie = ok.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^rcn_session=\d+\.[\w-]+;/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0];

    // With the session the mutation reaches its resolver (the job does not exist: NOT_FOUND).
    const authed = await gql({ cookie }, CANCEL);
    expect(authed.body.errors?.[0]?.extensions?.code, JSON.stringify(authed.body)).toBe('NOT_FOUND');
    const status = (await (await fetch(`${web.url}/session`, { headers: { cookie } })).json()) as {
      loggedIn: boolean;
    };
    expect(status.loggedIn).toBe(true);

    // A forged or tampered cookie is anonymous.
    const [exp, mac] = cookie.slice('rcn_session='.length).split('.');
    for (const forged of [
      `rcn_session=${Number(exp) + 1000}.${mac}`,
      `rcn_session=${exp}.${mac.slice(0, -2)}xx`,
      'rcn_session=9999999999999.x',
    ]) {
      const r = await gql({ cookie: forged }, CANCEL);
      expect(r.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });

  it('limits wrong tokens per client with a growing delay; other clients and the right token still work', async () => {
    const login = (token: string, client: string) =>
      fetch(`${web.url}/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
        body: JSON.stringify({ token }),
      });
    const guesser = '198.51.100.23';
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await login(`guess-${i}-0000000000000000`, guesser)).status);
    // Three typos are free; the fourth wrong token starts a delay.
    expect(statuses).toEqual([401, 401, 401, 401]);
    const locked = await login(TEST_TOKEN, guesser);
    // While locked even the right token is not checked.
    expect(locked.status).toBe(429);
    const first = Number(locked.headers.get('retry-after'));
    expect(first).toBeGreaterThanOrEqual(1);
    expect(((await locked.json()) as { error: { message: string } }).error.message).toMatch(
      /too many wrong tokens from this client; try again in \d+ s/,
    );
    // Another client is not held up.
    expect((await login(TEST_TOKEN, '198.51.100.99')).status).toBe(200);
    // After the wait, the next wrong token doubles it.
    await new Promise((r) => setTimeout(r, first * 1000));
    expect((await login('guess-again-000000000000000', guesser)).status).toBe(401);
    const again = await login(TEST_TOKEN, guesser);
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(2 * first);
    // Then the right token logs in, and clears the count.
    await new Promise((r) => setTimeout(r, Number(again.headers.get('retry-after')) * 1000));
    expect((await login(TEST_TOKEN, guesser)).status).toBe(200);
    expect((await login('one-typo-00000000000000000', guesser)).status).toBe(401);
  });

  it('/login says where `pnpm dev` keeps the token; /explorer redirects to /explore with its query', async () => {
    const html = await (await fetch(`${web.url}/login`)).text();
    expect(html).toContain('.rcn/dev-token');
    const r = await fetch(`${web.url}/explorer?run=some-run`, { redirect: 'manual' });
    expect([307, 308]).toContain(r.status);
    expect(new URL(r.headers.get('location')!, web.url).pathname).toBe('/explore');
    expect(new URL(r.headers.get('location')!, web.url).searchParams.get('run')).toBe('some-run');
  });

  it('`start` listens on loopback only unless RCN_WEB_HOST says otherwise', async () => {
    const script = (
      JSON.parse(readFileSync(join(WEB_ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts.start;
    const port = await freePort();
    // `exec`: the shell expands the script's defaults, then becomes the server (so the signal reaches it).
    const child = spawn('sh', ['-c', `exec ${script}`], {
      cwd: WEB_ROOT,
      env: {
        ...process.env,
        PATH: `${join(WEB_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
        PORT: String(port),
        RCN_WEB_HOST: '',
        RCN_API_URL: `${api.url}/graphql`,
        NEXT_TELEMETRY_DISABLED: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`next start did not start:\n${out}`)), 60_000);
        const onData = (d: Buffer) => {
          out += d.toString();
          if (/Ready in|Local:/i.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (code) => reject(new Error(`next start exited (${code}):\n${out}`)));
      });
      for (let i = 0; i < 50 && !(await accepts('127.0.0.1', port)); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(await accepts('127.0.0.1', port)).toBe(true);
      const external = Object.values(networkInterfaces())
        .flat()
        .filter((a) => a && a.family === 'IPv4' && !a.internal)
        .map((a) => a!.address);
      // Every address of this machine that another machine could use is refused.
      for (const address of external) expect(await accepts(address, port), address).toBe(false);
      // Next prints a Network line for the host it was given: it must not name an outside address.
      expect(out).not.toMatch(/Network:\s+https?:\/\/(?!127\.0\.0\.1|localhost|\[::1\])/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
