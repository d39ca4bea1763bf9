import { isIntegrationError, permanent, retryable } from '../../core/errors.js';
import type { XmlRpcValue } from '../../xmlrpc/value.js';
import { Json2Transport } from './json2-transport.js';
import type { OdooConnectionOptions, OdooProtocol, OdooTransport } from './transport.js';
import { dialectFor, latestSeries, type OdooDialect } from './versions.js';
import { XmlRpcTransport } from './xmlrpc-transport.js';

export type ProtocolSetting = 'auto' | OdooProtocol;

export interface OdooClientOptions extends OdooConnectionOptions {
  /** auto (default): JSON-2 where the server has it (19.0+), XML-RPC otherwise. */
  protocol?: ProtocolSetting;
}

/** What a connection speaks once the server told its version. */
export interface OdooSession {
  protocol: OdooProtocol;
  serverVersion: string;
  dialect: OdooDialect;
  transport: OdooTransport;
}

/** What the connection speaks, for /ready and the admin API; `refused` when the setting cannot be met. */
export interface OdooConnectionInfo {
  protocol: string;
  version: string | null;
  refused: boolean;
}

export interface ServerVersion {
  server_version: string;
  server_serie?: string | undefined;
}

/** Errors after which the next call asks the server again what it is: it may have been upgraded meanwhile. */
const reconnectCodes = new Set(['CONNECTION_FAILED', 'ODOO_ACCESS_DENIED', 'ODOO_BAD_CREDENTIALS']);

/** A field or model the server does not have: the sign of a server that changed version under us. */
const unknownName = /Invalid field|has no attribute|does not exist|unknown model|Unknown field/i;

/**
 * Odoo 17.0, 18.0 and 19.0 behind one surface. The server's version is asked once per connection, and
 * again after the connection failed or the credentials were refused (a restart is when an upgrade
 * happens); it chooses the protocol (`protocol: auto`) and the field names the connector uses.
 */
export class OdooClient {
  private readonly xmlrpc: XmlRpcTransport;
  private readonly json2: Json2Transport;
  private readonly setting: ProtocolSetting;
  private current: Promise<OdooSession> | null = null;
  private info: OdooConnectionInfo;

  constructor(private readonly options: OdooClientOptions) {
    this.setting = options.protocol ?? 'auto';
    this.xmlrpc = new XmlRpcTransport(options);
    this.json2 = new Json2Transport(options);
    this.info = { protocol: this.setting, version: null, refused: false };
  }

  /** The last known protocol and version (the setting and null before the first call). */
  describe(): OdooConnectionInfo {
    return { ...this.info };
  }

  /**
   * The server's version, from XML-RPC's `common.version` (odoo/service/common.py exp_version, the same on
   * 17.0–19.0, no credentials). A server whose /xmlrpc is gone (404; Odoo plans to remove it after 19)
   * is one newer than 19.0 when JSON-2 may be used: it speaks the newest dialect we know.
   */
  async version(signal?: AbortSignal): Promise<ServerVersion> {
    try {
      return await this.xmlrpc.version(signal);
    } catch (err) {
      if (this.setting === 'xmlrpc' || !isIntegrationError(err) || err.code !== 'HTTP_404') throw err;
      return { server_version: `${latestSeries} (XML-RPC is gone)`, server_serie: latestSeries };
    }
  }

  session(signal?: AbortSignal): Promise<OdooSession> {
    this.current ??= this.connect(signal).catch((err: unknown) => {
      this.current = null;
      throw err;
    });
    return this.current;
  }

  /** The integration user's id. */
  async authenticate(signal?: AbortSignal): Promise<number> {
    const session = await this.session(signal);
    return this.guarded(session, () => session.transport.uid(signal), signal);
  }

  async executeKw(model: string, method: string, args: XmlRpcValue[], kwargs: Record<string, XmlRpcValue> = {}, signal?: AbortSignal): Promise<XmlRpcValue> {
    const session = await this.session(signal);
    return this.guarded(session, () => session.transport.execute(model, method, args, kwargs, signal), signal);
  }

  private async connect(signal?: AbortSignal): Promise<OdooSession> {
    const { server_version: serverVersion } = await this.version(signal);
    const dialect = dialectFor(serverVersion, this.options.url);
    const protocol: OdooProtocol = this.setting === 'auto' ? (dialect.json2 ? 'json2' : 'xmlrpc') : this.setting;
    this.info = { protocol, version: dialect.series, refused: false };
    if (protocol === 'json2' && !dialect.json2) {
      this.info.refused = true;
      throw permanent(
        'ODOO_JSON2_UNAVAILABLE',
        `Odoo at ${this.options.url} is version ${serverVersion}, which has no JSON-2 API (it came with Odoo 19.0): set the connection's protocol to "auto" or "xmlrpc"`,
        { context: { system: 'odoo', operation: 'version', serverVersion } },
      );
    }
    const transport = protocol === 'json2' ? this.json2 : this.xmlrpc;
    transport.forget();
    return { protocol, serverVersion, dialect, transport };
  }

  /**
   * Runs a call of this session; a failure that may mean the server changed (a lost connection, refused
   * credentials) makes the next call ask its version again. A field Odoo does not know, on a server that
   * now reports another version, is that upgrade caught in the act: retryable, with the new names.
   */
  private async guarded<T>(session: OdooSession, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (!isIntegrationError(err)) throw err;
      if (reconnectCodes.has(err.code)) this.forget(session);
      if (err.code === 'ODOO_SERVER_ERROR' && unknownName.test(err.message)) {
        const now = await this.version(signal).catch(() => null);
        if (now !== null && dialectFor(now.server_version, this.options.url).series !== session.dialect.series) {
          this.forget(session);
          throw retryable('ODOO_VERSION_CHANGED', `Odoo changed from ${session.dialect.series} to ${now.server_version} under a call (${err.message}); it is made again with the new version's names`, {
            context: err.context,
            cause: err,
          });
        }
      }
      throw err;
    }
  }

  private forget(session: OdooSession): void {
    session.transport.forget();
    this.current = null;
  }
}
