//! Hand-rolled argument parsing: `--flag`, `--name value`, repeated `--name value`.

/// The command line of an example, without the program name.
#[derive(Debug, Clone, Default)]
pub struct Args {
    args: Vec<String>,
}

impl Args {
    /// The process's arguments.
    pub fn from_env() -> Self {
        Self::from_vec(std::env::args().skip(1).collect())
    }

    /// Arguments from a list (for tests).
    pub fn from_vec(args: Vec<String>) -> Self {
        Self { args }
    }

    /// Whether `--name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.args.iter().any(|a| a == name)
    }

    /// The value after the first `--name`, if any.
    pub fn value(&self, name: &str) -> Option<String> {
        self.values(name).into_iter().next()
    }

    /// The values after every `--name`, in order.
    pub fn values(&self, name: &str) -> Vec<String> {
        self.args
            .windows(2)
            .filter(|w| w[0] == name)
            .map(|w| w[1].clone())
            .collect()
    }

    /// The first argument that is neither a known flag nor a value of a known option, so
    /// that a typo is reported instead of ignored. `flags` take no value; `options` take one.
    pub fn unknown(&self, flags: &[&str], options: &[&str]) -> Option<String> {
        let mut i = 0;
        while let Some(arg) = self.args.get(i) {
            if options.contains(&arg.as_str()) {
                i += 2;
            } else if flags.contains(&arg.as_str()) {
                i += 1;
            } else {
                return Some(arg.clone());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Args {
        Args::from_vec(list.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn repeated_options_keep_their_order_and_flags_are_found() {
        let a = args(&["--scope", "a", "--silent-only", "--scope", "b"]);
        assert_eq!(a.values("--scope"), ["a", "b"]);
        assert!(a.flag("--silent-only"));
        assert!(!a.flag("--show-token"));
        assert_eq!(a.value("--flow"), None);
    }

    #[test]
    fn unknown_argument_is_reported_and_option_values_are_skipped() {
        let a = args(&["--flow", "--weird", "--scope", "s", "--oops"]);
        assert_eq!(
            a.unknown(&[], &["--flow", "--scope"]),
            Some("--oops".into())
        );
        assert_eq!(args(&["--x"]).unknown(&["--x"], &[]), None);
    }
}
