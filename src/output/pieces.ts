/** Output gathered into pieces of a bounded size: large output is written a piece at a time, never held whole. */

/** About 64 KiB of text per piece. */
const PIECE = 1 << 16;

/** The texts, concatenated in order, cut into pieces of at least 64 KiB each (the last may be shorter); none when there is no text. */
export function* inPieces(texts: Iterable<string>): Generator<string> {
  let buf = '';
  for (const s of texts) {
    buf += s;
    if (buf.length >= PIECE) {
      yield buf;
      buf = '';
    }
  }
  if (buf !== '') yield buf;
}
