-- Top three victim regions per scam type, over every period of the run.
-- Portable SQL: a CTE, then a window function in the outer query. Ties in
-- revenue go to the region later in the alphabet (polars-sql accepts a single
-- sort direction inside OVER).
WITH by_region AS (
    SELECT scam_type, region, SUM(revenue_usd) AS revenue_usd, SUM(deposits) AS deposits
    FROM revenue
    GROUP BY scam_type, region
)
SELECT scam_type, region, revenue_usd, deposits, rank_in_type
FROM (
    SELECT scam_type, region, revenue_usd, deposits,
           ROW_NUMBER() OVER (PARTITION BY scam_type ORDER BY revenue_usd DESC, region DESC) AS rank_in_type
    FROM by_region
) AS ranked
WHERE rank_in_type <= 3
ORDER BY scam_type, rank_in_type
