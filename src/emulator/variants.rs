//! Legal variants: switches that make the emulator answer in one way the SDRS reference allows
//! but the emulator does not show by default, so that the conformance suite can prove it does
//! not fail a correct server merely for differing from ours. They mirror the fault modes.
//!
//! A variant is named in kebab case (`serve --variant NAME`, [`EmulatorConfig::variants`]) and
//! describes itself in one line, saying where the reference allows it. The table below is the
//! only place a variant is declared; the emulator asks `state.varies(Variant::X)` where the
//! answer bends (the wire form of answers, the job engine, the list filters).
//!
//! ```
//! use sdrs_conformance::emulator::Variant;
//! let variant = Variant::parse("slow-jobs").unwrap();
//! assert!(variant.describe().contains("RUNNING"));
//! assert!(Variant::parse("slow-job").unwrap_err().to_string().contains("did you mean `slow-jobs`"));
//! ```
//!
//! [`EmulatorConfig::variants`]: super::EmulatorConfig::variants

use std::fmt;
use std::str::FromStr;

/// Declares the variants: variant, kebab-case name, one-line description.
macro_rules! variants {
    ($($variant:ident = $name:literal, $describe:literal;)+) => {
        /// One legal way of answering differently from the default emulator (see the module docs).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Variant {
            $(
                #[doc = $describe]
                $variant,
            )+
        }

        impl Variant {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Variant] = &[$(Variant::$variant),+];

            /// The kebab-case name used by `--variant`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Variant::$variant => $name,)+
                }
            }

            /// What the emulator does differently under this variant, and why it is legal, in one line.
            pub fn describe(self) -> &'static str {
                match self {
                    $(Variant::$variant => $describe,)+
                }
            }
        }
    };
}

variants! {
    ExtraKeys = "extra-keys",
        "every JSON object of every answer (errors, list items, jobs, sub jobs) carries one more undocumented key x_vendor_note; the guide allows extra keys (not inside metadata or entities, whose keys are data)";
    SdkEntityKeys = "sdk-entity-keys",
        "job and sub-job entities also carry volume_ids, native_server_id and nic_id where they apply, the keys the official SDK's entity model has";
    OmitEmpty = "omit-empty",
        "null fields, and empty arrays and objects inside resources (tags [], attachment [], metadata {}), are left out of answers, as SDK-style serializers do";
    FlatErrors = "flat-errors",
        "SDRS error bodies use the flat {\"error_code\", \"error_msg\"} envelope of section 3.3 (INC-34)";
    WrapperBadrequest = "wrapper-badrequest",
        "wrapped SDRS error bodies use the key badrequest whatever the status (the pages name the key per error type, INC-34)";
    WrapperItemNotFound = "wrapper-itemnotfound",
        "wrapped SDRS error bodies use the key itemNotFound whatever the status (INC-34)";
    WrapperError = "wrapper-error",
        "wrapped SDRS error bodies use the key error whatever the status, as the job page's example does (INC-34)";
    NotFound404 = "not-found-404",
        "an unknown group, instance, pair or drill named in the path is answered 404 with its A.1 code (SDRS.1013/1320/1608/1902), as the pages list 404 (INC-27)";
    IgnoreUnknownFilters = "ignore-unknown-filters",
        "undocumented values of list filters (status, query_type, failure_status, resource_type) are ignored instead of refused";
    PlainJsonContentType = "plain-json-content-type",
        "JSON answers are labelled application/json without a charset, as section 3.3 shows";
    SpacedCharset = "spaced-charset",
        "JSON answers are labelled application/json; charset=utf-8 (a space, lower case: the same media type)";
    SlowJobs = "slow-jobs",
        "jobs stay RUNNING for 4 polls before they end (a real region takes minutes)";
    RetryAfter = "retry-after",
        "every 5th GET is answered 429 APIGW.0308 with Retry-After: 0 before any effect; the retry is served normally";
    ConnectionClose = "connection-close",
        "every answer carries Connection: close and the connection is closed after it";
}

impl Variant {
    /// The variant named `name` (kebab case; case and `_` for `-` are forgiven). The error names
    /// the closest variant, if one is close, and lists every valid name.
    pub fn parse(name: &str) -> Result<Variant, super::UnknownName> {
        super::names::parse_named("variant", name, Variant::ALL, Variant::name)
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Variant {
    type Err = super::UnknownName;

    fn from_str(s: &str) -> Result<Variant, super::UnknownName> {
        Variant::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_unique_kebab_case_and_parses_back() {
        let mut names: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
        for variant in Variant::ALL {
            let name = variant.name();
            assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{name}");
            assert_eq!(Variant::parse(name), Ok(*variant));
            assert_eq!(name.parse::<Variant>(), Ok(*variant));
            assert_eq!(variant.to_string(), name);
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Variant::ALL.len());
    }

    #[test]
    fn every_variant_is_described_in_one_line() {
        assert!(Variant::ALL.len() >= 12, "{} variants", Variant::ALL.len());
        for variant in Variant::ALL {
            let text = variant.describe();
            assert!(text.len() > 20 && !text.contains('\n'), "{variant}: {text}");
        }
    }

    #[test]
    fn no_variant_shares_a_name_with_a_fault() {
        for variant in Variant::ALL {
            assert!(super::super::Fault::parse(variant.name()).is_err(), "{variant} is also a fault");
        }
    }

    #[test]
    fn an_unknown_name_suggests_the_closest_and_lists_all() {
        assert_eq!(Variant::parse(" Omit_Empty "), Ok(Variant::OmitEmpty));
        let message = Variant::parse("flat-erors").unwrap_err().to_string();
        assert!(message.starts_with("unknown variant `flat-erors`: did you mean `flat-errors`?"), "{message}");
        assert!(message.contains("valid variants: extra-keys, "), "{message}");
        let message = Variant::parse("zzzzzzzzzzzzzzzzzzzz").unwrap_err().to_string();
        assert!(!message.contains("did you mean"), "{message}");
        assert!(Variant::parse("itemnotfound")
            .unwrap_err()
            .to_string()
            .contains("did you mean `wrapper-itemnotfound`"));
    }
}
