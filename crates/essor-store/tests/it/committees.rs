//! Committees: members who come and go, sessions planned then held (and read-only from then
//! on), an agenda where a dossier waits in one session at a time, ordered, with proposals and
//! decisions.

use chrono::{NaiveDate, Utc};
use essor_domain::Money;
use essor_domain::committee::{MemberRole, Outcome, SessionStatus};
use essor_domain::dossier::{Application, State, Transition};
use essor_store::Store;
use essor_store::committees::{
    AgendaChange, DecidedStep, DecisionRecorded, HeldChange, ItemDecisionRecord,
    NewCommitteeMember, SessionDetails,
};
use essor_store::dossiers::NewDossier;

use crate::harness::each_store;

async fn dossier(store: &dyn Store, title: &str) -> i64 {
    store
        .create_dossier(&NewDossier {
            siret: "73282932000074",
            siren: "732829320",
            year: 2026,
            application: &Application {
                title: title.into(),
                asked: Money::from_euros(10_000),
                ..Application::default()
            },
            created_by: None,
        })
        .await
        .unwrap()
        .id
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

#[tokio::test]
async fn members_come_and_go_and_are_listed_by_committee() {
    each_store(|store| async move {
        let chair = store
            .add_committee_member(&NewCommitteeMember {
                committee: "comite-pilotage",
                name: "Claire Dupont",
                quality: "Vice-présidente de la Métropole",
                role: MemberRole::Chair,
            })
            .await
            .unwrap();
        assert_eq!(chair.role, MemberRole::Chair);
        assert!(chair.active);
        let other = store
            .add_committee_member(&NewCommitteeMember {
                committee: "comite-acteurs-locaux",
                name: "Paul Martin",
                quality: "France Active",
                role: MemberRole::Member,
            })
            .await
            .unwrap();
        let steering = store
            .committee_members(Some("comite-pilotage"), false)
            .await
            .unwrap();
        assert_eq!(steering, vec![chair.clone()]);
        assert_eq!(store.committee_members(None, false).await.unwrap().len(), 2);
        assert!(
            store
                .set_committee_member_active(other.id, false)
                .await
                .unwrap()
        );
        assert!(
            !store
                .set_committee_member_active(9_999, false)
                .await
                .unwrap()
        );
        assert_eq!(
            store.committee_members(None, false).await.unwrap(),
            vec![chair]
        );
        let all = store.committee_members(None, true).await.unwrap();
        assert_eq!(all.len(), 2);
        assert!(!all.iter().find(|m| m.id == other.id).unwrap().active);
    })
    .await;
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story, from the planned session to the held one
async fn a_session_is_prepared_decided_and_then_read_only() {
    each_store(|store| async move {
        let member = store
            .add_committee_member(&NewCommitteeMember {
                committee: "comite-pilotage",
                name: "Claire Dupont",
                quality: "Vice-présidente",
                role: MemberRole::Chair,
            })
            .await
            .unwrap();
        let session = store
            .create_committee_session(
                &SessionDetails {
                    committee: "comite-pilotage",
                    date: day(1),
                    place: "Forum",
                },
                None,
            )
            .await
            .unwrap();
        assert_eq!(session.status, SessionStatus::Planned);
        assert_eq!(session.date, day(1));
        let moved = store
            .update_committee_session(
                session.id,
                &SessionDetails {
                    committee: "comite-pilotage",
                    date: day(3),
                    place: "Hôtel de Métropole",
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (moved.date, moved.place.as_str()),
            (day(3), "Hôtel de Métropole")
        );
        let later = store
            .create_committee_session(
                &SessionDetails {
                    committee: "comite-pilotage",
                    date: day(17),
                    place: "Forum",
                },
                None,
            )
            .await
            .unwrap();
        let ids: Vec<i64> = store
            .committee_sessions()
            .await
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(ids, [later.id, session.id], "latest date first");

        // Attendance is replaced whole.
        assert!(
            store
                .set_attendance(session.id, &[member.id, member.id])
                .await
                .unwrap()
        );
        assert_eq!(store.attendance(session.id).await.unwrap(), [member.id]);

        // The agenda: in order, a dossier in one waiting agenda only.
        let (a, b, c) = (
            dossier(store.as_ref(), "Atelier vélo").await,
            dossier(store.as_ref(), "Épicerie").await,
            dossier(store.as_ref(), "Recyclerie").await,
        );
        let mut items = Vec::new();
        for d in [a, b, c] {
            match store.add_to_agenda(session.id, d).await.unwrap() {
                AgendaChange::Added(item) => items.push(item),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            items.iter().map(|i| i.position).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(
            store.add_to_agenda(session.id, a).await.unwrap(),
            AgendaChange::AlreadyOnAgenda {
                session: session.id
            }
        );
        assert_eq!(
            store.add_to_agenda(later.id, a).await.unwrap(),
            AgendaChange::AlreadyOnAgenda {
                session: session.id
            }
        );
        let mut pending = store.pending_agenda_dossiers().await.unwrap();
        pending.sort_unstable();
        assert_eq!(pending, [(a, session.id), (b, session.id), (c, session.id)]);
        // Moving the last one up, then taking the middle one off.
        assert!(store.move_agenda_item(items[2].id, true).await.unwrap());
        assert!(
            !store.move_agenda_item(items[0].id, true).await.unwrap(),
            "already first"
        );
        let order: Vec<i64> = store
            .agenda(session.id)
            .await
            .unwrap()
            .iter()
            .map(|i| i.dossier)
            .collect();
        assert_eq!(order, [a, c, b]);
        assert!(store.remove_from_agenda(items[2].id).await.unwrap());
        let order: Vec<i64> = store
            .agenda(session.id)
            .await
            .unwrap()
            .iter()
            .map(|i| i.dossier)
            .collect();
        assert_eq!(order, [a, b]);

        // The proposal, then the decisions.
        assert!(
            store
                .set_agenda_proposal(
                    items[0].id,
                    "Avis favorable.",
                    Some(Money::from_euros(8_000))
                )
                .await
                .unwrap()
        );
        // Held with an undecided item: refused, naming the dossiers.
        assert_eq!(
            store
                .mark_session_held(session.id, Utc::now())
                .await
                .unwrap(),
            HeldChange::Undecided(vec![a, b])
        );
        let at = Utc::now();
        let accept = ItemDecisionRecord {
            outcome: Outcome::Accepted,
            amount: Some(Money::from_euros(8_000)),
            text: "Rapport à six mois.",
            by: None,
            at,
        };
        // The dossier's step goes with the decision: when the dossier moved meanwhile,
        // neither is written.
        let step = Transition {
            from: State::OnAgenda,
            to: State::Accepted,
            message: "Accepté en séance.".to_owned(),
            withdraws_decision: false,
        };
        let decided_step = DecidedStep {
            dossier: a,
            transition: &step,
            granted: Some(Money::from_euros(8_000)),
        };
        assert_eq!(
            store
                .record_agenda_decision(items[0].id, &accept, Some(&decided_step))
                .await
                .unwrap(),
            DecisionRecorded::DossierMoved,
            "the dossier is a draft, not on the agenda"
        );
        assert_eq!(
            store
                .agenda_item(items[0].id)
                .await
                .unwrap()
                .unwrap()
                .outcome,
            None
        );
        assert_eq!(store.dossier(a).await.unwrap().unwrap().state, State::Draft);
        let from_draft = Transition {
            from: State::Draft,
            ..step.clone()
        };
        let DecisionRecorded::Recorded(Some(accepted)) = store
            .record_agenda_decision(
                items[0].id,
                &accept,
                Some(&DecidedStep {
                    transition: &from_draft,
                    ..decided_step
                }),
            )
            .await
            .unwrap()
        else {
            panic!("recorded with its step");
        };
        assert_eq!(accepted.state, State::Accepted);
        assert_eq!(accepted.granted, Some(Money::from_euros(8_000)));
        assert_eq!(
            store
                .record_agenda_decision(items[0].id, &accept, None)
                .await
                .unwrap(),
            DecisionRecorded::ItemClosed,
            "decided once"
        );
        assert!(
            !store.remove_from_agenda(items[0].id).await.unwrap(),
            "decided"
        );
        let postpone = ItemDecisionRecord {
            outcome: Outcome::Postponed,
            amount: None,
            text: "",
            by: None,
            at,
        };
        assert_eq!(
            store
                .record_agenda_decision(items[1].id, &postpone, None)
                .await
                .unwrap(),
            DecisionRecorded::Recorded(None)
        );
        let decided = store.agenda_item(items[0].id).await.unwrap().unwrap();
        assert_eq!(decided.outcome, Some(Outcome::Accepted));
        assert_eq!(decided.amount, Some(Money::from_euros(8_000)));
        assert_eq!(decided.proposed, Some(Money::from_euros(8_000)));
        assert_eq!(decided.proposal, "Avis favorable.");
        assert_eq!(decided.decision_text, "Rapport à six mois.");
        // A postponed dossier may go on a later session.
        assert!(matches!(
            store.add_to_agenda(later.id, b).await.unwrap(),
            AgendaChange::Added(_)
        ));
        assert_eq!(store.agenda_items_of_dossier(b).await.unwrap().len(), 2);

        assert!(
            store
                .set_minutes(session.id, "Procès-verbal.")
                .await
                .unwrap()
        );
        let HeldChange::Held(held) = store.mark_session_held(session.id, at).await.unwrap() else {
            panic!("every item is decided");
        };
        assert_eq!(held.status, SessionStatus::Held);
        assert!(held.held_at.is_some());
        assert_eq!(held.minutes, "Procès-verbal.");

        // Held: nothing changes any more.
        assert_eq!(
            store.mark_session_held(session.id, at).await.unwrap(),
            HeldChange::NotOpen
        );
        assert!(!store.set_minutes(session.id, "Autre.").await.unwrap());
        assert!(!store.set_attendance(session.id, &[]).await.unwrap());
        assert_eq!(
            store.add_to_agenda(session.id, c).await.unwrap(),
            AgendaChange::SessionNotOpen
        );
        assert!(
            store
                .update_committee_session(
                    session.id,
                    &SessionDetails {
                        committee: "comite-pilotage",
                        date: day(4),
                        place: "Ailleurs",
                    },
                )
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            !store
                .set_agenda_proposal(items[0].id, "x", None)
                .await
                .unwrap()
        );
        assert!(!store.move_agenda_item(items[1].id, true).await.unwrap());
        assert_eq!(
            store.committee_session(session.id).await.unwrap().unwrap(),
            held
        );
        assert_eq!(store.attendance(session.id).await.unwrap(), [member.id]);
        assert!(store.committee_session(9_999).await.unwrap().is_none());
    })
    .await;
}
