// An MCP server that wants OAuth, as the MCP authorization spec describes one, for
// zspark's MCP sign-in tests. Two listeners on 127.0.0.1:
//
// - the authorization server: panva's certified `oidc-provider` from npm, with dynamic
//   client registration, PKCE, refresh tokens and resource indicators (RFC 8707): it
//   issues RS256 JWT access tokens for the MCP endpoint only, and only when the token
//   request names it as `resource` (refreshes included);
// - the resource: a streamable HTTP MCP server built with the official
//   `@modelcontextprotocol/sdk`, publishing its protected-resource metadata (RFC 9728)
//   and answering 401 with a `WWW-Authenticate` challenge unless the request carries
//   a valid token for it. Its one tool, `whoami`, says whose token it got.
//
// The user's side of the login and consent screens is answered at once for USER_ID,
// so a test's stand-in browser only follows redirects.
//
// Environment: OIDC_PROVIDER_DIR (holds node_modules/oidc-provider), MCP_NODE_MODULES
// (holds @modelcontextprotocol/sdk), USER_ID, ACCESS_TOKEN_TTL (seconds). Prints
// {"issuer": "...", "mcp": "..."} once it listens; exits when its standard input closes.

import { createPublicKey, generateKeyPairSync, randomUUID, verify } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`mcp_oauth.mjs: set ${name}`);
    process.exit(2);
  }
  return value;
};

const load = (dir, ...path) => import(pathToFileURL(join(dir, ...path)).href);
const { default: Provider, errors } = await load(
  env('OIDC_PROVIDER_DIR'), 'node_modules', 'oidc-provider', 'lib', 'index.js',
);
const sdk = join(env('MCP_NODE_MODULES'), '@modelcontextprotocol', 'sdk', 'dist', 'esm', 'server');
const { McpServer } = await load(sdk, 'mcp.js');
const { StreamableHTTPServerTransport } = await load(sdk, 'streamableHttp.js');

const userId = env('USER_ID');
const tokenTtl = Number(env('ACCESS_TOKEN_TTL'));
const scope = 'mcp:tools';

const listen = async (server) => {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
};
const authServer = createServer();
const resourceServer = createServer();
const issuer = await listen(authServer);
const resourceBase = await listen(resourceServer);
const resource = `${resourceBase}/mcp`;
const metadataUrl = `${resourceBase}/.well-known/oauth-protected-resource/mcp`;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
const publicKey = createPublicKey(privateKey);

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomUUID()] },
  scopes: ['openid', 'offline_access', scope],
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // No default and no falling back to the grant's resource: a token request that
      // does not name the MCP endpoint gets no token for it.
      defaultResource: async () => undefined,
      useGrantedResource: async () => false,
      getResourceServerInfo: async (_ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget();
        return {
          scope,
          audience: resource,
          accessTokenTTL: tokenTtl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

async function answerInteraction(req, res) {
  const { prompt, grantId, params, session } = await provider.interactionDetails(req, res);
  if (prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: userId } }, { mergeWithLastSubmission: false });
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

const handleAuth = provider.callback();
authServer.on('request', (req, res) => {
  if (req.url.startsWith('/interaction/')) {
    answerInteraction(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
    return;
  }
  handleAuth(req, res);
});

// The claims of a bearer token issued for the MCP endpoint and not expired, or null.
function acceptedClaims(header) {
  const token = /^Bearer (.+)$/i.exec(header || '')?.[1];
  const parts = token?.split('.');
  if (!parts || parts.length !== 3) return null;
  const signed = verify(
    'RSA-SHA256',
    Buffer.from(`${parts[0]}.${parts[1]}`),
    publicKey,
    Buffer.from(parts[2], 'base64url'),
  );
  if (!signed) return null;
  const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
  const audiences = [].concat(claims.aud);
  if (claims.iss !== issuer || !audiences.includes(resource)) return null;
  if (claims.exp * 1000 <= Date.now()) return null;
  return claims;
}

function mcpServer(claims) {
  const server = new McpServer({ name: 'oauth-protected', version: '1.0.0' });
  server.tool('whoami', 'Says whose access token the server received.', async () => ({
    content: [{ type: 'text', text: `subject=${claims.sub} audience=${[].concat(claims.aud).join(',')}` }],
  }));
  return server;
}

resourceServer.on('request', async (req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/.well-known/oauth-protected-resource/mcp' || path === '/.well-known/oauth-protected-resource') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ resource, authorization_servers: [issuer], scopes_supported: [scope] }));
    return;
  }
  if (path !== '/mcp') {
    res.statusCode = 404;
    res.end();
    return;
  }
  const claims = acceptedClaims(req.headers.authorization);
  if (!claims) {
    res.statusCode = 401;
    res.setHeader('www-authenticate', `Bearer resource_metadata="${metadataUrl}", scope="${scope}"`);
    res.end();
    return;
  }
  // Stateless: a server and transport per request.
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => transport.close());
  await mcpServer(claims).connect(transport);
  await transport.handleRequest(req, res);
});

console.log(JSON.stringify({ issuer, mcp: resource }));
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
