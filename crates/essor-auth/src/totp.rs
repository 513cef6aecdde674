//! The second factor: time-based one-time passwords (TOTP, RFC 6238) and recovery codes.
//!
//! TOTP parameters are the ones every authenticator application understands: HMAC-SHA1,
//! 6 digits, 30-second steps, a 160-bit secret. A code is accepted for the current step and one
//! step on either side (±30 s of clock drift). [`Totp::verify`] returns the step it accepted;
//! the caller stores it as the account's last used step and passes it back next time, and any
//! code of that step or an earlier one is refused, so a code seen over a shoulder or in a log
//! cannot be used again.
//!
//! Recovery codes are ten single-use codes such as `k7mq-2xd9-p4ta-hz3c` (80 random bits each,
//! Crockford's base-32 alphabet, without `i`, `l`, `o`, `u`), shown once and stored as SHA-256
//! hashes, like [tokens](crate::token).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use crate::token::TokenHash;

/// The issuer shown by authenticator applications.
pub const ISSUER: &str = "essor";
/// Seconds per TOTP step.
pub const STEP_SECONDS: u64 = 30;
/// Digits of a TOTP code.
pub const DIGITS: usize = 6;
/// Bytes of a TOTP secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
/// Steps accepted on either side of the current one.
pub const SKEW_STEPS: u64 = 1;

/// Why a TOTP secret could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TotpError {
    #[error("the TOTP secret is not valid base32")]
    SecretEncoding,
    #[error("the TOTP secret is too short (at least 128 bits)")]
    SecretTooShort,
    #[error("the account name `{0}` cannot be written in an otpauth URI (it contains `:`)")]
    AccountName(String),
    #[error("the provisioning URI does not fit in a QR code: {0}")]
    Qr(qrcode::types::QrError),
}

/// Why a TOTP code was refused. `Display` gives the French message shown to the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TotpRejection {
    #[error("Le code est incorrect ou a expiré.")]
    Invalid,
    #[error("Ce code a déjà été utilisé : attendez le code suivant de votre application.")]
    AlreadyUsed,
}

/// A TOTP secret, stored with the account (base32). Its `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    /// A new random secret.
    #[must_use]
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Reads a stored secret (RFC 4648 base32, as in the `otpauth://` URI).
    pub fn from_base32(encoded: &str) -> Result<Self, TotpError> {
        let bytes = totp_rs::Secret::Encoded(encoded.trim().to_ascii_uppercase())
            .to_bytes()
            .map_err(|_| TotpError::SecretEncoding)?;
        if bytes.len() < 16 {
            return Err(TotpError::SecretTooShort);
        }
        Ok(Self(bytes))
    }

    /// The secret in base32, to store.
    #[must_use]
    pub fn to_base32(&self) -> String {
        totp_rs::Secret::Raw(self.0.clone())
            .to_encoded()
            .to_string()
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

/// The TOTP generator and verifier of one account.
#[derive(Clone)]
pub struct Totp {
    inner: TOTP,
}

impl Totp {
    /// The TOTP of the account whose e-mail is `account_email`, which names the account in
    /// authenticator applications.
    pub fn new(secret: &TotpSecret, account_email: &str) -> Result<Self, TotpError> {
        if secret.0.len() < 16 {
            return Err(TotpError::SecretTooShort);
        }
        if account_email.contains(':') {
            return Err(TotpError::AccountName(account_email.to_owned()));
        }
        let inner = TOTP::new(
            Algorithm::SHA1,
            DIGITS,
            // Skew is applied by `verify`, which needs to know the matching step.
            0,
            STEP_SECONDS,
            secret.0.clone(),
            Some(ISSUER.to_owned()),
            account_email.to_owned(),
        )
        .map_err(|_| TotpError::SecretTooShort)?;
        Ok(Self { inner })
    }

    /// The `otpauth://totp/essor:<e-mail>?secret=…&issuer=essor` URI that authenticator
    /// applications read from the QR code.
    #[must_use]
    pub fn provisioning_uri(&self) -> String {
        self.inner.get_url()
    }

    /// The provisioning URI as an SVG QR code, to put inline in a page (no XML prolog; `role` and
    /// French `aria-label` set). Black on white with the quiet zone, at least 240 px wide.
    pub fn qr_svg(&self) -> Result<String, TotpError> {
        let code = QrCode::with_error_correction_level(self.provisioning_uri(), EcLevel::M)
            .map_err(TotpError::Qr)?;
        let image = code
            .render::<svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build();
        // The renderer writes an XML prolog, which is not allowed inside an HTML page.
        let image = match image.find("<svg") {
            Some(start) => &image[start..],
            None => image.as_str(),
        };
        Ok(image.replacen(
            "<svg ",
            "<svg role=\"img\" aria-label=\"Code QR à scanner avec votre application \
             d’authentification\" ",
            1,
        ))
    }

    /// The code of the step containing `unix_seconds` (for tests and for showing what an
    /// application should display).
    #[must_use]
    pub fn code_at(&self, unix_seconds: u64) -> String {
        self.inner.generate(unix_seconds)
    }

    /// Checks `code` at time `unix_seconds`, accepting the step before and after the current one.
    /// `last_used_step` is the step this account last logged in with (`None` the first time);
    /// a code of that step or an earlier one is refused. On success, returns the accepted step:
    /// store it as the new last used step.
    pub fn verify(
        &self,
        code: &str,
        unix_seconds: u64,
        last_used_step: Option<u64>,
    ) -> Result<u64, TotpRejection> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TotpRejection::Invalid);
        }
        let current = unix_seconds / STEP_SECONDS;
        let first = current.saturating_sub(SKEW_STEPS);
        // Every candidate is computed and compared, whatever matches, in constant time.
        let mut accepted = None;
        for step in first..=current + SKEW_STEPS {
            let expected = self.inner.generate(step * STEP_SECONDS);
            if bool::from(expected.as_bytes().ct_eq(code.as_bytes())) {
                accepted = Some(step);
            }
        }
        let step = accepted.ok_or(TotpRejection::Invalid)?;
        if last_used_step.is_some_and(|last| step <= last) {
            return Err(TotpRejection::AlreadyUsed);
        }
        Ok(step)
    }

    /// [`verify`](Self::verify) at the system clock's time.
    pub fn verify_now(
        &self,
        code: &str,
        last_used_step: Option<u64>,
    ) -> Result<u64, TotpRejection> {
        self.verify(code, unix_now(), last_used_step)
    }
}

/// Seconds since 1970 (0 if the clock is before, where no code verifies).
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Totp")
            .field("account", &self.inner.account_name)
            .finish_non_exhaustive()
    }
}

/// Recovery codes generated at once.
pub const RECOVERY_CODE_COUNT: usize = 10;
/// Crockford's base-32 alphabet, in lowercase: no `i`, `l`, `o`, `u`.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Characters of a recovery code, without its dashes (16 × 5 bits = 80 bits).
const RECOVERY_CODE_CHARS: usize = 16;
const RECOVERY_GROUP: usize = 4;

/// One recovery code, in its canonical form. `Display` writes it in groups (`k7mq-2xd9-p4ta-hz3c`)
/// to show it once; `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    fn generate() -> Self {
        let mut bytes = [0u8; RECOVERY_CODE_CHARS];
        OsRng.fill_bytes(&mut bytes);
        // 256 is a multiple of 32, so the low five bits are uniform.
        Self(
            bytes
                .iter()
                .map(|b| char::from(RECOVERY_ALPHABET[usize::from(b & 31)]))
                .collect(),
        )
    }

    /// Reads a code typed by a person: case, spaces and dashes do not matter, and `i`/`l` read as
    /// `1`, `o` as `0` (Crockford's decoding). `None` if it cannot be a recovery code.
    #[must_use]
    pub fn parse(typed: &str) -> Option<Self> {
        let mut canonical = String::with_capacity(RECOVERY_CODE_CHARS);
        for c in typed.chars() {
            let c = match c.to_ascii_lowercase() {
                '-' | ' ' | '\u{a0}' => continue,
                'i' | 'l' => '1',
                'o' => '0',
                c if c.is_ascii() && RECOVERY_ALPHABET.contains(&(c as u8)) => c,
                _ => return None,
            };
            canonical.push(c);
        }
        (canonical.len() == RECOVERY_CODE_CHARS).then_some(Self(canonical))
    }

    /// The hash to store.
    #[must_use]
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Display for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, group) in self.0.as_bytes().chunks(RECOVERY_GROUP).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            f.write_str(std::str::from_utf8(group).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(***)")
    }
}

/// The recovery codes of an account, as stored: their hashes, each usable once.
///
/// With a database, the atomic form of [`redeem`](Self::redeem) is to delete the row whose hash
/// is [`RecoveryCode::hash`] of the typed code and to accept the code only if a row was deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryCodes {
    hashes: Vec<TokenHash>,
}

impl RecoveryCodes {
    /// Ten new codes, to show the user once, and their hashes, to store (replacing any older
    /// set).
    #[must_use]
    pub fn generate() -> (Vec<RecoveryCode>, Self) {
        let codes: Vec<RecoveryCode> = (0..RECOVERY_CODE_COUNT)
            .map(|_| RecoveryCode::generate())
            .collect();
        let hashes = codes.iter().map(RecoveryCode::hash).collect();
        (codes, Self { hashes })
    }

    /// The codes still unused, as read from the database.
    #[must_use]
    pub fn from_hashes(hashes: Vec<TokenHash>) -> Self {
        Self { hashes }
    }

    /// The hashes of the codes still unused, to store.
    #[must_use]
    pub fn hashes(&self) -> &[TokenHash] {
        &self.hashes
    }

    /// How many codes are left.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.hashes.len()
    }

    /// Uses the typed code: `true` and the code is removed if it is one of the unused codes;
    /// `false` otherwise (unknown, malformed, or already used). Store the remaining hashes
    /// afterwards.
    pub fn redeem(&mut self, typed: &str) -> bool {
        let Some(code) = RecoveryCode::parse(typed) else {
            return false;
        };
        let hash = code.hash();
        match self.hashes.iter().position(|stored| *stored == hash) {
            Some(index) => {
                self.hashes.swap_remove(index);
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 secret is the ASCII of "12345678901234567890".
    fn rfc6238() -> Totp {
        let secret = TotpSecret(b"12345678901234567890".to_vec());
        Totp::new(&secret, "camille@example.org").unwrap()
    }

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let totp = rfc6238();
        // The RFC gives 8 digits; 6-digit codes are their last six.
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(totp.code_at(time), code, "at {time}");
        }
    }

    #[test]
    fn a_code_is_accepted_at_its_time_and_returns_its_step() {
        let totp = rfc6238();
        assert_eq!(totp.verify("081804", 1_111_111_109, None), Ok(37_037_036));
        // Spaces as authenticator applications display them are ignored.
        assert_eq!(totp.verify("081 804", 1_111_111_109, None), Ok(37_037_036));
    }

    #[test]
    fn one_step_of_clock_drift_is_tolerated_and_two_are_not() {
        let totp = rfc6238();
        let time = 1_111_111_109;
        let code = totp.code_at(time);
        let step = time / STEP_SECONDS;
        assert_eq!(totp.verify(&code, time + STEP_SECONDS, None), Ok(step));
        assert_eq!(totp.verify(&code, time - STEP_SECONDS, None), Ok(step));
        assert_eq!(
            totp.verify(&code, time + 2 * STEP_SECONDS, None),
            Err(TotpRejection::Invalid)
        );
        assert_eq!(
            totp.verify(&code, time - 2 * STEP_SECONDS, None),
            Err(TotpRejection::Invalid)
        );
    }

    #[test]
    fn a_wrong_or_malformed_code_is_refused_with_a_french_message() {
        let totp = rfc6238();
        let time = 1_111_111_109;
        for code in ["081805", "", "08180", "0818044", "abcdef", "０８１８０４"] {
            assert_eq!(
                totp.verify(code, time, None),
                Err(TotpRejection::Invalid),
                "{code}"
            );
        }
        assert_eq!(
            TotpRejection::Invalid.to_string(),
            "Le code est incorrect ou a expiré."
        );
    }

    #[test]
    fn the_same_step_cannot_be_used_twice() {
        let totp = rfc6238();
        let time = 1_111_111_109;
        let code = totp.code_at(time);
        let step = totp.verify(&code, time, None).unwrap();
        // Same code again, a few seconds later, within the same step and within the skew.
        assert_eq!(
            totp.verify(&code, time + 5, Some(step)),
            Err(TotpRejection::AlreadyUsed)
        );
        assert_eq!(
            totp.verify(&code, time + STEP_SECONDS, Some(step)),
            Err(TotpRejection::AlreadyUsed)
        );
        // An older code still within the skew is refused too.
        let previous = totp.code_at(time - STEP_SECONDS);
        assert_eq!(
            totp.verify(&previous, time, Some(step)),
            Err(TotpRejection::AlreadyUsed)
        );
        // The next step's code is accepted.
        let next = totp.code_at(time + STEP_SECONDS);
        assert_eq!(
            totp.verify(&next, time + STEP_SECONDS, Some(step)),
            Ok(step + 1)
        );
        assert!(TotpRejection::AlreadyUsed.to_string().contains("déjà"));
    }

    #[test]
    fn a_code_from_the_clock_is_accepted_now() {
        let totp = Totp::new(&TotpSecret::generate(), "camille@example.org").unwrap();
        let code = totp.code_at(unix_now());
        let step = totp.verify_now(&code, None).unwrap();
        assert_eq!(
            totp.verify_now(&code, Some(step)),
            Err(TotpRejection::AlreadyUsed)
        );
    }

    #[test]
    fn the_provisioning_uri_names_essor_and_the_account() {
        let secret = TotpSecret::generate();
        let totp = Totp::new(&secret, "camille.martin+ess@example.org").unwrap();
        let uri = url::Url::parse(&totp.provisioning_uri()).unwrap();
        assert_eq!(uri.scheme(), "otpauth");
        assert_eq!(uri.host_str(), Some("totp"));
        assert_eq!(uri.path(), "/essor:camille.martin%2Bess%40example.org");
        let query: std::collections::HashMap<_, _> = uri.query_pairs().into_owned().collect();
        assert_eq!(query.get("issuer").map(String::as_str), Some("essor"));
        assert_eq!(query.get("secret"), Some(&secret.to_base32()));
        // Defaults (SHA1, 6 digits, 30 s) are left implicit, as applications expect.
        assert!(!query.contains_key("digits") && !query.contains_key("period"));
    }

    /// Paints the SVG's rectangles (`M{x} {y}h{w}v{h}H{x}V{y}`, what `qrcode` writes) on a
    /// grid, so that a QR decoder can read the picture back.
    fn rasterize(document: &roxmltree::Document<'_>) -> (usize, usize, Vec<bool>) {
        let root = document.root_element();
        let width: usize = root.attribute("width").unwrap().parse().unwrap();
        let height: usize = root.attribute("height").unwrap().parse().unwrap();
        let path = root.descendants().find(|n| n.has_tag_name("path")).unwrap();
        let mut dark = vec![false; width * height];
        for rect in path.attribute("d").unwrap().split('M').skip(1) {
            let numbers: Vec<usize> = rect
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            let [x, y, w, h, ..] = numbers[..] else {
                panic!("unexpected path segment {rect}");
            };
            for row in y..y + h {
                for col in x..x + w {
                    dark[row * width + col] = true;
                }
            }
        }
        (width, height, dark)
    }

    #[test]
    fn the_qr_code_is_well_formed_svg_that_reads_back_as_the_uri() {
        let totp = Totp::new(&TotpSecret::generate(), "camille.martin@example.org").unwrap();
        let image = totp.qr_svg().unwrap();
        assert!(image.starts_with("<svg "), "no prolog inside HTML");
        let document = roxmltree::Document::parse(&image).expect("well-formed XML");
        let root = document.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        assert_eq!(root.attribute("role"), Some("img"));
        assert!(root.attribute("aria-label").unwrap().starts_with("Code QR"));

        let (width, height, dark) = rasterize(&document);
        assert!(width >= 240 && height >= 240);
        let mut picture = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
            if dark[y * width + x] { 0 } else { 255 }
        });
        let grids = picture.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().expect("a readable QR code");
        assert_eq!(content, totp.provisioning_uri());
    }

    #[test]
    fn an_account_name_with_a_colon_is_refused() {
        assert!(matches!(
            Totp::new(&TotpSecret::generate(), "a:b@example.org"),
            Err(TotpError::AccountName(_))
        ));
    }

    #[test]
    fn a_secret_survives_its_round_trip_through_base32() {
        let secret = TotpSecret::generate();
        let encoded = secret.to_base32();
        assert_eq!(encoded.len(), 32);
        assert_eq!(TotpSecret::from_base32(&encoded).unwrap(), secret);
        assert_eq!(
            TotpSecret::from_base32(&encoded.to_lowercase()).unwrap(),
            secret
        );
        assert!(TotpSecret::from_base32("not base32!").is_err());
        assert!(matches!(
            TotpSecret::from_base32("GEZDGNBV"),
            Err(TotpError::SecretTooShort)
        ));
        assert!(!format!("{secret:?}").contains(&encoded));
    }

    #[test]
    fn ten_recovery_codes_are_generated_in_readable_groups() {
        let (codes, stored) = RecoveryCodes::generate();
        assert_eq!(codes.len(), 10);
        assert_eq!(stored.remaining(), 10);
        for code in &codes {
            let shown = code.to_string();
            assert_eq!(shown.len(), 19, "{shown}");
            let groups: Vec<&str> = shown.split('-').collect();
            assert_eq!(groups.len(), 4, "{shown}");
            assert!(groups.iter().all(|g| g.len() == 4), "{shown}");
            assert!(
                shown
                    .chars()
                    .all(|c| c == '-' || RECOVERY_ALPHABET.contains(&(c as u8))),
                "{shown}"
            );
            assert!(!format!("{code:?}").contains(&shown));
        }
        let distinct: std::collections::HashSet<String> =
            codes.iter().map(ToString::to_string).collect();
        assert_eq!(distinct.len(), 10);
    }

    #[test]
    fn a_recovery_code_works_once() {
        let (codes, mut stored) = RecoveryCodes::generate();
        let code = codes[3].to_string();
        assert!(stored.redeem(&code));
        assert_eq!(stored.remaining(), 9);
        assert!(!stored.redeem(&code));
        assert_eq!(stored.remaining(), 9);
        // The others still work, each once.
        for other in codes.iter().filter(|c| c.to_string() != code) {
            assert!(stored.redeem(&other.to_string()));
        }
        assert_eq!(stored.remaining(), 0);
    }

    #[test]
    fn a_recovery_code_is_read_as_typed_by_a_person() {
        let (codes, stored) = RecoveryCodes::generate();
        let shown = codes[0].to_string();
        let typed = format!("  {} ", shown.to_uppercase().replace('-', " "));
        let mut copy = RecoveryCodes::from_hashes(stored.hashes().to_vec());
        assert!(copy.redeem(&typed));
        // Crockford's reading of look-alike letters.
        assert_eq!(
            RecoveryCode::parse("iLo0-1111-0000-abcd"),
            RecoveryCode::parse("1100-1111-0000-abcd")
        );
    }

    proptest::proptest! {
        #[test]
        fn reading_a_recovery_code_never_panics(typed in "\\PC{0,40}") {
            let _ = RecoveryCode::parse(&typed);
        }

        #[test]
        fn a_shown_recovery_code_reads_back_however_it_is_typed(
            uppercase in proptest::bool::ANY,
            separator in proptest::sample::select(vec!["-", " ", ""]),
        ) {
            let code = RecoveryCode::generate();
            let mut typed = code.to_string().replace('-', separator);
            if uppercase {
                typed = typed.to_uppercase();
            }
            proptest::prop_assert_eq!(RecoveryCode::parse(&typed), Some(code));
        }
    }

    #[test]
    fn an_unknown_or_malformed_recovery_code_is_refused() {
        let (_, mut stored) = RecoveryCodes::generate();
        assert!(!stored.redeem("0000-0000-0000-0000"));
        assert!(!stored.redeem("short"));
        assert!(!stored.redeem("uuuu-uuuu-uuuu-uuuu"));
        assert!(!stored.redeem(""));
        assert_eq!(stored.remaining(), 10);
    }

    #[test]
    fn the_stored_recovery_codes_are_hashes_not_codes() {
        let (codes, stored) = RecoveryCodes::generate();
        for (code, hash) in codes.iter().zip(stored.hashes()) {
            assert_eq!(code.hash(), *hash);
            assert!(!hash.to_hex().contains(&code.0));
        }
    }
}
