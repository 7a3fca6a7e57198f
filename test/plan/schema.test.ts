/**
 * What a CRD's structural schema does to a written spec, as the kube-apiserver does it: defaults
 * fill absent fields at every level, unknown fields are pruned (unless preserved), and the plan
 * reads the `spec` schema of the served version from an apiextensions v1 CRD only. The schema used
 * below is the shape of Calico's own BGPConfiguration CRD (v3.29+), trimmed.
 */
import test from 'ava';
import { prunedPaths, specSchemaOf, withDefaults, type StructuralSchema } from '../../src/plan/schema.js';

const BGP: StructuralSchema = {
  type: 'object',
  properties: {
    asNumber: { type: 'integer' },
    logSeverityScreen: { type: 'string' },
    serviceLoadBalancerAggregation: { type: 'string', default: 'Enabled' },
    communities: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string' }, kind: { type: 'string', default: 'standard' } } } },
    nodeSelector: { type: 'string' },
    extra: { type: 'object', additionalProperties: { type: 'object', properties: { a: { type: 'string' } } } },
    free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  },
};

test('schema: defaults fill absent fields, in nested list items too, and never replace a value that is set', (t) => {
  t.deepEqual(withDefaults(BGP, { asNumber: 64512 }), { asNumber: 64512, serviceLoadBalancerAggregation: 'Enabled' });
  t.deepEqual(withDefaults(BGP, { serviceLoadBalancerAggregation: 'Disabled' }), { serviceLoadBalancerAggregation: 'Disabled' });
  t.deepEqual(withDefaults(BGP, { communities: [{ name: 'a', value: '1:2' }] }), { communities: [{ name: 'a', value: '1:2', kind: 'standard' }], serviceLoadBalancerAggregation: 'Enabled' });
});

test('schema: defaulting returns a new value and leaves the desired object alone', (t) => {
  const spec = { asNumber: 1 };
  const out = withDefaults(BGP, spec);
  t.deepEqual(spec, { asNumber: 1 });
  t.not(out, spec);
});

test('schema: fields the schema does not know are pruned, with their paths; maps and preserved objects keep theirs', (t) => {
  t.deepEqual(prunedPaths(BGP, { asNumber: 1, ipipMode: 'Always', communities: [{ name: 'a', colour: 'red' }] }, 'spec'), ['spec.ipipMode', 'spec.communities[0].colour']);
  t.deepEqual(prunedPaths(BGP, { extra: { x: { a: 'y', b: 'z' } }, free: { anything: { goes: 1 } } }, 'spec'), ['spec.extra.x.b']);
  t.deepEqual(prunedPaths({ type: 'object' }, { a: 1 }, 'spec'), ['spec.a'], 'an object schema without properties prunes everything');
  t.deepEqual(prunedPaths({ 'x-kubernetes-preserve-unknown-fields': true }, { a: 1 }, 'spec'), []);
});

test('schema: the spec schema comes from the named version of an apiextensions v1 CRD; a v1beta1 CRD has none', (t) => {
  const crd = (apiVersion: string, schema: unknown) => ({ apiVersion, kind: 'CustomResourceDefinition', spec: { versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }] } });
  t.deepEqual(specSchemaOf(crd('apiextensions.k8s.io/v1', { type: 'object', properties: { spec: BGP } })), BGP);
  t.is(specSchemaOf(crd('apiextensions.k8s.io/v1beta1', { type: 'object', properties: { spec: BGP } })), undefined);
  t.deepEqual(specSchemaOf(crd('apiextensions.k8s.io/v1', { type: 'object', 'x-kubernetes-preserve-unknown-fields': true })), { 'x-kubernetes-preserve-unknown-fields': true }, "the tool's own CRDs prune nothing");
  t.deepEqual(specSchemaOf(crd('apiextensions.k8s.io/v1', { type: 'object', properties: { metadata: { type: 'object' } } })), { type: 'object' }, 'a root without spec prunes it');
  t.is(specSchemaOf(undefined), undefined);
});

test('schema: preserving unknown fields keeps the unknown keys of that level, but its known properties still prune; a CRD that preserves unknown fields has no schema to apply', (t) => {
  const preserving: StructuralSchema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { strict: { type: 'object', properties: { a: { type: 'string' } } } } };
  t.deepEqual(prunedPaths(preserving, { anything: 1, strict: { a: 'x', b: 'y' } }, 'spec'), ['spec.strict.b']);
  const v1beta1Made = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', spec: { preserveUnknownFields: true, versions: [{ name: 'v1', schema: { openAPIV3Schema: { type: 'object', properties: { spec: BGP } } } }] } };
  t.is(specSchemaOf(v1beta1Made), undefined);
});
