import {
  type Datum,
  formatFloat4,
  formatJsonb,
  formatText,
  type JsonbValue,
  type SqlType,
  type TypeContext,
  Types,
  typeName,
} from '@thinklite/sql';

/** A JSON value as JSON.stringify writes it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * One SQL value as JSON (decision 0013). A column's values always have one JSON type (apart from
 * null and the float specials), so clients can decode by the column's type:
 *
 * | SQL                            | JSON                                                          |
 * |--------------------------------|---------------------------------------------------------------|
 * | NULL                           | null                                                          |
 * | bool                           | true / false                                                  |
 * | int2, int4                     | number                                                        |
 * | float4, float8                 | number (float4 as its shortest decimal); NaN, ±Infinity as the strings "NaN", "Infinity", "-Infinity" |
 * | int8, numeric                  | string (`"9007199254740993"`, `"1.50"`): exact, and the scale is kept |
 * | text, varchar, char, uuid      | string                                                        |
 * | bytea                          | string, PostgreSQL's hex form `"\\x0102ff"`                   |
 * | date                           | string `"2024-02-29"` (`"infinity"`, `"… BC"` as PostgreSQL writes them) |
 * | timestamp                      | string, ISO 8601 without offset: `"2024-02-29T12:34:56.5"`    |
 * | timestamptz                    | string, ISO 8601 in the session's TimeZone: `"2024-02-29T12:34:56.5+00:00"` |
 * | interval                       | string, PostgreSQL's output (`"1 day 02:00:00"`)              |
 * | json, jsonb                    | the JSON value itself (not a string holding it)               |
 * | T[]                            | an array of T's JSON values                                   |
 *
 * These are the choices PostgreSQL's own `to_json` makes, except int8 and numeric, which
 * `to_json` writes as JSON numbers: most JSON parsers read numbers as doubles and would silently
 * round 2^53 + 1 or 0.1 + 0.2-sized decimals.
 */
export function toJson(type: SqlType, d: Datum, ctx: TypeContext): JsonValue {
  if (d === null) return null;
  switch (type.kind) {
    case 'bool':
      return d as boolean;
    case 'int2':
    case 'int4':
      return d as number;
    case 'float4':
    case 'float8': {
      const x = d as number;
      if (!Number.isFinite(x)) return formatText(type, x, ctx);
      return type.kind === 'float4' ? Number(formatFloat4(x)) : x;
    }
    case 'json':
      return JSON.parse(d as string) as JsonValue;
    case 'jsonb':
      return JSON.parse(formatJsonb(d as JsonbValue)) as JsonValue;
    case 'timestamp':
    case 'timestamptz':
      return isoTimestamp(formatText(type, d, ctx));
    case 'array': {
      const elem = type.elem ?? Types.text;
      return (d as readonly Datum[]).map((x) => toJson(elem, x, ctx));
    }
    default:
      // int8, numeric, text, varchar, bpchar, uuid, bytea (\x hex), date, interval, unknown.
      return formatText(type, d, ctx);
  }
}

/** PostgreSQL's ISO output `2024-02-29 12:34:56.5+05:30` as ISO 8601 `2024-02-29T12:34:56.5+05:30`. */
function isoTimestamp(text: string): string {
  const m = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:([+-]\d\d)(?::(\d\d))?(?::(\d\d))?)?$/.exec(text);
  if (!m) return text; // infinity, -infinity, BC dates: as PostgreSQL writes them
  const [, date, time, hours, minutes, seconds] = m;
  if (hours === undefined) return `${date}T${time}`;
  return `${date}T${time}${hours}:${minutes ?? '00'}${seconds !== undefined ? `:${seconds}` : ''}`;
}

/** A result column as the JSON API describes it: its name and PostgreSQL's name for its type. */
export function jsonColumn(c: { readonly name: string; readonly type: SqlType }): { name: string; type: string } {
  return { name: c.name, type: typeName(c.type) };
}
