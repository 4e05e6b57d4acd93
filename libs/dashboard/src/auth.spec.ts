import { checkToken, TOKEN_COOKIE } from './auth.js';

const none = new URLSearchParams();

describe('checkToken', () => {
  it('lets everything through when no token is configured', () => {
    expect(checkToken(undefined, undefined, undefined, none)).toEqual({ ok: true, fromQuery: false });
  });

  it('accepts the token as a bearer header, the cookie or the query, and nothing else', () => {
    const token = 'correct-horse';
    expect(checkToken(token, `Bearer ${token}`, undefined, none)).toEqual({ ok: true, fromQuery: false });
    expect(checkToken(token, undefined, `other=1; ${TOKEN_COOKIE}=${token}`, none)).toEqual({ ok: true, fromQuery: false });
    expect(checkToken(token, undefined, undefined, new URLSearchParams({ token }))).toEqual({ ok: true, fromQuery: true });
    expect(checkToken(token, 'Bearer correct-hors', `${TOKEN_COOKIE}=correct-horse2`, new URLSearchParams({ token: '' }))).toEqual({ ok: false });
    expect(checkToken(token, `Basic ${token}`, `${TOKEN_COOKIE}=%E0%A4%A`, none)).toEqual({ ok: false });
  });
});
