// Certificates for TLS tests, made at test time with the `openssl` command (nothing downloaded):
// a CA, a server certificate it signs for one DNS name, a client certificate it signs (mTLS),
// and an unrelated CA, as PEM files in a folder.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TlsFiles {
  /** The DNS name the server certificate is issued for (a client sets it as the TLS server name). */
  serverName: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing here: trusting it instead of caCert must fail. */
  otherCaCert: string;
  /** The PEM contents of a file above. */
  read(file: string): string;
}

export function makeTlsFiles(dir: string, serverName = 'temporal.meridian.test'): TlsFiles {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const newKey = (name: string) => openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file(name));
  const newCa = (name: string, subject: string) => {
    newKey(`${name}.key`);
    openssl('req', '-x509', '-new', '-key', file(`${name}.key`), '-subj', `/CN=${subject}`, '-days', '2', '-out', file(`${name}.pem`),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  };
  /** A leaf certificate signed by the CA `ca`, with the X.509 v3 extensions in `extensions`. */
  const newLeaf = (name: string, subject: string, extensions: string) => {
    newKey(`${name}.key`);
    openssl('req', '-new', '-key', file(`${name}.key`), '-subj', `/CN=${subject}`, '-out', file(`${name}.csr`));
    writeFileSync(file(`${name}.ext`), `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n${extensions}\n`);
    openssl('x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
      '-days', '2', '-extfile', file(`${name}.ext`), '-out', file(`${name}.pem`));
  };
  newCa('ca', 'Meridian test CA');
  newCa('other-ca', 'Unrelated test CA');
  newLeaf('server', serverName, `extendedKeyUsage=serverAuth\nsubjectAltName=DNS:${serverName}`);
  newLeaf('client', 'meridian-worker', 'extendedKeyUsage=clientAuth');
  return {
    serverName,
    caCert: file('ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
    otherCaCert: file('other-ca.pem'),
    read: (name) => readFileSync(name, 'utf8'),
  };
}
