//! Random tokens for e-mail confirmation links, password reset links and session cookies.
//!
//! A token is 32 random bytes from the operating system (256 bits), written in URL-safe base64
//! without padding (43 characters), so it fits in a link or a cookie as it is. The database keeps
//! only its SHA-256 hash: a leaked table gives no usable link or session. Because the token has
//! 256 bits of entropy, a fast hash is enough (no salt, no Argon2), and the lookup is a plain
//! indexed equality on the hash.
//!
//! ```
//! use essor_auth::{Token, TokenHash};
//!
//! let (token, hash) = Token::generate();
//! // Send `token.as_str()` by e-mail or in a cookie; store `hash.to_hex()`.
//! let presented = token.as_str().to_owned();
//! assert_eq!(TokenHash::of(&presented), hash);
//! ```

use std::fmt;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Random bytes in a token.
pub const TOKEN_BYTES: usize = 32;

/// A secret token, to be given to the user once. Its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A new random token and the hash to store.
    #[must_use]
    pub fn generate() -> (Self, TokenHash) {
        let mut bytes = [0u8; TOKEN_BYTES];
        OsRng.fill_bytes(&mut bytes);
        let token = Self(URL_SAFE_NO_PAD.encode(bytes));
        let hash = TokenHash::of(&token.0);
        (token, hash)
    }

    /// The token's text, for a link or a cookie.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The hash of this token.
    #[must_use]
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// The SHA-256 hash of a token: what the database stores and looks up.
#[derive(Clone, Copy, Eq)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// The hash of a token presented by a client (from a link or a cookie), to look it up.
    #[must_use]
    pub fn of(presented: &str) -> Self {
        Self(Sha256::digest(presented.as_bytes()).into())
    }

    /// The 32 bytes, for a binary column.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hexadecimal (64 characters), for a text column.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Reads back a hash stored with [`to_hex`](Self::to_hex).
    pub fn from_hex(stored: &str) -> Result<Self, hex::FromHexError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(stored, &mut bytes)?;
        Ok(Self(bytes))
    }

    /// Reads back a hash stored with [`as_bytes`](Self::as_bytes).
    #[must_use]
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

/// Constant-time, so that comparing in memory leaks nothing either.
impl PartialEq for TokenHash {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl std::hash::Hash for TokenHash {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenHash({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn a_token_carries_256_bits_in_url_safe_characters() {
        let (token, _) = Token::generate();
        assert_eq!(token.as_str().len(), 43);
        assert!(
            token
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{}",
            token.as_str()
        );
        let decoded = URL_SAFE_NO_PAD.decode(token.as_str()).unwrap();
        assert_eq!(decoded.len(), 32);
    }

    #[test]
    fn tokens_do_not_repeat() {
        let tokens: HashSet<String> = (0..1000)
            .map(|_| Token::generate().0.as_str().to_owned())
            .collect();
        assert_eq!(tokens.len(), 1000);
    }

    #[test]
    fn the_stored_hash_is_the_sha256_of_the_token_and_not_the_token() {
        let (token, hash) = Token::generate();
        assert_eq!(TokenHash::of(token.as_str()), hash);
        assert_eq!(token.hash(), hash);
        assert!(!hash.to_hex().contains(token.as_str()));
        // Known vector: SHA-256("abc").
        assert_eq!(
            TokenHash::of("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_different_token_has_a_different_hash() {
        let (token, hash) = Token::generate();
        let mut altered = token.as_str().to_owned();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        assert_ne!(TokenHash::of(&altered), hash);
    }

    #[test]
    fn a_hash_survives_its_round_trip_through_the_database() {
        let (_, hash) = Token::generate();
        assert_eq!(TokenHash::from_hex(&hash.to_hex()).unwrap(), hash);
        assert_eq!(TokenHash::from_bytes(*hash.as_bytes()), hash);
        assert!(TokenHash::from_hex("zz").is_err());
    }

    #[test]
    fn debug_does_not_show_the_token() {
        let (token, _) = Token::generate();
        let debug = format!("{token:?}");
        assert!(!debug.contains(token.as_str()));
    }
}
