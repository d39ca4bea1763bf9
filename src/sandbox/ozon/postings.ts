/**
 * Realistic Ozon postings for the fake, deterministic for a seed so that a failing test can be replayed.
 *
 * What "realistic" means here (Ozon's OpenAPI examples for the posting lists and the seller's notes in
 * seeds/ozon-moysklad-notes): posting numbers `<8 digits>-<4 digits>-<n>` under an order number `<8 digits>-<4
 * digits>`, some orders split into two postings that share the order and its processing time; 1–3 products a
 * posting, each article with one stable Ozon SKU, name and price; prices with kopecks; commission 5–20 % of the
 * line; times in RFC 3339 UTC, some with milliseconds; and the accruals Ozon has booked by the posting's status
 * (ours: processing once it awaits shipping, logistics once it is on its way, last mile, acquiring, the revenue
 * and the sale commission once delivered, return logistics when cancelled after shipping).
 */
import { seededRandom } from '../shared/random.js';
import { accrualTypeIds, type FakeAccrual, type FakeFinancialProduct, type FakePosting, type FakeProduct, type OzonScheme } from './server.js';

export interface MakePostingsOptions {
  scheme?: OzonScheme;
  /** Processing time of the first posting; the default is fixed so that runs repeat. */
  start?: Date;
  /** Time between two orders (split postings of one order share a time). */
  stepMs?: number;
  /** Picked from uniformly; the default leans to delivered, as a real account does. */
  statuses?: string[];
  /** Seller articles (`offer_id`), 1–3 distinct ones a posting. */
  articles?: string[];
  seed?: number;
  /** Default true: the accruals Ozon would have booked by each posting's status. */
  accruals?: boolean;
}

export const defaultArticles: readonly string[] = Array.from({ length: 20 }, (_, i) => `ART-${i + 1}`);
const defaultStatuses = ['delivered', 'delivered', 'delivered', 'delivering', 'awaiting_deliver', 'awaiting_packaging', 'cancelled'];
const defaultStart = new Date('2026-11-20T07:00:00Z');

const productNames = [
  'Кружка керамическая 350 мл, белая',
  'Термос стальной 1 л',
  'Набор отвёрток 24 предмета',
  'Чехол для смартфона силиконовый, прозрачный',
  'Зарядное устройство USB-C 20 Вт',
  'Коврик для йоги 183×61 см',
  'Фонарь налобный светодиодный',
  'Полотенце махровое 70×140 см',
  'Контейнер для еды стеклянный 1 л',
  'Наушники беспроводные TWS',
  'Лампа настольная LED с регулировкой яркости',
  'Рюкзак городской 25 л',
  'Сковорода антипригарная 28 см',
  'Органайзер для кабелей',
  'Бутылка для воды 750 мл',
];

const places = [
  { city: 'Москва', region: 'Москва', cluster: 'Москва, МО и Дальние регионы' },
  { city: 'Санкт-Петербург', region: 'Санкт-Петербург', cluster: 'Санкт-Петербург и СЗО' },
  { city: 'Казань', region: 'Республика Татарстан', cluster: 'Казань' },
  { city: 'Екатеринбург', region: 'Свердловская область', cluster: 'Урал' },
  { city: 'Новосибирск', region: 'Новосибирская область', cluster: 'Сибирь' },
  { city: 'Краснодар', region: 'Краснодарский край', cluster: 'Юг' },
  { city: 'Нижний Новгород', region: 'Нижегородская область', cluster: 'Поволжье' },
];

const fboWarehouses = [
  { name: 'ХОРУГВИНО_РФЦ', id: 15431806189000 },
  { name: 'ТВЕРЬ_РФЦ', id: 1020000089903000 },
  { name: 'КАЗАНЬ_РФЦ_НОВЫЙ', id: 1020001003717000 },
];
const fbsWarehouse = { name: 'Основной склад', id: 1020000123456000 };
const buyers = ['Иванова Мария', 'Петров Алексей', 'Смирнова Ольга', 'Кузнецов Дмитрий', 'Соколова Анна'];

/** FNV-1a, so that an article keeps its SKU, name and price across postings and runs. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) throw new Error('makePostings: nothing to pick from');
  return item;
}

function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const digits = (n: number, width: number): string => String(n).padStart(width, '0');

/** RFC 3339 UTC, milliseconds only when there are any (Ozon sends both forms). */
export function ozonTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, 19)}Z` : iso;
}

function article(offerId: string): { sku: number; name: string; price: number } {
  const h = hash(offerId);
  const kopecks = [0, 50, 90, 99][h % 4] ?? 0;
  return {
    sku: 100_000_000 + (h % 900_000_000),
    name: productNames[(h >>> 8) % productNames.length] ?? offerId,
    price: 149 + ((h >>> 4) % 9_850) + kopecks / 100,
  };
}

function lines(random: () => number, articles: readonly string[]): { products: FakeProduct[]; financial: FakeFinancialProduct[] } {
  const count = Math.min(articles.length, between(random, 1, 3));
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(pick(random, articles));
  const products: FakeProduct[] = [];
  const financial: FakeFinancialProduct[] = [];
  for (const offerId of chosen) {
    const { sku, name, price } = article(offerId);
    const quantity = random() < 0.75 ? 1 : between(random, 2, 3);
    const discount = random() < 0.4 ? between(random, 5, 35) / 100 : 0;
    const oldPrice = discount === 0 ? price : round2(price / (1 - discount));
    const commissionPercent = between(random, 5, 20);
    const commission = round2((price * quantity * commissionPercent) / 100);
    products.push({ sku, offer_id: offerId, name, quantity, price: price.toFixed(2), currency_code: 'RUB' });
    financial.push({
      product_id: sku,
      price,
      old_price: oldPrice,
      payout: round2(price * quantity - commission),
      commission_amount: commission,
      commission_percent: commissionPercent,
      commissions_currency_code: 'RUB',
      currency_code: 'RUB',
      quantity,
      total_discount_value: round2(oldPrice - price),
      total_discount_percent: round2(((oldPrice - price) / oldPrice) * 100),
      actions: discount === 0 ? [] : ['Системная виртуальная скидка селлера'],
    });
  }
  return { products, financial };
}

/** Kopecks as Ozon's decimal text, negative for a charge. */
const charge = (kopecks: number): string => (-kopecks / 100).toFixed(2);
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** What Ozon has booked on a posting by the time it reaches `status` (see the header). */
export function accrualsFor(random: () => number, status: string, when: number, products: FakeProduct[], financial: FakeFinancialProduct[]): FakeAccrual[] {
  const booked: FakeAccrual[] = [];
  const service = (type: number, kopecks: number, at: number, sku: number | null): void => {
    booked.push({ type_id: type, amount: charge(kopecks), accrual_date: isoDay(at), sku, quantity: null, seller_price: null });
  };
  const hour = 3_600_000;
  const progress = ['awaiting_deliver', 'delivering', 'delivered'].indexOf(status);
  const shippedThenCancelled = status === 'cancelled' && random() < 0.3;
  if (progress >= 0 || shippedThenCancelled) service(accrualTypeIds.processing, between(random, 1500, 3000), when + hour, null);
  if (progress >= 1 || shippedThenCancelled) {
    for (const p of products) service(accrualTypeIds.logistics, between(random, 4000, 15000) * p.quantity, when + 20 * hour, p.sku);
  }
  if (progress >= 2) {
    const delivered = when + 72 * hour;
    for (const [i, p] of products.entries()) {
      const price = Math.round(Number(p.price) * 100);
      booked.push({ type_id: accrualTypeIds.revenue, amount: ((price * p.quantity) / 100).toFixed(2), accrual_date: isoDay(delivered), sku: p.sku, quantity: p.quantity, seller_price: p.price });
      const commission = Math.round((financial[i]?.commission_amount ?? 0) * 100);
      booked.push({ type_id: accrualTypeIds.saleCommission, amount: charge(commission), accrual_date: isoDay(delivered), sku: p.sku, quantity: p.quantity, seller_price: charge(Math.round(commission / p.quantity)) });
      service(accrualTypeIds.lastMile, Math.min(50_000, Math.round(price * p.quantity * 0.055)), delivered, p.sku);
      service(accrualTypeIds.acquiring, Math.round(price * p.quantity * 0.015), delivered, p.sku);
    }
  }
  if (shippedThenCancelled) service(accrualTypeIds.returnLogistics, between(random, 3000, 9000), when + 96 * hour, null);
  return booked;
}

export function makePostings(count: number, options: MakePostingsOptions = {}): FakePosting[] {
  const scheme = options.scheme ?? 'fbs';
  const start = (options.start ?? defaultStart).getTime();
  const stepMs = options.stepMs ?? 60_000;
  const statuses = options.statuses ?? defaultStatuses;
  const articles = options.articles ?? defaultArticles;
  const withAccruals = options.accruals ?? true;
  if (articles.length === 0) throw new Error('makePostings: articles must not be empty');
  const random = seededRandom(options.seed ?? 1);

  const postings: FakePosting[] = [];
  const taken = new Set<string>();
  let previous: FakePosting | undefined;
  for (let i = 0; postings.length < count; i++) {
    // An order split in two: the second posting shares the order and the time of the first.
    const split = previous !== undefined && previous.posting_number.endsWith('-1') && random() < 0.1;
    let orderNumber: string;
    let orderId: number;
    let postingNumber: string;
    let when: number;
    if (split && previous !== undefined) {
      orderNumber = previous.order_number;
      orderId = previous.order_id;
      postingNumber = `${orderNumber}-2`;
      when = Date.parse(previous.in_process_at);
    } else {
      do {
        orderNumber = `${between(random, 10_000_000, 99_999_999)}-${digits(between(random, 1, 9999), 4)}`;
      } while (taken.has(`${orderNumber}-1`));
      orderId = between(random, 1_000_000_000, 39_999_999_999);
      postingNumber = `${orderNumber}-1`;
      // Milliseconds stay below the step so that the order of times is the order of generation.
      const fraction = stepMs >= 1000 && random() < 0.3 ? between(random, 1, 999) : 0;
      when = start + i * stepMs + fraction;
    }
    taken.add(postingNumber);

    const place = pick(random, places);
    const warehouse = scheme === 'fbo' ? pick(random, fboWarehouses) : fbsWarehouse;
    const { products, financial } = lines(random, articles);
    const day = 86_400_000;
    const deliveryBegin = Math.floor(when / day) * day + between(random, 2, 4) * day + 9 * 3_600_000;
    const posting: FakePosting = {
      scheme,
      posting_number: postingNumber,
      order_id: orderId,
      order_number: orderNumber,
      status: pick(random, statuses),
      in_process_at: ozonTimestamp(when),
      // An order is created a little before Ozon starts processing it; a constant gap keeps both orders alike.
      created_at: ozonTimestamp(when - 40_000),
      shipment_date: scheme === 'fbs' ? ozonTimestamp(Math.floor(when / day) * day + day + 10 * 3_600_000) : '',
      products,
      financial_data: {
        products: financial,
        cluster_from: scheme === 'fbs' ? 'Москва, МО и Дальние регионы' : place.cluster,
        cluster_to: place.cluster,
      },
      analytics_data: {
        city: place.city,
        region: place.region,
        delivery_type: pick(random, ['PVZ', 'PVZ', 'Courier', 'PickPoint']),
        warehouse: warehouse.name,
        warehouse_id: warehouse.id,
        is_premium: random() < 0.2,
        payment_type_group_name: pick(random, ['Карты оплаты', 'Ozon Карта', 'Оплата по СБП']),
        tpl_provider: 'Ozon Логистика',
        tpl_provider_id: 24,
        delivery_date_begin: ozonTimestamp(deliveryBegin),
        delivery_date_end: ozonTimestamp(deliveryBegin + 12 * 3_600_000),
        is_legal: false,
      },
      addressee:
        scheme === 'fbs' && random() < 0.3 ? { name: pick(random, buyers), phone: `+79${digits(between(random, 0, 999_999_999), 9)}` } : null,
      customer: null,
      accruals: [],
    };
    // Their own generator, so that the rest of the data stays what it was for a seed.
    if (withAccruals) posting.accruals = accrualsFor(seededRandom(hash(postingNumber)), posting.status, when, products, financial);
    postings.push(posting);
    previous = posting;
  }
  return postings;
}
