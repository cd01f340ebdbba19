//! JSON pointers (RFC 6901) and the dotted values paths users write (`datastores[0].name`), for values and for
//! Kubernetes objects alike.

/// Escapes a key for a JSON pointer (RFC 6901).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Turns a JSON pointer into the dotted values path users write (`/datastores/0/name` → `datastores[0].name`).
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

/// Turns a dotted path (`database.backend`, `datastores[1].tmMad`) into a JSON pointer.
pub fn pointer(dotted: &str) -> String {
    let mut out = String::new();
    for seg in dotted.split('.') {
        let (key, indexes) = match seg.find('[') {
            Some(i) if seg.ends_with(']') => (&seg[..i], &seg[i..]),
            _ => (seg, ""),
        };
        let indexes: Vec<&str> = indexes.trim_start_matches('[').trim_end_matches(']').split("][").collect();
        if indexes.iter().all(|i| !i.is_empty() && i.chars().all(|c| c.is_ascii_digit())) {
            if !key.is_empty() {
                out.push_str(&format!("/{}", escape(key)));
            }
            for i in indexes {
                out.push_str(&format!("/{i}"));
            }
        } else {
            out.push_str(&format!("/{}", escape(seg)));
        }
    }
    out
}
