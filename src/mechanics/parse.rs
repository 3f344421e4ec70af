//! Reading stiffness values from text.

use super::MechanicsError;

/// Parses the numbers of a stiffness written as text: 21 constants or 36 matrix entries
/// separated by commas, semicolons, whitespace or brackets (so `[[…],[…]]`, CSV rows and
/// plain lists all work). `nan` and `inf` parse, so that validation can name them.
///
/// # Errors
/// [`MechanicsError::NotANumber`] naming the token that is not a number.
pub fn parse_stiffness_values(text: &str) -> Result<Vec<f64>, MechanicsError> {
    text.split(|c: char| c == ',' || c == ';' || c == '[' || c == ']' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .enumerate()
        .map(|(position, t)| {
            t.parse::<f64>().map_err(|_| MechanicsError::NotANumber {
                position: position + 1,
                token: t.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_matrices() {
        assert_eq!(
            parse_stiffness_values("1, 2;3 4\n[5]").unwrap(),
            vec![1.0, 2.0, 3.0, 4.0, 5.0]
        );
        assert!(parse_stiffness_values("1, NaN").unwrap()[1].is_nan());
        assert_eq!(
            parse_stiffness_values("1, x2").unwrap_err(),
            MechanicsError::NotANumber {
                position: 2,
                token: "x2".into()
            }
        );
    }
}
