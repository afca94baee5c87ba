use super::*;
use proptest::prelude::*;

const REAL: &str = include_str!("../../../../tests/fixtures/pledge-tracker-appendix-2.txt");

fn rows() -> Vec<TrackerRow> {
    parse_tracker(REAL.as_bytes()).unwrap()
}

fn codes(row: &TrackerRow) -> Vec<&str> {
    row.departments.iter().map(Department::code).collect()
}

#[test]
fn the_real_tracker_reads_every_row() {
    let rows = rows();
    assert_eq!(rows.len(), 61);
    let numbers: Vec<u32> = rows.iter().map(|r| r.number).collect();
    assert_eq!(numbers.iter().filter(|n| **n == 50).count(), 4);
    assert_eq!(numbers.iter().filter(|n| **n == 51).count(), 2);
    assert!(!numbers.contains(&38));
    for n in (1..=58).filter(|n| ![38, 50, 51].contains(n)) {
        assert_eq!(numbers.iter().filter(|x| **x == n).count(), 1, "pledge {n}");
    }
    let fifties: Vec<u32> = rows
        .iter()
        .filter(|r| r.number == 50)
        .map(|r| r.occurrence)
        .collect();
    assert_eq!(fifties, [1, 2, 3, 4]);

    let first = &rows[0];
    assert_eq!(first.line, 8);
    assert!(first.text.starts_with("The government is now committing"));
    assert_eq!(codes(first), ["DCMS"]);
    assert_eq!(first.progress, "Ongoing and on track");

    let ten = rows.iter().find(|r| r.number == 10).unwrap();
    assert_eq!(ten.progress, "");
    assert_eq!(ten.status(), CommitmentStatus::NotReported);
    assert_eq!(codes(ten), ["DHSC", "NHSE", "DWP"]);
    assert!(!ten.text.contains("<p>") && !ten.text.ends_with("</p>"));

    let three = rows.iter().find(|r| r.number == 3).unwrap();
    assert_eq!(codes(three), ["DHSC", "NHSE"]);
    assert_eq!(three.status(), CommitmentStatus::InProgress);

    let fifty_six = rows.iter().find(|r| r.number == 56).unwrap();
    assert_eq!(codes(fifty_six), ["MHCLG", "DfT", "BEIS", "DHSC", "DCMS"]);

    // DFE and DfE are one department; DFT and DfT too.
    let dfe: Vec<u32> = rows
        .iter()
        .filter(|r| codes(r).contains(&"DfE"))
        .map(|r| r.number)
        .collect();
    assert!(dfe.contains(&22) && dfe.contains(&50), "{dfe:?}");
    assert!(rows.iter().all(|r| !codes(r).contains(&"DFE")));
    assert_eq!(
        codes(rows.iter().find(|r| r.number == 14).unwrap()),
        ["DfT"]
    );

    let last = rows.last().unwrap();
    assert_eq!(last.number, 58);
    assert_eq!(
        last.progress,
        "In progress. Included in Family Test guidance."
    );
    assert_eq!(last.line, 77);
}

#[test]
fn the_real_progress_texts_all_normalise() {
    let mut by_status = std::collections::BTreeMap::new();
    for row in rows() {
        *by_status.entry(row.status()).or_insert(0) += 1;
    }
    assert_eq!(by_status.get(&CommitmentStatus::NotReported), Some(&1));
    assert_eq!(by_status.get(&CommitmentStatus::Other), Some(&1));
    assert_eq!(by_status.values().sum::<i32>(), 61);
}

#[test]
fn status_mapping_table() {
    use CommitmentStatus as S;
    for (text, status) in [
        ("Completed", S::Completed),
        ("Complete", S::Completed),
        ("Completed.", S::Completed),
        ("Completed and published.", S::Completed),
        ("Completed and in delivery phase", S::Completed),
        ("Completed but guidance yet to be published", S::Completed),
        ("Ongoing", S::Ongoing),
        ("Ongoing and on track", S::Ongoing),
        ("In progress", S::InProgress),
        ("in   PROGRESS. Awaiting evaluation results", S::InProgress),
        ("Developing", S::InProgress),
        (
            "Being delivered through NHS Long Term Plan. On track",
            S::InProgress,
        ),
        ("Due to be published shortly", S::InProgress),
        (
            "Sector engagement: activity revised and completed Ageing Society Grand Challenge: on track",
            S::InProgress,
        ),
        ("Awaited", S::NotStarted),
        ("Campaign to launch shortly", S::NotStarted),
        ("Not started", S::NotStarted),
        ("", S::NotReported),
        ("Included in published DCMS and DEFRA plans only", S::Other),
    ] {
        assert_eq!(S::from_progress(text), status, "{text}");
    }
}

fn error_lines(input: &[u8]) -> Vec<(u32, String)> {
    parse_tracker(input)
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| (e.line, e.message))
        .collect()
}

#[test]
fn malformed_input_names_the_line() {
    assert_eq!(error_lines(b"")[0].0, 1);
    assert_eq!(error_lines(b" \n\n\t\n")[0].1, "the file is empty");

    // A row with no tab at all: one column.
    let mut bad = REAL.lines().take(8).collect::<Vec<_>>().join("\n");
    bad.push_str("\n2. A pledge with no columns at all\n");
    let errors = error_lines(bad.as_bytes());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].0, 9);
    assert!(errors[0].1.contains("1 column"), "{}", errors[0].1);

    // Binary data.
    let errors = error_lines(b"Pledge\tDept\tProgress\n1. A\tDCMS\t\n\x00\x01\x02\x03\n");
    assert_eq!(errors[0].0, 3);
    assert!(errors[0].1.contains("binary"), "{}", errors[0].1);
    let errors = error_lines(b"Pledge\tDept\tProgress\n\n\n1. A\tDCMS\t\xc3\x28\n");
    assert_eq!(errors, [(4, errors[0].1.clone())]);
    assert!(errors[0].1.contains("UTF-8"));

    // No header; a row before the header; header only.
    assert_eq!(error_lines(b"Title\nsomething\n")[0].0, 1);
    assert_eq!(error_lines(b"Title\n1. A\tDCMS\tDone\n")[0].0, 2);
    assert_eq!(error_lines(b"Title\n\nPledge\tDept\tProgress\n\n")[0].0, 3);

    // Too many columns, no number, no department, every error at once.
    let errors = error_lines(
        b"Pledge\tDept\tProgress\n1. A\tDCMS\tDone\textra\nNo number\tDCMS\tDone\n3. C\t\tDone\n4. D\t,\t\n",
    );
    let lines: Vec<u32> = errors.iter().map(|e| e.0).collect();
    assert_eq!(lines, [2, 3, 4, 5], "{errors:?}");
    assert!(errors[0].1.contains("4 columns"));
    assert!(errors[1].1.contains("pledge number"));
    assert!(errors[2].1.contains("empty department"));
}

#[test]
fn crlf_bom_and_entities_are_tolerated() {
    let rows = parse_tracker(
        "\u{feff}Pledge\tDept\tProgress\r\n<P>1. Fish &amp; chips</P>\t<p>DfE &amp; DCMS</p>\t<p>Done</p>\r\n"
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(rows[0].text, "Fish & chips");
    assert_eq!(codes(&rows[0]), ["DfE", "DCMS"]);
    assert_eq!(rows[0].progress, "Done");
}

#[test]
fn import_plans_are_idempotent_and_keep_manual_status() {
    let rows = rows();
    let plan = plan_import(&[], &rows, CommitmentId::new);
    assert_eq!(plan.summary().created, 61);
    let held: Vec<Commitment> = plan
        .actions
        .iter()
        .map(|a| match a {
            ImportAction::Create(c) => c.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let again = plan_import(&held, &rows, CommitmentId::new);
    assert!(again.changes_nothing());
    assert_eq!(again.summary().unchanged, 61);

    // A manual status survives a re-import of the same file.
    let mut changed = held.clone();
    changed[0] = changed[0]
        .set_status(CommitmentStatus::Completed, "done")
        .unwrap()
        .0;
    assert!(plan_import(&changed, &rows, CommitmentId::new).changes_nothing());

    // A row dropped from the file is counted, not deleted.
    let plan = plan_import(&held, &rows[1..], CommitmentId::new);
    assert_eq!(plan.not_in_file, [held[0].id]);
}

#[test]
fn report_counts_add_up() {
    let held: Vec<Commitment> = rows()
        .iter()
        .map(|r| Commitment::from_row(CommitmentId::new(), r))
        .collect();
    let report = ProgressReport::new(&held, chrono::Utc::now());
    assert_eq!(report.total, 61);
    assert_eq!(report.by_status.iter().map(|c| c.count).sum::<usize>(), 61);
    let departments: usize = held.iter().map(|c| c.departments.len()).sum();
    assert_eq!(
        report.by_department.iter().map(|d| d.total).sum::<usize>(),
        departments
    );
    let markdown = report.to_markdown();
    assert!(markdown.contains("| 50 (4) |"), "{markdown}");
    assert_eq!(
        report
            .csv_records()
            .iter()
            .filter(|r| r[0] == "pledge")
            .count(),
        61
    );
}

/// Found by the `identifiers` fuzz target: a part after a separator kept
/// its leading space, so a name starting with the word "and" split there but
/// not when the department codes were read back.
#[test]
fn department_codes_read_back_as_the_same_departments() {
    let cell = "DANd Dd /ANd DANd aa&^zD";
    let first = parse_departments(cell).unwrap();
    let codes: Vec<&str> = first.iter().map(Department::code).collect();
    assert_eq!(codes, ["DAND DD", "AND DAND AA", "^ZD"]);
    assert_eq!(parse_departments(&codes.join(", ")).unwrap(), first);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_tracker(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(?s)[\\t\\n\\r<>/p0-9. a-zA-Z,&é]{0,400}") {
        if let Err(errors) = parse_tracker(text.as_bytes()) {
            prop_assert!(!errors.0.is_empty());
            for e in errors.0 {
                prop_assert!(e.line >= 1);
            }
        }
    }

    #[test]
    fn header_then_rows_parse(lines in proptest::collection::vec(("[1-9][0-9]{0,2}", "[a-zA-Z ]{1,30}[a-z]", "(DfE|DFE|dcms|NHSE, DWP)", "[a-zA-Z ]{0,20}"), 1..30)) {
        let mut file = String::from("Pledge\tDept\tProgress\n");
        for (n, text, dept, progress) in &lines {
            file.push_str(&format!("<p>{n}. {text}</p>\t{dept}\t{progress}\n"));
        }
        let rows = parse_tracker(file.as_bytes()).unwrap();
        prop_assert_eq!(rows.len(), lines.len());
    }
}
