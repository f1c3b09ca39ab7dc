// Small SVG charts: line charts for training curves, bar charts for score histograms, a sparkline for traffic.
// Each returns a DOM element sized by CSS (the SVG scales to its container's width).

import { h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';

/** Creates an SVG element (same conventions as h(), without event handlers). */
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value == null) continue;
    if (name === 'testid') el.setAttribute('data-testid', value);
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child == null) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Colours for series, in order (readable on white, distinct for common colour blindness). */
export const PALETTE = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#dc2626', '#4b5563'];

/** "Nice" axis ticks covering [min, max] (steps of 1, 2 or 5 × 10^k; at least 1 when `integer`). */
export function niceTicks(min, max, count = 5, integer = false) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { lo: 0, hi: 1, step: 0.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] };
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const normal = rough / magnitude;
  const nice = (normal < 1.5 ? 1 : normal < 3 ? 2 : normal < 7 ? 5 : 10) * magnitude;
  const step = integer ? Math.max(1, nice) : nice;
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { lo, hi, step, ticks };
}

function tickLabel(value, step) {
  const decimals = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step)));
  if (Math.abs(value) >= 10_000) return `${(value / 1000).toFixed(0)}k`;
  return value.toFixed(decimals);
}

/**
 * A line chart. `series`: [{ name, points: [{ x, y }] }] (points with a null y are skipped). Options: `xLabel`,
 * `yLabel`, `title` (accessible name), `testid`, `height`.
 */
export function lineChart(series, { xLabel = '', yLabel = '', title = '', testid, height = 230, width = 440 } = {}) {
  const margin = { top: 14, right: 16, bottom: 40, left: 56 };
  const drawn = series
    .map((serie, index) => ({
      ...serie,
      color: serie.color ?? PALETTE[index % PALETTE.length],
      points: (serie.points ?? []).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x),
    }))
    .filter((serie) => serie.points.length > 0);
  const wrapper = h('figure', { class: 'chart', testid });
  if (title) wrapper.append(h('figcaption', { class: 'chart-title' }, title));
  if (drawn.length === 0) {
    wrapper.append(h('p', { class: 'chart-empty' }, '—'));
    return wrapper;
  }
  const xs = drawn.flatMap((d) => d.points.map((p) => p.x));
  const ys = drawn.flatMap((d) => d.points.map((p) => p.y));
  const xAxis = niceTicks(Math.min(...xs), Math.max(...xs), 6);
  const yAxis = niceTicks(Math.min(...ys), Math.max(...ys), 5);
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const px = (x) => margin.left + ((x - xAxis.lo) / (xAxis.hi - xAxis.lo)) * plotW;
  const py = (y) => margin.top + plotH - ((y - yAxis.lo) / (yAxis.hi - yAxis.lo)) * plotH;

  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart-svg', role: 'img', 'aria-label': title || yLabel });
  const grid = s('g', { class: 'chart-grid' });
  for (const tick of yAxis.ticks) {
    grid.append(s('line', { x1: margin.left, x2: width - margin.right, y1: py(tick), y2: py(tick) }));
    grid.append(s('text', { x: margin.left - 6, y: py(tick) + 4, 'text-anchor': 'end', class: 'chart-tick' }, tickLabel(tick, yAxis.step)));
  }
  for (const tick of xAxis.ticks) {
    grid.append(s('text', { x: px(tick), y: height - margin.bottom + 16, 'text-anchor': 'middle', class: 'chart-tick' }, tickLabel(tick, xAxis.step)));
  }
  grid.append(s('line', { class: 'chart-axis', x1: margin.left, x2: width - margin.right, y1: height - margin.bottom, y2: height - margin.bottom }));
  svg.append(grid);
  if (xLabel) svg.append(s('text', { x: margin.left + plotW / 2, y: height - 6, 'text-anchor': 'middle', class: 'chart-label' }, xLabel));
  if (yLabel) {
    svg.append(s('text', { x: 14, y: margin.top + plotH / 2, 'text-anchor': 'middle', class: 'chart-label',
      transform: `rotate(-90 14 ${margin.top + plotH / 2})` }, yLabel));
  }
  for (const serie of drawn) {
    const d = serie.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join('');
    svg.append(s('path', { d, class: 'chart-line', stroke: serie.color }));
    if (serie.points.length <= 60) {
      for (const p of serie.points) {
        svg.append(s('circle', { cx: px(p.x).toFixed(1), cy: py(p.y).toFixed(1), r: 2.5, fill: serie.color },
          s('title', {}, `${serie.name ? `${serie.name} · ` : ''}${xLabel || 'x'} ${p.x}: ${Number(p.y.toPrecision(5))}`)));
      }
    }
  }
  wrapper.append(svg);
  if (drawn.length > 1) {
    wrapper.append(h('ul', { class: 'chart-legend' }, drawn.map((serie) => {
      const swatch = h('span', { class: 'swatch' });
      swatch.style.background = serie.color;
      return h('li', {}, swatch, serie.name);
    })));
  }
  return wrapper;
}

/**
 * A bar chart of `values` with a label under each bar. Options: `title`, `testid`, `color` (or a function of
 * (value, index)), `height`,
 * `tooltip(value, index)`, `footnote`.
 */
export function barChart(values, labels, { title = '', testid, color = PALETTE[0], height = 150, width = 300, tooltip, footnote } = {}) {
  const margin = { top: 10, right: 8, bottom: 22, left: 34 };
  const wrapper = h('figure', { class: 'chart chart-bars', testid });
  if (title) wrapper.append(h('figcaption', { class: 'chart-title' }, title));
  const max = Math.max(0, ...values);
  const axis = niceTicks(0, max || 1, 3, values.every(Number.isInteger));
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const band = plotW / Math.max(1, values.length);
  const py = (y) => margin.top + plotH - (y / axis.hi) * plotH;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart-svg', role: 'img', 'aria-label': title });
  const grid = s('g', { class: 'chart-grid' });
  for (const tick of axis.ticks) {
    grid.append(s('line', { x1: margin.left, x2: width - margin.right, y1: py(tick), y2: py(tick) }));
    grid.append(s('text', { x: margin.left - 5, y: py(tick) + 4, 'text-anchor': 'end', class: 'chart-tick' }, tickLabel(tick, axis.step)));
  }
  svg.append(grid);
  values.forEach((value, i) => {
    const x = margin.left + i * band + band * 0.12;
    const barH = Math.max(value > 0 ? 1 : 0, plotH - (py(value) - margin.top));
    svg.append(s('rect', { x: x.toFixed(1), y: (margin.top + plotH - barH).toFixed(1), width: (band * 0.76).toFixed(1),
      height: barH.toFixed(1), fill: typeof color === 'function' ? color(value, i) : color, rx: 2, class: 'chart-bar' },
    s('title', {}, tooltip ? tooltip(value, i) : `${labels[i]}: ${value}`)));
    if (labels[i] != null && (values.length <= 12 || i % Math.ceil(values.length / 12) === 0)) {
      svg.append(s('text', { x: (margin.left + i * band + band / 2).toFixed(1), y: height - 6, 'text-anchor': 'middle', class: 'chart-tick' }, labels[i]));
    }
  });
  svg.append(s('line', { class: 'chart-axis', x1: margin.left, x2: width - margin.right, y1: margin.top + plotH, y2: margin.top + plotH }));
  wrapper.append(svg);
  if (footnote) wrapper.append(h('p', { class: 'chart-footnote' }, footnote));
  return wrapper;
}

/**
 * A sparkline: an area under a line through `values`, evenly spaced, with a hover title per point from
 * `tooltip(value, index)`. Options: `testid`, `height`, `label`.
 */
export function sparkline(values, { testid, height = 64, width = 600, tooltip, label = '' } = {}) {
  const wrapper = h('div', { class: 'sparkline', testid });
  const max = Math.max(1, ...values);
  const n = values.length;
  const pad = 3;
  const px = (i) => (n <= 1 ? width / 2 : pad + (i / (n - 1)) * (width - 2 * pad));
  const py = (v) => height - pad - (v / max) * (height - 2 * pad);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', class: 'sparkline-svg', role: 'img', 'aria-label': label });
  if (n > 0) {
    const line = values.map((v, i) => `${i === 0 ? 'M' : 'L'}${px(i).toFixed(1)},${py(v).toFixed(1)}`).join('');
    svg.append(s('path', { d: `${line}L${px(n - 1).toFixed(1)},${height}L${px(0).toFixed(1)},${height}Z`, class: 'sparkline-area' }));
    svg.append(s('path', { d: line, class: 'sparkline-line' }));
    const column = width / n;
    values.forEach((v, i) => {
      svg.append(s('rect', { x: (i * column).toFixed(1), y: 0, width: column.toFixed(1), height, class: 'sparkline-hit' },
        s('title', {}, tooltip ? tooltip(v, i) : String(v))));
    });
  }
  wrapper.append(svg);
  return wrapper;
}
