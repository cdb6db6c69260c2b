//! Athena speaks Trino for DML and Hive for DDL; sqlparser 0.62 has no such dialect.
//! This one is sqlparser's generic dialect (reporting the generic dialect's type id, so the
//! parser's dialect checks treat it the same) with lambdas switched on, so `x -> x + 1` parses
//! as a lambda and not as a JSON arrow, and with Trino's lexical rules where the generic
//! dialect differs: block comments do not nest, and there are no `E'...'`, `Q'[...]'` strings
//! or `/*!...*/` hints (see `lexical.rs` for the rest).
//!
//! sqlparser's `derive_dialect!` would write the forwarding, but in 0.62 it reads
//! `$CARGO_MANIFEST_DIR/src/dialect/mod.rs`, which exists only inside sqlparser itself
//! (apache/datafusion-sqlparser-rs#2219 fixes it after 0.62). Until then `forward!` lists the
//! methods the generic dialect overrides, and a test checks the list against sqlparser's source.

use std::any::TypeId;

use sqlparser::ast::{CastKind, Expr};
use sqlparser::dialect::{Dialect, GenericDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

#[derive(Debug, Default, Clone, Copy)]
pub struct AthenaDialect;

impl AthenaDialect {
    pub fn new() -> Self {
        AthenaDialect
    }
}

/// The dialect: the methods set here, then each named `fn(&self) -> bool` forwarded to the
/// generic dialect.
macro_rules! athena_dialect {
    ({ $($own:item)* } forward: $($name:ident),* $(,)?) => {
        impl Dialect for AthenaDialect {
            $($own)*
            $(fn $name(&self) -> bool { GenericDialect.$name() })*
        }
        #[cfg(test)]
        const FORWARDED: &[&str] = &[$(stringify!($name)),*];
    };
}

athena_dialect! {
    {
    fn dialect(&self) -> TypeId {
        TypeId::of::<GenericDialect>()
    }

    fn supports_lambda_functions(&self) -> bool {
        true
    }

    fn supports_nested_comments(&self) -> bool {
        false
    }

    fn supports_multiline_comment_hints(&self) -> bool {
        false
    }

    fn supports_string_escape_constant(&self) -> bool {
        false
    }

    fn supports_quote_delimited_string(&self) -> bool {
        false
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        GenericDialect.is_delimited_identifier_start(ch)
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        GenericDialect.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        GenericDialect.is_identifier_part(ch)
    }

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        special_form(parser)
    }
    }
    forward:
        supports_unicode_string_literal,
        supports_partition_by_after_order_by,
        supports_array_join_syntax,
        supports_group_by_expr,
        supports_group_by_with_modifier,
        supports_left_associative_joins_without_parens,
        supports_connect_by,
        supports_match_recognize,
        supports_pipe_operator,
        supports_start_transaction_modifier,
        supports_window_function_null_treatment_arg,
        supports_dictionary_syntax,
        supports_window_clause_named_window_reference,
        supports_parenthesized_set_variables,
        supports_select_wildcard_except,
        support_map_literal_syntax,
        allow_extract_custom,
        allow_extract_single_quotes,
        supports_extract_comma_syntax,
        supports_create_view_comment_syntax,
        supports_parens_around_table_factor,
        supports_values_as_table_factor,
        supports_create_index_with_clause,
        supports_explain_with_utility_options,
        supports_limit_comma,
        supports_update_order_by,
        supports_from_first_select,
        supports_projection_trailing_commas,
        supports_asc_desc_in_column_definition,
        supports_try_convert,
        supports_bitwise_shift_operators,
        supports_comment_on,
        supports_load_extension,
        supports_named_fn_args_with_assignment_operator,
        supports_struct_literal,
        supports_empty_projections,
        supports_user_host_grantee,
        supports_array_typedef_with_brackets,
        supports_match_against,
        supports_set_names,
        supports_comma_separated_set_assignments,
        supports_filter_during_aggregation,
        supports_select_wildcard_exclude,
        supports_data_type_signed_suffix,
        supports_interval_options,
        supports_select_wildcard_replace,
        supports_select_wildcard_ilike,
        supports_select_wildcard_rename,
        supports_optimize_table,
        supports_install,
        supports_detach,
        supports_prewhere,
        supports_with_fill,
        supports_limit_by,
        supports_interpolate,
        supports_settings,
        supports_select_format,
        supports_comment_optimizer_hint,
        supports_constraint_keyword_without_name,
        supports_key_column_option,
        supports_comma_separated_trim,
        supports_cte_without_as,
        supports_select_item_multi_column_alias,
        supports_xml_expressions,
}

/// Parses the special forms whose keyword sqlparser would otherwise parse a second time as a
/// plain name when the form fails (`cast(...)` as a function call, `case` as a column). That
/// second try parses the form's inside again, at every level of nesting: a typo inside 20
/// nested `CASE`s took seconds and 30 would take hours, and nesting past the parser's depth
/// limit came out as an unrelated error ("Expected: end of statement"). In Trino `CASE` and
/// `NOT` are reserved words and the others are these forms whenever `(` follows, so a failed
/// form is the error to report.
fn special_form(parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
    let Token::Word(w) = &parser.peek_token_ref().token else {
        return None;
    };
    let call = parser.peek_nth_token_ref(1).token == Token::LParen;
    let parse: fn(&mut Parser) -> Result<Expr, ParserError> = match w.keyword {
        Keyword::CASE => |p| p.parse_case_expr(),
        Keyword::NOT => |p| p.parse_not(),
        Keyword::CAST if call => |p| p.parse_cast_expr(CastKind::Cast),
        Keyword::TRY_CAST if call => |p| p.parse_cast_expr(CastKind::TryCast),
        Keyword::SAFE_CAST if call => |p| p.parse_cast_expr(CastKind::SafeCast),
        Keyword::CONVERT if call => |p| p.parse_convert_expr(false),
        Keyword::TRY_CONVERT if call && GenericDialect.supports_try_convert() => {
            |p| p.parse_convert_expr(true)
        }
        Keyword::EXTRACT if call => |p| p.parse_extract_expr(),
        Keyword::CEIL if call => |p| p.parse_ceil_floor_expr(true),
        Keyword::FLOOR if call => |p| p.parse_ceil_floor_expr(false),
        Keyword::OVERLAY if call => |p| p.parse_overlay_expr(),
        Keyword::TRIM if call => |p| p.parse_trim_expr(),
        Keyword::ARRAY if parser.peek_nth_token_ref(1).token == Token::LBracket => |p| {
            p.expect_token(&Token::LBracket)?;
            p.parse_array_expr(true)
        },
        // `parse_substring` reads its keyword itself.
        Keyword::SUBSTR | Keyword::SUBSTRING if call => return Some(parser.parse_substring()),
        _ => return None,
    };
    parser.next_token();
    Some(parse(parser))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::parser::Parser;

    #[test]
    fn lambdas_parse_as_lambdas() {
        let sql = "SELECT transform(xs, x -> x + 1) FROM t";
        let parsed = Parser::parse_sql(&AthenaDialect::new(), sql).expect("parses");
        assert!(format!("{:?}", parsed[0]).contains("Lambda"));
    }

    /// Every method sqlparser's generic dialect overrides is forwarded (or deliberately set
    /// here), read from the sqlparser source cargo compiled.
    #[test]
    fn forwarding_covers_the_generic_dialect() {
        let home = std::env::var("CARGO_HOME")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| {
                std::path::PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cargo")
            });
        let registry = home.join("registry/src");
        let source = std::fs::read_dir(&registry)
            .expect("cargo registry sources")
            .flatten()
            .map(|d| d.path().join("sqlparser-0.62.0/src/dialect/generic.rs"))
            .find(|p| p.exists())
            .expect("sqlparser 0.62.0's generic.rs in the cargo registry");
        let text = std::fs::read_to_string(source).expect("readable");
        let here = [
            "is_delimited_identifier_start",
            "is_identifier_start",
            "is_identifier_part",
            "supports_nested_comments",
            "supports_multiline_comment_hints",
            "supports_string_escape_constant",
            "supports_quote_delimited_string",
        ];
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("fn ") else {
                continue;
            };
            let name = rest.split('(').next().unwrap_or_default();
            assert!(
                FORWARDED.contains(&name) || here.contains(&name),
                "GenericDialect overrides {name}, which AthenaDialect does not forward"
            );
        }
    }
}
