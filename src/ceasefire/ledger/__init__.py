"""ceasefire.ledger"""
