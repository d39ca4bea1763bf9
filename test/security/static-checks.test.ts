import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { z } from 'zod';
import { builtinConnectors } from '../../src/connectors/index.js';
import { checkExternalUrl } from '../../src/core/url.js';

const root = new URL('../../', import.meta.url).pathname;

/** Top-level config fields of a connector that hold a URL, by their name (url, baseUrl, apiUrl, …). */
function urlFields(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape).filter((key) => /url$/i.test(key)) : [];
}

function problemsAt(schema: z.ZodType, field: string, value: string): string[] {
  const result = schema.safeParse({ [field]: value });
  return result.success ? [] : result.error.issues.filter((i) => i.path[0] === field).map((i) => i.message);
}

t.test("every connector's base URL must be HTTPS, except on this machine", async (t) => {
  const registry = builtinConnectors();
  const checked: string[] = [];
  for (const type of registry.types()) {
    const schema = registry.get(type)!.configSchema;
    for (const field of urlFields(schema)) {
      checked.push(`${type}.${field}`);
      t.match(problemsAt(schema, field, 'http://orders.example.com'), [/must use https/], `${type}.${field}: plain http to another host is refused`);
      t.match(problemsAt(schema, field, 'ftp://orders.example.com'), [/must use https|not a valid/], `${type}.${field}: other schemes too`);
      t.same(problemsAt(schema, field, 'https://orders.example.com'), [], `${type}.${field}: https is accepted`);
      t.same(problemsAt(schema, field, 'http://127.0.0.1:8069'), [], `${type}.${field}: http to loopback is accepted (tests, demo)`);
      t.match(problemsAt(schema, field, 'https://user:pass@orders.example.com'), [/must not contain a user name or password/], `${type}.${field}: credentials in the URL are refused`);
    }
  }
  t.ok(checked.includes('odoo.url') && checked.includes('ysell.baseUrl'), `checked ${checked.join(', ')}`);
  t.equal(checkExternalUrl('http://localhost.example.com'), 'must use https:// (plain http is accepted only for localhost)', 'a look-alike host is not loopback');
  t.equal(checkExternalUrl('http://[::1]:8080/'), null);
});

const rawCall = /\.(raw|whereRaw|orWhereRaw|andWhereRaw|havingRaw|orHavingRaw|orderByRaw|groupByRaw|joinRaw|fromRaw)\s*\(/g;

/**
 * Where SQL text is built from values instead of bound: a raw call whose first argument is not one plain
 * string literal (a template with ${…}, a concatenation, a variable). Values go in the bindings array.
 */
function unboundSql(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(rawCall)) {
    let i = (match.index ?? 0) + match[0].length;
    while (/\s/.test(source[i] ?? '')) i++;
    const quote = source[i];
    const line = source.slice(0, match.index).split('\n').length;
    if (quote !== "'" && quote !== '"' && quote !== '`') {
      found.push(`line ${line}: ${match[1]}() with a SQL text that is not a literal`);
      continue;
    }
    let j = i + 1;
    while (j < source.length && source[j] !== quote) j += source[j] === '\\' ? 2 : 1;
    const literal = source.slice(i + 1, j);
    let k = j + 1;
    while (/\s/.test(source[k] ?? '')) k++;
    if (quote === '`' && literal.includes('${')) found.push(`line ${line}: ${match[1]}() with a template that interpolates`);
    else if (source[k] !== ',' && source[k] !== ')') found.push(`line ${line}: ${match[1]}() with a SQL text built by concatenation`);
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(name) ? [path] : [];
  });
}

t.test('the detector finds values spliced into SQL, and lets bound queries through', async (t) => {
  t.same(unboundSql("db.raw('select 1')"), []);
  t.same(unboundSql("db.raw('attempts + ?', [n])"), []);
  t.same(unboundSql('q.whereRaw(`state = ?`, [state])'), []);
  t.same(unboundSql("db.raw(\"it's fine\")"), []);
  t.match(unboundSql('db.raw(`select * from jobs where id = ${id}`)'), [/interpolates/]);
  t.match(unboundSql("q.whereRaw('id = ' + id)"), [/concatenation/]);
  t.match(unboundSql('q.orderByRaw(column)'), [/not a literal/]);
  t.match(unboundSql("x\ny\nq.havingRaw ( 'a' +b)"), [/^line 3: havingRaw/]);
});

t.test('SQL in src/ and migrations/ goes only through knex bindings', async (t) => {
  const files = [...sourceFiles(join(root, 'src')), ...sourceFiles(join(root, 'migrations'))];
  t.ok(files.length > 50, `${files.length} files read`);
  const problems = files.flatMap((file) => unboundSql(readFileSync(file, 'utf8')).map((p) => `${file.slice(root.length)} ${p}`));
  t.same(problems, [], 'no SQL text built from values');
  t.notOk(
    files.some((file) => /from ['"](pg|sqlite3)['"]/.test(readFileSync(file, 'utf8')) && !file.endsWith(join('store', 'db.ts'))),
    'only the store opens the drivers; everything else goes through knex',
  );
});
