//! User SQL is data, not code: before any engine runs a query (`scamtrends
//! query`, a report definition's `[[queries]]`), it is parsed with the same
//! parser and dialect polars-sql uses and checked against an allow-list. A
//! query may be one `SELECT` (with `WITH`, joins, subqueries, set operations,
//! `UNNEST` of literals) over the run's own tables and its own CTEs, calling
//! only the scalar, aggregate and window functions of polars-sql. Anything
//! else is refused by name and position: table functions (`read_csv(…)`,
//! `read_parquet(…)`), quoted or qualified relation names, statements that
//! are not queries (`CREATE`, `DROP`, `COPY`, `EXPLAIN`, …), `SELECT INTO`.
//! Text that does not parse is left to the engine, whose parser gives the
//! same error with its position.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, Ident, ObjectName, ObjectNamePart, Query, Select, Spanned, Statement, TableFactor, Visit,
    Visitor,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserOptions};

use crate::error::SqlRefusal;

/// The scalar, aggregate and window functions polars-sql 0.55 implements
/// (its `PolarsSQLFunctions`); none of them reads a file or the network.
const FUNCTIONS: &[&str] = &[
    "abs",
    "acos",
    "acosd",
    "array_agg",
    "array_contains",
    "array_get",
    "array_length",
    "array_lower",
    "array_mean",
    "array_reverse",
    "array_sum",
    "array_to_string",
    "array_unique",
    "array_upper",
    "asin",
    "asind",
    "atan",
    "atan2",
    "atan2d",
    "atand",
    "avg",
    "bit_and",
    "bit_count",
    "bit_length",
    "bit_not",
    "bit_or",
    "bit_xor",
    "bitand",
    "bitcount",
    "bitnot",
    "bitor",
    "bitxor",
    "cbrt",
    "ceil",
    "ceiling",
    "char_length",
    "character_length",
    "coalesce",
    "columns",
    "concat",
    "concat_ws",
    "corr",
    "cos",
    "cosd",
    "cot",
    "cotd",
    "count",
    "covar",
    "covar_pop",
    "covar_samp",
    "date",
    "date_part",
    "datetime",
    "degrees",
    "dense_rank",
    "div",
    "ends_with",
    "exp",
    "first",
    "first_value",
    "floor",
    "greatest",
    "group_concat",
    "if",
    "ifnull",
    "initcap",
    "lag",
    "last",
    "last_value",
    "lead",
    "least",
    "left",
    "length",
    "listagg",
    "ln",
    "log",
    "log10",
    "log1p",
    "log2",
    "lower",
    "lpad",
    "ltrim",
    "max",
    "median",
    "min",
    "mod",
    "normalize",
    "nullif",
    "octet_length",
    "pi",
    "pow",
    "power",
    "quantile_cont",
    "quantile_disc",
    "radians",
    "rank",
    "regexp_like",
    "replace",
    "reverse",
    "right",
    "round",
    "row_number",
    "rpad",
    "rtrim",
    "sign",
    "sin",
    "sind",
    "split_part",
    "sqrt",
    "starts_with",
    "stddev",
    "stddev_samp",
    "stdev",
    "stdev_samp",
    "strftime",
    "string_agg",
    "string_to_array",
    "strpos",
    "strptime",
    "substr",
    "sum",
    "tan",
    "tand",
    "time",
    "timestamp",
    "total",
    "trunc",
    "truncate",
    "unnest",
    "upper",
    "var",
    "var_samp",
    "variance",
    "xor",
];

/// Check one SQL text against the allow-list; `tables` are the relations a
/// query may read (the run's tables).
pub fn check_query(sql: &str, tables: &[&str]) -> Result<(), SqlRefusal> {
    let Ok(statements) = parse(sql) else {
        return Ok(()); // the engine's parser reports it, with its position
    };
    let mut guard = Guard {
        tables: tables.iter().map(|t| t.to_ascii_lowercase()).collect(),
        ctes: cte_names(&statements),
    };
    for statement in &statements {
        if let ControlFlow::Break(refusal) = statement.visit(&mut guard) {
            return Err(refusal);
        }
    }
    Ok(())
}

fn parse(sql: &str) -> Result<Vec<Statement>, sqlparser::parser::ParserError> {
    Parser::new(&GenericDialect)
        .with_options(ParserOptions {
            trailing_commas: true,
            ..Default::default()
        })
        .try_with_sql(sql)?
        .parse_statements()
}

/// Every CTE name the text defines (anywhere: scoping is the engine's).
fn cte_names(statements: &[Statement]) -> BTreeSet<String> {
    struct Ctes(BTreeSet<String>);
    impl Visitor for Ctes {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            for cte in query.with.iter().flat_map(|w| &w.cte_tables) {
                self.0.insert(cte.alias.name.value.to_ascii_lowercase());
            }
            ControlFlow::Continue(())
        }
    }
    let mut ctes = Ctes(BTreeSet::new());
    for s in statements {
        let _ = s.visit(&mut ctes);
    }
    ctes.0
}

struct Guard {
    tables: BTreeSet<String>,
    ctes: BTreeSet<String>,
}

fn refuse(line: u64, what: String) -> ControlFlow<SqlRefusal> {
    ControlFlow::Break(SqlRefusal {
        line: line.max(1),
        what,
    })
}

fn line_of(ident: &Ident) -> u64 {
    ident.span.start.line
}

/// The identifiers of a name (`None` when a part is not an identifier).
fn idents(name: &ObjectName) -> Option<Vec<&Ident>> {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => Some(i),
            ObjectNamePart::Function(_) => None,
        })
        .collect()
}

impl Guard {
    fn known(&self) -> String {
        self.tables.iter().cloned().collect::<Vec<_>>().join(", ")
    }

    fn check_relation(&self, name: &ObjectName, line: u64) -> ControlFlow<SqlRefusal> {
        let parts = idents(name).unwrap_or_default();
        let simple = match parts.as_slice() {
            [one] if one.quote_style != Some('\'') => Some(one.value.to_ascii_lowercase()),
            _ => None,
        };
        match simple {
            Some(n) if self.tables.contains(&n) || self.ctes.contains(&n) => {
                ControlFlow::Continue(())
            }
            _ => refuse(
                line,
                format!(
                    "relation {name} is not one of the run's tables ({}); queries read nothing else",
                    self.known()
                ),
            ),
        }
    }
}

impl Visitor for Guard {
    type Break = SqlRefusal;

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<SqlRefusal> {
        match statement {
            Statement::Query(_) => ControlFlow::Continue(()),
            other => {
                let kind = other.to_string();
                let kind: String = kind
                    .split_whitespace()
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ");
                refuse(
                    other.span().start.line,
                    format!("only a SELECT query is allowed, not {kind} …"),
                )
            }
        }
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<SqlRefusal> {
        match &select.into {
            Some(into) => refuse(
                select.span().start.line,
                format!(
                    "SELECT INTO {} is not allowed: queries write nothing",
                    into.name
                ),
            ),
            None => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<SqlRefusal> {
        let line = factor.span().start.line;
        match factor {
            TableFactor::Table { name, args, .. } => {
                let first = idents(name).and_then(|i| i.first().map(|i| line_of(i)));
                let line = first.unwrap_or(line);
                if args.is_some() {
                    return refuse(
                        line,
                        format!(
                            "table function {name}(…) is not allowed: queries read only the run's tables ({})",
                            self.known()
                        ),
                    );
                }
                self.check_relation(name, line)
            }
            TableFactor::Derived { .. }
            | TableFactor::NestedJoin { .. }
            | TableFactor::UNNEST { .. } => ControlFlow::Continue(()),
            other => {
                let text = other.to_string();
                let head: String = text.chars().take(40).collect();
                refuse(
                    line,
                    format!(
                        "table function {head} is not allowed: queries read only the run's tables"
                    ),
                )
            }
        }
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<SqlRefusal> {
        let Expr::Function(f) = expr else {
            return ControlFlow::Continue(());
        };
        let parts = idents(&f.name).unwrap_or_default();
        let line = parts.first().map_or(1, |i| line_of(i));
        match parts.as_slice() {
            [one] if FUNCTIONS.contains(&one.value.to_ascii_lowercase().as_str()) => {
                ControlFlow::Continue(())
            }
            _ => refuse(
                line,
                format!(
                    "function {}(…) is not allowed: only polars-sql's scalar, aggregate and window functions",
                    f.name
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLES: &[&str] = &["revenue", "revenue_by_type", "attributed_transfers"];

    fn refusal(sql: &str) -> SqlRefusal {
        check_query(sql, TABLES).expect_err(sql)
    }

    #[test]
    fn the_shipped_queries_pass() {
        for sql in [
            include_str!("../../queries/top_regions_per_type.sql"),
            include_str!("../../queries/quarter_on_quarter.sql"),
            include_str!("../../queries/largest_deposits.sql"),
        ] {
            let tables = ["revenue", "revenue_by_type", "attributed_transfers"];
            assert_eq!(check_query(sql, &tables), Ok(()), "{sql}");
        }
    }

    #[test]
    fn table_functions_are_refused_with_their_line() {
        let r = refusal("SELECT *\nFROM read_csv('/etc/passwd')");
        assert_eq!(r.line, 2);
        assert!(r.what.contains("table function read_csv"), "{}", r.what);
        let r = refusal(
            "SELECT * FROM revenue\nUNION ALL\nSELECT * FROM read_parquet('s3://x/y.parquet')",
        );
        assert_eq!(r.line, 3);
        assert!(r.what.contains("read_parquet"), "{}", r.what);
        let r = refusal("WITH a AS (SELECT * FROM read_json('http://x/y'))\nSELECT * FROM a");
        assert!(r.what.contains("read_json"), "{}", r.what);
    }

    #[test]
    fn only_the_runs_tables_and_ctes_are_relations() {
        assert!(check_query("WITH t AS (SELECT * FROM revenue) SELECT * FROM t", TABLES).is_ok());
        assert!(check_query("SELECT * FROM (SELECT 1 AS x) AS s", TABLES).is_ok());
        assert!(
            refusal("SELECT * FROM other")
                .what
                .contains("relation other")
        );
        assert!(
            refusal("SELECT * FROM \"/etc/passwd\"")
                .what
                .contains("relation")
        );
        assert!(
            refusal("SELECT * FROM main.revenue")
                .what
                .contains("relation main.revenue")
        );
    }

    #[test]
    fn statements_other_than_select_are_refused() {
        assert!(
            refusal("CREATE TABLE x AS SELECT 1")
                .what
                .contains("CREATE TABLE")
        );
        assert!(refusal("DROP TABLE revenue").what.contains("DROP TABLE"));
        assert!(refusal("COPY revenue TO '/tmp/x'").what.contains("COPY"));
        assert!(
            refusal("EXPLAIN SELECT * FROM revenue")
                .what
                .contains("EXPLAIN")
        );
        assert!(
            refusal("SELECT * INTO x FROM revenue")
                .what
                .contains("SELECT INTO")
        );
    }

    #[test]
    fn unknown_functions_are_refused_by_name() {
        assert!(check_query("SELECT ROUND(SUM(revenue_usd), 2) FROM revenue", TABLES).is_ok());
        let r = refusal("SELECT\n  pg_read_file('/etc/passwd')\nFROM revenue");
        assert_eq!(r.line, 2);
        assert!(r.what.contains("function pg_read_file"), "{}", r.what);
    }

    #[test]
    fn text_that_does_not_parse_is_left_to_the_engine() {
        assert_eq!(check_query("SELECT * FROM revenue WHERE )", TABLES), Ok(()));
    }
}
