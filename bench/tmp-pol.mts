import { writeFileSync } from 'node:fs';
import { syntheticPolicyDump } from './synthetic.js';
writeFileSync(`/tmp/etcdv3/pol-${process.argv[2]}.json`, syntheticPolicyDump(Number(process.argv[2])));
