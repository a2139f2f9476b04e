// Expected values checked against PostgreSQL 15.20 (Debian 15.20-0+deb12u1): format_type, the OID, pg_type.typcategory and typispreferred of `<name>::regtype`, and format_type / atttypmod of a column declared with the name.
import { isThinkLiteError } from '@thinklite/base';
import { describe, expect, it } from 'vitest';
import {
  isPreferredType,
  resolveTypeName,
  typeCategory,
  typeFromOid,
  typeName,
  typeOid,
  typmodOf,
} from '../src/types/index.js';

/** [name as written, "format_type|oid|category|preferred" of the unmodified type, "format_type|atttypmod" of a column]. */
const CASES: [string, string, string | null][] = [
  ['int', 'OK:integer|23|N|false', 'integer|-1'],
  ['integer', 'OK:integer|23|N|false', 'integer|-1'],
  ['int4', 'OK:integer|23|N|false', 'integer|-1'],
  ['bigint', 'OK:bigint|20|N|false', 'bigint|-1'],
  ['int8', 'OK:bigint|20|N|false', 'bigint|-1'],
  ['smallint', 'OK:smallint|21|N|false', 'smallint|-1'],
  ['int2', 'OK:smallint|21|N|false', 'smallint|-1'],
  ['real', 'OK:real|700|N|false', 'real|-1'],
  ['float4', 'OK:real|700|N|false', 'real|-1'],
  ['float', 'OK:double precision|701|N|true', 'double precision|-1'],
  ['float(24)', 'OK:real|700|N|false', 'real|-1'],
  ['float(25)', 'OK:double precision|701|N|true', 'double precision|-1'],
  ['float(1)', 'OK:real|700|N|false', 'real|-1'],
  ['float(53)', 'OK:double precision|701|N|true', 'double precision|-1'],
  ['double precision', 'OK:double precision|701|N|true', 'double precision|-1'],
  ['float8', 'OK:double precision|701|N|true', 'double precision|-1'],
  ['decimal', 'OK:numeric|1700|N|false', 'numeric|-1'],
  ['numeric', 'OK:numeric|1700|N|false', 'numeric|-1'],
  ['numeric(10,2)', 'OK:numeric|1700|N|false', 'numeric(10,2)|655366'],
  ['numeric(5)', 'OK:numeric|1700|N|false', 'numeric(5,0)|327684'],
  ['decimal(7,3)', 'OK:numeric|1700|N|false', 'numeric(7,3)|458759'],
  ['varchar(10)', 'OK:character varying|1043|S|false', 'character varying(10)|14'],
  ['varchar', 'OK:character varying|1043|S|false', 'character varying|-1'],
  ['character varying(3)', 'OK:character varying|1043|S|false', 'character varying(3)|7'],
  ['character varying', 'OK:character varying|1043|S|false', 'character varying|-1'],
  ['char(4)', 'OK:character|1042|S|false', 'character(4)|8'],
  ['char', 'OK:character|1042|S|false', 'character(1)|5'],
  ['character', 'OK:character|1042|S|false', 'character(1)|5'],
  ['character(2)', 'OK:character|1042|S|false', 'character(2)|6'],
  ['bpchar', 'OK:character|1042|S|false', 'bpchar|-1'],
  ['text', 'OK:text|25|S|true', 'text|-1'],
  ['bool', 'OK:boolean|16|B|true', 'boolean|-1'],
  ['boolean', 'OK:boolean|16|B|true', 'boolean|-1'],
  ['bytea', 'OK:bytea|17|U|false', 'bytea|-1'],
  ['date', 'OK:date|1082|D|false', 'date|-1'],
  ['timestamp', 'OK:timestamp without time zone|1114|D|false', 'timestamp without time zone|-1'],
  ['timestamp without time zone', 'OK:timestamp without time zone|1114|D|false', 'timestamp without time zone|-1'],
  ['timestamp(3)', 'OK:timestamp without time zone|1114|D|false', 'timestamp(3) without time zone|3'],
  ['timestamp(3) without time zone', 'OK:timestamp without time zone|1114|D|false', 'timestamp(3) without time zone|3'],
  ['timestamptz', 'OK:timestamp with time zone|1184|D|true', 'timestamp with time zone|-1'],
  ['timestamp with time zone', 'OK:timestamp with time zone|1184|D|true', 'timestamp with time zone|-1'],
  ['timestamptz(2)', 'OK:timestamp with time zone|1184|D|true', 'timestamp(2) with time zone|2'],
  ['timestamp(0) with time zone', 'OK:timestamp with time zone|1184|D|true', 'timestamp(0) with time zone|0'],
  ['interval', 'OK:interval|1186|T|true', 'interval|-1'],
  ['interval(3)', 'OK:interval|1186|T|true', 'interval(3)|2147418115'],
  ['uuid', 'OK:uuid|2950|U|false', 'uuid|-1'],
  ['json', 'OK:json|114|U|false', 'json|-1'],
  ['jsonb', 'OK:jsonb|3802|U|false', 'jsonb|-1'],
  ['int[]', 'OK:integer[]|1007|A|false', 'integer[]|-1'],
  ['text[]', 'OK:text[]|1009|A|false', 'text[]|-1'],
  ['varchar(5)[]', 'OK:character varying[]|1015|A|false', 'character varying(5)[]|9'],
  ['numeric(4,1)[]', 'OK:numeric[]|1231|A|false', 'numeric(4,1)[]|262149'],
  ['bool[]', 'OK:boolean[]|1000|A|false', 'boolean[]|-1'],
  ['int2[]', 'OK:smallint[]|1005|A|false', 'smallint[]|-1'],
  ['int8[]', 'OK:bigint[]|1016|A|false', 'bigint[]|-1'],
  ['float4[]', 'OK:real[]|1021|A|false', 'real[]|-1'],
  ['float8[]', 'OK:double precision[]|1022|A|false', 'double precision[]|-1'],
  ['numeric[]', 'OK:numeric[]|1231|A|false', 'numeric[]|-1'],
  ['timestamp[]', 'OK:timestamp without time zone[]|1115|A|false', 'timestamp without time zone[]|-1'],
  ['date[]', 'OK:date[]|1182|A|false', 'date[]|-1'],
  ['timestamptz[]', 'OK:timestamp with time zone[]|1185|A|false', 'timestamp with time zone[]|-1'],
  ['uuid[]', 'OK:uuid[]|2951|A|false', 'uuid[]|-1'],
  ['jsonb[]', 'OK:jsonb[]|3807|A|false', 'jsonb[]|-1'],
  ['bytea[]', 'OK:bytea[]|1001|A|false', 'bytea[]|-1'],
  ['interval[]', 'OK:interval[]|1187|A|false', 'interval[]|-1'],
  ['bpchar[]', 'OK:character[]|1014|A|false', 'bpchar[]|-1'],
  ['json[]', 'OK:json[]|199|A|false', 'json[]|-1'],
  ['varchar[]', 'OK:character varying[]|1015|A|false', 'character varying[]|-1'],
  ['INTEGER', 'OK:integer|23|N|false', 'integer|-1'],
  ['  Double   Precision ', 'OK:double precision|701|N|true', 'double precision|-1'],
  ['int4[3]', 'OK:integer[]|1007|A|false', 'integer[]|-1'],
  ['unknown', 'OK:unknown|705|X|false', null],
];

describe('type names agree with PostgreSQL', () => {
  it.each(CASES)('%j', (name, regtype, column) => {
    const t = resolveTypeName(name);
    const [, oid, cat, pref] = regtype.slice(3).split('|');
    expect(String(typeOid(t))).toBe(oid);
    expect(typeCategory(t)).toBe(cat);
    expect(String(isPreferredType(t))).toBe(pref);
    expect(typeFromOid(typeOid(t))?.kind).toBe(t.kind);
    if (column !== null) expect(`${typeName(t)}|${typmodOf(t)}`).toBe(column);
  });
  it('rejects unknown names with 42704', () => {
    let err: unknown;
    try {
      resolveTypeName('nosuchtype');
    } catch (e) {
      err = e;
    }
    expect(isThinkLiteError(err) && err.sqlstate).toBe('42704');
  });
});
