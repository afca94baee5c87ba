//! Sniffing, names and digests.

use proptest::prelude::*;

use super::*;

/// A zip local file header for an entry named `name`, with no data.
fn zip_entry(name: &str) -> Vec<u8> {
    let mut out = b"PK\x03\x04".to_vec();
    out.extend_from_slice(&[20, 0, 8, 0, 8, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&[0; 12]);
    out.extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"some deflated bytes");
    out
}

fn zip(names: &[&str]) -> Vec<u8> {
    names.iter().flat_map(|n| zip_entry(n)).collect()
}

fn found(bytes: &[u8]) -> String {
    match DocumentType::sniff(bytes) {
        Err(DocumentError::NotAllowed { found }) => found,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn each_accepted_type_is_recognised_by_its_content() {
    let cases: [(&[u8], DocumentType); 5] = [
        (b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n", DocumentType::Pdf),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", DocumentType::Png),
        (b"\xFF\xD8\xFF\xE0\0\x10JFIF", DocumentType::Jpeg),
        (b"name,amount\r\nTea,5.00\r\n", DocumentType::Csv),
        ("\u{FEFF}café,£5\n".as_bytes(), DocumentType::Csv),
    ];
    for (bytes, expected) in cases {
        assert_eq!(DocumentType::sniff(bytes), Ok(expected), "{bytes:?}");
    }
}

#[test]
fn office_documents_are_told_apart_by_their_entries() {
    let docx = zip(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"]);
    let xlsx = zip(&["[Content_Types].xml", "xl/workbook.xml"]);
    assert_eq!(DocumentType::sniff(&docx), Ok(DocumentType::Docx));
    assert_eq!(DocumentType::sniff(&xlsx), Ok(DocumentType::Xlsx));
    let other = zip(&["payload.exe", "readme.txt"]);
    assert!(found(&other).contains("ZIP"));
    // A header cut short by the end of the head is not read past.
    assert!(DocumentType::sniff(b"PK\x03\x04\x14\0").is_err());
}

#[test]
fn html_named_anything_is_refused_naming_the_accepted_types() {
    for page in [
        &b"<!DOCTYPE html><html><body>Invoice</body></html>"[..],
        b"   \n<html>",
        b"\xEF\xBB\xBF<svg onload=alert(1)>",
        b"name,note\nx,<SCRIPT>alert(1)</script>\n",
        b"a,b\n<!doctype html>",
    ] {
        let error = DocumentType::sniff(page).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("markup"), "{message}");
        assert!(
            message
                .ends_with("accepted types are PDF, PNG, JPEG, Word (DOCX), Excel (XLSX) and CSV"),
            "{message}"
        );
    }
}

#[test]
fn programs_and_binary_data_are_refused() {
    assert!(found(b"MZ\x90\0\x03\0\0\0\x04\0").contains("Windows program"));
    assert_eq!(
        DocumentType::sniff(b"MZ reference,Amount\r\nMZ-1,500.00\r\n"),
        Ok(DocumentType::Csv),
        "text that begins MZ is not a program"
    );
    assert!(found(b"\x7FELF\x02\x01\x01").contains("Linux program"));
    assert!(found(b"a,b\n1,\x002\n").contains("binary"));
    assert!(found(b"a,b\x1b[31m\n").contains("binary"));
    assert!(found(b"\xC3\x28 not utf-8").contains("UTF-8"));
    assert_eq!(DocumentType::sniff(b""), Err(DocumentError::Empty));
}

#[test]
fn a_character_cut_by_the_end_of_the_head_is_not_held_against_the_file() {
    let mut head = "a,é".as_bytes().to_vec();
    head.pop();
    assert_eq!(DocumentType::sniff(&head), Ok(DocumentType::Csv));
}

#[test]
fn sizes_are_checked_and_shown() {
    assert!(check_size(DEFAULT_MAX_BYTES, DEFAULT_MAX_BYTES).is_ok());
    assert_eq!(
        check_size(DEFAULT_MAX_BYTES + 1, DEFAULT_MAX_BYTES),
        Err(DocumentError::TooLarge {
            limit: DEFAULT_MAX_BYTES
        })
    );
    assert_eq!(
        DocumentError::TooLarge {
            limit: DEFAULT_MAX_BYTES
        }
        .to_string(),
        "the file is larger than the limit of 12 MB"
    );
    assert_eq!(format_size(12), "12 bytes");
    assert_eq!(format_size(2048), "2 KB");
    assert_eq!(format_size(1024 * 1024 + 1), "1.1 MB");
}

#[test]
fn names_keep_only_what_is_safe_to_show() {
    assert_eq!(FileName::new("/tmp/x/report.pdf").as_str(), "report.pdf");
    assert_eq!(FileName::new("a\u{0}b\r\n.csv").as_str(), "ab.csv");
    assert_eq!(FileName::new("..").as_str(), "document");
    assert_eq!(FileName::new(&"x".repeat(500)).as_str().len(), 200);
    assert_eq!(
        FileName::new("Ünïcödé.pdf").content_disposition(),
        "attachment; filename=\"_n_c_d_.pdf\"; filename*=UTF-8''%C3%9Cn%C3%AFc%C3%B6d%C3%A9.pdf"
    );
}

#[test]
fn owners_and_kinds_round_trip() {
    let id = uuid::Uuid::now_v7();
    for owner in [
        AttachmentOwner::Application(ApplicationId::from_uuid(id)),
        AttachmentOwner::EvaluationReturn(EvaluationReturnId::from_uuid(id)),
        AttachmentOwner::Organisation(GranteeId::from_uuid(id)),
    ] {
        assert_eq!(
            AttachmentOwner::from_parts(owner.kind(), owner.id()),
            Some(owner)
        );
    }
    assert_eq!(AttachmentOwner::from_parts("fund", id), None);
    for kind in OrganisationDocumentKind::ALL {
        assert_eq!(kind.as_str().parse(), Ok(kind));
        assert!(Purpose::parse(Purpose::organisation(kind).as_str()).is_ok());
    }
    assert_eq!(
        OrganisationDocumentKind::BankStatement.label(),
        "Bank statement"
    );
    assert!(Purpose::parse(&"a".repeat(65)).is_err());
    assert!(Purpose::parse("q-1_b").is_ok());
}

#[test]
fn digests_parse_back() {
    let d = Sha256::of(b"hello");
    assert_eq!(Sha256::parse(&d.to_hex()), Ok(d));
    assert!(Sha256::parse("xyz").is_err());
    assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{d}\""));
}

proptest! {
    #[test]
    fn sniffing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = DocumentType::sniff(&bytes);
    }

    #[test]
    fn zips_with_arbitrary_tails_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend(tail);
        let _ = DocumentType::sniff(&bytes);
    }

    #[test]
    fn printable_lines_are_csv(lines in proptest::collection::vec("[a-zA-Z0-9 ,.;:'\"£€é-]{0,40}", 1..20)) {
        let text = lines.join("\r\n");
        prop_assume!(!text.trim().is_empty());
        prop_assert_eq!(DocumentType::sniff(text.as_bytes()), Ok(DocumentType::Csv));
    }

    #[test]
    fn names_are_never_empty_or_pathy(raw in any::<String>()) {
        let name = FileName::new(&raw);
        prop_assert!(!name.as_str().is_empty());
        prop_assert!(!name.as_str().contains(['/', '\\']));
        prop_assert!(name.as_str().chars().count() <= FileName::MAX_CHARS);
        prop_assert!(!name.as_str().chars().any(char::is_control));
        let header = name.content_disposition();
        prop_assert!(header.is_ascii());
    }
}
