/**
 * Two small charts drawn locally as SVG (no library, no remote script): cumulative spend with
 * markers (compactions), and daily spend bars. Text goes through textContent only.
 */
import { formatCost } from '../src/core/format';

const ns = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(ns, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function frame(label: string, width: number, height: number): SVGSVGElement {
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart' });
  svg.setAttribute('aria-label', label);
  const title = el('title', {});
  title.textContent = label;
  svg.appendChild(title);
  return svg;
}

export function cumulativeChart(points: readonly { t: number; usd: number }[], markers: readonly { t: number; label: string }[]): SVGSVGElement {
  const w = 600;
  const h = 160;
  const pad = 28;
  const last = points[points.length - 1];
  const label = last ? `Cumulative spend, ${points.length} points, reaching ${formatCost(last.usd)}${markers.length ? `, ${markers.length} compaction(s) marked` : ''}` : 'Cumulative spend: no data';
  const svg = frame(label, w, h);
  const first = points[0];
  if (!first || !last) return svg;
  const t0 = first.t;
  const t1 = Math.max(last.t, t0 + 1);
  const max = Math.max(last.usd, 1e-9);
  const x = (t: number): number => pad + ((t - t0) / (t1 - t0)) * (w - 2 * pad);
  const y = (v: number): number => h - pad - (v / max) * (h - 2 * pad);
  svg.appendChild(el('line', { x1: pad, y1: h - pad, x2: w - pad, y2: h - pad, class: 'axis' }));
  const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.usd).toFixed(1)}`).join(' ');
  svg.appendChild(el('path', { d, class: 'line' }));
  for (const m of markers) {
    if (m.t < t0 || m.t > t1) continue;
    const mx = x(m.t);
    const line = el('line', { x1: mx, y1: pad / 2, x2: mx, y2: h - pad, class: 'marker' });
    const tip = el('title', {});
    tip.textContent = `${m.label} at ${new Date(m.t).toLocaleString()}`;
    line.appendChild(tip);
    svg.appendChild(line);
  }
  const top = el('text', { x: pad, y: pad - 10, class: 'label' });
  top.textContent = formatCost(last.usd);
  svg.appendChild(top);
  const left = el('text', { x: pad, y: h - 8, class: 'label' });
  left.textContent = new Date(t0).toLocaleString();
  const right = el('text', { x: w - pad, y: h - 8, class: 'label end' });
  right.textContent = new Date(t1).toLocaleString();
  svg.append(left, right);
  return svg;
}

export function dailyChart(days: readonly { day: string; usd: number; lowerBound: boolean }[]): SVGSVGElement {
  const w = 600;
  const h = 140;
  const pad = 24;
  const total = days.reduce((s, d) => s + d.usd, 0);
  const svg = frame(`Daily spend this month: ${days.length} day(s), total ${formatCost(total)}`, w, h);
  if (days.length === 0) return svg;
  const max = Math.max(...days.map((d) => d.usd), 1e-9);
  const bw = (w - 2 * pad) / Math.max(days.length, 1);
  days.forEach((d, i) => {
    const bh = (d.usd / max) * (h - 2 * pad);
    const rect = el('rect', { x: pad + i * bw + 1, y: h - pad - bh, width: Math.max(1, bw - 2), height: bh, class: d.lowerBound ? 'bar lower' : 'bar' });
    const tip = el('title', {});
    tip.textContent = `${d.day}: ${formatCost(d.usd, d.lowerBound)}`;
    rect.appendChild(tip);
    svg.appendChild(rect);
  });
  const first = el('text', { x: pad, y: h - 6, class: 'label' });
  first.textContent = days[0]?.day ?? '';
  const lastL = el('text', { x: w - pad, y: h - 6, class: 'label end' });
  lastL.textContent = days[days.length - 1]?.day ?? '';
  const top = el('text', { x: pad, y: pad - 8, class: 'label' });
  top.textContent = `max ${formatCost(max)}/day`;
  svg.append(first, lastL, top);
  return svg;
}
