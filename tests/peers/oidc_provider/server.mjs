// A real, independently written OAuth 2.0 authorization server (panva/oidc-provider) for Brokerdeck's tests.
//
//   node server.mjs <port> [<extra resource>]      (0 picks a free port)
//
// Listens on 127.0.0.1 only. Once it accepts connections it prints exactly one JSON line to stdout,
//   {"issuer": "http://127.0.0.1:<port>", "resource": "http://127.0.0.1:<port>/api"}
// and never writes to stdout again: oidc-provider's notices (console.info) and everything else go to stderr.
// SIGTERM and SIGINT close the listener and exit with status 0.
//
// What a client gets here:
// * RFC 8414 metadata at /.well-known/oauth-authorization-server (and OpenID discovery), RFC 9207 `iss` in
//   every authorization response, dynamic client registration (RFC 7591) without an initial access token.
// * Public clients (token_endpoint_auth_method "none") must use PKCE with S256; "plain" is refused.
// * Native clients may register "http://127.0.0.1/<path>" and then use any port (RFC 8252 §7.3).
// * Plain OAuth works: "openid" is optional. Without it no ID token is issued, and oidc-provider refuses only
//   the OpenID-only parameters (nonce, max_age, claims, id_token_hint, acr_values). A request must name at
//   least one known scope ("openid", "offline_access" or "api:read"): with none, or only unknown ones, nothing
//   is granted and the redirect carries error=access_denied.
// * Refresh tokens: issueRefreshToken is always true, so every code exchange returns one whatever the scope
//   ("api:read" alone is enough). Using it needs "refresh_token" among the client's registered grant_types
//   (DCR: ["authorization_code", "refresh_token"]); otherwise the refresh answers invalid_request "requested
//   grant type is not allowed for this client". "offline_access" is optional: oidc-provider drops it when the
//   request has a `prompt` without "consent", and without it the refresh token is bound to the login session
//   at this server (which lives a day here, so it makes no difference within a test). Refresh tokens rotate on
//   every use; presenting a used one answers invalid_grant and revokes the whole grant.
// * RFC 8707: `resource=<issuer>/api` names the one protected API; any other resource is invalid_target. Its
//   access tokens are opaque, live 600 s and carry the API scope "api:read" when it was requested. The token
//   request may repeat `resource` or leave it out (the granted one is used, for refreshes too). Without any
//   `resource` the exchange still succeeds and even echoes "api:read" (it is also listed in scopes_supported),
//   but the access token's audience is not the API.
// * devInteractions: a login page (any login, any password) and a consent page with one "Continue" button.
// * Token revocation (RFC 7009) is enabled.
// * An optional second argument names one more protected resource (e.g. an MCP server's URL, served by another
//   process): its access tokens carry "api:read" too, but are JWTs (RFC 9068) that the resource verifies
//   against this server's /jwks, since it has no way to introspect.

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import process from 'node:process';

// stdout carries only the JSON line. oidc-provider writes its notices through console.info (stdout) and its
// warnings, such as "Unsupported runtime" on Node 20, through console.warn (stderr): send them all to stderr.
for (const level of ['log', 'info', 'debug']) {
  console[level] = (...args) => console.error(...args);
}

// oidc-provider 9 calls URL.parse (Node 20.18+) and crypto.hash (Node 20.12+); on an older Node (Debian 12's
// own nodejs is 18) it would start and then fail on the first request.
if (typeof URL.parse !== 'function') {
  console.error(`oidc-provider 9 needs Node.js 20.18 or later; this is Node.js ${process.version}.`);
  process.exit(3);
}

// Imported only after console is redirected: the module prints its runtime check while loading.
const { default: Provider, errors } = await import('oidc-provider');

const API_SCOPE = 'api:read';
const requestedPort = Number.parseInt(process.argv[2] ?? '0', 10);
const extraResource = process.argv[3];
if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
  console.error(`usage: node server.mjs <port>  (got ${JSON.stringify(process.argv[2])})`);
  process.exit(2);
}

// Listen first so that port 0 resolves to a real port; the issuer must name it.
let handler = (_req, res) => {
  res.statusCode = 503;
  res.end('starting');
};
const server = createServer((req, res) => handler(req, res));
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(requestedPort, '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;
const resource = `${issuer}/api`;

const provider = new Provider(issuer, {
  // Session and interaction cookies are signed with a key that lives as long as this process.
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  // Any login is an account; its only claim is `sub`.
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  // "api:read" is listed so that discovery advertises it in scopes_supported.
  scopes: ['openid', 'offline_access', API_SCOPE],
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // No `resource` in the authorization request: the grant names no API (no default). When a token
      // request omits `resource` and exactly one was granted, that one is used.
      defaultResource: (_ctx, _client, oneOf) => (oneOf?.length === 1 ? oneOf[0] : oneOf),
      // A refresh without `resource` keeps the audience the grant was given.
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (extraResource && indicator === extraResource) {
          return { scope: API_SCOPE, audience: extraResource, accessTokenTTL: 600, accessTokenFormat: 'jwt' };
        }
        if (indicator !== resource) {
          throw new errors.InvalidTarget();
        }
        return { scope: API_SCOPE, audience: resource, accessTokenTTL: 600, accessTokenFormat: 'opaque' };
      },
    },
  },
  issueRefreshToken: () => true,
  // Public clients rotate on every refresh anyway; this makes it hold for every client.
  rotateRefreshToken: () => true,
  pkce: { required: () => true },
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    IdToken: 600,
    Interaction: 600,
    Grant: 24 * 60 * 60,
    Session: 24 * 60 * 60,
    RefreshToken: 24 * 60 * 60,
  },
});

handler = provider.callback();

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  // Keep-alive connections from a browser would hold close() open.
  server.closeAllConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// Announced only now, so that a client which reads the line can also stop the process cleanly.
process.stdout.write(`{"issuer": ${JSON.stringify(issuer)}, "resource": ${JSON.stringify(resource)}}\n`);
