import t from 'tap';
import { feesFromCharges, normalizeStatus, toFetchedOrder, toPedidoCreate, type SourceMapOptions } from '../../src/connectors/marketsync/mapper.js';
import { totalSchema } from '../../src/connectors/marketsync/schemas.js';
import type { FetchedOrder } from '../../src/core/connector.js';
import type { Order } from '../../src/core/order.js';
import { checkOrderAmounts } from '../../src/core/order-amounts.js';

const options: SourceMapOptions = { skipStatuses: ['canceled', 'cancelled'], marketplaceFulfilled: 'skip', kitQuantities: 'expanded', currency: 'MXN' };
const to = { createStatus: 'paid', currency: 'MXN', surchargeSku: null };

/** The order of the seed document's GET /pedidos example (its missing comma before "ubicacion" restored). */
function docOrder(): Record<string, unknown> {
  return {
    id: '162958',
    referencia: '32274456',
    fecha_pedido: '2021-06-24 00:00:00',
    fecha_autoriza: '2021-06-24 00:00:00',
    total: '299.00',
    subtotal: '257.76',
    email: 'none@claroshop.com',
    entregara: 'Roberto perez',
    telefono: '',
    direccion: 'Lilas 1060 num int. , num ext. #7',
    entrecalles: 'Rosas y Helechos',
    colonia: 'El Invernadero',
    ciudad: 'Delegación Miguel Hidalgo',
    estado: 'Ciudad de México',
    observaciones: '',
    cp: '17660',
    estatus: 'embarcados',
    guias: null,
    orden_id: '73507',
    shipping_id: null,
    fecha_orden: '2021-06-24 11:46:26',
    fecha: '2021-06-24 16:45:00',
    envio: '0.00',
    comision: '41.86',
    market_id: '1',
    market: 'Claro',
    items: [
      {
        id: '171870',
        pedido: '162958',
        product_id: '183150',
        sku: '61922-XG',
        modelo: '9603',
        descripcion: 'Calcetas Pumas UNAM Kit 6 Pares Mixto',
        cantidad: '1',
        precio: '257.7586',
        color: '',
        variacion: '',
        fulfillment: '0',
        fecha: '2021-06-30 21:59:13',
        kit_id: '1244',
        kit: [
          { id: '1203', product_id: '180539', sku: '60834-XG', nombre: 'Calcetas Pumas Unisex Blanco', color: 'Blanco', talla: 'XG', cantidad: '2' },
          { id: '1204', product_id: '180532', sku: '60827-XG', nombre: 'Calcetas Pumas Unam Blanco', color: 'Blanco', talla: 'XG', cantidad: '2' },
          { id: '1205', product_id: '180534', sku: '60829-XG', nombre: 'Calcetas Pumas Unam Azul', color: 'Azul', talla: 'XG', cantidad: '2' },
        ],
      },
    ],
    tablas: [{ tabla_id: '3', titulo_tabla: 'Guías Adicionales', campo: 'Mensajeria', opcion: 'DHL', relacion: 'id_tienda', clave: '6', titulo_extra: 'No guia', extra: '253636525', comentario: 'Next Day' }],
    ubicacion: [{ ubicacion: 'INC-002', id: '3' }],
  };
}

function ready(fetched: FetchedOrder): Order {
  if (fetched.kind !== 'ready') throw new Error(`expected a ready order, got ${fetched.kind}: ${JSON.stringify(fetched)}`);
  return fetched.order;
}

t.test("the seed document's order: string numbers, its kit as the goods inside, Mexico City dates", async (t) => {
  const fetched = toFetchedOrder(docOrder(), options);
  t.match(fetched, { kind: 'ready', number: '1-32274456', revision: '2021-06-24 16:45:00' });
  const order = ready(fetched);
  t.match(order, {
    source: { connector: 'marketsync', id: '162958' },
    number: '1-32274456',
    createdAt: '2021-06-24T05:00:00.000Z',
    status: { raw: 'embarcados', normalized: 'shipped' },
    currency: 'MXN',
    prices: 'net',
    total: '299',
    tax: '41.2414',
    comment: 'Entre calles: Rosas y Helechos',
    recipient: {
      name: 'Roberto perez',
      email: 'none@claroshop.com',
      phone: null,
      address: { street: 'Lilas 1060 num int. , num ext. #7', street2: 'El Invernadero', city: 'Delegación Miguel Hidalgo', zip: '17660', state: 'Ciudad de México', country: 'México', countryCode: 'MX' },
    },
    fees: [{ kind: 'commission', amount: '41.86', currency: 'MXN', sku: null }],
    refs: { marketsyncId: '162958', referencia: '32274456', marketId: '1', market: 'Claro', ordenId: '73507' },
  });
  t.same(
    order.lines.map((l) => [l.sourceLineId, l.sku, l.name, l.quantity, l.unitPrice, l.discount, l.sourceProductId]),
    [
      ['171870/1203', '60834-XG', 'Calcetas Pumas Unisex Blanco', 2, '42.9598', '0.0002', '180539'],
      ['171870/1204', '60827-XG', 'Calcetas Pumas Unam Blanco', 2, '42.9598', '0', '180532'],
      ['171870/1205', '60829-XG', 'Calcetas Pumas Unam Azul', 2, '42.9598', '0', '180534'],
    ],
    'the kit price spread over its units, rounded up at the fourth decimal, the excess a discount',
  );
  checkOrderAmounts(order);
  t.pass('its parts make exactly the total the customer paid');
  t.notOk('trackingNumbers' in order.refs, 'empty values are left out');
});

t.test('kit quantities per kit are multiplied by the line quantity when so configured', async (t) => {
  const raw = docOrder();
  const item = (raw['items'] as Record<string, unknown>[])[0]!;
  item['cantidad'] = '3';
  raw['subtotal'] = '773.28';
  raw['total'] = '897';
  const expanded = ready(toFetchedOrder(raw, options));
  t.same(
    expanded.lines.map((l) => l.quantity),
    [2, 2, 2],
  );
  t.equal(expanded.lines[0]?.unitPrice, '128.8793', '3 kits over 6 units');
  raw['subtotal'] = '773.28';
  raw['total'] = '897';
  const perKit = ready(toFetchedOrder(raw, { ...options, kitQuantities: 'perKit' }));
  t.same(
    perKit.lines.map((l) => l.quantity),
    [6, 6, 6],
  );
  t.equal(perKit.lines[0]?.unitPrice, '42.9598');
});

t.test('plain lines, marketplace-shipped lines, and statuses', async (t) => {
  const raw = docOrder();
  raw['items'] = [
    { id: '1', product_id: '10', sku: 'A', descripcion: 'Shirt', cantidad: '2', precio: '100.50', fulfillment: '0', kit_id: null, kit: [] },
    { id: '2', product_id: '11', sku: 'B', descripcion: 'Cap', cantidad: '1', precio: '80', fulfillment: '1' },
    { id: '3', product_id: '12', sku: 'C', descripcion: 'Nothing', cantidad: '0', precio: '5', fulfillment: '0' },
  ];
  raw['subtotal'] = '281.00';
  raw['total'] = '325.96';
  const shipped = ready(toFetchedOrder(raw, options));
  t.same(
    shipped.lines.map((l) => [l.sku, l.quantity, l.unitPrice]),
    [['A', 2, '100.5']],
    'the line the marketplace ships and the empty line are left out',
  );
  t.match(shipped, { total: '233.16', tax: '32.16' }, 'the order keeps the tax share of the lines that remain (201 of 281)');
  checkOrderAmounts(shipped);
  t.same(
    ready(toFetchedOrder(raw, { ...options, marketplaceFulfilled: 'include' })).lines.map((l) => l.sku),
    ['A', 'B'],
  );

  raw['items'] = [(raw['items'] as unknown[])[1]];
  t.match(toFetchedOrder(raw, options), { kind: 'skip', reason: /shipped by the marketplace \(Claro\)/ });

  t.match(toFetchedOrder({ ...docOrder(), estatus: 'Canceled' }, options), { kind: 'skip', number: '1-32274456', reason: /"Canceled"/ });
  t.same(
    ['Pendiente', 'paid', 'WAITING ACCEPTANCE', 'embarcados', 'entregados', 'delivered', 'REFUSED', 'voided', 'return_waiting_for_approval'].map(normalizeStatus),
    ['new', 'confirmed', 'new', 'shipped', 'delivered', 'delivered', 'cancelled', 'cancelled', 'unknown'],
  );
});

t.test('a broken order is invalid with a message naming the field, never a crash', async (t) => {
  const comma = docOrder();
  comma['total'] = '299,00';
  const bad = toFetchedOrder(comma, options);
  t.match(bad, { kind: 'invalid', number: '1-32274456', revision: '2021-06-24 16:45:00' });
  if (bad.kind !== 'invalid') return;
  t.match(bad.error, { kind: 'permanent', code: 'MARKETSYNC_BAD_ORDER' });
  t.match(bad.error.message, /order 1-32274456 cannot be read: total: expected an amount, got "299,00"/);

  t.match(toFetchedOrder({ ...docOrder(), subtotal: '250.00' }, options), {
    kind: 'invalid',
    error: { code: 'MARKETSYNC_AMOUNTS', message: /order 1-32274456: its lines make 257\.76 MXN before tax but its subtotal is 250\.00 MXN \(total 299\.00 MXN\)/ },
  });
  t.match(toFetchedOrder({ ...docOrder(), market_id: null }, options), { kind: 'invalid', error: { message: /no market_id/ } });

  const price = docOrder();
  ((price['items'] as Record<string, unknown>[])[0]!['kit'] as Record<string, unknown>[])[1]!['cantidad'] = 'dos';
  t.match(toFetchedOrder(price, options), { kind: 'invalid', error: { message: /items\.0\.kit\.1\.cantidad: expected a number, got "dos"/ } });

  t.match(toFetchedOrder({ ...docOrder(), fecha_pedido: '0000-00-00 00:00:00', fecha_orden: '' }, options), { kind: 'invalid', error: { message: /fecha_pedido/ } });
  t.equal(ready(toFetchedOrder({ ...docOrder(), fecha_pedido: '0000-00-00 00:00:00' }, options)).createdAt, '2021-06-24T16:46:26.000Z', 'fecha_orden stands in');
  t.match(toFetchedOrder({ ...docOrder(), items: [] }, options), { kind: 'invalid', error: { code: 'NO_GOODS' } });
  t.match(toFetchedOrder('not an order', options), { kind: 'invalid', number: null, error: { message: /order \(no number\) cannot be read/ } });
});

t.test("charges from totales: shipping and the marketplace's deductions as fees", async (t) => {
  const rows = [
    { id: 1613120, pedido_id: 544888, concepto: 'SUBTOTAL', label: '', total: 904.31, estado: 1, fecha: '2022-05-09T22:07:47' },
    { id: 1613122, pedido_id: 544888, concepto: 'TOTAL', label: '', total: 1049, estado: 1, fecha: '2022-05-09T22:07:47' },
    { id: 1613123, pedido_id: 544888, concepto: 'ENVIO_COSTO', label: 'Shipping Draft', total: 0, estado: 1, fecha: '2022-05-09T22:07:47' },
    { id: 0, pedido_id: 0, concepto: 'OTROS_INGRESOS', label: 'Charge Principal MXN', total: 904.31, estado: 1, fecha: null },
    { id: 0, pedido_id: 0, concepto: 'OTROS_EGRESOS', label: 'Fee Commission MXN', total: -157.35, estado: 1, fecha: null },
    { id: 0, pedido_id: 0, concepto: 'OTROS_EGRESOS', label: 'Adjustment PostageBilling_Postage MXN', total: -74.87, estado: 1, fecha: null },
  ].map((row) => totalSchema.parse(row));
  t.same(feesFromCharges(rows, 'MXN'), [
    { kind: 'charge:Fee Commission MXN', amount: '157.35', currency: 'MXN', sku: null },
    { kind: 'charge:Adjustment PostageBilling_Postage MXN', amount: '74.87', currency: 'MXN', sku: null },
  ]);
  t.same(ready(toFetchedOrder(docOrder(), options, rows)).fees, feesFromCharges(rows, 'MXN'), 'charges replace the order-level commission');
  t.same(feesFromCharges([totalSchema.parse({ concepto: 'ENVIO_COSTO', label: 'Envío', total: '99.00' })], 'MXN'), [{ kind: 'service:delivery', amount: '99', currency: 'MXN', sku: null }]);
});

const canonical: Order = {
  source: { connector: 'odoo', id: '42' },
  number: 'S00042',
  createdAt: '2026-03-01T15:30:00.000Z',
  status: { raw: 'sale', normalized: 'confirmed' },
  currency: 'MXN',
  customer: { sourceId: '7', name: 'Ana López', company: null, email: 'ana@example.mx', phone: '5512345678', address: { street: null, street2: null, city: null, zip: null, state: null, country: null, countryCode: null } },
  recipient: {
    sourceId: '8',
    name: 'Ana López',
    company: null,
    email: null,
    phone: null,
    address: { street: 'Reforma 222', street2: 'Juárez', city: 'Cuauhtémoc', zip: '06600', state: 'Ciudad de México', country: 'Mexico', countryCode: 'MX' },
  },
  comment: 'Ring twice',
  lines: [
    { sourceLineId: '91', sku: 'CHAIR-1', name: 'Chair', quantity: 2, unitPrice: '50.125', discount: '0', taxRate: null, sourceProductId: '5', destinationProductId: '183150', unitOfMeasure: 'Units', serials: [] },
    { sourceLineId: '92', sku: 'LAMP', name: 'Lamp', quantity: 1, unitPrice: '20', discount: '0', taxRate: null, sourceProductId: '6', destinationProductId: null, unitOfMeasure: 'Units', serials: [] },
  ],
  prices: 'net',
  discounts: [],
  surcharges: [],
  tax: '19.25',
  total: '139.5',
  fees: [],
  refs: {},
};

t.test('the POST record carries every documented column, dates in Mexico City time', async (t) => {
  t.same(toPedidoCreate(canonical, to), {
    referencia: 'S00042',
    fecha_pedido: '2026-03-01T09:30:00',
    fecha_autoriza: '2026-03-01T09:30:00',
    subtotal: 120.25,
    total: 139.5,
    entregara: 'Ana López',
    direccion: 'Reforma 222',
    colonia: 'Juárez',
    ciudad: 'Cuauhtémoc',
    estado: 'Ciudad de México',
    cp: '06600',
    telefono: '5512345678',
    email: 'ana@example.mx',
    entrecalles: '',
    observaciones: 'Ring twice',
    estatus: 'paid',
    mensajeria: '',
    guias: '',
    orden_id: 42,
    shipping_id: '',
    fecha_orden: '2026-03-01T09:30:00',
    fecha: '2026-03-01T09:30:00',
    lineas: [
      { product_id: 183150, sku: 'CHAIR-1', descripcion: 'Chair', fulfillment: 0, cantidad: 2, precio: 50.125, color: '', referencia: '91', variacion: '' },
      { product_id: 0, sku: 'LAMP', descripcion: 'Lamp', fulfillment: 0, cantidad: 1, precio: 20, color: '', referencia: '92', variacion: '' },
    ],
  });
  const long = toPedidoCreate({ ...canonical, source: { connector: 'x', id: 'SO-1' }, comment: 'x'.repeat(250), lines: [{ ...canonical.lines[0]!, name: 'n'.repeat(130) }] }, { ...to, createStatus: 'pending' });
  t.equal(long.observaciones.length, 200, 'remarks are cut to fit');
  t.equal(long.lineas[0]?.descripcion.length, 120);
  t.equal(long.orden_id, 0, 'a source id that is no number is not sent as orden_id');
  t.equal(long.estatus, 'pending');
});

t.test('everything Marketsync would refuse is named in one message before any call', async (t) => {
  const broken: Order = {
    ...canonical,
    number: 'N'.repeat(31),
    recipient: { ...canonical.recipient, address: { ...canonical.recipient.address, zip: null, city: 'C'.repeat(101) } },
    lines: [
      { ...canonical.lines[0]!, quantity: 1.5, sku: 'SKU-THAT-IS-TOO-LONG' },
      { ...canonical.lines[1]!, sku: null },
      { ...canonical.lines[1]!, destinationProductId: 'abc' },
    ],
  };
  t.throws(() => toPedidoCreate(broken, to), {
    kind: 'permanent',
    code: 'CANNOT_SEND_TO_MARKETSYNC',
    message:
      /longer than the 30 characters.*SKU of "Chair" \[SKU-THAT-IS-TOO-LONG\] is longer than the 18.*quantity 1\.5.*"Lamp" has neither a SKU nor a Marketsync product id.*"abc".*no postal code.*ciudad "C+" is longer than the 100/,
  });
});

t.test('money Marketsync cannot hold is refused with the amounts and the setting, never written wrong', async (t) => {
  t.throws(() => toPedidoCreate({ ...canonical, currency: 'EUR' }, to), {
    code: 'AMOUNT_NOT_EXACT',
    message: /order S00042 was not sent to Marketsync: the customer paid 139\.50 EUR, and Marketsync would book that number in MXN.*"currency" of the Marketsync connection/,
  });
  const shipped: Order = { ...canonical, surcharges: [{ kind: 'shipping', name: 'Envío', amount: '10' }], tax: '20.85', total: '151.1' };
  t.throws(() => toPedidoCreate(shipped, to), { code: 'AMOUNT_NOT_EXACT', message: /would show 139\.50 MXN.*no field for Envío 10\.00 MXN.*"surchargeSku"/ });
  const withSku = toPedidoCreate(shipped, { ...to, surchargeSku: 'ENVIO' });
  t.match(withSku, { subtotal: 130.25, total: 151.1 });
  t.match(withSku.lineas[2], { sku: 'ENVIO', descripcion: 'Envío', cantidad: 1, precio: 10 });
  const coupon: Order = { ...canonical, prices: 'gross', tax: null, discounts: [{ kind: 'coupon', code: 'HOLA', amount: '20.25' }], total: '100' };
  const discounted = toPedidoCreate(coupon, to);
  t.match(discounted, { subtotal: 100, total: 100 }, 'no tax stated: the subtotal is the total');
  t.equal(discounted.lineas.reduce((sum, l) => sum + l.precio * l.cantidad, 0).toFixed(2), '100.00', 'the coupon is in the line prices');
});
