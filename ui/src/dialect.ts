// The SQL dialect Athena speaks (Trino for DML, with a few Hive-style DDL
// words), for highlighting and keyword completion in the editor.
import { SQLDialect } from "@codemirror/lang-sql";

const KEYWORDS = [
  "select distinct all from where group by having order asc desc nulls first last limit offset fetch next rows row only",
  "with recursive as on using join inner left right full outer cross natural lateral unnest ordinality",
  "union intersect except and or not in is like escape between exists case when then else end cast try_cast",
  "null true false any some",
  "over partition window range groups preceding following unbounded current filter within respect ignore",
  "grouping sets cube rollup tablesample bernoulli system",
  "insert into values update set delete merge matched create table view materialized replace drop alter add",
  "rename to column columns if external location tblproperties partitioned stored format comment",
  "show describe explain analyze databases schemas tables functions partitions stats use prepare execute",
  "deallocate msck repair unload vacuum optimize",
  "at time zone interval year month day hour minute second for system_time system_version of",
  "lambda match_recognize measures pattern define subset",
].join(" ");

const TYPES = [
  "boolean tinyint smallint integer int bigint real double float decimal",
  "varchar char varbinary string binary json date time timestamp",
  "array map struct ipaddress uuid hyperloglog qdigest",
].join(" ");

const BUILTINS = [
  "count sum avg min max approx_distinct approx_percentile arbitrary array_agg bool_and bool_or",
  "count_if every histogram map_agg max_by min_by stddev variance checksum listagg",
  "coalesce nullif greatest least if abs ceil ceiling floor round truncate mod power sqrt ln log10 exp",
  "concat length lower upper trim ltrim rtrim lpad rpad replace reverse split split_part strpos substr",
  "substring position regexp_like regexp_extract regexp_replace format",
  "date_trunc date_add date_diff date_format date_parse from_unixtime to_unixtime now current_date",
  "current_timestamp day_of_week from_iso8601_timestamp",
  "cardinality element_at contains array_join array_distinct filter transform reduce zip sequence",
  "json_extract json_extract_scalar json_parse json_format map_keys map_values row_number rank",
  "dense_rank percent_rank ntile lag lead first_value last_value nth_value to_hex md5 sha256",
].join(" ");

/** Athena (Trino engine) SQL: `"` quotes identifiers, `'` quotes strings. */
export const AthenaSQL = SQLDialect.define({
  keywords: KEYWORDS,
  types: TYPES,
  builtin: BUILTINS,
  identifierQuotes: '"',
  caseInsensitiveIdentifiers: true,
  backslashEscapes: false,
  hashComments: false,
  doubleQuotedStrings: false,
});
