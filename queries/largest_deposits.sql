-- The ten largest priced deposits into scam addresses, with the transaction to
-- look up on a block explorer: the transfers behind the headline figures.
-- Portable SQL over the attributed transfers (usd_micro is exact micro-dollars;
-- dollars as ROUND(CAST(usd_micro AS DOUBLE) / 1000000, 6): engines divide a
-- BIGINT by 1000000.0 differently, as a decimal or by the reciprocal).
SELECT chain, tx_hash, transfer_index, block_time, scam_type, region, asset, amount,
       ROUND(CAST(usd_micro AS DOUBLE) / 1000000, 6) AS usd
FROM attributed_transfers
WHERE flow = 'revenue' AND usd_micro IS NOT NULL
ORDER BY usd_micro DESC, chain, tx_hash, transfer_index
LIMIT 10
