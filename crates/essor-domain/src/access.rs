//! Who may do what: the roles of `PRODUCT.md` and the one authorisation policy every route and
//! command goes through.
//!
//! A route declares the [`Permission`] it needs; [`Principal::decide`] answers for the person
//! making the request. Nothing else in essor decides access, so the policy can be read, and
//! tested, in one place.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::Siren;

/// A role given to an account by an administrator. Being an *actor* is not a role: it follows
/// from acting for at least one structure ([`Principal::structures`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Staff of the economic development directorate: everything in the back office.
    ChargeDeMission,
    /// Another department of the authority: routed requests, purchasing needs.
    ServiceReferent,
    /// An elected official or local actor sitting on a committee.
    CommitteeMember,
    /// Accounts, roles, territory and plan configuration.
    Administrator,
}

impl Role {
    pub const ALL: [Self; 4] = [
        Self::ChargeDeMission,
        Self::ServiceReferent,
        Self::CommitteeMember,
        Self::Administrator,
    ];

    /// The stable code, as stored and typed on the command line.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::ChargeDeMission => "charge_de_mission",
            Self::ServiceReferent => "service_referent",
            Self::CommitteeMember => "membre_comite",
            Self::Administrator => "administrateur",
        }
    }

    /// The French label users read.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::ChargeDeMission => "Chargé·e de mission",
            Self::ServiceReferent => "Service référent",
            Self::CommitteeMember => "Membre d’un comité",
            Self::Administrator => "Administrateur·rice",
        }
    }

    /// Parses a code ([`Role::code`]); the error lists the accepted ones.
    pub fn parse(raw: &str) -> Result<Self, UnknownRole> {
        let raw = raw.trim();
        Self::ALL
            .into_iter()
            .find(|r| r.code() == raw)
            .ok_or_else(|| UnknownRole(raw.to_owned()))
    }

    /// Staff and administrators sign in with a second factor.
    #[must_use]
    pub fn requires_second_factor(self) -> bool {
        matches!(self, Self::ChargeDeMission | Self::Administrator)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "rôle inconnu : « {0} » (rôles possibles : charge_de_mission, service_referent, membre_comite, administrateur)"
)]
pub struct UnknownRole(pub String);

/// What a request or a command needs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Public pages, the open API, the sign-in and sign-up forms.
    Public,
    /// Giving or setting up the second factor, and signing out: any signed-in session, even one
    /// still waiting for its second factor.
    SecondFactorStep,
    /// Pages of one's own account: profile, password, personal data.
    OwnAccount,
    /// Acting for a structure (its profile, its dossiers): its members, and staff.
    ActFor(Siren),
    /// Reading the audit trail.
    ReadAudit,
    /// The back office of project support, the desk and purchasing.
    BackOffice,
    /// Requests routed to a service, purchasing needs.
    ServiceDesk,
    /// Committee files, decisions and dashboards.
    CommitteeFiles,
    /// Accounts and roles.
    ManageAccounts,
    /// The territory and its plan.
    ConfigureTerritory,
}

impl Permission {
    /// The roles that grant the permission (beyond [`Permission::Public`],
    /// [`Permission::OwnAccount`] and membership for [`Permission::ActFor`]).
    #[must_use]
    pub fn granted_by(&self) -> &'static [Role] {
        use Role::{Administrator, ChargeDeMission, CommitteeMember, ServiceReferent};
        match self {
            Self::Public | Self::SecondFactorStep | Self::OwnAccount => &[],
            Self::ActFor(_) | Self::ReadAudit | Self::BackOffice => {
                &[ChargeDeMission, Administrator]
            }
            Self::ServiceDesk => &[ServiceReferent, ChargeDeMission, Administrator],
            Self::CommitteeFiles => &[CommitteeMember, ChargeDeMission, Administrator],
            Self::ManageAccounts | Self::ConfigureTerritory => &[Administrator],
        }
    }
}

/// Where a signed-in session stands with the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactor {
    /// Not required for this account's roles.
    NotRequired,
    /// Required and not yet given in this session (or not yet set up).
    Pending,
    /// Given in this session.
    Done,
}

/// The person behind a request, as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    /// `None` for an anonymous visitor.
    pub account: Option<i64>,
    pub roles: Vec<Role>,
    /// The structures (SIREN) the person acts for.
    pub structures: Vec<Siren>,
    /// `None` for an anonymous visitor.
    pub second_factor: Option<SecondFactor>,
}

/// The policy's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Anonymous: sign in first.
    SignIn,
    /// Signed in, but the account's roles need the second factor first.
    SecondFactor,
    /// Signed in, not allowed.
    Deny,
}

impl Principal {
    #[must_use]
    pub fn anonymous() -> Self {
        Self::default()
    }

    #[must_use]
    pub fn is_signed_in(&self) -> bool {
        self.account.is_some()
    }

    #[must_use]
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the account's roles call for a second factor at sign-in.
    #[must_use]
    pub fn needs_second_factor(&self) -> bool {
        self.roles.iter().any(|r| r.requires_second_factor())
    }

    /// The one authorisation policy.
    ///
    /// A session still waiting for its second factor (required by its roles, or set up by the
    /// person) is granted nothing beyond public pages but the pages where the factor is given or
    /// set up, and signing out.
    #[must_use]
    pub fn decide(&self, permission: &Permission) -> Decision {
        if *permission == Permission::Public {
            return Decision::Allow;
        }
        if !self.is_signed_in() {
            return Decision::SignIn;
        }
        if *permission == Permission::SecondFactorStep {
            return Decision::Allow;
        }
        if self.second_factor == Some(SecondFactor::Pending) {
            return Decision::SecondFactor;
        }
        if *permission == Permission::OwnAccount {
            return Decision::Allow;
        }
        if let Permission::ActFor(siren) = permission
            && self.structures.contains(siren)
        {
            return Decision::Allow;
        }
        let granted = permission
            .granted_by()
            .iter()
            .any(|role| self.roles.contains(role));
        if granted {
            Decision::Allow
        } else {
            Decision::Deny
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn siren(raw: &str) -> Siren {
        Siren::parse(raw).unwrap()
    }

    fn with_roles(roles: &[Role], second_factor: SecondFactor) -> Principal {
        Principal {
            account: Some(1),
            roles: roles.to_vec(),
            structures: Vec::new(),
            second_factor: Some(second_factor),
        }
    }

    #[test]
    fn anonymous_visitors_get_public_pages_only_and_are_sent_to_sign_in() {
        let anonymous = Principal::anonymous();
        assert_eq!(anonymous.decide(&Permission::Public), Decision::Allow);
        for permission in [
            Permission::SecondFactorStep,
            Permission::OwnAccount,
            Permission::ActFor(siren("732829320")),
            Permission::ReadAudit,
            Permission::BackOffice,
            Permission::ServiceDesk,
            Permission::CommitteeFiles,
            Permission::ManageAccounts,
            Permission::ConfigureTerritory,
        ] {
            assert_eq!(
                anonymous.decide(&permission),
                Decision::SignIn,
                "{permission:?}"
            );
        }
    }

    #[test]
    fn members_act_for_their_structures_only() {
        let member = Principal {
            account: Some(7),
            roles: Vec::new(),
            structures: vec![siren("732829320")],
            second_factor: Some(SecondFactor::NotRequired),
        };
        assert_eq!(
            member.decide(&Permission::ActFor(siren("732829320"))),
            Decision::Allow
        );
        assert_eq!(
            member.decide(&Permission::ActFor(siren("552100554"))),
            Decision::Deny
        );
        assert_eq!(member.decide(&Permission::OwnAccount), Decision::Allow);
        assert_eq!(member.decide(&Permission::BackOffice), Decision::Deny);
    }

    #[test]
    fn each_role_gets_exactly_its_permissions() {
        use Role::{Administrator, ChargeDeMission, CommitteeMember, ServiceReferent};
        let expectations: [(Permission, &[Role]); 6] = [
            (Permission::ReadAudit, &[ChargeDeMission, Administrator]),
            (Permission::BackOffice, &[ChargeDeMission, Administrator]),
            (
                Permission::ServiceDesk,
                &[ServiceReferent, ChargeDeMission, Administrator],
            ),
            (
                Permission::CommitteeFiles,
                &[CommitteeMember, ChargeDeMission, Administrator],
            ),
            (Permission::ManageAccounts, &[Administrator]),
            (Permission::ConfigureTerritory, &[Administrator]),
        ];
        for (permission, allowed) in expectations {
            for role in Role::ALL {
                let principal = with_roles(&[role], SecondFactor::Done);
                let expected = if allowed.contains(&role) {
                    Decision::Allow
                } else {
                    Decision::Deny
                };
                assert_eq!(
                    principal.decide(&permission),
                    expected,
                    "{role} {permission:?}"
                );
            }
        }
    }

    #[test]
    fn a_session_waiting_for_its_second_factor_gets_only_the_step_that_gives_it() {
        let pending = with_roles(&[Role::Administrator], SecondFactor::Pending);
        assert_eq!(
            pending.decide(&Permission::ManageAccounts),
            Decision::SecondFactor
        );
        assert_eq!(
            pending.decide(&Permission::OwnAccount),
            Decision::SecondFactor
        );
        assert_eq!(
            pending.decide(&Permission::SecondFactorStep),
            Decision::Allow
        );
        assert_eq!(pending.decide(&Permission::Public), Decision::Allow);
        // A person who set up the factor without any role is held the same way.
        let mut member = with_roles(&[], SecondFactor::Pending);
        member.structures = vec![siren("732829320")];
        assert_eq!(
            member.decide(&Permission::ActFor(siren("732829320"))),
            Decision::SecondFactor
        );
        assert_eq!(
            with_roles(&[Role::Administrator], SecondFactor::Done)
                .decide(&Permission::ManageAccounts),
            Decision::Allow
        );
        assert!(pending.needs_second_factor());
        assert!(
            !with_roles(&[Role::CommitteeMember], SecondFactor::NotRequired).needs_second_factor()
        );
    }

    #[test]
    fn role_codes_round_trip_and_unknown_codes_are_named() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Ok(role));
        }
        let error = Role::parse("chef").unwrap_err();
        assert!(error.to_string().contains("« chef »"), "{error}");
    }
}
