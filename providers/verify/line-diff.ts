// Unified line diff (Myers' O(ND) algorithm on the span between the common prefix and suffix, keeping only the
// diagonals reached at each step: memory O(D²), fast for a few changed lines in a large config.xml).

export type DiffOp = { op: " " | "-" | "+"; line: string };

function myers(a: string[], b: string[]): DiffOp[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let done = false;
  for (let d = 0; d <= max && !done; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1] < v[off + k + 1]) ? v[off + k + 1] : v[off + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) done = true;
    }
    trace.push(v.slice(off - d, off + d + 1)); // index k + d
  }
  const ops: DiffOp[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d > 0; d--) {
    const prev = trace[d - 1];
    const at = (k: number) => prev[k + d - 1];
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ op: " ", line: a[--x] });
      y--;
    }
    if (x === prevX) ops.push({ op: "+", line: b[--y] });
    else ops.push({ op: "-", line: a[--x] });
  }
  while (x > 0 && y > 0) {
    ops.push({ op: " ", line: a[--x] });
    y--;
  }
  return ops.reverse();
}

export function lineOps(before: string[], after: string[]): DiffOp[] {
  let pre = 0;
  while (pre < before.length && pre < after.length && before[pre] === after[pre]) pre++;
  let suf = 0;
  while (suf < before.length - pre && suf < after.length - pre && before[before.length - 1 - suf] === after[after.length - 1 - suf]) suf++;
  const mid = myers(before.slice(pre, before.length - suf), after.slice(pre, after.length - suf));
  return [
    ...before.slice(0, pre).map((line) => ({ op: " " as const, line })),
    ...mid,
    ...before.slice(before.length - suf).map((line) => ({ op: " " as const, line })),
  ];
}

function linesOf(text: string): string[] {
  const l = text.split("\n");
  if (l.length && l[l.length - 1] === "") l.pop();
  return l;
}

/** `diff -u` style output ("" when equal); `context` lines around each change. */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  const ops = lineOps(linesOf(before), linesOf(after));
  const changed = ops.map((o, i) => (o.op !== " " ? i : -1)).filter((i) => i >= 0);
  if (!changed.length) return "";
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  let i = 0;
  while (i < changed.length) {
    const start = Math.max(0, changed[i] - context);
    let end = Math.min(ops.length, changed[i] + context + 1);
    while (i + 1 < changed.length && changed[i + 1] - context <= end) {
      i++;
      end = Math.min(ops.length, changed[i] + context + 1);
    }
    i++;
    // line numbers: count the old/new lines before `start`
    let aLine = 1;
    let bLine = 1;
    for (let j = 0; j < start; j++) {
      if (ops[j].op !== "+") aLine++;
      if (ops[j].op !== "-") bLine++;
    }
    const hunk = ops.slice(start, end);
    const aLen = hunk.filter((o) => o.op !== "+").length;
    const bLen = hunk.filter((o) => o.op !== "-").length;
    out.push(`@@ -${aLen ? aLine : aLine - 1},${aLen} +${bLen ? bLine : bLine - 1},${bLen} @@`);
    for (const o of hunk) out.push(o.op + o.line);
  }
  return out.join("\n") + "\n";
}

/** Applies a unified diff made by unifiedDiff() to `before` (exact context match required). */
export function applyUnifiedDiff(before: string, diff: string): string {
  const src = linesOf(before);
  const out: string[] = [];
  let pos = 0;
  const lines = linesOf(diff);
  for (let i = 0; i < lines.length; i++) {
    const h = /^@@ -(\d+),(\d+) \+\d+,\d+ @@/.exec(lines[i]);
    if (!h) continue;
    const start = Number(h[2]) === 0 ? Number(h[1]) : Number(h[1]) - 1;
    while (pos < start) out.push(src[pos++]);
    for (i++; i < lines.length && !lines[i].startsWith("@@"); i++) {
      const op = lines[i][0];
      const text = lines[i].slice(1);
      if (op === "+") out.push(text);
      else {
        if (src[pos] !== text) throw new Error(`diff does not apply at line ${pos + 1}: expected ${JSON.stringify(text)}, found ${JSON.stringify(src[pos])}`);
        if (op === " ") out.push(text);
        pos++;
      }
    }
    i--;
  }
  while (pos < src.length) out.push(src[pos++]);
  return out.join("\n") + (before.endsWith("\n") || before === "" ? "\n" : "");
}
