//! Checks on the policy text before any YAML parser builds anything from it. `warden lint
//! --policy` runs on pull requests, so the text may be hostile: an alias can make a small file
//! expand into gigabytes, and deep flow nesting (`[[[[...`) costs time quadratic in its depth.

use yaml_rust2::scanner::{Scanner, TokenType};

use super::PolicyError;

/// Larger policy texts are refused; a catalog of thousands of columns fits in a fraction.
pub const MAX_POLICY_BYTES: usize = 4 << 20;

/// Deeper `[`/`{` nesting is refused; a policy needs two or three levels.
pub const MAX_POLICY_FLOW_DEPTH: usize = 32;

pub(crate) fn check(text: &str) -> Result<(), PolicyError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(PolicyError::general(format!(
            "the policy is {} bytes; Warden reads policies of at most {MAX_POLICY_BYTES} bytes: remove unused tables or split the catalog",
            text.len()
        )));
    }
    if let Some((line, column)) = too_deep(text) {
        return Err(PolicyError::at(
            (line, column),
            format!("[ and {{ nest more than {MAX_POLICY_FLOW_DEPTH} levels deep here: write the policy with indentation instead"),
        ));
    }
    // With the nesting bounded the scanner is linear; it tells anchors and aliases from a `*`
    // or `&` inside text.
    for token in Scanner::new(text.chars()) {
        let what = match token.1 {
            TokenType::Alias(_) => "an alias (*name)",
            TokenType::Anchor(_) => "an anchor (&name)",
            _ => continue,
        };
        return Err(PolicyError::at(
            (token.0.line(), token.0.col() + 1),
            format!("{what} is not allowed in a policy, because aliases can make a small file expand without bound: write the value out"),
        ));
    }
    Ok(())
}

/// Where `[`/`{` outside quoted scalars and comments first nest deeper than the bound. A
/// quote opens a quoted scalar only where a scalar starts (after `: `, `- `, `? `, `[`, `{`,
/// `,` or indentation), as in YAML; elsewhere it is a character of plain text.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let (mut line, mut column) = (1, 0);
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut comment = false;
    // The last character outside quotes that was not a space, or '\n' at a line's start.
    let mut last = '\n';
    let mut previous = '\n';
    for c in text.chars() {
        column += 1;
        if c == '\n' {
            line += 1;
            column = 0;
            comment = false;
        }
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if q == '"' && c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
                last = c;
            }
            previous = c;
            continue;
        }
        if comment {
            previous = c;
            continue;
        }
        let scalar_start = matches!(last, '\n' | '[' | '{' | ',')
            || (matches!(last, ':' | '-' | '?') && previous.is_whitespace());
        match c {
            '#' if previous.is_whitespace() => comment = true,
            '\'' | '"' if scalar_start => quote = Some(c),
            '[' | '{' => {
                depth += 1;
                if depth > MAX_POLICY_FLOW_DEPTH {
                    return Some((line, column));
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c == '\n' {
            last = '\n';
        } else if !c.is_whitespace() {
            last = c;
        }
        previous = c;
    }
    None
}
