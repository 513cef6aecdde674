//! essor's authentication library: the cryptographic and protocol pieces of accounts, with no
//! storage and no HTTP server of its own. The store keeps what this crate produces (password
//! hashes, token hashes, TOTP secrets and last used steps, recovery code hashes); the web layer
//! calls it from its handlers.
//!
//! - [`password`]: Argon2id hashing in PHC strings, rehash detection, the French password policy,
//!   and a dummy verification for unknown accounts.
//! - [`token`]: random URL-safe tokens (e-mail confirmation, password reset, sessions) and their
//!   SHA-256 hashes, which are what the database stores.
//! - [`totp`]: the TOTP second factor (secret, `otpauth://` URI, SVG QR code, verification with
//!   replay protection) and [`totp::RecoveryCodes`].
//! - [`oidc`]: the OpenID Connect client (discovery, authorisation-code flow with PKCE, `state`
//!   and `nonce`), aimed at ProConnect.
//! - `testing` (cargo feature `testing`): `OidcTestProvider`, a real OpenID provider started
//!   from `tests/oidc-provider` for other crates' tests.
//!
//! Messages a user reads (the password policy) are in French; errors meant for logs are in
//! English, and the web layer shows its own French message for them.

pub mod oidc;
pub mod password;
#[cfg(feature = "testing")]
pub mod testing;
pub mod token;
pub mod totp;

pub use oidc::{OidcClient, OidcError, OidcSettings, PendingLogin, VerifiedIdentity};
pub use password::{
    NewPassword, PasswordError, PasswordHash, PasswordParams, PasswordRuleError, Passwords,
    Verification,
};
pub use token::{Token, TokenHash};
pub use totp::{RecoveryCode, RecoveryCodes, Totp, TotpError, TotpRejection, TotpSecret};
