/**
 * Offsets in SQL text. libpg-query reports node locations, statement bounds and scanner tokens as
 * UTF-8 byte offsets, and error cursors in Unicode code points; JavaScript strings are indexed in
 * UTF-16 code units. These helpers convert between the three.
 */

const encoder = new TextEncoder();

/** The UTF-8 length of a string. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3; // BMP character, or a lone surrogate (encoded as U+FFFD)
  }
  return n;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** The number of code points in `s.slice(0, end)`. */
export function codePointsBefore(s: string, end: number): number {
  let n = 0;
  for (let i = 0; i < end && i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1))) i++;
    n++;
  }
  return n;
}

/** The UTF-16 index of code point number `cp` in `s` (clamped to the string's length). */
export function codePointToUtf16(s: string, cp: number): number {
  let i = 0;
  for (let n = 0; n < cp && i < s.length; n++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLowSurrogate(s.charCodeAt(i + 1)) ? 2 : 1;
  }
  return i;
}

/** Replaces every character of `s` with as many spaces as it has UTF-8 bytes, so byte offsets stay valid. */
export function blankOut(s: string): string {
  return ' '.repeat(utf8Length(s));
}

/** Maps UTF-8 byte offsets in one string to UTF-16 indexes. Cheap (identity) for ASCII text. */
export class SourceMap {
  readonly byteLength: number;
  private readonly byteToUtf16: Int32Array | undefined;

  constructor(readonly sql: string) {
    this.byteLength = utf8Length(sql);
    if (this.byteLength === sql.length) {
      this.byteToUtf16 = undefined;
      return;
    }
    const map = new Int32Array(this.byteLength + 1);
    let b = 0;
    for (let i = 0; i < sql.length; ) {
      const cp = sql.codePointAt(i) ?? 0;
      const units = cp > 0xffff ? 2 : 1;
      const bytes = encoder.encode(sql.slice(i, i + units)).length;
      for (let k = 0; k < bytes; k++) map[b + k] = i;
      b += bytes;
      i += units;
    }
    map[this.byteLength] = sql.length;
    this.byteToUtf16 = map;
  }

  /** The UTF-16 index of a byte offset (clamped to the text). */
  utf16(byteOffset: number): number {
    const b = Math.max(0, Math.min(byteOffset, this.byteLength));
    return this.byteToUtf16 === undefined ? b : (this.byteToUtf16[b] ?? this.sql.length);
  }

  /** The 1-based code-point position of a byte offset, as PostgreSQL reports error positions. */
  position(byteOffset: number): number {
    return codePointsBefore(this.sql, this.utf16(byteOffset)) + 1;
  }
}

/**
 * Maps a 0-based code-point cursor in `rewritten` (a copy of the original with some characters
 * replaced so that UTF-8 byte offsets are unchanged) to the 1-based position in the original.
 */
export function remapPosition(rewritten: string, cursor: number, original: SourceMap): number {
  const byte = utf8Length(rewritten.slice(0, codePointToUtf16(rewritten, cursor)));
  return original.position(byte);
}
