#!/usr/bin/env node
/**
 * `thinklite`: a REPL like sqlite3/psql over an embedded database file or a server.
 *
 *     thinklite app.tlite                      embedded: the directory is the database
 *     thinklite sql --url postgres://u@h:p/db  a server over the PostgreSQL protocol
 *     thinklite start [--store DIR …]          run a node (see start.ts)
 *     … -e "SELECT 1"                          run SQL and exit (non-zero on error)
 *     … < script.sql                           run a script from standard input
 *     … --csv | --json                         output format
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { parseArgs } from 'node:util';
import { type Backend, embedded, failureOf, remote } from './backend.js';
import { formatFailure } from './format.js';
import { Shell } from './shell.js';

const USAGE = `usage: thinklite FILE.tlite [options]
       thinklite sql --url postgres://user@host:port/db [options]
       thinklite start [--store DIR] [--sql-addr HOST:PORT] [--http-addr HOST:PORT] …  run a node
                                                (thinklite start --help for its options)
options:
  -e, --execute SQL   run SQL (statements and meta-commands) and exit
  -f, --file FILE     run a script file and exit
      --csv           print results as CSV
      --json          print results as JSON
  -h, --help          this help
`;

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'start') return (await import('./start.js')).start(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      execute: { type: 'string', short: 'e' },
      file: { type: 'string', short: 'f' },
      csv: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [first, second] = positionals;
  let backend: Backend;
  try {
    if (first === 'sql') {
      const url = values.url ?? second ?? process.env.THINKLITE_URL;
      if (!url) {
        process.stderr.write(`thinklite sql: give the server's address: --url postgres://…\n${USAGE}`);
        return 2;
      }
      backend = await remote(url);
    } else if (first !== undefined) {
      backend = await embedded(first);
    } else {
      process.stderr.write(USAGE);
      return 2;
    }
  } catch (e) {
    const f = failureOf(e);
    const target = first === 'sql' ? 'the server' : first;
    process.stderr.write(`thinklite: could not open ${target}: ${f.message}\n`);
    return 2;
  }
  const shell = new Shell(
    backend,
    { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) },
    values.csv ? 'csv' : values.json ? 'json' : 'aligned',
  );
  try {
    if (values.execute !== undefined) return (await runScript(shell, values.execute)) ? 0 : 1;
    if (values.file !== undefined) return (await runScript(shell, fs.readFileSync(values.file, 'utf8'))) ? 0 : 1;
    if (!process.stdin.isTTY) return (await runScript(shell, await readAll(process.stdin))) ? 0 : 1;
    await repl(shell, backend.label);
    return 0;
  } catch (e) {
    process.stderr.write(formatFailure(failureOf(e)));
    return 1;
  } finally {
    await backend.close();
  }
}

/** Runs a script line by line; stops at the first error. */
async function runScript(shell: Shell, text: string): Promise<boolean> {
  for (const line of text.split('\n')) {
    if (!(await shell.line(line))) return false;
    if (shell.quit) return true;
  }
  return shell.end();
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

const HISTORY = path.join(os.homedir(), '.thinklite_history');

/** The interactive loop: prompts, multi-line statements, history kept across runs. */
async function repl(shell: Shell, label: string): Promise<void> {
  let history: string[] = [];
  try {
    history = fs.readFileSync(HISTORY, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 1000);
  } catch {
    // no history yet
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, history, historySize: 1000 });
  process.stdout.write(`thinklite — ${label}\nType \\? for help, \\q to quit.\n`);
  const prompt = () => rl.setPrompt(shell.pending ? 'thinklite-> ' : 'thinklite=> ');
  prompt();
  rl.prompt();
  for await (const line of rl) {
    await shell.line(line);
    if (shell.quit) break;
    prompt();
    rl.prompt();
  }
  rl.close();
  try {
    const lines = (rl as unknown as { history: string[] }).history.slice().reverse();
    fs.writeFileSync(HISTORY, `${lines.join('\n')}\n`);
  } catch {
    // history is a convenience: not being able to keep it is no error
  }
}

process.exitCode = await main(process.argv.slice(2));
