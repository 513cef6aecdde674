//! Small stock files in INSEE's exact format, written row by row: each row names the columns it
//! fills, every other column is empty. The reference data set ([`units`], [`establishments`]) has
//! every quirk of the real files, and its figures are worked out by hand in `figures.rs`.

use std::io::Write;
use std::path::{Path, PathBuf};

pub(crate) const ESTABLISHMENT_HEADER: &str = "siren,nic,siret,statutDiffusionEtablissement,\
dateCreationEtablissement,trancheEffectifsEtablissement,anneeEffectifsEtablissement,\
activitePrincipaleRegistreMetiersEtablissement,dateDernierTraitementEtablissement,\
etablissementSiege,nombrePeriodesEtablissement,complementAdresseEtablissement,\
numeroVoieEtablissement,indiceRepetitionEtablissement,dernierNumeroVoieEtablissement,\
indiceRepetitionDernierNumeroVoieEtablissement,typeVoieEtablissement,libelleVoieEtablissement,\
codePostalEtablissement,libelleCommuneEtablissement,libelleCommuneEtrangerEtablissement,\
distributionSpecialeEtablissement,codeCommuneEtablissement,codeCedexEtablissement,\
libelleCedexEtablissement,codePaysEtrangerEtablissement,libellePaysEtrangerEtablissement,\
identifiantAdresseEtablissement,coordonneeLambertAbscisseEtablissement,\
coordonneeLambertOrdonneeEtablissement,complementAdresse2Etablissement,\
numeroVoie2Etablissement,indiceRepetition2Etablissement,typeVoie2Etablissement,\
libelleVoie2Etablissement,codePostal2Etablissement,libelleCommune2Etablissement,\
libelleCommuneEtranger2Etablissement,distributionSpeciale2Etablissement,\
codeCommune2Etablissement,codeCedex2Etablissement,libelleCedex2Etablissement,\
codePaysEtranger2Etablissement,libellePaysEtranger2Etablissement,dateDebut,\
etatAdministratifEtablissement,enseigne1Etablissement,enseigne2Etablissement,\
enseigne3Etablissement,denominationUsuelleEtablissement,activitePrincipaleEtablissement,\
nomenclatureActivitePrincipaleEtablissement,caractereEmployeurEtablissement,\
activitePrincipaleNAF25Etablissement";

pub(crate) const UNIT_HEADER: &str = "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,\
dateCreationUniteLegale,sigleUniteLegale,sexeUniteLegale,prenom1UniteLegale,\
prenom2UniteLegale,prenom3UniteLegale,prenom4UniteLegale,prenomUsuelUniteLegale,\
pseudonymeUniteLegale,identifiantAssociationUniteLegale,trancheEffectifsUniteLegale,\
anneeEffectifsUniteLegale,dateDernierTraitementUniteLegale,nombrePeriodesUniteLegale,\
categorieEntreprise,anneeCategorieEntreprise,dateDebut,etatAdministratifUniteLegale,\
nomUniteLegale,nomUsageUniteLegale,denominationUniteLegale,denominationUsuelle1UniteLegale,\
denominationUsuelle2UniteLegale,denominationUsuelle3UniteLegale,categorieJuridiqueUniteLegale,\
activitePrincipaleUniteLegale,nomenclatureActivitePrincipaleUniteLegale,nicSiegeUniteLegale,\
economieSocialeSolidaireUniteLegale,societeMissionUniteLegale,caractereEmployeurUniteLegale,\
activitePrincipaleNAF25UniteLegale";

/// Columns of the establishments header that older files lack.
pub(crate) const RECENT_ESTABLISHMENT_COLUMNS: [&str; 2] = [
    "activitePrincipaleNAF25Etablissement",
    "activitePrincipaleRegistreMetiersEtablissement",
];
pub(crate) const RECENT_UNIT_COLUMNS: [&str; 2] = [
    "activitePrincipaleNAF25UniteLegale",
    "societeMissionUniteLegale",
];

/// A CSV table: a header and rows of as many fields.
#[derive(Clone)]
pub(crate) struct Table {
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(header: &str) -> Self {
        Self {
            columns: header.split(',').map(str::to_owned).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row filling the named columns.
    pub(crate) fn row(&mut self, fields: &[(&str, &str)]) -> &mut Self {
        let mut row = vec![String::new(); self.columns.len()];
        for (name, value) in fields {
            let index = self
                .columns
                .iter()
                .position(|c| c == name)
                .unwrap_or_else(|| panic!("no column {name}"));
            (*value).clone_into(&mut row[index]);
        }
        self.rows.push(row);
        self
    }

    /// The same table without some columns.
    pub(crate) fn without(&self, names: &[&str]) -> Self {
        let keep: Vec<usize> = (0..self.columns.len())
            .filter(|i| !names.contains(&self.columns[*i].as_str()))
            .collect();
        let pick = |row: &Vec<String>| keep.iter().map(|i| row[*i].clone()).collect();
        Self {
            columns: pick(&self.columns),
            rows: self.rows.iter().map(pick).collect(),
        }
    }

    /// The same table with its columns in reverse order and an unknown column in the middle.
    pub(crate) fn reordered(&self) -> Self {
        let mut columns: Vec<String> = self.columns.iter().rev().cloned().collect();
        let middle = columns.len() / 2;
        columns.insert(middle, "colonneInconnueAjouteeParInsee".to_owned());
        let rows = self
            .rows
            .iter()
            .map(|row| {
                let mut row: Vec<String> = row.iter().rev().cloned().collect();
                row.insert(middle, "valeur, \"inconnue\"".to_owned());
                row
            })
            .collect();
        Self { columns, rows }
    }

    /// RFC 4180 CSV as INSEE writes it: quotes only where needed, doubled inside.
    pub(crate) fn to_csv(&self) -> Vec<u8> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        writer.write_record(&self.columns).unwrap();
        for row in &self.rows {
            writer.write_record(row).unwrap();
        }
        writer.into_inner().unwrap()
    }
}

pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A zip holding one CSV, deflated, as INSEE publishes.
pub(crate) fn zip(dir: &Path, name: &str, entry: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    zip.start_file(entry, options).unwrap();
    zip.write_all(bytes).unwrap();
    zip.finish().unwrap();
    path
}

/// The legal units of the reference data set.
pub(crate) fn units() -> Table {
    let mut t = Table::new(UNIT_HEADER);
    let unit = |siren, category, flag, denomination| {
        vec![
            ("siren", siren),
            ("statutDiffusionUniteLegale", "O"),
            ("etatAdministratifUniteLegale", "A"),
            ("categorieJuridiqueUniteLegale", category),
            ("economieSocialeSolidaireUniteLegale", flag),
            ("denominationUniteLegale", denomination),
            ("dateCreationUniteLegale", "2001-01-01"),
            (
                "dateDernierTraitementUniteLegale",
                "2025-11-02T10:11:12.000",
            ),
        ]
    };
    // U1: an association, flag not filled; a name with doubled quotes and a comma.
    let mut u1 = unit(
        "100000001",
        "9220",
        "",
        "LES AMIS DU \"VIEUX\" MOULIN, GRENOBLE",
    );
    u1.push(("sigleUniteLegale", "AVM"));
    u1.push(("identifiantAssociationUniteLegale", "W381000001"));
    t.row(&u1);
    // U2: a SCOP flagged O; a backslash before a comma, an ordinary character.
    t.row(&unit("100000002", "5458", "O", "SCOP ALPES \\, BIS"));
    // U3: a commercial company flagged O.
    t.row(&unit("100000003", "5710", "O", "SOLIDAIRE SAS"));
    // U4: a commercial company flagged N.
    t.row(&unit("100000004", "5710", "N", "BOULANGERIE DUPONT"));
    // U5: an individual entrepreneur flagged O, under partial dissemination.
    t.row(&[
        ("siren", "100000005"),
        ("statutDiffusionUniteLegale", "P"),
        ("etatAdministratifUniteLegale", "A"),
        ("categorieJuridiqueUniteLegale", "1000"),
        ("economieSocialeSolidaireUniteLegale", "O"),
        ("nomUniteLegale", "[ND]"),
        ("prenom1UniteLegale", "[ND]"),
        ("prenomUsuelUniteLegale", "[ND]"),
        ("sexeUniteLegale", "[ND]"),
        ("dateCreationUniteLegale", "2019-07-01"),
    ]);
    // U6: an individual entrepreneur flagged O, public.
    t.row(&[
        ("siren", "100000006"),
        ("statutDiffusionUniteLegale", "O"),
        ("etatAdministratifUniteLegale", "A"),
        ("categorieJuridiqueUniteLegale", "1000"),
        ("economieSocialeSolidaireUniteLegale", "O"),
        ("nomUniteLegale", "MARTIN"),
        ("nomUsageUniteLegale", "DURAND"),
        ("prenom1UniteLegale", "CLAIRE"),
        ("prenomUsuelUniteLegale", "CLAIRE"),
        ("sexeUniteLegale", "F"),
    ]);
    // U7: an association flagged N: the category decides.
    t.row(&unit("100000007", "9220", "N", "CLUB DES SPORTS"));
    // U8: a mutual.
    t.row(&unit("100000008", "8210", "", "MUTUELLE DU SUD"));
    // U9: an association whose establishment is a union (94.20Z): excluded.
    t.row(&unit("100000009", "9220", "", "SYNDICAT DES METIERS"));
    // U10: a foundation, ceased.
    let mut u10 = unit("100000010", "9300", "", "FONDATION DU PATRIMOINE ALPIN");
    u10[2] = ("etatAdministratifUniteLegale", "C");
    t.row(&u10);
    // U11: a commune.
    t.row(&unit("100000011", "7210", "", "COMMUNE DE GRENOBLE"));
    t
}

/// One establishment of the reference data set.
#[allow(clippy::too_many_arguments)]
fn establishment<'a>(
    siren: &'a str,
    nic: &'a str,
    full_siret: &'a str,
    commune: &'a str,
    state: &'a str,
    employer: &'a str,
    band: &'a str,
    naf: &'a str,
    nomenclature: &'a str,
    created: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("siren", siren),
        ("nic", nic),
        ("siret", full_siret),
        ("statutDiffusionEtablissement", "O"),
        ("codeCommuneEtablissement", commune),
        ("etatAdministratifEtablissement", state),
        ("caractereEmployeurEtablissement", employer),
        ("trancheEffectifsEtablissement", band),
        ("activitePrincipaleEtablissement", naf),
        ("nomenclatureActivitePrincipaleEtablissement", nomenclature),
        ("dateCreationEtablissement", created),
        ("dateDebut", "2024-01-01"),
        ("etablissementSiege", "true"),
        ("dateDernierTraitementEtablissement", "2025-11-02T10:11:12"),
        ("activitePrincipaleNAF25Etablissement", "88.10A"),
    ]
}

fn set<'a>(row: &mut Vec<(&'a str, &'a str)>, name: &'a str, value: &'a str) {
    match row.iter_mut().find(|(n, _)| *n == name) {
        Some(field) => field.1 = value,
        None => row.push((name, value)),
    }
}

/// The establishments of the reference data set (E1 to E17; see `figures.rs`).
// One row after the other, each commented: splitting them would not read better.
#[allow(clippy::too_many_lines)]
pub(crate) fn establishments() -> Table {
    let mut t = Table::new(ESTABLISHMENT_HEADER);
    let e = establishment;
    // E1: association, Grenoble, active employer, band 11, with a full address.
    let mut e1 = e(
        "100000001",
        "00011",
        "10000000100011",
        "38185",
        "A",
        "O",
        "11",
        "88.10A",
        "NAFRev2",
        "2020-05-01",
    );
    set(&mut e1, "numeroVoieEtablissement", "12");
    set(&mut e1, "indiceRepetitionEtablissement", "B");
    set(&mut e1, "typeVoieEtablissement", "AV");
    set(&mut e1, "libelleVoieEtablissement", "JEAN JAURES");
    set(&mut e1, "codePostalEtablissement", "38000");
    set(&mut e1, "libelleCommuneEtablissement", "GRENOBLE");
    set(
        &mut e1,
        "coordonneeLambertAbscisseEtablissement",
        "913254.5",
    );
    set(&mut e1, "coordonneeLambertOrdonneeEtablissement", "6458025");
    set(&mut e1, "enseigne1Etablissement", "LA RESSOURCERIE \"BIS\"");
    t.row(&e1);
    // E2: the same association, closed in 2022.
    let mut e2 = e(
        "100000001",
        "00029",
        "10000000100029",
        "38185",
        "F",
        "N",
        "01",
        "88.10A",
        "NAFRev2",
        "2010-01-01",
    );
    set(&mut e2, "dateDebut", "2022-06-30");
    set(&mut e2, "etablissementSiege", "false");
    t.row(&e2);
    // E3: the SCOP, waste (38.11Z); a sign with backslashes and quotes, a street ending in `\`.
    let mut e3 = e(
        "100000002",
        "00015",
        "10000000200015",
        "38185",
        "A",
        "O",
        "03",
        "38.11Z",
        "NAFRev2",
        "2015-03-03",
    );
    set(
        &mut e3,
        "enseigne1Etablissement",
        "L'ÉCHOPPE \\\"RÉEMPLOI\\\"",
    );
    set(&mut e3, "numeroVoieEtablissement", "3");
    set(&mut e3, "typeVoieEtablissement", "RUE");
    set(&mut e3, "libelleVoieEtablissement", "DU PORT\\");
    set(&mut e3, "codePostalEtablissement", "38000");
    t.row(&e3);
    // E4: the company flagged O, Saint-Martin-d'Hères, empty band, two themes, unknown date.
    t.row(&e(
        "100000003",
        "00013",
        "10000000300013",
        "38421",
        "A",
        "N",
        "",
        "43.22B",
        "NAFRev2",
        "1900-01-01",
    ));
    // E5: the company flagged N, Grenoble, employer.
    t.row(&e(
        "100000004",
        "00018",
        "10000000400018",
        "38185",
        "A",
        "O",
        "12",
        "47.11F",
        "NAFRev2",
        "2021-01-01",
    ));
    // E6: the protected individual entrepreneur, old nomenclature, everything masked.
    let mut e6 = e(
        "100000005",
        "00016",
        "10000000500016",
        "38185",
        "A",
        "N",
        "NN",
        "52.4Z",
        "NAFRev1",
        "2019-07-01",
    );
    for (name, value) in [
        ("statutDiffusionEtablissement", "P"),
        ("numeroVoieEtablissement", "[ND]"),
        ("typeVoieEtablissement", "[ND]"),
        ("libelleVoieEtablissement", "[ND]"),
        ("codePostalEtablissement", "[ND]"),
        ("coordonneeLambertAbscisseEtablissement", "[ND]"),
        ("coordonneeLambertOrdonneeEtablissement", "[ND]"),
        ("enseigne1Etablissement", "[ND]"),
        ("denominationUsuelleEtablissement", "[ND]"),
    ] {
        set(&mut e6, name, value);
    }
    t.row(&e6);
    // E7: the public individual entrepreneur, Paris 1er arrondissement, restaurant.
    t.row(&e(
        "100000006",
        "00014",
        "10000000600014",
        "75101",
        "A",
        "O",
        "02",
        "56.10A",
        "NAFRev2",
        "2024-02-02",
    ));
    // E8: the association flagged N, Lyon 1er, created in 1945.
    t.row(&e(
        "100000007",
        "00017",
        "10000000700017",
        "69381",
        "A",
        "N",
        "00",
        "94.99Z",
        "NAFRev2",
        "1945-06-01",
    ));
    // E9: the mutual, Marseille 1er.
    t.row(&e(
        "100000008",
        "00010",
        "10000000800010",
        "13201",
        "A",
        "O",
        "21",
        "65.12Z",
        "NAFRev2",
        "2001-01-01",
    ));
    // E10: the union, Grenoble: excluded activity.
    t.row(&e(
        "100000009",
        "00012",
        "10000000900012",
        "38185",
        "A",
        "O",
        "01",
        "94.20Z",
        "NAFRev2",
        "2018-01-01",
    ));
    // E11: a unit missing from the units file.
    t.row(&e(
        "100000099",
        "00011",
        "10000009900011",
        "38185",
        "A",
        "O",
        "01",
        "88.10A",
        "NAFRev2",
        "2017-01-01",
    ));
    // E12: the association in a former commune (38007): in no territory.
    t.row(&e(
        "100000001",
        "00037",
        "10000000100037",
        "38007",
        "A",
        "O",
        "01",
        "88.10A",
        "NAFRev2",
        "2016-01-01",
    ));
    // E13: the company flagged O, abroad: no commune code.
    let mut e13 = e(
        "100000003",
        "00021",
        "10000000300021",
        "",
        "A",
        "O",
        "01",
        "70.10Z",
        "NAFRev2",
        "2016-01-01",
    );
    set(&mut e13, "libelleCommuneEtrangerEtablissement", "GENEVE");
    set(&mut e13, "codePaysEtrangerEtablissement", "99140");
    t.row(&e13);
    // E14: the ceased foundation's establishment, closed in 2023.
    let mut e14 = e(
        "100000010",
        "00019",
        "10000001000019",
        "38185",
        "F",
        "",
        "01",
        "88.99B",
        "NAFRev2",
        "2005-05-05",
    );
    set(&mut e14, "dateDebut", "2023-12-31");
    t.row(&e14);
    // E15: the commune's town hall: no family.
    t.row(&e(
        "100000011",
        "00016",
        "10000001100016",
        "38185",
        "A",
        "O",
        "22",
        "84.11Z",
        "NAFRev2",
        "1900-01-01",
    ));
    // E16: the association, biggest band, placeholder activity, no creation date.
    t.row(&e(
        "100000001",
        "00045",
        "10000000100045",
        "38185",
        "A",
        "O",
        "53",
        "00.00Z",
        "NAFRev2",
        "",
    ));
    // E17: the association flagged N, a band value INSEE does not use.
    t.row(&e(
        "100000007",
        "00025",
        "10000000700025",
        "38185",
        "A",
        "N",
        "99",
        "88.10A",
        "NAFRev2",
        "2020-01-01",
    ));
    t
}

/// The communes kept for the directory in the tests: Grenoble and Saint-Martin-d'Hères.
pub(crate) fn kept() -> Vec<String> {
    vec!["38185".to_owned(), "38421".to_owned()]
}
