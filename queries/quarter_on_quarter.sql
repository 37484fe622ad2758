-- Quarter-on-quarter change of revenue per scam type (run with --period quarter).
-- Portable SQL: EXTRACT for the calendar parts, LAG in the outer query.
-- No change (NULL) after a quarter without revenue: a division by zero is
-- an error on a Spark server in ANSI mode and infinity in polars.
WITH typed AS (
    SELECT scam_type, period, period_start, revenue_usd, deposits,
           EXTRACT(YEAR FROM period_start) AS year,
           EXTRACT(QUARTER FROM period_start) AS quarter
    FROM revenue_by_type
)
SELECT scam_type, period, year, quarter, revenue_usd, deposits,
       LAG(revenue_usd) OVER (PARTITION BY scam_type ORDER BY period_start) AS previous_revenue_usd,
       revenue_usd / NULLIF(LAG(revenue_usd) OVER (PARTITION BY scam_type ORDER BY period_start), 0) - 1
           AS revenue_qoq
FROM typed
ORDER BY scam_type, period
