//! Single sign-on through an OpenID Connect provider (ProConnect for public agents is the
//! target): discovery, authorisation-code flow with PKCE (S256), `state` and `nonce`.
//!
//! ```no_run
//! # async fn example(settings: essor_auth::OidcSettings) -> Result<(), essor_auth::OidcError> {
//! use essor_auth::OidcClient;
//!
//! // At start-up (discovery fetches the provider's metadata and signing keys).
//! let client = OidcClient::discover(settings).await?;
//! // "Se connecter avec ProConnect": redirect the browser, keep `pending` in the session.
//! let (authorize_url, pending) = client.begin("https://essor.example/connexion/oidc/retour")?;
//! // Back on the redirect URI with `?code=…&state=…`:
//! # let (code, state) = ("", "");
//! let identity = client.complete(pending, code, state).await?;
//! # Ok(()) }
//! ```
//!
//! What [`OidcClient::complete`] checks: the returned `state` equals the one kept in the session
//! (constant-time); the code is exchanged with the PKCE verifier and the same redirect URI; the
//! ID token's signature (with the provider's published keys, asymmetric algorithms only: RS*,
//! PS*, ES*, `EdDSA`), issuer, audience, expiry and `nonce`; the access token hash (`at_hash`)
//! when present. Claims missing from the ID token (ProConnect puts them all in userinfo) are
//! read from the userinfo endpoint, whose `sub` must be the ID token's.
//!
//! The HTTP client follows no redirects (the `openidconnect` crate's advice against SSRF) and
//! times out after 10 s; TLS is rustls with the Mozilla roots (`webpki-roots`), no OpenSSL.
//!
//! # ProConnect
//!
//! Supported by settings:
//! - `acr_values` (`eidas1`) and any other authorisation parameter ProConnect asks for
//!   (`claims`, `prompt`, …): [`OidcSettings::extra_authorize_params`]; the `acr` returned is in
//!   [`VerifiedIdentity::acr`], for the web layer to check if it requires a level.
//! - Signed userinfo (`application/jwt`): accepted whenever the provider answers with a JWT,
//!   verified with the provider's keys; [`OidcSettings::require_signed_userinfo`] refuses plain
//!   JSON. The `openidconnect` crate verifies signed userinfo with RS256 only, which is what
//!   ProConnect's userinfo uses by default (its ID tokens may be ES256 or RS256: both accepted).
//! - `usual_name` (ProConnect's family name claim) fills [`VerifiedIdentity::family_name`] when
//!   `family_name` is absent; `siret` (the agent's organisation) is in [`VerifiedIdentity::siret`].
//! - Client authentication at the token endpoint: `client_secret_basic` if the provider lists it
//!   (or lists nothing), `client_secret_post` otherwise.
//! - ProConnect does not always send `email_verified`; its e-mails come from the agents'
//!   identity providers. [`OidcSettings::assume_email_verified`] lets the authority trust them.
//!
//! Left to the web layer, not done here:
//! - RP-initiated logout: ProConnect requires it (`end_session_endpoint` with `id_token_hint`,
//!   `state` and `post_logout_redirect_uri`): keep the ID token in the session; the provider's
//!   `end_session_endpoint` is in its discovery document.
//! - Key rotation: keys are fetched at discovery; discover again (e.g. on restart or when
//!   verification fails with an unknown key id) to pick up new ones.
//! - The `iss` parameter of the authorisation response (RFC 9207) is not checked: it defends
//!   against mix-up between several providers, and essor talks to one.
//! - ProConnect's registration (redirect URIs, logout URIs, client secret) is done in its partner
//!   space; the integration and production issuers differ.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreGenderClaim,
    CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthType, AuthorizationCode, ClientId, ConfigurationError,
    CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
    UserInfoClaims, UserInfoResponseType,
};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

pub use openidconnect::{ClaimsVerificationError, SignatureVerificationError};

/// The scopes asked when the settings do not say.
pub const DEFAULT_SCOPES: [&str; 3] = ["openid", "email", "profile"];

/// How to reach one OpenID provider. `Debug` masks the client secret.
#[derive(Clone, Debug, Deserialize)]
pub struct OidcSettings {
    /// The issuer, e.g. `https://auth.agentconnect.gouv.fr/api/v2` (its
    /// `/.well-known/openid-configuration` is fetched).
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: ClientSecret,
    /// Scopes asked; `openid` is always sent.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The provider's name on the login button, e.g. "ProConnect".
    #[serde(default = "default_display_name")]
    pub display_name: String,
    /// Extra parameters of the authorisation request, e.g. `acr_values = "eidas1"`.
    #[serde(default)]
    pub extra_authorize_params: BTreeMap<String, String>,
    /// Refuse a userinfo answer that is not a signed JWT.
    #[serde(default)]
    pub require_signed_userinfo: bool,
    /// Treat the provider's e-mails as verified when it does not send `email_verified`.
    #[serde(default)]
    pub assume_email_verified: bool,
}

fn default_scopes() -> Vec<String> {
    DEFAULT_SCOPES.iter().map(ToString::to_string).collect()
}

fn default_display_name() -> String {
    "OpenID Connect".to_owned()
}

impl OidcSettings {
    /// Settings with the default scopes (`openid email profile`) and no extra parameter.
    #[must_use]
    pub fn new(
        issuer_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
        display_name: impl Into<String>,
    ) -> Self {
        Self {
            issuer_url: issuer_url.into(),
            client_id: client_id.into(),
            client_secret: ClientSecret(client_secret.into()),
            scopes: default_scopes(),
            display_name: display_name.into(),
            extra_authorize_params: BTreeMap::new(),
            require_signed_userinfo: false,
            assume_email_verified: false,
        }
    }
}

/// The client secret: `Debug` does not show it.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct ClientSecret(String);

impl ClientSecret {
    #[must_use]
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(***)")
    }
}

/// What a sign-in failed on. Messages are English, for logs; show the user a French page.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("invalid OpenID Connect settings: {0}")]
    Settings(String),
    #[error("could not build the HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    #[error("discovery of the OpenID provider failed: {0}")]
    Discovery(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the provider's configuration lacks {0}")]
    Configuration(#[from] ConfigurationError),
    #[error("the returned state does not match the one of this login")]
    StateMismatch,
    #[error("the token request failed: {0}")]
    TokenExchange(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the token response has no ID token")]
    MissingIdToken,
    #[error("the ID token is not valid: {0}")]
    IdToken(#[from] ClaimsVerificationError),
    #[error("the access token does not match the ID token's at_hash")]
    AccessTokenHash,
    #[error("the userinfo request failed: {0}")]
    UserInfo(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Claims ProConnect sends beyond the standard ones.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct ProConnectClaims {
    usual_name: Option<String>,
    siret: Option<String>,
}

impl AdditionalClaims for ProConnectClaims {}

/// A login started by [`OidcClient::begin`], to keep in the session until the provider
/// redirects back. `Debug` masks its secrets.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    state: String,
    nonce: String,
    pkce_verifier: String,
    redirect_uri: String,
}

impl PendingLogin {
    /// The `state` sent to the provider (not secret once sent, but only this session may use
    /// it).
    #[must_use]
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The redirect URI this login was started with.
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// The person the provider vouches for, after every check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedIdentity {
    /// `sub`: stable for this provider; with `issuer`, the key of the link to a local account.
    pub subject: String,
    pub issuer: String,
    pub email: Option<String>,
    /// Link to a local account by e-mail only when this is true.
    pub email_verified: bool,
    pub given_name: Option<String>,
    /// `family_name`, or ProConnect's `usual_name`.
    pub family_name: Option<String>,
    /// The authentication context class reached (`acr`), e.g. `eidas1`.
    pub acr: Option<String>,
    /// ProConnect's `siret`: the agent's organisation.
    pub siret: Option<String>,
}

type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The client of one OpenID provider, built by discovery and shared by all requests.
#[derive(Clone)]
pub struct OidcClient {
    client: DiscoveredClient,
    http: reqwest::Client,
    settings: OidcSettings,
    issuer: String,
    signing_algs: Vec<CoreJwsSigningAlgorithm>,
}

impl fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcClient")
            .field("settings", &self.settings)
            .field("signing_algs", &self.signing_algs)
            .finish_non_exhaustive()
    }
}

impl OidcClient {
    /// Fetches the provider's metadata and keys from `<issuer>/.well-known/openid-configuration`.
    pub async fn discover(settings: OidcSettings) -> Result<Self, OidcError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(OidcError::HttpClient)?;
        let issuer = IssuerUrl::new(settings.issuer_url.clone())
            .map_err(|e| OidcError::Settings(format!("issuer URL: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| OidcError::Discovery(Box::new(e)))?;

        let signing_algs: Vec<CoreJwsSigningAlgorithm> = metadata
            .id_token_signing_alg_values_supported()
            .iter()
            .filter(|alg| is_asymmetric(alg))
            .cloned()
            .collect();
        if signing_algs.is_empty() {
            return Err(OidcError::Settings(
                "the provider signs ID tokens with no asymmetric algorithm".to_owned(),
            ));
        }
        let auth_type = match metadata.token_endpoint_auth_methods_supported() {
            Some(methods)
                if !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                    && methods.contains(&CoreClientAuthMethod::ClientSecretPost) =>
            {
                AuthType::RequestBody
            }
            _ => AuthType::BasicAuth,
        };
        let issuer = metadata.issuer().to_string();
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(settings.client_id.clone()),
            Some(openidconnect::ClientSecret::new(
                settings.client_secret.0.clone(),
            )),
        )
        .set_auth_type(auth_type);
        Ok(Self {
            client,
            http,
            settings,
            issuer,
            signing_algs,
        })
    }

    /// The provider's name for the login button.
    #[must_use]
    pub fn display_name(&self) -> &str {
        &self.settings.display_name
    }

    /// The provider's issuer, as it announces it.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Starts a login: the URL to redirect the browser to, and what to keep in the session.
    pub fn begin(&self, redirect_uri: &str) -> Result<(url::Url, PendingLogin), OidcError> {
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| OidcError::Settings(format!("redirect URI: {e}")))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge)
            .set_redirect_uri(Cow::Owned(redirect));
        for scope in &self.settings.scopes {
            // `openid` is always added by the request itself.
            if scope != "openid" {
                request = request.add_scope(Scope::new(scope.clone()));
            }
        }
        for (name, value) in &self.settings.extra_authorize_params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        let (url, state, nonce) = request.url();
        Ok((
            url,
            PendingLogin {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                redirect_uri: redirect_uri.to_owned(),
            },
        ))
    }

    /// Finishes a login with the `code` and `state` the provider sent to the redirect URI.
    pub async fn complete(
        &self,
        pending: PendingLogin,
        code: &str,
        state: &str,
    ) -> Result<VerifiedIdentity, OidcError> {
        if !bool::from(pending.state.as_bytes().ct_eq(state.as_bytes())) {
            return Err(OidcError::StateMismatch);
        }
        let redirect = RedirectUrl::new(pending.redirect_uri)
            .map_err(|e| OidcError::Settings(format!("redirect URI: {e}")))?;
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .set_redirect_uri(Cow::Owned(redirect))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::TokenExchange(Box::new(e)))?;

        let id_token = token.id_token().ok_or(OidcError::MissingIdToken)?;
        let verifier = self
            .client
            .id_token_verifier()
            .set_allowed_algs(self.signing_algs.iter().cloned());
        let claims = id_token.claims(&verifier, &Nonce::new(pending.nonce))?;
        if let Some(expected) = claims.access_token_hash() {
            let actual = AccessTokenHash::from_token(
                token.access_token(),
                id_token
                    .signing_alg()
                    .map_err(ClaimsVerificationError::SignatureVerification)?,
                id_token
                    .signing_key(&verifier)
                    .map_err(ClaimsVerificationError::SignatureVerification)?,
            )
            .map_err(|_| OidcError::AccessTokenHash)?;
            if actual != *expected {
                return Err(OidcError::AccessTokenHash);
            }
        }

        let mut identity = VerifiedIdentity {
            subject: claims.subject().to_string(),
            issuer: claims.issuer().to_string(),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified().unwrap_or(false),
            given_name: claims
                .given_name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
            family_name: claims
                .family_name()
                .and_then(|n| n.get(None))
                .map(|n| n.to_string()),
            acr: claims.auth_context_ref().map(|acr| acr.to_string()),
            siret: None,
        };
        let email_verified_said = claims.email_verified().is_some();

        if self.client.user_info_url().is_some() {
            let mut request = self
                .client
                .user_info(token.access_token().clone(), Some(claims.subject().clone()))?;
            if self.settings.require_signed_userinfo {
                request = request
                    .require_signed_response(true)
                    .set_response_type(UserInfoResponseType::Jwt);
            }
            let info: UserInfoClaims<ProConnectClaims, CoreGenderClaim> = request
                .request_async(&self.http)
                .await
                .map_err(|e| OidcError::UserInfo(Box::new(e)))?;
            merge_user_info(&mut identity, &info, email_verified_said);
        }
        if self.settings.assume_email_verified
            && identity.email.is_some()
            && !email_verified_said
            && !identity.email_verified
        {
            identity.email_verified = true;
        }
        Ok(identity)
    }
}

/// Fills what the ID token did not say with what userinfo says.
fn merge_user_info(
    identity: &mut VerifiedIdentity,
    info: &UserInfoClaims<ProConnectClaims, CoreGenderClaim>,
    email_verified_said: bool,
) {
    if identity.email.is_none() {
        identity.email = info.email().map(|e| e.to_string());
        identity.email_verified = info.email_verified().unwrap_or(false);
    } else if !email_verified_said && info.email().map(|e| e.as_str()) == identity.email.as_deref()
    {
        identity.email_verified = info.email_verified().unwrap_or(false);
    }
    if identity.given_name.is_none() {
        identity.given_name = info
            .given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string());
    }
    if identity.family_name.is_none() {
        identity.family_name = info
            .family_name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string())
            .or_else(|| info.additional_claims().usual_name.clone());
    }
    if identity.siret.is_none() {
        identity.siret.clone_from(&info.additional_claims().siret);
    }
}

fn is_asymmetric(alg: &CoreJwsSigningAlgorithm) -> bool {
    use CoreJwsSigningAlgorithm as A;
    matches!(
        alg,
        A::RsaSsaPkcs1V15Sha256
            | A::RsaSsaPkcs1V15Sha384
            | A::RsaSsaPkcs1V15Sha512
            | A::RsaSsaPssSha256
            | A::RsaSsaPssSha384
            | A::RsaSsaPssSha512
            | A::EcdsaP256Sha256
            | A::EcdsaP384Sha384
            | A::EcdsaP521Sha512
            | A::EdDsa
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_the_client_secret() {
        let settings = OidcSettings::new(
            "https://provider.example",
            "essor",
            "very-secret-value",
            "ProConnect",
        );
        let debug = format!("{settings:?}");
        assert!(!debug.contains("very-secret-value"), "{debug}");
        assert!(debug.contains("ProConnect"));
    }

    #[test]
    fn settings_read_from_toml_get_the_default_scopes() {
        let settings: OidcSettings = serde_json::from_value(serde_json::json!({
            "issuer_url": "https://provider.example",
            "client_id": "essor",
            "client_secret": "s",
            "extra_authorize_params": { "acr_values": "eidas1" }
        }))
        .unwrap();
        assert_eq!(settings.scopes, ["openid", "email", "profile"]);
        assert_eq!(settings.client_secret.expose(), "s");
        assert_eq!(
            settings
                .extra_authorize_params
                .get("acr_values")
                .map(String::as_str),
            Some("eidas1")
        );
    }

    #[test]
    fn symmetric_and_unknown_algorithms_are_not_trusted_for_id_tokens() {
        assert!(is_asymmetric(
            &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256
        ));
        assert!(is_asymmetric(&CoreJwsSigningAlgorithm::EcdsaP256Sha256));
        assert!(!is_asymmetric(&CoreJwsSigningAlgorithm::HmacSha256));
    }
}
