//! Test support (cargo feature `testing`): a real OpenID provider, panva's `oidc-provider` run by
//! Node.js from `tests/oidc-provider/`, and a browserless sign-in that drives its login form.
//!
//! ```no_run
//! # async fn example() {
//! use essor_auth::OidcClient;
//! use essor_auth::testing::OidcTestProvider;
//!
//! // `None` (with a line on stderr) when node is absent, unless ESSOR_REQUIRE_NODE=1.
//! let Some(provider) = OidcTestProvider::start() else { return };
//! let client = OidcClient::discover(provider.settings()).await.unwrap();
//! let (authorize_url, pending) = client.begin(OidcTestProvider::REDIRECT_URI).unwrap();
//! // What a browser would do: log in, consent, land on the redirect URI.
//! let landing = provider.sign_in(&authorize_url).await.unwrap();
//! let (code, state) = essor_auth::testing::code_and_state(&landing).unwrap();
//! let identity = client.complete(pending, &code, &state).await.unwrap();
//! assert_eq!(identity.email.as_deref(), Some(provider.account().email.as_str()));
//! # }
//! ```
//!
//! The provider is killed when the value is dropped; it also exits by itself when the test
//! process dies (it watches its standard input). `npm ci` runs the first time, when
//! `tests/oidc-provider/node_modules` is missing (the npm registry must be reachable then).

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use url::Url;

use crate::oidc::OidcSettings;

/// Argon2id parameters that cost almost nothing, for tests that hash passwords without being
/// about the cost (`Passwords::new(CHEAP_PASSWORD_PARAMS)`). Never for real accounts.
pub const CHEAP_PASSWORD_PARAMS: crate::password::PasswordParams =
    crate::password::PasswordParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

/// Set to `1` (CI does) to make a missing node a failure instead of a skip.
pub const REQUIRE_NODE_VAR: &str = "ESSOR_REQUIRE_NODE";

/// How long the provider may take to answer after it is spawned.
const START_TIMEOUT: Duration = Duration::from_mins(1);

/// The test account of the provider.
#[derive(Clone, Debug)]
pub struct TestAccount {
    pub subject: String,
    pub email: String,
    pub password: String,
    pub given_name: String,
    pub family_name: String,
    pub email_verified: bool,
}

impl Default for TestAccount {
    fn default() -> Self {
        Self {
            subject: "test-account-1".to_owned(),
            email: "camille.martin@example.org".to_owned(),
            password: "mot-de-passe-de-test".to_owned(),
            given_name: "Camille".to_owned(),
            family_name: "Martin".to_owned(),
            email_verified: true,
        }
    }
}

/// Which provider to imitate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TestProfile {
    /// Scopes `openid email profile`, claims in (JSON) userinfo, RS256 ID tokens.
    #[default]
    Standard,
    /// ProConnect's shape: one scope per claim, `usual_name`, `siret`, no `email_verified`,
    /// `acr` `eidas1`, ES256 ID tokens, userinfo signed as a JWT.
    ProConnect,
}

/// How to start the provider.
#[derive(Clone, Debug)]
pub struct TestProviderOptions {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    pub account: TestAccount,
    pub profile: TestProfile,
    /// Publish other keys than the signing ones (same key ids): every signature must fail.
    pub wrong_keys: bool,
}

impl Default for TestProviderOptions {
    fn default() -> Self {
        Self {
            client_id: "essor-test".to_owned(),
            client_secret: crate::Token::generate().0.as_str().to_owned(),
            redirect_uris: vec![OidcTestProvider::REDIRECT_URI.to_owned()],
            account: TestAccount::default(),
            profile: TestProfile::Standard,
            wrong_keys: false,
        }
    }
}

/// Why the provider could not be started or driven.
#[derive(Debug, thiserror::Error)]
pub enum TestProviderError {
    #[error("node is not on PATH")]
    NodeAbsent,
    #[error("npm is not on PATH")]
    NpmAbsent,
    #[error("`npm ci` in {dir} failed: {detail}")]
    NpmCi { dir: PathBuf, detail: String },
    #[error("could not run {program}: {source}")]
    Spawn {
        program: &'static str,
        source: std::io::Error,
    },
    #[error("the provider did not start: {0}")]
    NotReady(String),
    #[error("sign-in failed: {0}")]
    SignIn(String),
    #[error("HTTP request to the provider failed: {0}")]
    Http(#[from] reqwest::Error),
}

/// A running `oidc-provider`, killed on drop.
pub struct OidcTestProvider {
    child: Child,
    // Kept open: the provider exits when it closes.
    _stdin: Option<ChildStdin>,
    issuer: String,
    options: TestProviderOptions,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl std::fmt::Debug for OidcTestProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcTestProvider")
            .field("issuer", &self.issuer)
            .field("pid", &self.child.id())
            .finish_non_exhaustive()
    }
}

impl OidcTestProvider {
    /// The redirect URI registered by default. Nothing listens there: tests read the redirect.
    pub const REDIRECT_URI: &'static str = "http://127.0.0.1:9/connexion/oidc/retour";

    /// Starts a provider with the default options. `None` when node is absent and
    /// `ESSOR_REQUIRE_NODE` is not `1`: a line on stderr says the test is skipped. Panics on any
    /// other failure.
    #[must_use]
    pub fn start() -> Option<Self> {
        Self::start_with(TestProviderOptions::default())
    }

    /// [`start`](Self::start) with options.
    #[must_use]
    pub fn start_with(options: TestProviderOptions) -> Option<Self> {
        match Self::try_start_with(options) {
            Ok(provider) => Some(provider),
            Err(err @ (TestProviderError::NodeAbsent | TestProviderError::NpmAbsent)) => {
                let required = std::env::var(REQUIRE_NODE_VAR).is_ok_and(|v| v == "1");
                assert!(
                    !required,
                    "{err}, and {REQUIRE_NODE_VAR}=1 requires the OpenID provider tests to run"
                );
                let test = std::thread::current()
                    .name()
                    .unwrap_or("an OpenID test")
                    .to_owned();
                // Written to the real stderr, not the captured one, so that it shows.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test}: {err}, so the OpenID provider (tests/oidc-provider) cannot \
                     run; install Node.js >= 20 (set {REQUIRE_NODE_VAR}=1 to make this a failure)"
                );
                None
            }
            Err(err) => panic!("{err}"),
        }
    }

    /// Starts a provider, or says why it could not.
    pub fn try_start_with(options: TestProviderOptions) -> Result<Self, TestProviderError> {
        if !node_available() {
            return Err(TestProviderError::NodeAbsent);
        }
        let dir = provider_dir();
        ensure_installed(&dir)?;

        // `--name=value`: a value may start with a dash (a random secret can).
        let mut args = vec![
            "server.mjs".to_owned(),
            "--port=0".to_owned(),
            "--exit-with-stdin".to_owned(),
            format!("--client-id={}", options.client_id),
            format!("--client-secret={}", options.client_secret),
            format!("--email={}", options.account.email),
            format!("--password={}", options.account.password),
            format!("--subject={}", options.account.subject),
            format!("--given-name={}", options.account.given_name),
            format!("--family-name={}", options.account.family_name),
            format!("--email-verified={}", options.account.email_verified),
            format!(
                "--profile={}",
                match options.profile {
                    TestProfile::Standard => "standard",
                    TestProfile::ProConnect => "proconnect",
                }
            ),
        ];
        args.extend(
            options
                .redirect_uris
                .iter()
                .map(|uri| format!("--redirect-uri={uri}")),
        );
        if options.wrong_keys {
            args.push("--wrong-keys".to_owned());
        }
        let mut command = Command::new("node");
        command.current_dir(&dir).args(&args);
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| TestProviderError::Spawn {
                program: "node",
                source,
            })?;

        let stderr_lines = Arc::new(Mutex::new(Vec::new()));
        let mut stderr_reader = None;
        if let Some(stderr) = child.stderr.take() {
            let lines = Arc::clone(&stderr_lines);
            stderr_reader = Some(std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    eprintln!("[oidc-provider] {line}");
                    if let Ok(mut lines) = lines.lock() {
                        lines.push(line);
                    }
                }
            }));
        }
        let (ready_tx, ready_rx) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    if let Ok(ready) = serde_json::from_str::<serde_json::Value>(&line)
                        && let Some(issuer) = ready.get("issuer").and_then(|i| i.as_str())
                    {
                        let _ = ready_tx.send(issuer.to_owned());
                    }
                }
            });
        }
        let stdin = child.stdin.take();
        let mut provider = Self {
            child,
            _stdin: stdin,
            issuer: String::new(),
            options,
            stderr: stderr_lines,
        };
        if let Ok(issuer) = ready_rx.recv_timeout(START_TIMEOUT) {
            provider.issuer = issuer;
            Ok(provider)
        } else {
            // Stop it if it still runs, then read everything it wrote.
            let _ = provider.child.kill();
            let status = provider.child.wait().ok();
            if let Some(reader) = stderr_reader {
                let _ = reader.join();
            }
            let log = provider.stderr_log();
            Err(TestProviderError::NotReady(format!(
                "no readiness line within {START_TIMEOUT:?} ({status:?}); stderr:\n{log}"
            )))
        }
    }

    /// The issuer URL, e.g. `http://127.0.0.1:40123`.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The options it was started with (client id and secret, redirect URIs, account).
    #[must_use]
    pub fn options(&self) -> &TestProviderOptions {
        &self.options
    }

    /// The test account.
    #[must_use]
    pub fn account(&self) -> &TestAccount {
        &self.options.account
    }

    /// Client settings for this provider, as the authority would write them (for the
    /// ProConnect profile: its scopes, `acr_values=eidas1`, signed userinfo required, e-mails
    /// trusted).
    #[must_use]
    pub fn settings(&self) -> OidcSettings {
        let proconnect = self.options.profile == TestProfile::ProConnect;
        let mut settings = OidcSettings::new(
            &self.issuer,
            &self.options.client_id,
            &self.options.client_secret,
            if proconnect {
                "ProConnect"
            } else {
                "Fournisseur de test"
            },
        );
        if proconnect {
            settings.scopes = ["openid", "email", "given_name", "usual_name", "siret"]
                .map(str::to_owned)
                .to_vec();
            settings
                .extra_authorize_params
                .insert("acr_values".to_owned(), "eidas1".to_owned());
            settings.require_signed_userinfo = true;
            settings.assume_email_verified = true;
        }
        settings
    }

    /// What the provider wrote on stderr so far.
    #[must_use]
    pub fn stderr_log(&self) -> String {
        self.stderr
            .lock()
            .map(|lines| lines.join("\n"))
            .unwrap_or_default()
    }

    /// Signs in as the test account, as a browser would: follows `authorize_url`, submits the
    /// login form, lets consent be granted, and returns the URL the provider redirected to on
    /// the client's redirect URI (with `code` and `state`, or `error`). Nothing is requested on
    /// the redirect URI itself.
    pub async fn sign_in(&self, authorize_url: &Url) -> Result<Url, TestProviderError> {
        let account = &self.options.account;
        self.sign_in_as(authorize_url, &account.email, &account.password)
            .await
    }

    /// [`sign_in`](Self::sign_in) with another login and password (the provider answers the
    /// form with 401 when they are wrong, which is an error here).
    pub async fn sign_in_as(
        &self,
        authorize_url: &Url,
        login: &str,
        password: &str,
    ) -> Result<Url, TestProviderError> {
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()?;
        let mut response = browser.get(authorize_url.clone()).send().await?;
        for _ in 0..20 {
            let current = response.url().clone();
            if response.status().is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| {
                        TestProviderError::SignIn(format!(
                            "redirect without Location from {current}"
                        ))
                    })?;
                let next = current.join(location).map_err(|e| {
                    TestProviderError::SignIn(format!("bad Location {location}: {e}"))
                })?;
                if self.is_redirect_uri(&next) {
                    return Ok(next);
                }
                response = browser.get(next).send().await?;
                continue;
            }
            let status = response.status();
            let body = response.text().await?;
            if !status.is_success() {
                return Err(TestProviderError::SignIn(format!(
                    "{status} from {current}: {body}"
                )));
            }
            let action = form_action(&body).ok_or_else(|| {
                TestProviderError::SignIn(format!("no login form at {current}: {body}"))
            })?;
            let action = current
                .join(&action)
                .map_err(|e| TestProviderError::SignIn(format!("bad form action {action}: {e}")))?;
            response = browser
                .post(action)
                .form(&[("login", login), ("password", password)])
                .send()
                .await?;
        }
        Err(TestProviderError::SignIn(
            "more than 20 redirects without reaching the redirect URI".to_owned(),
        ))
    }

    fn is_redirect_uri(&self, url: &Url) -> bool {
        self.options.redirect_uris.iter().any(|uri| {
            Url::parse(uri)
                .is_ok_and(|uri| uri.origin() == url.origin() && uri.path() == url.path())
        })
    }
}

impl Drop for OidcTestProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `code` and `state` of a redirect to the client (`None` if the provider sent an error or
/// either is missing).
#[must_use]
pub fn code_and_state(landing: &Url) -> Option<(String, String)> {
    let mut code = None;
    let mut state = None;
    for (name, value) in landing.query_pairs() {
        match name.as_ref() {
            "code" => code = Some(value.into_owned()),
            "state" => state = Some(value.into_owned()),
            _ => {}
        }
    }
    Some((code?, state?))
}

/// Where the provider's `package.json` and `server.mjs` are.
#[must_use]
pub fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc-provider")
}

fn form_action(html: &str) -> Option<String> {
    let form = &html[html.find("<form")?..];
    let start = form.find("action=\"")? + "action=\"".len();
    let end = form[start..].find('"')?;
    Some(form[start..start + end].replace("&#47;", "/"))
}

/// Whether `node` runs here.
#[must_use]
pub fn node_available() -> bool {
    runs("node")
}

fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs `npm ci` when `node_modules` is missing. Installs in a scratch folder and renames it into
/// place, so that concurrent test processes never see a half-installed tree.
fn ensure_installed(dir: &Path) -> Result<(), TestProviderError> {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let modules = dir.join("node_modules");
    if modules.join("oidc-provider").join("package.json").is_file() {
        return Ok(());
    }
    if !runs("npm") {
        return Err(TestProviderError::NpmAbsent);
    }
    let scratch = dir.join(format!(".install-{}", std::process::id()));
    let npm_ci_error = |detail: String| TestProviderError::NpmCi {
        dir: dir.to_path_buf(),
        detail,
    };
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| npm_ci_error(e.to_string()))?;
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(dir.join(file), scratch.join(file))
            .map_err(|e| npm_ci_error(e.to_string()))?;
    }
    let output = Command::new("npm")
        .current_dir(&scratch)
        .args(["ci", "--no-audit", "--no-fund"])
        .output()
        .map_err(|source| TestProviderError::Spawn {
            program: "npm",
            source,
        })?;
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(&scratch);
        return Err(npm_ci_error(
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    // Another process may have finished first: then its tree stays and ours is dropped.
    let renamed = std::fs::rename(scratch.join("node_modules"), &modules);
    let _ = std::fs::remove_dir_all(&scratch);
    if renamed.is_err() && !modules.join("oidc-provider").join("package.json").is_file() {
        return Err(npm_ci_error(format!(
            "could not move node_modules into {}",
            dir.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_action_is_read_from_the_login_page() {
        let html = r#"<p>x</p><form method="post" action="/interaction/abc/login"><input></form>"#;
        assert_eq!(form_action(html).as_deref(), Some("/interaction/abc/login"));
        assert_eq!(form_action("<p>no form</p>"), None);
    }

    #[test]
    fn code_and_state_are_read_from_the_landing_url() {
        let landing = Url::parse("http://127.0.0.1:9/cb?code=abc&state=xyz&iss=x").unwrap();
        assert_eq!(
            code_and_state(&landing),
            Some(("abc".to_owned(), "xyz".to_owned()))
        );
        let error = Url::parse("http://127.0.0.1:9/cb?error=access_denied&state=xyz").unwrap();
        assert_eq!(code_and_state(&error), None);
    }
}
