//! Files attached to a funding dossier: what they are (application pieces, message attachments,
//! the agreement generated and its signed copy), the rules an upload must pass (size, type read
//! from the content's first bytes, never from the name), and the name they are served under.

use sha2::{Digest, Sha256};

/// Largest file accepted, in bytes (10 Mio).
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// What a document is to its dossier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// Application pieces the structure adds while the dossier is editable.
    Statutes,
    Budget,
    BankDetails,
    OtherPiece,
    /// A file sent with a message of the thread.
    MessageAttachment,
    /// The agreement as generated from the template.
    AgreementGenerated,
    /// The agreement signed by both parties, uploaded back by staff.
    AgreementSigned,
}

impl DocumentKind {
    /// The pieces a structure may add to its application.
    pub const PIECES: [Self; 4] = [
        Self::Statutes,
        Self::Budget,
        Self::BankDetails,
        Self::OtherPiece,
    ];

    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::Statutes => "statuts",
            Self::Budget => "budget_previsionnel",
            Self::BankDetails => "rib",
            Self::OtherPiece => "autre",
            Self::MessageAttachment => "piece_jointe",
            Self::AgreementGenerated => "convention_generee",
            Self::AgreementSigned => "convention_signee",
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Statutes => "Statuts",
            Self::Budget => "Budget prévisionnel",
            Self::BankDetails => "RIB",
            Self::OtherPiece => "Autre pièce",
            Self::MessageAttachment => "Pièce jointe à un message",
            Self::AgreementGenerated => "Convention (à signer)",
            Self::AgreementSigned => "Convention signée",
        }
    }

    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::Statutes,
            Self::Budget,
            Self::BankDetails,
            Self::OtherPiece,
            Self::MessageAttachment,
            Self::AgreementGenerated,
            Self::AgreementSigned,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }

    /// A piece of the application (not an attachment nor an agreement).
    #[must_use]
    pub fn is_piece(self) -> bool {
        Self::PIECES.contains(&self)
    }

    /// Part of the decision: withdrawn when the decision is.
    #[must_use]
    pub fn is_agreement(self) -> bool {
        matches!(self, Self::AgreementGenerated | Self::AgreementSigned)
    }
}

/// The types accepted, recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Png,
    Jpeg,
}

impl FileType {
    /// The type the content really is, whatever its name says.
    #[must_use]
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else {
            None
        }
    }

    #[must_use]
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }

    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Png => "png",
            Self::Jpeg => "jpg",
        }
    }
}

/// An upload refused, naming the field (its French label) and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("{field} : choisissez un fichier.")]
    Empty { field: String },
    #[error("{field} : le fichier dépasse la taille maximale de 10 Mio.")]
    TooLarge { field: String },
    #[error("{field} : seuls les fichiers PDF, PNG et JPEG sont acceptés (contenu non reconnu).")]
    Type { field: String },
}

/// A file checked for storage: its type from its content, a safe name, its size and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    pub file_type: FileType,
    pub file_name: String,
    pub sha256: String,
}

/// Checks an upload of field `field` (its French label): not empty, at most
/// [`MAX_DOCUMENT_BYTES`], a PDF, PNG or JPEG by its content.
pub fn check_upload(field: &str, name: &str, bytes: &[u8]) -> Result<CheckedFile, UploadError> {
    if bytes.is_empty() {
        return Err(UploadError::Empty {
            field: field.to_owned(),
        });
    }
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(UploadError::TooLarge {
            field: field.to_owned(),
        });
    }
    let file_type = FileType::sniff(bytes).ok_or_else(|| UploadError::Type {
        field: field.to_owned(),
    })?;
    Ok(CheckedFile {
        file_type,
        file_name: sanitise_file_name(name, file_type),
        sha256: sha256_hex(bytes),
    })
}

/// The SHA-256 of a content, in lowercase hexadecimal.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// A name safe in a `Content-Disposition` header and on any disk: the last path component,
/// letters (accents folded), digits, `-`, `_` and `.` only, at most 100 characters, and the
/// extension of the real type.
#[must_use]
pub fn sanitise_file_name(name: &str, file_type: FileType) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = match last.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => last,
    };
    let mut clean = String::new();
    for c in stem.chars() {
        let folded = fold(c);
        if folded.is_ascii_alphanumeric() || matches!(folded, '-' | '_') {
            clean.push(folded);
        } else if !clean.ends_with('_') {
            clean.push('_');
        }
    }
    let clean: String = clean.trim_matches('_').chars().take(100).collect();
    let stem = if clean.is_empty() {
        "document"
    } else {
        clean.as_str()
    };
    format!("{stem}.{}", file_type.extension())
}

fn fold(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' | 'á' => 'a',
        'À' | 'Â' | 'Ä' | 'Á' => 'A',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'î' | 'ï' | 'í' => 'i',
        'Î' | 'Ï' => 'I',
        'ô' | 'ö' | 'ó' => 'o',
        'Ô' | 'Ö' => 'O',
        'ù' | 'û' | 'ü' | 'ú' => 'u',
        'Ù' | 'Û' | 'Ü' => 'U',
        'ç' => 'c',
        'Ç' => 'C',
        other => other,
    }
}

/// `1,5 Mio`, `830 kio`, `12 octets`.
#[must_use]
pub fn format_size(bytes: i64) -> String {
    const KIB: i64 = 1024;
    if bytes < KIB {
        format!("{bytes} octets")
    } else if bytes < KIB * KIB {
        format!("{} kio", (bytes + KIB / 2) / KIB)
    } else {
        let tenths = (bytes * 10 + KIB * KIB / 2) / (KIB * KIB);
        format!("{},{} Mio", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_is_read_from_the_content_not_the_name() {
        let pdf = b"%PDF-1.7\n...";
        let checked = check_upload("Statuts", "statuts.exe", pdf).unwrap();
        assert_eq!(checked.file_type, FileType::Pdf);
        assert_eq!(checked.file_name, "statuts.pdf");
        let exe = b"MZ\x90\x00\x03\x00\x00\x00";
        assert_eq!(
            check_upload("Statuts", "statuts.pdf", exe)
                .unwrap_err()
                .to_string(),
            "Statuts : seuls les fichiers PDF, PNG et JPEG sont acceptés (contenu non reconnu)."
        );
        assert_eq!(
            FileType::sniff(b"\x89PNG\r\n\x1a\nrest"),
            Some(FileType::Png)
        );
        assert_eq!(
            FileType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(FileType::Jpeg)
        );
        assert_eq!(FileType::sniff(b""), None);
    }

    #[test]
    fn an_empty_or_too_large_file_is_refused_naming_the_field_and_the_limit() {
        assert_eq!(
            check_upload("RIB", "rib.pdf", b"").unwrap_err().to_string(),
            "RIB : choisissez un fichier."
        );
        let mut big = b"%PDF-".to_vec();
        big.resize(MAX_DOCUMENT_BYTES + 1, b' ');
        assert_eq!(
            check_upload("RIB", "rib.pdf", &big)
                .unwrap_err()
                .to_string(),
            "RIB : le fichier dépasse la taille maximale de 10 Mio."
        );
        big.truncate(MAX_DOCUMENT_BYTES);
        assert!(check_upload("RIB", "rib.pdf", &big).is_ok());
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(
            sanitise_file_name("../../etc/passwd", FileType::Pdf),
            "passwd.pdf"
        );
        assert_eq!(
            sanitise_file_name("C:\\Users\\Budget prévisionnel 2026.PDF", FileType::Pdf),
            "Budget_previsionnel_2026.pdf"
        );
        assert_eq!(
            sanitise_file_name("\"quoted\"; x=.png", FileType::Png),
            "quoted_x.png"
        );
        assert_eq!(sanitise_file_name("", FileType::Jpeg), "document.jpg");
        assert_eq!(
            sanitise_file_name("photo.jpeg.exe", FileType::Jpeg),
            "photo_jpeg.jpg"
        );
    }

    #[test]
    fn digests_and_sizes_read_as_expected() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(format_size(12), "12 octets");
        assert_eq!(format_size(2048), "2 kio");
        assert_eq!(format_size(1_572_864), "1,5 Mio");
        for kind in [
            DocumentKind::Statutes,
            DocumentKind::MessageAttachment,
            DocumentKind::AgreementSigned,
        ] {
            assert_eq!(DocumentKind::parse(kind.code()), Some(kind));
        }
        assert!(DocumentKind::AgreementGenerated.is_agreement());
        assert!(!DocumentKind::Budget.is_agreement());
    }
}
