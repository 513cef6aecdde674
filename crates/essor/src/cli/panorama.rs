//! `essor panorama`: the ESS panorama of a territory from the last (or a given) SIRENE import.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use essor_domain::money::{format_number, format_pct, group_thousands};
use essor_domain::panorama::{Dimension, GroupFigures, Panorama, group_label};
use essor_domain::referential::Referential;
use essor_domain::territory::TerritoryRef;
use essor_store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Résumé lisible, en français.
    Text,
    /// Le JSON de DATA.md §2.
    Json,
    /// Toutes les valeurs, une par ligne (tableau, clé, libellé, indicateur, valeur).
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct PanoramaArgs {
    /// Territoire : epci:SIREN, departement:CODE ou communes:CODE,CODE… (par défaut, le
    /// territoire configuré).
    #[arg(long)]
    territory: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Numéro de l’import SIRENE (par défaut, le dernier).
    #[arg(long)]
    snapshot: Option<i64>,
    /// Mesure : calcule aussi le panorama N fois de suite, la base restant ouverte (comme dans
    /// le serveur), et écrit sur la sortie d’erreur la durée médiane, la plus courte et la plus
    /// longue d’un calcul (lecture des agrégats et sommes, sans le démarrage de la commande).
    #[arg(long, value_name = "N")]
    timing: Option<usize>,
}

pub async fn run(args: PanoramaArgs, store: &dyn Store) -> Result<()> {
    let reference = match args.territory {
        Some(text) => text.parse::<TerritoryRef>()?,
        None => store
            .default_territory()
            .await?
            .context("aucun territoire par défaut n’est configuré : précisez --territory")?
            .reference
            .parse()?,
    };
    let territory = reference.resolve(Referential::embedded())?;
    let snapshot = match args.snapshot {
        Some(id) => store
            .snapshot(id)
            .await?
            .with_context(|| format!("aucun import SIRENE n° {id}"))?,
        None => store
            .latest_snapshot()
            .await?
            .context("aucun import SIRENE n’a encore été fait : lancez « essor import sirene »")?,
    };
    let panorama = essor_store::observatory::panorama(store, &territory, &snapshot).await?;
    if let Some(runs) = args.timing.filter(|runs| *runs > 0) {
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            let again = essor_store::observatory::panorama(store, &territory, &snapshot).await?;
            times.push(start.elapsed());
            anyhow::ensure!(
                again == panorama,
                "le panorama a changé d’un calcul à l’autre"
            );
        }
        times.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        eprintln!(
            "panorama {} ({} communes) : médiane {:.2} ms, min {:.2} ms, max {:.2} ms sur {runs} calculs, base ouverte",
            territory.reference,
            territory.communes.len(),
            ms(times[runs / 2]),
            ms(times[0]),
            ms(times[runs - 1]),
        );
    }
    let output = match args.format {
        Format::Json => format!("{:#}\n", panorama.to_json()),
        Format::Csv => panorama.to_csv(),
        Format::Text => to_text(&panorama),
    };
    print!("{output}");
    Ok(())
}

fn to_text(p: &Panorama) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Panorama de l’ESS — {} ({} communes)",
        p.territory.name, p.territory.communes
    );
    let _ = writeln!(
        out,
        "Source : {} et {}, importés le {}{} ; périmètre {}.\n",
        p.source.establishments_file,
        p.source.units_file,
        p.source
            .imported_at
            .get(..10)
            .unwrap_or(&p.source.imported_at),
        if p.source.synthetic {
            " (DONNÉES SYNTHÉTIQUES, non réelles)"
        } else {
            ""
        },
        essor_domain::panorama::PERIMETER,
    );
    let _ = writeln!(out, "{}\n", p.headline());
    let _ = writeln!(
        out,
        "Établissements actifs : {} dont {} de l’ESS ({}).",
        group_thousands(p.establishments.active),
        group_thousands(p.establishments.ess_active),
        format_pct(p.establishments.ess_active_share_pct)
    );
    let _ = writeln!(
        out,
        "Établissements employeurs : {} dont {} de l’ESS ({}).",
        group_thousands(p.establishments.employer),
        group_thousands(p.establishments.ess_employer),
        format_pct(p.establishments.ess_employer_share_pct)
    );
    let _ = writeln!(
        out,
        "Emplois estimés : {} dont {} dans l’ESS ({}) ; {} établissements de l’ESS d’effectif inconnu.",
        format_number(p.jobs.all_estimated, 1),
        format_number(p.jobs.ess_estimated, 1),
        format_pct(p.jobs.ess_share_pct),
        group_thousands(p.jobs.ess_band_unknown)
    );
    for (title, dimension, rows) in [
        ("Par famille", Dimension::Family, &p.by_family),
        ("Par thématique du plan", Dimension::Theme, &p.by_theme),
        (
            "Par section d’activité (NAF)",
            Dimension::Section,
            &p.by_naf_section,
        ),
        ("Par tranche d’effectif", Dimension::Band, &p.by_band),
    ] {
        let _ = writeln!(
            out,
            "\n{title} (établissements actifs / employeurs / emplois estimés)"
        );
        write_groups(&mut out, dimension, rows);
    }
    out
}

fn write_groups(out: &mut String, dimension: Dimension, rows: &[GroupFigures]) {
    for g in rows {
        let _ = writeln!(
            out,
            "  {:<60} {:>9} {:>9} {:>11}",
            essor_domain::text::ellipsis(&group_label(dimension, &g.key), 60),
            group_thousands(g.ess_active),
            group_thousands(g.ess_employer),
            format_number(g.ess_jobs, 1)
        );
    }
}
