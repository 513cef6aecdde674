// A real OpenID Connect provider for essor's tests: panva's oidc-provider with one static client,
// one test account, and a login interaction that plain HTTP requests can complete (no browser,
// no JavaScript): GET the interaction page, POST its form with the account's login and password;
// consent is then granted automatically.
//
//   node server.mjs --port 0 --client-id essor --client-secret s3cret \
//       --redirect-uri http://127.0.0.1:8080/connexion/oidc/retour
//
// With --port 0 the system chooses the port. Once the provider answers, one JSON line is printed
// on stdout: {"issuer":"http://127.0.0.1:PORT","port":PORT}. Logs go to stderr.
//
// Options (each also read from the environment variable in brackets):
//   --port N                  [OIDC_PORT]           0 by default
//   --client-id ID            [OIDC_CLIENT_ID]      "essor-test" by default
//   --client-secret SECRET    [OIDC_CLIENT_SECRET]  required
//   --redirect-uri URI        [OIDC_REDIRECT_URIS]  repeatable; comma-separated in the environment
//   --email, --password, --subject, --given-name, --family-name: the test account
//   --email-verified true|false   whether the account's e-mail is verified (true by default)
//   --profile standard|proconnect
//       standard: scopes openid email profile; claims only in userinfo (as oidc-provider does
//       for the code flow), plain JSON userinfo, RS256 ID tokens.
//       proconnect: ProConnect's shape: one scope per claim (given_name, usual_name, email,
//       siret, uid), no email_verified, acr "eidas1", ES256 ID tokens, userinfo signed (RS256).
//   --wrong-keys              publish signing keys that are not the ones the provider signs
//                             with (same key ids), to test that signatures are checked
//   --exit-with-stdin         exit when standard input closes (the parent test process died)

import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: opts } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.OIDC_PORT ?? '0' },
    'client-id': { type: 'string', default: process.env.OIDC_CLIENT_ID ?? 'essor-test' },
    'client-secret': { type: 'string', default: process.env.OIDC_CLIENT_SECRET },
    'redirect-uri': {
      type: 'string',
      multiple: true,
      default: (process.env.OIDC_REDIRECT_URIS ?? '').split(',').filter(Boolean),
    },
    email: { type: 'string', default: 'camille.martin@example.org' },
    password: { type: 'string', default: 'mot-de-passe-de-test' },
    subject: { type: 'string', default: 'test-account-1' },
    'given-name': { type: 'string', default: 'Camille' },
    'family-name': { type: 'string', default: 'Martin' },
    'email-verified': { type: 'string', default: 'true' },
    profile: { type: 'string', default: 'standard' },
    'wrong-keys': { type: 'boolean', default: false },
    'exit-with-stdin': { type: 'boolean', default: false },
  },
  strict: true,
});

function fail(message) {
  process.stderr.write(`oidc-provider: ${message}\n`);
  process.exit(2);
}

if (!opts['client-secret']) fail('--client-secret (or OIDC_CLIENT_SECRET) is required');
if (opts['redirect-uri'].length === 0) fail('at least one --redirect-uri (or OIDC_REDIRECT_URIS) is required');
if (!['standard', 'proconnect'].includes(opts.profile)) fail(`unknown profile ${opts.profile}`);
const proconnect = opts.profile === 'proconnect';

const account = {
  sub: opts.subject,
  email: opts.email,
  password: opts.password,
  given_name: opts['given-name'],
  family_name: opts['family-name'],
  email_verified: opts['email-verified'] === 'true',
  siret: '20004071500012',
};

function privateJwk(type, params, alg) {
  const { privateKey } = crypto.generateKeyPairSync(type, params);
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, alg, use: 'sig' };
}

function signingKeys() {
  const rsa = { ...privateJwk('rsa', { modulusLength: 2048 }, 'RS256'), kid: 'rsa-1' };
  const ec = { ...privateJwk('ec', { namedCurve: 'P-256' }, 'ES256'), kid: 'ec-1' };
  return [rsa, ec];
}

function publicJwk(jwk) {
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  return { ...key.export({ format: 'jwk' }), kid: jwk.kid, alg: jwk.alg, use: 'sig' };
}

const keys = signingKeys();
// Same key ids, other keys: what a forged token would be checked against.
const impostorKeys = opts['wrong-keys'] ? signingKeys() : [];

const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(opts.port), '127.0.0.1', resolve);
});
const { port } = server.address();
const issuer = `http://127.0.0.1:${port}`;

const claims = proconnect
  ? {
    openid: ['sub'],
    email: ['email'],
    given_name: ['given_name'],
    usual_name: ['usual_name'],
    siret: ['siret'],
    uid: ['uid'],
  }
  : {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name'],
  };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: opts['client-id'],
      client_secret: opts['client-secret'],
      redirect_uris: opts['redirect-uri'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: proconnect ? 'ES256' : 'RS256',
      ...(proconnect ? { userinfo_signed_response_alg: 'RS256' } : {}),
    },
  ],
  jwks: { keys },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims,
  acrValues: ['eidas1'],
  scopes: proconnect ? ['openid', 'email', 'given_name', 'usual_name', 'siret', 'uid'] : ['openid', 'email', 'profile'],
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    jwtUserinfo: { enabled: proconnect },
  },
  enabledJWA: {
    idTokenSigningAlgValues: ['RS256', 'ES256'],
    userinfoSigningAlgValues: ['RS256', 'ES256'],
  },
  pkce: { required: () => true },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, sub) {
    if (sub !== account.sub) return undefined;
    return {
      accountId: account.sub,
      async claims() {
        return proconnect
          ? {
            sub: account.sub,
            email: account.email,
            given_name: account.given_name,
            usual_name: account.family_name,
            siret: account.siret,
            uid: account.sub,
          }
          : {
            sub: account.sub,
            email: account.email,
            email_verified: account.email_verified,
            given_name: account.given_name,
            family_name: account.family_name,
          };
      },
    };
  },
  renderError(ctx, out) {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = `${out.error}: ${out.error_description ?? ''}\n`;
  },
});

for (const event of ['server_error', 'authorization.error', 'grant.error', 'userinfo.error']) {
  provider.on(event, (_ctx, err) => process.stderr.write(`oidc-provider ${event}: ${err?.message} ${err?.error_description ?? ''}\n`));
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, error) {
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Connexion (fournisseur de test)</title></head>
<body>
<h1>Fournisseur OpenID de test</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Identifiant <input name="login" type="email" autocomplete="username"></label>
<label>Mot de passe <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Se connecter</button>
</form>
</body></html>
`;
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function grantConsent(req, res, details) {
  const { params, session, prompt } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (details.prompt.name === 'consent') {
    await grantConsent(req, res, details);
    return;
  }
  if (req.method === 'GET' && !action) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(loginPage(uid));
    return;
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    if (form.get('login') !== account.email || form.get('password') !== account.password) {
      res.writeHead(401, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(loginPage(uid, 'Identifiant ou mot de passe incorrect.'));
      return;
    }
    const acr = proconnect || details.params.acr_values ? 'eidas1' : undefined;
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: account.sub, ...(acr ? { acr } : {}) } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  res.writeHead(405, { 'content-type': 'text/plain' });
  res.end('method not allowed\n');
}

const providerCallback = provider.callback();
server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    const match = url.pathname.match(/^\/interaction\/([^/]+)(?:\/(login))?$/);
    if (match) {
      await interaction(req, res, match[1], match[2]);
      return;
    }
    if (opts['wrong-keys'] && url.pathname === '/jwks') {
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      res.end(JSON.stringify({ keys: impostorKeys.map(publicJwk) }));
      return;
    }
    providerCallback(req, res);
  } catch (err) {
    process.stderr.write(`oidc-provider interaction error: ${err.stack ?? err}\n`);
    if (!res.headersSent) {
      res.writeHead(400, { 'content-type': 'text/plain' });
    }
    res.end(`interaction error: ${err.message}\n`);
  }
});

if (opts['exit-with-stdin']) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('close', () => process.exit(0));
  process.stdin.resume();
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}

process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
