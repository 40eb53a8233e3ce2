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

    #[test]
    fn substring_index_keeps_ranking_order() {
        let index = SubstringIndex::new([
            ("Tỉnh Đồng Nai".to_string(), 1),
            ("Xã Đồng Nai".to_string(), 2),
            ("Xã Nai Đồng".to_string(), 3),
            ("Đồng Nai Đồng Nai".to_string(), 4),
        ]);
        assert_eq!(index.len(), 4);
        assert_eq!(index.find("dong nai", 10, |_| true), vec![&1, &2, &4]);
        assert_eq!(index.find("ĐỒNG NAI", 1, |_| true), vec![&1]);
        assert_eq!(index.find("dong nai", 10, |n| *n > 1), vec![&2, &4]);
        assert!(index.find("  ", 10, |_| true).is_empty());
        assert!(index.find("nai\nxa", 10, |_| true).is_empty());
        assert!(
            SubstringIndex::<u8>::default()
                .find("a", 1, |_| true)
                .is_empty()
        );
    }

    #[test]
    fn find_words_matches_every_word_in_any_order() {
        let index = SubstringIndex::new([
            ("Nước mắm Phan Thiết · Lâm Đồng".to_string(), 1),
            ("Cà phê Buôn Ma Thuột · Đắk Lắk".to_string(), 2),
            ("Nước mắm Phú Quốc · An Giang".to_string(), 3),
        ]);
        assert_eq!(index.find_words("nuoc mam phan thiet"), vec![&1]);
        assert_eq!(index.find_words("DAK LAK"), vec![&2]);
        assert_eq!(index.find_words("mam nuoc"), vec![&1, &3]);
        assert_eq!(index.find_words("giang   nuoc"), vec![&3]);
        assert!(index.find_words("nuoc ca phe").is_empty());
        assert!(index.find_words(" ").is_empty());
    }

    proptest! {
        #[test]
        fn find_words_agrees_with_a_plain_scan(
            names in proptest::collection::vec("[a-dđĐàá ]{0,8}", 0..30),
            query in "[a-dđà ]{0,5}",
        ) {
            let index = SubstringIndex::new(names.iter().cloned().enumerate().map(|(i, n)| (n, i)));
            let folded = fold(&query);
            let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
            let expected: Vec<usize> = (0..names.len())
                .filter(|&i| !words.is_empty() && words.iter().all(|w| fold(&names[i]).contains(w)))
                .collect();
            let found: Vec<usize> = index.find_words(&query).into_iter().copied().collect();
            prop_assert_eq!(found, expected);
        }

        #[test]
        fn substring_index_agrees_with_a_plain_scan(
            names in proptest::collection::vec("[a-dđĐàá ]{0,8}", 0..30),
            query in "[a-dđà ]{0,3}",
            limit in 0usize..40,
        ) {
            let index = SubstringIndex::new(names.iter().cloned().enumerate().map(|(i, n)| (n, i)));
            let needle = fold(&query);
            let expected: Vec<usize> = (0..names.len())
                .filter(|&i| !needle.is_empty() && fold(&names[i]).contains(&needle))
                .take(limit)
                .collect();
            let found: Vec<usize> = index.find(&query, limit, |_| true).into_iter().copied().collect();
            prop_assert_eq!(found, expected);
        }

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

/// Substring search over many folded names, kept in a caller-chosen order (best first), so that
/// the first `n` hits are the `n` best and the search can stop there.
///
/// All names sit in one buffer separated by `\n`, searched with a SIMD substring finder: a scan
/// of every unit name in Vietnam (about 300 KB) takes tens of microseconds, where a SQL `LIKE
/// '%…%'` has to visit every row.
#[derive(Debug, Clone, Default)]
pub struct SubstringIndex<T> {
    text: String,
    starts: Vec<usize>,
    items: Vec<T>,
}

impl<T> SubstringIndex<T> {
    /// Builds the index from `(name, item)` pairs in ranking order; names are folded here.
    pub fn new(entries: impl IntoIterator<Item = (String, T)>) -> Self {
        let mut index = SubstringIndex {
            text: String::new(),
            starts: Vec::new(),
            items: Vec::new(),
        };
        for (name, item) in entries {
            index.starts.push(index.text.len());
            index.text.push_str(&fold(&name));
            index.text.push('\n');
            index.items.push(item);
        }
        index
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Up to `limit` items that `keep` accepts and whose folded name contains the folded
    /// `query`, in ranking order, each once. An empty query finds nothing.
    pub fn find(&self, query: &str, limit: usize, mut keep: impl FnMut(&T) -> bool) -> Vec<&T> {
        let needle = fold(query);
        let mut found = Vec::new();
        if needle.is_empty() || limit == 0 {
            return found;
        }
        self.scan(&needle, |entry| {
            if keep(&self.items[entry]) {
                found.push(&self.items[entry]);
            }
            found.len() < limit
        });
        found
    }

    /// Every item whose folded name contains each word of the folded `query`, in any order
    /// ("nuoc mam dak lak" finds "Nước mắm … · Đắk Lắk"), in ranking order. The longest word is
    /// searched in the whole buffer; the others only within the names it hits.
    pub fn find_words(&self, query: &str) -> Vec<&T> {
        let folded = fold(query);
        let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        words.dedup();
        let mut found = Vec::new();
        let Some((longest, others)) = words.split_first() else {
            return found;
        };
        self.scan(longest, |entry| {
            let name = self.name(entry);
            if others
                .iter()
                .all(|word| memchr::memmem::find(name, word.as_bytes()).is_some())
            {
                found.push(&self.items[entry]);
            }
            true
        });
        found
    }

    /// The folded name of entry `entry`, without its separator.
    fn name(&self, entry: usize) -> &[u8] {
        let end = self
            .starts
            .get(entry + 1)
            .map_or(self.text.len(), |next| next - 1);
        &self.text.as_bytes()[self.starts[entry]..end]
    }

    /// Calls `visit` once per entry whose name contains `needle`, in order, while it returns
    /// true.
    fn scan(&self, needle: &str, mut visit: impl FnMut(usize) -> bool) {
        let mut last = None;
        // The needle has no `\n` (folding turns white space into single spaces), so a hit never
        // spans two names.
        for position in memchr::memmem::find_iter(self.text.as_bytes(), needle.as_bytes()) {
            let entry = self.starts.partition_point(|&start| start <= position) - 1;
            if last == Some(entry) {
                continue;
            }
            last = Some(entry);
            if !visit(entry) {
                break;
            }
        }
    }
}

/// Which of a [`WordIndex`]'s texts a search found: one bit per text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hits(Vec<u64>);

impl Hits {
    fn none(texts: usize) -> Hits {
        Hits(vec![0; texts.div_ceil(64)])
    }

    fn set(&mut self, position: u32) {
        self.0[position as usize / 64] |= 1 << (position % 64);
    }

    pub fn contains(&self, position: u32) -> bool {
        self.0
            .get(position as usize / 64)
            .is_some_and(|word| word & (1 << (position % 64)) != 0)
    }

    pub fn count(&self) -> usize {
        self.0.iter().map(|word| word.count_ones() as usize).sum()
    }

    fn keep_only(&mut self, other: &Hits) {
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine &= *theirs;
        }
    }
}

/// Word-by-word substring search over many texts at national scale (a catalogue of 100,000
/// products), with the same answers as [`SubstringIndex::find_words`]: a text is found when
/// every word of the query occurs in it, inside a word or across its whole.
///
/// A query word has no space, so it can only occur inside one word of a text. The index keeps
/// each distinct folded word once with the texts it occurs in: a query word is searched in the
/// words (a few hundred kilobytes, not the texts' megabytes), and the texts of the words that
/// contain it are its hits.
#[derive(Debug, Clone, Default)]
pub struct WordIndex {
    /// Every distinct folded word; its item is its number.
    words: SubstringIndex<u32>,
    /// For each word by number, the positions of the texts it occurs in, ascending.
    postings: Vec<Vec<u32>>,
    texts: usize,
}

impl WordIndex {
    /// Indexes `texts`; a text's position is its place in the iteration.
    pub fn new<S: AsRef<str>>(texts: impl IntoIterator<Item = S>) -> WordIndex {
        let mut numbers: std::collections::HashMap<String, u32> = Default::default();
        let mut postings: Vec<Vec<u32>> = Vec::new();
        let mut count = 0;
        for (position, text) in texts.into_iter().enumerate() {
            count += 1;
            let position = position as u32;
            for word in fold(text.as_ref()).split(' ').filter(|w| !w.is_empty()) {
                let number = match numbers.get(word) {
                    Some(&number) => number,
                    None => {
                        postings.push(Vec::new());
                        let number = (postings.len() - 1) as u32;
                        numbers.insert(word.to_string(), number);
                        number
                    }
                };
                let list = &mut postings[number as usize];
                if list.last() != Some(&position) {
                    list.push(position);
                }
            }
        }
        let mut words: Vec<(String, u32)> = numbers.into_iter().collect();
        words.sort_unstable_by_key(|(_, number)| *number);
        WordIndex {
            words: SubstringIndex::new(words),
            postings,
            texts: count,
        }
    }

    pub fn len(&self) -> usize {
        self.texts
    }

    pub fn is_empty(&self) -> bool {
        self.texts == 0
    }

    /// The texts that contain every word of the folded `query`, in any order; none for a
    /// query without words.
    pub fn find_words(&self, query: &str) -> Hits {
        let folded = fold(query);
        let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
        // The longest word first: it is usually the rarest, and an empty result ends early.
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        words.dedup();
        let mut found: Option<Hits> = None;
        for word in words {
            let mut hits = Hits::none(self.texts);
            for &number in self.words.find(word, usize::MAX, |_| true) {
                for &position in &self.postings[number as usize] {
                    hits.set(position);
                }
            }
            match &mut found {
                None => found = Some(hits),
                Some(all) => all.keep_only(&hits),
            }
            if found.as_ref().is_some_and(|all| all.count() == 0) {
                break;
            }
        }
        found.unwrap_or_else(|| Hits::none(self.texts))
    }
}

#[cfg(test)]
mod word_index_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn words_are_found_inside_words_and_in_any_order() {
        let index = WordIndex::new([
            "Nước mắm Phan Thiết | Lâm Đồng",
            "Cà phê Buôn Ma Thuột | Đắk Lắk",
            "Nước mắm Phú Quốc | An Giang",
        ]);
        let found = |query: &str| -> Vec<u32> {
            let hits = index.find_words(query);
            (0..3).filter(|p| hits.contains(*p)).collect()
        };
        assert_eq!(found("nuoc mam phan thiet"), [0]);
        assert_eq!(found("DAK LAK"), [1]);
        assert_eq!(found("mam nuoc"), [0, 2]);
        assert_eq!(found("hiet"), [0]);
        assert!(found("nuoc ca phe").is_empty());
        assert!(found("  ").is_empty());
        assert!(found("thiet lam").len() == 1);
        assert!(found("thiet|").is_empty());
        assert_eq!(index.find_words("nuoc").count(), 2);
    }

    proptest! {
        #[test]
        fn word_index_agrees_with_the_substring_index(
            texts in proptest::collection::vec("[a-dđĐàá |]{0,12}", 0..40),
            query in "[a-dđà |]{0,6}",
        ) {
            let words = WordIndex::new(&texts);
            let plain = SubstringIndex::new(texts.iter().cloned().enumerate().map(|(i, t)| (t, i as u32)));
            let expected: Vec<u32> = plain.find_words(&query).into_iter().copied().collect();
            let hits = words.find_words(&query);
            let found: Vec<u32> = (0..texts.len() as u32).filter(|p| hits.contains(*p)).collect();
            prop_assert_eq!(found, expected);
        }
    }
}
