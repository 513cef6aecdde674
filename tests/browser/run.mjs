// Browser checks of every public page of essor.
//
// Starts `essor serve` on a free port and a fresh data folder, crawls the site from `/` and
// `/plan-du-site`, and checks each page in headless Chromium: status and content type, French
// language, landmarks and skip link, axe-core (WCAG 2.1 A/AA), rendering without JavaScript,
// keyboard reach and visible focus in the navigation, console errors, and that no request leaves
// the server. Prints one line per page and closes with `N passed, M failed`.
//
// Environment:
//   ESSOR_BIN             the essor binary (default: <repo>/target/release/essor, or
//                         $CARGO_TARGET_DIR/release/essor when that is set)
//   ESSOR_URL             check an already running server instead of starting one
//   ESSOR_DATABASE_URL    passed through to the server (PostgreSQL instead of SQLite)
//   ESSOR_CHROMIUM        the Chromium executable (default: /usr/bin/chromium)
//   ESSOR_MAX_PAGES       crawl cap (default: 300)
//   ESSOR_START_TIMEOUT   seconds to wait for /healthz (default: 120)
//   ESSOR_VERBOSE=1       also print what was checked on pages that pass

import { spawn, spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const MAX_PAGES = Number(process.env.ESSOR_MAX_PAGES ?? 300);
const START_TIMEOUT_MS = Number(process.env.ESSOR_START_TIMEOUT ?? 120) * 1000;
const NAV_TIMEOUT_MS = 20_000;
const MAX_TABS = 600;
const VERBOSE = process.env.ESSOR_VERBOSE === '1';
const CHROMIUM = process.env.ESSOR_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Belt and braces: no name resolves except the loopback, so nothing can leave the machine;
  // the request is still recorded, and reported, before it fails.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];
const AXE_OPTIONS = {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  resultTypes: ['violations'],
};
// Paths that are not pages: assets, the API, and files offered for download.
// Pages of which the crawl checks only a sample: they share one template.
const SAMPLED = [
  [/^\/acteurs\/\d{14}$/, 6],
  [/^\/acteurs\/carte\?/, 1],
  [/^\/(acteurs|widget\/acteurs)\?/, 4],
];
const NOT_A_PAGE = /^\/(static|api)(\/|$)|\.(csv|json|geojson|xlsx?|ods|pdf|zip|xml|txt|svg|png|jpe?g|webp|ico)$/i;

function binaryPath() {
  const fromEnv = process.env.ESSOR_BIN;
  if (fromEnv) return isAbsolute(fromEnv) ? fromEnv : resolve(process.cwd(), fromEnv);
  const targetDir = process.env.CARGO_TARGET_DIR
    ? resolve(repoRoot, process.env.CARGO_TARGET_DIR)
    : join(repoRoot, 'target');
  return join(targetDir, 'release', 'essor');
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function tailOf(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

// Starts the server and resolves once /healthz answers; rejects if the process exits first or
// the deadline passes.
async function startServer(logFile) {
  const bin = binaryPath();
  if (!existsSync(bin)) {
    throw new Error(`binaire introuvable : ${bin} (construire avec « cargo build --release » ou définir ESSOR_BIN)`);
  }
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'essor-browser-'));
  const addr = `127.0.0.1:${port}`;
  const log = createWriteStream(logFile);
  // The stories sign in, sign up and confirm second factors many times from this one address
  // within a minute, more quickly the faster the machine: the rate limit (10 attempts a minute
  // by default, tested by the web tests) is raised for them.
  const child = spawn(bin, ['serve', '--addr', addr, '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ESSOR_ATTEMPTS_PER_MINUTE: '1000' },
  });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  let exited = null;
  const exit = new Promise((resolveExit) => {
    // 'close' rather than 'exit': it comes once the output pipes are drained into the log.
    child.on('close', (code, signal) => {
      exited = { code, signal };
      resolveExit(exited);
    });
    child.on('error', (error) => {
      exited = { error };
      resolveExit(exited);
    });
  });
  const server = { child, dataDir, baseUrl: `http://${addr}`, exit, log };
  const deadline = Date.now() + START_TIMEOUT_MS;
  const started = Date.now();
  for (;;) {
    if (exited) {
      await stopServer(server);
      throw new Error(
        `le serveur s'est arrêté avant de répondre (${JSON.stringify(exited)}) ; fin du journal :\n${tailOf(logFile)}`,
      );
    }
    if (Date.now() > deadline) {
      await stopServer(server);
      throw new Error(
        `/healthz n'a pas répondu en ${START_TIMEOUT_MS / 1000} s ; fin du journal :\n${tailOf(logFile)}`,
      );
    }
    try {
      const response = await fetch(`${server.baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) {
        console.log(`serveur prêt sur ${server.baseUrl} en ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return server;
      }
    } catch {
      // Not listening yet.
    }
    // Wait for the next poll, or for the process to exit, whichever comes first.
    await Promise.race([exit, new Promise((r) => setTimeout(r, 100))]);
  }
}

async function stopServer(server) {
  if (!server) return;
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await server.exit;
    clearTimeout(timer);
  }
  await new Promise((done) => server.log.end(done));
  await rm(server.dataDir, { recursive: true, force: true });
}

// Hosts that count as "the server": anything on loopback.
function isLocal(url) {
  if (/^(data|blob|about):/.test(url)) return true;
  try {
    const { hostname } = new URL(url);
    return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
  } catch {
    return false;
  }
}

// Records console errors, page errors and non-local requests of one page.
function watch(page) {
  const seen = { consoleErrors: [], externalRequests: [] };
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const where = message.location()?.url;
    seen.consoleErrors.push(where ? `${message.text()} (${where})` : message.text());
  });
  page.on('pageerror', (error) => seen.consoleErrors.push(`exception : ${error.message}`));
  page.on('request', (request) => {
    if (!isLocal(request.url())) seen.externalRequests.push(request.url());
  });
  return seen;
}

const normalise = (text) => (text ?? '').replace(/\s+/g, ' ').trim();

function pageLinks(page, baseUrl) {
  return page.$$eval('a[href]', (anchors) =>
    anchors.filter((a) => !a.hasAttribute('download')).map((a) => a.href),
  ).then((hrefs) => {
    const origin = new URL(baseUrl).origin;
    const out = [];
    for (const href of hrefs) {
      let url;
      try {
        url = new URL(href);
      } catch {
        continue;
      }
      if (url.origin !== origin || NOT_A_PAGE.test(url.pathname)) continue;
      url.hash = '';
      out.push(url.pathname + url.search);
    }
    return out;
  });
}

async function runAxe(page) {
  await page.addScriptTag({ content: axeSource });
  const results = await page.evaluate((options) => window.axe.run(document, options), AXE_OPTIONS);
  return results.violations;
}

function describeViolations(violations) {
  return violations.map((v) => {
    const targets = v.nodes
      .slice(0, 3)
      .map((node) => node.target.join(' '))
      .join(' | ');
    const more = v.nodes.length > 3 ? ` (+${v.nodes.length - 3} autres)` : '';
    return `axe ${v.id} [${v.impact}] ${v.help} — ${targets}${more}`;
  });
}

// Runs in the page before the Tab walk: records the unfocused style of every focusable element,
// to compare with its style once focused, and the navigation's links and buttons to reach.
function prepareKeyboardProbe() {
  const selector =
    'a[href], area[href], button, input, select, textarea, summary, iframe, [tabindex], [contenteditable=""], [contenteditable="true"]';
  const focusables = [...document.querySelectorAll(selector)].filter(
    (el) => !el.disabled && el.tabIndex >= 0 && el.checkVisibility({ visibilityProperty: true }),
  );
  const styleOf = (el) => {
    const s = getComputedStyle(el);
    return {
      outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor} ${s.outlineOffset}`,
      outlineVisible:
        s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 && !/rgba\(.*,\s*0\)$|transparent/.test(s.outlineColor),
      boxShadow: s.boxShadow,
    };
  };
  const baseline = new Map(focusables.map((el) => [el, styleOf(el)]));
  // Every visible link and button of the navigation, including any wrongly taken out of the
  // tab order (tabindex="-1"), which the walk then reports as unreached.
  const nav = [...document.querySelectorAll('nav a[href], nav button, [role=navigation] a[href], [role=navigation] button')].filter(
    (el) => !el.disabled && el.checkVisibility({ visibilityProperty: true }),
  );
  window.__essorProbe = { baseline, nav, reached: new Set(), styleOf };
  return { focusables: focusables.length, nav: nav.length };
}

function probeFocus() {
  const probe = window.__essorProbe;
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return { none: true };
  const label =
    el.tagName.toLowerCase() +
    (el.id ? `#${el.id}` : '') +
    (el.getAttribute('href') ? `[href="${el.getAttribute('href')}"]` : '') +
    ` « ${(el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40)} »`;
  const before = probe.baseline.get(el);
  const now = probe.styleOf(el);
  let indicator = true;
  if (before) {
    const outlineChanged = now.outline !== before.outline && now.outlineVisible;
    const shadowChanged = now.boxShadow !== before.boxShadow && now.boxShadow !== 'none';
    indicator = outlineChanged || shadowChanged;
  }
  const isNav = probe.nav.includes(el);
  if (isNav) probe.reached.add(el);
  return {
    label,
    indicator,
    known: Boolean(before),
    allNavReached: probe.reached.size === probe.nav.length,
  };
}

function unreachedNav() {
  const probe = window.__essorProbe;
  return probe.nav
    .filter((el) => !probe.reached.has(el))
    .map((el) => `${el.tagName.toLowerCase()}[href="${el.getAttribute('href') ?? ''}"] « ${el.innerText.trim().slice(0, 40)} »`);
}

async function keyboardChecks(page, url, problems, stats) {
  // 1. Tab walk from a fresh load: the first stop is the skip link; every stop shows focus;
  //    every link and button of the navigation is reached.
  await page.goto(url, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
  const counts = await page.evaluate(prepareKeyboardProbe);
  stats.push(`${counts.focusables} focalisables, ${counts.nav} dans <nav>`);
  const noIndicator = [];
  const seen = new Set();
  let stops = 0;
  let first = null;
  let allNavReached = await page.evaluate(() => window.__essorProbe.nav.length === 0);
  for (let i = 0; i < MAX_TABS; i++) {
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(probeFocus);
    if (i === 0) first = focus;
    if (focus.none) break; // focus left the document: the walk is complete
    if (seen.has(focus.label) && i > 0 && focus.label === first.label) break; // wrapped around
    seen.add(focus.label);
    stops++;
    if (!focus.indicator) noIndicator.push(focus.label);
    allNavReached = focus.allNavReached;
    if (allNavReached && i > 40) break; // long pages: nav done and a fair sample of focus styles checked
  }
  stats.push(`${stops} arrêts de Tab vérifiés`);
  if (!allNavReached) {
    const missing = await page.evaluate(unreachedNav);
    if (missing.length) problems.push(`clavier : éléments de <nav> jamais atteints par Tab : ${missing.slice(0, 5).join(', ')}`);
  }
  if (noIndicator.length) {
    problems.push(
      `clavier : focus sans indicateur visible (outline ou box-shadow inchangés) sur ${noIndicator.length} élément(s) : ${[...new Set(noIndicator)].slice(0, 5).join(', ')}`,
    );
  }

  // 2. Skip link: first focusable element, pointing at <main>, and activating it moves focus
  //    (or the sequential focus starting point) into the main content.
  await page.goto(url, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
  await page.keyboard.press('Tab');
  const skip = await page.evaluate(() => {
    const el = document.activeElement;
    const main = document.querySelector('main, [role=main]');
    const href = el && el.tagName === 'A' ? el.getAttribute('href') : null;
    return { href, tag: el ? el.tagName.toLowerCase() : null, mainId: main ? main.id : null };
  });
  if (!skip.href || !skip.href.startsWith('#')) {
    problems.push(`lien d'évitement : le premier élément focalisable est <${skip.tag}> ${skip.href ?? ''}, pas un lien vers #contenu`);
    return;
  }
  if (!skip.mainId || skip.href !== `#${skip.mainId}`) {
    problems.push(`lien d'évitement : ${skip.href} ne pointe pas vers <main id="${skip.mainId ?? ''}">`);
    return;
  }
  await page.keyboard.press('Enter');
  const inMain = () =>
    page.evaluate(() => {
      const main = document.querySelector('main, [role=main]');
      const el = document.activeElement;
      return { inside: Boolean(el && main && main.contains(el)), tag: el ? el.tagName.toLowerCase() : null };
    });
  let after = await inMain();
  if (!after.inside) {
    // Focus may stay on <body> while the sequential focus starting point moves to the target:
    // the next Tab must then land inside <main>.
    await page.keyboard.press('Tab');
    after = await inMain();
    if (!after.inside) {
      problems.push(`lien d'évitement : après activation, le focus va sur <${after.tag}> hors de <main> (ajouter tabindex="-1" à <main> ?)`);
    }
  }
}

async function checkPage(ctx, path) {
  const { jsContext, noJsContext, baseUrl } = ctx;
  const url = baseUrl + path;
  const problems = [];
  let details = [];
  let links = [];
  const stats = [];
  const page = await jsContext.newPage();
  const seen = watch(page);
  try {
    const response = await page.goto(url, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    const status = response?.status();
    const type = response?.headers()['content-type'] ?? '';
    if (status !== 200) problems.push(`statut HTTP ${status}`);
    if (!type.startsWith('text/html')) {
      problems.push(`type « ${type} » au lieu de text/html`);
      return { problems, details, links, stats };
    }
    links = await pageLinks(page, baseUrl);

    const facts = await page.evaluate(() => ({
      lang: document.documentElement.getAttribute('lang'),
      mains: document.querySelectorAll('main, [role=main]').length,
      h1: document.querySelector('h1')?.textContent ?? null,
      title: document.title,
    }));
    if (facts.lang !== 'fr' && !/^fr-/.test(facts.lang ?? '')) problems.push(`<html lang="${facts.lang ?? ''}"> au lieu de "fr"`);
    if (facts.mains !== 1) problems.push(`${facts.mains} repère(s) <main> au lieu d'un seul`);
    if (!normalise(facts.h1)) problems.push('pas de <h1>');
    if (!normalise(facts.title)) problems.push('pas de <title>');

    const violations = await runAxe(page);
    if (violations.length) {
      problems.push(`${violations.length} violation(s) axe-core : ${violations.map((v) => v.id).join(', ')}`);
      details = details.concat(describeViolations(violations));
    }

    stats.push(`axe : ${AXE_OPTIONS.runOnly.values.join('/')}`);
    await keyboardChecks(page, url, problems, stats);

    // Without JavaScript: same <h1>, main content present.
    const plain = await noJsContext.newPage();
    const plainSeen = watch(plain);
    try {
      const plainResponse = await plain.goto(url, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
      if (plainResponse?.status() !== 200) problems.push(`sans JavaScript : statut HTTP ${plainResponse?.status()}`);
      const plainFacts = await plain.evaluate(() => ({
        h1: document.querySelector('h1')?.textContent ?? '',
        main: document.querySelector('main, [role=main]')?.innerText ?? '',
      }));
      const h1 = normalise(plainFacts.h1);
      if (h1 !== normalise(facts.h1)) problems.push(`sans JavaScript : <h1> « ${h1} » au lieu de « ${normalise(facts.h1)} »`);
      const mainText = normalise(plainFacts.main);
      if (!mainText) problems.push('sans JavaScript : <main> absent ou vide');
      seen.externalRequests.push(...plainSeen.externalRequests);
      seen.consoleErrors.push(...plainSeen.consoleErrors.map((e) => `(sans JS) ${e}`));
    } finally {
      await plain.close();
    }
  } catch (error) {
    problems.push(`erreur du test : ${error.message.split('\n')[0]}`);
  } finally {
    await page.close();
  }
  if (seen.consoleErrors.length) {
    problems.push(`${new Set(seen.consoleErrors).size} erreur(s) de console`);
    details = details.concat([...new Set(seen.consoleErrors)].slice(0, 5).map((e) => `console : ${e}`));
  }
  if (seen.externalRequests.length) {
    problems.push(`${new Set(seen.externalRequests).size} requête(s) hors du serveur`);
    details = details.concat([...new Set(seen.externalRequests)].slice(0, 5).map((u) => `requête externe : ${u}`));
  }
  return { problems, details, links, stats };
}

// What a check of several pages collects: its problems, their details, and an axe-core pass
// that adds to both.
function findings() {
  const found = { problems: [], details: [] };
  found.audit = async (page, label) => {
    const violations = await runAxe(page);
    if (violations.length) {
      found.problems.push(`${label} : ${violations.length} violation(s) axe-core : ${violations.map((v) => v.id).join(', ')}`);
      found.details.push(...describeViolations(violations));
    }
  };
  return found;
}

// The text of the first element a selector finds, or '' at once when there is none (a locator's
// textContent would wait for one to appear).
async function textIfAny(page, selector) {
  const found = page.locator(selector).first();
  return (await found.count()) ? normalise(await found.textContent()) : '';
}

// Decodes the text of a mail file (.eml as written to the outbox): quoted-printable soft line
// breaks and escapes, or base64 parts.
function mailText(raw) {
  const qp = raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
  const parts = [qp];
  for (const block of raw.split(/\r?\n\r?\n/)) {
    const compact = block.replace(/\s+/g, '');
    if (/^[A-Za-z0-9+/=]{40,}$/.test(compact)) parts.push(Buffer.from(compact, 'base64').toString('latin1'));
  }
  return parts.join('\n');
}

// Sign-up, confirmation by the mail's link, sign-in and sign-out, as a person would, with
// axe-core on every page met (the forms with their errors too), with and without JavaScript.
async function checkAccountFlow(ctx, server) {
  const { problems, details, audit } = findings();
  const email = `personne-${randomBytes(3).toString('hex')}@example.fr`;
  const password = 'une phrase de passe pour les tests';
  const page = await ctx.jsContext.newPage();
  try {
    await page.goto(`${ctx.baseUrl}/inscription`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    await audit(page, 'inscription');
    // Errors first: the summary and the fields must stay accessible.
    await page.fill('#name', 'Camille Martin');
    await page.fill('#email', 'pas-une-adresse');
    await page.fill('#password', 'court');
    await page.fill('#password_confirmation', 'autre');
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    if (!(await page.locator('.alerte-erreur').count())) problems.push("inscription invalide : pas de résumé d'erreurs");
    await audit(page, 'inscription avec erreurs');
    await page.fill('#email', email);
    await page.fill('#password', password);
    await page.fill('#password_confirmation', password);
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    const h1 = normalise(await page.textContent('h1'));
    if (h1 !== 'Vérifiez votre messagerie') problems.push(`après inscription : <h1> « ${h1} »`);
    await audit(page, 'inscription envoyée');

    // The confirmation mail, from the outbox of the server's data folder.
    const outbox = join(server.dataDir, 'outbox');
    let link = null;
    for (let i = 0; i < 50 && !link; i++) {
      const files = existsSync(outbox) ? await readdir(outbox) : [];
      for (const file of files) {
        const text = mailText(await readFile(join(outbox, file), 'latin1'));
        if (!text.includes(email)) continue;
        const match = text.match(/\/inscription\/confirmation\?jeton=[A-Za-z0-9_-]+/);
        if (match) link = match[0];
      }
      if (!link) await new Promise((r) => setTimeout(r, 100));
    }
    if (!link) {
      problems.push("pas de courriel de confirmation dans le dossier d'envoi");
      return { problems, details };
    }
    await page.goto(ctx.baseUrl + link, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    if (normalise(await page.textContent('h1')) !== 'Adresse confirmée') problems.push('confirmation : adresse non confirmée');
    await audit(page, 'adresse confirmée');

    // Sign in without JavaScript (plain forms), then with.
    for (const [label, context] of [['sans JavaScript', ctx.noJsContext], ['avec JavaScript', ctx.jsContext]]) {
      const p = await context.newPage();
      try {
        await p.goto(`${ctx.baseUrl}/compte`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
        if (!p.url().includes('/connexion')) problems.push(`${label} : /compte ne mène pas à la connexion`);
        if (context === ctx.jsContext) await audit(p, 'connexion');
        await p.fill('#email', email);
        await p.fill('#password', password);
        await Promise.all([p.waitForNavigation(), p.click('main button[type=submit]')]);
        const title = normalise(await p.textContent('h1'));
        if (title !== 'Mon compte') problems.push(`${label} : après connexion, <h1> « ${title} »`);
        if (context === ctx.jsContext) await audit(p, 'mon compte');
        if (context === ctx.jsContext) {
          // Personal API tokens: the page, a token created (shown once), then revoked.
          await p.goto(`${ctx.baseUrl}/compte/jetons`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
          if (normalise(await p.textContent('h1')) !== 'Jetons d’API') problems.push('jetons : pas de page « Jetons d’API »');
          await audit(p, 'jetons d’API');
          await Promise.all([p.waitForNavigation(), p.click('form[action="/compte/jetons"] button')]);
          await audit(p, 'jeton : erreurs');
          await p.fill('#nom', 'Logiciel de gestion');
          await Promise.all([p.waitForNavigation(), p.click('form[action="/compte/jetons"] button')]);
          if (!(await p.locator('#jeton-cree').count())) problems.push('jetons : le jeton créé n’est pas affiché');
          await audit(p, 'jeton créé');
          await Promise.all([p.waitForNavigation(), p.click('form[action$="/revoquer"] button')]);
          await audit(p, 'jeton révoqué');
          await p.goto(`${ctx.baseUrl}/compte`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
        }
        await Promise.all([p.waitForNavigation(), p.click('form[action="/deconnexion"] button')]);
        await p.goto(`${ctx.baseUrl}/compte`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
        if (!p.url().includes('/connexion')) problems.push(`${label} : toujours connecté après la déconnexion`);
      } finally {
        await p.close();
      }
    }
  } catch (error) {
    problems.push(`erreur du test : ${error.message.split('\n')[0]}`);
  } finally {
    await page.close();
  }
  return { problems, details, account: { email, password } };
}

// An actor proposed for the directory by the account of the account flow: the form, its
// errors, the confirmation and the list of one's proposals, with axe-core on each.
async function checkProposal(ctx, account) {
  const { problems, details, audit } = findings();
  const page = await ctx.jsContext.newPage();
  const name = `Atelier essai ${randomBytes(3).toString('hex')}`;
  try {
    await page.goto(`${ctx.baseUrl}/acteurs/proposer`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    if (!page.url().includes('/connexion')) problems.push('/acteurs/proposer ne mène pas à la connexion');
    await page.fill('#email', account.email);
    await page.fill('#password', account.password);
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    if (!new URL(page.url()).pathname.endsWith('/acteurs/proposer')) problems.push(`après connexion : ${page.url()}`);
    await audit(page, 'proposer un acteur');
    // Nothing filled: a summary of errors, each naming its field.
    await Promise.all([page.waitForNavigation(), page.click('main form.formulaire button[type=submit]')]);
    const summary = normalise(await page.locator('#erreurs').textContent().catch(() => ''));
    for (const field of ['Nom', 'Famille', 'Commune', 'Message']) {
      if (!summary.includes(`${field} :`)) problems.push(`proposition vide : pas d'erreur pour « ${field} »`);
    }
    await audit(page, 'proposition avec erreurs');
    await page.fill('#nom', name);
    await page.selectOption('#famille', 'association');
    await page.selectOption('#commune', { index: 1 });
    await page.fill('#message', "Un atelier de réparation ouvert le mois dernier, dont je suis bénévole.");
    await Promise.all([page.waitForNavigation(), page.click('main form.formulaire button[type=submit]')]);
    if (await page.locator('#confirmer').count()) {
      await page.check('#confirmer');
      await Promise.all([page.waitForNavigation(), page.click('main form.formulaire button[type=submit]')]);
    }
    if (!(await page.locator('[role=status]', { hasText: 'Votre proposition est enregistrée' }).count())) problems.push('proposition : pas de confirmation');
    if (!(await page.locator('table td', { hasText: name }).count())) problems.push('proposition : absente de « Mes propositions »');
    await audit(page, 'proposition enregistrée');
  } catch (error) {
    problems.push(`erreur du test : ${error.message.split('\n')[0]}`);
  } finally {
    await page.close();
  }
  return { problems, details };
}

// A funding dossier started by the account of the account flow, once attached to a structure of
// the directory from the command line: the list, the application form, its errors; axe-core on
// each.
async function checkDossier(ctx, server, account) {
  const { problems, details, audit } = findings();
  const page = await ctx.jsContext.newPage();
  try {
    const found = await (await fetch(`${ctx.baseUrl}/api/v1/acteurs?q=`)).json();
    const siret = found.hits.map((h) => h.siret).find((s) => /^\d{14}$/.test(s));
    if (!siret) {
      problems.push("aucun établissement dans l'annuaire");
      return { problems, details };
    }
    const attached = spawnSync(binaryPath(), ['--data-dir', server.dataDir, 'user', 'structure', account.email, siret.slice(0, 9)], {
      env: { ...process.env, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    if (attached.status !== 0) {
      problems.push(`essor user structure : ${attached.stderr.trim()}`);
      return { problems, details };
    }
    await page.goto(`${ctx.baseUrl}/dossiers`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    if (page.url().includes('/connexion')) {
      await page.fill('#email', account.email);
      await page.fill('#password', account.password);
      await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    }
    await audit(page, 'mes dossiers');
    await page.selectOption('#siret', siret);
    await page.fill('#titre', 'Atelier de réparation');
    await Promise.all([page.waitForNavigation(), page.click('main form.formulaire button[type=submit]')]);
    if (!/\/dossiers\/\d+$/.test(new URL(page.url()).pathname)) {
      problems.push(`nouveau dossier : adresse inattendue ${page.url()}`);
      return { problems, details };
    }
    if (!(await page.locator('h2', { hasText: 'Avant de déposer' }).count())) problems.push('dossier : pas de liste de contrôle');
    await audit(page, 'dossier (brouillon)');
    // A piece of the application: a PDF uploaded, then listed with its link.
    await page.selectOption('#nature', 'statuts');
    await page.setInputFiles('#piece_dossier', { name: 'statuts.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
    await Promise.all([page.waitForNavigation(), page.click('#pieces form[enctype] button[type=submit]')]);
    if (!(await page.locator('#pieces a', { hasText: 'statuts.pdf' }).count())) problems.push("dossier : la pièce ajoutée n'est pas listée");
    await audit(page, 'dossier avec une pièce');
    await page.fill('#montant_demande', 'douze mille');
    await Promise.all([page.waitForNavigation(), page.click('main form.formulaire button[type=submit]')]);
    if (!normalise(await page.locator('#erreurs').textContent().catch(() => '')).includes('Montant demandé :')) {
      problems.push("dossier : pas d'erreur pour le montant");
    }
    await audit(page, 'dossier avec erreurs');
    // The complete application, balanced to the cent, then submitted.
    await page.fill('#titre', 'Atelier de réparation de vélos');
    await page.fill('#resume', 'Un atelier solidaire où chacun apprend à réparer son vélo.');
    await page.fill('#description', 'Deux mécaniciens en insertion, un local en rez-de-chaussée, des ateliers ouverts trois jours par semaine.');
    const commune = await page.locator('#communes option').first().getAttribute('value');
    await page.selectOption('#communes', [commune]);
    const axis = await page.locator('#axe option:not([value=""])').first().getAttribute('value');
    await page.selectOption('#axe', axis);
    await page.fill('#emplois_crees', '2');
    await page.fill('#emplois_consolides', '1');
    await page.fill('#montant_demande', '12 000');
    await page.fill('#depenses_1_libelle', 'Outillage et local');
    await page.fill('#depenses_1_montant', '20 000,00');
    await page.fill('#ressources_1_libelle', 'Métropole (demandé)');
    await page.fill('#ressources_1_montant', '12 000');
    await page.fill('#ressources_2_libelle', 'Région');
    await page.fill('#ressources_2_montant', '8 000');
    await Promise.all([page.waitForNavigation(), page.click('main form.formulaire button[type=submit]')]);
    const left = await textIfAny(page, '.liste-controle');
    if (left) problems.push(`dossier complet : la liste de contrôle n'est pas vide (${left})`);
    await Promise.all([page.waitForNavigation(), page.click('#depot button[type=submit]')]);
    if (await page.locator('#depot').count()) {
      problems.push(`dépôt : le dossier n'a pas été déposé (${await textIfAny(page, '#erreurs')})`);
    }
    await audit(page, 'dossier déposé');
  } catch (error) {
    problems.push(`erreur du test : ${error.message.split('\n')[0]}`);
  } finally {
    await page.close();
  }
  return { problems, details };
}

// A time-based one-time code (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) of a base32 secret.
function totpCode(secret) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/[=\s]/g, '').toUpperCase()) {
    const value = alphabet.indexOf(c);
    if (value >= 0) bits += value.toString(2).padStart(5, '0');
  }
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000)));
  const mac = createHmac('sha1', Buffer.from(bytes)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0');
}

// A chargée de mission created from the command line signs in, sets up her second factor, and
// opens the back office pages of the directory, of the dossiers (the proposal and the dossier
// of the checks above are there) and of the committees (a session planned, a member added, the
// dossier submitted above decided in session, the session held, its file and its minutes), and
// the webhooks; axe-core on each.
async function checkStaff(ctx, server) {
  const { problems, details, audit } = findings();
  const email = `agent-${randomBytes(3).toString('hex')}@example.fr`;
  const password = 'une phrase de passe pour les agents';
  const passwordFile = join(server.dataDir, 'mot-de-passe-agent');
  await writeFile(passwordFile, `${password}\n`);
  const added = spawnSync(
    binaryPath(),
    ['--data-dir', server.dataDir, 'user', 'add', '--email', email, '--role', 'charge_de_mission', '--role', 'administrateur', '--password-file', passwordFile],
    { env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8' },
  );
  if (added.status !== 0) {
    problems.push(`essor user add : ${added.stderr.trim()}`);
    return { problems, details };
  }
  const context = await ctx.jsContext.browser().newContext({ bypassCSP: true, locale: 'fr-FR' });
  const page = await context.newPage();
  try {
    await page.goto(`${ctx.baseUrl}/administration/dossiers?etat=brouillon`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    await page.fill('#email', email);
    await page.fill('#password', password);
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    const secret = await page.locator('input[name=secret]').getAttribute('value').catch(() => null);
    if (!secret) {
      problems.push(`double authentification : pas de clé sur ${page.url()}`);
      return { problems, details };
    }
    await audit(page, 'double authentification');
    await page.fill('#code', totpCode(secret));
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    await page.goto(`${ctx.baseUrl}/administration/dossiers?etat=brouillon`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    if (normalise(await page.textContent('h1')) !== 'Dossiers de subvention') {
      problems.push(`dossiers : <h1> « ${normalise(await page.textContent('h1'))} » sur ${page.url()}`);
      return { problems, details };
    }
    await audit(page, 'dossiers (équipe)');
    const first = page.locator('main table a').first();
    if (await first.count()) {
      await Promise.all([page.waitForNavigation(), first.click()]);
      if (!(await page.locator('h2', { hasText: 'Instruction' }).count())) problems.push("dossier (équipe) : pas de partie « Instruction »");
      await audit(page, 'dossier (équipe)');
      // The dashboard with filters combined, then a batch action and its report.
      await page.goto(`${ctx.baseUrl}/administration/dossiers?etat=tous&assigne=aucun&q=atelier`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
      if (!(await page.locator('h2', { hasText: 'Colonnes affichées' }).count())) problems.push('dossiers filtrés : pas de choix des colonnes');
      await audit(page, 'dossiers filtrés (équipe)');
      const box = page.locator('main input[name=dossiers]').first();
      if (await box.count()) {
        await box.check();
        await page.selectOption('#operation', 'etape');
        await Promise.all([page.waitForNavigation(), page.click('main form[action="/administration/dossiers/lot"] button[type=submit]')]);
        if (!(await page.locator('table', { hasText: 'refusé' }).count())) problems.push('action groupée : le brouillon n’est pas refusé');
        await audit(page, 'action groupée (équipe)');
      } else {
        problems.push('dossiers filtrés : aucun dossier « atelier »');
      }
    } else {
      problems.push('dossiers (équipe) : aucun brouillon listé');
    }
    // The demonstration dossiers of the first start: an accepted one, labelled, with its
    // publication as open data.
    await page.goto(`${ctx.baseUrl}/administration/dossiers?etat=accepte`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    const accepted = page.locator('main table a').first();
    if (await accepted.count()) {
      await Promise.all([page.waitForNavigation(), accepted.click()]);
      if (!(await page.locator('.bandeau-demo', { hasText: 'Données de démonstration' }).count())) problems.push('dossier de démonstration : pas de bandeau « Données de démonstration »');
      if (!(await page.locator('h2', { hasText: 'Publication en données ouvertes' }).count())) problems.push('dossier accepté : pas de partie « Publication en données ouvertes »');
      await audit(page, 'dossier accepté (démonstration)');
    } else {
      problems.push('dossiers (équipe) : aucun dossier accepté de démonstration');
    }
    await page.goto(`${ctx.baseUrl}/administration/annuaire`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    if (!(await page.locator('h2', { hasText: 'Acteurs proposés' }).count())) problems.push("annuaire (équipe) : pas de partie « Acteurs proposés »");
    await audit(page, 'annuaire (équipe)');
    const dossierUrl = await instructForCommittee(page, ctx, problems, audit);
    // Committees: the sessions, a new session, its members, the session's page and its file.
    await page.goto(`${ctx.baseUrl}/administration/comites`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    await audit(page, 'comités (équipe)');
    await page.selectOption('#comite', 'comite-pilotage');
    await page.fill('#date', '2026-12-01');
    await page.fill('#lieu', 'Hôtel de Métropole');
    await Promise.all([page.waitForNavigation(), page.click('main form[action="/administration/comites"] button[type=submit]')]);
    const sessionUrl = page.url();
    if (!(await page.locator('h2', { hasText: 'Ordre du jour' }).count())) problems.push(`séance de comité : pas de partie « Ordre du jour » sur ${sessionUrl}`);
    await page.goto(`${ctx.baseUrl}/administration/comites/membres`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    await page.fill('#nom', 'Claire Dupont');
    await page.fill('#qualite', 'Vice-présidente de la Métropole');
    await page.selectOption('#comite', 'comite-pilotage');
    await Promise.all([page.waitForNavigation(), page.click('main form[action="/administration/comites/membres"] button[type=submit]')]);
    await audit(page, 'membres des comités');
    await page.goto(sessionUrl, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    if (!(await page.locator('label', { hasText: 'Claire Dupont' }).count())) problems.push('séance de comité : le membre ajouté n’est pas proposé aux présences');
    await audit(page, 'séance de comité');
    if (dossierUrl) await decideInSession(page, dossierUrl, problems, audit);
    await page.goto(`${sessionUrl}/dossier-de-seance`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    await audit(page, 'dossier de séance');
    await page.goto(`${sessionUrl}/proces-verbal`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    await audit(page, 'procès-verbal');
    // Webhooks: the page, a refused address, an endpoint registered (its secret shown once) and
    // turned off at once (it receives nothing).
    await page.goto(`${ctx.baseUrl}/administration/webhooks`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    if (normalise(await page.textContent('h1')) !== 'Webhooks des dossiers') problems.push('webhooks : pas de page « Webhooks des dossiers »');
    await audit(page, 'webhooks');
    await page.fill('#url', 'http://127.0.0.1/essor');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/administration/webhooks"] button')]);
    if (!(await page.locator('#url-erreur').count())) problems.push('webhooks : une adresse locale est acceptée');
    await audit(page, 'webhooks : erreur');
    await page.fill('#url', 'https://8.8.8.8/essor');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/administration/webhooks"] button')]);
    if (!(await page.locator('#secret-cree').count())) problems.push('webhooks : le secret n’est pas affiché');
    await audit(page, 'webhook enregistré');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/etat"] button')]);
    await audit(page, 'webhook désactivé');
  } catch (error) {
    problems.push(`erreur du test : ${error.message.split('\n')[0]}`);
  } finally {
    await context.close();
  }
  return { problems, details };
}

// The chargée de mission takes the dossier submitted above through instruction to the
// committee: instruction, the mandatory checks, the committee's agenda; axe-core on the
// dossier's page. Its address, for the committee's decision.
async function instructForCommittee(page, ctx, problems, audit) {
  await page.goto(`${ctx.baseUrl}/administration/dossiers?etat=depose`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
  const submitted = page.locator('main table a', { hasText: 'Atelier de réparation de vélos' }).first();
  if (!(await submitted.count())) {
    problems.push('instruction : le dossier déposé n’est pas listé');
    return null;
  }
  await Promise.all([page.waitForNavigation(), submitted.click()]);
  const dossierUrl = page.url();
  const step = async (action) => {
    await page.check(`#action-${action}`);
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/etapes"] button[type=submit]')]);
    const error = await textIfAny(page, '#erreurs');
    if (error) problems.push(`étape « ${action} » : ${error}`);
  };
  await step('instruire');
  await audit(page, 'dossier en instruction');
  for (const check of await page.locator('input[name=controles]').all()) await check.check();
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/controles"] button[type=submit]')]);
  await step('comite');
  await audit(page, 'dossier prêt pour le comité');
  return dossierUrl;
}

// The committee in session decides that dossier: the attendance, the dossier put on the agenda,
// accepted with its conditions, the minutes drafted and saved, the session held (then
// read-only); the dossier is accepted. axe-core at each stage.
async function decideInSession(page, dossierUrl, problems, audit) {
  const submit = (form) => Promise.all([page.waitForNavigation(), page.click(`form[action$="${form}"] button[type=submit]`)]);
  const stopIfError = async (what) => {
    const error = await textIfAny(page, '#erreurs');
    if (error) problems.push(`${what} : ${error}`);
    return Boolean(error);
  };
  await page.locator('input[name=presents]').first().check();
  await submit('/presences');
  if (await stopIfError('présences')) return;
  const option = page.locator('#dossier option', { hasText: 'Atelier de réparation de vélos' }).first();
  if (!(await option.count())) {
    problems.push('séance de comité : le dossier prêt pour le comité n’est pas proposé');
    return;
  }
  await page.selectOption('#dossier', await option.getAttribute('value'));
  await submit('/ordre-du-jour');
  if (await stopIfError('ordre du jour')) return;
  const accept = page.locator('#decisions input[type=radio][value=accepte]').first();
  if (!(await accept.count())) {
    problems.push('séance de comité : aucun dossier à décider après l’inscription');
    return;
  }
  const item = (await accept.getAttribute('name')).replace(/^d_(\d+)_issue$/, '$1');
  await accept.check();
  await page.fill(`#d_${item}_montant`, '10 000');
  await page.fill(`#d_${item}_texte`, 'Rapport d’activité à six mois.');
  await audit(page, 'séance de comité : décisions saisies');
  await submit('/decisions');
  if (await stopIfError('décision en séance')) return;
  if (!(await page.locator('strong', { hasText: 'Décision : accord, 10 000,00 €' }).count())) problems.push('séance de comité : la décision n’est pas affichée');
  await audit(page, 'séance de comité : décision enregistrée');
  await Promise.all([page.waitForNavigation(), page.click('button[name=action][value=brouillon]')]);
  if (!(await page.inputValue('#proces_verbal')).includes('accord')) problems.push('procès-verbal : le brouillon ne reprend pas la décision');
  await Promise.all([page.waitForNavigation(), page.click('button[name=action][value=enregistrer]')]);
  if (await stopIfError('procès-verbal')) return;
  await Promise.all([page.waitForNavigation(), page.click('#tenue')]);
  if (await stopIfError('séance tenue')) return;
  if (!(await page.locator('.avis', { hasText: 'La séance est tenue' }).count())) problems.push('séance de comité : la séance n’est pas tenue');
  if (await page.locator('#decisions').count()) problems.push('séance tenue : les décisions restent modifiables');
  await audit(page, 'séance de comité tenue');
  const sessionUrl = page.url().split('?')[0];
  await page.goto(dossierUrl, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
  const state = normalise(await page.locator('.chapo').first().textContent());
  if (!state.includes('accepté')) problems.push(`décision en séance : le dossier n’est pas accepté (${state})`);
  await audit(page, 'dossier accepté');
  await page.goto(sessionUrl, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
}

// The directory: live search as one types, an actor's page, the map; axe-core on each state.
async function checkDirectory(ctx) {
  const { problems, details, audit } = findings();
  const page = await ctx.jsContext.newPage();
  const seen = watch(page);
  try {
    await page.goto(`${ctx.baseUrl}/acteurs`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    const before = normalise(await page.textContent('#resultats .total'));
    // Typing updates the results without a reload (the URL follows).
    await page.locator('#q').pressSequentially('ressourc', { delay: 30 });
    await page.waitForFunction(
      (previous) => {
        const total = document.querySelector('#resultats .total');
        return total && total.textContent.replace(/\s+/g, ' ').trim() !== previous;
      },
      before,
      { timeout: 10_000 },
    );
    if (!page.url().includes('q=ressourc')) problems.push(`recherche en direct : l'adresse ne suit pas (${page.url()})`);
    const first = page.locator('#resultats ol.resultats a').first();
    if (!(await first.count())) {
      problems.push('recherche « ressourc » : aucun résultat');
      return { problems, details };
    }
    await audit(page, 'annuaire après recherche');
    // A facet ticked by keyboard filters the list.
    const box = page.locator('#facettes input[type=checkbox]').first();
    await box.focus();
    await page.keyboard.press('Space');
    await page.waitForFunction(() => document.querySelector('#facettes input[type=checkbox]:checked'), null, { timeout: 10_000 });
    await audit(page, 'annuaire filtré');

    await Promise.all([page.waitForNavigation(), page.locator('#resultats ol.resultats a').first().click()]);
    if (!/\/acteurs\/\d{14}$/.test(new URL(page.url()).pathname)) problems.push(`fiche : adresse inattendue ${page.url()}`);
    if (!(await page.locator('h2', { hasText: 'Informations du répertoire SIRENE' }).count())) problems.push('fiche : pas de section SIRENE');
    await audit(page, "fiche d'acteur");

    await page.goto(`${ctx.baseUrl}/acteurs/carte?q=association`, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    await page.waitForSelector('.carte-acteurs.leaflet-container', { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelectorAll('.carte-acteurs canvas, .carte-acteurs path').length > 0, null, { timeout: 10_000 });
    await audit(page, 'carte');
    const errors = seen.consoleErrors;
    if (errors.length) problems.push(`erreurs de la console : ${errors.join(' | ')}`);
    if (seen.externalRequests.length) problems.push(`requêtes hors du serveur : ${seen.externalRequests.join(', ')}`);
  } catch (error) {
    problems.push(`erreur du test : ${error.message.split('\n')[0]}`);
  } finally {
    await page.close();
  }
  return { problems, details };
}

async function checkHealthz(baseUrl) {
  const response = await fetch(`${baseUrl}/healthz`);
  const body = (await response.text()).trim();
  const problems = [];
  if (response.status !== 200) problems.push(`statut HTTP ${response.status}`);
  if (body !== 'ok') problems.push(`corps « ${body.slice(0, 60)} » au lieu de « ok »`);
  return { problems, details: [] };
}

async function checkNotFound(ctx, path) {
  const page = await ctx.jsContext.newPage();
  const seen = watch(page);
  const problems = [];
  let details = [];
  try {
    const response = await page.goto(ctx.baseUrl + path, { waitUntil: 'load', timeout: NAV_TIMEOUT_MS });
    const type = response?.headers()['content-type'] ?? '';
    if (response?.status() !== 404) problems.push(`statut HTTP ${response?.status()} au lieu de 404`);
    if (!type.startsWith('text/html')) {
      problems.push(`type « ${type} » au lieu de text/html`);
      return { problems, details };
    }
    const facts = await page.evaluate(() => ({
      lang: document.documentElement.getAttribute('lang'),
      mains: document.querySelectorAll('main, [role=main]').length,
      h1: document.querySelector('h1')?.textContent ?? '',
    }));
    if (facts.lang !== 'fr' && !/^fr-/.test(facts.lang ?? '')) problems.push(`<html lang="${facts.lang ?? ''}"> au lieu de "fr"`);
    if (facts.mains !== 1) problems.push(`${facts.mains} repère(s) <main> au lieu d'un seul`);
    if (!normalise(facts.h1)) problems.push('pas de <h1>');
    const violations = await runAxe(page);
    if (violations.length) {
      problems.push(`${violations.length} violation(s) axe-core : ${violations.map((v) => v.id).join(', ')}`);
      details = describeViolations(violations);
    }
  } catch (error) {
    problems.push(`erreur du test : ${error.message.split('\n')[0]}`);
  } finally {
    await page.close();
  }
  // The browser reports the 404 status itself as a console error: that one is expected.
  const errors = seen.consoleErrors.filter((e) => !/status of 404/.test(e));
  if (errors.length) problems.push(`erreurs de console : ${errors.slice(0, 3).join(' | ')}`);
  if (seen.externalRequests.length) problems.push(`requêtes hors du serveur : ${seen.externalRequests.slice(0, 3).join(', ')}`);
  return { problems, details };
}

async function main() {
  let server = null;
  let browser = null;
  let passed = 0;
  let failed = 0;
  const report = (name, { problems, details, stats = [] }) => {
    if (problems.length === 0) {
      passed++;
      console.log(`ok ${name}`);
    } else {
      failed++;
      console.log(`ÉCHEC ${name}: ${problems.join(' ; ')}`);
      for (const line of details) console.log(`    ${line}`);
    }
    if (VERBOSE && stats.length) console.log(`    (${stats.join(' ; ')})`);
  };
  const cleanup = async () => {
    await browser?.close().catch(() => {});
    await stopServer(server).catch(() => {});
  };
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => cleanup().finally(() => process.exit(130)));
  }

  try {
    let baseUrl = process.env.ESSOR_URL?.replace(/\/$/, '');
    if (!baseUrl) {
      const resultsDir = join(here, 'results');
      await mkdir(resultsDir, { recursive: true });
      const backend = process.env.ESSOR_DATABASE_URL ? 'postgres' : 'sqlite';
      const logFile = join(resultsDir, `server-${backend}.log`);
      server = await startServer(logFile);
      baseUrl = server.baseUrl;
      console.log(`journal du serveur : ${logFile}`);
    }

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const jsContext = await browser.newContext({ bypassCSP: true, locale: 'fr-FR' });
    const noJsContext = await browser.newContext({ javaScriptEnabled: false, locale: 'fr-FR' });
    const ctx = { jsContext, noJsContext, baseUrl };

    report('/healthz', await checkHealthz(baseUrl));
    report('404', await checkNotFound(ctx, `/page-qui-n-existe-pas-${randomBytes(4).toString('hex')}`));

    const queue = ['/', '/plan-du-site'];
    const queued = new Set(queue);
    let capped = false;
    while (queue.length) {
      const path = queue.shift();
      const result = await checkPage(ctx, path);
      report(path, result);
      for (const link of result.links) {
        if (queued.has(link)) continue;
        // Pages of one kind are sampled: a few actors, the first pages of results.
        const kind = SAMPLED.find(([pattern]) => pattern.test(link));
        if (kind) {
          const [pattern, limit] = kind;
          const taken = [...queued].filter((p) => pattern.test(p)).length;
          if (taken >= limit) continue;
        }
        if (queued.size >= MAX_PAGES) {
          capped = true;
          continue;
        }
        queued.add(link);
        queue.push(link);
      }
    }
    console.log(`${queued.size} page(s) explorée(s)${capped ? ` (limite de ${MAX_PAGES} atteinte)` : ''}`);
    if (server) {
      const flow = await checkAccountFlow(ctx, server);
      report('comptes : inscription, confirmation, connexion, déconnexion', flow);
      if (flow.problems.length === 0) {
        report('annuaire : proposer un acteur absent', await checkProposal(ctx, flow.account));
        report('dossiers : commencer un dossier de subvention', await checkDossier(ctx, server, flow.account));
      }
      report("équipe : double authentification, dossiers, annuaire, comités", await checkStaff(ctx, server));
    }
    report('annuaire : recherche en direct, filtre, fiche, carte', await checkDirectory(ctx));
  } catch (error) {
    failed++;
    console.log(`ÉCHEC démarrage : ${error.message}`);
  } finally {
    await cleanup();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
