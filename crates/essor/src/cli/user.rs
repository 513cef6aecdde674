//! `essor user`: accounts from the command line (the first administrator, staff accounts).
//!
//! Every change is written to the audit trail as done by the command line.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use essor_auth::password::PasswordParams;
use essor_auth::{NewPassword, Passwords};
use essor_domain::access::Role;
use essor_domain::audit::{Action, Actor, AuditEvent, ObjectRef, SystemActor};
use essor_domain::dates::format_date;
use essor_store::Store;
use essor_store::accounts::{AccountError, NewAccount};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Une ligne par compte.
    Text,
    /// Un tableau JSON.
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Crée un compte, adresse confirmée (mot de passe demandé, ou lu dans un fichier).
    Add {
        /// Adresse électronique du compte.
        #[arg(long, value_name = "ADRESSE")]
        email: String,
        #[arg(
            long = "role",
            value_name = "RÔLE",
            help = "Rôle : charge_de_mission, service_referent, membre_comite ou administrateur (répétable ; aucun par défaut)."
        )]
        roles: Vec<String>,
        /// Nom affiché (par défaut, l’adresse).
        #[arg(long, value_name = "NOM")]
        name: Option<String>,
        /// Fichier dont la première ligne est le mot de passe (sinon, il est demandé).
        #[arg(long, value_name = "FICHIER")]
        password_file: Option<PathBuf>,
    },
    /// Liste les comptes et leurs rôles.
    List {
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Donne à un compte ses rôles (séparés par des virgules ; « aucun » pour les retirer tous).
    Role {
        /// Adresse électronique du compte.
        email: String,
        #[arg(
            help = "Rôles, par exemple « charge_de_mission » ou « administrateur,charge_de_mission »."
        )]
        roles: String,
    },
    /// Rattache un compte à une structure (SIREN) : il pourra agir pour elle (fiches de
    /// l’annuaire, dossiers de subvention), comme après une revendication acceptée.
    Structure {
        /// Adresse électronique du compte.
        email: String,
        /// SIREN de la structure (9 chiffres).
        siren: String,
        /// Responsable de la structure (gère ses membres).
        #[arg(long)]
        responsable: bool,
    },
}

fn parse_roles<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Vec<Role>> {
    let mut roles = Vec::new();
    for code in raw {
        let code = code.trim();
        if code.is_empty() || code == "aucun" {
            continue;
        }
        roles.push(Role::parse(code)?);
    }
    roles.sort();
    roles.dedup();
    Ok(roles)
}

fn read_password(file: Option<&PathBuf>) -> Result<String> {
    if let Some(file) = file {
        let text = std::fs::read_to_string(file).with_context(|| {
            format!("lecture du fichier de mot de passe « {} »", file.display())
        })?;
        return Ok(text.lines().next().unwrap_or_default().to_owned());
    }
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Mot de passe : ")?;
        let second = rpassword::prompt_password("Mot de passe (confirmation) : ")?;
        if first != second {
            bail!("les deux mots de passe saisis diffèrent");
        }
        return Ok(first);
    }
    // Piped: the first line of standard input.
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn record(
    store: &dyn Store,
    action: Action,
    id: i64,
    after: serde_json::Value,
) -> Result<()> {
    let event = AuditEvent::now(Actor::System(SystemActor::Cli), action)
        .on(ObjectRef::new("account", id.to_string())?)
        .after(&after);
    store.append(&event).await?;
    Ok(())
}

pub async fn run(cmd: UserCommand, store: &dyn Store) -> Result<()> {
    match cmd {
        UserCommand::Add {
            email,
            roles,
            name,
            password_file,
        } => add(store, &email, &roles, name, password_file.as_ref()).await,
        UserCommand::List { format } => list(store, format).await,
        UserCommand::Role { email, roles } => set_roles(store, &email, &roles).await,
        UserCommand::Structure {
            email,
            siren,
            responsable,
        } => attach(store, &email, &siren, responsable).await,
    }
}

async fn attach(store: &dyn Store, email: &str, siren: &str, owner: bool) -> Result<()> {
    let siren =
        essor_domain::Siren::parse(siren.trim()).map_err(|e| anyhow::anyhow!("SIREN : {e}"))?;
    let Some(account) = store.account_by_email(email).await? else {
        bail!("aucun compte avec l’adresse « {} »", email.trim());
    };
    store.add_membership(account.id, &siren, owner).await?;
    record(
        store,
        Action::MEMBERSHIP_CHANGED,
        account.id,
        serde_json::json!({ "siren": siren.as_str(), "responsable": owner }),
    )
    .await?;
    println!(
        "Le compte n° {} ({}) agit désormais pour la structure de SIREN {siren}{}.",
        account.id,
        account.email,
        if owner { ", comme responsable" } else { "" }
    );
    Ok(())
}

async fn add(
    store: &dyn Store,
    email: &str,
    roles: &[String],
    name: Option<String>,
    password_file: Option<&PathBuf>,
) -> Result<()> {
    let roles = parse_roles(roles.iter().flat_map(|r| r.split(',')))?;
    let email = email.trim().to_lowercase();
    if !email.contains('@') || email.contains(char::is_whitespace) {
        bail!("adresse électronique invalide : « {email} » (attendu : nom@domaine.fr)");
    }
    let password = read_password(password_file)?;
    let password = NewPassword::parse(&password, &email)?;
    let hash = Passwords::new(PasswordParams::default())
        .and_then(|p| p.hash(&password))
        .map_err(|e| anyhow::anyhow!("hachage du mot de passe : {e}"))?;
    let name = name.unwrap_or_else(|| email.clone());
    let account = match store
        .create_account(&NewAccount {
            email: &email,
            display_name: &name,
            password_hash: Some(hash.as_str()),
            email_verified: true,
            roles: &roles,
        })
        .await
    {
        Ok(account) => account,
        Err(AccountError::EmailTaken) => {
            bail!("un compte existe déjà avec l’adresse « {email} »")
        }
        Err(e) => return Err(e.into()),
    };
    let codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
    record(
        store,
        Action::USER_CREATED,
        account.id,
        serde_json::json!({ "roles": codes }),
    )
    .await?;
    println!(
        "Compte n° {} créé pour {email}{}.",
        account.id,
        if roles.is_empty() {
            String::new()
        } else {
            format!(
                ", rôles : {}",
                roles
                    .iter()
                    .map(|r| r.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    if roles.iter().any(|r| r.requires_second_factor()) {
        println!("À la première connexion, la double authentification sera demandée.");
    }
    Ok(())
}

async fn list(store: &dyn Store, format: Format) -> Result<()> {
    let accounts = store.accounts().await?;
    match format {
        Format::Json => {
            let list: Vec<_> = accounts
                .iter()
                .map(|a| {
                    serde_json::json!({
                        "numero": a.id,
                        "adresse_electronique": a.email,
                        "nom": a.display_name,
                        "adresse_confirmee": a.is_verified(),
                        "double_authentification": a.totp_secret.is_some(),
                        "roles": a.roles.iter().map(|r| r.code()).collect::<Vec<_>>(),
                        "cree_le": a.created_at.to_rfc3339(),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&list)?);
        }
        Format::Text => {
            if accounts.is_empty() {
                println!("Aucun compte.");
            }
            for a in &accounts {
                let roles = if a.roles.is_empty() {
                    "aucun rôle".to_owned()
                } else {
                    a.roles
                        .iter()
                        .map(|r| r.code())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                println!(
                    "{:>5}  {}  {}  créé le {}{}{}",
                    a.id,
                    a.email,
                    roles,
                    format_date(a.created_at.date_naive()),
                    if a.is_verified() {
                        ""
                    } else {
                        "  (adresse non confirmée)"
                    },
                    if a.totp_secret.is_some() {
                        "  (double authentification)"
                    } else {
                        ""
                    },
                );
            }
        }
    }
    Ok(())
}

async fn set_roles(store: &dyn Store, email: &str, roles: &str) -> Result<()> {
    let roles = parse_roles(roles.split(','))?;
    let Some(account) = store.account_by_email(email).await? else {
        bail!("aucun compte avec l’adresse « {} »", email.trim());
    };
    store.set_roles(account.id, &roles).await?;
    let before: Vec<&str> = account.roles.iter().map(|r| r.code()).collect();
    let after: Vec<&str> = roles.iter().map(|r| r.code()).collect();
    record(
        store,
        Action::USER_ROLE_CHANGED,
        account.id,
        serde_json::json!({ "avant": before, "apres": after }),
    )
    .await?;
    println!(
        "Rôles du compte n° {} ({}) : {}. Ses sessions ont été fermées.",
        account.id,
        account.email,
        if roles.is_empty() {
            "aucun".to_owned()
        } else {
            roles
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    Ok(())
}
