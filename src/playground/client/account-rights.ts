import type { Auth } from '../../../packages/miniprogram/src/index.ts';
import type { WxStandIn } from '../../stand-in/index.ts';
import { defineTexts, language, onLanguageChange } from './i18n.ts';
import type { Trace } from './trace.ts';

/**
 * The mini program's settings page, as the example has it: "导出我的数据" (auth.exportData(),
 * GET /v1/me/export) and "注销账号" — a confirm modal through wx.showModal (answered by the
 * simulated user, narrated in the trace), then auth.deleteAccount() (DELETE /v1/me). The trace
 * shows each request and the server's answer; the status says what happened and, with a
 * cooling-off period, until when a login cancels it.
 */

const t = defineTexts({
  en: {
    title: 'The mini program’s settings page',
    hint: 'The user’s rights (PIPL Art. 45, 47): a copy of everything held, and closing the account. With DELETION_COOLING_OFF_DAYS set, a login before the purge date cancels the deletion.',
    export: 'Export my data',
    delete: 'Delete my account',
    tapExport: 'tap: 导出我的数据 — auth.exportData()',
    tapDelete: 'tap: 注销账号 — wx.showModal, then auth.deleteAccount()',
    exported:
      'Exported: {identities} identity(ies), {sessions} session(s), {events} security event(s); the data is in the trace.',
    modalContent: '注销后将立即退出所有设备，资料、手机号和头像将被删除。如设有冷静期，期间重新登录即可撤销注销。',
    kept: 'The user cancelled: nothing was sent, the account stays.',
    scheduled: 'Deletion scheduled: the account is purged on {date}. Logging in before then cancels it.',
    deleted: 'The account is deleted. The same WeChat user logging in again is a new user.',
  },
  zh: {
    title: '小程序的设置页',
    hint: '用户的权利（《个人信息保护法》第 45、47 条）：获取所保存数据的副本，以及注销账号。设置了 DELETION_COOLING_OFF_DAYS 时，在清除日期之前登录会取消注销。',
    export: '导出我的数据',
    delete: '注销账号',
    tapExport: '点击：导出我的数据 —— auth.exportData()',
    tapDelete: '点击：注销账号 —— wx.showModal，然后 auth.deleteAccount()',
    exported: '已导出：{identities} 个身份、{sessions} 个会话、{events} 条安全记录；数据见右侧记录。',
    modalContent: '注销后将立即退出所有设备，资料、手机号和头像将被删除。如设有冷静期，期间重新登录即可撤销注销。',
    kept: '用户取消了：没有发送任何请求，账号保留。',
    scheduled: '已安排注销：账号将于 {date} 彻底删除。在此之前登录即可撤销注销。',
    deleted: '账号已删除。同一个微信用户再次登录时是新用户。',
  },
});

export interface AccountRightsDeps {
  wx: WxStandIn;
  /** The SDK instance of the moment (the reset button replaces it). */
  auth: () => Auth;
  trace: Trace;
  action: (button: HTMLButtonElement, work: () => Promise<string>) => void;
  /** The phone shows nobody logged in. */
  loggedOut: () => void;
}

function button(id: string): HTMLButtonElement {
  const node = document.createElement('button');
  node.type = 'button';
  node.id = id;
  return node;
}

/** wx.showModal as a promise: true when the user taps the confirm button. */
function confirmDeletion(wx: WxStandIn): Promise<boolean> {
  return new Promise((resolve, reject) => {
    wx.showModal({
      title: '注销账号',
      content: t('modalContent'),
      confirmText: '确认注销',
      confirmColor: '#e64340',
      success: ({ confirm }) => resolve(confirm),
      fail: (err) => reject(new Error(err.errMsg)),
    });
  });
}

export function mountAccountRights(host: HTMLElement, deps: AccountRightsDeps): void {
  const { wx, trace, action } = deps;
  const heading = document.createElement('h2');
  const hint = document.createElement('p');
  hint.className = 'hint';
  const exportButton = button('export-data');
  const deleteButton = button('delete-account');
  const row = document.createElement('div');
  row.className = 'wechat-settings-buttons';
  row.append(exportButton, deleteButton);
  host.replaceChildren(heading, hint, row);
  const words = () => {
    heading.textContent = t('title');
    hint.textContent = t('hint');
    exportButton.textContent = t('export');
    deleteButton.textContent = t('delete');
  };
  words();
  onLanguageChange(words);

  action(exportButton, async () => {
    trace.note(t('tapExport'));
    const data = await deps.auth().exportData();
    return t('exported', {
      identities: data.identities.length,
      sessions: data.sessions.length,
      events: data.securityEvents.length,
    });
  });
  action(deleteButton, async () => {
    trace.note(t('tapDelete'));
    if (!(await confirmDeletion(wx))) return t('kept');
    const { status, purgeAt } = await deps.auth().deleteAccount();
    deps.loggedOut();
    if (status !== 'scheduled') return t('deleted');
    const date = new Date(purgeAt).toLocaleDateString(language() === 'zh' ? 'zh-CN' : 'en-GB', {
      year: 'numeric',
      month: 'long',
      day: 'numeric',
    });
    return t('scheduled', { date });
  });
}
