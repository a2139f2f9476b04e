import * as fs from 'node:fs';
import * as path from 'node:path';
import { isThinkLiteError } from '@thinklite/base';
import { describe, expect, it } from 'vitest';
import type { ConfChangeSingle } from '../src/index.js';
import { Harness } from './harness.js';

/**
 * Data-driven interaction tests in the style of etcd/raft's testdata: each file is a script of
 * commands, each followed by `----` and the output it must print. THINKLITE_REWRITE=1 rewrites the
 * expected output from the actual (then review the diff like any other change).
 *
 * Commands: cluster <voters…> [spares <ids…>] · campaign <id> · propose <id> <data> · tick <n> ·
 * isolate <ids…> · heal · transfer <from> <to> · read <id> <ctx> · conf <id> <+v|+l|-><node>… ·
 * status · applied <id>
 */
const DIR = path.join(import.meta.dirname, 'testdata');
const enc = (s: string) => new TextEncoder().encode(s);

function run(h: Harness | undefined, line: string): { h: Harness | undefined; out: string } {
  const [cmd, ...args] = line.trim().split(/\s+/);
  const ids = args.map(Number);
  const need = (): Harness => {
    if (!h) throw new Error('no cluster: start with `cluster`');
    return h;
  };
  const guard = (fn: () => void): string => {
    try {
      fn();
      return 'ok';
    } catch (e) {
      if (isThinkLiteError(e)) return `error ${e.code}${e.details.reason ? ` (${String(e.details.reason)})` : ''}`;
      throw e;
    }
  };
  switch (cmd) {
    case 'cluster': {
      const at = args.indexOf('spares');
      const voters = (at < 0 ? args : args.slice(0, at)).map(Number);
      const spares = at < 0 ? [] : args.slice(at + 1).map(Number);
      return { h: new Harness(voters, { spares }), out: 'ok' };
    }
    case 'campaign':
      need()
        .node(ids[0] as number)
        .raw.campaign();
      need().settle();
      return { h, out: 'ok' };
    case 'propose': {
      const out = guard(() =>
        need()
          .node(ids[0] as number)
          .raw.propose(enc(args[1] as string)),
      );
      need().settle();
      return { h, out };
    }
    case 'tick':
      need().tickAll(ids[0] as number);
      return { h, out: 'ok' };
    case 'isolate':
      need().isolate(...ids);
      return { h, out: 'ok' };
    case 'heal':
      need().heal();
      return { h, out: 'ok' };
    case 'transfer':
      need()
        .node(ids[0] as number)
        .raw.transferLeadership(ids[1] as number);
      need().settle();
      return { h, out: 'ok' };
    case 'read': {
      const out = guard(() =>
        need()
          .node(ids[0] as number)
          .raw.readIndex(enc(args[1] as string)),
      );
      need().settle();
      const got = need().node(ids[0] as number).readIndexes;
      return { h, out: out === 'ok' ? `read indexes [${got.join(' ')}]` : out };
    }
    case 'conf': {
      const changes: ConfChangeSingle[] = args.slice(1).map((a) => {
        const node = Number(a.replace(/^[+-][vl]?/, ''));
        if (a.startsWith('+v')) return { kind: 'add-voter', node };
        if (a.startsWith('+l')) return { kind: 'add-learner', node };
        return { kind: 'remove', node };
      });
      const out = guard(() =>
        need()
          .node(ids[0] as number)
          .raw.proposeConfChange({ changes }),
      );
      need().settle();
      return { h, out };
    }
    case 'status':
      return {
        h,
        out: [...need().nodes.values()]
          .map((n) => {
            const s = n.raw.status();
            const c = s.conf;
            const conf = `voters=[${c.voters}]${c.votersOutgoing.length ? ` outgoing=[${c.votersOutgoing}]` : ''}${c.learners.length ? ` learners=[${c.learners}]` : ''}`;
            return `${s.id}: ${s.role} term=${s.term} lead=${s.lead} commit=${s.commit} ${conf}`;
          })
          .join('\n'),
      };
    case 'applied':
      return {
        h,
        out: `[${need()
          .node(ids[0] as number)
          .applied.join(' ')}]`,
      };
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}

describe('raft interaction scripts (testdata)', () => {
  for (const file of fs.readdirSync(DIR).filter((f) => f.endsWith('.txt'))) {
    it(file, () => {
      const text = fs.readFileSync(path.join(DIR, file), 'utf8');
      const blocks = text.split(/\n\n+/).filter((b) => b.trim() !== '');
      let h: Harness | undefined;
      const rewritten: string[] = [];
      for (const block of blocks) {
        const lines = block.split('\n');
        const sep = lines.indexOf('----');
        const commands = (sep < 0 ? lines : lines.slice(0, sep)).filter((l) => l.trim() !== '' && !l.startsWith('#'));
        const comments = lines.filter((l) => l.startsWith('#'));
        const expected =
          sep < 0
            ? ''
            : lines
                .slice(sep + 1)
                .join('\n')
                .trimEnd();
        const outs: string[] = [];
        for (const c of commands) {
          const r = run(h, c);
          h = r.h;
          outs.push(r.out);
        }
        const actual = outs.filter((o) => o !== 'ok' || commands.length === 1).join('\n') || 'ok';
        rewritten.push([...comments, ...commands, '----', actual].join('\n'));
        if (!process.env.THINKLITE_REWRITE) expect(actual, `${file}: ${commands.join('; ')}`).toBe(expected);
      }
      if (process.env.THINKLITE_REWRITE) fs.writeFileSync(path.join(DIR, file), `${rewritten.join('\n\n')}\n`);
    });
  }
});
