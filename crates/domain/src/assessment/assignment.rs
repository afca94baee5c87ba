//! Assigning assessors to applications around their conflicts of interest.
//!
//! [`AssignmentInput::plan`] proposes new (application, assessor) pairs so
//! each application reaches `n` assessors ([`AssessorsPerApplication`])
//! where conflicts allow, never assigning an assessor to an application
//! they are conflicted on, never repeating a pair, and spreading the load:
//! for each application, in a fixed order, it takes the least-loaded
//! eligible assessors, ties broken by user id. Applications that cannot
//! reach `n` are reported as [`Shortfall`]s, not errors.
//!
//! ```
//! use std::collections::BTreeMap;
//! use grantledger_domain::assessment::assignment::*;
//! use grantledger_domain::ids::{ApplicationId, GranteeId, UserId};
//!
//! let lunch_club = GranteeId::new();
//! let applications = vec![
//!     ApplicationToCover { application_id: ApplicationId::new(), grantee_id: lunch_club },
//!     ApplicationToCover { application_id: ApplicationId::new(), grantee_id: GranteeId::new() },
//! ];
//! let (ann, bob, cy) = (UserId::new(), UserId::new(), UserId::new());
//! // Ann chairs the lunch club's board.
//! let conflicts = BTreeMap::from([(ann, AssessorConflicts::grantees([lunch_club]))]);
//! let plan = AssignmentInput {
//!     applications: applications.clone(),
//!     assessors: vec![ann, bob, cy],
//!     conflicts,
//!     existing: vec![],
//!     per_application: AssessorsPerApplication::new(2)?,
//! }
//! .plan();
//! assert_eq!(plan.assignments.len(), 4);
//! assert!(!plan.assignments.contains(&AssignmentPair {
//!     application_id: applications[0].application_id,
//!     assessor_id: ann,
//! }));
//! assert!(plan.shortfalls.is_empty());
//! // Loads are 1, 2, 1 or similar: never more than one apart.
//! let loads: Vec<_> = plan.loads.values().copied().collect();
//! assert!(loads.iter().max().unwrap() - loads.iter().min().unwrap() <= 1);
//! # Ok::<(), AssignmentError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Assessment, AssessmentOutcome};
use crate::ids::{ApplicationId, GranteeId, UserId};

/// How many assessors each application should have: 1–10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct AssessorsPerApplication(u8);

impl AssessorsPerApplication {
    /// The most assessors per application.
    pub const MAX: u8 = 10;

    /// Builds it.
    ///
    /// # Errors
    /// [`AssignmentError::PerApplicationOutOfRange`] for 0 or above 10.
    pub const fn new(n: u8) -> Result<AssessorsPerApplication, AssignmentError> {
        if n >= 1 && n <= Self::MAX {
            Ok(AssessorsPerApplication(n))
        } else {
            Err(AssignmentError::PerApplicationOutOfRange { got: n })
        }
    }

    /// The number.
    #[must_use]
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for AssessorsPerApplication {
    type Error = AssignmentError;

    fn try_from(n: u8) -> Result<Self, Self::Error> {
        AssessorsPerApplication::new(n)
    }
}

impl From<AssessorsPerApplication> for u8 {
    fn from(n: AssessorsPerApplication) -> u8 {
        n.0
    }
}

/// Why an assignment was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssignmentError {
    /// `n` outside 1–10.
    #[error("each application needs from 1 to 10 assessors; got {got}")]
    PerApplicationOutOfRange {
        /// The number given.
        got: u8,
    },
    /// The assessor must never assess this organisation.
    #[error(
        "this assessor has declared a conflict of interest with the organisation that made this application"
    )]
    ConflictedWithGrantee {
        /// The assessor.
        assessor_id: UserId,
        /// The organisation.
        grantee_id: GranteeId,
    },
    /// The assessor declared a conflict on this application.
    #[error("this assessor has declared a conflict of interest on this application")]
    ConflictedOnApplication {
        /// The assessor.
        assessor_id: UserId,
        /// The application.
        application_id: ApplicationId,
    },
    /// The pair exists already.
    #[error("this assessor is already assigned to this application")]
    AlreadyAssigned {
        /// The assessor.
        assessor_id: UserId,
        /// The application.
        application_id: ApplicationId,
    },
}

/// An application to find assessors for, and the organisation that made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ApplicationToCover {
    /// The application.
    pub application_id: ApplicationId,
    /// The organisation (grantee) that made it.
    pub grantee_id: GranteeId,
}

/// What one assessor must never assess.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessorConflicts {
    /// Organisations they are connected with: none of their applications.
    #[serde(default)]
    pub grantees: BTreeSet<GranteeId>,
    /// Applications they declared a conflict on.
    #[serde(default)]
    pub applications: BTreeSet<ApplicationId>,
}

impl AssessorConflicts {
    /// Conflicts with these organisations only.
    #[must_use]
    pub fn grantees(grantees: impl IntoIterator<Item = GranteeId>) -> AssessorConflicts {
        AssessorConflicts {
            grantees: grantees.into_iter().collect(),
            applications: BTreeSet::new(),
        }
    }

    /// Conflicts on these applications only.
    #[must_use]
    pub fn applications(
        applications: impl IntoIterator<Item = ApplicationId>,
    ) -> AssessorConflicts {
        AssessorConflicts {
            grantees: BTreeSet::new(),
            applications: applications.into_iter().collect(),
        }
    }

    /// Why `assessor_id`, with these conflicts, may not assess `application`;
    /// `None` when they may.
    #[must_use]
    pub fn check(
        &self,
        assessor_id: UserId,
        application: &ApplicationToCover,
    ) -> Option<AssignmentError> {
        if self.grantees.contains(&application.grantee_id) {
            Some(AssignmentError::ConflictedWithGrantee {
                assessor_id,
                grantee_id: application.grantee_id,
            })
        } else if self.applications.contains(&application.application_id) {
            Some(AssignmentError::ConflictedOnApplication {
                assessor_id,
                application_id: application.application_id,
            })
        } else {
            None
        }
    }

    /// Whether these conflicts rule out `application`.
    #[must_use]
    pub fn rules_out(&self, application: &ApplicationToCover) -> bool {
        self.grantees.contains(&application.grantee_id)
            || self.applications.contains(&application.application_id)
    }

    /// The conflicts declared in recorded assessments, per assessor, taken
    /// as conflicts with the organisation: someone connected with a group
    /// is connected with all its applications, not only the one they
    /// happened to be shown. `grantee_of` names each application's
    /// organisation; one it does not know is still ruled out itself.
    ///
    /// ```
    /// use grantledger_domain::assessment::assignment::{ApplicationToCover, AssessorConflicts};
    /// use grantledger_domain::assessment::{Assessment, AssessmentOutcome};
    /// use grantledger_domain::ids::{ApplicationId, AssessmentId, GranteeId, UserId};
    ///
    /// let (first, second, org, assessor) =
    ///     (ApplicationId::new(), ApplicationId::new(), GranteeId::new(), UserId::new());
    /// let declared = Assessment {
    ///     id: AssessmentId::new(),
    ///     application_id: first,
    ///     assessor_id: assessor,
    ///     outcome: AssessmentOutcome::ConflictDeclared { declaration: "I chair it".into() },
    ///     recorded_at: chrono::Utc::now(),
    /// };
    /// let conflicts = AssessorConflicts::from_declarations(&[declared], |_| Some(org));
    /// let other = ApplicationToCover { application_id: second, grantee_id: org };
    /// assert!(conflicts[&assessor].rules_out(&other));
    /// ```
    #[must_use]
    pub fn from_declarations(
        assessments: &[Assessment],
        grantee_of: impl Fn(ApplicationId) -> Option<GranteeId>,
    ) -> BTreeMap<UserId, AssessorConflicts> {
        let mut out = Self::from_assessments(assessments);
        for a in assessments {
            if matches!(a.outcome, AssessmentOutcome::ConflictDeclared { .. })
                && let Some(grantee) = grantee_of(a.application_id)
            {
                out.entry(a.assessor_id)
                    .or_default()
                    .grantees
                    .insert(grantee);
            }
        }
        out
    }

    /// The application conflicts declared in recorded assessments
    /// ([`AssessmentOutcome::ConflictDeclared`]), per assessor.
    #[must_use]
    pub fn from_assessments(assessments: &[Assessment]) -> BTreeMap<UserId, AssessorConflicts> {
        let mut out: BTreeMap<UserId, AssessorConflicts> = BTreeMap::new();
        for a in assessments {
            if matches!(a.outcome, AssessmentOutcome::ConflictDeclared { .. }) {
                out.entry(a.assessor_id)
                    .or_default()
                    .applications
                    .insert(a.application_id);
            }
        }
        out
    }
}

/// One assessor assigned to one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AssignmentPair {
    /// The application.
    pub application_id: ApplicationId,
    /// The assessor.
    pub assessor_id: UserId,
}

/// An application that could not reach `n` assessors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shortfall {
    /// The application.
    pub application_id: ApplicationId,
    /// How many it was asked to have.
    pub wanted: u8,
    /// How many it has, existing and planned.
    pub assigned: usize,
    /// How many assessors are not conflicted on it (the pool plus anyone
    /// already assigned): all of them are assigned.
    pub eligible: usize,
}

/// Everything the planner needs for a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentInput {
    /// The applications to cover (repeats are ignored).
    pub applications: Vec<ApplicationToCover>,
    /// The pool of assessors to draw on (repeats are ignored).
    pub assessors: Vec<UserId>,
    /// Each assessor's conflicts; an assessor not listed has none.
    #[serde(default)]
    pub conflicts: BTreeMap<UserId, AssessorConflicts>,
    /// Assignments already made: they count towards each application's `n`
    /// (unless the assessor is conflicted on it) and towards the
    /// assessor's load, and are never repeated.
    #[serde(default)]
    pub existing: Vec<AssignmentPair>,
    /// How many assessors each application should have.
    pub per_application: AssessorsPerApplication,
}

/// The planner's proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignmentPlan {
    /// New pairs to make, in the order they were chosen.
    pub assignments: Vec<AssignmentPair>,
    /// Applications left below `n`, in application id order.
    pub shortfalls: Vec<Shortfall>,
    /// Each pool assessor's load afterwards: existing plus new assignments.
    pub loads: BTreeMap<UserId, usize>,
}

impl AssignmentInput {
    fn conflicted(&self, assessor_id: UserId, application: &ApplicationToCover) -> bool {
        self.conflicts
            .get(&assessor_id)
            .is_some_and(|c| c.rules_out(application))
    }

    /// Plans the new assignments. Deterministic: the same input, in any
    /// order, gives the same plan.
    ///
    /// Applications are taken most-constrained first (fewest eligible
    /// assessors), then by application id; each takes the least-loaded
    /// eligible pool assessors not already on it, ties by user id. Without
    /// conflicts and starting balanced, loads end at most 1 apart.
    #[must_use]
    pub fn plan(&self) -> AssignmentPlan {
        let pool: BTreeSet<UserId> = self.assessors.iter().copied().collect();
        let mut applications: BTreeMap<ApplicationId, ApplicationToCover> = BTreeMap::new();
        for a in &self.applications {
            applications.entry(a.application_id).or_insert(*a);
        }
        let mut pairs: BTreeSet<(ApplicationId, UserId)> = self
            .existing
            .iter()
            .map(|p| (p.application_id, p.assessor_id))
            .collect();
        let mut loads: BTreeMap<UserId, usize> = pool.iter().map(|u| (*u, 0)).collect();
        for (_, assessor) in &pairs {
            if let Some(load) = loads.get_mut(assessor) {
                *load += 1;
            }
        }

        // Everyone who could assess each application: the pool and anyone
        // already on it, less the conflicted.
        let eligible = |app: &ApplicationToCover, pairs: &BTreeSet<(ApplicationId, UserId)>| {
            let on_it = pairs
                .range((app.application_id, UserId::from_uuid(uuid::Uuid::nil()))..)
                .take_while(|(a, _)| *a == app.application_id)
                .map(|(_, u)| *u);
            pool.iter()
                .copied()
                .chain(on_it)
                .filter(|u| !self.conflicted(*u, app))
                .collect::<BTreeSet<UserId>>()
        };
        let mut order: Vec<(usize, ApplicationToCover)> = applications
            .values()
            .map(|a| (eligible(a, &pairs).len(), *a))
            .collect();
        order.sort();

        let wanted = usize::from(self.per_application.get());
        let mut assignments = Vec::new();
        let mut shortfalls = Vec::new();
        for (eligible_count, app) in order {
            let covered = pairs
                .iter()
                .filter(|(a, u)| *a == app.application_id && !self.conflicted(*u, &app))
                .count();
            let mut candidates: Vec<(usize, UserId)> = loads
                .iter()
                .filter(|(u, _)| {
                    !self.conflicted(**u, &app) && !pairs.contains(&(app.application_id, **u))
                })
                .map(|(u, load)| (*load, *u))
                .collect();
            candidates.sort();
            let mut assigned = covered;
            for (_, assessor_id) in candidates.into_iter().take(wanted.saturating_sub(covered)) {
                pairs.insert((app.application_id, assessor_id));
                if let Some(load) = loads.get_mut(&assessor_id) {
                    *load += 1;
                }
                assignments.push(AssignmentPair {
                    application_id: app.application_id,
                    assessor_id,
                });
                assigned += 1;
            }
            if assigned < wanted {
                shortfalls.push(Shortfall {
                    application_id: app.application_id,
                    wanted: self.per_application.get(),
                    assigned,
                    eligible: eligible_count,
                });
            }
        }
        shortfalls.sort_by_key(|s| s.application_id);
        AssignmentPlan {
            assignments,
            shortfalls,
            loads,
        }
    }
}

/// Assigns one assessor by hand, given their conflicts and the
/// application's existing assignments.
///
/// ```
/// use grantledger_domain::assessment::assignment::*;
/// use grantledger_domain::ids::{ApplicationId, GranteeId, UserId};
///
/// let app = ApplicationToCover { application_id: ApplicationId::new(), grantee_id: GranteeId::new() };
/// let assessor = UserId::new();
/// let pair = assign_one(&app, assessor, &AssessorConflicts::default(), &[])?;
/// assert_eq!(
///     assign_one(&app, assessor, &AssessorConflicts::default(), &[pair]).unwrap_err().to_string(),
///     "this assessor is already assigned to this application"
/// );
/// assert!(assign_one(&app, assessor, &AssessorConflicts::grantees([app.grantee_id]), &[]).is_err());
/// # Ok::<(), AssignmentError>(())
/// ```
///
/// # Errors
/// [`AssignmentError::ConflictedWithGrantee`],
/// [`AssignmentError::ConflictedOnApplication`] or
/// [`AssignmentError::AlreadyAssigned`].
pub fn assign_one(
    application: &ApplicationToCover,
    assessor_id: UserId,
    conflicts: &AssessorConflicts,
    existing: &[AssignmentPair],
) -> Result<AssignmentPair, AssignmentError> {
    if let Some(e) = conflicts.check(assessor_id, application) {
        return Err(e);
    }
    let pair = AssignmentPair {
        application_id: application.application_id,
        assessor_id,
    };
    if existing.contains(&pair) {
        return Err(AssignmentError::AlreadyAssigned {
            assessor_id,
            application_id: application.application_id,
        });
    }
    Ok(pair)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn app(i: u128, grantee: u128) -> ApplicationToCover {
        ApplicationToCover {
            application_id: ApplicationId::from_uuid(Uuid::from_u128(i)),
            grantee_id: GranteeId::from_uuid(Uuid::from_u128(1000 + grantee)),
        }
    }

    fn user(i: u128) -> UserId {
        UserId::from_uuid(Uuid::from_u128(i))
    }

    fn n(n: u8) -> AssessorsPerApplication {
        AssessorsPerApplication::new(n).unwrap()
    }

    fn spread(loads: &BTreeMap<UserId, usize>) -> usize {
        let max = loads.values().max().copied().unwrap_or(0);
        let min = loads.values().min().copied().unwrap_or(0);
        max - min
    }

    #[test]
    fn per_application_is_1_to_10() {
        assert!(
            AssessorsPerApplication::new(1).is_ok() && AssessorsPerApplication::new(10).is_ok()
        );
        assert_eq!(
            AssessorsPerApplication::new(0).unwrap_err().to_string(),
            "each application needs from 1 to 10 assessors; got 0"
        );
        assert!(AssessorsPerApplication::new(11).is_err());
        assert!(serde_json::from_str::<AssessorsPerApplication>("11").is_err());
        assert_eq!(
            serde_json::from_str::<AssessorsPerApplication>("3").unwrap(),
            n(3)
        );
    }

    #[test]
    fn conflicts_make_n_unreachable_and_are_reported() {
        // Three assessors; two are connected with grantee 1.
        let input = AssignmentInput {
            applications: vec![app(1, 1), app(2, 2)],
            assessors: vec![user(1), user(2), user(3)],
            conflicts: BTreeMap::from([
                (user(1), AssessorConflicts::grantees([app(1, 1).grantee_id])),
                (
                    user(2),
                    AssessorConflicts::applications([app(1, 1).application_id]),
                ),
            ]),
            existing: vec![],
            per_application: n(2),
        };
        let plan = input.plan();
        assert_eq!(
            plan.shortfalls,
            [Shortfall {
                application_id: app(1, 1).application_id,
                wanted: 2,
                assigned: 1,
                eligible: 1
            }]
        );
        // The constrained application goes first and takes user 3; the
        // other takes the two least loaded: users 1 and 2.
        assert_eq!(
            plan.assignments,
            [
                AssignmentPair {
                    application_id: app(1, 1).application_id,
                    assessor_id: user(3)
                },
                AssignmentPair {
                    application_id: app(2, 2).application_id,
                    assessor_id: user(1)
                },
                AssignmentPair {
                    application_id: app(2, 2).application_id,
                    assessor_id: user(2)
                },
            ]
        );
        assert_eq!(plan.loads.values().copied().collect::<Vec<_>>(), [1, 1, 1]);
    }

    #[test]
    fn existing_assignments_count_and_are_not_repeated() {
        let existing = vec![
            AssignmentPair {
                application_id: app(1, 1).application_id,
                assessor_id: user(1),
            },
            AssignmentPair {
                application_id: app(9, 9).application_id,
                assessor_id: user(2),
            },
        ];
        let plan = AssignmentInput {
            applications: vec![app(1, 1), app(2, 2)],
            assessors: vec![user(1), user(2), user(3)],
            conflicts: BTreeMap::new(),
            existing,
            per_application: n(2),
        }
        .plan();
        assert!(plan.shortfalls.is_empty());
        // App 1 needs one more: user 3 (load 0). App 2 then finds all
        // three at load 1 and takes users 1 and 2 (by id).
        assert_eq!(plan.assignments.len(), 3);
        assert!(!plan.assignments.contains(&AssignmentPair {
            application_id: app(1, 1).application_id,
            assessor_id: user(1)
        }));
        assert_eq!(plan.loads.values().copied().collect::<Vec<_>>(), [2, 2, 1]);
    }

    #[test]
    fn deterministic_whatever_the_input_order() {
        let apps: Vec<_> = (1..=7).map(|i| app(i, i % 3)).collect();
        let users: Vec<_> = (1..=5).map(user).collect();
        let conflicts = BTreeMap::from([
            (user(2), AssessorConflicts::grantees([app(1, 1).grantee_id])),
            (
                user(4),
                AssessorConflicts::applications([app(3, 0).application_id]),
            ),
        ]);
        let input = AssignmentInput {
            applications: apps.clone(),
            assessors: users.clone(),
            conflicts: conflicts.clone(),
            existing: vec![],
            per_application: n(3),
        };
        let reversed = AssignmentInput {
            applications: apps.into_iter().rev().collect(),
            assessors: users.into_iter().rev().collect(),
            conflicts,
            existing: vec![],
            per_application: n(3),
        };
        assert_eq!(input.plan(), input.plan());
        assert_eq!(input.plan(), reversed.plan());
    }

    #[test]
    fn manual_assignment_errors() {
        let a = app(1, 1);
        let err = assign_one(
            &a,
            user(1),
            &AssessorConflicts::grantees([a.grantee_id]),
            &[],
        );
        assert_eq!(
            err,
            Err(AssignmentError::ConflictedWithGrantee {
                assessor_id: user(1),
                grantee_id: a.grantee_id
            })
        );
        let err = assign_one(
            &a,
            user(1),
            &AssessorConflicts::applications([a.application_id]),
            &[],
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "this assessor has declared a conflict of interest on this application"
        );
        let pair = assign_one(&a, user(1), &AssessorConflicts::default(), &[]).unwrap();
        assert_eq!(
            assign_one(&a, user(1), &AssessorConflicts::default(), &[pair]),
            Err(AssignmentError::AlreadyAssigned {
                assessor_id: user(1),
                application_id: a.application_id
            })
        );
        assert!(assign_one(&a, user(2), &AssessorConflicts::default(), &[pair]).is_ok());
    }

    fn inputs(with_conflicts: bool) -> impl Strategy<Value = AssignmentInput> {
        (1_u128..=15, 1_u128..=8, 1_u8..=10, 1_u128..=6).prop_flat_map(
            move |(apps, users, per, grantees)| {
                let conflict = prop::collection::btree_set(1..=grantees, 0..=2);
                let app_conflict = prop::collection::btree_set(1..=apps, 0..=3);
                let conflicts = if with_conflicts {
                    prop::collection::vec((conflict, app_conflict), users as usize).boxed()
                } else {
                    Just(vec![(BTreeSet::new(), BTreeSet::new()); users as usize]).boxed()
                };
                (
                    prop::collection::vec(1..=grantees, apps as usize),
                    conflicts,
                    prop::collection::btree_set((1..=apps, 1..=users), 0..=5),
                )
                    .prop_map(move |(app_grantees, conflicts, existing)| {
                        AssignmentInput {
                            applications: app_grantees
                                .iter()
                                .zip(1..)
                                .map(|(g, i)| app(i, *g))
                                .collect(),
                            assessors: (1..=users).map(user).collect(),
                            conflicts: conflicts
                                .into_iter()
                                .zip(1..)
                                .map(|((g, a), u)| {
                                    (
                                        user(u),
                                        AssessorConflicts {
                                            grantees: g
                                                .into_iter()
                                                .map(|g| app(0, g).grantee_id)
                                                .collect(),
                                            applications: a
                                                .into_iter()
                                                .map(|a| app(a, 0).application_id)
                                                .collect(),
                                        },
                                    )
                                })
                                .collect(),
                            existing: if with_conflicts {
                                existing
                                    .into_iter()
                                    .map(|(a, u)| AssignmentPair {
                                        application_id: app(a, 0).application_id,
                                        assessor_id: user(u),
                                    })
                                    .collect()
                            } else {
                                vec![]
                            },
                            per_application: n(per),
                        }
                    })
            },
        )
    }

    proptest! {
        #[test]
        fn plans_respect_conflicts_and_coverage(input in inputs(true)) {
            let plan = input.plan();
            let by_id: BTreeMap<_, _> =
                input.applications.iter().map(|a| (a.application_id, *a)).collect();
            let mut all: BTreeSet<AssignmentPair> = input.existing.iter().copied().collect();
            for p in &plan.assignments {
                let a = &by_id[&p.application_id];
                prop_assert!(!input.conflicted(p.assessor_id, a), "conflicted pair {p:?}");
                prop_assert!(all.insert(*p), "duplicate pair {p:?}");
            }
            let wanted = usize::from(input.per_application.get());
            for a in by_id.values() {
                let eligible: BTreeSet<UserId> = input
                    .assessors
                    .iter()
                    .copied()
                    .chain(all.iter().filter(|p| p.application_id == a.application_id).map(|p| p.assessor_id))
                    .filter(|u| !input.conflicted(*u, a))
                    .collect();
                let has = all
                    .iter()
                    .filter(|p| p.application_id == a.application_id && !input.conflicted(p.assessor_id, a))
                    .count();
                prop_assert_eq!(has.min(wanted), wanted.min(eligible.len()));
                let short = plan.shortfalls.iter().find(|s| s.application_id == a.application_id);
                if has < wanted {
                    prop_assert_eq!(short.map(|s| (s.assigned, s.eligible)), Some((has, eligible.len())));
                } else {
                    prop_assert!(short.is_none());
                }
            }
            let shuffled = AssignmentInput {
                applications: input.applications.iter().rev().copied().collect(),
                assessors: input.assessors.iter().rev().copied().collect(),
                existing: input.existing.iter().rev().copied().collect(),
                ..input.clone()
            };
            prop_assert_eq!(plan, shuffled.plan());
        }

        #[test]
        fn without_conflicts_loads_are_at_most_one_apart(input in inputs(false)) {
            let plan = input.plan();
            prop_assert!(plan.shortfalls.is_empty() || input.assessors.len() < usize::from(input.per_application.get()));
            prop_assert!(spread(&plan.loads) <= 1, "loads {:?}", plan.loads);
        }
    }
}
