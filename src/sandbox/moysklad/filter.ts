/**
 * MoySklad's `filter` query parameter (docs/api-contracts.md §3.4, §3.5): conditions joined by `;`, each
 * `field<op>value`. Repeated `=` on one field is an OR, everything else is an AND; `field=` is "is empty" and
 * `field!=` "is not empty". Dates are Moscow time. The whole filter is checked before any row is looked at,
 * so a bad filter fails on an empty collection too, as the real service does.
 */

export type FilterOperator = '=' | '!=' | '>' | '<' | '>=' | '<=' | '~' | '~=' | '=~';

export interface FilterCondition {
  field: string;
  operator: FilterOperator;
  value: string;
}

/**
 * How a field is compared: `string` (exact `=`, case-insensitive `~` contains, `~=` starts with, `=~` ends
 * with), `id` (exact only), `date` (MSK text, compared as instants), `ref` (an entity href, compared by type
 * and id), `number`.
 */
export type FieldKind = 'string' | 'id' | 'date' | 'ref' | 'number';

export interface FilterField {
  kind: FieldKind;
  /** The entity's value: a string (text, MSK date, href), a number, or undefined when unset. */
  read(entity: Record<string, unknown>): unknown;
}

/** An error the service answers with 400: `code` 1014 (bad value), 1030, 1034 (bad filter), 1035 (bad date). */
export class FilterError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly parameter: string,
  ) {
    super(message);
    this.name = 'FilterError';
  }
}

const OPERATORS_BY_KIND: Record<FieldKind, readonly FilterOperator[]> = {
  string: ['=', '!=', '~', '~=', '=~'],
  id: ['=', '!='],
  date: ['=', '!=', '>', '<', '>=', '<='],
  ref: ['=', '!='],
  number: ['=', '!=', '>', '<', '>=', '<='],
};

const RANGE: ReadonlySet<FilterOperator> = new Set(['>', '<', '>=', '<=']);

const MSK_OFFSET_MS = 3 * 60 * 60 * 1000;

/**
 * "YYYY-MM-DD HH:mm", "YYYY-MM-DD HH:mm:ss" or "YYYY-MM-DD HH:mm:ss.SSS" in Moscow time (UTC+3, no DST since
 * 2014) → epoch ms; undefined for anything else, including impossible dates such as 2026-02-30.
 */
export function parseMoscowText(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{3}))?)?$/.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second, ms] = m.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(utc);
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    return undefined;
  }
  return utc - MSK_OFFSET_MS;
}

/** Splits `type/id` out of an href `…/entity/<type>/<id>`, whatever the host. */
export function hrefTarget(href: string): { type: string; id: string } | undefined {
  const m = /\/api\/remap\/1\.2\/entity\/([a-z]+)\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(href);
  return m === null ? undefined : { type: m[1]!.toLowerCase(), id: m[2]!.toLowerCase() };
}

/**
 * Syntax only: `a=1;b>=2024-01-01 00:00:00`. Empty parts (a trailing `;`) are skipped; `\;` is a `;` inside a
 * value (md/_general.md, "Фильтрация выборки с помощью параметра filter").
 */
export function parseFilter(text: string): FilterCondition[] {
  const conditions: FilterCondition[] = [];
  for (const escaped of text.split(/(?<!\\);/)) {
    const part = escaped.replaceAll('\\;', ';');
    if (part.trim() === '') continue;
    const at = part.search(/[=<>!~]/);
    if (at <= 0) {
      throw new FilterError(1034, `Ошибка фильтрации: неверное условие фильтрации '${part}'`, 'filter');
    }
    const field = part.slice(0, at).trim();
    const rest = part.slice(at);
    const operator = (['!=', '>=', '<=', '~=', '=~', '=', '>', '<', '~'] as const).find((op) => rest.startsWith(op));
    if (operator === undefined) {
      throw new FilterError(1034, `Ошибка фильтрации: неверное условие фильтрации '${part}'`, 'filter');
    }
    conditions.push({ field, operator, value: rest.slice(operator.length) });
  }
  return conditions;
}

type Test = (value: unknown) => boolean;

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

function comparable(kind: FieldKind, condition: FilterCondition): number | string | { type: string; id: string } {
  const { field, value } = condition;
  switch (kind) {
    case 'date': {
      const ms = parseMoscowText(value);
      if (ms === undefined) {
        throw new FilterError(1035, 'Ошибка фильтрации: неверный формат даты параметра фильтрации', field);
      }
      return ms;
    }
    case 'number': {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) {
        throw new FilterError(1014, `Неверное значение '${value}' параметра фильтрации '${field}'`, field);
      }
      return n;
    }
    case 'ref': {
      const target = hrefTarget(value);
      if (target === undefined) {
        throw new FilterError(1014, `Неверное значение '${value}' параметра фильтрации '${field}'`, field);
      }
      return target;
    }
    case 'string':
    case 'id':
      return value;
  }
}

function valueOf(kind: FieldKind, raw: unknown): number | string | { type: string; id: string } | undefined {
  if (isEmpty(raw)) return undefined;
  switch (kind) {
    case 'date':
      return typeof raw === 'string' ? parseMoscowText(raw) : undefined;
    case 'number':
      return typeof raw === 'number' ? raw : undefined;
    case 'ref':
      return typeof raw === 'string' ? hrefTarget(raw) : undefined;
    case 'string':
    case 'id':
      return typeof raw === 'string' ? raw : undefined;
  }
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const x = a as { type: string; id: string };
    const y = b as { type: string; id: string };
    return x.type === y.type && x.id === y.id;
  }
  return a === b;
}

function conditionTest(kind: FieldKind, condition: FilterCondition): Test {
  const { operator, value } = condition;
  if ((operator === '=' || operator === '!=') && value === '') {
    return operator === '=' ? (v) => isEmpty(v) : (v) => !isEmpty(v);
  }
  const expected = comparable(kind, condition);
  const actual = (raw: unknown): ReturnType<typeof valueOf> => valueOf(kind, raw);
  switch (operator) {
    case '=':
      return (raw) => same(actual(raw), expected);
    case '!=':
      return (raw) => !same(actual(raw), expected);
    case '>':
    case '<':
    case '>=':
    case '<=': {
      const bound = expected as number;
      return (raw) => {
        const v = actual(raw);
        if (typeof v !== 'number') return false;
        if (operator === '>') return v > bound;
        if (operator === '<') return v < bound;
        if (operator === '>=') return v >= bound;
        return v <= bound;
      };
    }
    case '~':
    case '~=':
    case '=~': {
      const needle = value.toLowerCase();
      return (raw) => {
        const v = actual(raw);
        if (typeof v !== 'string') return false;
        const hay = v.toLowerCase();
        if (operator === '~') return hay.includes(needle);
        if (operator === '~=') return hay.startsWith(needle);
        return hay.endsWith(needle);
      };
    }
  }
}

/** One field's conditions: the `=` values are alternatives, every other condition must hold as well. */
function fieldTest(name: string, field: FilterField, conditions: FilterCondition[]): (entity: Record<string, unknown>) => boolean {
  const allowed = OPERATORS_BY_KIND[field.kind];
  for (const c of conditions) {
    if (!allowed.includes(c.operator)) {
      throw new FilterError(1034, `Ошибка фильтрации: оператор '${c.operator}' не поддерживается для поля '${name}'`, name);
    }
  }
  const equal = conditions.filter((c) => c.operator === '=');
  const ranges = conditions.filter((c) => RANGE.has(c.operator));
  if (equal.length > 0 && ranges.length > 0) {
    throw new FilterError(1034, `Ошибка фильтрации: нельзя сочетать '=' с операторами сравнения для поля '${name}'`, name);
  }
  const rangeOps = ranges.map((c) => c.operator);
  if (new Set(rangeOps).size !== rangeOps.length) {
    throw new FilterError(1030, `Поле для фильтрации '${name}' может быть указано только один раз`, name);
  }
  const anyOf = equal.map((c) => conditionTest(field.kind, c));
  const allOf = conditions.filter((c) => c.operator !== '=').map((c) => conditionTest(field.kind, c));
  return (entity) => {
    const raw = field.read(entity);
    if (anyOf.length > 0 && !anyOf.some((t) => t(raw))) return false;
    return allOf.every((t) => t(raw));
  };
}

/**
 * Compiles a filter for one entity type. `resolve` names the type's filterable fields (attribute hrefs
 * included); an unknown one is a 400 with code 1034.
 */
export function compileFilter(
  text: string,
  resolve: (field: string) => FilterField | undefined,
): (entity: Record<string, unknown>) => boolean {
  const byField = new Map<string, FilterCondition[]>();
  for (const condition of parseFilter(text)) {
    const list = byField.get(condition.field) ?? [];
    list.push(condition);
    byField.set(condition.field, list);
  }
  const tests = [...byField].map(([name, conditions]) => {
    const field = resolve(name);
    if (field === undefined) {
      throw new FilterError(1034, `Ошибка фильтрации: неизвестное поле фильтрации '${name}'`, name);
    }
    return fieldTest(name, field, conditions);
  });
  return (entity) => tests.every((t) => t(entity));
}
