//! The reference territory's panorama, computed from generated files with the test's own
//! implementation of the rules, lands near the seed's figures.

mod common;

use essor_domain::referential::Referential;
use essor_synth::{
    FULL_SCALE_ESTABLISHMENTS, GeneratorConfig, full_scale_establishments, generate,
};

/// Seed's figures at whole-country size (`DATA.md` §3).
const ESS_EMPLOYER: f64 = 1875.0;
const ESS_EMPLOYER_SHARE: f64 = 10.0;
const ESS_JOBS: f64 = 20_000.0;

fn within(measured: f64, target: f64, tolerance: f64) -> bool {
    (measured - target).abs() <= target * tolerance
}

/// Generates the reference territory alone at whole-country density (the rows it would get
/// in a 43.9 M generation, in a fraction of the time), twice with two seeds, and checks the mean
/// of the two panoramas: a single draw varies by about 7 % on jobs.
#[test]
fn the_reference_territory_reproduces_the_seed_figures() {
    let referential = Referential::embedded();
    let members: Vec<String> = referential
        .epci("200040715")
        .unwrap()
        .members
        .iter()
        .map(ToString::to_string)
        .collect();
    let establishments = full_scale_establishments(referential, &members).unwrap();
    assert!(
        (270_000..300_000).contains(&establishments),
        "{establishments}"
    );
    let territory = common::epci_codes(referential, "200040715");
    let mut total = common::Figures::default();
    for seed in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let config = GeneratorConfig {
            communes: Some(members.clone()),
            ..GeneratorConfig::new(establishments, seed)
        };
        generate(&config, dir.path(), referential, |_| {}).unwrap();
        let figures = common::panorama(dir.path(), &territory);
        println!("seed {seed}: {figures:?}");
        total.add(&figures);
    }
    let ess_employer = total.ess_employer as f64 / 2.0;
    let share = total.ess_employer_share();
    let ess_jobs = total.ess_jobs() / 2.0;
    println!("mean: ess_employer {ess_employer}, share {share:.1} %, ESS jobs {ess_jobs}");
    assert!(within(ess_employer, ESS_EMPLOYER, 0.15), "{total:?}");
    assert!(within(share, ESS_EMPLOYER_SHARE, 0.15), "{total:?}");
    assert!(within(ess_jobs, ESS_JOBS, 0.15), "{total:?}");
    // "1 emploi sur 10".
    let jobs_share = 100.0 * total.ess_jobs() / total.jobs();
    assert!(within(jobs_share, 10.0, 0.25), "{jobs_share}");
}

/// Measures the reference territory in a generation of `ESSOR_SYNTH_N` establishments over
/// France (release build advised): `cargo test --release -p essor-synth --test calibration
/// -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run by hand"]
fn measure_the_reference_territory_in_a_national_generation() {
    let n: u64 = std::env::var("ESSOR_SYNTH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4_390_000);
    let seed: u64 = std::env::var("ESSOR_SYNTH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let referential = Referential::embedded();
    let dir = std::env::var("ESSOR_SYNTH_DIR").map_or_else(
        |_| tempfile::tempdir().unwrap().keep(),
        std::path::PathBuf::from,
    );
    // ESSOR_SYNTH_RESTRICT=1: the reference territory alone, at whole-country density.
    let restrict = std::env::var("ESSOR_SYNTH_RESTRICT").is_ok();
    let members: Vec<String> = referential
        .epci("200040715")
        .unwrap()
        .members
        .iter()
        .map(ToString::to_string)
        .collect();
    let (n, config) = if restrict {
        let n = full_scale_establishments(referential, &members).unwrap();
        let config = GeneratorConfig {
            communes: Some(members),
            ..GeneratorConfig::new(n, seed)
        };
        (FULL_SCALE_ESTABLISHMENTS, config)
    } else {
        (n, GeneratorConfig::new(n, seed))
    };
    let summary = generate(&config, &dir, referential, |_| {}).unwrap();
    println!("{summary:#?}");
    let scale = n as f64 / FULL_SCALE_ESTABLISHMENTS as f64;
    let figures = common::panorama(&dir, &common::epci_codes(referential, "200040715"));
    println!(
        "{figures:?}\nscaled to the whole country: ess_employer {:.0}, employer {:.0}, share {:.1} %, ESS jobs {:.0}, jobs {:.0}",
        figures.ess_employer as f64 / scale,
        figures.employer as f64 / scale,
        figures.ess_employer_share(),
        figures.ess_jobs() / scale,
        figures.jobs() / scale,
    );
    // The whole country's figures (the test's implementation keeps every row: small sizes only).
    if n > 5_000_000 || restrict {
        if std::env::var("ESSOR_SYNTH_DIR").is_err() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        return;
    }
    let france: std::collections::HashSet<String> =
        referential.communes().map(|c| c.code.to_string()).collect();
    let national = common::panorama(&dir, &france);
    println!(
        "France {national:?}\nscaled: active {:.0}, employer {:.0}, share {:.1} %, ESS jobs {:.0}, jobs {:.0}",
        national.active as f64 / scale,
        national.employer as f64 / scale,
        national.ess_employer_share(),
        national.ess_jobs() / scale,
        national.jobs() / scale,
    );
    if std::env::var("ESSOR_SYNTH_DIR").is_err() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Generation speed, without reading the files back: `ESSOR_SYNTH_N` establishments into
/// `ESSOR_SYNTH_DIR` (`ESSOR_SYNTH_ZIP=1` for the archives too).
#[test]
#[ignore = "a measurement, run by hand"]
fn measure_the_generation_speed() {
    let n: u64 = std::env::var("ESSOR_SYNTH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4_390_000);
    let dir = std::env::var("ESSOR_SYNTH_DIR").map_or_else(
        |_| tempfile::tempdir().unwrap().keep(),
        std::path::PathBuf::from,
    );
    let config = GeneratorConfig {
        zip: std::env::var("ESSOR_SYNTH_ZIP").is_ok(),
        ..GeneratorConfig::new(n, 1)
    };
    let summary = generate(&config, &dir, Referential::embedded(), |_| {}).unwrap();
    println!("{summary:#?}");
    println!(
        "{:.0} establishment rows/s",
        n as f64 / summary.elapsed.as_secs_f64()
    );
    if std::env::var("ESSOR_SYNTH_DIR").is_err() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
