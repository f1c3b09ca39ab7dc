// Overview: traffic in the last hour, totals, the active adapter and the score distribution of every dimension.

import { api } from '../api.js';
import { t, DIMENSIONS, dimensionLabel, dimensionByKey } from '../i18n.js';
import { h, replace, formatNumber, formatMs, formatClock, shortId } from '../dom.js';
import { pageHeader, panel, loading, errorBox, button } from '../ui.js';
import { barChart, sparkline } from '../charts.js';

const REFRESH_SECONDS = 30;

export function render(ctx) {
  const body = h('div', { class: 'overview', testid: 'overview' }, loading());
  const load = async () => {
    try {
      const stats = await api('/v1/admin/stats', { query: { minutes: 60 } });
      if (ctx.alive()) replace(body, content(stats));
    } catch (error) {
      if (ctx.alive()) replace(body, errorBox(error, load));
    }
  };
  ctx.main.append(
    pageHeader(t('overview.title'),
      h('span', { class: 'muted small' }, t('overview.autoRefresh', { n: REFRESH_SECONDS })),
      button(t('common.refresh'), { testid: 'overview-refresh', onclick: load })),
    body);
  ctx.every(REFRESH_SECONDS * 1000, load);
  return load();
}

function content(stats) {
  const totals = stats.totals ?? {};
  const active = stats.active_adapter;
  const cards = h('div', { class: 'cards' },
    card(t('overview.requests'), formatNumber(totals.requests), 'stat-requests'),
    card(t('overview.corrections'), formatNumber(totals.corrections), 'stat-corrections'),
    typeof totals.uncorrected === 'number'
      ? card(t('overview.uncorrected'), formatNumber(totals.uncorrected), 'stat-uncorrected', h('a', { href: '#/review' }, t('nav.review')))
      : null,
    card(t('overview.queueDepth'), formatNumber(stats.queue_depth), 'stat-queue-depth', h('span', { class: 'muted small' }, t('overview.queueDepthHelp'))),
    card(t('overview.activeAdapter'),
      active ? h('span', { title: active.id }, shortId(active.id, 14)) : t('overview.servingBase'),
      'stat-active-adapter',
      h('span', { class: 'muted small' }, `${t('overview.baseModel')}: ${stats.model?.base ?? t('common.none')}`)));
  return [cards, traffic(stats.requests_per_minute ?? []), histograms(stats.histograms ?? [])];
}

function card(label, value, testid, extra) {
  return h('div', { class: 'card' },
    h('div', { class: 'card-label' }, label),
    h('div', { class: typeof value === 'string' && /^[\d,.\s]+$/.test(value) ? 'card-value' : 'card-value text', testid }, value),
    extra ? h('div', { class: 'card-extra' }, extra) : null);
}

/** Sixty one-minute buckets ending at the current minute, filled from the server's rows. */
function lastHour(rows) {
  const byMinute = new Map(rows.map((row) => [Math.floor(new Date(row.minute).getTime() / 60_000), row]));
  const latest = Math.max(Math.floor(Date.now() / 60_000), ...byMinute.keys());
  const minutes = [];
  for (let m = latest - 59; m <= latest; m += 1) {
    const row = byMinute.get(m);
    minutes.push({
      minute: new Date(m * 60_000).toISOString(),
      requests: row?.requests ?? 0,
      format_failures: row?.format_failures ?? 0,
      mean_latency_ms: row?.mean_latency_ms ?? null,
    });
  }
  return minutes;
}

function traffic(rows) {
  const minutes = lastHour(rows);
  const total = minutes.reduce((sum, m) => sum + m.requests, 0);
  const failures = minutes.reduce((sum, m) => sum + m.format_failures, 0);
  const weighted = minutes.reduce((sum, m) => sum + (m.mean_latency_ms ?? 0) * m.requests, 0);
  const peak = Math.max(0, ...minutes.map((m) => m.requests));
  return panel(t('overview.rpm'),
    h('p', { class: 'muted', testid: 'rpm-summary' },
      t('overview.rpmSummary', { n: formatNumber(total), f: formatNumber(failures), l: total ? formatMs(weighted / total) : t('common.none') })),
    h('div', { class: 'spark-frame' },
      h('span', { class: 'spark-peak' }, `${formatNumber(peak)}/min`),
      sparkline(minutes.map((m) => m.requests), {
        testid: 'rpm-sparkline',
        label: t('overview.rpm'),
        tooltip: (value, i) => {
          const m = minutes[i];
          return `${formatClock(m.minute)} · ${value} req · ${m.format_failures} ✗ · ${formatMs(m.mean_latency_ms)}`;
        },
      }),
      h('div', { class: 'spark-axis' }, h('span', {}, formatClock(minutes[0].minute)), h('span', {}, formatClock(minutes[59].minute)))));
}

/** Bucket colour from red (0–9, least compliant) to green (90–100). */
function bucketColour(value, index) {
  const hue = Math.round((index / 9) * 130);
  return `hsl(${hue} 62% 46%)`;
}

function histograms(rows) {
  const byDimension = new Map(rows.map((row) => [dimensionByKey(row.dimension_id ?? row.dimension)?.id, row]));
  const labels = Array.from({ length: 10 }, (_, i) => String(i * 10));
  return panel(t('overview.histograms'),
    h('p', { class: 'muted small' }, t('overview.histogramHelp')),
    h('div', { class: 'histograms' }, DIMENSIONS.map((dimension) => {
      const row = byDimension.get(dimension.id);
      const counts = row?.counts ?? Array(10).fill(0);
      const width = row?.bucket_width ?? 10;
      return barChart(counts, labels, {
        title: dimensionLabel(dimension),
        testid: `histogram-${dimension.id}`,
        color: bucketColour,
        tooltip: (value, i) => `${i * width}–${i === counts.length - 1 ? 100 : (i + 1) * width - 1}: ${value}`,
        footnote: row?.missing ? t('overview.missing', { n: formatNumber(row.missing) }) : null,
      });
    })));
}

