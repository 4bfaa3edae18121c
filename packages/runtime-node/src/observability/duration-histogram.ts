/**
 * One Prometheus histogram series, counted in place: a count per bucket (not cumulative), the sum and
 * the count. `observe` is a short loop over the bounds and three additions; the cumulative `le` series
 * are computed only when the metrics are scraped.
 */
export class DurationHistogram {
  readonly bounds: readonly number[];
  /** counts[i]: observations with bounds[i-1] < v <= bounds[i]; the last slot is +Inf only. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i] = this.counts[i]! + 1;
    this.sum += value;
    this.count++;
  }

  /** Cumulative counts per upper bound, in order, the last one being +Inf (= count). */
  cumulative(): { le: number | '+Inf'; count: number }[] {
    const out: { le: number | '+Inf'; count: number }[] = [];
    let acc = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      acc += this.counts[i]!;
      out.push({ le: this.bounds[i]!, count: acc });
    }
    out.push({ le: '+Inf', count: this.count });
    return out;
  }
}
