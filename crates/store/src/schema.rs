//! The diesel schema shared by both backends. Maintained by hand (diesel
//! print-schema cannot produce one schema for two backends); every store test
//! runs on both, which checks it against both migration sets.

#![allow(missing_docs)]

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    funds (id) {
        id -> Uuid,
        code -> Text,
        name -> Text,
        budget_pence -> BigInt,
        status -> Text,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
        required_checks -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Uuid;

    funders (fund_id, position) {
        fund_id -> Uuid,
        position -> Integer,
        name -> Text,
        org_id -> Nullable<Text>,
        contribution_pence -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    rounds (id) {
        id -> Uuid,
        fund_id -> Uuid,
        number -> Integer,
        name -> Text,
        opens_at -> Instant,
        closes_at -> Instant,
        allocation_pence -> BigInt,
        min_grant_pence -> BigInt,
        max_grant_pence -> BigInt,
        eligible_types -> Text,
        max_annual_income_pence -> Nullable<BigInt>,
        eligible_regions -> Text,
        next_award_sequence -> Integer,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Uuid;

    round_settings (round_id) {
        round_id -> Uuid,
        one_application_per_organisation -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    round_forms (round_id, version) {
        round_id -> Uuid,
        version -> Integer,
        definition -> Text,
        saved_by -> Nullable<Uuid>,
        saved_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    application_answers (application_id) {
        application_id -> Uuid,
        form_version -> Integer,
        answers -> Text,
        saved_by -> Nullable<Uuid>,
        saved_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    portal_sessions (id_hash) {
        id_hash -> Text,
        user_id -> Uuid,
        csrf_token -> Text,
        created_at -> Instant,
        last_seen_at -> Instant,
        stage -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    two_factor (user_id) {
        user_id -> Uuid,
        secret -> Nullable<Text>,
        pending_secret -> Nullable<Text>,
        last_step -> Nullable<BigInt>,
        enabled_at -> Nullable<Instant>,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    recovery_codes (user_id, code_hash) {
        user_id -> Uuid,
        code_hash -> Text,
        used_at -> Nullable<Instant>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    return_drafts (award_id) {
        award_id -> Uuid,
        form -> Text,
        saved_by -> Uuid,
        saved_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Uuid;

    round_designations (round_id) {
        round_id -> Uuid,
        funder -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    grantees (id) {
        id -> Uuid,
        name -> Text,
        org_id -> Nullable<Text>,
        organisation_type -> Text,
        region -> Text,
        local_authority -> Text,
        postcode -> Text,
        annual_income_pence -> BigInt,
        due_diligence -> Text,
        due_diligence_by -> Nullable<Uuid>,
        due_diligence_at -> Nullable<Instant>,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
        name_key -> Nullable<Text>,
        local_authority_key -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    users (id) {
        id -> Uuid,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        grantee_id -> Nullable<Uuid>,
        disabled -> Bool,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
        owner -> Bool,
        credentials_version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    applications (id) {
        id -> Uuid,
        round_id -> Uuid,
        grantee_id -> Uuid,
        amount_requested_pence -> BigInt,
        project_title -> Text,
        summary -> Text,
        status -> Text,
        submitted_at -> Nullable<Instant>,
        decided_at -> Nullable<Instant>,
        decision_feedback -> Nullable<Text>,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
        extended_until -> Nullable<Instant>,
        extension_reason -> Nullable<Text>,
        decision_note -> Nullable<Text>,
        mean_score_hundredths -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    assessments (id) {
        id -> Uuid,
        application_id -> Uuid,
        assessor_id -> Uuid,
        conflict_declared -> Bool,
        declaration -> Nullable<Text>,
        score -> Nullable<Integer>,
        recommendation -> Nullable<Text>,
        comment -> Text,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    awards (id) {
        id -> Uuid,
        reference -> Text,
        fund_id -> Uuid,
        round_id -> Uuid,
        application_id -> Uuid,
        grantee_id -> Uuid,
        amount_pence -> BigInt,
        paid_pence -> BigInt,
        status -> Text,
        return_due_on -> Nullable<Date>,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
        scheduled_pence -> BigInt,
        cancellation_reason -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    award_variations (id) {
        id -> Uuid,
        award_id -> Uuid,
        previous_amount_pence -> BigInt,
        new_amount_pence -> BigInt,
        reason -> Text,
        created_by -> Nullable<Uuid>,
        created_at -> Instant,
        range_override_reason -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    payment_runs (id) {
        id -> Uuid,
        status -> Text,
        total_pence -> BigInt,
        disbursement_count -> Integer,
        created_by -> Nullable<Uuid>,
        created_at -> Instant,
        confirmed_at -> Nullable<Instant>,
        version -> BigInt,
        fund_id -> Nullable<Uuid>,
        round_id -> Nullable<Uuid>,
        due_by -> Date,
        approved_by -> Nullable<Uuid>,
        approved_at -> Nullable<Instant>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Uuid;

    payment_run_holds (payment_run_id, disbursement_id) {
        payment_run_id -> Uuid,
        disbursement_id -> Uuid,
        reason -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    bank_details (id) {
        id -> Uuid,
        grantee_id -> Uuid,
        state -> Text,
        key_id -> Text,
        sealed -> Text,
        fingerprint -> Text,
        entered_by -> Uuid,
        entered_at -> Instant,
        decided_by -> Nullable<Uuid>,
        decided_at -> Nullable<Instant>,
        decision_note -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    disbursements (id) {
        id -> Uuid,
        award_id -> Uuid,
        amount_pence -> BigInt,
        due_on -> Date,
        status -> Text,
        payment_run_id -> Nullable<Uuid>,
        paid_at -> Nullable<Instant>,
        note -> Nullable<Text>,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
        settled_by -> Nullable<Uuid>,
        settled_at -> Nullable<Instant>,
        return_reason -> Nullable<Text>,
        bank_details_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    ledger_accounts (key) {
        key -> Text,
        fund_id -> Uuid,
        balance_pence -> BigInt,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    ledger_transfers (id) {
        id -> Uuid,
        fund_id -> Uuid,
        debit_account -> Text,
        credit_account -> Text,
        amount_pence -> BigInt,
        kind -> Text,
        entity_type -> Text,
        entity_id -> Uuid,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    audit_events (seq) {
        seq -> BigInt,
        id -> Uuid,
        occurred_at -> Instant,
        actor_id -> Nullable<Uuid>,
        actor -> Text,
        action -> Text,
        entity_type -> Text,
        entity_id -> Uuid,
        fund_id -> Nullable<Uuid>,
        before -> Nullable<Text>,
        after -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    idempotency_keys (caller_id, key) {
        caller_id -> Uuid,
        key -> Text,
        method -> Text,
        path -> Text,
        fingerprint -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        response_location -> Nullable<Text>,
        created_at -> Instant,
        completed_at -> Nullable<Instant>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    commitments (id) {
        id -> Uuid,
        number -> Integer,
        occurrence -> Integer,
        pledge -> Text,
        progress -> Text,
        status -> Text,
        source_line -> Integer,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Uuid;

    commitment_departments (commitment_id, position) {
        commitment_id -> Uuid,
        position -> Integer,
        department -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    commitment_history (id) {
        id -> Uuid,
        commitment_id -> Uuid,
        changed_at -> Instant,
        actor_id -> Nullable<Uuid>,
        actor -> Text,
        source -> Text,
        status -> Text,
        progress -> Text,
        note -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    evaluation_returns (id) {
        id -> Uuid,
        award_id -> Uuid,
        fund_id -> Uuid,
        round_id -> Uuid,
        grantee_id -> Uuid,
        status -> Text,
        latest_version -> Integer,
        version -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    evaluation_return_versions (return_id, number) {
        return_id -> Uuid,
        number -> Integer,
        period_start -> Date,
        period_end -> Date,
        participants_reached -> Integer,
        volunteers -> Integer,
        sessions_delivered -> Integer,
        narrative -> Text,
        case_study -> Nullable<Text>,
        baseline_respondents -> Integer,
        follow_up_respondents -> Integer,
        responses -> Text,
        submitted_by -> Nullable<Uuid>,
        submitted_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    evaluation_reviews (id) {
        id -> Uuid,
        return_id -> Uuid,
        version_number -> Integer,
        decision -> Text,
        comment -> Nullable<Text>,
        reviewed_by -> Nullable<Uuid>,
        reviewed_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Uuid;

    evaluation_version_tallies (return_id, number) {
        return_id -> Uuid,
        number -> Integer,
        tally -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    audit_chain (position) {
        position -> BigInt,
        seq -> BigInt,
        prev_hash -> Text,
        hash -> Text,
        sealed_at -> Instant,
    }
}

diesel::joinable!(funders -> funds (fund_id));
diesel::joinable!(portal_sessions -> users (user_id));
diesel::joinable!(rounds -> funds (fund_id));
diesel::joinable!(applications -> rounds (round_id));
diesel::joinable!(applications -> grantees (grantee_id));
diesel::joinable!(awards -> rounds (round_id));
diesel::joinable!(awards -> grantees (grantee_id));
diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    outbox_messages (id) {
        id -> Uuid,
        created_at -> Instant,
        to_address -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Nullable<Text>,
        kind -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Instant,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Instant>,
        message_id -> Text,
        unsubscribe_url -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    reminders_sent (kind, subject_id, occasion) {
        kind -> Text,
        subject_id -> Uuid,
        occasion -> Text,
        sent_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    reminder_links (token_hash) {
        token_hash -> Text,
        user_id -> Uuid,
        subject_id -> Uuid,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    reminder_opt_outs (user_id, scope) {
        user_id -> Uuid,
        scope -> Text,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    user_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Instant,
        used_at -> Nullable<Instant>,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    round_criteria (round_id) {
        round_id -> Uuid,
        definition -> Text,
        margin -> Text,
        version -> BigInt,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    assessor_assignments (application_id, assessor_id) {
        application_id -> Uuid,
        assessor_id -> Uuid,
        round_id -> Uuid,
        assigned_by -> Nullable<Uuid>,
        assigned_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    score_sheets (application_id, assessor_id) {
        application_id -> Uuid,
        assessor_id -> Uuid,
        round_id -> Uuid,
        scores -> Text,
        recorded_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    panel_recommendations (application_id) {
        application_id -> Uuid,
        round_id -> Uuid,
        decision -> Text,
        note -> Nullable<Text>,
        recorded_by -> Nullable<Uuid>,
        recorded_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    due_diligence_checks (id) {
        id -> Uuid,
        grantee_id -> Uuid,
        kind -> Text,
        status -> Text,
        evidence -> Text,
        checked_by -> Uuid,
        checked_at -> Instant,
        checked_on -> Date,
        expires_on -> Nullable<Date>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    document_contents (sha256) {
        sha256 -> Text,
        document_type -> Text,
        size_bytes -> BigInt,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    document_chunks (sha256, seq) {
        sha256 -> Text,
        seq -> Integer,
        bytes -> Binary,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Uuid, Instant};

    attachments (id) {
        id -> Uuid,
        owner_kind -> Text,
        owner_id -> Uuid,
        purpose -> Text,
        sha256 -> Text,
        file_name -> Text,
        uploaded_by -> Uuid,
        uploaded_at -> Instant,
        superseded_at -> Nullable<Instant>,
        superseded_by -> Nullable<Uuid>,
    }
}

diesel::joinable!(user_tokens -> users (user_id));
diesel::joinable!(document_chunks -> document_contents (sha256));
diesel::joinable!(attachments -> document_contents (sha256));
diesel::joinable!(due_diligence_checks -> grantees (grantee_id));
diesel::joinable!(bank_details -> grantees (grantee_id));
diesel::joinable!(disbursements -> awards (award_id));
diesel::joinable!(payment_run_holds -> disbursements (disbursement_id));
diesel::joinable!(award_variations -> awards (award_id));
diesel::joinable!(commitment_departments -> commitments (commitment_id));
diesel::joinable!(commitment_history -> commitments (commitment_id));
diesel::joinable!(audit_chain -> audit_events (seq));

diesel::allow_tables_to_appear_in_same_query!(
    funds,
    funders,
    rounds,
    round_designations,
    portal_sessions,
    return_drafts,
    round_forms,
    round_settings,
    application_answers,
    grantees,
    users,
    applications,
    assessments,
    awards,
    award_variations,
    payment_runs,
    payment_run_holds,
    bank_details,
    disbursements,
    ledger_accounts,
    ledger_transfers,
    audit_events,
    idempotency_keys,
    commitments,
    commitment_departments,
    commitment_history,
    evaluation_returns,
    evaluation_return_versions,
    evaluation_reviews,
    evaluation_version_tallies,
    audit_chain,
    outbox_messages,
    user_tokens,
    round_criteria,
    assessor_assignments,
    score_sheets,
    panel_recommendations,
    due_diligence_checks,
    document_contents,
    document_chunks,
    attachments,
    reminders_sent,
    reminder_links,
    reminder_opt_outs,
    two_factor,
    recovery_codes,
);
