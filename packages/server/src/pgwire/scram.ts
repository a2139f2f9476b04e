import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL runs it inside SASL
 * (PostgreSQL documentation, "SASL Authentication"):
 *
 *   client-first  n,,n=,r=<client nonce>            (SASLInitialResponse)
 *   server-first  r=<client+server nonce>,s=<salt>,i=<iterations>   (AuthenticationSASLContinue)
 *   client-final  c=<base64 gs2 header>,r=<nonce>,p=<proof>         (SASLResponse)
 *   server-final  v=<server signature>             (AuthenticationSASLFinal)
 *
 * PostgreSQL ignores the SCRAM user name (the StartupMessage's user counts) and so do we.
 * Channel binding (gs2 flag 'p') is refused: there is no TLS to bind to yet.
 */

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';
export const SCRAM_ITERATIONS = 4096;

/** What the server stores for a user: PostgreSQL's pg_authid.rolpassword SCRAM verifier fields. */
export interface ScramVerifier {
  readonly iterations: number;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

const hmac = (key: Buffer, data: string | Buffer) => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

/**
 * The password as SCRAM hashes it. RFC 7677 asks for SASLprep; like PostgreSQL for passwords
 * SASLprep rejects, we fall back to the raw bytes — NFKC normalisation covers the common cases
 * (ASCII passwords are unchanged either way).
 */
function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Builds a verifier from a clear-text password (random 16-byte salt unless given). */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = SCRAM_ITERATIONS): ScramVerifier {
  const salted = pbkdf2Sync(normalizePassword(password), salt, iterations, 32, 'sha256');
  return {
    iterations,
    salt,
    storedKey: sha256(hmac(salted, 'Client Key')),
    serverKey: hmac(salted, 'Server Key'),
  };
}

/** Parses PostgreSQL's text form `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. */
export function parseScramVerifier(text: string): ScramVerifier | undefined {
  const m = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(text);
  if (!m) return undefined;
  return {
    iterations: Number(m[1]),
    salt: Buffer.from(m[2] as string, 'base64'),
    storedKey: Buffer.from(m[3] as string, 'base64'),
    serverKey: Buffer.from(m[4] as string, 'base64'),
  };
}

/** PostgreSQL's text form of a verifier (what `parseScramVerifier` reads). */
export function formatScramVerifier(v: ScramVerifier): string {
  return `SCRAM-SHA-256$${v.iterations}:${v.salt.toString('base64')}$${v.storedKey.toString('base64')}:${v.serverKey.toString('base64')}`;
}

/** Why an exchange failed: a malformed message (a protocol violation) or a wrong password. */
export class ScramError extends Error {
  constructor(
    readonly reason: 'malformed' | 'unsupported' | 'password',
    message: string,
  ) {
    super(message);
  }
}

/** Splits `a=1,b=2` attributes, keeping the order; values may contain '='. */
function attributes(s: string): [string, string][] {
  return s.split(',').map((part) => {
    if (part.length < 2 || part[1] !== '=') throw new ScramError('malformed', 'malformed SCRAM message');
    return [part[0] as string, part.slice(2)];
  });
}

const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

/** One SCRAM exchange on one connection: feed it the client's two messages in order. */
export class ScramExchange {
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private gs2Header = '';

  /**
   * `verifier` is undefined for an unknown user: the exchange still runs against a made-up
   * verifier and fails at the end, so a client cannot probe which users exist (PostgreSQL's
   * "mock authentication").
   */
  constructor(
    private readonly verifier: ScramVerifier | undefined,
    /** The server's part of the nonce (tests pass a fixed one to replay RFC 7677's example). */
    private readonly serverNonce: () => string = () => randomBytes(18).toString('base64'),
  ) {}

  private effective(): ScramVerifier {
    return this.verifier ?? scramVerifier(randomBytes(16).toString('hex'), randomBytes(16));
  }

  /** Handles client-first-message; returns server-first-message. */
  clientFirst(message: string): string {
    // gs2-header: a channel binding flag ('n' no support, 'y' client supports but thinks the
    // server does not, 'p=…' requires it), an optional authzid, then the bare message.
    const m = /^(n|y|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(message);
    if (!m) throw new ScramError('malformed', 'malformed SCRAM message: invalid GS2 header');
    const flag = m[1] as string;
    if (flag.startsWith('p=')) {
      throw new ScramError('unsupported', 'channel binding is not supported by this server (no TLS)');
    }
    if (m[2]) throw new ScramError('unsupported', 'client uses authorization identity, but it is not supported');
    this.gs2Header = `${flag},,`;
    this.clientFirstBare = m[3] as string;
    const attrs = attributes(this.clientFirstBare);
    if (attrs[0]?.[0] === 'm') throw new ScramError('unsupported', 'SCRAM extensions are not supported');
    if (attrs[0]?.[0] !== 'n' || attrs[1]?.[0] !== 'r') {
      throw new ScramError('malformed', 'malformed SCRAM message: expected n= and r=');
    }
    const clientNonce = attrs[1][1];
    if (!PRINTABLE_NONCE.test(clientNonce)) throw new ScramError('malformed', 'malformed SCRAM message: invalid nonce');
    const v = this.effective();
    this.nonce = clientNonce + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${v.salt.toString('base64')},i=${v.iterations}`;
    return this.serverFirst;
  }

  /** Handles client-final-message; returns server-final-message, or throws ScramError('password'). */
  clientFinal(message: string): string {
    const attrs = attributes(message);
    const proofAttr = attrs[attrs.length - 1];
    if (attrs[0]?.[0] !== 'c' || attrs[1]?.[0] !== 'r' || proofAttr?.[0] !== 'p') {
      throw new ScramError('malformed', 'malformed SCRAM message: expected c=, r= and p=');
    }
    if (Buffer.from(attrs[0][1], 'base64').toString('utf8') !== this.gs2Header) {
      throw new ScramError('malformed', 'SCRAM channel binding check failed');
    }
    if (attrs[1][1] !== this.nonce) throw new ScramError('malformed', 'SCRAM nonce mismatch');
    const withoutProof = message.slice(0, message.lastIndexOf(',p='));
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const proof = Buffer.from(proofAttr[1], 'base64');
    const v = this.verifier;
    if (!v || proof.length !== 32) throw new ScramError('password', 'password authentication failed');
    // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); the proof is right when
    // H(ClientKey) equals the StoredKey.
    const signature = hmac(v.storedKey, authMessage);
    const clientKey = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) clientKey[i] = (proof[i] as number) ^ (signature[i] as number);
    if (!timingSafeEqual(sha256(clientKey), v.storedKey)) {
      throw new ScramError('password', 'password authentication failed');
    }
    return `v=${hmac(v.serverKey, authMessage).toString('base64')}`;
  }
}
