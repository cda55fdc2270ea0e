/**
 * Boykov-Kolmogorov max-flow / min-cut ("An Experimental Comparison of Min-Cut/Max-Flow
 * Algorithms for Energy Minimization in Vision", PAMI 2004), written for the graph-cut of
 * click-to-object (zero-shot-object.ts): two search trees grown from the source and the sink,
 * augmentation along the found path, adoption of orphans with the timestamp / distance
 * heuristic of the reference implementation. Pure TS, no allocation per augmentation.
 *
 * Capacities are doubles that callers keep integer-valued (zero tests must be exact). Nodes
 * are 0..n-1; addEdge adds an arc pair (i->j cap, j->i rev); addTerminal adds source/sink
 * capacities (their difference is what matters, as in the reference).
 */

const TERMINAL = -1;
const ORPHAN = -2;
const NONE = -3;
const INF_D = 1 << 30;

export class MaxFlowGraph {
  private readonly first: Int32Array;
  private readonly nextArc: Int32Array;
  private readonly head: Int32Array;
  private readonly rcap: Float64Array;
  private arcs = 0;
  private readonly tr: Float64Array;
  private readonly parent: Int32Array;
  private readonly sink: Uint8Array;
  private readonly ts: Int32Array;
  private readonly dist: Int32Array;
  private flow = 0;
  /** the arcs' capacities as added, kept by the first maxflow() for reset() */
  private cap0: Float64Array | null = null;

  constructor(
    readonly nodes: number,
    maxEdges: number,
  ) {
    this.first = new Int32Array(nodes).fill(-1);
    this.nextArc = new Int32Array(2 * maxEdges);
    this.head = new Int32Array(2 * maxEdges);
    this.rcap = new Float64Array(2 * maxEdges);
    this.tr = new Float64Array(nodes);
    this.parent = new Int32Array(nodes);
    this.sink = new Uint8Array(nodes);
    this.ts = new Int32Array(nodes);
    this.dist = new Int32Array(nodes);
  }

  /** an arc i->j with capacity cap and j->i with rev */
  addEdge(i: number, j: number, cap: number, rev: number): void {
    const a = this.arcs;
    if (a + 2 > this.head.length) throw new RangeError('MaxFlowGraph: more edges than reserved');
    this.head[a] = j;
    this.rcap[a] = cap;
    this.nextArc[a] = this.first[i]!;
    this.first[i] = a;
    this.head[a + 1] = i;
    this.rcap[a + 1] = rev;
    this.nextArc[a + 1] = this.first[j]!;
    this.first[j] = a + 1;
    this.arcs += 2;
  }

  /** source -> i capacity and i -> sink capacity (added to what is there) */
  addTerminal(i: number, toSource: number, toSink: number): void {
    const d = Math.min(toSource, toSink);
    this.flow += d;
    this.tr[i]! += toSource - toSink;
  }

  /**
   * Keeps the edges and their capacities as first added, drops the flow and the terminal
   * capacities: the graph for another round with new unary terms (GrabCut's rounds, where only
   * the terminals change), without rebuilding the arcs.
   */
  reset(): void {
    if (this.cap0) this.rcap.set(this.cap0);
    this.tr.fill(0);
    this.flow = 0;
  }

  /** Runs max-flow; returns the flow value (the minimum cut's cost). */
  maxflow(): number {
    if (!this.cap0) this.cap0 = this.rcap.slice();
    const { first, nextArc, head, rcap, tr, parent, sink, ts, dist } = this;
    const n = this.nodes;
    // FIFO of active nodes (a node may appear more than once; stale entries are skipped)
    let qCap = Math.max(1024, n * 2);
    let queue = new Int32Array(qCap);
    let qHead = 0;
    let qTail = 0;
    const inQ = new Uint8Array(n);
    const push = (i: number) => {
      if (inQ[i]) return;
      inQ[i] = 1;
      if (qTail === qCap) {
        // compact or grow
        const live = qTail - qHead;
        if (live * 2 < qCap) queue.copyWithin(0, qHead, qTail);
        else {
          const nq = new Int32Array(qCap * 2);
          nq.set(queue.subarray(qHead, qTail));
          queue = nq;
          qCap *= 2;
        }
        qHead = 0;
        qTail = live;
      }
      queue[qTail++] = i;
    };
    const orphans: number[] = [];
    let time = 0;
    for (let i = 0; i < n; i++) {
      ts[i] = 0;
      if (tr[i] !== 0) {
        sink[i] = tr[i]! < 0 ? 1 : 0;
        parent[i] = TERMINAL;
        dist[i] = 1;
        push(i);
      } else parent[i] = NONE;
    }
    let current = -1;
    for (;;) {
      let i = current;
      if (i < 0 || parent[i] === NONE) {
        i = -1;
        while (qHead < qTail) {
          const c = queue[qHead++]!;
          inQ[c] = 0;
          if (parent[c] !== NONE) {
            i = c;
            break;
          }
        }
        if (i < 0) break;
      }
      current = -1;
      // grow
      let found = -1;
      if (!sink[i]) {
        for (let a = first[i]!; a >= 0; a = nextArc[a]!) {
          if (rcap[a] === 0) continue;
          const j = head[a]!;
          if (parent[j] === NONE) {
            sink[j] = 0;
            parent[j] = a ^ 1;
            ts[j] = ts[i]!;
            dist[j] = dist[i]! + 1;
            push(j);
          } else if (sink[j]) {
            found = a;
            break;
          } else if (ts[j]! <= ts[i]! && dist[j]! > dist[i]!) {
            parent[j] = a ^ 1;
            ts[j] = ts[i]!;
            dist[j] = dist[i]! + 1;
          }
        }
      } else {
        for (let a = first[i]!; a >= 0; a = nextArc[a]!) {
          if (rcap[a ^ 1] === 0) continue;
          const j = head[a]!;
          if (parent[j] === NONE) {
            sink[j] = 1;
            parent[j] = a ^ 1;
            ts[j] = ts[i]!;
            dist[j] = dist[i]! + 1;
            push(j);
          } else if (!sink[j]) {
            found = a ^ 1;
            break;
          } else if (ts[j]! <= ts[i]! && dist[j]! > dist[i]!) {
            parent[j] = a ^ 1;
            ts[j] = ts[i]!;
            dist[j] = dist[i]! + 1;
          }
        }
      }
      time++;
      if (found < 0) continue;
      current = i; // keep growing from it after the augmentation
      // augment along the path through `found` (source side -> sink side)
      let f = rcap[found]!;
      let k = head[found ^ 1]!;
      for (;;) {
        const b = parent[k]!;
        if (b === TERMINAL) break;
        if (rcap[b ^ 1]! < f) f = rcap[b ^ 1]!;
        k = head[b]!;
      }
      if (tr[k]! < f) f = tr[k]!;
      k = head[found]!;
      for (;;) {
        const b = parent[k]!;
        if (b === TERMINAL) break;
        if (rcap[b]! < f) f = rcap[b]!;
        k = head[b]!;
      }
      if (-tr[k]! < f) f = -tr[k]!;
      rcap[found ^ 1]! += f;
      rcap[found]! -= f;
      k = head[found ^ 1]!;
      for (;;) {
        const b = parent[k]!;
        if (b === TERMINAL) {
          tr[k]! -= f;
          if (tr[k] === 0) {
            parent[k] = ORPHAN;
            orphans.push(k);
          }
          break;
        }
        rcap[b]! += f;
        rcap[b ^ 1]! -= f;
        if (rcap[b ^ 1] === 0) {
          parent[k] = ORPHAN;
          orphans.push(k);
        }
        k = head[b]!;
      }
      k = head[found]!;
      for (;;) {
        const b = parent[k]!;
        if (b === TERMINAL) {
          tr[k]! += f;
          if (tr[k] === 0) {
            parent[k] = ORPHAN;
            orphans.push(k);
          }
          break;
        }
        rcap[b ^ 1]! += f;
        rcap[b]! -= f;
        if (rcap[b] === 0) {
          parent[k] = ORPHAN;
          orphans.push(k);
        }
        k = head[b]!;
      }
      this.flow += f;
      // adopt orphans
      time++;
      while (orphans.length) {
        const o = orphans.pop()!;
        const isSink = sink[o]!;
        let best = -1;
        let bestD = INF_D;
        for (let a0 = first[o]!; a0 >= 0; a0 = nextArc[a0]!) {
          // candidate parent j: residual capacity j->o (source tree) or o->j (sink tree)
          if ((isSink ? rcap[a0] : rcap[a0 ^ 1]) === 0) continue;
          const j = head[a0]!;
          if (sink[j] !== isSink || parent[j] === NONE) continue;
          let d = 0;
          let m = j;
          for (;;) {
            if (ts[m] === time) {
              d += dist[m]!;
              break;
            }
            const a = parent[m]!;
            d++;
            if (a === TERMINAL) {
              ts[m] = time;
              dist[m] = 1;
              break;
            }
            if (a === ORPHAN) {
              d = INF_D;
              break;
            }
            m = head[a]!;
          }
          if (d < INF_D) {
            if (d < bestD) {
              best = a0;
              bestD = d;
            }
            for (m = j; ts[m] !== time; m = head[parent[m]!]!) {
              ts[m] = time;
              dist[m] = d--;
            }
          }
        }
        if (best >= 0) {
          parent[o] = best;
          ts[o] = time;
          dist[o] = bestD + 1;
        } else {
          parent[o] = NONE;
          for (let a0 = first[o]!; a0 >= 0; a0 = nextArc[a0]!) {
            const j = head[a0]!;
            if (sink[j] !== isSink) continue;
            const a = parent[j]!;
            if (a === NONE) continue;
            if ((isSink ? rcap[a0] : rcap[a0 ^ 1]) !== 0) push(j);
            if (a !== TERMINAL && a !== ORPHAN && head[a] === o) {
              parent[j] = ORPHAN;
              orphans.push(j);
            }
          }
        }
      }
    }
    return this.flow;
  }

  /** after maxflow: whether node i is on the source side of the minimum cut */
  isSource(i: number): boolean {
    return this.parent[i] !== NONE && !this.sink[i];
  }
}
