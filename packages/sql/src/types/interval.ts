/**
 * PostgreSQL's `interval`: three separately kept fields, months, days and microseconds, never
 * normalised into each other except by the justify_* functions. Comparison and hashing use
 * PostgreSQL's "span": months as 30 days, days as 24 hours (so `'1 mon' = '30 days'`).
 */
import { sqlError } from './errors.js';

export interface Interval {
  readonly months: number;
  readonly days: number;
  readonly micros: bigint;
}

export const USECS_PER_SEC = 1_000_000n;
export const USECS_PER_MINUTE = 60_000_000n;
export const USECS_PER_HOUR = 3_600_000_000n;
export const USECS_PER_DAY = 86_400_000_000n;
const DAYS_PER_MONTH = 30;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function interval(months: number, days: number, micros: bigint | number): Interval {
  return { months, days, micros: BigInt(micros) };
}

export const ZERO_INTERVAL: Interval = Object.freeze(interval(0, 0, 0n));

function intervalOutOfRange(): Error {
  return sqlError('DATETIME_FIELD_OVERFLOW', 'interval out of range');
}

/** Builds an interval, failing with `interval out of range` when a field overflows. */
function checked(months: number, days: number, micros: bigint): Interval {
  if (
    !Number.isInteger(months) ||
    months < INT32_MIN ||
    months > INT32_MAX ||
    !Number.isInteger(days) ||
    days < INT32_MIN ||
    days > INT32_MAX ||
    micros < INT64_MIN ||
    micros > INT64_MAX
  ) {
    throw intervalOutOfRange();
  }
  return { months: months === 0 ? 0 : months, days: days === 0 ? 0 : days, micros };
}

/** PostgreSQL's interval comparison key: months × 30 days + days × 24 h + microseconds. */
export function intervalSpan(v: Interval): bigint {
  return (BigInt(v.months) * BigInt(DAYS_PER_MONTH) + BigInt(v.days)) * USECS_PER_DAY + v.micros;
}

export function compareInterval(a: Interval, b: Interval): number {
  const x = intervalSpan(a);
  const y = intervalSpan(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function negateInterval(v: Interval): Interval {
  return checked(-v.months, -v.days, -v.micros);
}

export function addInterval(a: Interval, b: Interval): Interval {
  return checked(a.months + b.months, a.days + b.days, a.micros + b.micros);
}

export function subInterval(a: Interval, b: Interval): Interval {
  return checked(a.months - b.months, a.days - b.days, a.micros - b.micros);
}

/** TSROUND: round to microsecond precision. */
function tsRound(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function toInt32Checked(x: number): number {
  if (Number.isNaN(x) || x < INT32_MIN || x > INT32_MAX) throw intervalOutOfRange();
  return Math.trunc(x);
}

/**
 * Scales by a double as PostgreSQL's interval_mul does: months and days are scaled and
 * truncated, their fractional parts cascade down (a month as 30 days, a day as 24 hours).
 */
export function mulInterval(v: Interval, factor: number): Interval {
  const months = toInt32Checked(v.months * factor);
  const days0 = toInt32Checked(v.days * factor);
  return cascade(v, months, days0, v.months * factor, v.days * factor, Number(v.micros) * factor);
}

/** interval / double (interval_div); division by zero is 22012. */
export function divInterval(v: Interval, divisor: number): Interval {
  if (divisor === 0) throw sqlError('DIVISION_BY_ZERO', 'division by zero');
  const months = toInt32Checked(v.months / divisor);
  const days0 = toInt32Checked(v.days / divisor);
  return cascade(v, months, days0, v.months / divisor, v.days / divisor, Number(v.micros) / divisor);
}

function cascade(_v: Interval, months: number, days0: number, exactMonths: number, exactDays: number, time: number) {
  let days = days0;
  const monthRemainderDays = tsRound((exactMonths - months) * DAYS_PER_MONTH);
  let secRemainder = tsRound((exactDays - days + monthRemainderDays - Math.trunc(monthRemainderDays)) * 86400);
  if (Math.abs(secRemainder) >= 86400) {
    const whole = Math.trunc(secRemainder / 86400);
    days += whole;
    secRemainder -= whole * 86400;
  }
  days += Math.trunc(monthRemainderDays);
  const micros = rint(time + secRemainder * 1e6);
  if (!Number.isFinite(micros) || micros < -(2 ** 63) || micros >= 2 ** 63) {
    throw intervalOutOfRange();
  }
  return checked(months, days, BigInt(micros));
}

/** C's rint: round half to even. */
export function rint(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  if (Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** justify_hours: whole 24-hour periods of the time move into days, signs made consistent. */
export function justifyHours(v: Interval): Interval {
  let days = v.days + Number(v.micros / USECS_PER_DAY);
  let micros = v.micros % USECS_PER_DAY;
  if (days > 0 && micros < 0n) {
    micros += USECS_PER_DAY;
    days--;
  } else if (days < 0 && micros > 0n) {
    micros -= USECS_PER_DAY;
    days++;
  }
  return checked(v.months, days, micros);
}

/** justify_days: whole 30-day periods move into months, signs made consistent. */
export function justifyDays(v: Interval): Interval {
  let months = v.months + Math.trunc(v.days / DAYS_PER_MONTH);
  let days = v.days % DAYS_PER_MONTH;
  if (months > 0 && days < 0) {
    days += DAYS_PER_MONTH;
    months--;
  } else if (months < 0 && days > 0) {
    days -= DAYS_PER_MONTH;
    months++;
  }
  return checked(months, days, v.micros);
}

/** justify_interval: justify_hours then justify_days, with one sign across all fields. */
export function justifyInterval(v: Interval): Interval {
  let months = v.months;
  let days = v.days;
  let micros = v.micros;
  months += Math.trunc(days / DAYS_PER_MONTH);
  days %= DAYS_PER_MONTH;
  days += Number(micros / USECS_PER_DAY);
  micros %= USECS_PER_DAY;
  months += Math.trunc(days / DAYS_PER_MONTH);
  days %= DAYS_PER_MONTH;
  if (months > 0 && (days < 0 || (days === 0 && micros < 0n))) {
    days += DAYS_PER_MONTH;
    months--;
  } else if (months < 0 && (days > 0 || (days === 0 && micros > 0n))) {
    days -= DAYS_PER_MONTH;
    months++;
  }
  if (days > 0 && micros < 0n) {
    micros += USECS_PER_DAY;
    days--;
  } else if (days < 0 && micros > 0n) {
    micros -= USECS_PER_DAY;
    days++;
  }
  return checked(months, days, micros);
}

/** Rounds the time part to `precision` fractional-second digits, half away from zero. */
export function roundIntervalPrecision(v: Interval, precision: number): Interval {
  if (precision >= 6) return v;
  const unit = 10n ** BigInt(6 - precision);
  const half = unit / 2n;
  const m = v.micros >= 0n ? ((v.micros + half) / unit) * unit : -(((-v.micros + half) / unit) * unit);
  return { months: v.months, days: v.days, micros: m };
}

// --- output ---------------------------------------------------------------------------------

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** Seconds with up to six fraction digits, trailing zeros dropped: `05`, `06.5`. */
export function formatSecondsPart(secs: bigint, frac: bigint): string {
  let out = String(secs).padStart(2, '0');
  if (frac !== 0n) out += `.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
  return out;
}

/**
 * interval_out with IntervalStyle = postgres: `1 year 2 mons 3 days 04:05:06.5`, `-00:00:01`,
 * `00:00:00`. A positive field after a negative one gets an explicit `+` (`-1 days +02:00:00`).
 */
export function formatInterval(v: Interval): string {
  const years = Math.trunc(v.months / 12);
  const mons = v.months % 12;
  const parts: string[] = [];
  let isBefore = false;
  let isZero = true;
  for (const [value, unit] of [
    [years, 'year'],
    [mons, 'mon'],
    [v.days, 'day'],
  ] as const) {
    if (value === 0) continue;
    parts.push(`${isBefore && value > 0 ? '+' : ''}${plural(value, unit)}`);
    isBefore = value < 0;
    isZero = false;
  }
  if (isZero || v.micros !== 0n) {
    const neg = v.micros < 0n;
    const a = neg ? -v.micros : v.micros;
    const hours = a / USECS_PER_HOUR;
    const minutes = (a % USECS_PER_HOUR) / USECS_PER_MINUTE;
    const secs = (a % USECS_PER_MINUTE) / USECS_PER_SEC;
    const frac = a % USECS_PER_SEC;
    const sign = neg ? '-' : isBefore ? '+' : '';
    parts.push(
      `${sign}${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}:${formatSecondsPart(secs, frac)}`,
    );
  }
  return parts.join(' ');
}

// --- input ----------------------------------------------------------------------------------

type Unit =
  | 'microsecond'
  | 'millisecond'
  | 'second'
  | 'minute'
  | 'hour'
  | 'day'
  | 'week'
  | 'month'
  | 'year'
  | 'decade'
  | 'century'
  | 'millennium';

const UNITS: Record<string, Unit> = {};
function units(unit: Unit, ...names: string[]): void {
  for (const n of names) UNITS[n] = unit;
}
units('microsecond', 'microsecond', 'microseconds', 'us', 'usec', 'usecs', 'usecond', 'useconds');
units('millisecond', 'millisecond', 'milliseconds', 'ms', 'msec', 'msecs', 'msecond', 'mseconds');
units('second', 'second', 'seconds', 's', 'sec', 'secs');
units('minute', 'minute', 'minutes', 'm', 'min', 'mins');
units('hour', 'hour', 'hours', 'h', 'hr', 'hrs');
units('day', 'day', 'days', 'd');
units('week', 'week', 'weeks', 'w');
units('month', 'month', 'months', 'mon', 'mons');
units('year', 'year', 'years', 'y', 'yr', 'yrs');
units('decade', 'decade', 'decades', 'dec', 'decs');
units('century', 'century', 'centuries', 'c', 'cent');
units('millennium', 'millennium', 'millennia', 'mil', 'mils');

/**
 * Accumulates interval fields as PostgreSQL's DecodeInterval does: integer parts exactly, the
 * fractional part as a double that cascades down (AdjustFractDays / AdjustFractSeconds) and is
 * rounded to microseconds with rint, so results match PostgreSQL to the last microsecond.
 */
class Acc {
  months = 0n;
  days = 0n;
  micros = 0n;
  private mask = 0;

  /** Marks fields as given; a field given twice is a syntax error, as in PostgreSQL. */
  claim(bits: number): boolean {
    if ((this.mask & bits) !== 0) return false;
    this.mask |= bits;
    return true;
  }

  private fractSeconds(frac: number, scale: number): void {
    if (frac === 0) return;
    const f = frac * scale;
    const secs = Math.trunc(f);
    this.micros += BigInt(secs) * USECS_PER_SEC + BigInt(rint((f - secs) * 1e6));
  }

  private fractDays(frac: number, scale: number): void {
    if (frac === 0) return;
    const f = frac * scale;
    const days = Math.trunc(f);
    this.days += BigInt(days);
    this.fractSeconds(f - days, 86400);
  }

  /** Adds `whole + frac` units (frac carries the sign of the number and |frac| < 1). */
  add(unit: Unit, whole: bigint, frac: number): void {
    switch (unit) {
      case 'microsecond':
        this.micros += whole + BigInt(rint(frac));
        return;
      case 'millisecond':
        this.micros += whole * 1000n + BigInt(rint(frac * 1000));
        return;
      case 'second':
        this.micros += whole * USECS_PER_SEC + BigInt(rint(frac * 1e6));
        return;
      case 'minute':
        this.micros += whole * USECS_PER_MINUTE;
        this.fractSeconds(frac, 60);
        return;
      case 'hour':
        this.micros += whole * USECS_PER_HOUR;
        this.fractSeconds(frac, 3600);
        return;
      case 'day':
        this.days += whole;
        this.fractSeconds(frac, 86400);
        return;
      case 'week':
        this.days += whole * 7n;
        this.fractDays(frac, 7);
        return;
      case 'month':
        this.months += whole;
        this.fractDays(frac, DAYS_PER_MONTH);
        return;
      case 'year':
      case 'decade':
      case 'century':
      case 'millennium': {
        const years = unit === 'year' ? 1 : unit === 'decade' ? 10 : unit === 'century' ? 100 : 1000;
        this.months += whole * BigInt(12 * years) + BigInt(rint(frac * 12 * years));
        return;
      }
    }
  }
}

const UNIT_BIT: Record<Unit, number> = {
  microsecond: 1,
  millisecond: 2,
  second: 4,
  minute: 8,
  hour: 16,
  day: 32,
  week: 64,
  month: 128,
  year: 256,
  decade: 512,
  century: 1024,
  millennium: 2048,
};
const TIME_BITS = UNIT_BIT.hour | UNIT_BIT.minute | UNIT_BIT.second | UNIT_BIT.millisecond | UNIT_BIT.microsecond;

/** Splits a decimal number into its integer part and its (signed) fraction as a double. */
function splitNumber(s: string): [bigint, number] {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m) return [0n, Number.NaN];
  const neg = m[1] === '-';
  const whole = BigInt(m[2] || '0');
  const frac = m[3] ? Number(`0.${m[3]}`) : 0;
  return [neg ? -whole : whole, neg ? -frac : frac];
}

function fieldOverflow(text: string): Error {
  return sqlError('INTERVAL_FIELD_OVERFLOW', `interval field value out of range: "${text}"`);
}

function badInterval(text: string): Error {
  return sqlError('INVALID_DATETIME_FORMAT', `invalid input syntax for type interval: "${text}"`);
}

function finish(text: string, acc: Acc, negate: boolean): Interval {
  let { months, days, micros } = acc;
  if (negate) {
    months = -months;
    days = -days;
    micros = -micros;
  }
  if (months < BigInt(INT32_MIN) || months > BigInt(INT32_MAX)) throw fieldOverflow(text);
  if (days < BigInt(INT32_MIN) || days > BigInt(INT32_MAX)) throw fieldOverflow(text);
  if (micros < INT64_MIN || micros > INT64_MAX) throw fieldOverflow(text);
  return { months: Number(months) || 0, days: Number(days) || 0, micros };
}

const NUM = String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)`;
const TIME_RE = /^([+-]?)(\d+):(\d+)(?::(\d+(?:\.\d*)?))?$/;

function addTime(acc: Acc, m: RegExpExecArray, text: string): void {
  if (!acc.claim(TIME_BITS)) throw badInterval(text);
  const h = BigInt(m[2] ?? '0');
  const mi = BigInt(m[3] ?? '0');
  const [secs, frac] = splitNumber(m[4] ?? '0');
  if (mi > 59n || secs > 60n || (secs === 60n && frac > 0)) throw fieldOverflow(text);
  let us = h * USECS_PER_HOUR + mi * USECS_PER_MINUTE + secs * USECS_PER_SEC + BigInt(rint(frac * 1e6));
  if (m[1] === '-') us = -us;
  acc.micros += us;
}

/**
 * interval_in: the postgres/verbose syntax (`1 day`, `2 hours 30 minutes`, `1.5 years`,
 * `@ 1 hour ago`, `-1 day +02:00`, `1 12:00:00`), year-month `1-2`, a plain time `04:05:06`, a
 * bare number (seconds), and ISO 8601 (`P1Y2M3DT4H5M6S`, `PT1.5S`, `P1W`,
 * `P0001-02-03T04:05:06`). Fractions cascade down as PostgreSQL's do: `1.5 months` is
 * 1 mon 15 days, `1.5 days` is 1 day 12:00:00, fractional years round to whole months.
 */
export function parseInterval(text: string): Interval {
  const s = text.trim().toLowerCase();
  if (s.startsWith('p')) return parseIso8601(text, s);
  const acc = new Acc();
  let negate = false;
  // Split numbers glued to units ("1day") and signs; keep time and year-month tokens whole.
  const tokens = s
    .replace(/,/g, ' ')
    .split(/\s+/)
    .filter((t) => t !== '' && t !== '@');
  if (tokens.length === 0) throw badInterval(text);
  let i = 0;
  let any = false;
  while (i < tokens.length) {
    const tok = tokens[i] ?? '';
    i++;
    if (tok === 'ago') {
      if (i !== tokens.length) throw badInterval(text);
      negate = true;
      continue;
    }
    const time = TIME_RE.exec(tok);
    if (time) {
      addTime(acc, time, text);
      any = true;
      continue;
    }
    const ym = /^([+-]?)(\d+)-(\d+)$/.exec(tok);
    if (ym) {
      if (!acc.claim(UNIT_BIT.month)) throw badInterval(text);
      const months = BigInt(ym[2] ?? '0') * 12n + BigInt(ym[3] ?? '0');
      if (BigInt(ym[3] ?? '0') > 11n) throw fieldOverflow(text);
      acc.months += ym[1] === '-' ? -months : months;
      any = true;
      continue;
    }
    const glued = new RegExp(`^(${NUM})([a-z]*)$`).exec(tok);
    if (!glued) throw badInterval(text);
    const [whole, frac] = splitNumber(glued[1] ?? '');
    let unitWord = glued[2] ?? '';
    if (unitWord === '') {
      const next = tokens[i];
      if (next !== undefined && UNITS[next] !== undefined) {
        unitWord = next;
        i++;
      } else if (next !== undefined && TIME_RE.test(next)) {
        // "1 12:00:00": a bare number before a time is a day count.
        unitWord = 'day';
      } else {
        unitWord = 'second';
      }
    }
    const unit = UNITS[unitWord];
    if (unit === undefined) throw badInterval(text);
    let bits = UNIT_BIT[unit];
    if (unit === 'second' && frac !== 0) bits |= UNIT_BIT.millisecond | UNIT_BIT.microsecond;
    if (!acc.claim(bits)) throw badInterval(text);
    acc.add(unit, whole, frac);
    any = true;
  }
  if (!any) throw badInterval(text);
  return finish(text, acc, negate);
}

function parseIso8601(text: string, s: string): Interval {
  const acc = new Acc();
  // Alternative format: P[YYYY-MM-DD][T[hh:mm:ss]].
  const alt = /^p(\d+)-(\d+)-(\d+)(?:t(\d+):(\d+):(\d+(?:\.\d*)?))?$/.exec(s);
  if (alt) {
    acc.add('year', BigInt(alt[1] ?? '0'), 0);
    acc.add('month', BigInt(alt[2] ?? '0'), 0);
    acc.add('day', BigInt(alt[3] ?? '0'), 0);
    acc.add('hour', BigInt(alt[4] ?? '0'), 0);
    acc.add('minute', BigInt(alt[5] ?? '0'), 0);
    acc.add('second', ...isoNumber(alt[6] ?? '0'));
    return finish(text, acc, false);
  }
  let inTime = false;
  let rest = s.slice(1);
  if (rest === '') throw badInterval(text);
  const re = new RegExp(`^(${NUM})([ymwdhs])`);
  while (rest !== '') {
    if (rest.startsWith('t')) {
      if (inTime) throw badInterval(text);
      inTime = true;
      rest = rest.slice(1);
      continue;
    }
    const m = re.exec(rest);
    if (!m) throw badInterval(text);
    const [whole, frac] = isoNumber(m[1] ?? '');
    const d = m[2];
    let unit: Unit;
    if (inTime) {
      if (d === 'h') unit = 'hour';
      else if (d === 'm') unit = 'minute';
      else if (d === 's') unit = 'second';
      else throw badInterval(text);
    } else if (d === 'y') unit = 'year';
    else if (d === 'm') unit = 'month';
    else if (d === 'w') unit = 'week';
    else if (d === 'd') unit = 'day';
    else throw badInterval(text);
    acc.add(unit, whole, frac);
    rest = rest.slice(m[0].length);
  }
  return finish(text, acc, false);
}

/** ISO 8601 numbers are read whole as a double, then split (ParseISO8601Number). */
function isoNumber(s: string): [bigint, number] {
  const v = Number(s);
  const i = Math.trunc(v);
  return [BigInt(i), v - i];
}
