//! "Did you mean" suggestions for misspelt keys, profile names and rule names.

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower: Vec<char> = word.to_lowercase().chars().collect();
    let word_len = word.chars().count();
    let mut rows = (Vec::new(), Vec::new());
    candidates
        .into_iter()
        .filter_map(|c| {
            let limit = (c.chars().count().max(word_len) / 3).max(1);
            let other: Vec<char> = c.to_lowercase().chars().collect();
            // The length difference bounds the distance from below: most candidates need no table at all
            // (99,000 unknown keys stay cheap).
            if lower.len().abs_diff(other.len()) > limit {
                return None;
            }
            let d = levenshtein(&lower, &other, &mut rows);
            (d <= limit).then_some((d, c))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &[char], b: &[char], rows: &mut (Vec<usize>, Vec<usize>)) -> usize {
    let (prev, cur) = rows;
    prev.clear();
    prev.extend(0..=b.len());
    for (i, ca) in a.iter().enumerate() {
        cur.clear();
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        std::mem::swap(prev, cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(did_you_mean("databse", ["database", "persistence"]), Some("database"));
        assert_eq!(did_you_mean("monitorAdress", ["monitorAddress", "port"]), Some("monitorAddress"));
        assert_eq!(did_you_mean("zzz", ["database"]), None);
    }
}
