// "People delivered": the active plan's line, the log's, and the band the
// rehearsal of the plan expects (P10 to P90 over its runs), drawn with uPlot.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api, el } from './api';

/** The active plan's rehearsal: computed by the server once per plan, in the background. */
export interface Rehearsal {
  status: 'running' | 'ready' | 'failed';
  plan?: string;
  why?: string;
  runs?: number;
  times?: number[];
  p10?: number[];
  p50?: number[];
  p90?: number[];
  complete_runs?: number;
  /** When the plan as written has unloaded its last person. */
  plan_last_arrival?: number;
  /** Half the runs (nine in ten) delivered everyone by then; absent where fewer did. */
  finish_p50?: number | null;
  finish_p90?: number | null;
  /** Per run: its last delivery, and the people it left behind. */
  last_deliveries?: number[];
  left_behind?: number[];
  left_behind_per_run?: { tier_1: number; tier_2: number; tier_3: number };
  vehicles_lost_per_run?: number;
  /** Where the vehicles' time went over the runs, largest share first. */
  time_use?: { use: string; label: string; share: number; hours: number }[];
}

export interface Progress {
  unix: boolean;
  utc_offset_minutes: number;
  start: number;
  now: number;
  people: number;
  planned: [number, number][];
  actual: [number, number][];
  events: number;
  rehearsal?: Rehearsal;
}

/** The value of a sampled curve at `t`: its last sample at or before `t`. */
function sampled(times: number[], values: number[], t: number): number | null {
  if (!times.length || t < times[0]) return null;
  let i = 0;
  while (i + 1 < times.length && times[i + 1] <= t) i++;
  return values[i];
}

/** The value of a step series at `t`. */
function at(series: [number, number][], t: number): number {
  let v = 0;
  for (const [x, y] of series) {
    if (x > t) break;
    v = y;
  }
  return v;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An instant on a chart's axis, in the scenario's own time zone, 24-hour clock; with the day when `long`. */
export function clockLabel(p: Progress, t: number, long: boolean): string {
  if (!p.unix) return `+${Math.floor(t / 3600)}:${String(Math.floor(t / 60) % 60).padStart(2, '0')}`;
  const d = new Date((t + p.utc_offset_minutes * 60) * 1000);
  const clock = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return long ? `${clock}\n${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}` : clock;
}

export class DeliveredChart {
  private plot: uPlot | null = null;
  private box: HTMLElement;
  readonly node: HTMLElement;
  private caption: HTMLElement;

  constructor() {
    this.box = el('div', { class: 'chart-box', role: 'img', 'aria-label': 'People delivered' });
    this.caption = el('p', { class: 'chart-caption' }, '');
    this.node = el('figure', { class: 'chart' },
      el('figcaption', {}, el('h2', {}, 'People delivered')),
      this.box,
      this.caption,
    );
  }

  private pending: number | null = null;

  show(p: Progress): void {
    const r = p.rehearsal;
    const band = r?.status === 'ready' && r.times && r.p10 && r.p90 ? { times: r.times, p10: r.p10, p90: r.p90 } : null;
    const xs = [...new Set([...p.planned.map((d) => d[0]), ...p.actual.map((d) => d[0]), ...(band?.times ?? [])])].sort((a, b) => a - b);
    const lastActual = p.actual.length ? p.actual[p.actual.length - 1][0] : p.start;
    const planned = xs.map((x) => at(p.planned, x));
    const actual = xs.map((x) => (x <= Math.max(lastActual, p.start) ? at(p.actual, x) : null));
    const low = xs.map((x) => (band ? sampled(band.times, band.p10, x) : null));
    const high = xs.map((x) => (band ? sampled(band.times, band.p90, x) : null));
    const data: uPlot.AlignedData = [xs, planned, actual, low, high];
    const delivered = p.actual.length ? p.actual[p.actual.length - 1][1] : 0;
    const plannedTotal = p.planned.length ? p.planned[p.planned.length - 1][1] : 0;
    const dueNow = at(p.planned, p.now);
    let expected = '';
    if (band) {
      expected = ` Rehearsed ${r!.runs} times: by the latest report, 8 runs in 10 had delivered between ${sampled(band.times, band.p10, p.now) ?? 0} and ${sampled(band.times, band.p90, p.now) ?? 0}.`;
    } else if (r?.status === 'running') {
      expected = ' The rehearsal band is being computed.';
      // Ask again shortly: the band is ready within seconds, and a quiet log sends no update.
      if (this.pending === null) {
        this.pending = window.setTimeout(() => {
          this.pending = null;
          api<Progress>('/api/progress').then((q) => this.show(q), () => undefined);
        }, 3000);
      }
    } else if (r?.status === 'failed') {
      expected = ` No rehearsal band: ${r.why ?? 'the plan could not be rehearsed'}.`;
    }
    this.caption.textContent = `${delivered} of ${p.people} people delivered; the plan carries ${plannedTotal}, ${dueNow} of them by the latest report.${expected}`;
    this.box.setAttribute('aria-label', `People delivered: ${delivered} of ${p.people}; planned by now ${dueNow}`);
    const width = Math.max(280, this.box.clientWidth || 320);
    const long = xs.length > 1 && xs[xs.length - 1] - xs[0] > 20 * 3600;
    const hhmm = (t: number) => clockLabel(p, t, long);
    const count = (v: number) => (v >= 10000 ? `${Math.round(v / 1000)}k` : String(v));
    if (!this.plot) {
      this.plot = new uPlot({
        width,
        height: 220,
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(max, p.people, 1)] } },
        axes: [
          { stroke: '#334155', grid: { stroke: '#e2e8f0' }, values: (_u, splits) => splits.map(hhmm), space: 60 },
          { stroke: '#334155', grid: { stroke: '#e2e8f0' }, size: 50, values: (_u, splits) => splits.map(count) },
        ],
        legend: { show: true, live: false },
        cursor: { drag: { x: false, y: false } },
        series: [
          { label: 'Time' },
          { label: 'Planned', stroke: '#64748b', width: 2, dash: [6, 4], paths: uPlot.paths.stepped!({ align: 1 }) },
          { label: 'Delivered', stroke: '#15803d', width: 3, fill: 'rgba(21,128,61,0.12)', paths: uPlot.paths.stepped!({ align: 1 }), spanGaps: false },
          { label: 'Rehearsal P10', stroke: '#7c3aed', width: 1, paths: uPlot.paths.stepped!({ align: 1 }) },
          { label: 'Rehearsal P90', stroke: '#7c3aed', width: 1, paths: uPlot.paths.stepped!({ align: 1 }) },
        ],
        bands: [{ series: [4, 3], fill: 'rgba(124,58,237,0.14)' }],
      }, data, this.box);
    } else {
      this.plot.setData(data);
    }
  }

  resize(): void {
    if (this.plot) this.plot.setSize({ width: Math.max(280, this.box.clientWidth), height: 220 });
  }
}
