//! Why an import stops. Rows that cannot be read do not stop it: they are counted and sampled in
//! the report ([`crate::RejectedRows`]). What stops it is a file that cannot be opened or read
//! through, a header without a column the panorama needs, or a broken zip archive.

use std::io;

/// An import that could not be carried out. Messages are in French and name the file (and the
/// line or column when there is one): they reach users as they are.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("impossible d’ouvrir {file} : {source}")]
    Open {
        file: String,
        #[source]
        source: io::Error,
    },
    #[error("lecture de {file} interrompue vers l’octet {offset} : {source}")]
    Read {
        file: String,
        offset: u64,
        #[source]
        source: io::Error,
    },
    #[error("l’archive {file} est illisible (tronquée ou corrompue) : {message}")]
    Zip { file: String, message: String },
    #[error("l’archive {file} ne contient aucun fichier CSV")]
    ZipWithoutCsv { file: String },
    #[error("le fichier {file} est vide : la ligne 1 devrait être l’en-tête des colonnes")]
    Empty { file: String },
    #[error("{file}, ligne 1 : en-tête illisible ({reason})")]
    Header { file: String, reason: String },
    #[error(
        "{file} : la colonne « {column} », nécessaire au panorama, manque à l’en-tête (ligne 1) ; \
         ce fichier n’est pas un fichier {expected} de l’INSEE ou il est incomplet"
    )]
    MissingColumn {
        file: String,
        column: String,
        /// `StockEtablissement` or `StockUniteLegale`.
        expected: &'static str,
    },
    #[error("le fichier Parquet {file} est illisible (tronqué ou corrompu) : {message}")]
    Parquet { file: String, message: String },
    #[error(
        "{file} : la colonne « {column} », nécessaire au panorama, manque au schéma de ce fichier \
         Parquet ; ce fichier n’est pas un fichier {expected} de l’INSEE ou il est incomplet"
    )]
    ParquetMissingColumn {
        file: String,
        column: String,
        expected: &'static str,
    },
    #[error(
        "{file}, colonne « {column} »{} : lecture impossible ({message})",
        row_group.map(|g| format!(", groupe de lignes n° {}", g + 1)).unwrap_or_default()
    )]
    ParquetColumn {
        file: String,
        column: String,
        /// From 0.
        row_group: Option<usize>,
        message: String,
    },
    #[error("erreur interne de l’import : {0}")]
    Internal(String),
}
