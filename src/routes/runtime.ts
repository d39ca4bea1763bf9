import type { OrderDestination, OrderSource } from '../core/connector.js';
import type { RouteConfig } from '../config/schema.js';

/** A configured route with its two ends resolved to connector capabilities. */
export interface RouteRuntime {
  name: string;
  config: RouteConfig;
  /** Connection names, for messages and the exchange log. */
  from: string;
  to: string;
  source: OrderSource;
  destination: OrderDestination;
  maxAttempts: number;
}

export function exportJobKey(route: string, sourceId: string): string {
  return `export:${route}:${sourceId}`;
}
