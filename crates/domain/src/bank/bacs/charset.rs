//! The Bacs character set, and fitting free text into a fixed-width field.

/// Whether `c` may appear in a Bacs field: `A`–`Z`, `0`–`9`, full stop,
/// ampersand, slash, hyphen and space. Lower case is not in the set.
#[must_use]
pub const fn is_bacs_char(c: char) -> bool {
    matches!(c, 'A'..='Z' | '0'..='9' | '.' | '&' | '/' | '-' | ' ')
}

/// The plain letters a Latin letter with a diacritic stands for, upper case
/// (`é` → `E`, `ß` → `SS`), so "Café" is "CAFE" on a statement, not "CAF".
/// Only the Latin-1 and Latin Extended-A letters UK names commonly carry;
/// anything else falls through to the space rule.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'À'..='Å' | 'à'..='å' | 'Ā' | 'ā' | 'Ă' | 'ă' | 'Ą' | 'ą' => "A",
        'Æ' | 'æ' => "AE",
        'Ç' | 'ç' | 'Ć' | 'ć' | 'Č' | 'č' => "C",
        'Ď' | 'ď' | 'Đ' | 'đ' | 'Ð' | 'ð' => "D",
        'È'..='Ë' | 'è'..='ë' | 'Ē' | 'ē' | 'Ė' | 'ė' | 'Ę' | 'ę' | 'Ě' | 'ě' => "E",
        'Ğ' | 'ğ' => "G",
        'Ì'..='Ï' | 'ì'..='ï' | 'Ī' | 'ī' | 'Į' | 'į' | 'İ' | 'ı' => "I",
        'Ł' | 'ł' | 'Ľ' | 'ľ' => "L",
        'Ñ' | 'ñ' | 'Ń' | 'ń' | 'Ň' | 'ň' => "N",
        'Ò'..='Ö' | 'Ø' | 'ò'..='ö' | 'ø' | 'Ō' | 'ō' | 'Ő' | 'ő' => "O",
        'Œ' | 'œ' => "OE",
        'Ř' | 'ř' => "R",
        'Ś' | 'ś' | 'Š' | 'š' | 'Ş' | 'ş' => "S",
        'ß' => "SS",
        'Ť' | 'ť' | 'Ţ' | 'ţ' => "T",
        'Ù'..='Ü' | 'ù'..='ü' | 'Ū' | 'ū' | 'Ů' | 'ů' | 'Ű' | 'ű' => "U",
        'Ý' | 'ý' | 'ÿ' | 'Ÿ' => "Y",
        'Ź' | 'ź' | 'Ż' | 'ż' | 'Ž' | 'ž' => "Z",
        'Þ' | 'þ' => "TH",
        _ => return None,
    })
}

/// `s` in the Bacs character set, without padding: upper-cased, accented
/// Latin letters folded to plain ones, apostrophes dropped, every other
/// character outside the set made a space, runs of spaces collapsed and
/// the ends trimmed.
///
/// Apostrophes are dropped because they sit inside words ("O’Brien" is
/// "OBRIEN" as banks print it, not "O BRIEN"); anything else becomes a space
/// rather than vanishing so the words either side stay apart ("Smith+Jones"
/// is "SMITH JONES", not "SMITHJONES"). Spaces are collapsed and trimmed
/// because the field is short and a leading space is refused by some banks.
///
/// ```
/// use grantledger_domain::bank::to_bacs;
/// assert_eq!(to_bacs("O’Brien & Sons, Café"), "OBRIEN & SONS CAFE");
/// ```
#[must_use]
pub fn to_bacs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let push = |c: char, out: &mut String| {
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            return;
        }
        out.push(c);
    };
    for c in s.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '`' | '\u{b4}') {
            continue;
        }
        let upper = c.to_ascii_uppercase();
        if is_bacs_char(upper) {
            push(upper, &mut out);
        } else if let Some(plain) = fold(c) {
            for p in plain.chars() {
                push(p, &mut out);
            }
        } else {
            push(' ', &mut out);
        }
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out
}

/// `s` in the Bacs character set ([`to_bacs`]), cut or padded with spaces
/// on the right to exactly `width` characters: what goes into a
/// fixed-width Standard 18 field.
///
/// ```
/// use grantledger_domain::bank::bacs_field;
/// assert_eq!(bacs_field("Tuesday lunch club of Gateshead", 18), "TUESDAY LUNCH CLUB");
/// assert_eq!(bacs_field("Ann", 6), "ANN   ");
/// ```
#[must_use]
pub fn bacs_field(s: &str, width: usize) -> String {
    // Every character of `to_bacs` is ASCII, so bytes are characters.
    let mut text = to_bacs(s);
    text.truncate(width);
    format!("{text:<width$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_case_is_upper_cased() {
        assert_eq!(to_bacs("tea dances"), "TEA DANCES");
    }

    #[test]
    fn accents_are_folded() {
        assert_eq!(to_bacs("Café Élan"), "CAFE ELAN");
        assert_eq!(to_bacs("Straße Ænid Øster"), "STRASSE AENID OSTER");
        assert_eq!(to_bacs("Łódź"), "LODZ");
    }

    #[test]
    fn apostrophes_are_dropped() {
        assert_eq!(to_bacs("O’Brien's"), "OBRIENS");
        assert_eq!(to_bacs("D‘Arcy"), "DARCY");
    }

    #[test]
    fn other_characters_become_single_spaces() {
        assert_eq!(to_bacs("Smith+Jones"), "SMITH JONES");
        assert_eq!(to_bacs("a,  b;\tc"), "A B C");
        assert_eq!(to_bacs("  =SUM(A1)  "), "SUM A1");
        assert_eq!(to_bacs("漢字 Club 🎉"), "CLUB");
        assert_eq!(to_bacs("£500 (grant) @ 5% #1"), "500 GRANT 5 1");
    }

    #[test]
    fn the_set_itself_is_kept() {
        assert_eq!(to_bacs("A-Z 0/9 & CO."), "A-Z 0/9 & CO.");
    }

    #[test]
    fn fields_are_cut_and_padded() {
        assert_eq!(bacs_field("", 4), "    ");
        assert_eq!(bacs_field("é", 3), "E  ");
        assert_eq!(
            bacs_field("The Very Long Community Association Name", 18),
            "THE VERY LONG COMM"
        );
        // Cutting can leave a trailing space; the width is what matters.
        assert_eq!(
            bacs_field("ABCDEFGHIJKLMNOPQ RST", 18),
            "ABCDEFGHIJKLMNOPQ "
        );
    }

    proptest::proptest! {
        #[test]
        fn every_field_is_exactly_its_width_in_the_set(s in "\\PC*", width in 0usize..40) {
            let f = bacs_field(&s, width);
            proptest::prop_assert_eq!(f.chars().count(), width);
            proptest::prop_assert_eq!(f.len(), width);
            proptest::prop_assert!(f.chars().all(is_bacs_char));
        }
    }
}
