//! Tables as GOV.UK draws them, built by the pages and drawn by one macro
//! (`templates/macros.html`), so every table has the same caption, header
//! cells, figures right-aligned, and a region that scrolls on its own at
//! narrow widths.

/// A column heading.
#[derive(Debug)]
pub struct Column {
    /// What it says.
    pub label: String,
    /// Whether its figures align right.
    pub numeric: bool,
}

/// One cell: text, a figure, a link or a status tag.
#[derive(Debug, Default)]
pub struct Cell {
    /// What it says.
    pub text: String,
    /// Where it links to.
    pub href: Option<String>,
    /// A status tag's colour.
    pub colour: Option<&'static str>,
    /// Whether it is a figure (right-aligned, tabular digits).
    pub numeric: bool,
}

impl Cell {
    /// Plain text.
    #[must_use]
    pub fn text(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    /// A figure, such as an amount of money.
    #[must_use]
    pub fn figure(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            numeric: true,
            ..Cell::default()
        }
    }

    /// A link.
    #[must_use]
    pub fn link(text: impl Into<String>, href: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            href: Some(href.into()),
            ..Cell::default()
        }
    }

    /// A status tag: its words and colour.
    #[must_use]
    pub fn tag(status: (String, &'static str)) -> Cell {
        Cell {
            text: status.0,
            colour: Some(status.1),
            ..Cell::default()
        }
    }
}

/// A table, or what to say when it has no rows.
#[derive(Debug)]
pub struct Table {
    /// Its caption (visible or not, by `caption_class`).
    pub caption: String,
    /// `govuk-visually-hidden` when a heading above already says it.
    pub caption_class: &'static str,
    /// What to say instead of an empty table.
    pub empty: String,
    /// The headings.
    pub columns: Vec<Column>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table whose caption repeats the heading above it (hidden but
    /// read out).
    #[must_use]
    pub fn under_heading(caption: String, columns: &[(String, bool)], empty: String) -> Table {
        Table {
            caption,
            caption_class: "govuk-visually-hidden",
            empty,
            columns: columns
                .iter()
                .map(|(label, numeric)| Column {
                    label: label.clone(),
                    numeric: *numeric,
                })
                .collect(),
            rows: Vec::new(),
        }
    }
}
