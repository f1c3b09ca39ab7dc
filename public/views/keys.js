// API keys: list, create (the clear key is shown once and kept nowhere), revoke.

import { api } from '../api.js';
import { t } from '../i18n.js';
import { h, replace, formatTime } from '../dom.js';
import { pageHeader, panel, loading, errorBox, button, badge, copyText } from '../ui.js';

const ROLES = ['client', 'reviewer', 'admin'];

export async function render(ctx) {
  const body = h('div', { testid: 'keys' }, loading());
  const secretSlot = h('div');
  const label = h('input', { id: 'keys-label', type: 'text', testid: 'keys-label', placeholder: t('keys.labelPlaceholder'), maxlength: '200', required: true });
  const role = h('select', { id: 'keys-role', testid: 'keys-role' }, ROLES.map((r) => h('option', { value: r }, t(`role.${r}`))));
  const error = h('p', { class: 'form-error', role: 'alert', testid: 'keys-error' });
  const create = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'keys-create' }, t('keys.create'));
  const form = h('form', {
    class: 'inline-form', testid: 'keys-form', novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      error.textContent = '';
      if (!label.value.trim()) {
        error.textContent = t('keys.labelRequired');
        label.focus();
        return;
      }
      create.disabled = true;
      try {
        const created = await api('/v1/admin/keys', { method: 'POST', body: { role: role.value, label: label.value.trim() } });
        label.value = '';
        replace(secretSlot, secretPanel(created, () => replace(secretSlot)));
        ctx.toast(t('keys.created', { prefix: created.record?.prefix ?? '' }));
        await load();
      } catch (failure) {
        error.textContent = failure.display ?? String(failure);
      } finally {
        create.disabled = false;
      }
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'keys-role', class: 'field-label' }, t('keys.role')), role),
  h('div', { class: 'field grow' }, h('label', { for: 'keys-label', class: 'field-label' }, t('keys.label')), label),
  h('div', { class: 'field' }, h('span', { class: 'field-label', 'aria-hidden': 'true' }, '\u00a0'), create));

  ctx.main.append(pageHeader(t('keys.title')), panel(t('keys.create'), form, error), secretSlot, body);

  async function revoke(key) {
    const question = t('keys.revokeConfirm', { prefix: key.prefix, label: key.label });
    if (!(await ctx.confirm(question, { danger: true, confirmLabel: t('keys.revoke') }))) return;
    try {
      await api(`/v1/admin/keys/${encodeURIComponent(key.id)}/revoke`, { method: 'POST' });
      ctx.toast(t('keys.revoked', { prefix: key.prefix }));
    } catch (failure) {
      ctx.toast(failure.display ?? String(failure), 'error');
    }
    if (ctx.alive()) await load();
  }

  async function load() {
    try {
      const { items = [] } = await api('/v1/admin/keys');
      if (!ctx.alive()) return;
      replace(body, panel(null, h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'keys-table' },
        h('thead', {}, h('tr', {}, ['prefix', 'role', 'label', 'created', 'lastUsed', 'status', 'actions']
          .map((c) => h('th', { scope: 'col' }, t(`keys.col.${c}`))))),
        h('tbody', {}, items.map((key) => h('tr', { testid: 'key-row', dataset: { id: key.id, revoked: key.revoked_at ? 'true' : 'false' }, class: key.revoked_at ? 'row-muted' : null },
          h('td', { class: 'mono' }, `${key.prefix}…`, key.id === ctx.me.id ? [' ', badge(t('keys.you'), 'info')] : null),
          h('td', {}, h('span', { class: `badge badge-role role-${key.role}` }, t(`role.${key.role}`))),
          h('td', {}, key.label),
          h('td', { class: 'nowrap' }, formatTime(key.created_at)),
          h('td', { class: 'nowrap' }, formatTime(key.last_used_at)),
          h('td', {}, key.revoked_at ? badge(t('keys.revokedAt', { t: formatTime(key.revoked_at) }), 'bad') : badge(t('keys.active'), 'ok')),
          h('td', {}, key.revoked_at ? null : button(t('keys.revoke'), {
            class: 'btn btn-small btn-danger-ghost', testid: `key-revoke-${key.id}`, onclick: () => revoke(key),
          })))))))));
    } catch (failure) {
      if (ctx.alive()) replace(body, errorBox(failure, load));
    }
  }
  await load();
}

function secretPanel(created, dismiss) {
  const field = h('input', { type: 'text', readonly: true, class: 'mono secret', testid: 'keys-secret', value: created.key, 'aria-label': t('keys.createdTitle') });
  return h('section', { class: 'panel secret-panel', testid: 'keys-secret-panel', role: 'alert' },
    h('h2', { class: 'panel-title' }, t('keys.createdTitle')),
    h('p', {}, t('keys.createdWarn')),
    h('div', { class: 'secret-row' }, field,
      button(t('common.copy'), { testid: 'keys-copy', onclick: () => copyText(created.key, field) })),
    h('div', { class: 'form-actions' }, button(t('keys.dismiss'), { class: 'btn btn-primary', testid: 'keys-dismiss', onclick: dismiss })));
}
