import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ThinkLiteError } from '@thinklite/base';

/**
 * The on-disk layout of a store directory:
 *   THINKLITE   identity and format version (JSON), written atomically before anything else
 *   LOCK        the pid (and process start time) of the process that has the store open
 *   data.mdb    the LMDB environment (lock.mdb beside it is LMDB's reader table)
 *   raft-wal/   the node's Raft log (the kv package's RaftWal), when the node replicates
 *
 * Opening refuses, with an error naming the path, a directory that holds files but no THINKLITE
 * (someone else's data), a THINKLITE it cannot parse, a format version it does not know, and a
 * store another live process holds. Nothing is ever overwritten to make an open succeed.
 */

export const IDENT_FILE = 'THINKLITE';
export const LOCK_FILE = 'LOCK';
export const IDENT_MAGIC = 'thinklite-store';
/** The on-disk format this build writes and the newest it reads. */
export const FORMAT_VERSION = 1;

export interface StoreIdent {
  readonly magic: typeof IDENT_MAGIC;
  readonly formatVersion: number;
  readonly storeId: string;
  readonly createdAt: string;
}

/** Files a store directory may hold; anything else in a directory without THINKLITE is foreign. */
const OWN_FILES = new Set([IDENT_FILE, LOCK_FILE, 'data.mdb', 'lock.mdb', `${IDENT_FILE}.tmp`, 'raft-wal']);

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function writeFileAtomic(file: string, contents: string): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, contents);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

function ioError(what: string, file: string, e: unknown): ThinkLiteError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC') {
    return new ThinkLiteError('STORE_FULL', `${what} ${file}: no space left on device`, { path: file }, { cause: e });
  }
  return new ThinkLiteError(
    'STORE_IO',
    `${what} ${file}: ${(e as Error).message}`,
    { path: file, errno: code },
    { cause: e },
  );
}

/** Reads the identity of an existing store (a process attaching to a store another one owns). */
export function readStoreIdent(dir: string): StoreIdent {
  const identPath = path.join(dir, IDENT_FILE);
  let text: string;
  try {
    text = fs.readFileSync(identPath, 'utf8');
  } catch (e) {
    throw ioError('cannot read', identPath, e);
  }
  return parseIdent(identPath, text);
}

/**
 * Reads or creates the store's identity. Returns the ident and whether the store is new.
 */
export function prepareStoreDir(dir: string): { ident: StoreIdent; created: boolean } {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw ioError('cannot create store directory', dir, e);
  }
  const identPath = path.join(dir, IDENT_FILE);
  let text: string | undefined;
  try {
    text = fs.readFileSync(identPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('cannot read', identPath, e);
  }
  if (text === undefined) {
    const foreign = fs.readdirSync(dir).filter((f) => !OWN_FILES.has(f));
    if (foreign.length > 0 || fs.existsSync(path.join(dir, 'data.mdb'))) {
      const shown = (foreign.length > 0 ? foreign : ['data.mdb']).slice(0, 5).join(', ');
      throw new ThinkLiteError(
        'STORE_FOREIGN_DIRECTORY',
        `${dir} is not a ThinkLite store (it has no ${IDENT_FILE} file but holds ${shown}); ` +
          'refusing to write into it. Choose an empty or new directory.',
        { path: dir, files: foreign.slice(0, 20) },
      );
    }
    const ident: StoreIdent = {
      magic: IDENT_MAGIC,
      formatVersion: FORMAT_VERSION,
      storeId: randomUUID(),
      createdAt: new Date().toISOString(),
    };
    try {
      writeFileAtomic(identPath, `${JSON.stringify(ident, null, 2)}\n`);
    } catch (e) {
      throw ioError('cannot write', identPath, e);
    }
    return { ident, created: true };
  }
  return { ident: parseIdent(identPath, text), created: false };
}

function parseIdent(identPath: string, text: string): StoreIdent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ThinkLiteError(
      'STORE_CORRUPT',
      `${identPath} is damaged: it is not valid JSON`,
      { path: identPath },
      { cause: e },
    );
  }
  const p = parsed as Partial<StoreIdent> | null;
  if (p === null || typeof p !== 'object' || p.magic !== IDENT_MAGIC || typeof p.storeId !== 'string') {
    throw new ThinkLiteError('STORE_CORRUPT', `${identPath} is damaged or not a ThinkLite identity file`, {
      path: identPath,
    });
  }
  if (typeof p.formatVersion !== 'number' || !Number.isInteger(p.formatVersion) || p.formatVersion < 1) {
    throw new ThinkLiteError('STORE_CORRUPT', `${identPath} has an invalid format version`, { path: identPath });
  }
  if (p.formatVersion > FORMAT_VERSION) {
    throw new ThinkLiteError(
      'STORE_FORMAT_UNSUPPORTED',
      `${identPath} says on-disk format version ${p.formatVersion}; this build reads versions up to ${FORMAT_VERSION}. ` +
        'Open it with a newer ThinkLite.',
      { path: identPath, formatVersion: p.formatVersion, supported: FORMAT_VERSION },
    );
  }
  return p as StoreIdent;
}

/** The start time of a process in clock ticks since boot (Linux), to tell a live holder from a reused pid. */
function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) is parenthesized and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface LockContents {
  readonly pid: number;
  readonly startTime?: string;
}

/**
 * Takes the store's LOCK file, or throws STORE_LOCKED naming the holder. A lock left by a process
 * that died (SIGKILL, power loss) is stale and taken over: the holder's pid is gone, or now
 * belongs to a process that started at another time.
 */
export function acquireStoreLock(dir: string): () => void {
  const lockPath = path.join(dir, LOCK_FILE);
  const mine: LockContents = { pid: process.pid, startTime: processStartTime(process.pid) };
  const text = `${JSON.stringify(mine)}\n`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      try {
        fs.writeSync(fd, text);
      } finally {
        fs.closeSync(fd);
      }
      return () => {
        try {
          if (fs.readFileSync(lockPath, 'utf8') === text) fs.unlinkSync(lockPath);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('cannot create lock file', lockPath, e);
    }
    let holder: LockContents | undefined;
    try {
      holder = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as LockContents;
    } catch {
      holder = undefined; // half-written by a process that died while taking it: stale
    }
    if (holder && typeof holder.pid === 'number' && processAlive(holder.pid)) {
      const sameProcess = holder.startTime === undefined || holder.startTime === processStartTime(holder.pid);
      if (sameProcess) {
        throw new ThinkLiteError(
          'STORE_LOCKED',
          `store ${dir} is already open in process ${holder.pid}${holder.pid === process.pid ? ' (this process)' : ''}; ` +
            'a store can be opened by one process at a time',
          { path: dir, pid: holder.pid },
        );
      }
    }
    try {
      fs.unlinkSync(lockPath);
    } catch {
      // Another opener removed the stale lock first; retry the exclusive create.
    }
  }
  throw new ThinkLiteError('STORE_LOCKED', `store ${dir}: could not take ${lockPath} after repeated attempts`, {
    path: dir,
  });
}
