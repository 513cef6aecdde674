//! A kill at any moment of an import leaves the previous snapshot intact and usable, and a
//! re-run succeeds.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn essor(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_essor"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("ESSOR_DATABASE_URL")
        .output()
        .expect("run essor")
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "essor failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

fn generate(out: &Path, establishments: u64, seed: u64) {
    let output = Command::new(env!("CARGO_BIN_EXE_essor"))
        .args(["generate", "sirene", "--out"])
        .arg(out)
        .args(["--establishments", &establishments.to_string()])
        .args(["--seed", &seed.to_string()])
        .output()
        .expect("run essor generate");
    ok(output);
}

fn import_args(dir: &Path) -> Vec<String> {
    vec![
        "import".into(),
        "sirene".into(),
        "--establishments".into(),
        dir.join("StockEtablissement_utf8.csv")
            .display()
            .to_string(),
        "--units".into(),
        dir.join("StockUniteLegale_utf8.csv").display().to_string(),
    ]
}

/// A panorama's figures: without its source, whose import time differs from one import to
/// another of the same files.
fn figures(mut panorama: serde_json::Value) -> serde_json::Value {
    if let Some(object) = panorama.as_object_mut() {
        object.remove("source");
    }
    panorama
}

fn panorama(data_dir: &Path) -> serde_json::Value {
    let text = ok(essor(
        data_dir,
        &[
            "panorama",
            "--territory",
            "departement:38",
            "--format",
            "json",
        ],
    ));
    serde_json::from_str(&text).expect("panorama JSON")
}

#[test]
fn an_import_killed_at_any_moment_leaves_the_previous_snapshot_and_a_rerun_succeeds() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let small = work.path().join("small");
    let large = work.path().join("large");
    generate(&small, 20_000, 1);
    generate(&large, 400_000, 2);

    let args = import_args(&small);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(essor(&data, &args));
    let before = panorama(&data);

    let large_args = import_args(&large);
    // The figures of a complete import of the large stock, in a folder of their own.
    let complete = work.path().join("complete");
    ok(essor(
        &complete,
        &large_args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let complete = figures(panorama(&complete));
    let mut killed = 0;
    for delay_ms in [30_u64, 150, 400, 800, 1_500, 3_000] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_essor"))
            .arg("--data-dir")
            .arg(&data)
            .args(&large_args)
            .env_remove("ESSOR_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the import");
        let deadline = Instant::now() + Duration::from_millis(delay_ms);
        let mut finished = false;
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                finished = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if finished {
            // The machine was fast enough to finish: later delays would too.
            break;
        }
        child.kill().expect("SIGKILL the import");
        child.wait().unwrap();
        let served = panorama(&data);
        if served != before && figures(served.clone()) == complete {
            // Killed after its commit, while the process was ending: the new snapshot is whole,
            // and later delays would find it so too.
            break;
        }
        killed += 1;
        assert_eq!(
            served, before,
            "after a kill at {delay_ms} ms the previous snapshot is served unchanged"
        );
    }
    assert!(killed > 0, "at least one import was killed midway");

    ok(essor(
        &data,
        &large_args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let after = panorama(&data);
    assert_ne!(
        after["establishments"], before["establishments"],
        "the re-run's figures are served"
    );
}
