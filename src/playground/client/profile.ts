import type { Auth, AuthUser } from '../../../packages/miniprogram/src/index.ts';
import type { WxStandIn } from '../../stand-in/index.ts';
import { byId, showImage } from './dom.ts';
import { maskPhone } from './mask.ts';
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
    view.phone.textContent = next?.phoneNumber ? maskedPhone(next) : 'not bound';
    view.bindPhone.textContent = next?.phoneNumber ? 'Change' : 'Bind phone';
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
      return `Picked "${image.name}" (${file.byteLength} bytes, a temporary file on the phone): tap Save to upload it.`;
    });
  });
  view.choose.addEventListener('click', () => {
    trace.note('tap: <button open-type="chooseAvatar"> — WeChat shows its sheet');
    view.sheet.hidden = false;
  });
  view.cancel.addEventListener('click', () => {
    trace.note('the user closes the sheet: no event');
    view.sheet.hidden = true;
  });

  // Enter in the input submits too (as a click on Save): the action below does the work.
  view.form.addEventListener('submit', (e) => e.preventDefault());
  action(view.save, async () => {
    const nickname = view.nickname.value;
    if (!pending && nickname.trim() === '') return 'Nothing to save: pick an avatar or type a nickname.';
    trace.note('tap: Save — auth.updateProfile({nickname, avatarFilePath}): the upload, then POST /v1/me');
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
    return `Saved: ${saved.nickname ?? 'no nickname'}, with ${saved.avatarUrl ? 'the uploaded avatar' : 'no avatar'}.`;
  });

  action(view.bindPhone, async () => {
    trace.note('tap: <button open-type="getPhoneNumber"> — WeChat asks the user, then auth.bindPhone(e)');
    const e = await wx.buttons.getPhoneNumber();
    trace.button('getPhoneNumber', e.detail);
    const bound = await deps.auth().bindPhone(e);
    return `Phone number bound: ${maskedPhone(bound)}.`;
  });

  return {
    show,
    forget() {
      wx.files.clear();
      view.nickname.value = '';
      dropPending();
    },
  };
}
