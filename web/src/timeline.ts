// "Windows and convoys": per corridor, its open windows, the plan's crossings
// (grouped by convoy) and the latest report, on one time line.
import { el } from './api';
import type { MapData } from './map';

const NS = 'http://www.w3.org/2000/svg';

function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function label(iso: string): string {
  const m = /^\d{4}-(\d\d)-(\d\d)T(\d\d:\d\d)/.exec(iso);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  return m ? `${Number(m[2])} ${months[Number(m[1]) - 1]} ${m[3]}` : iso;
}

export function timeline(m: MapData): HTMLElement {
  if (!m.corridors.length) return el('p', { class: 'muted' }, 'No corridor in this operation.');
  const box = el('div', { class: 'timeline' });
  for (const c of m.corridors) {
    const instants = [...c.windows.flatMap((w) => [w.start, w.end]), ...c.crossings.map((k) => k.at), m.at]
      .map((iso) => ({ iso, t: Date.parse(iso) }))
      .filter((p) => !Number.isNaN(p.t))
      .sort((a, b) => a.t - b.t);
    const first = instants[0] ?? { iso: m.at, t: 0 };
    const last = instants[instants.length - 1] ?? first;
    const t0 = first.t;
    const t1 = Math.max(last.t, t0 + 1);
    const x = (iso: string) => 10 + ((Date.parse(iso) - t0) / (t1 - t0)) * 980;
    const convoys = new Set(c.crossings.map((k) => k.convoy).filter((k) => k !== null)).size;
    const summary = `${c.corridor}: ${c.state}; ${c.windows.length} windows from ${label(c.windows[0]?.start ?? m.at)}; ` +
      `${c.crossings.length} crossings planned${convoys ? ` in ${convoys} convoys` : ''}; latest report ${label(m.at)}`;
    const s = svg('svg', { viewBox: '0 0 1000 56', role: 'img', 'aria-label': summary, preserveAspectRatio: 'none', class: 'tl' });
    s.append(svg('rect', { x: 10, y: 8, width: 980, height: 26, fill: '#fee2e2' }));
    for (const w of c.windows) {
      s.append(svg('rect', { x: x(w.start), y: 8, width: Math.max(1, x(w.end) - x(w.start)), height: 26, fill: '#bbf7d0', stroke: '#15803d', 'stroke-width': 1 }));
    }
    for (const k of c.crossings) {
      s.append(svg('rect', { x: x(k.at) - 0.75, y: 12, width: 1.5, height: 18, fill: k.convoy !== null && k.convoy % 2 ? '#1e3a8a' : '#2563eb' }));
    }
    if (c.closed_since) s.append(svg('rect', { x: x(c.closed_since), y: 8, width: Math.max(2, 990 - x(c.closed_since)), height: 26, fill: 'rgba(185,28,28,.35)' }));
    const now = x(m.at);
    s.append(svg('line', { x1: now, x2: now, y1: 2, y2: 40, stroke: '#b91c1c', 'stroke-width': 3 }));
    const ticks = el('div', { class: 'tl-ticks', 'aria-hidden': 'true' }, el('span', {}, label(first.iso)), el('span', {}, label(last.iso)));
    box.append(el('div', { class: 'tl-row' }, el('h3', {}, `${c.corridor} (${c.checkpoint}): ${c.state}${c.next_window ? `, next window ${label(c.next_window)}` : ''}`), s, ticks));
  }
  box.append(el('p', { class: 'muted legend' }, 'Green: open windows; blue ticks: planned crossings, convoys in alternating shades; red line: latest report.'));
  return box;
}
