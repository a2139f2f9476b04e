/**
 * The shell: SQL and meta-commands from a REPL, a script or -e, run on a backend and printed.
 * Input is read line by line; a statement runs when its `;` arrives (outside quotes and
 * comments); a line starting with `\` or `.` where a statement would start is a meta-command.
 */
import { statSync } from 'node:fs';
import { type Backend, failureOf, type ResultSet } from './backend.js';
import { formatFailure, formatResult, type OutputMode } from './format.js';
import { describeQueries, HELP, schemaText, tableNames } from './meta.js';
import { splitStatements } from './split.js';

export interface ShellIo {
  out(text: string): void;
  err(text: string): void;
}

export class Shell {
  private buffer = '';
  private timing = false;
  private expanded = false;
  /** Set by \q: the caller stops reading. */
  quit = false;

  constructor(
    private readonly backend: Backend,
    private readonly io: ShellIo,
    private readonly mode: 'aligned' | 'csv' | 'json' = 'aligned',
  ) {}

  /** Whether a statement is half-typed (the REPL shows the continuation prompt). */
  get pending(): boolean {
    return this.buffer.trim() !== '';
  }

  /** Feeds one line; returns false once a statement or command failed. */
  async line(text: string): Promise<boolean> {
    const trimmed = text.trim();
    if (!this.pending && (trimmed.startsWith('\\') || /^\.[a-z]/.test(trimmed))) return this.meta(trimmed);
    this.buffer += `${text}\n`;
    const { statements, rest } = splitStatements(this.buffer);
    this.buffer = rest.trim() === '' ? '' : rest;
    let ok = true;
    for (const sql of statements) if (ok) ok = await this.statement(sql);
    return ok;
  }

  /** Runs what is left in the buffer (a script's last statement may lack its `;`). */
  async end(): Promise<boolean> {
    const rest = this.buffer.trim();
    this.buffer = '';
    return rest === '' ? true : this.statement(rest);
  }

  private outputMode(): OutputMode {
    return this.mode === 'aligned' && this.expanded ? 'expanded' : this.mode;
  }

  private async statement(sql: string): Promise<boolean> {
    const started = performance.now();
    try {
      const r = await this.backend.run(sql);
      this.print(r);
      if (this.timing) this.io.out(`Time: ${(performance.now() - started).toFixed(3)} ms\n`);
      return true;
    } catch (e) {
      this.io.err(formatFailure(failureOf(e)));
      return false;
    }
  }

  private print(r: ResultSet): void {
    this.io.out(formatResult(r, this.outputMode()));
  }

  private async meta(command: string): Promise<boolean> {
    const [name = '', ...args] = command.split(/\s+/);
    const arg = args[0];
    try {
      switch (name) {
        case '\\q':
        case '.quit':
        case '.exit':
          this.quit = true;
          return true;
        case '\\?':
        case '.help':
          this.io.out(HELP);
          return true;
        case '\\timing':
          this.timing = arg === undefined ? !this.timing : arg === 'on';
          this.io.out(`Timing is ${this.timing ? 'on' : 'off'}.\n`);
          return true;
        case '\\x':
          this.expanded = arg === undefined ? !this.expanded : arg === 'on';
          this.io.out(`Expanded display is ${this.expanded ? 'on' : 'off'}.\n`);
          return true;
        case '.tables':
          this.io.out(await tableNames(this.backend));
          return true;
        case '.schema':
          this.io.out(await schemaText(this.backend, arg));
          return true;
        case '\\copy':
          return await this.copy(command.slice(name.length).trim());
        default: {
          const queries = describeQueries(name === '\\d+' ? '\\d' : name, arg);
          if (!queries) {
            this.io.err(`invalid command ${name}\nTry \\? for help.\n`);
            return false;
          }
          for (const q of queries) this.print(await this.backend.run(q));
          return true;
        }
      }
    } catch (e) {
      this.io.err(formatFailure(failureOf(e)));
      return false;
    }
  }

  /** \copy TABLE [(cols)] from 'FILE' [with] [(options)]: COPY … FROM STDIN fed from a local file. */
  private async copy(spec: string): Promise<boolean> {
    const m = /^(.+?)\s+from\s+'((?:[^']|'')*)'\s*(?:with\s*)?(\(.*\))?\s*;?$/i.exec(spec);
    if (!m || !this.backend.copyFromFile) {
      this.io.err(
        m
          ? '\\copy is available on an embedded database\n'
          : "usage: \\copy TABLE [(columns)] from 'FILE' [(FORMAT csv, HEADER)]\n",
      );
      return false;
    }
    const file = (m[2] as string).replaceAll("''", "'");
    const total = statSync(file).size;
    const started = performance.now();
    // A progress line once a second, from the first second of copying on (a header counts as a line).
    let last = started;
    let shown = false;
    const progress = (bytes: number, lines: number) => {
      const now = performance.now();
      if (now - last < 1000) return;
      last = now;
      shown = true;
      const rate = Math.round(lines / ((now - started) / 1000));
      this.io.err(`\rcopy: ${lines} lines read, ${Math.round((100 * bytes) / Math.max(1, total))}%, ${rate} lines/s`);
    };
    try {
      const r = await this.backend.copyFromFile(`COPY ${m[1]} FROM STDIN ${m[3] ?? ''}`, file, progress);
      const seconds = (performance.now() - started) / 1000;
      const rows = Number(r.command.split(' ')[1] ?? 0);
      if (shown) this.io.err('\n');
      this.io.out(`${r.command}\n`);
      this.io.err(
        `copy: ${rows} rows in ${seconds.toFixed(2)} s (${Math.round(rows / Math.max(seconds, 1e-6))} rows/s)\n`,
      );
      return true;
    } catch (e) {
      if (shown) this.io.err('\n');
      this.io.err(formatFailure(failureOf(e)));
      return false;
    }
  }
}
