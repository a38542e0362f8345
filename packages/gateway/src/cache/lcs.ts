/**
 * The add and remove steps that turn one collection into another, from a longest
 * common subsequence: removes first, from the end backwards, then adds, with the
 * indexes Resgate gives them.
 */
import { valueEquals, type Value } from "@resgate-ts/protocol";

export type CollectionStep =
  | { readonly op: "remove"; readonly idx: number }
  | { readonly op: "add"; readonly idx: number; readonly value: Value };

export function collectionDiff(a: readonly Value[], b: readonly Value[]): CollectionStep[] {
  let m = a.length;
  let n = b.length;
  let s = 0;
  // Trim matching values at the start and end.
  while (s < m && s < n && valueEquals(a[s] as Value, b[s] as Value)) s++;
  if (s === m && s === n) return [];
  while (s < m && s < n && valueEquals(a[m - 1] as Value, b[n - 1] as Value)) {
    m--;
    n--;
  }
  const aa = a.slice(s, m);
  const bb = b.slice(s, n);
  m = aa.length;
  n = bb.length;

  // c[i + w*j] is the LCS length of aa[0..i) and bb[0..j).
  const w = m + 1;
  const c = new Uint32Array(w * (n + 1));
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (valueEquals(aa[i] as Value, bb[j] as Value)) {
        c[i + 1 + w * (j + 1)] = (c[i + w * j] as number) + 1;
      } else {
        const v1 = c[i + 1 + w * j] as number;
        const v2 = c[i + w * (j + 1)] as number;
        c[i + 1 + w * (j + 1)] = v2 > v1 ? v2 : v1;
      }
    }
  }

  const steps: CollectionStep[] = [];
  const adds: [number, number, number][] = [];
  let idx = m + s;
  let i = m;
  let j = n;
  let r = 0;
  for (;;) {
    const mm = i - 1;
    const nn = j - 1;
    if (i > 0 && j > 0 && valueEquals(aa[mm] as Value, bb[nn] as Value)) {
      idx--;
      i--;
      j--;
    } else if (j > 0 && (i === 0 || (c[i + w * nn] as number) >= (c[mm + w * j] as number))) {
      adds.push([nn, idx, r]);
      j--;
    } else if (i > 0 && (j === 0 || (c[i + w * nn] as number) < (c[mm + w * j] as number))) {
      idx--;
      steps.push({ op: "remove", idx });
      r++;
      i--;
    } else {
      break;
    }
  }
  const l = adds.length - 1;
  for (let k = l; k >= 0; k--) {
    const [bi, aidx, ar] = adds[k] as [number, number, number];
    steps.push({ op: "add", idx: aidx - r + ar + l - k, value: bb[bi] as Value });
  }
  return steps;
}
