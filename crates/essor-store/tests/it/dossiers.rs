//! Dossiers: drafts the applicant edits, transitions recorded once and only from the state they
//! were checked against, a thread whose notes the applicant does not see, the year's
//! commitments.

use chrono::Utc;
use essor_domain::Money;
use essor_domain::dossier::{Action, Application, Decision, Party, State, transition};
use essor_store::dossiers::{EventKind, NewDossier};

use crate::harness::{account, each_store};

fn application(title: &str, euros: i64) -> Application {
    Application {
        title: title.into(),
        asked: Money::from_euros(euros),
        ..Application::default()
    }
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story, from the draft to the decision withdrawn
async fn a_dossier_goes_from_draft_to_decision_and_back() {
    each_store(|store| async move {
        let applicant = account(store.as_ref(), "presidente@velo-libre.org").await;
        let staff = account(store.as_ref(), "agent@metropole.fr").await;
        let draft = store
            .create_dossier(&NewDossier {
                siret: "73282932000074",
                siren: "732829320",
                year: 2026,
                application: &application("Atelier vélo", 12_000),
                created_by: Some(applicant),
            })
            .await
            .unwrap();
        assert_eq!(draft.state, State::Draft);
        assert_eq!(draft.granted, None);
        assert_eq!(
            store.dossier(draft.id).await.unwrap().as_ref(),
            Some(&draft)
        );

        // The applicant edits the draft.
        let edited = store
            .save_application(draft.id, &application("Atelier vélo solidaire", 10_000))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(edited.application.title, "Atelier vélo solidaire");

        let at = Utc::now();
        let step = |state, action: Action, party| transition(state, &action, party).unwrap();
        let submitted = store
            .record_transition(
                draft.id,
                &step(
                    State::Draft,
                    Action::Submit {
                        missing: Vec::new(),
                    },
                    Party::Applicant,
                ),
                None,
                Some(applicant),
                at,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(submitted.state, State::Submitted);
        assert!(submitted.submitted_at.is_some());
        // Submitted: no longer editable.
        assert!(
            store
                .save_application(draft.id, &application("Autre", 1))
                .await
                .unwrap()
                .is_none()
        );
        // A transition checked against a state the dossier has left is not recorded.
        let stale = step(
            State::Draft,
            Action::Submit {
                missing: Vec::new(),
            },
            Party::Applicant,
        );
        assert!(
            store
                .record_transition(draft.id, &stale, None, Some(applicant), at)
                .await
                .unwrap()
                .is_none()
        );

        for (from, action) in [
            (State::Submitted, Action::Instruct),
            (
                State::UnderInstruction,
                Action::PutOnAgenda {
                    unchecked: Vec::new(),
                },
            ),
        ] {
            store
                .record_transition(
                    draft.id,
                    &step(from, action, Party::Staff),
                    None,
                    Some(staff),
                    at,
                )
                .await
                .unwrap()
                .unwrap();
        }
        let granted = Money::from_euros(8_000);
        let accepted = store
            .record_transition(
                draft.id,
                &step(
                    State::OnAgenda,
                    Action::Decide {
                        decision: Decision::Accept {
                            amount: granted,
                            asked: Money::from_euros(10_000),
                        },
                        unchecked: Vec::new(),
                    },
                    Party::Staff,
                ),
                Some(granted),
                Some(staff),
                at,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(accepted.state, State::Accepted);
        assert_eq!(accepted.granted, Some(granted));
        assert!(accepted.decided_at.is_some());
        assert_eq!(store.committed(2026).await.unwrap(), granted);
        assert_eq!(store.committed(2027).await.unwrap(), Money::ZERO);
        let signed = chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert!(
            store
                .set_agreement_signed(draft.id, Some(signed))
                .await
                .unwrap()
        );
        let accepted = store.dossier(draft.id).await.unwrap().unwrap();
        assert_eq!(accepted.agreement_signed_on, Some(signed));

        // Reopened: the decision, its amount and its signed agreement are withdrawn.
        let reopened = store
            .record_transition(
                draft.id,
                &step(State::Accepted, Action::Reopen, Party::Staff),
                None,
                Some(staff),
                at,
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(reopened.state, State::UnderInstruction);
        assert_eq!((reopened.granted, reopened.decided_at), (None, None));
        assert_eq!(reopened.agreement_signed_on, None);
        // Only an accepted dossier has an agreement.
        assert!(
            !store
                .set_agreement_signed(draft.id, Some(signed))
                .await
                .unwrap()
        );
        assert_eq!(store.committed(2026).await.unwrap(), Money::ZERO);

        let thread = store.dossier_events(draft.id, true).await.unwrap();
        let path: Vec<(Option<State>, Option<State>)> =
            thread.iter().map(|e| (e.from, e.to)).collect();
        assert_eq!(
            path,
            vec![
                (Some(State::Draft), Some(State::Submitted)),
                (Some(State::Submitted), Some(State::UnderInstruction)),
                (Some(State::UnderInstruction), Some(State::OnAgenda)),
                (Some(State::OnAgenda), Some(State::Accepted)),
                (Some(State::Accepted), Some(State::UnderInstruction)),
            ]
        );
        assert_eq!(
            thread[3].body,
            "Le comité a accordé une subvention de 8 000,00 €."
        );
        assert!(
            thread
                .iter()
                .all(|e| e.kind == EventKind::Transition && e.shared)
        );
    })
    .await;
}

#[tokio::test]
async fn notes_stay_with_staff_and_dossiers_are_listed_by_structure_and_state() {
    each_store(|store| async move {
        let staff = account(store.as_ref(), "agent@metropole.fr").await;
        let project = application("Projet", 5_000);
        let new = |siren: &'static str, siret: &'static str| NewDossier {
            siret,
            siren,
            year: 2026,
            application: &project,
            created_by: None,
        };
        let first = store
            .create_dossier(&new("732829320", "73282932000074"))
            .await
            .unwrap();
        let second = store
            .create_dossier(&new("732829320", "73282932000074"))
            .await
            .unwrap();
        let other = store
            .create_dossier(&new("552100554", "55210055400013"))
            .await
            .unwrap();
        let mine = store.dossiers_of_structure("732829320").await.unwrap();
        assert_eq!(
            mine.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![second.id, first.id]
        );
        assert_eq!(store.dossiers(Some(State::Draft)).await.unwrap().len(), 3);
        assert!(
            store
                .dossiers(Some(State::Accepted))
                .await
                .unwrap()
                .is_empty()
        );

        store
            .add_dossier_event(
                first.id,
                EventKind::Message,
                "Pouvez-vous préciser le budget ?",
                Some(staff),
            )
            .await
            .unwrap();
        let note = store
            .add_dossier_event(
                first.id,
                EventKind::Note,
                "Porteur connu, sérieux.",
                Some(staff),
            )
            .await
            .unwrap();
        assert!(!note.shared);
        assert_eq!(
            store.dossier_events(first.id, false).await.unwrap().len(),
            2
        );
        let shared = store.dossier_events(first.id, true).await.unwrap();
        assert_eq!(shared.len(), 1);
        assert_eq!(shared[0].kind, EventKind::Message);
        assert!(
            store
                .dossier_events(other.id, false)
                .await
                .unwrap()
                .is_empty()
        );

        assert!(first.checks.is_empty());
        let checks = vec!["eligibilite".to_owned(), "budget".to_owned()];
        assert!(
            store
                .set_instruction_checks(first.id, &checks)
                .await
                .unwrap()
        );
        assert_eq!(
            store.dossier(first.id).await.unwrap().unwrap().checks,
            checks
        );
        assert!(!store.set_instruction_checks(9_999, &checks).await.unwrap());
        assert!(store.assign_dossier(first.id, Some(staff)).await.unwrap());
        assert_eq!(
            store.dossier(first.id).await.unwrap().unwrap().assigned_to,
            Some(staff)
        );
        assert!(!store.assign_dossier(9_999, Some(staff)).await.unwrap());
        // An account deleted leaves its dossiers and their thread, unattributed.
        store.delete_account(staff).await.unwrap();
        let kept = store.dossier(first.id).await.unwrap().unwrap();
        assert_eq!(kept.assigned_to, None);
        assert_eq!(
            store.dossier_events(first.id, false).await.unwrap()[0].author,
            None
        );
    })
    .await;
}

#[tokio::test]
async fn the_dossiers_version_changes_with_every_write() {
    each_store(|store| async move {
        assert_eq!(store.dossiers_version().await.unwrap(), (0, None));
        let project = application("Projet", 5_000);
        let dossier = store
            .create_dossier(&NewDossier {
                siret: "73282932000074",
                siren: "732829320",
                year: 2026,
                application: &project,
                created_by: None,
            })
            .await
            .unwrap();
        let created = store.dossiers_version().await.unwrap();
        assert_eq!(created.0, 1);
        assert!(created.1.is_some());
        // Unchanged while nothing is written.
        assert_eq!(store.dossiers_version().await.unwrap(), created);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert!(
            store
                .set_instruction_checks(dossier.id, &["plan".to_owned()])
                .await
                .unwrap()
        );
        let checked = store.dossiers_version().await.unwrap();
        assert_eq!(checked.0, 1);
        assert!(checked.1 > created.1);
    })
    .await;
}
