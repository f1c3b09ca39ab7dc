// Review queue: uncorrected requests, least confident first, with the correction form beside the selected one.

import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, formatTime, formatPercent, excerpt, minScore, scoreChip, meter, shortId } from '../dom.js';
import { pageHeader, panel, loading, errorBox, button, verdictBadge } from '../ui.js';
import { correctionForm } from './correction.js';

const PAGE = 20;

/** Least confident first; an answer without confidences (unparseable) counts as the least confident. */
function byConfidence(a, b) {
  return (a.min_confidence ?? -1) - (b.min_confidence ?? -1);
}

export function render(ctx) {
  let items = [];
  let cursor = null;
  let selectedId = null;

  const count = h('span', { class: 'muted', testid: 'review-count' });
  const list = h('ol', { class: 'review-list', testid: 'review-list', 'aria-label': t('review.title') });
  const more = button(t('common.loadMore'), { testid: 'review-load-more', hidden: true, onclick: () => load(false) });
  const detail = h('div', { class: 'review-detail', testid: 'review-detail' });
  const body = h('div', { class: 'review-layout' },
    h('div', { class: 'review-sidebar' }, list, more),
    detail);

  function paintList() {
    replace(count, t('review.depth', { n: items.length }));
    more.hidden = !cursor;
    if (items.length === 0) {
      replace(list);
      replace(detail, h('div', { class: 'empty-state', testid: 'review-empty' }, h('p', {}, '✓'), h('p', {}, t('review.empty'))));
      return;
    }
    replace(list, items.map((item) => {
      const lowest = minScore(item.scores);
      return h('li', {},
        h('button', {
          type: 'button', class: item.id === selectedId ? 'review-item selected' : 'review-item', testid: 'review-item',
          dataset: { id: item.id }, 'aria-current': item.id === selectedId ? 'true' : null,
          onclick: () => select(item.id),
        },
        h('span', { class: 'review-item-text' }, excerpt(item.text, 90)),
        h('span', { class: 'review-item-meta' },
          meter(item.min_confidence ?? 0),
          h('span', {}, t('review.minConfidence', { v: formatPercent(item.min_confidence) })),
          verdictBadge(item.verdict),
          scoreChip(lowest),
          h('time', { datetime: item.created_at }, formatTime(item.created_at)))));
    }));
  }

  function select(id) {
    selectedId = id;
    paintList();
    const item = items.find((i) => i.id === id);
    if (!item) return;
    replace(detail,
      h('div', { class: 'review-request', testid: 'review-request', dataset: { id: item.id } },
        h('div', { class: 'review-request-head' },
          h('a', { href: `#/requests/${encodeURIComponent(item.id)}`, class: 'mono small', title: item.id }, shortId(item.id, 12)),
          h('time', { class: 'muted small', datetime: item.created_at }, formatTime(item.created_at)),
          button(t('review.skip'), { class: 'btn btn-small btn-ghost', testid: 'review-skip', onclick: skip })),
        h('h2', { class: 'panel-title' }, t('detail.text')),
        h('div', { class: 'request-text', testid: 'review-text' }, item.text),
        h('h2', { class: 'panel-title' }, t('detail.reasoning')),
        h('div', { class: 'reasoning', testid: 'review-reasoning' }, item.reasoning || t('common.none'))),
      panel(null, correctionForm(item, { onSaved: () => done(item.id) })));
  }

  function nextAfter(id) {
    const index = items.findIndex((i) => i.id === id);
    return items[index + 1]?.id ?? items[index - 1]?.id ?? null;
  }

  function skip() {
    const next = nextAfter(selectedId);
    if (next) select(next);
  }

  /** The item was corrected: it leaves the queue and the next one opens. */
  function done(id) {
    const next = nextAfter(id);
    items = items.filter((i) => i.id !== id);
    window.scrollTo({ top: 0 });
    if (next) select(next);
    else if (cursor) load(false);
    else paintList();
  }

  async function load(reset) {
    if (reset) {
      items = [];
      cursor = null;
      replace(detail, loading());
    }
    try {
      const page = await api('/v1/review-queue', { query: { limit: PAGE, cursor } });
      if (!ctx.alive()) return;
      const seen = new Set(items.map((i) => i.id));
      items = [...items, ...(page.items ?? []).filter((i) => !seen.has(i.id))].sort(byConfidence);
      cursor = page.next_cursor ?? null;
      if (!items.some((i) => i.id === selectedId) && items.length > 0) select(items[0].id);
      else paintList();
    } catch (error) {
      if (ctx.alive()) replace(detail, errorBox(error, () => load(true)));
    }
  }

  ctx.main.append(
    pageHeader(t('review.title'), count, button(t('common.refresh'), { testid: 'review-refresh', onclick: () => load(true) })),
    h('p', { class: 'muted intro' }, t('review.intro')),
    body);
  return load(true);
}
