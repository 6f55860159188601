//! Keys that are not the caller's to give: Moodle's reserved `create()` keys, and
//! secret-looking names (refused at any depth of `other`, redacted in snapshots).

/// Keys that Moodle sets itself (or that belong to `init()`), rejected in `create()`.
pub const RESERVED_KEYS: &[&str] = &[
    "eventname",
    "component",
    "action",
    "target",
    "crud",
    "edulevel",
    "objecttable",
    "contextlevel",
    "contextinstanceid",
    "timecreated",
];

/// Fragments of key names that mark a secret, compared case-insensitively (README and
/// SECURITY.md list them; a test keeps both true). Besides these, a key that is `key` or
/// ends in `_key` is a secret too.
pub const SECRET_MARKERS: &[&str] = &[
    "token",
    "password",
    "passwd",
    "passphrase",
    "secret",
    "apikey",
    "api_key",
    "privatekey",
    "private_key",
    "privkey",
    "sesskey",
    "accesskey",
    "credential",
    "authorization",
    "cookie",
];

/// Does this key name look like it holds a secret (`wstoken`, `password`, `client_secret`…)?
/// No allocation, one pass: every key of every free-form array goes through here, so each
/// position is compared only with the markers that start with its letter (a table).
pub fn is_secret_key(key: &[u8]) -> bool {
    if key.eq_ignore_ascii_case(b"key") || key.len() >= 4 && key[key.len() - 4..].eq_ignore_ascii_case(b"_key") {
        return true;
    }
    if key.len() < SHORTEST_MARKER {
        return false;
    }
    (0..=key.len() - SHORTEST_MARKER).any(|at| {
        let mut markers = MARKERS_BY_FIRST_BYTE[usize::from(key[at])];
        while markers != 0 {
            let m = SECRET_MARKERS[markers.trailing_zeros() as usize].as_bytes();
            let rest = &key[at..];
            if rest.len() >= m.len() && rest[..m.len()].eq_ignore_ascii_case(m) {
                return true;
            }
            markers &= markers - 1;
        }
        false
    })
}

pub(super) const SHORTEST_MARKER: usize = 5;

/// For each byte, the markers (bit i: `SECRET_MARKERS[i]`) it starts, in either case.
static MARKERS_BY_FIRST_BYTE: [u16; 256] = {
    assert!(SECRET_MARKERS.len() <= 16);
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < SECRET_MARKERS.len() {
        let b = SECRET_MARKERS[i].as_bytes()[0];
        t[b as usize] |= 1 << i;
        t[b.to_ascii_uppercase() as usize] |= 1 << i;
        i += 1;
    }
    t
};
