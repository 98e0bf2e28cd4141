// A small OpenID Connect relying party, as a coordination server would be: it knows only
// Gatehouse's issuer URL, a client id and secret. Built on `openid-client` (a certified
// relying-party library): discovery, authorization code with PKCE (S256), state and nonce,
// ID token validation, userinfo. `/login` starts a sign-in; `/callback` finishes it and shows
// the claims, or the error Gatehouse sent back.
import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const page = (title: string, body: string) =>
  `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>` +
  `<body><h1>${escape(title)}</h1>${body}</body></html>`;

type Pending = { verifier: string; state: string; nonce: string };

export class RelyingParty {
  private config?: oidc.Configuration;
  private readonly pending = new Map<string, Pending>();

  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  /** Where Gatehouse sends people back: register it as the client's callback URL. */
  get callbackUrl(): string {
    return `${this.origin}/callback`;
  }

  static async start(): Promise<RelyingParty> {
    let rp: RelyingParty | undefined;
    const server = createServer((request, response) => {
      rp?.handle(request.url ?? '/')
        .then(({ status, html, location }) => {
          response.writeHead(status, location ? { location } : { 'content-type': 'text/html; charset=utf-8' });
          response.end(html ?? '');
        })
        .catch((error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/html; charset=utf-8' });
          response.end(page('Relying party error', `<pre>${escape(String(error))}</pre>`));
        });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    rp = new RelyingParty(server, `http://localhost:${port}`);
    return rp;
  }

  /** Reads Gatehouse's discovery document (http is allowed: the test runs on loopback). */
  async configure(issuer: string, clientId: string, clientSecret: string): Promise<void> {
    this.config = await oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
  }

  private async handle(path: string): Promise<{ status: number; html?: string; location?: string }> {
    const config = this.config;
    if (!config) return { status: 503, html: page('Not configured', '') };
    const url = new URL(path, this.origin);
    if (url.pathname === '/login') {
      const pending = {
        verifier: oidc.randomPKCECodeVerifier(),
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
      };
      this.pending.set(pending.state, pending);
      const authorize = oidc.buildAuthorizationUrl(config, {
        redirect_uri: this.callbackUrl,
        scope: 'openid profile email groups',
        code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return { status: 302, location: authorize.href };
    }
    if (url.pathname === '/callback') {
      const error = url.searchParams.get('error');
      if (error) {
        return {
          status: 200,
          html: page('Sign-in refused', `<p id="error">${escape(error)}</p>`),
        };
      }
      const pending = this.pending.get(url.searchParams.get('state') ?? '');
      if (!pending) return { status: 400, html: page('Unknown state', '') };
      this.pending.delete(pending.state);
      const tokens = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('no ID token');
      const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      const show = (name: string, value: unknown) =>
        `<dt>${escape(name)}</dt><dd data-claim="${escape(name)}">${escape(JSON.stringify(value))}</dd>`;
      return {
        status: 200,
        html: page(
          'Signed in',
          `<dl>${show('sub', claims.sub)}${show('email', claims.email)}${show('email_verified', claims.email_verified)}` +
            `${show('name', claims.name)}${show('groups', claims.groups)}${show('userinfo email', userinfo.email)}</dl>`,
        ),
      };
    }
    return { status: 404, html: page('Not found', '') };
  }

  close(): Promise<void> {
    return new Promise((done) => this.server.close(() => done()));
  }
}
