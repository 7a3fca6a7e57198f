/** A record read from two dump files is used once: the second copy is an error naming the first file. */
import test from 'ava';
import { decodeDump } from '../../src/input/dump.js';
import { parseDumps } from '../../src/parse/index.js';

test('duplicates: the same key in two flat dumps is read from the first; the second copy is a duplicate-record error', (t) => {
  const a = decodeDump('a.json', JSON.stringify({ '/calico/v1/config/LogSeverityScreen': 'Info', '/calico/v1/config/A': '1' }));
  const b = decodeDump('b.json', JSON.stringify({ '/calico/v1/config/LogSeverityScreen': 'Debug' }));
  const one = parseDumps([a]);
  t.is(one.snapshot.items.length, 2);
  t.deepEqual(one.failures, []);
  const both = parseDumps([a, b]);
  t.deepEqual(both.snapshot.items.map((i) => i.origin), ['/calico/v1/config/LogSeverityScreen', '/calico/v1/config/A']);
  t.like(both.failures, [{ origin: '/calico/v1/config/LogSeverityScreen', file: 'b.json', disposition: 'error', code: 'duplicate-record', message: 'the same record was already read from a.json; this copy is not used' }]);
});
