import { describe, expect, it } from 'vitest';
import { formatScramVerifier, parseScramVerifier, ScramExchange, scramVerifier } from './scram.js';

/** RFC 7677 section 3's example exchange (user "user", password "pencil"). */
const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const serverNonce = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const clientFirst = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';
const clientFinal =
  'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';

describe('SCRAM-SHA-256', () => {
  it("replays RFC 7677's example", () => {
    const x = new ScramExchange(scramVerifier('pencil', salt, 4096), () => serverNonce);
    expect(x.clientFirst(clientFirst)).toBe(
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    );
    expect(x.clientFinal(clientFinal)).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  it('fails the same exchange for another password and for an unknown user', () => {
    const wrong = new ScramExchange(scramVerifier('pencil2', salt, 4096), () => serverNonce);
    wrong.clientFirst(clientFirst);
    expect(() => wrong.clientFinal(clientFinal)).toThrow(expect.objectContaining({ reason: 'password' }));
    const unknown = new ScramExchange(undefined, () => serverNonce);
    expect(unknown.clientFirst(clientFirst)).toMatch(/^r=rOprNGfwEbeRWgbNEkqO%hvYD.*,s=.+,i=4096$/);
    expect(() => unknown.clientFinal(clientFinal)).toThrow(expect.objectContaining({ reason: 'password' }));
  });

  it('refuses channel binding and malformed messages', () => {
    const x = new ScramExchange(scramVerifier('pencil'));
    expect(() => x.clientFirst('p=tls-server-end-point,,n=,r=abc')).toThrow(
      expect.objectContaining({ reason: 'unsupported' }),
    );
    expect(() => x.clientFirst('garbage')).toThrow(expect.objectContaining({ reason: 'malformed' }));
    const y = new ScramExchange(scramVerifier('pencil'));
    y.clientFirst('y,,n=,r=abc');
    expect(() => y.clientFinal('c=biws,r=abcX,p=AAAA')).toThrow(expect.objectContaining({ reason: 'malformed' }));
  });

  it("reads and writes PostgreSQL's verifier text", () => {
    const v = scramVerifier('pencil', salt, 4096);
    const text = formatScramVerifier(v);
    expect(text).toMatch(/^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$/);
    expect(parseScramVerifier(text)).toEqual(v);
    expect(parseScramVerifier('md5abc')).toBeUndefined();
  });
});
