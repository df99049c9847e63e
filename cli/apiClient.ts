// The CLI as a client of a Meridian HTTP API server (`meridian server`): MERIDIAN_API_URL says
// where it listens and MERIDIAN_API_TOKEN is the bearer token. Requests go through node:http (one
// kept-alive connection; fetch would cost ~0.15 s to load), and no Temporal SDK is loaded. The
// API's error answers become CLI errors with the exit code their status means; the token is never
// part of a message.

import http from 'node:http';
import https from 'node:https';
import { CliError, EXIT, ExitCode, unavailableError, usageError } from './exitCodes.js';

export interface ApiTarget {
  /** The server's base URL, without a trailing slash: http://host:port or https://host:port/prefix. */
  url: string;
  token: string;
}

/** The API server the CLI is pointed at, or undefined when MERIDIAN_API_URL is unset or empty. */
export function apiTarget(env: NodeJS.ProcessEnv = process.env): ApiTarget | undefined {
  const given = env.MERIDIAN_API_URL;
  if (!given) return undefined;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw usageError(`MERIDIAN_API_URL must be an http:// or https:// URL (got "${given}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`MERIDIAN_API_URL must be an http:// or https:// URL (got "${given}")`);
  if (url.username || url.password || url.search || url.hash) throw usageError('MERIDIAN_API_URL must hold no credentials, query or fragment: the token goes in MERIDIAN_API_TOKEN');
  const token = env.MERIDIAN_API_TOKEN;
  if (!token) throw usageError('MERIDIAN_API_URL is set but MERIDIAN_API_TOKEN is not: the API server needs its bearer token');
  return { url: url.href.replace(/\/+$/, ''), token };
}

/** What an API error's status means for the command's exit code. */
function exitCodeOfStatus(status: number): ExitCode {
  if (status === 400 || status === 401 || status === 404 || status === 413) return EXIT.usage;
  if (status === 403) return EXIT.refused;
  if (status === 422 || status === 502) return EXIT.repository;
  if (status === 503) return EXIT.unavailable;
  return EXIT.failed;
}

/** The API's `{ error: { code, message } }`, or the status line when the body is not that. */
function errorMessage(status: number, body: unknown): string {
  const error = (body as { error?: { message?: unknown } } | undefined)?.error;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${status}`;
  return status === 401 ? `the API server refused MERIDIAN_API_TOKEN: ${message}` : `the API server answered ${status}: ${message}`;
}

/** Kept-alive connections, so a command's requests share one; idle ones never hold the process open. */
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/** No answer at all for this long (a long poll waits at most 60 s) is a server that does not answer. */
const ANSWER_TIMEOUT_MS = 120_000;

/** Sends one request and resolves with the answer's status and text. */
function send(target: ApiTarget, method: 'GET' | 'POST', path: string, body: string | undefined): Promise<{ status: number; text: string }> {
  const url = new URL(`${target.url}${path}`);
  const headers = { Authorization: `Bearer ${target.token}`, ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}) };
  const request = (url.protocol === 'https:' ? https.request : http.request)(url, { method, headers, agent: agents[url.protocol as 'http:' | 'https:'] });
  return new Promise((resolve, reject) => {
    request.setTimeout(ANSWER_TIMEOUT_MS, () => request.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS / 1000} s`)));
    request.once('error', reject);
    request.once('response', (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.once('error', reject);
      response.once('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
    });
    request.end(body);
  });
}

/** Sends one request and returns the parsed JSON answer of a 2xx; anything else throws a CliError. */
export async function apiRequest<T>(target: ApiTarget, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let answer: { status: number; text: string };
  try {
    answer = await send(target, method, path, body === undefined ? undefined : JSON.stringify(body));
  } catch (err) {
    throw unavailableError(`cannot reach the API server at ${target.url}`, err);
  }
  let parsed: unknown;
  try {
    parsed = answer.text === '' ? undefined : JSON.parse(answer.text);
  } catch {
    parsed = undefined;
  }
  if (answer.status < 200 || answer.status > 299) throw new CliError(exitCodeOfStatus(answer.status), errorMessage(answer.status, parsed));
  if (parsed === undefined) throw new CliError(EXIT.unavailable, `the API server at ${target.url} answered ${answer.status} without JSON`);
  return parsed as T;
}
