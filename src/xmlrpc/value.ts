/**
 * Everything an XML-RPC message can carry. Dates are only produced by the parser (from
 * `dateTime.iso8601`); the serializer sends them as Odoo-style UTC strings, because Odoo parses
 * datetimes from strings and not from `dateTime.iso8601`.
 */
export type XmlRpcValue =
  | number
  | boolean
  | string
  | null
  | Date
  | Uint8Array
  | XmlRpcValue[]
  | { [key: string]: XmlRpcValue };
