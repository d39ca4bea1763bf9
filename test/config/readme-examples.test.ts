import { readFileSync } from 'node:fs';
import t from 'tap';
import { builtinConnectors } from '../../src/connectors/index.js';
import { parseConfig } from '../../src/config/load.js';

/** Every JSON example in the README is checked against the real schemas, so the documentation stays true. */
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
const registry = builtinConnectors();
const env = new Proxy({} as Record<string, string>, { get: (_, name) => `value-of-${String(name)}-0123456789` });

t.ok(blocks.length >= 5, `the README has JSON examples (${blocks.length})`);

for (const [index, block] of blocks.entries()) {
  t.test(`README JSON example ${index + 1}`, async (t) => {
    if (block.startsWith('{')) {
      const parsed = parseConfig(JSON.parse(block), registry, env);
      t.ok(parsed.routes.length > 0, 'a whole configuration: valid, with its routes');
      return;
    }
    // A connection on its own, as it would sit under "connections".
    const [[name, connection]] = Object.entries(JSON.parse(`{${block}}`) as Record<string, { type: string }>) as [[string, { type: string }]];
    const definition = registry.get(connection.type);
    t.ok(definition, `connector type ${connection.type} exists`);
    const { type: _type, ...settings } = connection;
    const checked = definition!.configSchema.safeParse(JSON.parse(JSON.stringify(settings).replace(/\$\{(\w+)\}/g, (_m, v: string) => env[v]!)));
    t.ok(checked.success, `connection "${name}" is valid: ${checked.success ? '' : checked.error.message}`);
  });
}
