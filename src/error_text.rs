//! Errors as text for files: an error and its causes on one line, as the command line prints
//! them. Every error of the engine keeps its cause as its `source` and does not repeat it in
//! its own message, so joining the chain prints each cause once.

/// `error: cause: cause…`, the error's message followed by each of its causes, joined by
/// `": "`.
pub fn one_line(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        line.push_str(": ");
        line.push_str(&c.to_string());
        cause = c.source();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("reading the spec")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn each_cause_follows_once() {
        let e = Outer(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file",
        ));
        assert_eq!(one_line(&e), "reading the spec: no such file");
        let io = std::io::Error::other("disk full");
        assert_eq!(one_line(&io), "disk full");
    }
}
