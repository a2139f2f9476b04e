import { randomUUID } from 'node:crypto';
import type { Gauge, Logger } from '@thinklite/base';
import { parse, type Session } from '@thinklite/sql';
import { httpErrors } from './http-errors.js';

/** One explicit session of the SQL API: an engine session kept between requests. */
export interface HttpSession {
  readonly id: string;
  readonly user: string;
  readonly database: string;
  readonly session: Session;
  readonly createdAt: number;
  /** A request is running on the session (one at a time). */
  busy: boolean;
  closed: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Resolves when the running request has released the session. */
  released: Promise<void> | undefined;
  release: (() => void) | undefined;
}

export interface HttpSessionsOptions {
  readonly maxSessions: number;
  /** A session with no request for this long is closed and its transaction rolled back. */
  readonly idleTimeoutMs: number;
  readonly logger: Logger;
  readonly gauge: Gauge;
}

const NOTHING = { start: () => undefined, rows: () => true };
let rollbackStmt: ReturnType<typeof parse>[number] | undefined;

/** Rolls back the session's open transaction, if any (the engine has no session close of its own). */
export async function rollbackOpen(session: Session): Promise<void> {
  if (session.transactionStatus === 'idle') return;
  rollbackStmt ??= parse('ROLLBACK')[0] as ReturnType<typeof parse>[number];
  await session.stream(rollbackStmt, [], NOTHING);
}

/**
 * The SQL API's explicit sessions (decision 0013): created by POST /v1/sessions, used by
 * POST /v1/sql with their id, closed by DELETE, by the idle timeout, or when the node stops —
 * each time rolling back the session's open transaction. A session runs one request at a time;
 * the idle clock runs only between requests.
 */
export class HttpSessions {
  private readonly sessions = new Map<string, HttpSession>();
  private closing = false;
  private readonly log: Logger;

  constructor(private readonly options: HttpSessionsOptions) {
    this.log = options.logger;
  }

  get size(): number {
    return this.sessions.size;
  }

  get idleTimeoutMs(): number {
    return this.options.idleTimeoutMs;
  }

  /** Opens a session around `make()` (called only when under the limit). */
  create(user: string, database: string, make: () => Session): HttpSession {
    if (this.closing) throw httpErrors.unavailable('the database system is shutting down');
    if (this.sessions.size >= this.options.maxSessions) throw httpErrors.tooManySessions(this.options.maxSessions);
    const s: HttpSession = {
      id: randomUUID(),
      user,
      database,
      session: make(),
      createdAt: Date.now(),
      busy: false,
      closed: false,
      timer: undefined,
      released: undefined,
      release: undefined,
    };
    this.sessions.set(s.id, s);
    this.options.gauge.set(this.sessions.size);
    this.arm(s);
    this.log.debug({ sessionId: s.id, user, database }, 'session opened');
    return s;
  }

  /** The session, if open and owned by `user` (another user's session id is just as unknown). */
  get(id: string, user: string): HttpSession {
    const s = this.sessions.get(id);
    if (!s || s.closed || s.user !== user) throw httpErrors.sessionNotFound(id);
    return s;
  }

  /** Takes the session for one request: stops its idle clock; a busy session is refused. */
  acquire(id: string, user: string): HttpSession {
    const s = this.get(id, user);
    if (s.busy) throw httpErrors.sessionBusy(id);
    s.busy = true;
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    s.released = new Promise((resolve) => {
      s.release = resolve;
    });
    return s;
  }

  /** Ends a request on the session: restarts its idle clock (or finishes a close that waited). */
  release(s: HttpSession): void {
    s.busy = false;
    const done = s.release;
    s.release = undefined;
    s.released = undefined;
    if (!s.closed) this.arm(s);
    done?.();
  }

  /**
   * Closes the session: a running statement is cancelled and waited for, an open transaction is
   * rolled back. Unknown ids are ignored (returns false).
   */
  async close(id: string, reason: 'deleted' | 'idle' | 'shutdown'): Promise<boolean> {
    const s = this.sessions.get(id);
    if (!s || s.closed) return false;
    s.closed = true;
    this.sessions.delete(id);
    this.options.gauge.set(this.sessions.size);
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    if (s.busy) {
      s.session.cancel();
      await s.released;
    }
    const open = s.session.transactionStatus !== 'idle';
    try {
      await rollbackOpen(s.session);
    } catch (e) {
      this.log.warn({ err: e, sessionId: id }, 'session rollback failed');
    }
    const log = reason === 'deleted' ? this.log.debug.bind(this.log) : this.log.info.bind(this.log);
    log({ sessionId: id, reason, rolledBack: open }, 'session closed');
    return true;
  }

  /** Closes every session (the node stops); later creates are refused. */
  async closeAll(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id, 'shutdown')));
  }

  private arm(s: HttpSession): void {
    if (this.options.idleTimeoutMs <= 0) return;
    s.timer = setTimeout(() => {
      s.timer = undefined;
      if (!s.busy) void this.close(s.id, 'idle');
    }, this.options.idleTimeoutMs);
    s.timer.unref();
  }
}
