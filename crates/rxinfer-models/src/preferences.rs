//! The `Prefer` request header: which JSON form the server writes matrices
//! and distributions in.
//!
//! A [`Preferences`] value holds the four settings the server knows. A
//! client writes it with [`Preferences::header_value`]; a server (or the
//! client reading `Preference-Applied`) reads it with
//! [`Preferences::parse`], which follows the server's parser to the byte:
//! pieces split on `,` then `=`, compared case-sensitively, nothing
//! trimmed, unknown pieces skipped.

use std::fmt;

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $wire:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in the server's order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The value as written in the header.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            /// The value the header text `wire` names, byte for byte.
            pub fn from_wire(wire: &str) -> Option<Self> {
                match wire {
                    $($wire => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

    };
}

wire_enum! {
    /// `mdarray_repr`: the wrapper around a matrix (an array of two or more
    /// dimensions). 1-D arrays are always plain JSON arrays.
    MdArrayRepr {
        /// `{"type":"mdarray","encoding":E,"shape":S,"data":P}` (the default).
        #[default]
        Dict = "dict",
        /// `{"type":"mdarray","shape":S,"data":P}`.
        DictTypeAndShape = "dict_type_and_shape",
        /// `{"shape":S,"data":P}`.
        DictShape = "dict_shape",
        /// `P` alone.
        Data = "data",
    }
}

wire_enum! {
    /// `mdarray_data`: how a matrix's elements are written.
    MdArrayData {
        /// Nested arrays, the last dimension innermost: a matrix is a list
        /// of rows (the default).
        #[default]
        ArrayOfArrays = "array_of_arrays",
        /// One flat array, the first index fastest (Julia's order).
        ReshapeColumnMajor = "reshape_column_major",
        /// One flat array, the last index fastest (C's order).
        ReshapeRowMajor = "reshape_row_major",
        /// Only the diagonal, `A[k,k,...,k]`: lossy.
        Diagonal = "diagonal",
        /// `null`: lossy.
        None = "none",
    }
}

wire_enum! {
    /// `distributions_repr`: the wrapper around a distribution.
    DistributionsRepr {
        /// `{"encoding":E,"type":T,"tag":G,"data":P}` (the default).
        #[default]
        Dict = "dict",
        /// `{"type":T,"tag":G,"data":P}`.
        DictTypeAndTag = "dict_type_and_tag",
        /// `{"tag":G,"data":P}`.
        DictTag = "dict_tag",
        /// `P` alone.
        Data = "data",
    }
}

wire_enum! {
    /// `distributions_data`: how a distribution's parameters are written.
    DistributionsData {
        /// An object of the distribution's fields, under their Julia names
        /// (`μ`, `Σ`, ...) (the default).
        #[default]
        NamedParams = "named_params",
        /// An array of the parameters, in the distribution's order.
        Params = "params",
        /// `{"mean":m,"cov":c}`: the first two moments only.
        MeanCov = "mean_cov",
        /// `null`: lossy.
        None = "none",
    }
}

/// The server's four serialization preferences: what a client asks for in
/// `Prefer`, and what the server confirms in `Preference-Applied`.
///
/// A setting left unset is not sent, and the server uses its default.
///
/// ```
/// use rxinfer_models::{MdArrayData, MdArrayRepr, Preferences};
///
/// let prefer = Preferences::new()
///     .with_mdarray_repr(MdArrayRepr::Data)
///     .with_mdarray_data(MdArrayData::Diagonal);
/// assert_eq!(prefer.header_value().as_deref(), Some("mdarray_repr=data,mdarray_data=diagonal"));
/// assert_eq!(Preferences::new().header_value(), None);
///
/// // The server's parser: inner spaces and unknown values are ignored.
/// let (parsed, applied) = Preferences::parse(["mdarray_repr=data, mdarray_data=none,x=y"]);
/// assert_eq!(parsed, Preferences::new().with_mdarray_repr(MdArrayRepr::Data));
/// assert_eq!(applied, ["mdarray_repr=data"]);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Preferences {
    mdarray_repr: Option<MdArrayRepr>,
    mdarray_data: Option<MdArrayData>,
    distributions_repr: Option<DistributionsRepr>,
    distributions_data: Option<DistributionsData>,
}

impl Preferences {
    /// The request header a client asks in: `prefer` (HTTP names are
    /// case-insensitive; this is the lower-case form `http` uses).
    pub const HEADER: &'static str = "prefer";

    /// The response header the server confirms in, one line per piece
    /// applied, on its 200 answers.
    pub const APPLIED_HEADER: &'static str = "preference-applied";

    /// Nothing set: the server's defaults.
    pub const DEFAULT: Preferences = Preferences {
        mdarray_repr: None,
        mdarray_data: None,
        distributions_repr: None,
        distributions_data: None,
    };

    /// Nothing set: the server's defaults.
    pub const fn new() -> Self {
        Self::DEFAULT
    }

    /// The same, asking for matrices wrapped as `repr`.
    pub fn with_mdarray_repr(mut self, repr: impl Into<Option<MdArrayRepr>>) -> Self {
        self.mdarray_repr = repr.into();
        self
    }

    /// The same, asking for matrix elements written as `data`.
    pub fn with_mdarray_data(mut self, data: impl Into<Option<MdArrayData>>) -> Self {
        self.mdarray_data = data.into();
        self
    }

    /// The same, asking for distributions wrapped as `repr`.
    pub fn with_distributions_repr(mut self, repr: impl Into<Option<DistributionsRepr>>) -> Self {
        self.distributions_repr = repr.into();
        self
    }

    /// The same, asking for distribution parameters written as `data`.
    pub fn with_distributions_data(mut self, data: impl Into<Option<DistributionsData>>) -> Self {
        self.distributions_data = data.into();
        self
    }

    /// The matrix wrapper in force: the one set, or the server's default.
    pub fn mdarray_repr(&self) -> MdArrayRepr {
        self.mdarray_repr.unwrap_or_default()
    }

    /// The matrix element form in force.
    pub fn mdarray_data(&self) -> MdArrayData {
        self.mdarray_data.unwrap_or_default()
    }

    /// The distribution wrapper in force.
    pub fn distributions_repr(&self) -> DistributionsRepr {
        self.distributions_repr.unwrap_or_default()
    }

    /// The distribution parameter form in force.
    pub fn distributions_data(&self) -> DistributionsData {
        self.distributions_data.unwrap_or_default()
    }

    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::DEFAULT
    }

    /// These settings, with those that `over` sets taking their place.
    /// (A call's `RequestOptions::preferences` replace the client's whole;
    /// overlay them with this first to keep the client's others.)
    pub fn overlaid(self, over: Preferences) -> Self {
        Self {
            mdarray_repr: over.mdarray_repr.or(self.mdarray_repr),
            mdarray_data: over.mdarray_data.or(self.mdarray_data),
            distributions_repr: over.distributions_repr.or(self.distributions_repr),
            distributions_data: over.distributions_data.or(self.distributions_data),
        }
    }

    /// The `Prefer` header's value, `key=value` pieces joined by `,` with
    /// no spaces (the server does not trim them); `None` when nothing is
    /// set.
    pub fn header_value(&self) -> Option<String> {
        let pieces = self.pieces();
        (!pieces.is_empty()).then(|| pieces.join(","))
    }

    fn pieces(&self) -> Vec<String> {
        let piece = |key: &str, value: Option<&str>| value.map(|value| format!("{key}={value}"));
        [
            piece("mdarray_repr", self.mdarray_repr.map(MdArrayRepr::as_str)),
            piece("mdarray_data", self.mdarray_data.map(MdArrayData::as_str)),
            piece(
                "distributions_repr",
                self.distributions_repr.map(DistributionsRepr::as_str),
            ),
            piece(
                "distributions_data",
                self.distributions_data.map(DistributionsData::as_str),
            ),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Reads header values as the server reads `Prefer`: each value split
    /// on `,`, each piece used only if it is exactly `key=value` with a
    /// known key and value (byte for byte, nothing trimmed), the last
    /// setting of a key winning. Returns the settings and the pieces
    /// applied, in order: what the server echoes in `Preference-Applied`.
    ///
    /// The same reads `Preference-Applied`, whether a proxy joined its
    /// lines with commas or not.
    pub fn parse<'a, I>(values: I) -> (Self, Vec<&'a str>)
    where
        I: IntoIterator<Item = &'a str>,
    {
        let mut preferences = Self::new();
        let mut applied = Vec::new();
        for piece in values.into_iter().flat_map(|value| value.split(',')) {
            if preferences.apply(piece) {
                applied.push(piece);
            }
        }
        (preferences, applied)
    }

    fn apply(&mut self, piece: &str) -> bool {
        let mut parts = piece.split('=');
        let (Some(key), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
            return false;
        };
        match key {
            "mdarray_repr" => set(&mut self.mdarray_repr, MdArrayRepr::from_wire(value)),
            "mdarray_data" => set(&mut self.mdarray_data, MdArrayData::from_wire(value)),
            "distributions_repr" => set(
                &mut self.distributions_repr,
                DistributionsRepr::from_wire(value),
            ),
            "distributions_data" => set(
                &mut self.distributions_data,
                DistributionsData::from_wire(value),
            ),
            _ => false,
        }
    }
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    match value {
        Some(value) => {
            *slot = Some(value);
            true
        }
        None => false,
    }
}

impl fmt::Display for Preferences {
    /// The `Prefer` header's value; empty when nothing is set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pieces().join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_every_set_piece_in_order_without_spaces() {
        let all = Preferences::new()
            .with_distributions_data(DistributionsData::MeanCov)
            .with_mdarray_data(MdArrayData::ReshapeRowMajor)
            .with_distributions_repr(DistributionsRepr::DictTag)
            .with_mdarray_repr(MdArrayRepr::DictShape);
        assert_eq!(
            all.header_value().as_deref(),
            Some(
                "mdarray_repr=dict_shape,mdarray_data=reshape_row_major,\
                 distributions_repr=dict_tag,distributions_data=mean_cov"
            )
        );
        assert_eq!(all.to_string(), all.header_value().unwrap_or_default());
        assert_eq!(Preferences::parse([all.to_string().as_str()]).0, all);
    }

    #[test]
    fn every_value_round_trips_through_its_wire_name() {
        for value in MdArrayRepr::ALL {
            assert_eq!(MdArrayRepr::from_wire(value.as_str()), Some(*value));
        }
        for value in MdArrayData::ALL {
            assert_eq!(MdArrayData::from_wire(value.as_str()), Some(*value));
        }
        for value in DistributionsRepr::ALL {
            assert_eq!(DistributionsRepr::from_wire(value.as_str()), Some(*value));
        }
        for value in DistributionsData::ALL {
            assert_eq!(DistributionsData::from_wire(value.as_str()), Some(*value));
        }
        assert_eq!(MdArrayData::from_wire("unknown"), None);
        assert_eq!(MdArrayData::from_wire("Diagonal"), None);
    }

    #[test]
    fn parses_as_the_server_does() {
        let (parsed, applied) = Preferences::parse([
            "mdarray_repr=data,mdarray_data=blahblah,,flag,a=b=c",
            "mdarray_repr=dict_shape,distributions_data=\"none\",distributions_repr =data",
            "distributions_data=none,mdarray_data=diagonal",
        ]);
        assert_eq!(
            parsed,
            Preferences::new()
                .with_mdarray_repr(MdArrayRepr::DictShape)
                .with_mdarray_data(MdArrayData::Diagonal)
                .with_distributions_data(DistributionsData::None)
        );
        assert_eq!(
            applied,
            [
                "mdarray_repr=data",
                "mdarray_repr=dict_shape",
                "distributions_data=none",
                "mdarray_data=diagonal"
            ]
        );
    }

    #[test]
    fn effective_values_default_and_overlay_keeps_the_callers() {
        let client = Preferences::new()
            .with_mdarray_repr(MdArrayRepr::Data)
            .with_distributions_data(DistributionsData::Params);
        let call = Preferences::new().with_mdarray_repr(MdArrayRepr::DictShape);
        let both = client.overlaid(call);
        assert_eq!(both.mdarray_repr(), MdArrayRepr::DictShape);
        assert_eq!(both.distributions_data(), DistributionsData::Params);
        assert_eq!(both.mdarray_data(), MdArrayData::ArrayOfArrays);
        assert!(Preferences::new().is_empty() && !both.is_empty());
        assert_eq!(
            client.with_mdarray_repr(None),
            Preferences::new().with_distributions_data(DistributionsData::Params)
        );
    }
}
