//! An environment for tests: variables looked up in a fixed list, so code
//! that reads the process environment is tested without changing it.

/// A lookup over `vars`, for the `from_lookup` constructors.
pub(crate) fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
    }
}
