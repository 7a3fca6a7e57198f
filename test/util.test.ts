/** Small shared helpers: `remembered`, the memory behind names, label keys, selectors and YAML key texts. */
import test from 'ava';
import { remembered } from '../src/util.js';

test('remembered: the answer is what compute gives, computed once per argument, undefined answers included', (t) => {
  const calls: string[] = [];
  const f = remembered((s: string) => {
    calls.push(s);
    return s === 'none' ? undefined : s.toUpperCase();
  });
  t.deepEqual(['a', 'b', 'a', 'none', 'none', 'b'].map(f), ['A', 'B', 'A', undefined, undefined, 'B']);
  t.deepEqual(calls, ['a', 'b', 'none']);
});

test('remembered: past its limit it starts again, and still answers the same', (t) => {
  let computed = 0;
  const f = remembered((n: number) => {
    computed++;
    return n * 2;
  }, 3);
  for (const n of [1, 2, 3]) t.is(f(n), n * 2);
  t.is(computed, 3);
  t.is(f(4), 8, 'the fourth argument empties the memory first');
  t.is(f(1), 2);
  t.is(computed, 5, 'the first argument was forgotten, so it is computed again');
  t.is(f(4), 8);
  t.is(computed, 5);
});

test('remembered: an error is not remembered; the next call computes again', (t) => {
  let calls = 0;
  const f = remembered((s: string) => {
    calls++;
    if (calls === 1) throw new Error('first time fails');
    return s.length;
  });
  t.throws(() => f('abc'), { message: 'first time fails' });
  t.is(f('abc'), 3);
  t.is(calls, 2);
});
