import type { Session, SqlEngine } from '@thinklite/sql';
import { ProtocolError } from './pgwire/protocol-error.js';

/** PostgreSQL's code for connections refused while the server starts or stops. */
const CANNOT_CONNECT_NOW = '57P03';

/**
 * Counts the statements running on the PgServer's sessions, and refuses new sessions once closed.
 * It sits between PgServer and the SqlEngine (a derived engine whose session() wraps each
 * session's statement methods), so the wire server needs no shutdown hooks of its own.
 */
export class StatementGate {
  running = 0;
  private closed = false;
  private waiters: (() => void)[] = [];

  close(): void {
    this.closed = true;
  }

  /**
   * Resolves true once no statement runs, or false after `ms`. A statement's end is judged one
   * macrotask after its engine call returned, so the connection has written its result and
   * ReadyForQuery (or begun the next statement of a pipeline) before the server is stopped.
   */
  async idle(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    for (;;) {
      if (this.running > 0 && !(await this.zero(deadline - Date.now()))) return false;
      await new Promise((r) => setImmediate(r));
      if (this.running === 0) return true;
    }
  }

  private zero(ms: number): Promise<boolean> {
    if (this.running === 0) return Promise.resolve(true);
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, ms);
      this.waiters.push(done);
    });
  }

  wrap(engine: SqlEngine): SqlEngine {
    const gated = Object.create(engine) as SqlEngine;
    gated.session = (database?: string, user?: string): Session => {
      if (this.closed) throw new ProtocolError(CANNOT_CONNECT_NOW, 'the database system is shutting down', true);
      const s = engine.session(database, user);
      this.track(s, 'stream');
      this.track(s, 'describe');
      this.track(s, 'execute');
      return s;
    };
    return gated;
  }

  private track(s: Session, method: 'stream' | 'describe' | 'execute'): void {
    const f = (s[method] as (...args: unknown[]) => Promise<unknown>).bind(s);
    (s as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      this.running++;
      try {
        return await f(...args);
      } finally {
        this.running--;
        if (this.running === 0) for (const w of this.waiters.splice(0)) w();
      }
    };
  }
}
