//! One declaration per operation: [`declare_operations!`](crate::declare_operations) turns a table of
//! entries into everything an API crate offers for each of them.
//!
//! See [`declare_operations!`](crate::declare_operations) for the form of
//! an entry.

use std::fmt::Write;

/// A path parameter: written as one percent-encoded segment.
#[doc(hidden)]
pub trait PathPiece {
    /// Appends `/` and the piece, encoded, to `path`.
    fn push_to(&self, path: &mut String);
}

impl PathPiece for str {
    fn push_to(&self, path: &mut String) {
        // Writing to a `String` cannot fail.
        let _ = write!(path, "/{}", crate::segment(self));
    }
}

impl PathPiece for String {
    fn push_to(&self, path: &mut String) {
        self.as_str().push_to(path);
    }
}

/// Integers, written in decimal (no character needs encoding).
macro_rules! integer_pieces {
    ($($integer:ty),*) => {
        $(
            impl PathPiece for $integer {
                fn push_to(&self, path: &mut String) {
                    let _ = write!(path, "/{self}");
                }
            }
        )*
    };
}

integer_pieces!(i32, i64, u32, u64, usize);

impl<T: PathPiece + ?Sized> PathPiece for &T {
    fn push_to(&self, path: &mut String) {
        (**self).push_to(path);
    }
}

/// Expands a table of operations into, for each entry, in the calling
/// module (one table per module: it defines the modules `endpoint` and
/// `calls` there):
///
/// - a static [`Endpoint`](crate::Endpoint) in the module `endpoint`, named
///   as the operation;
/// - a function building its [`Call`](crate::Call) in the module `calls`;
/// - a method of the API type given first (a struct with a field
///   `client: ApiClient<S>`), carrying the entry's documentation;
/// - a free function of the same name over any service, taking
///   [`RequestOptions`](crate::RequestOptions) first.
///
/// Each API crate keeps its table in one exported macro
/// (`rxinfer_models_api::models_operations!`, ...) that hands the entries
/// to a macro named by its caller (a macro of yours that keeps the entries'
/// docs inherits their doctests: match `$(#[$doc:meta])*` and drop them):
/// to this one in the crate itself, and to the blocking client's, which so has one method per entry
/// and cannot miss one. An entry reads:
///
/// ```text
/// /// Documentation of the method.
/// fn run_inference(instance_id: &str, request: &InferRequest) -> InferResponse
///     = POST ["models", "i", instance_id, "infer"] json(request), never_resent;
/// ```
///
/// - the method's name (also the [`Operation`](rxinfer_transport::Operation)'s)
///   and arguments, and the type the answer decodes into;
/// - the HTTP method, then the path: a string for a fixed one, or a list of
///   literal segments and arguments, each argument percent-encoded as one
///   segment ([`segment`](crate::segment));
/// - `json(<argument>)`: the request body, when there is one (a path
///   argument is a string, `String` or integer);
/// - `without_token` and `never_resent`, as the `Operation` methods of
///   those names.
///
/// ```
/// use rxinfer_api_core::{ApiClient, declare_operations};
/// use rxinfer_models::{PingResponse, SuccessResponse};
///
/// /// An API of two operations.
/// pub struct DemoApi<S> {
///     client: ApiClient<S>,
/// }
///
/// declare_operations! {
///     DemoApi;
///     /// Checks that the server is alive.
///     fn ping_server() -> PingResponse = GET "/ping", without_token;
///     /// Wipes an episode.
///     fn wipe_episode(instance_id: &str, episode_name: &str) -> SuccessResponse
///         = POST ["models", "i", instance_id, "episodes", episode_name, "wipe"], never_resent;
/// }
///
/// fn main() {
///     assert_eq!(endpoint::ping_server.path(), Some("/ping"));
///     assert!(!endpoint::ping_server.operation.needs_token);
///     assert!(!endpoint::wipe_episode.operation.idempotent);
///     let call = calls::wipe_episode("i", "a b");
///     assert_eq!(call.path(), "/models/i/i/episodes/a%20b/wipe");
/// }
/// ```
#[macro_export]
macro_rules! declare_operations {
    (
        $api:ident;
        $(
            $(#[$doc:meta])*
            fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $answer:ty
                = $method:ident $path:tt $(json($body:ident))? $(, $flag:ident)*;
        )*
    ) => {
        /// The endpoints, one static per operation, named as it.
        #[allow(non_upper_case_globals)]
        pub(crate) mod endpoint {
            $(
                pub(crate) static $name: $crate::Endpoint =
                    $crate::__endpoint!($name, $method, $path $(, $flag)*);
            )*

            /// Every endpoint of the table, in its order, for tests.
            #[cfg(test)]
            pub(crate) static ALL: &[&$crate::Endpoint] = &[$(&$name),*];
        }

        /// The call of each operation, its path and body built.
        pub(crate) mod calls {
            #[allow(unused_imports)]
            use super::*;

            $(
                pub(crate) fn $name($($arg: $ty),*) -> $crate::Call {
                    $crate::__call!(super::endpoint::$name, $path)
                        $(.json($body))?
                }
            )*
        }

        impl<__S> $api<__S>
        where
            __S: $crate::ApiService,
        {
            $(
                $(#[$doc])*
                pub fn $name(
                    &self,
                    $($arg: $ty),*
                ) -> impl ::std::future::Future<
                    Output = ::std::result::Result<$crate::ApiResponse<$answer>, $crate::ApiError>,
                > + use<__S> {
                    self.client.send(calls::$name($($arg),*))
                }
            )*
        }

        $(
            #[doc = concat!(
                "[`", stringify!($api), "::", stringify!($name),
                "`] over any service, with `options`.\n\n",
                "# Errors\n\nAs [`", stringify!($api), "::", stringify!($name), "`]."
            )]
            pub fn $name<__S>(
                service: __S,
                options: &$crate::RequestOptions,
                $($arg: $ty),*
            ) -> impl ::std::future::Future<
                Output = ::std::result::Result<$crate::ApiResponse<$answer>, $crate::ApiError>,
            > + use<__S>
            where
                __S: $crate::ApiService,
            {
                $crate::ApiClient::new(service)
                    .with_options(options.clone())
                    .send(calls::$name($($arg),*))
            }
        )*
    };
}

/// The static endpoint of one entry.
#[doc(hidden)]
#[macro_export]
macro_rules! __endpoint {
    ($name:ident, $method:ident, $path:literal $(, $flag:ident)*) => {{
        const _: () = assert!(
            !$path.is_empty() && $path.as_bytes()[0] == b'/',
            concat!("the fixed path of `", stringify!($name), "` must start with `/`"),
        );
        $crate::Endpoint::fixed(
            $crate::__private::Method::$method,
            $crate::__private::Operation::new(stringify!($name)) $(.$flag())*,
            $path,
        )
    }};
    ($name:ident, $method:ident, [$($piece:tt),*] $(, $flag:ident)*) => {
        $crate::Endpoint::new(
            $crate::__private::Method::$method,
            $crate::__private::Operation::new(stringify!($name))
                .with_path_parameters() $(.$flag())*,
        )
    };
}

/// The call of one entry: its fixed path, or its pieces joined.
#[doc(hidden)]
#[macro_export]
macro_rules! __call {
    ($endpoint:path, $path:literal) => {
        $crate::Call::fixed(&$endpoint)
    };
    ($endpoint:path, [$($piece:tt),*]) => {{
        let mut path = ::std::string::String::new();
        $($crate::__piece!(path, $piece);)*
        $crate::Call::at(&$endpoint, path)
    }};
}

/// One piece of a path: a literal segment as it is, an argument encoded.
#[doc(hidden)]
#[macro_export]
macro_rules! __piece {
    ($path:ident, $literal:literal) => {
        $path.push('/');
        $path.push_str($literal);
    };
    ($path:ident, $argument:ident) => {
        $crate::PathPiece::push_to(&$argument, &mut $path);
    };
}

#[cfg(test)]
mod tests {
    use super::PathPiece;

    #[test]
    fn arguments_are_one_encoded_segment_each() {
        let mut path = String::new();
        "a b/c".push_to(&mut path);
        7_i64.push_to(&mut path);
        String::from("..").push_to(&mut path);
        assert_eq!(path, "/a%20b%2Fc/7/%2E%2E");
    }
}
