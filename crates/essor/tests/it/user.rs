//! `essor user add | list | role | structure`: the first administrator and staff accounts, and
//! the structures accounts act for, from the command line, each change in the audit trail.

use std::path::Path;
use std::process::{Command, Output};

fn essor(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_essor"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("ESSOR_DATABASE_URL")
        .env_remove("ESSOR_CONFIG")
        .env("ESSOR_DEMO", "false")
        .output()
        .expect("run essor")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

#[test]
#[allow(clippy::too_many_lines)] // one operator scenario, step by step
fn accounts_are_created_listed_and_given_roles_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("mot-de-passe");
    std::fs::write(&password, "une phrase de passe d’administration\n").unwrap();
    let password = password.to_str().unwrap();

    let added = essor(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "Admin@Example.fr",
            "--role",
            "administrateur",
            "--password-file",
            password,
        ],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let out = text(&added.stdout);
    assert!(
        out.contains("Compte n° 1 créé pour admin@example.fr"),
        "{out}"
    );
    assert!(out.contains("double authentification"), "{out}");

    let again = essor(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "admin@example.fr",
            "--password-file",
            password,
        ],
    );
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("existe déjà"),
        "{}",
        text(&again.stderr)
    );

    let weak = dir.path().join("faible");
    std::fs::write(&weak, "court\n").unwrap();
    let refused = essor(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "b@example.fr",
            "--password-file",
            weak.to_str().unwrap(),
        ],
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("12 caractères"),
        "{}",
        text(&refused.stderr)
    );

    let bad_role = essor(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "c@example.fr",
            "--role",
            "chef",
            "--password-file",
            password,
        ],
    );
    assert!(!bad_role.status.success());
    assert!(text(&bad_role.stderr).contains("rôle inconnu : « chef »"));

    let agent = essor(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "agent@example.fr",
            "--password-file",
            password,
        ],
    );
    assert!(agent.status.success(), "{}", text(&agent.stderr));
    let role = essor(
        dir.path(),
        &[
            "user",
            "role",
            "agent@example.fr",
            "charge_de_mission,membre_comite",
        ],
    );
    assert!(role.status.success(), "{}", text(&role.stderr));
    assert!(
        text(&role.stdout).contains("Chargé·e de mission"),
        "{}",
        text(&role.stdout)
    );
    let unknown = essor(
        dir.path(),
        &["user", "role", "personne@example.fr", "aucun"],
    );
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("aucun compte"));

    let list = essor(dir.path(), &["user", "list", "--format", "json"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let accounts: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(accounts.as_array().unwrap().len(), 2);
    let agent = accounts
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["adresse_electronique"] == "agent@example.fr")
        .unwrap();
    assert_eq!(
        agent["roles"],
        serde_json::json!(["charge_de_mission", "membre_comite"])
    );
    assert_eq!(agent["adresse_confirmee"], true);

    // Each change is in the trail, and the chain holds.
    let trail = essor(dir.path(), &["audit", "list", "--action", "user"]);
    let trail = text(&trail.stdout);
    assert!(
        trail.contains("user.created")
            || trail.contains("Compte créé")
            || trail.contains("création"),
        "{trail}"
    );
    let verify = essor(dir.path(), &["audit", "verify"]);
    assert!(verify.status.success(), "{}", text(&verify.stdout));
}

#[test]
fn an_account_is_attached_to_a_structure_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("mot-de-passe");
    std::fs::write(&password, "une phrase de passe pour la structure\n").unwrap();
    let added = essor(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "presidente@velo-libre.org",
            "--password-file",
            password.to_str().unwrap(),
        ],
    );
    assert!(added.status.success(), "{}", text(&added.stderr));
    let attached = essor(
        dir.path(),
        &[
            "user",
            "structure",
            "presidente@velo-libre.org",
            "732829320",
            "--responsable",
        ],
    );
    assert!(attached.status.success(), "{}", text(&attached.stderr));
    assert!(
        text(&attached.stdout).contains("agit désormais pour la structure de SIREN 732829320"),
        "{}",
        text(&attached.stdout)
    );
    let bad = essor(
        dir.path(),
        &[
            "user",
            "structure",
            "presidente@velo-libre.org",
            "732829321",
        ],
    );
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("SIREN"), "{}", text(&bad.stderr));
    let unknown = essor(
        dir.path(),
        &["user", "structure", "x@example.fr", "732829320"],
    );
    assert!(!unknown.status.success());
    assert!(text(&unknown.stderr).contains("aucun compte"));
    let trail = essor(dir.path(), &["audit", "list", "--action", "membership"]);
    assert!(text(&trail.stdout).contains("membership.changed"));
}
