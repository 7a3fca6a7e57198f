import { Agent, request as httpRequest } from 'node:http';
import { syntheticKeys } from './synthetic.js';
const endpoint = 'http://127.0.0.1:23790';
const keys: [string, string][] = [];
syntheticKeys(308_000, (k, v) => keys.push([k, v]));
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
let next = 0;
const put = (key: string, value: string): Promise<void> => new Promise((resolve, reject) => {
  const body = `value=${encodeURIComponent(value)}`;
  const path = `/v2/keys${key.split('/').map(encodeURIComponent).join('/')}`;
  const req = httpRequest(`${endpoint}${path}`, { method: 'PUT', agent, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } }, (res) => { res.resume(); res.on('end', () => (res.statusCode === 200 || res.statusCode === 201 ? resolve() : reject(new Error(`PUT ${key}: ${res.statusCode}`)))); });
  req.on('error', reject); req.end(body);
});
await Promise.all(Array.from({ length: 64 }, async () => { for (let i = next++; i < keys.length; i = next++) await put(keys[i]![0], keys[i]![1]); }));
agent.destroy();
console.log('seeded', keys.length);
