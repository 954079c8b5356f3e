"""Pure crm-sync policies: webhook ids and signatures, retry verdicts, the delivery ledger."""
