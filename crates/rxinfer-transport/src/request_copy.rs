//! Copying a request to send it again.

use http::Request;

/// A request to send again: same method, target, version, headers,
/// extensions and body.
pub(crate) fn copy<B: Clone>(request: &Request<B>) -> Request<B> {
    let mut copy = Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    copy
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoAuth;

    #[test]
    fn a_copy_keeps_everything() {
        let mut original = Request::post("http://h/x?y=1")
            .header("x-a", "1")
            .body("body")
            .expect("valid request");
        original.extensions_mut().insert(NoAuth);
        let copy = copy(&original);
        assert_eq!(copy.method(), original.method());
        assert_eq!(copy.uri(), original.uri());
        assert_eq!(copy.headers(), original.headers());
        assert_eq!(copy.extensions().get::<NoAuth>(), Some(&NoAuth));
        assert_eq!(*copy.body(), "body");
    }
}
