/**
 * to_char for date/time values and to_date / to_timestamp(text, text) (PostgreSQL 15 §9.8,
 * formatting.c): the template patterns YYYY YYY YY Y Y,YYY IYYY IYY IY I MM MON Mon mon MONTH
 * Month month DD DDD D ID DAY Day day DY Dy dy HH HH12 HH24 MI SS MS US FF1-FF6 SSSS SSSSS
 * AM PM A.M. P.M. (and lower case) BC AD B.C. A.D. (and lower case) IW WW W Q CC J RM rm TZ tz
 * TZH TZM OF, the FM prefix, the TH/th suffix, "quoted text" and backslash escapes. The numeric
 * overloads (int4, int8, float4, float8, numeric) and to_number are in tochar-number.ts.
 */
import {
  daysFromCivil,
  daysInMonth,
  isFiniteTimestamp,
  localToUtc,
  sessionZone,
  type TypeContext,
  utcToLocal,
  zoneOffsetAt,
} from '../types/datetime.js';
import { type Interval, USECS_PER_DAY, USECS_PER_HOUR, USECS_PER_MINUTE, USECS_PER_SEC } from '../types/interval.js';
import { formatOffset, type TimeZone } from '../types/timezone.js';
import { dayOfYear, dow, isoDow, isoWeek, type Tm, toTm } from './datetime.js';
import { defineFunction } from './registry.js';
import { float4ToChar, float8ToChar, int4ToChar, int8ToChar, numericToChar, toNumber } from './tochar-number.js';
import { big, dec, num, sqlErr, str } from './util.js';

const KEYWORDS = [
  'A.D.',
  'A.M.',
  'AD',
  'AM',
  'B.C.',
  'BC',
  'CC',
  'DAY',
  'DDD',
  'DD',
  'DY',
  'Day',
  'Dy',
  'D',
  'FF1',
  'FF2',
  'FF3',
  'FF4',
  'FF5',
  'FF6',
  'HH24',
  'HH12',
  'HH',
  'IDDD',
  'ID',
  'IW',
  'IYYY',
  'IYY',
  'IY',
  'I',
  'J',
  'MI',
  'MM',
  'MONTH',
  'MON',
  'MS',
  'Month',
  'Mon',
  'OF',
  'P.M.',
  'PM',
  'Q',
  'RM',
  'SSSSS',
  'SSSS',
  'SS',
  'TZH',
  'TZM',
  'TZ',
  'US',
  'WW',
  'W',
  'Y,YYY',
  'YYYY',
  'YYY',
  'YY',
  'Y',
  'a.d.',
  'a.m.',
  'ad',
  'am',
  'b.c.',
  'bc',
  'cc',
  'day',
  'ddd',
  'dd',
  'dy',
  'd',
  'ff1',
  'ff2',
  'ff3',
  'ff4',
  'ff5',
  'ff6',
  'hh24',
  'hh12',
  'hh',
  'iddd',
  'id',
  'iw',
  'iyyy',
  'iyy',
  'iy',
  'i',
  'j',
  'mi',
  'mm',
  'month',
  'mon',
  'ms',
  'of',
  'p.m.',
  'pm',
  'q',
  'rm',
  'sssss',
  'ssss',
  'ss',
  'tzh',
  'tzm',
  'tz',
  'us',
  'ww',
  'w',
  'y,yyy',
  'yyyy',
  'yyy',
  'yy',
  'y',
];

type Node =
  | { readonly kind: 'lit'; readonly text: string }
  | { readonly kind: 'key'; readonly key: string; readonly fm: boolean; readonly th?: 'TH' | 'th' };

const PARSE_CACHE = new Map<string, Node[]>();

function parseFormat(fmt: string): Node[] {
  const cached = PARSE_CACHE.get(fmt);
  if (cached) return cached;
  const out: Node[] = [];
  let i = 0;
  while (i < fmt.length) {
    let fm = false;
    let j = i;
    for (;;) {
      const two = fmt.slice(j, j + 2);
      if (two === 'FM' || two === 'fm') {
        fm = true;
        j += 2;
      } else if (two === 'TM' || two === 'tm' || two === 'FX' || two === 'fx') j += 2;
      else break;
    }
    const key = KEYWORDS.find((k) => fmt.startsWith(k, j));
    if (key !== undefined) {
      j += key.length;
      const suffix = fmt.slice(j, j + 2);
      const th = suffix === 'TH' || suffix === 'th' ? suffix : undefined;
      if (th) j += 2;
      out.push(th ? { kind: 'key', key, fm, th } : { kind: 'key', key, fm });
      i = j;
      continue;
    }
    if (j > i) {
      // A lone modifier: nothing to print.
      i = j;
      continue;
    }
    const c = fmt[i] as string;
    if (c === '"') {
      let text = '';
      i++;
      while (i < fmt.length && fmt[i] !== '"') {
        if (fmt[i] === '\\' && i + 1 < fmt.length) i++;
        text += fmt[i];
        i++;
      }
      i++;
      out.push({ kind: 'lit', text });
      continue;
    }
    if (c === '\\' && fmt[i + 1] === '"') {
      out.push({ kind: 'lit', text: '"' });
      i += 2;
      continue;
    }
    out.push({ kind: 'lit', text: c });
    i++;
  }
  if (PARSE_CACHE.size > 200) PARSE_CACHE.clear();
  PARSE_CACHE.set(fmt, out);
  return out;
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const ROMAN = ['I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X', 'XI', 'XII'];

function ordinal(n: number, upper: boolean): string {
  const a = Math.abs(n);
  let s = 'th';
  if (a % 100 < 11 || a % 100 > 13) {
    if (a % 10 === 1) s = 'st';
    else if (a % 10 === 2) s = 'nd';
    else if (a % 10 === 3) s = 'rd';
  }
  return upper ? s.toUpperCase() : s;
}

/** The case a name pattern asks for: `MONTH` upper, `Month` capitalized, `month` lower. */
function cased(name: string, key: string): string {
  if (key === key.toUpperCase()) return name.toUpperCase();
  if (key[0] === key[0]?.toUpperCase()) return name;
  return name.toLowerCase();
}

/** Everything to_char needs about the value. */
interface Fields extends Tm {
  readonly isInterval: boolean;
  /** Seconds east of UTC, for timestamptz. */
  readonly offset?: number;
  readonly zoneAbbrev?: string;
  /** Hours, possibly beyond 23 for intervals. */
  readonly totalHours: number;
}

function zero(n: number, width: number): string {
  const neg = n < 0;
  const s = String(Math.abs(n)).padStart(width, '0');
  return neg ? `-${s}` : s;
}

function render(f: Fields, fmt: string): string {
  let out = '';
  const bcYear = f.year <= 0 ? 1 - f.year : f.year;
  const year = f.isInterval ? f.year : bcYear;
  for (const node of parseFormat(fmt)) {
    if (node.kind === 'lit') {
      out += node.text;
      continue;
    }
    const { key, fm } = node;
    const numeric = (n: number, width: number): string => {
      const s = fm ? String(n) : zero(n, width);
      return node.th ? s + ordinal(n, node.th === 'TH') : s;
    };
    const name = (n: string, width: number): string => {
      const s = cased(n, key);
      return fm ? s : s.padEnd(width, ' ');
    };
    const upperKey = key.toUpperCase();
    switch (upperKey) {
      case 'YYYY':
        out += numeric(year, 4);
        break;
      case 'Y,YYY': {
        const s = String(year);
        out += s.length > 3 ? `${s.slice(0, -3)},${s.slice(-3)}` : `0,${s.padStart(3, '0')}`;
        break;
      }
      case 'YYY':
        out += numeric(year % 1000, 3);
        break;
      case 'YY':
        out += numeric(year % 100, 2);
        break;
      case 'Y':
        out += numeric(year % 10, 1);
        break;
      case 'IYYY':
      case 'IYY':
      case 'IY':
      case 'I': {
        const iy = isoWeek(f.days)[1];
        const y = iy <= 0 ? 1 - iy : iy;
        const width = upperKey.length;
        out += numeric(width === 4 ? y : y % 10 ** width, width);
        break;
      }
      case 'MM':
        out += numeric(f.month, 2);
        break;
      case 'MONTH':
        out += name(MONTHS[f.month - 1] ?? '', 9);
        break;
      case 'MON':
        out += cased((MONTHS[f.month - 1] ?? '').slice(0, 3), key);
        break;
      case 'DAY':
        out += name(DAYS[dow(f.days)] ?? '', 9);
        break;
      case 'DY':
        out += cased((DAYS[dow(f.days)] ?? '').slice(0, 3), key);
        break;
      case 'DDD':
        out += numeric(f.isInterval ? f.day : dayOfYear(f), 3);
        break;
      case 'IDDD': {
        const [w] = isoWeek(f.days);
        out += numeric((w - 1) * 7 + isoDow(f.days), 3);
        break;
      }
      case 'DD':
        out += numeric(f.day, 2);
        break;
      case 'D':
        out += numeric(dow(f.days) + 1, 1);
        break;
      case 'ID':
        out += numeric(isoDow(f.days), 1);
        break;
      case 'W':
        out += numeric(Math.floor((f.day - 1) / 7) + 1, 1);
        break;
      case 'WW':
        out += numeric(Math.floor((dayOfYear(f) - 1) / 7) + 1, 2);
        break;
      case 'IW':
        out += numeric(isoWeek(f.days)[0], 2);
        break;
      case 'Q':
        out += numeric(Math.floor((f.month - 1) / 3) + 1, 1);
        break;
      case 'CC': {
        const cc = f.year > 0 ? Math.floor((f.year + 99) / 100) : -Math.floor((99 - (f.year - 1)) / 100);
        out += numeric(cc, 2);
        break;
      }
      case 'J':
        out += numeric(f.days + 2451545, 1);
        break;
      case 'RM': {
        const r = ROMAN[f.month - 1] ?? '';
        const s = key === 'rm' ? r.toLowerCase() : r;
        out += fm ? s : s.padEnd(4, ' ');
        break;
      }
      case 'HH':
      case 'HH12': {
        const h = f.totalHours % 12 === 0 ? 12 : f.totalHours % 12;
        out += numeric(h, 2);
        break;
      }
      case 'HH24':
        out += numeric(f.totalHours, 2);
        break;
      case 'MI':
        out += numeric(f.minute, 2);
        break;
      case 'SS':
        out += numeric(f.second, 2);
        break;
      case 'MS':
        out += numeric(Math.floor(f.fsec / 1000), 3);
        break;
      case 'US':
        out += numeric(f.fsec, 6);
        break;
      case 'FF1':
      case 'FF2':
      case 'FF3':
      case 'FF4':
      case 'FF5':
      case 'FF6': {
        const digits = Number(upperKey.slice(2));
        out += numeric(Math.floor(f.fsec / 10 ** (6 - digits)), digits);
        break;
      }
      case 'SSSS':
      case 'SSSSS':
        out += numeric(f.totalHours * 3600 + f.minute * 60 + f.second, 1);
        break;
      case 'AM':
      case 'PM':
        out += cased(f.totalHours % 24 >= 12 ? 'PM' : 'AM', key);
        break;
      case 'A.M.':
      case 'P.M.':
        out += cased(f.totalHours % 24 >= 12 ? 'P.M.' : 'A.M.', key);
        break;
      case 'BC':
      case 'AD':
        out += cased(f.year <= 0 ? 'BC' : 'AD', key);
        break;
      case 'B.C.':
      case 'A.D.':
        out += cased(f.year <= 0 ? 'B.C.' : 'A.D.', key);
        break;
      case 'TZ':
        if (f.zoneAbbrev !== undefined) out += key === 'tz' ? f.zoneAbbrev.toLowerCase() : f.zoneAbbrev;
        break;
      case 'OF':
        if (f.offset !== undefined) out += formatOffset(f.offset);
        break;
      case 'TZH':
        if (f.offset !== undefined)
          out += `${f.offset < 0 ? '-' : '+'}${zero(Math.floor(Math.abs(f.offset) / 3600), 2)}`;
        break;
      case 'TZM':
        if (f.offset !== undefined) out += zero(Math.floor((Math.abs(f.offset) % 3600) / 60), 2);
        break;
      default:
        out += key;
    }
  }
  return out;
}

const ABBREV_FORMATS = new Map<string, Intl.DateTimeFormat | null>();

/**
 * The locale whose CLDR short zone names match the tz database's abbreviations for a region
 * (EST/EDT, CET/CEST/BST, IST, AEST, NZST, JST); elsewhere PostgreSQL's numeric form is used.
 */
function abbrevLocale(name: string): string | undefined {
  if (/^(America|US|Canada)\//.test(name)) return 'en-US';
  if (/^Europe\//.test(name)) return 'en-GB';
  if (name === 'Asia/Kolkata' || name === 'Asia/Calcutta') return 'en-IN';
  if (/^Australia\//.test(name)) return 'en-AU';
  if (name === 'Pacific/Auckland' || name === 'NZ') return 'en-NZ';
  if (name === 'Asia/Tokyo' || name === 'Japan') return 'ja-JP';
  return undefined;
}

/** The zone abbreviation PostgreSQL prints for TZ: `UTC`, `EST`, `CEST`, or `+04` when none. */
function zoneAbbrev(zone: TimeZone, utc: bigint, offset: number): string {
  const upper = zone.name.toUpperCase();
  if (upper === 'UTC' || upper === 'GMT' || upper === 'Z' || upper === 'ZULU' || upper === 'ETC/UTC') {
    return upper === 'GMT' ? 'GMT' : 'UTC';
  }
  const numericAbbrev = formatOffset(offset);
  if (zone.fixedOffset !== undefined) return numericAbbrev;
  let fmt = ABBREV_FORMATS.get(zone.name);
  if (fmt === undefined) {
    const locale = abbrevLocale(zone.name);
    try {
      fmt =
        locale === undefined ? null : new Intl.DateTimeFormat(locale, { timeZone: zone.name, timeZoneName: 'short' });
    } catch {
      fmt = null;
    }
    ABBREV_FORMATS.set(zone.name, fmt);
  }
  if (fmt === null) return numericAbbrev;
  const part = fmt.formatToParts(new Date(Number(utc / 1000n) + 946684800000)).find((p) => p.type === 'timeZoneName');
  return part !== undefined && /^[A-Z]{2,5}$/.test(part.value) ? part.value : numericAbbrev;
}

function timestampFields(local: bigint, extra: Partial<Fields> = {}): Fields {
  const tm = toTm(local);
  return { ...tm, isInterval: false, totalHours: tm.hour, ...extra };
}

function intervalFields(v: Interval): Fields {
  const micros = v.micros < 0n ? -v.micros : v.micros;
  const sign = v.micros < 0n ? -1 : 1;
  const hours = Number(micros / USECS_PER_HOUR);
  return {
    year: Math.trunc(v.months / 12),
    month: v.months % 12,
    day: v.days,
    hour: sign * hours,
    minute: sign * Number((micros % USECS_PER_HOUR) / USECS_PER_MINUTE),
    second: sign * Number((micros % USECS_PER_MINUTE) / USECS_PER_SEC),
    fsec: sign * Number(micros % USECS_PER_SEC),
    days: v.days,
    isInterval: true,
    totalHours: sign * hours,
  };
}

defineFunction('to_char', [
  {
    args: ['timestamp', 'text'],
    result: 'text',
    volatility: 'stable',
    impl: ([t, f]) => (isFiniteTimestamp(big(t)) ? render(timestampFields(big(t), { offset: 0 }), str(f)) : null),
  },
  {
    args: ['timestamptz', 'text'],
    result: 'text',
    volatility: 'stable',
    impl: ([t, f], ctx) => {
      const utc = big(t);
      if (!isFiniteTimestamp(utc)) return null;
      const zone = sessionZone(ctx);
      const offset = zoneOffsetAt(zone, utc);
      return render(
        timestampFields(utcToLocal(utc, zone), { offset, zoneAbbrev: zoneAbbrev(zone, utc, offset) }),
        str(f),
      );
    },
  },
  {
    args: ['interval', 'text'],
    result: 'text',
    volatility: 'stable',
    impl: ([v, f]) => render(intervalFields(v as Interval), str(f)),
  },
  { args: ['int4', 'text'], result: 'text', volatility: 'stable', impl: ([v, f]) => int4ToChar(num(v), str(f)) },
  { args: ['int8', 'text'], result: 'text', volatility: 'stable', impl: ([v, f]) => int8ToChar(big(v), str(f)) },
  { args: ['float4', 'text'], result: 'text', volatility: 'stable', impl: ([v, f]) => float4ToChar(num(v), str(f)) },
  { args: ['float8', 'text'], result: 'text', volatility: 'stable', impl: ([v, f]) => float8ToChar(num(v), str(f)) },
  { args: ['numeric', 'text'], result: 'text', volatility: 'stable', impl: ([v, f]) => numericToChar(dec(v), str(f)) },
]);

defineFunction('to_number', [
  { args: ['text', 'text'], result: 'numeric', volatility: 'stable', impl: ([v, f]) => toNumber(str(v), str(f)) },
]);

// --- to_date / to_timestamp ----------------------------------------------------------------------

interface Parsed {
  year?: number;
  bc: boolean;
  month?: number;
  day?: number;
  doy?: number;
  julian?: number;
  hour: number;
  hour12: boolean;
  pm?: boolean;
  minute: number;
  second: number;
  fsec: number;
  offset?: number;
  yearDigits?: number;
}

const NUMERIC_WIDTH: Record<string, number> = {
  YYYY: 4,
  YYY: 3,
  YY: 2,
  Y: 1,
  IYYY: 4,
  MM: 2,
  DD: 2,
  DDD: 3,
  HH: 2,
  HH12: 2,
  HH24: 2,
  MI: 2,
  SS: 2,
  MS: 3,
  US: 6,
  FF1: 1,
  FF2: 2,
  FF3: 3,
  FF4: 4,
  FF5: 5,
  FF6: 6,
  J: 7,
  D: 1,
  ID: 1,
  W: 1,
  WW: 2,
  IW: 2,
  Q: 1,
  CC: 2,
  SSSS: 5,
  SSSSS: 5,
};

function invalidValue(value: string, key: string, detail: string): Error {
  return sqlErr('INVALID_DATETIME_FORMAT', `invalid value "${value}" for "${key}"`, { detail });
}

function parseWithFormat(input: string, fmt: string): Parsed {
  const nodes = parseFormat(fmt);
  const p: Parsed = { bc: false, hour: 0, hour12: false, minute: 0, second: 0, fsec: 0 };
  let pos = 0;
  for (let n = 0; n < nodes.length; n++) {
    const node = nodes[n] as Node;
    if (node.kind === 'lit') {
      // A separator in the template skips one character of input (spaces: all of them).
      if (node.text === ' ') {
        while (input[pos] === ' ') pos++;
      } else if (pos < input.length && !/[0-9A-Za-z]/.test(input[pos] as string)) pos++;
      else if (input[pos] === node.text) pos++;
      continue;
    }
    while (input[pos] === ' ') pos++;
    const key = node.key;
    const upper = key.toUpperCase();
    const width = NUMERIC_WIDTH[upper];
    if (width !== undefined || upper === 'Y,YYY') {
      const next = nodes[n + 1];
      const adjacent = next !== undefined && next.kind === 'key';
      let end = pos;
      if (input[end] === '-' || input[end] === '+') end++;
      const max = adjacent ? pos + (width ?? 5) : input.length;
      while (end < input.length && end < max && /[0-9,]/.test(input[end] as string)) {
        if (input[end] === ',' && upper !== 'Y,YYY') break;
        end++;
      }
      const text = input.slice(pos, end).replace(/,/g, '');
      if (text === '' || text === '-' || text === '+') {
        const shown = input.slice(pos, pos + (width ?? 4)).trim() || input.slice(pos);
        throw invalidValue(shown, key, 'Value must be an integer.');
      }
      const v = Number(text);
      const digits = end - pos;
      pos = end;
      switch (upper) {
        case 'YYYY':
        case 'Y,YYY':
        case 'IYYY':
          p.year = v;
          p.yearDigits = digits;
          break;
        case 'YYY':
        case 'YY':
        case 'Y':
          p.year = digits <= 2 && upper !== 'YYY' ? (v < 70 ? 2000 + v : 1900 + v) : digits === 3 ? 2000 + v : v;
          p.yearDigits = 4;
          break;
        case 'MM':
          p.month = v;
          break;
        case 'DD':
          p.day = v;
          break;
        case 'DDD':
          p.doy = v;
          break;
        case 'HH':
        case 'HH12':
          p.hour = v;
          p.hour12 = true;
          break;
        case 'HH24':
          p.hour = v;
          break;
        case 'MI':
          p.minute = v;
          break;
        case 'SS':
          p.second = v;
          break;
        case 'MS':
          p.fsec = v * 10 ** (3 - digits) * 1000;
          break;
        case 'US':
        case 'FF1':
        case 'FF2':
        case 'FF3':
        case 'FF4':
        case 'FF5':
        case 'FF6':
          p.fsec = v * 10 ** (6 - digits);
          break;
        case 'J':
          p.julian = v;
          break;
        case 'SSSS':
        case 'SSSSS':
          p.hour = Math.floor(v / 3600);
          p.minute = Math.floor((v % 3600) / 60);
          p.second = v % 60;
          break;
        default:
          break;
      }
      continue;
    }
    const rest = input.slice(pos);
    const matchWord = (words: readonly string[], len?: number): number => {
      for (let i = 0; i < words.length; i++) {
        const w = (len ? (words[i] as string).slice(0, len) : (words[i] as string)).toLowerCase();
        if (rest.toLowerCase().startsWith(w)) {
          pos += w.length;
          return i;
        }
      }
      const shown = rest.split(/[^A-Za-z]/)[0] || rest;
      throw invalidValue(shown, key, 'The given value did not match any of the allowed values for this field.');
    };
    switch (upper) {
      case 'MONTH':
        p.month = matchWord(MONTHS) + 1;
        break;
      case 'MON':
        p.month = matchWord(MONTHS, 3) + 1;
        break;
      case 'DAY':
        matchWord(DAYS);
        break;
      case 'DY':
        matchWord(DAYS, 3);
        break;
      case 'AM':
      case 'PM':
        p.pm = matchWord(['AM', 'PM']) === 1;
        break;
      case 'A.M.':
      case 'P.M.':
        p.pm = matchWord(['A.M.', 'P.M.']) === 1;
        break;
      case 'BC':
      case 'AD':
        p.bc = matchWord(['AD', 'BC']) === 1;
        break;
      case 'B.C.':
      case 'A.D.':
        p.bc = matchWord(['A.D.', 'B.C.']) === 1;
        break;
      case 'RM': {
        const order = ROMAN.map((r, i) => [r, i] as const).sort((a, b) => b[0].length - a[0].length);
        p.month = (order[matchWord(order.map((o) => o[0]))]?.[1] ?? 0) + 1;
        break;
      }
      case 'TZH': {
        const m = /^([+-]?)(\d{1,2})/.exec(rest);
        if (!m) throw invalidValue(rest, key, 'Value must be an integer.');
        pos += m[0].length;
        p.offset = (m[1] === '-' ? -1 : 1) * Number(m[2]) * 3600 + (p.offset ?? 0);
        break;
      }
      case 'TZM': {
        const m = /^(\d{1,2})/.exec(rest);
        if (!m) throw invalidValue(rest, key, 'Value must be an integer.');
        pos += m[0].length;
        const sign = (p.offset ?? 0) < 0 ? -1 : 1;
        p.offset = (p.offset ?? 0) + sign * Number(m[1]) * 60;
        break;
      }
      default:
        throw sqlErr('FEATURE_NOT_SUPPORTED', `formatting field "${key}" is only supported in to_char`);
    }
  }
  return p;
}

function outOfRange(input: string): Error {
  return sqlErr('DATETIME_FIELD_OVERFLOW', `date/time field value out of range: "${input}"`);
}

/** The local timestamp a to_timestamp / to_date input denotes. */
function parsedLocal(input: string, fmt: string): { local: bigint; offset?: number } {
  const p = parseWithFormat(input, fmt);
  let days: number;
  if (p.julian !== undefined) days = p.julian - 2451545;
  else {
    // Without a year field PostgreSQL's year is 0, that is 1 BC.
    let year = p.year ?? 0;
    if (p.bc) year = 1 - year;
    if (p.doy !== undefined && p.month === undefined) {
      days = daysFromCivil(year, 1, 1) + p.doy - 1;
    } else {
      const month = p.month ?? 1;
      const day = p.day ?? 1;
      if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) throw outOfRange(input);
      days = daysFromCivil(year, month, day);
    }
  }
  let hour = p.hour;
  if (p.hour12 || p.pm !== undefined) {
    if (hour < 1 || hour > 12) {
      throw sqlErr('INVALID_DATETIME_FORMAT', `hour "${hour}" is invalid for the 12-hour clock`, {
        hint: 'Use the 24-hour clock, or give an hour between 1 and 12.',
      });
    }
    if (p.pm && hour < 12) hour += 12;
    else if (p.pm === false && hour === 12) hour = 0;
  }
  if (hour > 24 || p.minute > 59 || p.second > 60) throw outOfRange(input);
  const local =
    BigInt(days) * USECS_PER_DAY +
    BigInt(hour) * USECS_PER_HOUR +
    BigInt(p.minute) * USECS_PER_MINUTE +
    BigInt(p.second) * USECS_PER_SEC +
    BigInt(Math.round(p.fsec));
  return p.offset === undefined ? { local } : { local, offset: p.offset };
}

defineFunction('to_date', [
  {
    args: ['text', 'text'],
    result: 'date',
    volatility: 'stable',
    impl: ([s, f]) => {
      const { local } = parsedLocal(str(s), str(f));
      return Number((local - (((local % USECS_PER_DAY) + USECS_PER_DAY) % USECS_PER_DAY)) / USECS_PER_DAY);
    },
  },
]);
defineFunction('to_timestamp', [
  {
    args: ['text', 'text'],
    result: 'timestamptz',
    volatility: 'stable',
    impl: ([s, f], ctx: TypeContext) => {
      const { local, offset } = parsedLocal(str(s), str(f));
      if (offset !== undefined) return local - BigInt(offset) * USECS_PER_SEC;
      return localToUtc(local, sessionZone(ctx));
    },
  },
]);
