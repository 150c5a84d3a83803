// A real OpenID Connect provider (oidc-provider) on the loopback, for tests/sso.
//
//   node provider.mjs <port> <config.json>
//
// config.json: {"clients": [{"client_id", "client_secret", "redirect_uris": [...]}],
//               "users": "<path of users.json>", "id_token_ttl": <seconds, optional>}
// users.json (read again at every sign-in, so a test can change someone's groups):
//   {"<login, which is also the subject>": {"email": "...", "preferred_username": "...",
//                                          "groups": ["..."]}}
//
// The login form is oidc-provider's development one (any password; the login must be in
// users.json). Consent is given at once for the configured clients, so a sign-in is one form.
// Prints "listening <issuer>" once it accepts connections.
import { readFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const [port, configPath] = process.argv.slice(2);
if (!port || !configPath) {
  console.error('usage: node provider.mjs <port> <config.json>');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

function users() {
  return JSON.parse(readFileSync(config.users, 'utf8'));
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: config.clients.map((client) => ({
    ...client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: ['test-only-cookie-key'] },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'name'],
    groups: ['groups'],
  },
  features: { devInteractions: { enabled: true } },
  ttl: {
    IdToken: config.id_token_ttl || 3600,
    AccessToken: 3600,
    AuthorizationCode: 60,
    Session: 3600,
    Grant: 3600,
    Interaction: 3600,
  },
  // The login is the subject (devInteractions makes the typed login the account id).
  async findAccount(ctx, id) {
    const user = users()[id];
    if (!user) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: user.email,
          email_verified: true,
          preferred_username: user.preferred_username || id,
          name: user.name || id,
          groups: user.groups || [],
        };
      },
    };
  },
  // First-party clients: consent is given at once for whatever they ask.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) {
        existing.addOIDCScope(ctx.oidc.params.scope);
        await existing.save();
        return existing;
      }
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
});
provider.proxy = false;
for (const event of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error']) {
  provider.on(event, (ctx, error) => console.error(event, error));
}

const server = provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
