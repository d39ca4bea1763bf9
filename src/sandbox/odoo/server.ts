/**
 * An Odoo 17.0, 18.0 or 19.0 server as order-bridge meets it over XML-RPC, and on 19.0 over the JSON-2 API
 * too (json2.ts). Its source is Odoo's own (github.com/odoo/odoo, branches 17.0, 18.0 and 19.0) and what was
 * observed on real servers (docs/api-contracts.md §7.9, issue 16); where the fake reduces Odoo, the
 * reduction is named. The field differences between the series are in models.ts and versions.ts. Contract
 * points and where they come from:
 *
 * - `/xmlrpc/2/common` `version` (odoo/service/common.py `RPC_VERSION_1` from odoo/release.py): see
 *   versions.ts; `about` and `/xmlrpc/2/db` `server_version` give the same version string.
 * - 19.0 still serves `/xmlrpc/2` and logs a WARNING from `odoo.addons.rpc.controllers.xmlrpc` once per
 *   client (remote address and user agent; addons/rpc/controllers `RPC_DEPRECATION_NOTICE`,
 *   `warn_endpoint_is_deprecated`): "The /xmlrpc, /xmlrpc/2 and /jsonrpc endpoints are deprecated in Odoo
 *   19 and scheduled for removal in Odoo 20. …". The fake keeps these lines in `serverLog`.
 * - `name_get` is a BaseModel method on 17.0 only (odoo/models.py; 18.0 removed it): elsewhere calling
 *   it is the AttributeError of any unknown method.
 * - 19.0's execute_kw goes through odoo/service/model.py `call_kw`/`get_public_method`: "Private methods
 *   (such as 'model.name') cannot be called remotely.", AttributeError "The method 'model.name' does not
 *   exist", and a recordset result as its ids (message_post answers `[id]`; `create` still answers an id
 *   for one dict and a list for a list). 17.0's texts and `@api.returns` ids are kept for 17.0 and 18.0
 *   (18.0's exact texts: our assumption).
 *
 * - `/xmlrpc/2/common` `authenticate` answers a refused login with HTTP 200 and `False`, not a fault
 *   (odoo/service/common.py `exp_authenticate` catches AccessDenied); execute_kw with a wrong password or
 *   key is fault 3 (odoo/addons/base/controllers/rpc.py). `setApiKey` replaces a user's key.
 * - Integer fault codes 1-4, fault 1 a traceback (rpc.py); `False` for empty values, many2one as
 *   `[id, display_name]` (models.py `read`).
 * - `message_post` (addons/mail/models/mail_thread.py): keyword-only arguments incl. `body_is_html`; the
 *   author and sender come from `_message_compute_author`: without `author_id` the current user's partner,
 *   without `email_from` the author's formatted email, and no sender at all is a UserError "Unable to send
 *   message, please configure the sender's email address." for anyone but the superuser. An explicit
 *   `author_id` and `email_from` are taken as given. `mail.activity.create` notifies an assignee other
 *   than its creator through `message_notify`, which needs a sender the same way, unless the context has
 *   `mail_activity_quick_update` (addons/mail/models/mail_activity.py).
 * - `stock.location.complete_name` is the parent's complete name and the name for non-view locations,
 *   the name alone for views (addons/stock/models/stock_location.py `_compute_complete_name`); the base
 *   data has an internal `ShemaxGlobal` made under the warehouse, so `WH/ShemaxGlobal`.
 * - Confirmation (addons/sale_stock: `_action_launch_stock_rule`) makes the order's procurement group
 *   (`sale.order.procurement_group_id`, `procurement.group.sale_id`) and one outgoing picking whose moves
 *   carry it. `stock.picking.group_id` is related to `move_ids.group_id` and `sale_id` to
 *   `group_id.sale_id`, both stored (addons/stock/models/stock_picking.py, addons/sale_stock/models/
 *   stock.py): the fake sets them from the moves a picking is created with. `sale.order.picking_ids` are the
 *   pickings whose `sale_id` is the order; `action_cancel` cancels a picking and its moves.
 * - Reservation (addons/stock/models/stock_move.py `_action_assign`), reduced: moves of products tracked
 *   by serial or lot are reserved from `stock.quant`s with lots in their source location (or under it),
 *   one move line with its `lot_id` per quant taken, at confirmation (the picking type's default
 *   reservation method, at_confirm) and by `action_assign` ("Check Availability"), so lots can be assigned
 *   after confirmation. The stock of untracked products is not modelled: their moves wait at confirmation
 *   and become available on `action_assign`.
 */
import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, systemClock } from '../../core/clock.js';
import { parseMethodCall } from '../../xmlrpc/parse.js';
import { serializeFault, serializeMethodResponse } from '../../xmlrpc/serialize.js';
import type { XmlRpcValue } from '../../xmlrpc/value.js';
import { type BaseRefs, loadBaseData } from './base-data.js';
import { HttpError, callJson2, callKw } from './methods.js';
import { NOT_FOUND_HTML, UNSUPPORTED_MEDIA_TYPE_HTML, type Json2Response, bearerToken, htmlResponse, httpErrorResponse, odooErrorResponse, parseBody, resultResponse } from './json2.js';
import { buildModels, refId } from './models.js';
import { type OdooVersion, majorOf, versionInfo } from './versions.js';
import { Env, type MethodResult, NONE, Orm, type Rec, formatDatetime } from './orm.js';
import {
  EXECUTE_FRAMES,
  type Frame,
  OdooError,
  RPC_FRAMES,
  accessDenied,
  accessError,
  formatTraceback,
  frame,
  odooTraceback,
  pyError,
  pyRepr,
  userError,
} from './python.js';
import { WebhookAutomation, type WebhookLogEntry } from './webhook.js';

export interface OdooFakeOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** The Odoo series to be (default 17.0): its fields, its version answer, and JSON-2 from 19.0 on. */
  version?: OdooVersion;
  /** Default `odoo17`, `odoo18` or `odoo19` after the version. */
  db?: string;
  /** The "Send to order-bridge" automation; `fields` defaults to name, state, partner_id, partner_shipping_id, write_date. */
  webhook?: { url: string; fields?: string[] } | null;
  /** The sale.order.line char field holding serial numbers (default `x_serial_numbers`). */
  serialField?: string;
  /** Where "now" comes from for create_date/write_date and date_order; `setNow` overrides it. */
  clock?: Clock;
}

export interface OdooUser {
  uid: number;
  login: string;
  password: string;
  apiKey: string;
}

export type InjectedFault =
  | { kind: 'http'; status: 500 | 502 | 503 | 504 }
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' }
  | { kind: 'garbage' }
  | { kind: 'fault'; code: number; message: string }
  | { kind: 'reset-after-apply' };

export interface CallInfo {
  /** `common`, `object` or `db` for XML-RPC; `json2` for the JSON-2 API. */
  service: string;
  method: string;
  model?: string;
  modelMethod?: string;
}

export interface InjectOptions {
  /** How many matching calls get the fault (default: all of them). */
  times?: number;
  /** Fraction 0..1 of matching calls that get it, drawn from a seeded generator so runs repeat. */
  share?: number;
  seed?: number;
  match?: (call: CallInfo) => boolean;
}

export interface RecordedCall extends CallInfo {
  /** For execute_kw: the model method's positional args; for other services: the params; for JSON-2: none. */
  args: XmlRpcValue[];
  /** For JSON-2: the body's named arguments, `ids` and `context` included. */
  kwargs: Record<string, XmlRpcValue>;
  uid?: number;
  fault?: { faultCode: number; faultString: string };
  /** For JSON-2: the HTTP status of the answer. */
  status?: number;
  injected?: InjectedFault['kind'];
}

/** A line of the server's own log that a test may want to see (19.0's XML-RPC deprecation warning). */
export interface ServerLogEntry {
  level: 'WARNING';
  logger: string;
  message: string;
}

interface Rule {
  fault: InjectedFault;
  remaining: number;
  share: number | undefined;
  match: ((call: CallInfo) => boolean) | undefined;
  random: () => number;
}

const RPC_DEPRECATION_NOTICE = (client: string, agent: string): string =>
  'The /xmlrpc, /xmlrpc/2 and /jsonrpc endpoints are deprecated in Odoo 19 and scheduled for removal in Odoo 20. ' +
  `Please report the problem to the client making the request: ${client}, ${agent}.\n` +
  'Mute this logger: --log-handler odoo.addons.rpc.controllers.xmlrpc:ERROR\n' +
  'https://www.odoo.com/documentation/latest/developer/reference/external_api.html#migrating-from-xml-rpc-json-rpc';

const METHOD_NOT_ALLOWED_HTML =
  '<!doctype html>\n<html lang=en>\n<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n' +
  '<p>The method is not allowed for the requested URL.</p>\n';

const NGINX_STATUS: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};

const GARBAGE =
  "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n<value><struct>\n<member>\n<name>id</name>\n<value><int>4";

const MARSHAL_NONE_FRAMES: readonly Frame[] = [
  RPC_FRAMES[0]!,
  frame('addons/base/controllers/rpc.py', 128, '_xmlrpc', 'return dumps((result,), methodresponse=1, allow_none=False)'),
  frame('/usr/lib/python3.10/xmlrpc/client.py', 1029, 'dumps', 'data = m.dumps(params)'),
  frame('/usr/lib/python3.10/xmlrpc/client.py', 522, 'dumps', 'dump(v, write)'),
  frame('/usr/lib/python3.10/xmlrpc/client.py', 544, '__dump', 'f(self, value, write)'),
  frame('/usr/lib/python3.10/xmlrpc/client.py', 548, 'dump_nil', 'raise TypeError("cannot marshal None unless allow_none is enabled")'),
];

const LOADS_FRAMES: readonly Frame[] = [
  RPC_FRAMES[0]!,
  frame('addons/base/controllers/rpc.py', 126, '_xmlrpc', 'params, method = loads(data, use_datetime=True)'),
  frame('/usr/lib/python3.10/xmlrpc/client.py', 1023, 'loads', 'p.feed(data)'),
  frame('/usr/lib/python3.10/xmlrpc/client.py', 453, 'feed', 'self._parser.Parse(data, False)'),
];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const isStruct = (v: XmlRpcValue | undefined): v is Record<string, XmlRpcValue> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !(v instanceof Uint8Array);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An Odoo 17.0, 18.0 or 19.0 server as a client sees it, over real HTTP: `/xmlrpc/2/common`, `/object`
 * and `/db`, integer fault codes, Python tracebacks, `False` for empty values, the sale/stock/mail models
 * an order bridge touches with the fields of the chosen series, and on 19.0 `POST /json/2/<model>/<method>`.
 */
export class OdooFake {
  readonly version: OdooVersion;
  readonly db: string;
  readonly serialField: string;
  readonly admin: OdooUser;
  readonly user: OdooUser;
  readonly calls: RecordedCall[] = [];
  readonly serverLog: ServerLogEntry[] = [];
  private readonly warnedClients = new Set<string>();
  private baseRefs!: BaseRefs;
  private readonly orm: Orm;
  private readonly webhook = new WebhookAutomation();
  private rules: Rule[] = [];
  private fixedNow: number | null = null;
  private readonly clock: Clock;
  private readonly server: Server;
  private address = '';

  constructor(private readonly options: OdooFakeOptions = {}) {
    this.version = options.version ?? '17.0';
    this.db = options.db ?? `odoo${majorOf(this.version)}`;
    this.serialField = options.serialField ?? 'x_serial_numbers';
    this.clock = options.clock ?? systemClock;
    this.admin = { uid: 2, login: 'admin', password: 'admin', apiKey: randomBytes(20).toString('hex') };
    this.user = { uid: 6, login: 'bridge', password: 'bridge-pass', apiKey: randomBytes(20).toString('hex') };
    this.orm = new Orm(buildModels({ serialField: this.serialField, version: this.version }));
    if (majorOf(this.version) >= 18) this.orm.removedBaseMethods.add('name_get');
    this.orm.publicMethodLookup = majorOf(this.version) >= 19;
    this.orm.systemUsers.add(1).add(this.admin.uid);
    this.orm.listeners.push(this.webhook.listener);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.send(res, 500, 'text/plain', String(err instanceof Error ? err.stack : err));
      });
    });
    this.reset();
  }

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.address = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.setParam('web.base.url', this.address);
  }

  get url(): string {
    return this.address;
  }

  /** Ids of the base records (company, locations incl. `WH/ShemaxGlobal`, picking types, subtypes…). */
  get refs(): BaseRefs {
    return this.baseRefs;
  }

  get webhookLog(): readonly WebhookLogEntry[] {
    return this.webhook.log;
  }

  /** Back to the state right after start: base data only, no calls, no log, no faults, the configured webhook, real time. */
  reset(): void {
    this.orm.clear();
    this.calls.length = 0;
    this.serverLog.length = 0;
    this.warnedClients.clear();
    this.rules = [];
    this.fixedNow = null;
    this.webhook.reset();
    this.transact((env) => {
      this.baseRefs = loadBaseData(env, { bridgeUid: this.user.uid }, [...this.orm.models.keys()], this.version);
      env.create('ir.config_parameter', { key: 'database.uuid', value: randomBytes(16).toString('hex') });
      if (this.address) env.create('ir.config_parameter', { key: 'web.base.url', value: this.address });
      const hook = this.options.webhook;
      this.webhook.configure(env, hook ? hook.url : null, hook?.fields);
    }, 1);
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Freezes "now" (create/write dates, date_order); `null` goes back to the clock. */
  setNow(at: Date | string | number | null): void {
    this.fixedNow = at === null ? null : typeof at === 'number' ? at : new Date(at).getTime();
  }

  now(): Date {
    return new Date(this.fixedNow ?? this.clock.now());
  }

  /**
   * Replaces a user's API key (as deleting it and making a new one in the user's preferences does): the
   * old one is refused from now on, by `authenticate` with `False` and by execute_kw with fault 3.
   */
  setApiKey(login: string, apiKey: string): void {
    const user = [this.admin, this.user].find((u) => u.login === login);
    if (user === undefined) throw new Error(`Odoo fake: no user ${login}`);
    user.apiKey = apiKey;
  }

  setWebhook(url: string | null, fields?: string[]): void {
    this.transact((env) => this.webhook.configure(env, url, fields));
  }

  /** Resolves once every webhook post started so far has been answered or has failed. */
  webhooksSettled(): Promise<void> {
    return this.webhook.settled();
  }

  /** `ir.config_parameter.set_param` as the superuser; returns the previous value or false. */
  setParam(key: string, value: string | false): string | false {
    return this.transact(() => callKw(this.orm, 1, this.nowString(), 'ir.config_parameter', 'set_param', [key, value], {})) as
      | string
      | false;
  }

  inject(fault: InjectedFault, options: InjectOptions = {}): void {
    this.rules.push({
      fault,
      remaining: options.times ?? Number.POSITIVE_INFINITY,
      share: options.share,
      match: options.match,
      random: mulberry32(options.seed ?? 0x0d00),
    });
  }

  clearFaults(): void {
    this.rules = [];
  }

  /** The stored records of a model, by id: many2one as bare ids, empty values as false. */
  records(model: string): readonly Rec[] {
    return [...this.orm.table(model).values()].sort((a, b) => a.id - b.id);
  }

  record(model: string, id: number): Rec | undefined {
    return this.orm.get(model, id);
  }

  ref(xmlid: string): number {
    return this.transact((env) => refId(env, xmlid));
  }

  /**
   * Runs `fn` as one committed transaction (as `uid`, default the admin), with the ORM's rules and
   * triggers; webhooks it fires are posted after the commit and awaited by `webhooksSettled()`.
   */
  transact<T>(fn: (env: Env) => T, uid: number = this.admin.uid): T {
    const txn = this.orm.begin();
    let result: T;
    try {
      result = fn(new Env(this.orm, uid, this.nowString()));
    } catch (err) {
      this.orm.rollback(txn);
      throw err;
    }
    this.orm.commit(txn);
    for (const effect of txn.effects) void effect();
    return result;
  }

  private nowString(): string {
    return formatDatetime(this.now());
  }

  private pickRule(call: CallInfo): Rule | undefined {
    for (const rule of this.rules) {
      if (rule.remaining <= 0) continue;
      if (rule.match && !rule.match(call)) continue;
      if (rule.share !== undefined && rule.random() >= rule.share) continue;
      rule.remaining--;
      return rule;
    }
    return undefined;
  }

  private send(res: ServerResponse, status: number, contentType: string, body: string, server = 'Werkzeug/2.0.2 Python/3.10.12'): void {
    res.writeHead(status, {
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(body),
      Server: server,
    });
    res.end(body);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '/').split('?')[0]!;
    if (majorOf(this.version) >= 19 && (path === '/json/2' || path.startsWith('/json/2/'))) return this.handleJson2(req, res, path, body);
    const match = /^\/xmlrpc\/2\/([^/]+)\/?$/.exec(path);
    if (!match) return this.send(res, 404, 'text/html; charset=utf-8', NOT_FOUND_HTML);
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      return this.send(res, 405, 'text/html; charset=utf-8', METHOD_NOT_ALLOWED_HTML);
    }
    const service = match[1]!;
    if (majorOf(this.version) >= 19) this.warnDeprecated(req);
    let parsed: { method: string; params: XmlRpcValue[] } | null = null;
    try {
      parsed = parseMethodCall(body);
    } catch {
      parsed = null;
    }
    const call = describeCall(service, parsed);
    this.calls.push(call);

    const rule = this.pickRule(call);
    if (rule && (await this.injectBefore(rule, req, res, call, 'xmlrpc'))) return;

    let xml: string;
    if (!parsed) {
      const what = body.trim() === '' ? 'no element found' : 'syntax error';
      const faultString = formatTraceback(LOADS_FRAMES, `xml.parsers.expat.ExpatError: ${what}: line 1, column 0`);
      call.fault = { faultCode: 1, faultString };
      xml = serializeFault(1, faultString);
    } else {
      xml = await this.dispatch(service, parsed.method, parsed.params, call);
    }
    if (rule?.fault.kind === 'reset-after-apply') {
      req.socket.resetAndDestroy();
      return;
    }
    this.send(res, 200, 'text/xml; charset=utf-8', xml);
  }

  private async dispatch(service: string, method: string, params: XmlRpcValue[], call: RecordedCall): Promise<string> {
    const outer = service === 'object' ? EXECUTE_FRAMES : RPC_FRAMES;
    const fault = (faultCode: number, faultString: string): string => {
      call.fault = { faultCode, faultString };
      return serializeFault(faultCode, faultString);
    };
    try {
      let result: MethodResult;
      if (service === 'object') result = await this.serveObject(method, params);
      else if (service === 'common') result = this.serveCommon(method, params);
      else if (service === 'db') result = this.serveDb(method, params);
      else throw pyError('KeyError', pyRepr(service));
      if (result === NONE) {
        return fault(1, formatTraceback(MARSHAL_NONE_FRAMES, 'TypeError: cannot marshal None unless allow_none is enabled'));
      }
      return serializeMethodResponse(result);
    } catch (err) {
      if (err instanceof OdooError) return fault(err.faultCode, err.faultString(outer));
      const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
      return fault(1, formatTraceback(outer, `RuntimeError: bug in the Odoo fake: ${detail}`));
    }
  }

  /** Plays an injected fault before the call runs; true when it has answered (or dropped) the request. */
  private async injectBefore(rule: Rule, req: IncomingMessage, res: ServerResponse, call: RecordedCall, protocol: 'xmlrpc' | 'json2'): Promise<boolean> {
    call.injected = rule.fault.kind;
    const fault = rule.fault;
    switch (fault.kind) {
      case 'http':
        this.send(
          res,
          fault.status,
          'text/html',
          `<html>\r\n<head><title>${fault.status} ${NGINX_STATUS[fault.status]}</title></head>\r\n<body>\r\n` +
            `<center><h1>${fault.status} ${NGINX_STATUS[fault.status]}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
          'nginx',
        );
        return true;
      case 'reset':
        req.socket.resetAndDestroy();
        return true;
      case 'garbage':
        if (protocol === 'json2') this.send(res, 200, 'application/json; charset=utf-8', '[{"id": 4, "name": "S000');
        else this.send(res, 200, 'text/xml; charset=utf-8', GARBAGE);
        return true;
      case 'fault': {
        if (protocol === 'json2') {
          const type = ({ 2: 'odoo.exceptions.UserError', 3: 'odoo.exceptions.AccessDenied', 4: 'odoo.exceptions.AccessError' } as Record<number, string>)[fault.code];
          const answer = odooErrorResponse(type ? new OdooError(fault.code as 2 | 3 | 4, type, fault.message) : pyError('Exception', fault.message));
          call.status = answer.status;
          this.sendJson2(res, answer);
          return true;
        }
        const faultString = fault.code === 1 && !fault.message.startsWith('Traceback') ? odooTraceback(fault.message) : fault.message;
        call.fault = { faultCode: fault.code, faultString };
        this.send(res, 200, 'text/xml; charset=utf-8', serializeFault(fault.code, faultString));
        return true;
      }
      case 'delay':
        await sleep(fault.ms);
        return false;
      case 'reset-after-apply':
        return false;
    }
  }

  /** 19.0's deprecation warning, once per client as `warn_endpoint_is_deprecated` gives it. */
  private warnDeprecated(req: IncomingMessage): void {
    const client = req.socket.remoteAddress ?? 'unknown';
    const agent = req.headers['user-agent'] ?? '';
    const key = `${client}\n${agent}`;
    if (this.warnedClients.has(key)) return;
    this.warnedClients.add(key);
    this.serverLog.push({ level: 'WARNING', logger: 'odoo.addons.rpc.controllers.xmlrpc', message: RPC_DEPRECATION_NOTICE(client, agent) });
  }

  private sendJson2(res: ServerResponse, answer: Json2Response): void {
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    this.send(res, answer.status, answer.contentType, answer.body);
  }

  private async handleJson2(req: IncomingMessage, res: ServerResponse, path: string, body: string): Promise<void> {
    const route = /^\/json\/2\/([^/]+)\/([^/]+)$/.exec(path);
    const call: RecordedCall = { service: 'json2', method: '', args: [], kwargs: {} };
    if (route) {
      call.model = decodeURIComponent(route[1]!);
      call.modelMethod = call.method = decodeURIComponent(route[2]!);
    }
    this.calls.push(call);
    const rule = this.pickRule(call);
    if (rule && (await this.injectBefore(rule, req, res, call, 'json2'))) return;
    const answer = await this.answerJson2(req, call, route !== null, body);
    if (rule?.fault.kind === 'reset-after-apply') {
      req.socket.resetAndDestroy();
      return;
    }
    call.status = answer.status;
    this.sendJson2(res, answer);
  }

  private async answerJson2(req: IncomingMessage, call: RecordedCall, routed: boolean, body: string): Promise<Json2Response> {
    if (req.headers['x-odoo-database'] !== this.db) return htmlResponse(404, NOT_FOUND_HTML);
    const mimetype = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (body.length > 0 && mimetype !== 'application/json') return htmlResponse(415, UNSUPPORTED_MEDIA_TYPE_HTML);
    try {
      if (!routed || req.method !== 'POST') throw new HttpError(404, 'NotFound', 'Did you mean POST /json/2/<model>/<method>?');
      const token = bearerToken(req.headers.authorization);
      const user = token === null ? undefined : [this.admin, this.user].find((u) => u.apiKey === token);
      if (!user) throw new HttpError(401, 'Unauthorized', 'Invalid apikey');
      call.uid = user.uid;
      const kwargs = parseBody(body);
      call.kwargs = kwargs;
      const { model, modelMethod } = call as Required<Pick<RecordedCall, 'model' | 'modelMethod'>>;
      return resultResponse(await this.runTransaction(() => callJson2(this.orm, user.uid, this.nowString(), model, modelMethod, kwargs)));
    } catch (err) {
      if (err instanceof HttpError) return httpErrorResponse(err);
      if (err instanceof OdooError) return odooErrorResponse(err);
      const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
      return odooErrorResponse(pyError('RuntimeError', `bug in the Odoo fake: ${detail}`));
    }
  }

  private checkDb(db: XmlRpcValue | undefined): void {
    if (db === this.db) return;
    throw pyError(
      'psycopg2.OperationalError',
      `connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: FATAL:  database ${JSON.stringify(String(db))} does not exist\n`,
      [
        frame('modules/registry.py', 87, '__new__', 'return cls.new(db_name)'),
        frame('sql_db.py', 697, 'borrow', 'result = psycopg2.connect('),
      ],
    );
  }

  private login(login: XmlRpcValue | undefined, secret: XmlRpcValue | undefined): number | false {
    const found = [this.admin, this.user].find(
      (u) => u.login === login && (u.password === secret || u.apiKey === secret),
    );
    return found ? found.uid : false;
  }

  private serveCommon(method: string, params: XmlRpcValue[]): MethodResult {
    const arity = (fn: string, names: string[]): void => {
      if (params.length < names.length) {
        const missing = names.slice(params.length);
        throw pyError(
          'TypeError',
          `${fn}() missing ${missing.length} required positional argument${missing.length === 1 ? '' : 's'}: ${missing.map((n) => `'${n}'`).join(' and ')}`,
        );
      }
    };
    switch (method) {
      case 'version':
        return versionInfo(this.version);
      case 'about':
        return params[0] ? ['See http://openerp.com', this.version] : 'See http://openerp.com';
      case 'authenticate':
        arity('exp_authenticate', ['db', 'login', 'password', 'user_agent_env']);
        this.checkDb(params[0]);
        return this.login(params[1], params[2]);
      case 'login':
        arity('exp_login', ['db', 'login', 'password']);
        this.checkDb(params[0]);
        return this.login(params[1], params[2]);
      default:
        throw pyError('KeyError', pyRepr(`exp_${method}`));
    }
  }

  private serveDb(method: string, params: XmlRpcValue[]): MethodResult {
    switch (method) {
      case 'list':
        return [this.db];
      case 'server_version':
        return this.version;
      case 'db_exist':
        return params[0] === this.db;
      default:
        throw pyError('KeyError', pyRepr(`exp_${method}`));
    }
  }

  private async serveObject(method: string, params: XmlRpcValue[]): Promise<MethodResult> {
    if (method !== 'execute_kw' && method !== 'execute') {
      throw pyError('KeyError', pyRepr(`Method not supported ${method}`));
    }
    if (params.length < 3) throw pyError('IndexError', 'tuple index out of range');
    const [db, rawUid, secret, model, name, args, kwargs] = params;
    const uid = typeof rawUid === 'number' ? rawUid : Number.parseInt(String(rawUid), 10);
    if (!Number.isInteger(uid)) throw pyError('ValueError', `invalid literal for int() with base 10: ${pyRepr(rawUid)}`);
    this.checkDb(db);
    const user = [this.admin, this.user].find((u) => u.uid === uid);
    if (!user || (secret !== user.password && secret !== user.apiKey)) throw accessDenied();
    if (typeof model !== 'string' || typeof name !== 'string') {
      throw pyError('TypeError', `${method}() missing 2 required positional arguments: 'obj' and 'method'`);
    }
    if (name.startsWith('_')) {
      throw accessError(`Private methods (such as ${this.orm.publicMethodLookup ? `'${model}.${name}'` : name}) cannot be called remotely.`);
    }
    if (!this.orm.models.has(model)) throw userError(`Object ${model} doesn't exist`);
    let positional: XmlRpcValue[];
    let keywords: Record<string, XmlRpcValue> = {};
    if (method === 'execute') positional = params.slice(5);
    else {
      if (args === undefined) throw pyError('TypeError', "execute_kw() missing 1 required positional argument: 'args'");
      if (!Array.isArray(args)) {
        throw pyError('TypeError', `odoo.service.model.execute() argument after * must be an iterable, not ${typeName(args)}`);
      }
      if (kwargs !== undefined && kwargs !== null && kwargs !== false && !isStruct(kwargs)) {
        throw pyError('TypeError', `odoo.service.model.execute() argument after ** must be a mapping, not ${typeName(kwargs)}`);
      }
      positional = args;
      keywords = isStruct(kwargs) ? kwargs : {};
    }
    return this.runTransaction(() => callKw(this.orm, uid, this.nowString(), model, name, positional, keywords));
  }

  /**
   * One RPC call as one database transaction. Webhook posts happen inside it, with the call's
   * changes hidden from other calls until they finish; a call that writes the same records
   * meanwhile waits and reruns, as Odoo's serialization-failure retry would make it.
   */
  private async runTransaction(call: () => MethodResult): Promise<MethodResult> {
    for (;;) {
      const txn = this.orm.begin();
      let result: MethodResult;
      try {
        result = call();
      } catch (err) {
        this.orm.rollback(txn);
        throw err;
      }
      if (this.orm.conflicts(txn)) {
        this.orm.rollback(txn);
        await this.orm.idle();
        continue;
      }
      if (txn.effects.length) {
        this.orm.suspend(txn);
        for (const effect of txn.effects) await effect();
        this.orm.resume(txn);
      }
      this.orm.commit(txn);
      return result;
    }
  }
}

function typeName(v: XmlRpcValue): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

function describeCall(service: string, parsed: { method: string; params: XmlRpcValue[] } | null): RecordedCall {
  if (!parsed) return { service, method: '', args: [], kwargs: {} };
  const { method, params } = parsed;
  if (service !== 'object' || (method !== 'execute_kw' && method !== 'execute')) {
    return { service, method, args: params, kwargs: {} };
  }
  const [, uid, , model, modelMethod, args, kwargs] = params;
  const call: RecordedCall = {
    service,
    method,
    args: method === 'execute' ? params.slice(5) : Array.isArray(args) ? args : [],
    kwargs: method === 'execute_kw' && isStruct(kwargs) ? kwargs : {},
  };
  if (typeof uid === 'number') call.uid = uid;
  if (typeof model === 'string') call.model = model;
  if (typeof modelMethod === 'string') call.modelMethod = modelMethod;
  return call;
}

export async function startOdooFake(options: OdooFakeOptions = {}): Promise<OdooFake> {
  const fake = new OdooFake(options);
  await fake.listen(options.port ?? 0);
  return fake;
}
