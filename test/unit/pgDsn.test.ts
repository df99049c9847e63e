// The password check of a base backup's connection string (core/pgDsn.ts): a password in the
// user info, or as a `password`/`sslpassword` parameter of a URI or a key=value string, its name
// percent-encoded or not, is refused; connection strings without one pass.

import { dsnPasswordProblem } from '../../core/pgDsn';

describe('dsnPasswordProblem', () => {
  it.each([
    'postgresql://backup:secret@db.example/postgres',
    'postgresql://db.example/postgres?password=secret',
    'postgresql://db.example/postgres?sslmode=require&sslpassword=secret',
    'postgresql://db.example/postgres?%70assword=secret',
    'postgresql://db.example/postgres?sslmode=require&%73sl%70assword=secret',
    'postgresql://db.example/postgres?PASSWORD=secret',
    'host=db.example password=secret',
    'host=db.example sslpassword = secret',
    'host=db.example %70assword=secret',
  ])('refuses %s', (dsn) => {
    expect(dsnPasswordProblem(dsn)).toMatch(/must not carry a password/);
  });

  it.each([
    'postgresql://backup@db.example:5432/postgres?sslmode=require',
    'postgresql://backup@/postgres?host=%2Fvar%2Frun%2Fpostgresql&port=5432',
    'host=db.example user=backup dbname=postgres passfile=/etc/meridian/pgpass',
    'postgresql://db.example/postgres?application_name=password',
  ])('accepts %s', (dsn) => {
    expect(dsnPasswordProblem(dsn)).toBeUndefined();
  });
});
