-- The transfer-scale part of a scamtrends run, for DuckDB: METHODOLOGY §2 and
-- §6 on the transfers (normalise, validate, keep scam-bound transfers, one per
-- identity, revenue vs internal vs self, USD value with the 7-day price
-- fallback, micro-dollar sums rounded once to cents), rolled up to
-- revenue_by_type per quarter. bench/run.py fills in {transfers} (a
-- read_csv/read_parquet call), {addresses} (the run's attribution table) and
-- {prices}; it compares the result with scamtrends' revenue_by_type.parquet.
SET TimeZone = 'UTC';

WITH raw AS (
    SELECT * FROM {transfers}
),
norm AS (
    SELECT
        lower(trim(chain)) AS chain,
        CASE WHEN lower(trim(tx_hash)) LIKE '0x%' THEN lower(trim(tx_hash)) ELSE trim(tx_hash) END AS tx_hash,
        COALESCE(TRY_CAST(transfer_index AS BIGINT), 0) AS transfer_index,
        CASE
            WHEN regexp_full_match(trim(CAST(block_time AS VARCHAR)), '[0-9]+')
                THEN to_timestamp(CAST(trim(CAST(block_time AS VARCHAR)) AS BIGINT))
            ELSE TRY_CAST(trim(CAST(block_time AS VARCHAR)) AS TIMESTAMPTZ)
        END AS ts,
        CASE WHEN regexp_matches(lower(trim(from_address)), '^(0x|bc1|tb1|ltc1)')
             THEN lower(trim(from_address)) ELSE trim(from_address) END AS from_address,
        CASE WHEN regexp_matches(lower(trim(to_address)), '^(0x|bc1|tb1|ltc1)')
             THEN lower(trim(to_address)) ELSE trim(to_address) END AS to_address,
        upper(trim(asset)) AS asset,
        TRY_CAST(amount AS DOUBLE) AS amount,
        TRY_CAST(amount_usd AS DOUBLE) AS amount_usd,
        filename
    FROM raw
),
valid AS (
    SELECT * FROM norm
    WHERE ts IS NOT NULL
      AND amount IS NOT NULL AND isfinite(amount) AND amount >= 0
      AND (amount_usd IS NULL OR (isfinite(amount_usd) AND amount_usd >= 0))
      AND chain <> '' AND tx_hash <> '' AND from_address <> '' AND to_address <> '' AND asset <> ''
),
scam AS (
    SELECT v.*, a.scam_type
    FROM valid v JOIN {addresses} a ON v.chain = a.chain AND v.to_address = a.address
),
dedup AS (
    SELECT * FROM scam
    QUALIFY row_number() OVER (PARTITION BY chain, tx_hash, transfer_index ORDER BY filename) = 1
),
revenue AS (
    SELECT d.* FROM dedup d
    LEFT JOIN {addresses} f ON d.chain = f.chain AND d.from_address = f.address
    WHERE f.address IS NULL AND d.from_address <> d.to_address
),
prices AS (
    SELECT CAST(date AS DATE) AS day, upper(trim(asset)) AS asset, min(TRY_CAST(price_usd AS DOUBLE)) AS price
    FROM {prices}
    WHERE TRY_CAST(price_usd AS DOUBLE) > 0 AND isfinite(TRY_CAST(price_usd AS DOUBLE))
    GROUP BY ALL
),
dated AS (
    SELECT *, CAST(ts AS DATE) AS day FROM revenue
),
valued AS (
    SELECT r.*,
           CASE
               WHEN r.amount_usd IS NOT NULL THEN CAST(round(r.amount_usd * 1e6) AS BIGINT)
               WHEN p.day IS NOT NULL AND r.day - p.day <= 7 THEN CAST(round(r.amount * p.price * 1e6) AS BIGINT)
           END AS usd_micro
    FROM dated r ASOF LEFT JOIN prices p ON r.asset = p.asset AND r.day >= p.day
)
SELECT
    CAST(year(day) AS VARCHAR) || 'Q' || CAST(quarter(day) AS VARCHAR) AS period,
    scam_type,
    (COALESCE(sum(usd_micro), 0) + 5000) // 10000 AS revenue_cents,
    count(*) AS deposits,
    count(*) - count(usd_micro) AS unpriced_deposits,
    count(DISTINCT chain || chr(31) || from_address) AS senders
FROM valued
GROUP BY ALL
ORDER BY period, scam_type;
