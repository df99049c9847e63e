// The CLI's client of the HTTP API (cli/apiClient.ts): MERIDIAN_API_URL and MERIDIAN_API_TOKEN
// are checked with one-line usage errors, and each error status of a real local HTTP server
// becomes the exit code the CLI's contract gives it, with the server's message and never the token.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiRequest, apiTarget } from '../../cli/apiClient';
import { classifyError } from '../../cli/exitCodes';

const TOKEN = 'secret-token-42';

describe('apiTarget', () => {
  it('is undefined without MERIDIAN_API_URL, and keeps the URL without its trailing slash', () => {
    expect(apiTarget({})).toBeUndefined();
    expect(apiTarget({ MERIDIAN_API_URL: '' })).toBeUndefined();
    expect(apiTarget({ MERIDIAN_API_URL: 'https://backup.example:8443/meridian/', MERIDIAN_API_TOKEN: TOKEN })).toEqual({ url: 'https://backup.example:8443/meridian', token: TOKEN });
  });

  it.each([
    [{ MERIDIAN_API_URL: 'localhost:8080', MERIDIAN_API_TOKEN: TOKEN }, 'MERIDIAN_API_URL must be an http:// or https:// URL (got "localhost:8080")'],
    [{ MERIDIAN_API_URL: 'ftp://host/', MERIDIAN_API_TOKEN: TOKEN }, 'MERIDIAN_API_URL must be an http:// or https:// URL (got "ftp://host/")'],
    [{ MERIDIAN_API_URL: 'http://user:pw@host/', MERIDIAN_API_TOKEN: TOKEN }, 'MERIDIAN_API_URL must hold no credentials, query or fragment: the token goes in MERIDIAN_API_TOKEN'],
    [{ MERIDIAN_API_URL: 'http://host/?token=x', MERIDIAN_API_TOKEN: TOKEN }, 'MERIDIAN_API_URL must hold no credentials, query or fragment: the token goes in MERIDIAN_API_TOKEN'],
    [{ MERIDIAN_API_URL: 'http://host/' }, 'MERIDIAN_API_URL is set but MERIDIAN_API_TOKEN is not: the API server needs its bearer token'],
  ])('%p is a usage error', (env, message) => {
    let thrown: unknown;
    try {
      apiTarget(env);
    } catch (err) {
      thrown = err;
    }
    expect(classifyError(thrown)).toEqual({ exitCode: 2, code: 'usage', message });
  });
});

describe('apiRequest against a real HTTP server', () => {
  let server: http.Server;
  let url: string;
  const seen: { method?: string; path?: string; authorization?: string; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (part: Buffer) => (body += part.toString()));
      request.on('end', () => {
        seen.push({ method: request.method, path: request.url, authorization: request.headers.authorization, body });
        const status = Number(/\/status\/(\d+)/.exec(request.url ?? '')?.[1] ?? 200);
        if (request.url?.endsWith('/not-json')) return void response.writeHead(200).end('<html>');
        response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(status < 300 ? { echoed: body === '' ? null : JSON.parse(body) } : { error: { code: 'x', message: `answer ${status}` } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the bearer token and the JSON body, and returns the JSON answer', async () => {
    expect(await apiRequest({ url, token: TOKEN }, 'POST', '/v1/backups', { repo: 'gis', path: '/data' })).toEqual({ echoed: { repo: 'gis', path: '/data' } });
    expect(seen.at(-1)).toEqual({ method: 'POST', path: '/api/v1/backups', authorization: `Bearer ${TOKEN}`, body: '{"repo":"gis","path":"/data"}' });
  });

  it.each([
    [400, 2],
    [401, 2],
    [403, 5],
    [404, 2],
    [409, 1],
    [422, 3],
    [500, 1],
    [502, 3],
    [503, 4],
  ])('an answer %i exits %i with the server message and no token', async (status, exitCode) => {
    const failure = classifyError(await apiRequest({ url, token: TOKEN }, 'GET', `/status/${status}`).catch((err: unknown) => err));
    expect(failure.exitCode).toBe(exitCode);
    expect(failure.message).toMatch(status === 401 ? /^the API server refused MERIDIAN_API_TOKEN: answer 401$/ : new RegExp(`^the API server answered ${status}: answer ${status}$`));
    expect(failure.message).not.toContain(TOKEN);
  });

  it('an answer that is not JSON exits 4', async () => {
    const failure = classifyError(await apiRequest({ url, token: TOKEN }, 'GET', '/not-json').catch((err: unknown) => err));
    expect(failure).toMatchObject({ exitCode: 4, message: expect.stringContaining('answered 200 without JSON') });
  });
});
