/**
 * EXPLAIN: the plan a query runs, as a tree of steps printed like PostgreSQL's (one row per line
 * under the column "QUERY PLAN", children indented under `->`). EXPLAIN ANALYZE also runs the query
 * and adds the rows each step produced and the time taken.
 */
export interface PlanNode {
  readonly label: string;
  readonly children: PlanNode[];
  /** Rows produced (EXPLAIN ANALYZE). */
  rows?: number;
}

export function planNode(label: string, ...children: (PlanNode | undefined)[]): PlanNode {
  return { label, children: children.filter((c): c is PlanNode => c !== undefined) };
}

export function formatPlan(root: PlanNode, analyze: boolean): string[] {
  const out: string[] = [];
  const walk = (n: PlanNode, depth: number) => {
    const rows = analyze && n.rows !== undefined ? `  (actual rows=${n.rows})` : '';
    out.push(depth === 0 ? `${n.label}${rows}` : `${' '.repeat(depth * 6 - 6)}  ->  ${n.label}${rows}`);
    for (const c of n.children) walk(c, depth + 1);
  };
  walk(root, 0);
  return out;
}
