import t from 'tap';
import { formatWallTime, parseWallTime } from '../../src/core/wall-time.js';

t.test("wall-clock text on a zone's clock is read as the right instant, also across DST changes", async (t) => {
  const iso = (text: string, zone: string): string | undefined => parseWallTime(text, zone)?.toISOString();
  t.equal(iso('2022-09-04 20:17:34', 'Europe/Kyiv'), '2022-09-04T17:17:34.000Z', 'summer, UTC+3');
  t.equal(iso('2022-01-15 12:00:00', 'Europe/Kyiv'), '2022-01-15T10:00:00.000Z', 'winter, UTC+2');
  t.equal(iso('2022-03-27 04:30:00', 'Europe/Kyiv'), '2022-03-27T01:30:00.000Z', 'just after the clocks go forward');
  t.equal(iso('2022-03-27 02:30:00', 'Europe/Kyiv'), '2022-03-27T00:30:00.000Z', 'just before');
  t.equal(iso('2022-09-04T20:17', 'UTC'), '2022-09-04T20:17:00.000Z', 'a "T" and no seconds');
  t.equal(iso('2019-12-12 10:50:54.289', 'America/Mexico_City'), '2019-12-12T16:50:54.000Z', 'Mexico City, UTC-6');
  t.equal(parseWallTime('0000-00-00 00:00:00', 'UTC'), null, "MySQL's empty date is no date");
  t.equal(parseWallTime('2022-02-30 10:00:00', 'UTC'), null, 'an impossible day');
  t.equal(parseWallTime('04.09.2022 20:17', 'UTC'), null);
});

t.test("instants are written on a zone's clock", async (t) => {
  t.equal(formatWallTime(Date.parse('2026-11-24T16:05:09Z'), 'America/Mexico_City', 'T'), '2026-11-24T10:05:09');
  t.equal(formatWallTime(new Date('2026-07-01T00:00:00Z'), 'Europe/Kyiv'), '2026-07-01 03:00:00');
  const instant = Date.parse('2026-03-29T00:30:00Z');
  t.equal(parseWallTime(formatWallTime(instant, 'Europe/Kyiv'), 'Europe/Kyiv')?.getTime(), instant, 'round trip');
});
