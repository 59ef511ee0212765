import type { Config } from '../../config/config.ts';
import { LocalMediaStore } from '../../media/index.ts';

/** Where this server serves the local avatar directory. */
export const AVATAR_PATH = '/media/avatars';

/** The default avatar store: AVATAR_DIR, served by this server under PUBLIC_URL + AVATAR_PATH. */
export function localAvatarStore(config: Readonly<Config>): LocalMediaStore {
  return new LocalMediaStore({ directory: config.avatarDir, publicBase: `${config.publicUrl}${AVATAR_PATH}` });
}
