// Adapters: every saved LoRA adapter with its origin and evaluation, the active one marked, activate / roll back / base
// model. An imported adapter whose eval gate has not passed is activated only with a reason (an override, on record).

import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, formatTime, formatNumber, formatPercent, shortId } from '../dom.js';
import { pageHeader, panel, loading, errorBox, button, badge } from '../ui.js';

/** The headline figures of an adapter's evaluation, whichever shape it was stored in. */
function evalSummary(evaluation) {
  const figures = evaluation?.candidate ?? evaluation ?? {};
  const mae = figures.overall_mae;
  const validity = figures.format_validity;
  if (typeof mae !== 'number' && typeof validity !== 'number') return t('common.none');
  return `${typeof mae === 'number' ? formatNumber(mae, 2) : '—'} / ${typeof validity === 'number' ? formatPercent(validity, 1) : '—'}`;
}

export async function render(ctx) {
  const body = h('div', { testid: 'adapters' }, loading());
  const status = h('p', { class: 'muted', testid: 'adapters-status' });
  const useBase = button(t('adapters.useBase'), {
    testid: 'adapters-use-base', hidden: true,
    onclick: () => activate({ id: 'base' }, t('adapters.confirmBase')),
  });
  ctx.main.append(pageHeader(t('adapters.title'), useBase), status, body);

  async function activate(adapter, question) {
    const needsReason = adapter.origin === 'imported' && adapter.gate_state !== 'passed' && !adapter.override_reason;
    const reason = needsReason
      ? h('textarea', { class: 'input', rows: 3, maxlength: 1000, testid: 'adapter-override-reason', placeholder: t('adapters.overridePlaceholder') })
      : null;
    const message = needsReason
      ? h('div', {}, h('p', {}, t('adapters.confirmOverride', { id: adapter.id, gate: t(`adapters.gate.${adapter.gate_state}`) })), reason)
      : question;
    if (!(await ctx.confirm(message, needsReason ? { danger: true } : {}))) return;
    if (needsReason && !reason.value.trim()) {
      ctx.toast(t('adapters.overrideNeeded'), 'error');
      return;
    }
    const body = needsReason ? { override_reason: reason.value.trim() } : undefined;
    try {
      await api(`/v1/admin/adapters/${encodeURIComponent(adapter.id)}/activate`, body ? { method: 'POST', body } : { method: 'POST' });
      ctx.toast(adapter.id === 'base' ? t('adapters.baseActivated') : t('adapters.activated', { id: adapter.id }));
    } catch (error) {
      ctx.toast(error.display ?? String(error), 'error');
    }
    await load();
  }

  async function load() {
    try {
      const { items = [] } = await api('/v1/admin/adapters');
      if (!ctx.alive()) return;
      const active = items.find((a) => a.active);
      useBase.hidden = !active;
      status.textContent = active ? '' : t('adapters.baseServing');
      if (items.length === 0) {
        replace(body, h('p', { class: 'empty-state', testid: 'adapters-empty' }, t('adapters.none')));
        return;
      }
      const sorted = [...items].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
      replace(body, panel(null, h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'adapters-table' },
        h('thead', {}, h('tr', {}, ['id', 'created', 'origin', 'run', 'eval', 'gate', 'status', 'parent', 'actions']
          .map((c) => h('th', { scope: 'col' }, t(`adapters.col.${c}`))))),
        h('tbody', {}, sorted.map((adapter) => row(adapter, active, activate)))))));
    } catch (error) {
      if (ctx.alive()) replace(body, errorBox(error, load));
    }
  }
  await load();
}

function row(adapter, active, activate) {
  // Going back to an adapter that served before, or to one older than the active one, is a roll-back.
  const rollback = !adapter.active && (adapter.activated_at != null || (active && String(adapter.created_at) < String(active.created_at)));
  const label = rollback ? t('adapters.rollback') : t('adapters.activate');
  const question = rollback ? t('adapters.confirmRollback', { id: adapter.id }) : t('adapters.confirmActivate', { id: adapter.id });
  return h('tr', { testid: 'adapter-row', dataset: { id: adapter.id }, class: adapter.active ? 'row-active' : null },
    h('td', {}, h('span', { class: 'mono', title: `${adapter.id}\n${adapter.content_hash ?? ''}\n${adapter.path ?? ''}` }, shortId(adapter.id, 18)),
      h('div', { class: 'muted small' }, adapter.base_model_id ?? '')),
    h('td', { class: 'nowrap' }, formatTime(adapter.created_at)),
    h('td', { class: 'nowrap', testid: 'adapter-origin' }, t(`adapters.origin.${adapter.origin ?? 'retrain'}`),
      adapter.label ? h('div', { class: 'muted small', title: adapter.source_path ?? '' }, adapter.label) : null),
    h('td', {}, adapter.run_id != null ? h('a', { href: `#/runs/${encodeURIComponent(adapter.run_id)}` }, `#${adapter.run_id}`) : t('common.none')),
    h('td', { class: 'nowrap', testid: 'adapter-eval' }, evalSummary(adapter.eval)),
    h('td', { testid: 'adapter-gate' }, gateCell(adapter)),
    h('td', {}, adapter.active
      ? [badge(`● ${t('adapters.active')}`, 'ok', { testid: 'adapter-active' }),
        adapter.activated_at ? h('div', { class: 'muted small' }, t('adapters.activatedAt', { t: formatTime(adapter.activated_at) })) : null]
      : adapter.activated_at ? h('span', { class: 'muted small' }, t('adapters.activatedAt', { t: formatTime(adapter.activated_at) })) : t('common.none')),
    h('td', { class: 'mono small', title: adapter.parent_adapter_id ?? '' }, adapter.parent_adapter_id ? shortId(adapter.parent_adapter_id, 12) : t('common.none')),
    h('td', {}, adapter.active ? null : button(label, {
      class: rollback ? 'btn btn-small' : 'btn btn-small btn-primary',
      testid: `adapter-activate-${adapter.id}`,
      onclick: () => activate(adapter, question),
    })));
}

const GATE_KINDS = { passed: 'ok', rejected: 'bad', failed: 'bad', pending: 'neutral', evaluating: 'neutral' };

/** An import's gate (the retrain's adapters passed their run's gate before they were saved), and any override. */
function gateCell(adapter) {
  if (!adapter.gate_state) return t('adapters.gate.run');
  return [badge(t(`adapters.gate.${adapter.gate_state}`), GATE_KINDS[adapter.gate_state] ?? 'neutral',
    { testid: 'adapter-gate-state', title: adapter.gate_detail ?? '' }),
  adapter.override_reason
    ? h('div', { class: 'muted small', testid: 'adapter-override', title: adapter.override_reason }, t('adapters.overridden', { reason: adapter.override_reason }))
    : null];
}
