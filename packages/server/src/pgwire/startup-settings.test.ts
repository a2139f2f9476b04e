import { describe, expect, it } from 'vitest';
import { parseOptions, setStatement, startupSettings } from './startup-settings.js';

describe('startup settings', () => {
  it('reads -c and -- options, with backslash-escaped spaces', () => {
    expect(parseOptions('-c search_path=a,b --statement-timeout=5s -cdatestyle=ISO\\ DMY')).toEqual([
      ['search_path', 'a,b'],
      ['statement_timeout', '5s'],
      ['datestyle', 'ISO DMY'],
    ]);
  });

  it('turns startup parameters into settings, and refuses encodings other than UTF8', () => {
    const params = new Map([
      ['user', 'u'],
      ['database', 'd'],
      ['application_name', 'app'],
      ['client_encoding', 'SQL_ASCII'],
      ['options', '-c TimeZone=UTC'],
    ]);
    expect(startupSettings(params)).toEqual([
      ['application_name', 'app'],
      ['client_encoding', 'UTF8'],
      ['timezone', 'UTC'],
    ]);
    expect(() => startupSettings(new Map([['client_encoding', 'LATIN1']]))).toThrow(/not supported/);
  });

  it('quotes names and values in the SET it builds', () => {
    expect(setStatement('a"b', "it's")).toBe(`SET "a""b" TO 'it''s'`);
  });
});
