/**
 * Run with `--allow-natives-syntax`: parses 2,500 IPAM handles with distinct blocks, then asks V8
 * whether two objects built alike (a literal of n properties, then two more added) share one shape,
 * for n = 0 to 3. V8 keeps at most 1,536 transitions from one shape: had the parse given each block
 * CIDR a shape of its own, the shapes those objects start from would be full, and every such object
 * would get a shape of its own (each property store a runtime call). Prints the answer as JSON.
 */
import { decodeDump } from '../../src/input/dump.js';
import { parseDumps } from '../../src/parse/index.js';

// The dump is written as text: building it as an object keyed by the handles would fill shapes itself.
const lines: string[] = [];
for (let i = 0; i < 2500; i++) lines.push(`${JSON.stringify(`/calico/ipam/v2/handle/h${i}`)}:${JSON.stringify(`{"block":{"10.${i >> 8}.${i & 255}.0/26":1}}`)}`);
const parsed = parseDumps([decodeDump('d.json', `{${lines.join(',')}}`)]);

const sameShape = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
const shared = [0, 1, 2, 3].map((n) => {
  // Property names no other code uses, so the answer depends only on whether a transition can be added.
  const literal = Array.from({ length: n }, (_, i) => `probe${n}_${i}: ${i}`).join(', ');
  const build = new Function(`const o = { ${literal} }; o.probe${n}_a = 1; o.probe${n}_b = 2; return o;`) as () => object;
  return sameShape(build(), build());
});
process.stdout.write(JSON.stringify({ items: parsed.snapshot.items.length, failures: parsed.failures.length, shared }));
