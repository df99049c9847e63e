// A base backup's connection string may name a host, port, user and database but never a
// password: it travels in workflow input and history. The worker reads passwords from its own
// ~/.pgpass (or PGPASSFILE). One check for the CLI, the API and the engine.

/** libpq's parameters that carry a secret (sslpassword: the passphrase of the client key). */
const PASSWORD_PARAMETERS = new Set(['password', 'sslpassword']);

/** Why `dsn` is refused (it carries a password), or undefined when it carries none. */
export function dsnPasswordProblem(dsn: string): string | undefined {
  const inUserInfo = /^postgres(ql)?:\/\/[^@/?#]*:[^@/?#]*@/i.test(dsn);
  const asParameter = parameterNames(dsn).some((name) => PASSWORD_PARAMETERS.has(name));
  return inUserInfo || asParameter ? 'the connection string must not carry a password (the worker reads it from its ~/.pgpass or PGPASSFILE)' : undefined;
}

/**
 * The parameter names of a URI's query (`?a=…&b=…`) or of `key = value` pairs, lower-cased and
 * percent-decoded as libpq decodes a URI's (`?%70assword=` is `password`).
 */
function parameterNames(dsn: string): string[] {
  return [...dsn.matchAll(/(?:^|[\s?&])([^\s?&=]+)\s*=/g)].map((match) => percentDecoded(match[1]!).toLowerCase());
}

function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // libpq refuses malformed percent-encoding
  }
}
