//! Nicknames for sub-agents, so the user and the model can tell them apart: names of
//! scientists, the first one not yet used in the session tree (then numbered).

const NICKNAMES: &[&str] = &[
    "Noether",
    "Euler",
    "Curie",
    "Gauss",
    "Lovelace",
    "Turing",
    "Hopper",
    "Kepler",
    "Darwin",
    "Faraday",
    "Maxwell",
    "Meitner",
    "Ramanujan",
    "Franklin",
    "Hypatia",
    "Laplace",
    "Bohr",
    "Galois",
    "Lamarr",
    "Herschel",
    "Mendel",
    "Pascal",
    "Riemann",
    "Shannon",
];

/// The first nickname of `candidates` (the built-in list when empty) that `taken`
/// does not hold.
pub fn pick(candidates: &[String], taken: &[String]) -> String {
    let builtin: Vec<String> = NICKNAMES.iter().map(|name| name.to_string()).collect();
    let names = if candidates.is_empty() {
        &builtin
    } else {
        candidates
    };
    let mut round = 1;
    loop {
        for name in names {
            let candidate = if round == 1 {
                name.clone()
            } else {
                format!("{name} {round}")
            };
            if !taken.contains(&candidate) {
                return candidate;
            }
        }
        round += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_not_reused_in_a_tree() {
        assert_eq!(pick(&[], &[]), "Noether");
        assert_eq!(pick(&[], &["Noether".into()]), "Euler");
        let mine = vec!["Rev".to_string()];
        assert_eq!(pick(&mine, &[]), "Rev");
        assert_eq!(pick(&mine, &["Rev".into()]), "Rev 2");
    }
}
