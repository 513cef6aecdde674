//! `essor export subventions`: the subsidies granted, in the SCDL « subventions » 2.1.1 schema,
//! to a file or to the standard output.

use std::path::Path;
use std::process::{Command, Output};

use chrono::{NaiveDate, TimeZone, Utc};
use essor_domain::Money;
use essor_domain::dossier::{Action, Application, Decision, Party, State, transition};
use essor_domain::referential::Referential;
use essor_store::Store;
use essor_store::dossiers::NewDossier;

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

/// An accepted dossier of `year`, its agreement signed on `signed`.
async fn accepted(store: &dyn Store, year: i32, cents: i64, signed: NaiveDate) {
    let asked = Money::from_euros(20_000);
    let dossier = store
        .create_dossier(&NewDossier {
            siret: "73282932000074",
            siren: "732829320",
            year,
            application: &Application {
                title: format!("Atelier vélo {year}"),
                asked,
                ..Application::default()
            },
            created_by: None,
        })
        .await
        .unwrap();
    let mut state = State::Draft;
    for action in [
        Action::Submit {
            missing: Vec::new(),
        },
        Action::Instruct,
        Action::PutOnAgenda {
            unchecked: Vec::new(),
        },
        Action::Decide {
            decision: Decision::Accept {
                amount: Money::from_cents(cents),
                asked,
            },
            unchecked: Vec::new(),
        },
    ] {
        let party = if state == State::Draft {
            Party::Applicant
        } else {
            Party::Staff
        };
        let step = transition(state, &action, party).unwrap();
        state = step.to;
        let at = Utc.with_ymd_and_hms(year, 3, 1, 10, 0, 0).unwrap();
        store
            .record_transition(dossier.id, &step, Some(Money::from_cents(cents)), None, at)
            .await
            .unwrap()
            .unwrap();
    }
    store
        .set_agreement_signed(dossier.id, Some(signed))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_subsidies_of_a_year_are_exported_to_a_file_or_the_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let store = essor_store::SqliteStore::open(&dir.path().join("essor.sqlite3"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    essor_store::seed::ensure_reference_data(&store, Referential::embedded())
        .await
        .unwrap();
    accepted(
        &store,
        2025,
        1_234_567,
        NaiveDate::from_ymd_opt(2025, 5, 2).unwrap(),
    )
    .await;
    accepted(
        &store,
        2024,
        500_000,
        NaiveDate::from_ymd_opt(2024, 4, 9).unwrap(),
    )
    .await;
    store.close().await;

    let file = dir.path().join("subventions-2025.csv");
    let out = essor(
        dir.path(),
        &[
            "export",
            "subventions",
            "--year",
            "2025",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("1 subvention(s) écrite(s)"));
    let written = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = written.split("\r\n").collect();
    assert_eq!(lines[0], essor_domain::opendata::FIELDS.join(","));
    assert!(
        lines[1].starts_with("Grenoble-Alpes-Métropole,20004071500019,2025-05-02,essor-2025-1,"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains(",Atelier vélo 2025,12345.67,aide en numéraire,échelonné,"));
    assert_eq!(lines.len(), 3, "{written}");

    let all = essor(dir.path(), &["export", "subventions"]);
    assert!(all.status.success(), "{}", text(&all.stderr));
    let stdout = text(&all.stdout);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(stdout.contains(",2024-04-09,essor-2024-2,"));

    let refused = essor(dir.path(), &["export", "subventions", "--year", "1999"]);
    assert!(!refused.status.success());

    let config = dir.path().join("essor.toml");
    std::fs::write(
        &config,
        "[opendata]\nsiret_attribuant = \"20004071500018\"\n",
    )
    .unwrap();
    let bad = essor(
        dir.path(),
        &[
            "--config",
            config.to_str().unwrap(),
            "export",
            "subventions",
        ],
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("[opendata] siret_attribuant"),
        "{}",
        text(&bad.stderr)
    );
}
