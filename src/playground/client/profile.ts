import type { Auth, AuthUser } from '../../../packages/miniprogram/src/index.ts';
import type { WxStandIn } from '../../stand-in/index.ts';
import { byId, showImage } from './dom.ts';
import { defineTexts, onLanguageChange } from './i18n.ts';
import { maskPhone } from './mask.ts';
import { t as pageText } from './page-text.ts';
import { SAMPLE_NAMES, sampleImage } from './samples.ts';
import type { Trace } from './trace.ts';

export interface ProfileDeps {
  wx: WxStandIn;
  /** The SDK instance of the moment (removing the mini program makes a new one). */
  auth: () => Auth;
  trace: Trace;
  /** Runs a tap's work with the phone busy and its outcome in the status line. */
  action: (button: HTMLButtonElement, work: () => Promise<string>) => void;
}

export interface ProfileView {
  show(user: AuthUser | undefined): void;
  /** The mini program was removed: its temporary files go with it. */
  forget(): void;
}

const t = defineTexts({
  en: {
    picked: 'Picked "{name}" ({bytes} bytes, a temporary file on the phone): tap Save to upload it.',
    noteChoose: 'tap: <button open-type="chooseAvatar"> — WeChat shows its sheet',
    noteCloseSheet: 'the user closes the sheet: no event',
    nothingToSave: 'Nothing to save: pick an avatar or type a nickname.',
    placeholderRefused:
      'Not saved: "微信用户" is WeChat\'s placeholder for a user who gave no nickname, so the SDK does not send it (the server refuses it too, INVALID_NICKNAME). Type your own nickname.',
    noteSave: 'tap: Save — auth.updateProfile({nickname, avatarFilePath}): the upload, then POST /v1/me',
    saved: 'Saved: {nickname}, with {avatar}.',
    noNickname: 'no nickname',
    uploadedAvatar: 'the uploaded avatar',
    noAvatar: 'no avatar',
    noteBind: 'tap: <button open-type="getPhoneNumber"> — WeChat asks the user, then auth.bindPhone(e)',
    bound: 'Phone number bound: {phone}.',
  },
  zh: {
    picked: '已选择“{name}”（{bytes} 字节，手机上的临时文件）：点击保存即可上传。',
    noteChoose: '点击：<button open-type="chooseAvatar"> — 微信弹出选择面板',
    noteCloseSheet: '用户关闭了面板：没有事件',
    nothingToSave: '没有可保存的内容：请选择头像或填写昵称。',
    placeholderRefused:
      '未保存：“微信用户”是微信给未提供昵称的用户的占位昵称，SDK 不会发送它（服务端也会以 INVALID_NICKNAME 拒绝）。请填写你自己的昵称。',
    noteSave: '点击：保存 — auth.updateProfile({nickname, avatarFilePath})：先上传头像，再 POST /v1/me',
    saved: '已保存：{nickname}，{avatar}。',
    noNickname: '没有昵称',
    uploadedAvatar: '头像已上传',
    noAvatar: '没有头像',
    noteBind: '点击：<button open-type="getPhoneNumber"> — 微信询问用户，然后 auth.bindPhone(e)',
    bound: '手机号已绑定：{phone}。',
  },
});

/** WeChat's anonymous nickname, which the SDK never sends (packages/miniprogram/src/profile.ts). */
const PLACEHOLDER_NICKNAME = '微信用户';

/** "+86 *******5678": the number as the page shows it, never in full. */
export function maskedPhone(user: AuthUser): string {
  if (!user.phoneNumber) return '';
  return `${user.phoneCountryCode ? `+${user.phoneCountryCode} ` : ''}${maskPhone(user.phoneNumber)}`;
}

function blobUrl(bytes: Uint8Array, extension: string): string {
  const type = extension === 'png' ? 'image/png' : 'image/jpeg';
  return URL.createObjectURL(new Blob([new Uint8Array(bytes)], { type }));
}

/**
 * Today's profile page of a mini program (docs/miniprogram.md, pages/profile): the chooseAvatar
 * button, `<input type="nickname">` with Save (auth.updateProfile), and the getPhoneNumber button
 * (auth.bindPhone). The user picks one of the page's sample pictures in the chooseAvatar sheet.
 */
export function mountProfile(deps: ProfileDeps): ProfileView {
  const { wx, trace, action } = deps;
  const view = {
    choose: byId<HTMLButtonElement>('choose-avatar'),
    thumb: byId<HTMLSpanElement>('avatar-thumb'),
    sheet: byId<HTMLDivElement>('avatar-sheet'),
    samples: byId<HTMLDivElement>('samples'),
    cancel: byId<HTMLButtonElement>('sheet-cancel'),
    form: byId<HTMLFormElement>('profile'),
    nickname: byId<HTMLInputElement>('nickname-input'),
    save: byId<HTMLButtonElement>('save'),
    phone: byId<HTMLSpanElement>('phone-number'),
    bindPhone: byId<HTMLButtonElement>('bind-phone'),
  };
  /** The picked avatar: a temporary file on the phone until Save uploads it. */
  let pending: { path: string; url: string } | undefined;
  let user: AuthUser | undefined;

  const show = (next: AuthUser | undefined) => {
    user = next;
    showImage(view.thumb, pending?.url ?? next?.avatarUrl ?? undefined, '+');
    view.thumb.dataset.pending = String(pending !== undefined);
    // Like value="{{user.nickname}}", except while the user is typing.
    if (document.activeElement !== view.nickname) view.nickname.value = next?.nickname ?? '';
    view.phone.textContent = next?.phoneNumber ? maskedPhone(next) : pageText('notBound');
    view.bindPhone.textContent = pageText(next?.phoneNumber ? 'changePhone' : 'bindPhone');
  };

  const dropPending = () => {
    if (pending) URL.revokeObjectURL(pending.url);
    pending = undefined;
    show(user);
  };

  // The chooseAvatar sheet: the page's sample pictures stand for the phone's album.
  SAMPLE_NAMES.forEach((name, index) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sample';
    button.dataset.sample = String(index);
    const picture = document.createElement('span');
    picture.className = 'picture';
    button.append(picture, name);
    view.samples.append(button);
    void sampleImage(index).then((image) => showImage(picture, blobUrl(image.bytes, image.extension), ''));
    action(button, async () => {
      view.sheet.hidden = true;
      const image = await sampleImage(index);
      const e = wx.buttons.chooseAvatar(image.bytes, image.extension);
      trace.button('chooseAvatar', e.detail);
      if (pending) URL.revokeObjectURL(pending.url);
      // Shown from the phone's file, as <image src="{{avatarUrl}}"> shows the temporary path.
      const file = wx.files.get(e.detail.avatarUrl) ?? image.bytes;
      pending = { path: e.detail.avatarUrl, url: blobUrl(file, image.extension) };
      show(user);
      return t('picked', { name: image.name, bytes: file.byteLength });
    });
  });
  view.choose.addEventListener('click', () => {
    trace.note(t('noteChoose'));
    view.sheet.hidden = false;
  });
  view.cancel.addEventListener('click', () => {
    trace.note(t('noteCloseSheet'));
    view.sheet.hidden = true;
  });

  // Enter in the input submits too (as a click on Save): the action below does the work.
  view.form.addEventListener('submit', (e) => e.preventDefault());
  action(view.save, async () => {
    const nickname = view.nickname.value;
    if (!pending && nickname.trim() === '') return t('nothingToSave');
    // The SDK drops the placeholder without a word; "Saved" would claim what did not happen.
    if (nickname.normalize('NFC').trim() === PLACEHOLDER_NICKNAME) throw new Error(t('placeholderRefused'));
    trace.note(t('noteSave'));
    const auth = deps.auth();
    const before = auth.user?.avatarUrl;
    let saved: AuthUser;
    try {
      saved = await auth.updateProfile({ nickname, avatarFilePath: pending?.path });
    } catch (err) {
      // The avatar goes first: stored even when the nickname is refused, so no longer pending.
      if (auth.user?.avatarUrl !== before) dropPending();
      throw err;
    }
    dropPending();
    return t('saved', {
      nickname: saved.nickname ?? t('noNickname'),
      avatar: t(saved.avatarUrl ? 'uploadedAvatar' : 'noAvatar'),
    });
  });

  action(view.bindPhone, async () => {
    trace.note(t('noteBind'));
    const e = await wx.buttons.getPhoneNumber();
    trace.button('getPhoneNumber', e.detail);
    const bound = await deps.auth().bindPhone(e);
    return t('bound', { phone: maskedPhone(bound) });
  });

  onLanguageChange(() => show(user));
  return {
    show,
    forget() {
      wx.files.clear();
      view.nickname.value = '';
      dropPending();
    },
  };
}
