// The plan page's rehearsal: the active plan carried out many times against the
// scenario's disruptions, as `corridor rehearse` does. What the runs came to in
// one sentence, the "People delivered" band, when each run delivered its last
// person (runs that left people behind apart), and where the vehicles' time went.
import uPlot from 'uplot';
import { api, el } from './api';
import { clockLabel, DeliveredChart, Progress, Rehearsal } from './chart';
import { count } from './print';

const BINS = 24;

/** Hours and minutes, for spans. */
function span(seconds: number): string {
  const m = Math.round(seconds / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** What the runs came to, in words a coordinator can repeat. */
function verdict(p: Progress, r: Rehearsal): string[] {
  const runs = r.runs ?? 0;
  const complete = r.complete_runs ?? 0;
  const when = (t: number | null | undefined) => (t == null ? null : clockLabel(p, t, true).replace('\n', ' '));
  const out = [`Everyone the plan carries was delivered in ${complete} of ${count(runs, 'run')}.`];
  const paper = r.plan_last_arrival;
  const p50 = when(r.finish_p50);
  const p90 = when(r.finish_p90);
  if (p90 && paper != null && r.finish_p90 != null) {
    out.push(`Nine runs in ten were done by ${p90}, ${span(Math.max(0, r.finish_p90 - paper))} after the plan's own last delivery (${when(paper)}, when its last people are unloaded); half by ${p50}.`);
  } else if (p50) {
    out.push(`Half the runs were done by ${p50}; more than one run in ten left people behind.`);
  } else {
    out.push('More than half the runs left people behind.');
  }
  const l = r.left_behind_per_run;
  if (l && l.tier_1 + l.tier_2 + l.tier_3 > 0) {
    const f = (x: number) => (x >= 10 ? Math.round(x).toLocaleString('en') : x.toFixed(1));
    out.push(`Left behind per run, on average: ${f(l.tier_1)} in tier 1, ${f(l.tier_2)} in tier 2, ${f(l.tier_3)} in tier 3.`);
  }
  if (r.vehicles_lost_per_run) out.push(`Vehicles lost per run, on average: ${r.vehicles_lost_per_run.toFixed(2)}.`);
  return out;
}

/** When each run delivered its last person: a histogram, runs that left people behind apart. */
function finishes(p: Progress, r: Rehearsal): { node: HTMLElement; draw: () => void } {
  const last = r.last_deliveries ?? [];
  const left = r.left_behind ?? [];
  const box = el('div', { class: 'chart-box', role: 'img' });
  const node = el('figure', { class: 'chart' },
    el('figcaption', {}, el('h3', {}, 'When the last person was delivered')),
    box,
    el('p', { class: 'chart-caption' }, 'Each bar counts the runs whose last delivery fell in that interval; the dashed line is the plan as written.'));
  if (!last.length) return { node: el('p', {}, 'No run to draw.'), draw: () => undefined };
  const lo = Math.min(...last, r.plan_last_arrival ?? Infinity);
  const hi = Math.max(...last, r.plan_last_arrival ?? -Infinity);
  const width = Math.max(hi - lo, 3600) / BINS;
  const centres = Array.from({ length: BINS }, (_, i) => lo + (i + 0.5) * width);
  const done = new Array<number>(BINS).fill(0);
  const behind = new Array<number>(BINS).fill(0);
  last.forEach((t, i) => {
    const b = Math.min(BINS - 1, Math.max(0, Math.floor((t - lo) / width)));
    if ((left[i] ?? 0) > 0) behind[b] += 1;
    else done[b] += 1;
  });
  const complete = done.reduce((a, x) => a + x, 0);
  box.setAttribute('aria-label', `When the last person was delivered: ${complete} of ${last.length} runs delivered everyone, ${last.length - complete} left people behind`);
  const long = hi - lo > 20 * 3600;
  let plot: uPlot | null = null;
  window.addEventListener('resize', () => plot?.setSize({ width: Math.max(280, box.clientWidth), height: 200 }));
  const draw = () => {
    const paper = r.plan_last_arrival;
    plot = new uPlot({
      width: Math.max(280, box.clientWidth || 320),
      height: 200,
      scales: { x: { time: false, range: () => [lo - width, hi + width] }, y: { range: (_u, _min, max) => [0, Math.max(max, 1)] } },
      axes: [
        { stroke: '#334155', grid: { stroke: '#e2e8f0' }, values: (_u, splits) => splits.map((t) => clockLabel(p, t, long)), space: 70 },
        { stroke: '#334155', grid: { stroke: '#e2e8f0' }, size: 40, label: 'Runs' },
      ],
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      series: [
        { label: 'Last delivery' },
        { label: 'Delivered everyone', stroke: '#15803d', fill: 'rgba(21,128,61,0.55)', paths: uPlot.paths.bars!({ size: [0.45, 60], align: -1 }), points: { show: false } },
        { label: 'Left people behind', stroke: '#b45309', fill: 'rgba(180,83,9,0.55)', paths: uPlot.paths.bars!({ size: [0.45, 60], align: 1 }), points: { show: false } },
      ],
      hooks: {
        draw: [(u) => {
          if (paper == null) return;
          const x = u.valToPos(paper, 'x', true);
          const c = u.ctx;
          c.save();
          c.strokeStyle = '#334155';
          c.setLineDash([6, 4]);
          c.lineWidth = 2;
          c.beginPath();
          c.moveTo(x, u.bbox.top);
          c.lineTo(x, u.bbox.top + u.bbox.height);
          c.stroke();
          c.restore();
        }],
      },
    }, [centres, done, behind], box);
  };
  return { node, draw };
}

/** Where the vehicles' time went over the runs: a labelled bar per use, largest first. */
function timeUse(r: Rehearsal): HTMLElement {
  const uses = r.time_use ?? [];
  const top = uses[0]?.share ?? 1;
  return el('div', { class: 'table-wrap' }, el('table', { class: 'sheet-table time-use' },
    el('caption', {}, `Where the vehicles' time went (mean of ${count(r.runs ?? 0, 'run')})`),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Use'), el('th', { scope: 'col' }, 'Share'), el('th', { scope: 'col' }, 'Vehicle hours per run'))),
    el('tbody', {}, ...uses.map((u) => {
      const pct = `${(u.share * 100).toFixed(1)} %`;
      const bar = el('span', { class: 'bar', 'aria-hidden': 'true' });
      bar.style.width = `${Math.max(1, (u.share / top) * 100)}%`;
      return el('tr', {},
        el('th', { scope: 'row' }, u.label),
        el('td', {}, el('div', { class: 'share' }, el('span', { class: 'bar-track' }, bar), el('span', { class: 'num' }, pct))),
        el('td', { class: 'num' }, u.hours.toFixed(1)));
    }))));
}

/** The rehearsal section of the plan page, drawn once it is in the page (the charts need its width). */
export function rehearsalSection(p: Progress): HTMLElement {
  const chart = new DeliveredChart();
  const r = p.rehearsal;
  const section = el('section', { class: 'sheet', 'aria-labelledby': 'rehearsal-h' }, el('h2', { id: 'rehearsal-h' }, 'Rehearsal'));
  if (r?.status !== 'ready') {
    section.append(
      el('p', {}, r?.status === 'failed'
        ? `This plan could not be rehearsed: ${r.why ?? 'no reason given'}.`
        : 'The rehearsal of this plan is not ready yet; the band appears on the chart when it is.'),
      chart.node);
    requestAnimationFrame(() => chart.show(p));
    window.addEventListener('resize', () => chart.resize());
    if (r?.status === 'running') {
      // Rehearsing takes seconds: the whole section follows when it is ready.
      const again = () => window.setTimeout(() => {
        if (!section.isConnected) return;
        api<Progress>('/api/progress').then((q) => {
          if (q.rehearsal?.status === 'running') again();
          else if (section.isConnected) section.replaceWith(rehearsalSection(q));
        }, again);
      }, 3000);
      again();
    }
    return section;
  }
  const hist = finishes(p, r);
  section.append(
    el('p', {}, `The plan carried out ${r.runs} times against the scenario's disruptions: the band holds 8 runs in 10, the line the plan as written.`),
    el('div', { class: 'verdict' }, ...verdict(p, r).map((line) => el('p', {}, line))),
    chart.node,
    hist.node,
    timeUse(r));
  requestAnimationFrame(() => {
    chart.show(p);
    hist.draw();
  });
  window.addEventListener('resize', () => chart.resize());
  return section;
}
