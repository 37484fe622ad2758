-- Top three victim regions per scam type, over every period of the run.
-- Portable SQL: a CTE, then a window function in the outer query. Money is
-- summed as integer cents (each period's revenue_usd is a whole number of
-- cents), never as float dollars, and turned back into dollars by
-- ROUND(CAST(... AS DOUBLE) / 100, 2): engines divide a BIGINT by 100.0
-- differently (as a decimal, or by the reciprocal). Ties in revenue go to
-- the region later in the alphabet (polars-sql accepts a single sort
-- direction inside OVER).
WITH by_region AS (
    SELECT scam_type, region,
           SUM(CAST(ROUND(revenue_usd * 100) AS BIGINT)) AS revenue_cents,
           SUM(deposits) AS deposits
    FROM revenue
    GROUP BY scam_type, region
)
SELECT scam_type, region, ROUND(CAST(revenue_cents AS DOUBLE) / 100, 2) AS revenue_usd, deposits, rank_in_type
FROM (
    SELECT scam_type, region, revenue_cents, deposits,
           ROW_NUMBER() OVER (PARTITION BY scam_type ORDER BY revenue_cents DESC, region DESC) AS rank_in_type
    FROM by_region
) AS ranked
WHERE rank_in_type <= 3
ORDER BY scam_type, rank_in_type
