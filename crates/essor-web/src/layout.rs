//! What every page's frame needs: the territory's name, the navigation, asset URLs.

use crate::assets;

pub(crate) struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The main navigation, in the order users meet the product. Sections are added here as they
/// land (observatory, directory, project support, desk, purchasing).
const NAVIGATION: &[(&str, &str)] = &[
    ("/", "Accueil"),
    ("/plan", "Le plan"),
    ("/instances", "Instances"),
    ("/partenaires", "Partenaires"),
    ("/acteurs", "Annuaire"),
    ("/observatoire", "Observatoire"),
    ("/territoire", "Territoire"),
];

pub(crate) struct Layout {
    pub territory_name: String,
    pub css_url: String,
    pub icon_url: String,
    pub nav: Vec<NavItem>,
}

impl Layout {
    pub(crate) fn new(territory_name: &str, current_path: &str) -> Self {
        Self {
            territory_name: territory_name.to_owned(),
            css_url: assets::url("essor.css"),
            icon_url: assets::url("favicon.svg"),
            nav: NAVIGATION
                .iter()
                .map(|&(href, label)| NavItem {
                    href,
                    label,
                    current: href == current_path,
                })
                .collect(),
        }
    }

    /// For pages shown when the territory could not be read (errors).
    pub(crate) fn plain() -> Self {
        Self::new("économie sociale et solidaire", "")
    }
}
