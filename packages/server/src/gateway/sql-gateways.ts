import cluster, { type Worker } from 'node:cluster';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Counter, type Logger, type Registry } from '@thinklite/base';
import type { GatewayConnection, KvOwner } from '@thinklite/kv';
import { processIdTag } from '../pgwire/pg-server.js';
import type { GatewayConfig, GatewayMessage, OwnerMessage } from './messages.js';

export interface SqlGatewaysOptions {
  /** How many gateway processes (1–127). */
  readonly count: number;
  /** Their configuration, less what each is told of itself. */
  readonly config: Omit<GatewayConfig, 'index' | 'slots'>;
  readonly owner: KvOwner;
  readonly logger: Logger;
  readonly registry: Registry;
}

interface Gateway {
  readonly index: number;
  worker: Worker;
  connection: GatewayConnection;
  port?: number;
}

/**
 * The SQL gateway processes of a node (docs/decisions/0020), from the owner process: each is a
 * child forked with Node's cluster module and serves the PostgreSQL protocol on the node's SQL
 * port, which the processes share (the owner accepts each connection and hands it to one gateway
 * in turn). Their transactions lock and commit here, through KvOwner. A gateway that dies is
 * replaced; its open transactions roll back and their locks are released.
 */
export class SqlGateways {
  private readonly gateways = new Map<number, Gateway>();
  private readonly log: Logger;
  private stopping: Promise<void> | undefined;
  private nextReq = 1;
  private readonly metricsWaiters = new Map<number, (json: readonly object[]) => void>();
  private readonly restarts: Counter;

  constructor(private readonly options: SqlGatewaysOptions) {
    if (!Number.isInteger(options.count) || options.count < 1 || options.count > 127)
      throw new RangeError(`gateways must be an integer from 1 to 127, not ${options.count}`);
    this.log = options.logger.child({ component: 'gateways' });
    this.restarts = new Counter({
      name: 'thinklite_gateway_restarts_total',
      help: 'SQL gateway processes that exited unexpectedly and were started again',
      registers: [options.registry],
    });
  }

  /** The pids of the gateway processes that listen, by gateway number. */
  pids(): Map<number, number> {
    const listening = [...this.gateways].filter(([, g]) => g.port !== undefined);
    return new Map(listening.map(([i, g]) => [i, g.worker.process.pid as number]));
  }

  /** Starts every gateway; resolves with the SQL port once all of them listen. */
  async start(): Promise<number> {
    const ports = await Promise.all(Array.from({ length: this.options.count }, (_, i) => this.startGateway(i + 1)));
    return ports[0] as number;
  }

  /** Every gateway's metrics (JSON, as prom-client's AggregatorRegistry sums them), or [] for one that does not answer in 2 s. */
  async metricsJSON(): Promise<(readonly object[])[]> {
    return Promise.all(
      [...this.gateways.values()].map(
        (g) =>
          new Promise<readonly object[]>((resolve) => {
            const req = this.nextReq++;
            const timer = setTimeout(() => {
              this.metricsWaiters.delete(req);
              resolve([]);
            }, 2000);
            this.metricsWaiters.set(req, (json) => {
              clearTimeout(timer);
              resolve(json);
            });
            this.send(g, { tl: 'metrics', req });
          }),
      ),
    );
  }

  /** Stops every gateway gracefully (their statements get `graceMs`); a gateway still up 5 s later is killed. */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= this.stopAll(graceMs);
    return this.stopping;
  }

  private async stopAll(graceMs: number): Promise<void> {
    await Promise.all(
      [...this.gateways.values()].map(async (g) => {
        const exited = new Promise<void>((resolve) => {
          if (g.worker.isDead()) resolve();
          else g.worker.once('exit', () => resolve());
        });
        this.send(g, { tl: 'stop', graceMs });
        const timer = setTimeout(() => {
          this.log.warn({ gateway: g.index, pid: g.worker.process.pid }, 'gateway did not stop in time: killed');
          g.worker.process.kill('SIGKILL');
        }, graceMs + 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private send(g: Gateway, message: OwnerMessage): void {
    if (!g.worker.isConnected()) return;
    try {
      g.worker.send(message);
    } catch (e) {
      this.log.debug({ err: e, gateway: g.index }, 'message to a gateway lost (it is exiting)');
    }
  }

  private startGateway(index: number): Promise<number> {
    // The gateway's entry point next to this module: built JavaScript, or in a workspace run from
    // the TypeScript sources (tests), the source file under tsx.
    const here = fileURLToPath(import.meta.url);
    const fromSource = here.endsWith('.ts');
    cluster.setupPrimary({
      exec: path.join(path.dirname(here), `gateway-main${fromSource ? '.ts' : '.js'}`),
      // Built: the node process's own flags (heap size, --cpu-prof…) apply to its gateways too.
      execArgv: fromSource ? ['--conditions=source', '--import', 'tsx'] : process.execArgv,
      serialization: 'advanced',
    });
    const worker = cluster.fork({ THINKLITE_GATEWAY: String(index) });
    const g: Gateway = {
      index,
      worker,
      connection: this.options.owner.connect((m) => this.send(g, { tl: 'kv', m })),
    };
    this.gateways.set(index, g);
    const config: GatewayConfig = { ...this.options.config, index, slots: this.options.count + 1 };
    const log = this.log.child({ gateway: index, pid: worker.process.pid });
    return new Promise<number>((resolve, reject) => {
      let listening = false;
      worker.on('message', (msg: GatewayMessage) => {
        switch (msg.tl) {
          case 'hello':
            this.send(g, { tl: 'config', config });
            return;
          case 'kv':
            g.connection.receive(msg.m);
            return;
          case 'listening':
            listening = true;
            g.port = msg.port;
            log.info({ port: msg.port }, 'gateway listening');
            resolve(msg.port);
            return;
          case 'failed':
            reject(new Error(`SQL gateway ${index} could not start: ${msg.message}`));
            return;
          case 'cancel': {
            const target = this.gateways.get(processIdTag(msg.pid));
            if (target) this.send(target, { tl: 'cancel', pid: msg.pid, secret: msg.secret });
            return;
          }
          case 'metrics':
            this.metricsWaiters.get(msg.req)?.(msg.json);
            this.metricsWaiters.delete(msg.req);
            return;
        }
      });
      worker.on('exit', (code, signal) => {
        // Its transactions roll back here; their locks go to whoever waits.
        g.connection.close();
        if (this.stopping) {
          log.info({ code, signal }, 'gateway stopped');
          return;
        }
        if (!listening) {
          reject(new Error(`SQL gateway ${index} exited while starting (code ${code}, signal ${signal})`));
          return;
        }
        log.error({ code, signal }, 'gateway exited unexpectedly: starting it again');
        this.restarts.inc();
        this.startGateway(index).catch((e: unknown) => log.error({ err: e }, 'gateway restart failed'));
      });
    });
  }
}
