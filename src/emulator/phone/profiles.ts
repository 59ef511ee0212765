import type { Derivation } from '../ids.ts';

export type Lang = 'en' | 'zh_CN' | 'zh_TW';
export const LANGS: readonly Lang[] = ['en', 'zh_CN', 'zh_TW'];

/** Places as WeChat names them in each `lang` of wx.getUserInfo. */
interface Place {
  city: Record<Lang, string>;
  province: Record<Lang, string>;
  country: Record<Lang, string>;
}

const CHINA = { en: 'China', zh_CN: '中国', zh_TW: '中國' };
const PLACES: readonly Place[] = [
  {
    city: { en: 'Guangzhou', zh_CN: '广州', zh_TW: '廣州' },
    province: { en: 'Guangdong', zh_CN: '广东', zh_TW: '廣東' },
    country: CHINA,
  },
  {
    city: { en: 'Shenzhen', zh_CN: '深圳', zh_TW: '深圳' },
    province: { en: 'Guangdong', zh_CN: '广东', zh_TW: '廣東' },
    country: CHINA,
  },
  {
    city: { en: 'Hangzhou', zh_CN: '杭州', zh_TW: '杭州' },
    province: { en: 'Zhejiang', zh_CN: '浙江', zh_TW: '浙江' },
    country: CHINA,
  },
  {
    city: { en: 'Chengdu', zh_CN: '成都', zh_TW: '成都' },
    province: { en: 'Sichuan', zh_CN: '四川', zh_TW: '四川' },
    country: CHINA,
  },
  {
    city: { en: 'Chaoyang', zh_CN: '朝阳', zh_TW: '朝陽' },
    province: { en: 'Beijing', zh_CN: '北京', zh_TW: '北京' },
    country: CHINA,
  },
  {
    city: { en: 'Pudong New District', zh_CN: '浦东新区', zh_TW: '浦東新區' },
    province: { en: 'Shanghai', zh_CN: '上海', zh_TW: '上海' },
    country: CHINA,
  },
  {
    city: { en: 'Wuhan', zh_CN: '武汉', zh_TW: '武漢' },
    province: { en: 'Hubei', zh_CN: '湖北', zh_TW: '湖北' },
    country: CHINA,
  },
  {
    city: { en: "Xi'an", zh_CN: '西安', zh_TW: '西安' },
    province: { en: 'Shaanxi', zh_CN: '陕西', zh_TW: '陝西' },
    country: CHINA,
  },
];

const NICKNAMES = [
  '阿杰',
  '小鱼儿',
  '晴天',
  'Kevin',
  '安静的猫',
  '木子',
  '橙子🍊',
  '一只小熊',
  'Lily',
  '老王',
  '追风少年',
  '糖糖',
  'Jason Li',
  '南风知我意',
  '夏天',
  '陈小明',
  'Momo',
  '不吃香菜',
  '天天向上',
  '阿May',
];

const PHOTO = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A WeChat account's profile, as the user set it on the phone. */
export interface Profile {
  nickName: string;
  avatarUrl: string;
  /** 0 unknown, 1 male, 2 female. */
  gender: 0 | 1 | 2;
  /** Place names; when absent, the generated place, named in the language the caller asks for. */
  city?: string;
  province?: string;
  country?: string;
  /** The language the user set WeChat to. */
  language: Lang;
  /** Without country code. */
  purePhoneNumber: string;
  countryCode: string;
}

export interface GeneratedProfile extends Profile {
  /** Index into the place table: generated users are named in every `lang`. */
  place: number;
}

/** WeChat's avatar CDN; the emulator serves the same paths itself (./avatar-image.ts). */
export const WECHAT_AVATAR_ORIGIN = 'https://thirdwx.qlogo.cn';

/** A realistic, stable profile for a user nobody described: same seed and name, same profile. */
export function generateProfile(
  derive: Derivation,
  user: string,
  avatarOrigin = WECHAT_AVATAR_ORIGIN,
): GeneratedProfile {
  const label = (what: string) => `profile\0${what}\0${user}`;
  const photo = [0, 1, 2].flatMap((i) => [...derive.bytes(label(`avatar${i}`))]).slice(0, 88);
  const path = photo.map((b) => PHOTO[b % PHOTO.length]).join('');
  const digits = String(derive.pick(label('phone'), 1_000_000_000)).padStart(9, '0');
  return {
    nickName: NICKNAMES[derive.pick(label('nick'), NICKNAMES.length)] ?? 'Band',
    avatarUrl: `${avatarOrigin}/mmopen/vi_32/${path}/132`,
    gender: derive.pick(label('gender'), 2) === 0 ? 1 : 2,
    language: 'zh_CN',
    purePhoneNumber: `1${'35789'[derive.pick(label('carrier'), 5)]}${digits}`,
    countryCode: '86',
    place: derive.pick(label('place'), PLACES.length),
  };
}

/** The place fields of a profile, in the language wx.getUserInfo was asked for. */
export function placeNames(
  profile: Profile & { place?: number },
  lang: Lang,
): { city: string; province: string; country: string } {
  const place = profile.place === undefined ? undefined : PLACES[profile.place];
  return {
    city: profile.city ?? place?.city[lang] ?? '',
    province: profile.province ?? place?.province[lang] ?? '',
    country: profile.country ?? place?.country[lang] ?? '',
  };
}

/** The phone number as WeChat formats `phoneNumber`: foreign numbers carry their country prefix. */
export function fullPhoneNumber(profile: Pick<Profile, 'purePhoneNumber' | 'countryCode'>): string {
  return profile.countryCode === '86' ? profile.purePhoneNumber : `+${profile.countryCode}${profile.purePhoneNumber}`;
}
