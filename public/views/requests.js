// Request browser: filters, a table with cursor pagination, and one request's page with its corrections.

import { api } from '../api.js';
import { t, DIMENSIONS, dimensionLabel, dimensionByKey } from '../i18n.js';
import {
  h, replace, formatTime, formatPercent, formatMs, excerpt, minScore, scoreChip, meter, shortId, toLocalInput, fromLocalInput,
} from '../dom.js';
import { pageHeader, panel, loading, errorBox, button, badge, keyValues, verdictBadge } from '../ui.js';
import { correctionForm } from './correction.js';

const PAGE = 50;

function emptyFilters() {
  return { from: '', to: '', scores: [], corrected: '', adapter: '', order: 'newest' };
}

/** Kept while the dashboard is open, so coming back from a request finds the same filters. */
let filters = emptyFilters();

function query(cursor) {
  const q = {
    from: filters.from, to: filters.to, corrected: filters.corrected, adapter: filters.adapter, order: filters.order,
    limit: PAGE, cursor,
  };
  for (const condition of filters.scores) q[`${condition.op}.${condition.dimension}`] = condition.value;
  return q;
}

function select(testid, label, options, value) {
  const id = `f-${testid}`;
  return h('div', { class: 'field' },
    h('label', { for: id, class: 'field-label' }, label),
    h('select', { id, testid }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text))));
}

function filterForm(apply, adapterIds) {
  const from = h('input', { id: 'f-from', type: 'datetime-local', testid: 'filter-from', value: toLocalInput(filters.from) });
  const to = h('input', { id: 'f-to', type: 'datetime-local', testid: 'filter-to', value: toLocalInput(filters.to) });
  const adapter = h('input', { id: 'f-adapter', type: 'text', testid: 'filter-adapter', list: 'f-adapter-list', value: filters.adapter, placeholder: t('requests.adapterAny') });
  const chips = h('div', { class: 'chips', testid: 'filter-score-chips' });
  let conditions = [...filters.scores];
  const paintChips = () => replace(chips, conditions.map((c, index) => {
    const name = `${dimensionLabel(dimensionByKey(c.dimension))} ${t(`requests.${c.op}`)} ${c.value}`;
    return h('span', { class: 'chip', testid: 'filter-score-chip' }, name,
      h('button', {
        type: 'button', class: 'chip-remove', 'aria-label': t('requests.removeFilter', { f: name }), testid: 'filter-score-remove',
        onclick: () => { conditions.splice(index, 1); paintChips(); },
      }, '×'));
  }));
  paintChips();
  const dimension = h('select', { id: 'f-score-dim', testid: 'filter-score-dim', 'aria-label': t('requests.dimension') },
    DIMENSIONS.map((d) => h('option', { value: d.id }, dimensionLabel(d))));
  const op = h('select', { id: 'f-score-op', testid: 'filter-score-op', 'aria-label': t('requests.scoreFilter') },
    h('option', { value: 'below' }, t('requests.below')), h('option', { value: 'above' }, t('requests.above')));
  const value = h('input', { id: 'f-score-value', type: 'number', min: '0', max: '100', step: '1', testid: 'filter-score-value', 'aria-label': t('requests.value'), class: 'score-input' });
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'filter-error' });
  const add = button(t('requests.addFilter'), {
    testid: 'filter-score-add',
    onclick: () => {
      const n = Number(value.value);
      if (!/^\d{1,3}$/.test(value.value.trim()) || n > 100) {
        error.textContent = t('requests.badFilter');
        return;
      }
      error.textContent = '';
      conditions = conditions.filter((c) => !(c.dimension === dimension.value && c.op === op.value));
      conditions.push({ dimension: dimension.value, op: op.value, value: n });
      value.value = '';
      paintChips();
    },
  });
  const form = h('form', {
    class: 'filters', testid: 'requests-filters', novalidate: true,
    onsubmit: (event) => {
      event.preventDefault();
      filters = {
        from: fromLocalInput(from.value) ?? '',
        to: fromLocalInput(to.value) ?? '',
        scores: conditions,
        corrected: form.querySelector('[data-testid=filter-corrected]').value,
        adapter: adapter.value.trim(),
        order: form.querySelector('[data-testid=filter-order]').value,
      };
      apply();
    },
  },
  h('div', { class: 'filter-grid' },
    h('div', { class: 'field' }, h('label', { for: 'f-from', class: 'field-label' }, t('requests.from')), from),
    h('div', { class: 'field' }, h('label', { for: 'f-to', class: 'field-label' }, t('requests.to')), to),
    select('filter-corrected', t('requests.corrected'),
      [['', t('requests.any')], ['true', t('common.yes')], ['false', t('common.no')]], filters.corrected),
    h('div', { class: 'field' }, h('label', { for: 'f-adapter', class: 'field-label' }, t('requests.adapter')), adapter,
      h('datalist', { id: 'f-adapter-list' }, h('option', { value: 'base' }, t('requests.adapterBase')), adapterIds.map((id) => h('option', { value: id })))),
    select('filter-order', t('requests.order'), [['newest', t('requests.newest')], ['oldest', t('requests.oldest')]], filters.order)),
  h('div', { class: 'field' },
    h('span', { class: 'field-label' }, t('requests.scoreFilter')),
    h('div', { class: 'score-filter' }, dimension, op, value, add),
    chips, error),
  h('div', { class: 'form-actions' },
    button(t('requests.reset'), { testid: 'filter-reset', onclick: () => { filters = emptyFilters(); apply(true); } }),
    h('button', { type: 'submit', class: 'btn btn-primary', testid: 'filter-apply' }, t('requests.apply'))));
  return form;
}

function row(item, ctx) {
  const lowest = minScore(item.scores);
  const lowestKey = item.scores ? Object.keys(item.scores).find((k) => item.scores[k] === lowest) : null;
  const href = `#/requests/${encodeURIComponent(item.id)}`;
  return h('tr', { testid: 'request-row', dataset: { id: item.id }, class: 'clickable', onclick: (event) => {
    if (event.target.closest('a')) return;
    ctx.navigate(`/requests/${encodeURIComponent(item.id)}`);
  } },
  h('td', { class: 'nowrap' }, h('time', { datetime: item.created_at }, formatTime(item.created_at))),
  h('td', { class: 'text-cell' }, h('a', { href, testid: 'request-link' }, excerpt(item.text, 70) || t('common.none'))),
  h('td', { class: 'nowrap' }, verdictBadge(item.verdict), ' ', scoreChip(lowest, { title: lowestKey ? dimensionLabel(dimensionByKey(lowestKey)) : '' })),
  h('td', { class: 'nowrap' }, meter(item.min_confidence ?? 0), ' ', formatPercent(item.min_confidence)),
  h('td', {}, item.corrected_at ? badge(`✓ ${item.correction_count ?? ''}`.trim(), 'ok', { title: formatTime(item.corrected_at) }) : badge(t('common.no'), 'neutral')),
  h('td', { class: 'mono small', title: item.adapter_id ?? 'base' }, item.adapter_id ? shortId(item.adapter_id, 14) : 'base'),
  h('td', { class: 'nowrap' }, formatMs(item.latency_ms)));
}

export async function renderList(ctx) {
  let cursor = null;
  const tbody = h('tbody');
  const status = h('span', { class: 'muted', testid: 'requests-count' });
  const more = button(t('common.loadMore'), { testid: 'requests-load-more', hidden: true, onclick: () => load(false) });
  const table = h('table', { class: 'table', testid: 'requests-table' },
    h('thead', {}, h('tr', {}, ['time', 'text', 'minScore', 'minConfidence', 'corrected', 'adapter', 'latency']
      .map((c) => h('th', { scope: 'col' }, t(`requests.col.${c}`))))),
    tbody);
  const results = h('div', { class: 'table-wrap' }, table);
  const message = h('div');
  let loaded = 0;

  async function load(reset) {
    if (reset) {
      cursor = null;
      loaded = 0;
      replace(tbody);
      replace(message, loading());
    }
    more.disabled = true;
    try {
      const page = await api('/v1/requests', { query: query(cursor) });
      if (!ctx.alive()) return;
      for (const item of page.items ?? []) tbody.append(row(item, ctx));
      loaded += page.items?.length ?? 0;
      cursor = page.next_cursor ?? null;
      more.hidden = !cursor;
      replace(message, loaded === 0 ? h('p', { class: 'empty-state', testid: 'requests-empty' }, t('requests.none')) : null);
      replace(status, t('common.showing', { n: loaded }));
    } catch (error) {
      if (ctx.alive()) replace(message, errorBox(error, () => load(true)));
    } finally {
      more.disabled = false;
    }
  }

  // Suggestions for the adapter filter; a role that may not list adapters still types an id.
  const adapterIds = await api('/v1/admin/adapters').then((r) => (r.items ?? []).map((a) => a.id), () => []);
  if (!ctx.alive()) return;
  const filterSlot = h('div');
  const apply = (rebuild) => {
    if (rebuild) replace(filterSlot, panel(t('requests.filters'), filterForm(apply, adapterIds)));
    load(true);
  };
  replace(filterSlot, panel(t('requests.filters'), filterForm(apply, adapterIds)));
  ctx.main.append(pageHeader(t('requests.title'), status), filterSlot, panel(null, results, message, h('div', { class: 'center' }, more)));
  await load(true);
}

export async function renderDetail(ctx) {
  const [id] = ctx.params;
  const body = h('div', { testid: 'request-detail' }, loading());
  ctx.main.append(
    h('a', { href: '#/requests', class: 'back-link', testid: 'detail-back' }, `← ${t('common.back')}`),
    pageHeader(`${t('detail.title')} ${shortId(id, 12)}`),
    body);
  const load = async () => {
    try {
      const { request, corrections = [] } = await api(`/v1/requests/${encodeURIComponent(id)}`);
      if (ctx.alive()) replace(body, detail(request, corrections, load));
    } catch (error) {
      if (ctx.alive()) replace(body, errorBox(error, load));
    }
  };
  await load();
}

function detail(request, corrections, reload) {
  const latest = corrections.length ? corrections[corrections.length - 1] : null;
  const formSlot = h('div');
  const correct = button(t('detail.correct'), {
    class: 'btn btn-primary', testid: 'detail-correct',
    onclick: () => {
      correct.hidden = true;
      replace(formSlot, panel(null, correctionForm(request, { onSaved: reload })));
      formSlot.querySelector('input')?.focus();
    },
  });
  const scores = h('table', { class: 'table compact', testid: 'detail-scores' },
    h('thead', {}, h('tr', {}, [t('detail.dimension'), t('detail.model'), t('detail.confidence'), t('detail.correction')].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, DIMENSIONS.map((d) => {
      const confidence = request.confidence?.[d.key];
      return h('tr', { testid: `detail-score-${d.id}` },
        h('th', { scope: 'row' }, dimensionLabel(d)),
        h('td', {}, scoreChip(request.scores?.[d.key])),
        h('td', { class: 'nowrap' }, confidence == null ? t('common.none') : [meter(confidence), ' ', formatPercent(confidence)]),
        h('td', {}, latest ? scoreChip(latest.scores?.[d.key] ?? latest.scores?.[d.id]) : t('common.none')));
    })));
  return h('div', { class: 'detail-layout' },
    h('div', { class: 'detail-main' },
      panel(t('detail.text'), h('div', { class: 'request-text', testid: 'detail-text' }, highlightedText(request))),
      windowsPanel(request),
      panel(t('detail.reasoning'), h('div', { class: 'reasoning', testid: 'detail-reasoning' }, request.reasoning || t('common.none')),
        request.raw_output ? h('details', { class: 'raw', testid: 'detail-raw' }, h('summary', {}, t('detail.rawOutput')), h('pre', {}, request.raw_output)) : null),
      panel(t('detail.scores'), request.scores ? null : h('p', { class: 'muted' }, t('detail.noScores')), scores),
      panel(t('detail.corrections', { n: corrections.length }),
        corrections.length === 0 ? h('p', { class: 'muted' }, t('detail.noCorrections')) : h('ol', { class: 'corrections', testid: 'detail-corrections' },
          [...corrections].reverse().map((c) => correctionItem(c, request))),
        h('div', { class: 'form-actions' }, correct)),
      formSlot),
    h('aside', { class: 'detail-side' },
      panel(null, keyValues([
        ['ID', h('span', { class: 'mono small break' }, request.id)],
        [t('detail.createdAt'), formatTime(request.created_at)],
        [t('detail.correctedAt'), formatTime(request.corrected_at)],
        [t('detail.verdict'), verdictBadge(request.verdict) ?? t('common.none')],
        [t('detail.format'), request.format_ok ? badge(t('detail.formatOk'), 'ok') : badge(t('detail.formatBad'), 'bad')],
        [t('detail.modelId'), h('span', { class: 'mono small break' }, request.model_id ?? t('common.none'))],
        [t('detail.adapterId'), h('span', { class: 'mono small break' }, request.adapter_id ?? 'base')],
        [t('detail.latency'), formatMs(request.latency_ms)],
        [t('detail.tokens'), `${request.prompt_tokens ?? '—'} / ${request.completion_tokens ?? '—'}`],
      ], { testid: 'detail-meta' }))));
}

function correctionItem(correction, request) {
  return h('li', { class: 'correction-item', testid: 'correction-item', dataset: { id: correction.id } },
    h('div', { class: 'correction-head' },
      h('strong', {}, `#${correction.id}`),
      h('span', { class: 'muted small' }, `${formatTime(correction.created_at)} · ${t('detail.reviewer', { id: correction.reviewer_key_id })}`)),
    h('div', { class: 'score-row' }, DIMENSIONS.map((d) => {
      const score = correction.scores?.[d.key] ?? correction.scores?.[d.id];
      const changed = request.scores && request.scores[d.key] !== score;
      return h('span', { class: changed ? 'score-pair changed' : 'score-pair', title: dimensionLabel(d) },
        h('span', { class: 'score-pair-label' }, dimensionLabel(d)), scoreChip(score));
    })),
    correction.reasoning ? h('p', { class: 'reasoning' }, correction.reasoning) : null,
    correction.note ? h('p', { class: 'muted small' }, `${t('detail.note')}: ${correction.note}`) : null);
}

/** Windows that decided a score below 100: the spans a reviewer should read first. */
function flaggedWindows(request) {
  const windows = request.windows ?? [];
  return windows.filter((w) => (w.decides ?? []).some((key) => (w.scores?.[key] ?? 100) < 100));
}

/**
 * The request text, with the spans of the deciding windows marked. Offsets are Unicode code points, which is what
 * `Array.from` iterates; the text only ever reaches the page as text nodes.
 */
function highlightedText(request) {
  const flagged = flaggedWindows(request);
  if ((request.windows ?? []).length < 2 || flagged.length === 0) return request.text;
  const chars = Array.from(request.text);
  const marked = new Uint8Array(chars.length + 1);
  for (const w of flagged) for (let i = Math.max(0, w.start); i < Math.min(chars.length, w.end); i += 1) marked[i] = 1;
  const parts = [];
  let start = 0;
  for (let i = 1; i <= chars.length; i += 1) {
    if (i === chars.length || marked[i] !== marked[start]) {
      const piece = chars.slice(start, i).join('');
      parts.push(marked[start] ? h('mark', { class: 'window-mark', testid: 'detail-text-mark' }, piece) : piece);
      start = i;
    }
  }
  return parts;
}

/** For a text scored in several windows: each window's span, its scores below 100, what it decided, its reasoning. */
function windowsPanel(request) {
  const windows = request.windows ?? [];
  if (windows.length < 2) return null;
  const chars = Array.from(request.text);
  const rows = windows.map((w, i) => {
    const low = DIMENSIONS.filter((d) => (w.scores?.[d.key] ?? 100) < 100);
    const decides = (w.decides ?? []).filter((key) => (w.scores?.[key] ?? 100) < 100);
    return h('tr', { testid: 'detail-window', class: decides.length ? 'window-deciding' : '', dataset: { start: w.start, end: w.end } },
      h('td', { class: 'nowrap' }, `${i + 1}`),
      h('td', { class: 'nowrap mono small' }, `${w.start}–${w.end}`),
      h('td', {}, w.scores == null ? t('detail.windowNoScores')
        : low.length === 0 ? h('span', { class: 'muted' }, t('detail.windowClean'))
          : low.map((d) => h('span', { class: 'score-pair', title: dimensionLabel(d) },
            h('span', { class: 'score-pair-label' }, dimensionLabel(d)), scoreChip(w.scores[d.key])))),
      h('td', {}, decides.length ? decides.map((key) => { const d = dimensionByKey(key); return d ? dimensionLabel(d) : key; }).join('、') : t('common.none')),
      h('td', {}, h('div', { class: 'small' }, excerpt(chars.slice(w.start, w.end).join(''), 60)),
        h('div', { class: 'reasoning small' }, w.reasoning || t('common.none'))));
  });
  return panel(t('detail.windows', { n: windows.length }),
    h('p', { class: 'muted small' }, t('detail.windowsHelp')),
    h('table', { class: 'table compact', testid: 'detail-windows' },
      h('thead', {}, h('tr', {}, [t('detail.windowIndex'), t('detail.windowSpan'), t('detail.windowScores'), t('detail.windowDecides'), t('detail.windowText')]
        .map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows)));
}
