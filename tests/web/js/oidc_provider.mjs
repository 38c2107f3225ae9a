// A real OpenID Connect provider for the single sign-on tests: panva's certified
// oidc-provider (pinned in package.json), on the loopback port given on the command line.
//
//   node oidc_provider.mjs PORT REDIRECT_URI [CLIENT_ID] [CLIENT_SECRET]
//
// Issuer http://127.0.0.1:PORT; one confidential client (client_secret_basic, code flow,
// PKCE required) whose only redirect URI is REDIRECT_URI; fresh RSA signing keys each run;
// the development login and consent forms (devInteractions: any login name, any password;
// the name becomes the account's subject). Prints "listening ISSUER" once it accepts.
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const [port, redirectUri, clientId = 'datalab-catalogue', clientSecret = 'test-secret-of-the-catalogue'] = process.argv.slice(2);
if (!port || !redirectUri) {
  console.error('usage: node oidc_provider.mjs PORT REDIRECT_URI [CLIENT_ID] [CLIENT_SECRET]');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `test-${Date.now()}`, use: 'sig', alg: 'RS256' };

// The people of the test factory: claims by login name (any other name gets the defaults).
function claimsOf(login) {
  return {
    sub: login,
    preferred_username: login,
    name: `Test user ${login}`,
    email: `${login}@factory.example.org`,
    email_verified: true,
    organisation: 'https://factory.example.org/org/research-institute',
  };
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['cookie-key-of-the-test-provider-only'] },
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name', 'organisation'],
    email: ['email', 'email_verified'],
  },
  conformIdTokenClaims: false, // put the profile claims in the ID token itself
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, sub) {
    return { accountId: sub, async claims() { return claimsOf(sub); } };
  },
});

const server = provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
