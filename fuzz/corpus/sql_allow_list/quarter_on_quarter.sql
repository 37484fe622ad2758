-- Quarter-on-quarter change of revenue per scam type (run with --period quarter).
-- Portable SQL: EXTRACT for the calendar parts, LAG in the outer query.
WITH typed AS (
    SELECT scam_type, period, period_start, revenue_usd, deposits,
           EXTRACT(YEAR FROM period_start) AS year,
           EXTRACT(QUARTER FROM period_start) AS quarter
    FROM revenue_by_type
)
SELECT scam_type, period, year, quarter, revenue_usd, deposits,
       LAG(revenue_usd) OVER (PARTITION BY scam_type ORDER BY period_start) AS previous_revenue_usd,
       revenue_usd / LAG(revenue_usd) OVER (PARTITION BY scam_type ORDER BY period_start) - 1 AS revenue_qoq
FROM typed
ORDER BY scam_type, period
