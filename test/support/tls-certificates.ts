/**
 * A throwaway PKI made with openssl: a CA, a server certificate for localhost / 127.0.0.1
 * signed by it, a client certificate signed by it, and a second CA that signed nothing the
 * server shows (to prove an untrusted server is refused).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TlsFiles {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that did not sign the server certificate. */
  otherCa: string;
}

export function makeCertificates(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'redstream-tls-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const selfSigned = (name: string, subject: string) =>
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at(`${name}.key`), '-out', at(`${name}.crt`), '-days', '1', '-subj', subject);
  const signed = (name: string, subject: string, extensions: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`), '-subj', subject);
    writeFileSync(at(`${name}.ext`), extensions);
    openssl('x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-CAcreateserial', '-out', at(`${name}.crt`), '-days', '1', '-extfile', at(`${name}.ext`));
  };
  selfSigned('ca', '/CN=redstream test CA');
  selfSigned('other-ca', '/CN=some other CA');
  signed('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  signed('client', '/CN=redstream-client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    ca: at('ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    otherCa: at('other-ca.crt'),
  };
}

/** node-redis socket options trusting the test CA and presenting the client certificate. */
export function clientTls(files: TlsFiles) {
  return {
    tls: true as const,
    ca: readFileSync(files.ca, 'utf8'),
    cert: readFileSync(files.clientCert, 'utf8'),
    key: readFileSync(files.clientKey, 'utf8'),
  };
}
