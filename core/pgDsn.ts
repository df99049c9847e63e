// A base backup's connection string may name a host, port, user and database but never a
// password: it travels in workflow input and history. The worker reads passwords from its own
// ~/.pgpass (or PGPASSFILE). One check for the CLI, the API and the engine.

/** Why `dsn` is refused (it carries a password), or undefined when it carries none. */
export function dsnPasswordProblem(dsn: string): string | undefined {
  const inUserInfo = /^postgres(ql)?:\/\/[^@/?#]*:[^@/?#]*@/i.test(dsn);
  const asParameter = /(^|[\s?&])password\s*=/i.test(dsn);
  return inUserInfo || asParameter ? 'the connection string must not carry a password (the worker reads it from its ~/.pgpass or PGPASSFILE)' : undefined;
}
