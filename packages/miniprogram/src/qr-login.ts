import { AuthError } from './errors.ts';
import type { AuthRequestOptions, AuthResponse } from './http.ts';

/** Auth.request: the access token, one renewal on 401, one more send after a 503 when `retry`. */
type Request = <T>(options: AuthRequestOptions) => Promise<AuthResponse<T>>;

/** Where a ticket stands. `confirmed`, `cancelled` and `expired` are final. */
export type QrLoginStatus = 'pending' | 'scanned' | 'confirmed' | 'cancelled' | 'expired' | (string & {});

/**
 * What the confirm page shows before the user taps (POST /v1/qr-login/scan): which website asks,
 * from which browser, since when. Show the origin prominently: a phishing page can show the code of
 * a real site, but it cannot make this origin its own.
 */
export interface QrLoginRequest {
  status: QrLoginStatus;
  /** The web client (WEB_CLIENTS): its id, display name and origin. */
  client: { id: string; name: string; origin: string };
  /** The browser showing the code, as the server saw it; `place` when a proxy tells the server. */
  browser: { userAgent: string | null; ip: string; place: string | null };
  /** ISO 8601: when the website asked for the code. */
  createdAt: string;
  /** Seconds before the code expires and the website has to show a new one. */
  expiresIn: number;
}

/** What confirm and cancel answer: where the ticket stands now. */
export interface QrLoginOutcome {
  status: QrLoginStatus;
}

/**
 * "Scan to log in on a website": the mini program's half. The confirm page opened by the website's
 * code calls inspect() with the decoded scene, shows what it answers, then confirm() or cancel() on
 * the user's tap. Each call carries this phone's access token (logging in first when there is
 * none): the website is logged in as the user of this mini program.
 */
export class QrLogin {
  readonly #request: Request;

  constructor(request: Request) {
    this.#request = request;
  }

  /** Marks the ticket scanned by this user and answers what the confirm page shows. */
  inspect(scene: string): Promise<QrLoginRequest> {
    return this.#post<QrLoginRequest>('scan', scene);
  }

  /** The user's explicit yes: the browser that shows the code is logged in as this user. */
  confirm(scene: string): Promise<QrLoginOutcome> {
    return this.#post<QrLoginOutcome>('confirm', scene);
  }

  /** The user's no: the browser learns the code was refused and stops waiting. */
  cancel(scene: string): Promise<QrLoginOutcome> {
    return this.#post<QrLoginOutcome>('cancel', scene);
  }

  async #post<T>(step: 'scan' | 'confirm' | 'cancel', scene: string): Promise<T> {
    if (typeof scene !== 'string' || scene === '') {
      // No request: a page opened without a code (from the menu, a share) has nothing to confirm.
      throw new AuthError(
        'INVALID_REQUEST',
        "qrLogin: scene must be the code's scene, decodeURIComponent(options.scene) in the page's onLoad.",
      );
    }
    // Each is sent again after a 503 or no answer: the server answers a repeat by the same user as
    // the first (and the browser still gets the tokens once).
    const data = { scene };
    const res = await this.#request<T>({ url: `/v1/qr-login/${step}`, method: 'POST', data, retry: true });
    return res.data;
  }
}
