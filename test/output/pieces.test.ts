/**
 * Large output goes out a piece at a time: the calicoctl documents join to exactly the text
 * written whole, and a stream that asks to wait gets every piece, in order.
 */
import test from 'ava';
import { PassThrough } from 'node:stream';
import { writeStream } from '../../src/cli/io.js';
import type { TargetObject } from '../../src/model/target.js';
import { calicoctlPieces, serialize } from '../../src/output/serialize.js';

const objects: TargetObject[] = Array.from({ length: 3000 }, (_, i) => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'WorkloadEndpoint',
  metadata: { name: `node-${i}-k8s-pod-${i}-eth0`, namespace: `ns-${i % 7}`, labels: { app: `a${i}` } },
  spec: { node: `node-${i}`, ipNetworks: [`10.0.${i >> 8}.${i & 255}/32`], profiles: ['kns.default'] },
}));

test('calicoctl pieces: many pieces that join to the documents written whole, YAML and JSON', (t) => {
  const yaml = [...calicoctlPieces(objects, 'yaml')];
  t.true(yaml.length > 10);
  t.is(yaml.join(''), objects.map((o) => serialize(o, 'yaml')).join('---\n'));
  const json = [...calicoctlPieces(objects, 'json')];
  t.true(json.length > 10);
  t.is(json.join(''), serialize(objects, 'json'));
  t.deepEqual([...calicoctlPieces([], 'yaml')], []);
});

test('writeStream: a stream that asks to wait gets every piece, in order, and the call ends when it is all written', async (t) => {
  const stream = new PassThrough({ highWaterMark: 1024 });
  const received: Buffer[] = [];
  let waits = 0;
  const write = stream.write.bind(stream);
  // Count the writes the stream answers "wait" to, and read slowly, so that the writer must wait for drain.
  stream.write = ((chunk: string) => {
    const ok = write(chunk);
    if (!ok) waits++;
    return ok;
  }) as typeof stream.write;
  const reading = (async () => {
    for await (const chunk of stream) {
      received.push(chunk as Buffer);
      await new Promise((r) => setImmediate(r));
    }
  })();
  const pieces = [...calicoctlPieces(objects, 'yaml')];
  await writeStream(stream, pieces);
  stream.end();
  await reading;
  t.true(waits > 0);
  t.is(Buffer.concat(received).toString('utf8'), pieces.join(''));
});
