//! essor's domain: the types and rules of the product, with no I/O.
//!
//! Values that carry a rule (identifiers, money, plan keys) are newtypes built only through
//! `parse`; errors name the broken rule in French, since they reach users as they are.

pub mod access;
pub mod actor;
pub mod agreement;
pub mod audit;
pub mod committee;
pub mod dates;
pub mod document;
pub mod dossier;
pub mod ess;
pub mod establishment;
pub mod funding;
pub mod geo;
pub mod ids;
pub mod instruction;
pub mod money;
pub mod opendata;
pub mod panorama;
pub mod plan;
pub mod referential;
pub mod reports;
pub mod steering;
pub mod territory;
pub mod text;

pub use ids::{CodeCommune, CodeNaf, IdError, NafSection, Rna, Siren, Siret};
pub use money::Money;
pub use plan::Plan;
