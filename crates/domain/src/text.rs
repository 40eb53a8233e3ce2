//! Text folding for search: Vietnamese names must match with or without diacritics.
//!
//! `LIKE`/`lower()` in databases and SQLite's `remove_diacritics` get Vietnamese wrong (đ stays
//! đ), so we fold in the application and store the folded form beside the original.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for matching: strips diacritics (đ → d), lower-cases and collapses white space.
///
/// `fold("ĐỒNG  Nai") == "dong nai"`.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !folded.is_empty();
            continue;
        }
        if pending_space {
            folded.push(' ');
            pending_space = false;
        }
        match c {
            'đ' | 'Đ' => folded.push('d'),
            _ => folded.extend(c.to_lowercase()),
        }
    }
    folded
}

/// Canonical form for stored text: NFC with runs of white space collapsed and trimmed.
pub fn normalize(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .nfc()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_vietnamese() {
        assert_eq!(fold("Đồng Nai"), "dong nai");
        assert_eq!(fold("ĐỒNG NAI"), "dong nai");
        assert_eq!(fold("  dong   nai "), "dong nai");
        assert_eq!(fold("Thừa Thiên Huế"), "thua thien hue");
        assert_eq!(fold("Hoà Bình"), fold("Hòa Bình"));
        assert_eq!(fold("Đắk Lắk"), "dak lak");
    }

    #[test]
    fn normalizes_to_nfc() {
        let decomposed = "Ho\u{0300}a Bi\u{0300}nh";
        assert_eq!(normalize(decomposed), "Hòa Bình");
        assert_eq!(normalize("  Xã   Tân  Phú "), "Xã Tân Phú");
    }

    proptest! {
        #[test]
        fn fold_is_idempotent(text in "\\PC{0,40}") {
            let once = fold(&text);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn fold_ignores_case_and_composition(text in "[a-zA-Zàáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ ]{0,30}") {
            prop_assert_eq!(fold(&text.to_uppercase()), fold(&text));
            let nfd: String = text.nfd().collect();
            prop_assert_eq!(fold(&nfd), fold(&text));
            prop_assert!(fold(&text).is_ascii());
        }
    }
}
