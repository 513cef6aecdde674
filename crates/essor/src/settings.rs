//! Settings: built-in defaults, then an optional TOML file, then `ESSOR_*` variables, then
//! command-line flags. Passed by value to what needs them; never global.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use essor_store::DatabaseTarget;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Address the web server listens on.
    pub addr: SocketAddr,
    /// Folder for the embedded database and the search index.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL; when absent, SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// Log format: `text` or `json`.
    pub log_format: LogFormat,
    /// Log filter, as `RUST_LOG` (`info`, `essor=debug,tower_http=info`).
    pub log: String,
    /// On a new database, load a synthetic SIRENE stock so that the observatory has figures
    /// (clearly labelled as such). Turn off for a production deployment.
    pub demo: bool,
    /// The address users reach essor at, for the links of mails and single sign-on;
    /// `https://…` also marks cookies `Secure`.
    pub public_url: String,
    /// Outgoing mail; without an SMTP server, mails are written to `data_dir/outbox`.
    pub mail: essor_mail::MailSettings,
    /// Single sign-on through an OpenID Connect provider (ProConnect for public agents).
    pub sso: Option<SsoSettings>,
    /// Hours a session lasts.
    pub session_hours: i64,
    /// Days before an account whose address was never confirmed is erased.
    pub unconfirmed_days: i64,
    /// Years the audit trail is kept (stated on the personal data page).
    pub audit_years: i64,
    /// Attempts per minute and client address at the forms an attacker would hammer (sign-in,
    /// sign-up, password reset, second factor), counted together.
    pub attempts_per_minute: u32,
    /// The directory's map.
    pub map: MapSettings,
    /// Webhooks on the dossiers' state changes.
    #[serde(default)]
    pub webhooks: WebhooksSettings,
    /// The open data of the subsidies granted.
    pub opendata: OpenDataSettings,
}

/// The `[webhooks]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksSettings {
    /// Lets webhook endpoints on loopback, private or link-local addresses be registered and
    /// called (a closed network); refused by default.
    pub allow_private_targets: bool,
}

/// The `[opendata]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenDataSettings {
    /// The SIRET of the authority granting the subsidies (`idAttribuant` of the SCDL file), 14
    /// digits checked by their checksum. When absent, the one essor knows for the default
    /// territory (Grenoble-Alpes-Métropole: 20004071500019, its head office).
    pub siret_attribuant: Option<String>,
}

impl OpenDataSettings {
    /// The SIRET set, checked.
    pub fn grantor_siret(&self) -> Result<Option<essor_domain::Siret>> {
        self.siret_attribuant
            .as_deref()
            .map(|raw| {
                essor_domain::Siret::parse(raw)
                    .map_err(|e| anyhow::anyhow!("[opendata] siret_attribuant : {e}"))
            })
            .transpose()
    }
}

/// The `[map]` section: the directory's map draws the communes' contours, over a tile server's
/// map when one is named (essor calls no outside server by default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MapSettings {
    /// URL template of the tiles, `https://…/{z}/{x}/{y}.png`.
    pub tiles_url: Option<String>,
    /// The attribution the tile server requires (« © les contributeurs d’OpenStreetMap »).
    pub attribution: String,
}

/// The `[sso]` section.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoSettings {
    /// The issuer URL; its `/.well-known/openid-configuration` is read at start.
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// The name on the sign-in button.
    #[serde(default = "default_sso_name")]
    pub display_name: String,
    /// Extra parameters of the authorisation request (ProConnect: `acr_values`).
    #[serde(default)]
    pub extra_authorize_params: std::collections::BTreeMap<String, String>,
}

fn default_sso_name() -> String {
    "ProConnect".to_owned()
}

impl std::fmt::Debug for SsoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoSettings")
            .field("issuer_url", &self.issuer_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("display_name", &self.display_name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("essor-data"),
            database_url: None,
            log_format: LogFormat::Text,
            log: "info".to_owned(),
            demo: true,
            public_url: "http://127.0.0.1:8080".to_owned(),
            mail: essor_mail::MailSettings::default(),
            sso: None,
            session_hours: 12,
            unconfirmed_days: 30,
            audit_years: 10,
            attempts_per_minute: essor_web::ratelimit::DEFAULT_ATTEMPTS_PER_MINUTE,
            map: MapSettings::default(),
            webhooks: WebhooksSettings::default(),
            opendata: OpenDataSettings::default(),
        }
    }
}

/// Values given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

impl Settings {
    /// Resolves the settings from every layer. `config` is the file named by `--config` or
    /// `ESSOR_CONFIG`; it must exist when named.
    pub fn load(config: Option<&Path>, overrides: &Overrides) -> Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Self::default()));
        if let Some(path) = config {
            anyhow::ensure!(
                path.is_file(),
                "le fichier de configuration « {} » est introuvable",
                path.display()
            );
            figment = figment.merge(Toml::file(path));
        }
        // Only the settings' own names: other ESSOR_* variables (ESSOR_CONFIG, test harness
        // variables) are not settings.
        let env = Env::prefixed("ESSOR_").only(&[
            "addr",
            "data_dir",
            "database_url",
            "log_format",
            "log",
            "demo",
            "public_url",
            "attempts_per_minute",
        ]);
        figment = figment.merge(env).merge(Serialized::defaults(overrides));
        let mut settings: Self = figment
            .extract()
            .map_err(|e| anyhow::anyhow!(french_figment_error(&e)))?;
        if let Ok(file) = std::env::var("ESSOR_DATABASE_URL_FILE") {
            let url = std::fs::read_to_string(&file)
                .with_context(|| format!("lecture de ESSOR_DATABASE_URL_FILE « {file} »"))?;
            settings.database_url = Some(url.trim().to_owned());
        }
        if let Some(url) = &settings.map.tiles_url {
            let web = url.starts_with("https://") || url.starts_with("http://");
            let templated = ["{z}", "{x}", "{y}"].iter().all(|p| url.contains(p));
            anyhow::ensure!(
                web && templated && !url.contains(char::is_whitespace),
                "[map] tiles_url « {url} » invalide : attendu une adresse https://… contenant \
                 {{z}}, {{x}} et {{y}}, par exemple https://tuiles.example.fr/{{z}}/{{x}}/{{y}}.png"
            );
        }
        settings.opendata.grantor_siret()?;
        Ok(settings)
    }

    /// Where the data lives: PostgreSQL when a URL is set, else SQLite in the data folder.
    pub fn database(&self) -> Result<DatabaseTarget> {
        match self
            .database_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            Some(url) => Ok(DatabaseTarget::parse(url.trim())?),
            None => Ok(DatabaseTarget::SqliteFile(
                self.data_dir.join("essor.sqlite3"),
            )),
        }
    }
}

fn french_figment_error(error: &figment::Error) -> String {
    let field = error.path.join(".");
    let origin = error
        .metadata
        .as_ref()
        .map(|m| m.name.to_string())
        .unwrap_or_default();
    if field.is_empty() {
        format!("configuration invalide ({origin}) : {}", error.kind)
    } else {
        format!(
            "configuration invalide : le réglage « {field} » ({origin}) : {}",
            error.kind
        )
    }
}

#[cfg(test)]
// figment's Jail closures return figment::Error, whose size is not ours to choose.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;
    use figment::Jail;

    #[test]
    fn defaults_serve_locally_on_sqlite_in_essor_data() {
        Jail::expect_with(|_| {
            let s = Settings::load(None, &Overrides::default()).unwrap();
            assert_eq!(s.addr.to_string(), "127.0.0.1:8080");
            assert_eq!(
                s.database().unwrap(),
                DatabaseTarget::SqliteFile(PathBuf::from("essor-data/essor.sqlite3"))
            );
            assert_eq!(s.attempts_per_minute, 10);
            Ok(())
        });
    }

    #[test]
    fn the_rate_limit_can_be_set_by_file_or_variable() {
        Jail::expect_with(|jail| {
            jail.create_file("essor.toml", "attempts_per_minute = 30\n")?;
            let s = Settings::load(Some(Path::new("essor.toml")), &Overrides::default()).unwrap();
            assert_eq!(s.attempts_per_minute, 30);
            jail.set_env("ESSOR_ATTEMPTS_PER_MINUTE", "600");
            let s = Settings::load(Some(Path::new("essor.toml")), &Overrides::default()).unwrap();
            assert_eq!(s.attempts_per_minute, 600);
            Ok(())
        });
    }

    #[test]
    fn the_file_is_overridden_by_variables_and_variables_by_flags() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "essor.toml",
                "addr = \"0.0.0.0:9000\"\ndata_dir = \"/srv/essor\"\nlog = \"debug\"\n",
            )?;
            jail.set_env("ESSOR_DATA_DIR", "/var/lib/essor");
            jail.set_env("ESSOR_DATABASE_URL", "postgres://u:p@h/db");
            let overrides = Overrides {
                addr: Some("127.0.0.1:3000".parse().unwrap()),
                data_dir: None,
            };
            let s = Settings::load(Some(Path::new("essor.toml")), &overrides).unwrap();
            assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
            assert_eq!(s.data_dir, PathBuf::from("/var/lib/essor"));
            assert_eq!(s.log, "debug");
            assert!(matches!(s.database().unwrap(), DatabaseTarget::Postgres(_)));
            Ok(())
        });
    }

    #[test]
    fn the_database_url_can_come_from_a_secret_file() {
        Jail::expect_with(|jail| {
            jail.create_file("db-url", "postgres://essor:secret@db/essor\n")?;
            jail.set_env("ESSOR_DATABASE_URL_FILE", "db-url");
            let s = Settings::load(None, &Overrides::default()).unwrap();
            assert_eq!(
                s.database().unwrap().redacted(),
                "postgres://essor:***@db/essor"
            );
            Ok(())
        });
    }

    #[test]
    fn a_bad_setting_is_named_in_french() {
        Jail::expect_with(|jail| {
            jail.create_file("essor.toml", "addr = \"pas une adresse\"\n")?;
            let err = Settings::load(Some(Path::new("essor.toml")), &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("« addr »"), "{err}");
            let missing =
                Settings::load(Some(Path::new("/nulle/part.toml")), &Overrides::default())
                    .unwrap_err();
            assert!(missing.to_string().contains("introuvable"));
            Ok(())
        });
    }
}
