// A GitHub-shaped OIDC issuer on loopback, for STS tests against a real policy engine (Ceph
// RGW): an RSA key, a self-signed X.509 certificate for it (RGW takes the key from the JWKS
// `x5c` certificate and checks its SHA-1 thumbprint against the provider's), the discovery
// document and JWKS over plain http, and tokens shaped like the ones GitHub Actions mints.
//
// The certificate is DER-encoded here with node:crypto alone (a v3 certificate with the fields
// OpenSSL requires), so the tests need no X.509 dependency.
import { createHash, generateKeyPairSync, type KeyObject, sign, X509Certificate } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const GITHUB_AUDIENCE = 'sts.amazonaws.com';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** DER of a self-signed certificate for the public key. */
  certificate: Buffer;
  /** Lower-case hex SHA-1 of the certificate: what an OIDC provider's thumbprint list holds. */
  thumbprint: string;
  kid: string;
}

export interface TestIssuer {
  /** `http://127.0.0.1:<port>`: the `iss` claim and the provider URL. */
  readonly url: string;
  /** `127.0.0.1:<port>`: how IAM names the provider and prefixes its condition keys. */
  readonly host: string;
  readonly key: SigningKey;
  /** Requests the issuer served (discovery and JWKS fetches by the STS). */
  readonly served: string[];
  /** A signed token; `claims` override the defaults (iss, aud, iat, nbf, exp = now + 10 min). */
  token(claims: Record<string, unknown>, options?: TokenOptions): string;
  close(): Promise<void>;
}

export interface TokenOptions {
  /** Sign with another key (a forged token); the header keeps the issuer's `kid`. */
  signWith?: SigningKey;
  /** Header overrides, e.g. `{ alg: 'none' }`. */
  header?: Record<string, unknown>;
  /** Replace the signature (e.g. '' for an unsigned token). */
  signature?: string;
}

export function createSigningKey(commonName = 's3cache-test-oidc'): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const certificate = selfSignedCertificate(publicKey, privateKey, commonName);
  const parsed = new X509Certificate(certificate);
  if (!parsed.verify(publicKey)) throw new Error('self-signed certificate does not verify');
  return {
    privateKey,
    publicKey,
    certificate,
    thumbprint: createHash('sha1').update(certificate).digest('hex'),
    kid: createHash('sha256').update(certificate).digest('hex').slice(0, 16),
  };
}

export async function startTestIssuer(key: SigningKey = createSigningKey()): Promise<TestIssuer> {
  const served: string[] = [];
  let url = '';
  const jwk = key.publicKey.export({ format: 'jwk' });
  const server = http.createServer((req, res) => {
    served.push(req.url ?? '/');
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/.well-known/openid-configuration') {
      json({
        issuer: url,
        jwks_uri: `${url}/.well-known/jwks`,
        subject_types_supported: ['public', 'pairwise'],
        response_types_supported: ['id_token'],
        claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'sha'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid'],
      });
      return;
    }
    if (req.url === '/.well-known/jwks') {
      json({
        keys: [
          {
            kty: 'RSA',
            alg: 'RS256',
            use: 'sig',
            kid: key.kid,
            n: jwk.n,
            e: jwk.e,
            x5c: [key.certificate.toString('base64')],
            x5t: createHash('sha1').update(key.certificate).digest('base64url'),
          },
        ],
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return {
    url,
    host: url.slice('http://'.length),
    key,
    served,
    token(claims, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const header = b64({ alg: 'RS256', typ: 'JWT', kid: key.kid, ...options.header });
      const payload = b64({
        iss: url,
        aud: GITHUB_AUDIENCE,
        iat: now,
        nbf: now - 5,
        exp: now + 600,
        jti: createHash('sha256').update(`${now}-${Math.random()}`).digest('hex').slice(0, 32),
        ...claims,
      });
      const signature =
        options.signature ??
        sign('sha256', Buffer.from(`${header}.${payload}`), (options.signWith ?? key).privateKey).toString(
          'base64url',
        );
      return `${header}.${payload}.${signature}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The claims GitHub puts in a job's token, for `owner/repo` and a subject. */
export function githubClaims(
  repository: string,
  sub: string,
  ref = 'refs/heads/main',
): Record<string, unknown> {
  const [owner] = repository.split('/');
  return {
    sub,
    repository,
    repository_owner: owner,
    ref,
    ref_type: 'branch',
    event_name: sub.endsWith(':pull_request') ? 'pull_request' : 'push',
    workflow: 'ci',
    run_id: '1234',
    run_attempt: '1',
    runner_environment: 'github-hosted',
  };
}

// ---------------------------------------------------------------------------------------------
// DER, just enough for one self-signed certificate (ITU-T X.690, RFC 5280 §4.1)

function der(tag: number, content: Buffer): Buffer {
  const length = content.length;
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), content]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.concat([Buffer.from([tag, 0x80 | bytes.length, ...bytes]), content]);
}

const sequence = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));
const integer = (bytes: number[]) => der(0x02, Buffer.from(bytes));
const oid = (hex: string) => der(0x06, Buffer.from(hex, 'hex'));
const NULL = Buffer.from([0x05, 0x00]);
/** UTCTime, YYMMDDHHMMSSZ (valid until 2049, plenty for a test). */
const utcTime = (date: Date) =>
  der(0x17, Buffer.from(`${date.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`, 'latin1'));
/** Name with one CN (2.5.4.3) attribute, as UTF8String. */
const name = (commonName: string) =>
  sequence(der(0x31, sequence(oid('550403'), der(0x0c, Buffer.from(commonName, 'utf8')))));

function selfSignedCertificate(publicKey: KeyObject, privateKey: KeyObject, commonName: string): Buffer {
  const sha256WithRsa = sequence(oid('2a864886f70d01010b'), NULL);
  const now = Date.now();
  const tbs = sequence(
    der(0xa0, integer([2])), // version: v3
    integer([0x01, 0x5c, 0x0a]), // serial number
    sha256WithRsa,
    name(commonName), // issuer
    sequence(utcTime(new Date(now - 86_400_000)), utcTime(new Date(now + 7 * 86_400_000))),
    name(commonName), // subject
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  return sequence(tbs, sha256WithRsa, der(0x03, Buffer.concat([Buffer.from([0]), signature])));
}
