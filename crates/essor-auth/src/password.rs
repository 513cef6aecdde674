//! Passwords: the French password policy, Argon2id hashing in PHC strings, verification that
//! also says when a stored hash was made with older parameters, and a dummy verification for
//! unknown accounts.
//!
//! Parameters: Argon2id, version 0x13, `m = 19 MiB` (19 456 KiB), `t = 2`, `p = 1`, a 16-byte
//! random salt and a 32-byte output: OWASP's recommended minimum, which is also the `argon2`
//! crate's default. The parameters are written in every PHC string
//! (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`), so raising them later is safe: old hashes still
//! verify, and [`Verification::Valid`] carries a new hash to store in their place.
//!
//! Passwords are normalised to Unicode NFKC before hashing and verifying (NIST SP 800-63B), so
//! that "é" typed as one code point or as "e" + combining accent is the same password.
//!
//! Hashing and verifying take tens of milliseconds of CPU (more in debug builds) and 19 MiB of
//! memory: call them from `tokio::task::spawn_blocking`, not on the async executor. Tests that are
//! not about the cost can use cheap parameters (`testing::CHEAP_PASSWORD_PARAMS`).
//!
//! Verification compares the Argon2 output in constant time (`password-hash`'s `Output` equality).
//! When an e-mail matches no account, call [`Passwords::verify_unknown_account`]: it spends the
//! same time as a real verification, so the login's duration does not tell whether the e-mail
//! exists.

use std::fmt;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash as Phc, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use unicode_normalization::UnicodeNormalization;

/// The shortest password accepted, in characters (after NFKC normalisation).
pub const MIN_LENGTH: usize = 12;
/// The longest password accepted, in characters: long passphrases fit, megabytes do not reach
/// the hasher.
pub const MAX_LENGTH: usize = 256;

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory, in KiB.
    pub memory_kib: u32,
    /// Number of passes.
    pub iterations: u32,
    /// Degree of parallelism (lanes).
    pub parallelism: u32,
}

impl PasswordParams {
    /// OWASP's recommended Argon2id parameters: 19 MiB, 2 passes, 1 lane.
    pub const OWASP: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self::OWASP
    }
}

/// Why a password operation could not be carried out (not a wrong password: that is
/// [`Verification::Invalid`]).
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("invalid Argon2 parameters: {0}")]
    Params(argon2::Error),
    #[error("the stored password hash is not a valid PHC string: {0}")]
    MalformedHash(argon2::password_hash::Error),
    #[error("password hashing failed: {0}")]
    Hashing(argon2::password_hash::Error),
}

/// A password that satisfies the policy, ready to be hashed. Its `Debug` does not show it.
#[derive(Clone)]
pub struct NewPassword(String);

/// The rule of the password policy that a new password breaks. `Display` gives the French message
/// shown next to the form field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRuleError {
    #[error("Le mot de passe doit contenir au moins {min} caractères.")]
    TooShort { min: usize },
    #[error("Le mot de passe ne doit pas dépasser {max} caractères.")]
    TooLong { max: usize },
    #[error("Le mot de passe ne doit pas être un seul caractère répété.")]
    RepeatedCharacter,
    #[error("Le mot de passe ne doit pas reprendre votre adresse e-mail.")]
    SameAsEmail,
}

impl NewPassword {
    /// Checks `candidate` against the policy: at least [`MIN_LENGTH`] characters, at most
    /// [`MAX_LENGTH`], not one character repeated, not the account's e-mail address (nor its
    /// part before `@`), whatever the case.
    pub fn parse(candidate: &str, email: &str) -> Result<Self, PasswordRuleError> {
        let normalized: String = candidate.nfkc().collect();
        let length = normalized.chars().count();
        if length < MIN_LENGTH {
            return Err(PasswordRuleError::TooShort { min: MIN_LENGTH });
        }
        if length > MAX_LENGTH {
            return Err(PasswordRuleError::TooLong { max: MAX_LENGTH });
        }
        let mut chars = normalized.chars();
        if let Some(first) = chars.next()
            && chars.all(|c| c == first)
        {
            return Err(PasswordRuleError::RepeatedCharacter);
        }
        let folded = normalized.trim().to_lowercase();
        let email = email.trim().to_lowercase();
        let local_part = email.split('@').next().unwrap_or_default();
        if !email.is_empty() && (folded == email || folded == local_part) {
            return Err(PasswordRuleError::SameAsEmail);
        }
        Ok(Self(normalized))
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// A password hash in PHC string format, as stored in the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a hash read from the database, checking that it is a PHC string.
    pub fn parse(stored: &str) -> Result<Self, PasswordError> {
        Phc::new(stored).map_err(PasswordError::MalformedHash)?;
        Ok(Self(stored.to_owned()))
    }

    /// The PHC string, to store.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn phc(&self) -> Result<Phc<'_>, PasswordError> {
        Phc::new(&self.0).map_err(PasswordError::MalformedHash)
    }
}

impl fmt::Display for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The outcome of a password verification.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum Verification {
    /// The password is right. `rehash` is `Some` when the stored hash was made with other
    /// parameters than the current ones: store it in place of the old hash.
    Valid { rehash: Option<PasswordHash> },
    /// The password is wrong (or the account does not exist).
    Invalid,
}

impl Verification {
    #[must_use]
    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Valid { .. })
    }
}

/// The password hasher, built once with its parameters and shared (it is `Send + Sync`).
#[derive(Clone)]
pub struct Passwords {
    argon2: Argon2<'static>,
    params: PasswordParams,
    /// A hash of a random password with the current parameters, verified against when the
    /// account does not exist.
    dummy: PasswordHash,
}

impl Passwords {
    /// A hasher with the given parameters. Computes one hash (the dummy one), so it takes as long
    /// as a login.
    pub fn new(params: PasswordParams) -> Result<Self, PasswordError> {
        let argon2_params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            Some(Params::DEFAULT_OUTPUT_LEN),
        )
        .map_err(PasswordError::Params)?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon2_params);
        let mut random = [0u8; 32];
        OsRng.fill_bytes(&mut random);
        let dummy = hash_with(&argon2, &hex::encode(random))?;
        Ok(Self {
            argon2,
            params,
            dummy,
        })
    }

    /// The parameters new hashes are made with.
    #[must_use]
    pub fn params(&self) -> PasswordParams {
        self.params
    }

    /// Hashes a new password with a fresh random salt.
    pub fn hash(&self, password: &NewPassword) -> Result<PasswordHash, PasswordError> {
        hash_with(&self.argon2, &password.0)
    }

    /// Verifies a login attempt against the stored hash, in constant time. A right password whose
    /// hash has outdated parameters comes with its new hash.
    pub fn verify(
        &self,
        candidate: &str,
        stored: &PasswordHash,
    ) -> Result<Verification, PasswordError> {
        let normalized: String = candidate.nfkc().collect();
        let phc = stored.phc()?;
        match self.argon2.verify_password(normalized.as_bytes(), &phc) {
            Ok(()) => {
                let rehash = if self.needs_rehash(stored)? {
                    Some(hash_with(&self.argon2, &normalized)?)
                } else {
                    None
                };
                Ok(Verification::Valid { rehash })
            }
            Err(argon2::password_hash::Error::Password) => Ok(Verification::Invalid),
            Err(other) => Err(PasswordError::Hashing(other)),
        }
    }

    /// Spends the time of a verification and returns [`Verification::Invalid`]: call it when the
    /// e-mail matches no account, so that timing does not reveal which e-mails exist.
    pub fn verify_unknown_account(&self, candidate: &str) -> Verification {
        let normalized: String = candidate.nfkc().collect();
        if let Ok(phc) = self.dummy.phc() {
            // The outcome is ignored: only the time spent matters.
            let _ = self.argon2.verify_password(normalized.as_bytes(), &phc);
        }
        Verification::Invalid
    }

    /// Whether `stored` was made with another algorithm, version, parameters or output length
    /// than this hasher's.
    pub fn needs_rehash(&self, stored: &PasswordHash) -> Result<bool, PasswordError> {
        let phc = stored.phc()?;
        if phc.algorithm != Algorithm::Argon2id.ident()
            || phc.version != Some(Version::V0x13.into())
        {
            return Ok(true);
        }
        let Ok(stored_params) = Params::try_from(&phc) else {
            return Ok(true);
        };
        let output_len = phc.hash.map(|output| output.len());
        Ok(stored_params.m_cost() != self.params.memory_kib
            || stored_params.t_cost() != self.params.iterations
            || stored_params.p_cost() != self.params.parallelism
            || output_len != Some(Params::DEFAULT_OUTPUT_LEN))
    }
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords")
            .field("algorithm", &"argon2id")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

fn hash_with(argon2: &Argon2<'_>, password: &str) -> Result<PasswordHash, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    let phc = argon2
        .hash_password(password.as_bytes(), &salt)
        .map_err(PasswordError::Hashing)?;
    Ok(PasswordHash(phc.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap parameters for the tests that are not about the cost.
    const CHEAP: PasswordParams = PasswordParams {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };

    fn cheap() -> Passwords {
        Passwords::new(CHEAP).expect("cheap parameters are valid")
    }

    fn new_password(text: &str) -> NewPassword {
        NewPassword::parse(text, "camille@example.org").expect("a valid password")
    }

    #[test]
    fn a_short_password_is_refused_with_a_french_message() {
        let err = NewPassword::parse("court", "camille@example.org").unwrap_err();
        assert_eq!(err, PasswordRuleError::TooShort { min: 12 });
        assert_eq!(
            err.to_string(),
            "Le mot de passe doit contenir au moins 12 caractères."
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 12 characters, 24 bytes in UTF-8.
        assert!(NewPassword::parse("éàèùçôéàèùçô", "camille@example.org").is_ok());
        // 11 characters, more than 12 bytes.
        assert!(NewPassword::parse("éàèùçôéàèùç", "camille@example.org").is_err());
    }

    #[test]
    fn a_repeated_character_is_refused() {
        let err = NewPassword::parse("aaaaaaaaaaaaaaaa", "camille@example.org").unwrap_err();
        assert_eq!(err, PasswordRuleError::RepeatedCharacter);
        assert_eq!(
            err.to_string(),
            "Le mot de passe ne doit pas être un seul caractère répété."
        );
    }

    #[test]
    fn the_email_address_is_refused_whatever_its_case() {
        let email = "camille.martin@example.org";
        for candidate in ["camille.martin@example.org", "Camille.Martin@Example.ORG"] {
            let err = NewPassword::parse(candidate, email).unwrap_err();
            assert_eq!(err, PasswordRuleError::SameAsEmail);
            assert_eq!(
                err.to_string(),
                "Le mot de passe ne doit pas reprendre votre adresse e-mail."
            );
        }
        assert_eq!(
            NewPassword::parse("CAMILLE.MARTIN", email).unwrap_err(),
            PasswordRuleError::SameAsEmail
        );
        assert!(NewPassword::parse("camille.martin@example.org!", email).is_ok());
    }

    #[test]
    fn a_very_long_password_is_refused() {
        let long = "ab".repeat(129);
        let err = NewPassword::parse(&long, "camille@example.org").unwrap_err();
        assert_eq!(err, PasswordRuleError::TooLong { max: 256 });
        assert!(err.to_string().contains("mot de passe"));
    }

    #[test]
    fn every_policy_message_names_the_field() {
        let errors = [
            PasswordRuleError::TooShort { min: MIN_LENGTH },
            PasswordRuleError::TooLong { max: MAX_LENGTH },
            PasswordRuleError::RepeatedCharacter,
            PasswordRuleError::SameAsEmail,
        ];
        for err in errors {
            assert!(err.to_string().starts_with("Le mot de passe "), "{err}");
        }
    }

    #[test]
    fn the_new_password_is_not_shown_by_debug() {
        let password = new_password("correct horse battery staple");
        assert_eq!(format!("{password:?}"), "NewPassword(***)");
    }

    #[test]
    fn the_owasp_parameters_are_written_in_the_phc_string() {
        let passwords = Passwords::new(PasswordParams::OWASP).unwrap();
        let hash = passwords
            .hash(&new_password("correct horse battery staple"))
            .unwrap();
        assert!(
            hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            passwords
                .verify("correct horse battery staple", &hash)
                .unwrap()
                .is_valid()
        );
        assert_eq!(PasswordParams::default(), PasswordParams::OWASP);
    }

    #[test]
    fn the_right_password_verifies_and_a_wrong_one_does_not() {
        let passwords = cheap();
        let hash = passwords
            .hash(&new_password("correct horse battery staple"))
            .unwrap();
        assert_eq!(
            passwords
                .verify("correct horse battery staple", &hash)
                .unwrap(),
            Verification::Valid { rehash: None }
        );
        assert_eq!(
            passwords
                .verify("correct horse battery stapler", &hash)
                .unwrap(),
            Verification::Invalid
        );
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_their_salt() {
        let passwords = cheap();
        let password = new_password("correct horse battery staple");
        assert_ne!(
            passwords.hash(&password).unwrap(),
            passwords.hash(&password).unwrap()
        );
    }

    #[test]
    fn unicode_forms_of_one_password_are_the_same_password() {
        let passwords = cheap();
        // "é" precomposed (U+00E9) when set, "e" + combining acute (U+0301) when typed.
        let hash = passwords
            .hash(&new_password("mot de passe d\u{e9}j\u{e0} vu"))
            .unwrap();
        assert!(
            passwords
                .verify("mot de passe de\u{301}ja\u{300} vu", &hash)
                .unwrap()
                .is_valid()
        );
    }

    #[test]
    fn a_hash_with_older_parameters_is_rehashed_on_a_successful_login() {
        let old = cheap();
        let hash = old
            .hash(&new_password("correct horse battery staple"))
            .unwrap();
        let current = Passwords::new(PasswordParams {
            memory_kib: 128,
            iterations: 2,
            parallelism: 1,
        })
        .unwrap();
        assert!(current.needs_rehash(&hash).unwrap());
        assert!(!old.needs_rehash(&hash).unwrap());

        let Verification::Valid {
            rehash: Some(new_hash),
        } = current
            .verify("correct horse battery staple", &hash)
            .unwrap()
        else {
            panic!("expected a valid password with a new hash");
        };
        assert!(new_hash.as_str().contains("$m=128,t=2,p=1$"), "{new_hash}");
        assert!(!current.needs_rehash(&new_hash).unwrap());
        assert_eq!(
            current
                .verify("correct horse battery staple", &new_hash)
                .unwrap(),
            Verification::Valid { rehash: None }
        );
        // A wrong password gets no new hash.
        assert_eq!(
            current.verify("wrong horse battery staple", &hash).unwrap(),
            Verification::Invalid
        );
    }

    #[test]
    fn a_hash_of_another_algorithm_needs_rehash() {
        let passwords = cheap();
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(CHEAP.memory_kib, CHEAP.iterations, CHEAP.parallelism, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let phc = argon2i
            .hash_password(b"correct horse battery staple", &salt)
            .unwrap()
            .to_string();
        let stored = PasswordHash::parse(&phc).unwrap();
        assert!(passwords.needs_rehash(&stored).unwrap());
    }

    #[test]
    fn a_malformed_stored_hash_is_an_error_not_a_success() {
        assert!(PasswordHash::parse("not a phc string").is_err());
        let passwords = cheap();
        let forged = PasswordHash("plain text".to_owned());
        assert!(passwords.verify("plain text", &forged).is_err());
    }

    #[test]
    fn an_unknown_account_never_verifies_and_costs_a_real_verification() {
        let passwords = cheap();
        assert_eq!(
            passwords.verify_unknown_account("correct horse battery staple"),
            Verification::Invalid
        );
        // The dummy hash is made with the current parameters, so it costs what a real one does.
        assert!(!passwords.needs_rehash(&passwords.dummy).unwrap());
    }
}
