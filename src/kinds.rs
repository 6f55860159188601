//! The catalogue's enumerations, each spelt once: the word `catalogue/events.json` uses
//! is the one table both serde (build.rs and the generator read the catalogue with it)
//! and the runtime (`Crud::letter()`, `Format::name()`, …) use. No PHP, no catalogue
//! data here; `build.rs` includes this file next to `src/model.rs`.

use serde::Deserialize;

/// An enumeration whose values are spelt by one table (`ALL` with `name()`), and read
/// from JSON through it.
macro_rules! spelt {
    ($(#[$doc:meta])* $ty:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal,)+ } $what:literal, prefixed $prefix:literal) => {
        spelt!($(#[$doc])* $ty { $($(#[$vdoc])* $variant = $word,)+ } $what);

        impl $ty {
            /// The word with its prefix.
            pub fn prefixed(self) -> &'static str {
                match self {
                    $($ty::$variant => concat!($prefix, $word),)+
                }
            }
        }
    };
    ($(#[$doc:meta])* $ty:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal,)+ } $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
        #[serde(try_from = "String")]
        pub enum $ty {
            $($(#[$vdoc])* $variant,)+
        }

        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The word the catalogue uses.
            pub fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $word,)+
                }
            }
        }

        impl TryFrom<String> for $ty {
            type Error = String;

            fn try_from(word: String) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|v| v.name() == word).ok_or_else(|| {
                    let words: Vec<&str> = Self::ALL.iter().map(|v| v.name()).collect();
                    format!("unknown {} `{word}`, expected one of {}", $what, words.join(", "))
                })
            }
        }
    };
}

spelt! {
    /// Which `create_from_*` factory builds events of a family; its name is the record's.
    Factory {
        Job = "job",
        Task = "task",
        File = "file",
        Event = "event",
    } "factory", prefixed "create_from_"
}

impl Factory {
    /// The factory's PHP method, `create_from_<name>`.
    pub fn method(self) -> &'static str {
        self.prefixed()
    }
}

spelt! {
    /// Moodle's crud letter of an event.
    Crud {
        Create = "c",
        Read = "r",
        Update = "u",
        Delete = "d",
    } "crud letter"
}

impl Crud {
    pub fn letter(self) -> &'static str {
        self.name()
    }
}

spelt! {
    /// The named formats a string key may have.
    Format {
        /// `^[a-z][a-z0-9_]*$`, at most 100 characters.
        Identifier = "identifier",
        /// A Moodle event class name `\component\event\name`.
        EventName = "eventname",
        /// A frankenstyle plugin name.
        PluginName = "pluginname",
        /// 64 lower-case hex digits.
        Sha256 = "sha256",
    } "format"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads_back_and_a_wrong_one_is_named() {
        for f in Factory::ALL {
            assert_eq!(Factory::try_from(f.name().to_string()), Ok(*f));
            assert_eq!(f.method(), format!("create_from_{}", f.name()));
        }
        for c in Crud::ALL {
            assert_eq!(Crud::try_from(c.letter().to_string()), Ok(*c));
        }
        for f in Format::ALL {
            assert_eq!(Format::try_from(f.name().to_string()), Ok(*f));
        }
        assert_eq!(
            Format::try_from("sha1".to_string()).unwrap_err(),
            "unknown format `sha1`, expected one of identifier, eventname, pluginname, sha256"
        );
        let e: Result<Crud, _> = serde_json::from_str("\"x\"");
        assert!(e.unwrap_err().to_string().contains("unknown crud letter `x`"));
        assert_eq!(serde_json::from_str::<Factory>("\"file\"").unwrap(), Factory::File);
    }
}
