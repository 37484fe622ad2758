-- The ten largest priced deposits into scam addresses, with the transaction to
-- look up on a block explorer: the transfers behind the headline figures.
-- Portable SQL over the attributed transfers (usd_micro is exact micro-dollars).
SELECT chain, tx_hash, transfer_index, block_time, scam_type, region, asset, amount,
       usd_micro / 1000000.0 AS usd
FROM attributed_transfers
WHERE flow = 'revenue' AND usd_micro IS NOT NULL
ORDER BY usd_micro DESC, chain, tx_hash, transfer_index
LIMIT 10
