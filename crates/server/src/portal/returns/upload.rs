//! Many participants at once: a CSV file in the template the page offers,
//! a row a participant. Every bad row is listed; nothing is loaded unless
//! every row is good.

use grantledger_domain::evaluation::{DirectAnswer, UclaAnswer};

use crate::portal::messages::Messages;
use crate::portal::returns::form::{ITEMS, Participant, STAGES};

/// The template's header row.
pub const COLUMNS: [&str; 9] = [
    "participant_code",
    "before_direct",
    "before_lack_companionship",
    "before_left_out",
    "before_isolated",
    "after_direct",
    "after_lack_companionship",
    "after_left_out",
    "after_isolated",
];

/// The most rows one file may hold (the domain's limit on responses is two
/// a participant).
pub const MAX_ROWS: usize = 2_500;

/// The template offered for download: the header and two example rows.
#[must_use]
pub fn template() -> String {
    let mut out = COLUMNS.join(",");
    out.push_str("\r\nP-001,often_always,often,some_of_the_time,often,some_of_the_time,some_of_the_time,hardly_ever_or_never,some_of_the_time\r\n");
    out.push_str(
        "P-002,occasionally,hardly_ever_or_never,hardly_ever_or_never,some_of_the_time,,,,\r\n",
    );
    out
}

/// An answer as the file may give it: the code (`often_always`) or the
/// words (`Often/always`), in any case.
fn answer(item: &str, typed: &str) -> Option<String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Some(String::new());
    }
    let same = |code: &str, label: &str| {
        typed.eq_ignore_ascii_case(code) || typed.eq_ignore_ascii_case(label)
    };
    if item == "direct" {
        DirectAnswer::ALL
            .iter()
            .find(|a| same(a.as_str(), a.label()))
            .map(|a| a.as_str().to_owned())
    } else {
        UclaAnswer::ALL
            .iter()
            .find(|a| same(a.as_str(), a.label()))
            .map(|a| a.as_str().to_owned())
    }
}

/// Reads a file of participants, or every problem with it, a line each.
pub fn participants(m: &Messages, bytes: &[u8]) -> Result<Vec<Participant>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(_) => return Err(vec![m.t("upload-not-csv")]),
    };
    let position: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|c| headers.iter().position(|h| h.eq_ignore_ascii_case(c)))
        .collect();
    let missing: Vec<&str> = COLUMNS
        .iter()
        .zip(&position)
        .filter(|(_, p)| p.is_none())
        .map(|(c, _)| *c)
        .collect();
    if !missing.is_empty() {
        return Err(vec![m.with(
            "upload-missing-columns",
            &[("columns", &missing.join(", "))],
        )]);
    }
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        // Line 1 is the header.
        let line = (i + 2).to_string();
        if i >= MAX_ROWS {
            problems.push(m.with("upload-too-many", &[("max", &MAX_ROWS.to_string())]));
            break;
        }
        let Ok(record) = record else {
            problems.push(m.with("upload-bad-line", &[("line", &line)]));
            continue;
        };
        let value = |column: usize| {
            position
                .get(column)
                .copied()
                .flatten()
                .and_then(|p| record.get(p))
                .unwrap_or_default()
        };
        let mut p = Participant {
            code: value(0).to_owned(),
            ..Participant::default()
        };
        let mut column = 1;
        for stage in STAGES {
            for item in ITEMS {
                let typed = value(column);
                match answer(item, typed) {
                    Some(code) => {
                        let answers = if stage == "before" {
                            &mut p.before
                        } else {
                            &mut p.after
                        };
                        match item {
                            "direct" => answers.direct = code,
                            "lack_companionship" => answers.lack_companionship = code,
                            "left_out" => answers.left_out = code,
                            _ => answers.isolated = code,
                        }
                    }
                    None => problems.push(m.with(
                        "upload-bad-answer",
                        &[
                            ("line", &line),
                            ("column", COLUMNS.get(column).copied().unwrap_or_default()),
                            ("value", typed),
                        ],
                    )),
                }
                column += 1;
            }
        }
        if !p.is_empty() {
            out.push(p);
        }
    }
    if out.is_empty() && problems.is_empty() {
        problems.push(m.t("upload-empty"));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::messages::english;

    #[test]
    fn the_template_loads_as_it_is_offered() {
        let rows = participants(english(), template().as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].before.direct, "often_always");
        assert_eq!(rows[1].after.direct, "");
    }

    #[test]
    fn words_are_read_as_codes_in_any_case() {
        let file = format!("{}\nP-9,Often/always,OFTEN,,,never,,,\n", COLUMNS.join(","));
        let rows = participants(english(), file.as_bytes()).unwrap();
        assert_eq!(rows[0].before.direct, "often_always");
        assert_eq!(rows[0].before.lack_companionship, "often");
        assert_eq!(rows[0].after.direct, "never");
    }

    #[test]
    fn every_bad_row_is_listed_and_nothing_loads() {
        let file = format!(
            "{}\nP-1,sometimes,,,,,,,\nP-2,never,,,,,,,\nP-3,,,,,,,,lots\n",
            COLUMNS.join(",")
        );
        let problems = participants(english(), file.as_bytes()).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("Line 2") && problems[0].contains("sometimes"));
        assert!(problems[1].contains("Line 4") && problems[1].contains("after_isolated"));
    }

    #[test]
    fn a_file_without_the_columns_says_which_are_missing() {
        let problems = participants(english(), b"code,answer\nP-1,never\n").unwrap_err();
        assert!(problems[0].contains("before_direct"), "{problems:?}");
    }
}
