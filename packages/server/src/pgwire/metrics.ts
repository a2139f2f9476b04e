import { Counter, Gauge, type Registry } from '@thinklite/base';

/** The PostgreSQL front end's metrics, registered on the registry the server is given. */
export class PgWireMetrics {
  readonly connectionsCurrent: Gauge;
  readonly connectionsTotal: Counter;
  readonly connectionsRejected: Counter<'reason'>;
  readonly queriesTotal: Counter<'command'>;
  readonly errorsTotal: Counter<'sqlstate'>;
  readonly cancelRequests: Counter<'result'>;

  constructor(registry: Registry) {
    this.connectionsCurrent = new Gauge({
      name: 'thinklite_pgwire_connections',
      help: 'Open PostgreSQL protocol connections.',
      registers: [registry],
    });
    this.connectionsTotal = new Counter({
      name: 'thinklite_pgwire_connections_total',
      help: 'PostgreSQL protocol connections accepted.',
      registers: [registry],
    });
    this.connectionsRejected = new Counter({
      name: 'thinklite_pgwire_connections_rejected_total',
      help: 'PostgreSQL protocol connections refused, by reason (limit, auth, protocol, database, tls).',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.queriesTotal = new Counter({
      name: 'thinklite_pgwire_statements_total',
      help: 'Statements completed over the PostgreSQL protocol, by command (SELECT, INSERT, …).',
      labelNames: ['command'],
      registers: [registry],
    });
    this.errorsTotal = new Counter({
      name: 'thinklite_pgwire_errors_total',
      help: 'ErrorResponses sent, by SQLSTATE.',
      labelNames: ['sqlstate'],
      registers: [registry],
    });
    this.cancelRequests = new Counter({
      name: 'thinklite_pgwire_cancel_requests_total',
      help: 'CancelRequests, by result: delivered (to a connection here), forwarded (to another gateway process), unknown (no such key: ignored).',
      labelNames: ['result'],
      registers: [registry],
    });
  }
}
