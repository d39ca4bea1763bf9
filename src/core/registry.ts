import type { ConnectorDefinition } from './connector.js';

/** Maps a connector type name to its definition; adding a connector is one `register` call. */
export class ConnectorRegistry {
  private readonly definitions = new Map<string, ConnectorDefinition<unknown>>();

  register<Config>(definition: ConnectorDefinition<Config>): this {
    if (this.definitions.has(definition.type)) throw new Error(`connector type "${definition.type}" is registered twice`);
    this.definitions.set(definition.type, definition as ConnectorDefinition<unknown>);
    return this;
  }

  get(type: string): ConnectorDefinition<unknown> | undefined {
    return this.definitions.get(type);
  }

  types(): string[] {
    return [...this.definitions.keys()].sort();
  }
}
