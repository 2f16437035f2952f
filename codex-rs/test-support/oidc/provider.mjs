// A real OpenID provider for zspark's end-to-end sign-in tests: panva's certified
// `oidc-provider` from npm, set up to issue Entra-shaped access tokens (RS256 JWTs
// with aud, tid, oid and scp) for one API, with one public native client (PKCE,
// loopback redirect on any port, refresh tokens, device flow).
//
// The user's side of the login and consent screens is answered at once for the user
// named by USER_OID, so a test's stand-in browser only follows redirects and submits
// the device-confirmation form.
//
// Environment: OIDC_PROVIDER_DIR (holds node_modules/oidc-provider), TENANT_ID,
// API_CLIENT_ID, DESKTOP_CLIENT_ID, USER_OID. Prints {"issuer": "..."} once it listens;
// exits when its standard input closes.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`provider.mjs: set ${name}`);
    process.exit(2);
  }
  return value;
};

const moduleUrl = pathToFileURL(
  join(env('OIDC_PROVIDER_DIR'), 'node_modules', 'oidc-provider', 'lib', 'index.js'),
).href;
const { default: Provider, errors } = await import(moduleUrl);

const tenant = env('TENANT_ID');
const apiClientId = env('API_CLIENT_ID');
const desktopClientId = env('DESKTOP_CLIENT_ID');
const userOid = env('USER_OID');
const resource = `api://${apiClientId}`;
const apiScope = `${resource}/access_as_user`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: desktopClientId,
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://localhost'],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomUUID()] },
  scopes: ['openid', 'profile', 'offline_access'],
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'] },
  conformIdTokenClaims: false,
  findAccount: async (_ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ sub, name: 'Test User', preferred_username: `${sub}@example.com` }),
  }),
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  // Entra puts the tenant, the object id and the bare scope names in access tokens.
  extraTokenClaims: async (_ctx, token) => {
    if (token.kind !== 'AccessToken') return undefined;
    const granted = String(token.scope || '').split(' ');
    return {
      tid: tenant,
      oid: token.accountId,
      scp: granted.filter((scope) => scope === apiScope).map(() => 'access_as_user').join(' '),
    };
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    deviceFlow: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => resource,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget();
        return {
          scope: apiScope,
          audience: apiClientId,
          accessTokenTTL: 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

// Login and consent, answered for the configured user.
async function answerInteraction(req, res) {
  const { prompt, grantId, params, session } = await provider.interactionDetails(req, res);
  if (prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: userOid } }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = prompt.details;
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
}

const handle = provider.callback();
server.on('request', (req, res) => {
  if (req.url.startsWith('/interaction/')) {
    answerInteraction(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
    return;
  }
  handle(req, res);
});

console.log(JSON.stringify({ issuer }));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
